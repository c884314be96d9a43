"""The DPO's registers: declared interests, the high-profile watch list, shift patterns.

A declared interest is a notifiable association: the user's own identity (name and date
of birth, postcode, vehicle) or a person they are associated with (name and date of birth,
or a record id). Values are stored normalised with the ontology's own types, so they
compare with stored records exactly as ingest cleaned them. Only the DPO or an admin,
with a s.62(4) purpose, may read or change these registers, and every change is a
security event in the audit log (LOG-11).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, delete, insert, select

from clearsight.errors import InvalidData, InvalidValue, NotFound, Problem
from clearsight.governance import audit
from clearsight.governance.context import Context
from clearsight.governance.gateway import Governance
from clearsight.governance.service import require_auditor
from clearsight.governance.users import get_user
from clearsight.ontology.types import normalise
from clearsight.store import tables as t

REGISTER_ROLES = ("dpo", "admin")
KINDS = ("self", "associate")
COMPONENT = "governance.oversight"
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Interest:
    id: str
    user: str
    kind: str
    name: str
    birth_date: str
    postcode: str
    vrm: str
    entity_id: str
    relation: str
    recorded_at: str
    recorded_by: str

    def as_dict(self) -> dict[str, str]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Shift:
    """Working hours on given ISO weekdays; a shift ending before it starts runs overnight."""

    user: str
    days: tuple[int, ...]
    start: time
    end: time
    timezone: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "user": self.user,
            "days": ",".join(DAY_NAMES[d - 1] for d in self.days),
            "start": self.start.strftime("%H:%M"),
            "end": self.end.strftime("%H:%M"),
            "timezone": self.timezone,
        }


def _event(conn: Connection, gov: Governance, ctx: Context, action: str, subjects: list[str], details: dict[str, Any]) -> None:
    audit.append(
        conn, operation="security", action=action, user=ctx.user, purpose=str(ctx.purpose), component=COMPONENT,
        client=ctx.client, subjects=subjects, details=details, at=gov.clock(),
    )


def _clean(type_name: str, value: str, field: str) -> str:
    if not value.strip():
        return ""
    try:
        return normalise(type_name, value)
    except InvalidValue as exc:
        raise InvalidData("bad declared interest", [Problem(str(exc), field=field, value=value)]) from None


def add_interest(gov: Governance, ctx: Context, *, user: str, kind: str, name: str = "", birth_date: str = "",
                 postcode: str = "", vrm: str = "", entity_id: str = "", relation: str = "") -> Interest:
    """Record a declared identity or association of ``user``."""
    require_auditor(gov, ctx, "oversight.interests.add", roles=REGISTER_ROLES)
    if kind not in KINDS:
        raise InvalidData("bad declared interest", [Problem(f"must be one of {', '.join(KINDS)}", field="kind", value=kind)])
    values = {
        "name": _clean("name", name, "name"),
        "birth_date": _clean("date", birth_date, "birth_date"),
        "postcode": _clean("postcode", postcode, "postcode"),
        "vrm": _clean("vrm", vrm, "vrm"),
        "entity_id": entity_id.strip(),
    }
    if not any(values.values()):
        raise InvalidData("bad declared interest", [Problem("give at least a name, date of birth, postcode, VRM or record id")])
    if values["name"] and not values["birth_date"] and not values["entity_id"]:
        raise InvalidData(
            "bad declared interest",
            [Problem("a name alone matches too many people; give the date of birth too", field="birth_date")],
        )
    recorded_at = gov.clock()
    key = "\x1f".join([user, kind, *values.values(), recorded_at])
    row = Interest(id=hashlib.sha256(key.encode()).hexdigest()[:32], user=user, kind=kind, relation=relation.strip(),
                   recorded_at=recorded_at, recorded_by=ctx.user, **values)
    with gov.store.begin() as conn:
        get_user(conn, user)
        conn.execute(insert(t.oversight_interests).values(**row.as_dict()))
        # the audit entry names who and what kind, never the declared values (LOG-2)
        _event(conn, gov, ctx, "oversight.interests.add", [row.id, user], {"kind": kind, "fields": sorted(k for k, v in values.items() if v)})
    return row


def remove_interest(gov: Governance, ctx: Context, interest_id: str) -> None:
    require_auditor(gov, ctx, "oversight.interests.remove", roles=REGISTER_ROLES)
    with gov.store.begin() as conn:
        row = conn.execute(select(t.oversight_interests.c.user).where(t.oversight_interests.c.id == interest_id)).first()
        if row is None:
            raise NotFound(f"no declared interest {interest_id!r}")
        conn.execute(delete(t.oversight_interests).where(t.oversight_interests.c.id == interest_id))
        _event(conn, gov, ctx, "oversight.interests.remove", [interest_id, row[0]], {})


def interests(conn: Connection, user: str | None = None) -> list[Interest]:
    q = select(*(t.oversight_interests.c[f] for f in Interest.__dataclass_fields__)).order_by(
        t.oversight_interests.c.user, t.oversight_interests.c.recorded_at)
    if user:
        q = q.where(t.oversight_interests.c.user == user)
    return [Interest(**row._mapping) for row in conn.execute(q)]


def list_interests(gov: Governance, ctx: Context, user: str | None = None) -> list[Interest]:
    require_auditor(gov, ctx, "oversight.interests.list", roles=REGISTER_ROLES)
    with gov.store.begin() as conn:
        found = interests(conn, user)
        _event(conn, gov, ctx, "oversight.interests.list", [i.id for i in found], {"user": user} if user else {})
    return found


def watch(gov: Governance, ctx: Context, entity_id: str, reason: str, *, add: bool = True) -> None:
    """Add a record to (or remove it from) the high-profile watch list."""
    action = "oversight.watch." + ("add" if add else "remove")
    require_auditor(gov, ctx, action, roles=REGISTER_ROLES)
    w = t.oversight_watchlist
    with gov.store.begin() as conn:
        exists = conn.execute(select(w.c.entity_id).where(w.c.entity_id == entity_id)).first() is not None
        if add:
            if len(reason.strip()) < 10:
                raise InvalidData("bad watch-list entry", [Problem("give a reason of at least 10 characters", field="reason")])
            if exists:
                conn.execute(delete(w).where(w.c.entity_id == entity_id))
            conn.execute(insert(w).values(entity_id=entity_id, reason=reason.strip(), added_at=gov.clock(), added_by=ctx.user))
        elif not exists:
            raise NotFound(f"{entity_id!r} is not on the watch list")
        else:
            conn.execute(delete(w).where(w.c.entity_id == entity_id))
        _event(conn, gov, ctx, action, [entity_id], {})


def watchlist(conn: Connection) -> dict[str, str]:
    w = t.oversight_watchlist
    return {row[0]: row[1] for row in conn.execute(select(w.c.entity_id, w.c.reason))}


def list_watchlist(gov: Governance, ctx: Context) -> dict[str, str]:
    require_auditor(gov, ctx, "oversight.watch.list", roles=REGISTER_ROLES)
    with gov.store.begin() as conn:
        found = watchlist(conn)
        _event(conn, gov, ctx, "oversight.watch.list", sorted(found), {})
    return found


def list_shifts(gov: Governance, ctx: Context) -> list[Shift]:
    require_auditor(gov, ctx, "oversight.shift.list", roles=REGISTER_ROLES)
    with gov.store.begin() as conn:
        found = shifts(conn)
        _event(conn, gov, ctx, "oversight.shift.list", sorted(found), {})
    return [found[u] for u in sorted(found)]


def _hhmm(value: str, field: str) -> time:
    try:
        return time.fromisoformat(value.strip())
    except ValueError:
        raise InvalidData("bad shift pattern", [Problem("must be a time HH:MM", field=field, value=value)]) from None


def _days(value: str) -> tuple[int, ...]:
    out: set[int] = set()
    for part in (p.strip().lower() for p in value.split(",") if p.strip()):
        if "-" in part:
            a, _, b = part.partition("-")
            if a[:3] in DAY_NAMES and b[:3] in DAY_NAMES:
                lo, hi = DAY_NAMES.index(a[:3]), DAY_NAMES.index(b[:3])
                # a range may wrap round the week: sun-thu is Sunday to Thursday
                out.update((lo + d) % 7 + 1 for d in range((hi - lo) % 7 + 1))
                continue
        elif part[:3] in DAY_NAMES:
            out.add(DAY_NAMES.index(part[:3]) + 1)
            continue
        raise InvalidData("bad shift pattern", [Problem("days are like 'mon-fri' or 'mon,wed,sat'", field="days", value=part)])
    if not out:
        raise InvalidData("bad shift pattern", [Problem("give at least one working day", field="days")])
    return tuple(sorted(out))


def set_shift(gov: Governance, ctx: Context, *, user: str, days: str, start: str, end: str,
              timezone: str = "Europe/London") -> Shift:
    """Set ``user``'s working pattern (replacing any earlier one)."""
    require_auditor(gov, ctx, "oversight.shift.set", roles=REGISTER_ROLES)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidData("bad shift pattern", [Problem("unknown time zone", field="timezone", value=timezone)]) from None
    shift = Shift(user=user, days=_days(days), start=_hhmm(start, "start"), end=_hhmm(end, "end"), timezone=timezone)
    if shift.start == shift.end:
        raise InvalidData("bad shift pattern", [Problem("a shift cannot start and end at the same time", field="end")])
    s = t.oversight_shifts
    with gov.store.begin() as conn:
        get_user(conn, user)
        conn.execute(delete(s).where(s.c.user == user))
        conn.execute(insert(s).values(
            user=user, days=",".join(str(d) for d in shift.days), start=start.strip(), end=end.strip(),
            timezone=timezone, recorded_at=gov.clock(), recorded_by=ctx.user,
        ))
        _event(conn, gov, ctx, "oversight.shift.set", [user], shift.as_dict())
    return shift


def shifts(conn: Connection) -> dict[str, Shift]:
    s = t.oversight_shifts
    out = {}
    for row in conn.execute(select(s.c.user, s.c.days, s.c.start, s.c.end, s.c.timezone)):
        out[row[0]] = Shift(row[0], tuple(int(d) for d in row[1].split(",")), time.fromisoformat(row[2]),
                            time.fromisoformat(row[3]), row[4])
    return out


__all__ = [
    "KINDS", "REGISTER_ROLES", "Interest", "Shift", "add_interest", "interests", "list_interests", "list_shifts",
    "list_watchlist", "remove_interest",
    "set_shift", "shifts", "watch", "watchlist",
]
