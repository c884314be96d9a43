"""Users, roles, clearances, cases and case membership, and building a Context from them.

Every change here is an administrative action and is audited as a security event
(LOG-11). Contexts are built from the tables on every request, so a revoked role,
clearance or membership takes effect at once (ACC-8).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select, update

from clearsight.errors import Conflict, InvalidData, NotFound, PermissionDenied, Problem
from clearsight.governance import audit
from clearsight.governance.context import ROLES, Context, Purpose
from clearsight.governance.markings import tier
from clearsight.store import tables as t
from clearsight.store.engine import Store


@dataclass(frozen=True)
class User:
    name: str
    display_name: str
    roles: tuple[str, ...]
    clearance: str
    groups: tuple[str, ...]
    caveats: tuple[str, ...]
    active: bool


def _split(text: str) -> tuple[str, ...]:
    return tuple(sorted({p.strip() for p in text.split(",") if p.strip()}))


def _join(values: Iterable[str]) -> str:
    return ",".join(sorted({v.strip() for v in values if v.strip()}))


def _check_roles(roles: Iterable[str]) -> list[str]:
    roles = list(roles)
    bad = [r for r in roles if r not in ROLES]
    if bad:
        raise InvalidData("unknown roles", [Problem(f"{r!r} is not one of {', '.join(ROLES)}", field="roles") for r in bad])
    return roles


def _security_event(conn: Connection, actor: str, action: str, subjects: list[str], details: dict[str, object]) -> None:
    audit.append(
        conn,
        operation="security",
        action=action,
        user=actor,
        purpose="ADMINISTRATION",
        component="governance.users",
        client="admin",
        subjects=subjects,
        details=details,
    )


def get_user(conn: Connection, name: str) -> User:
    row = conn.execute(select(t.users).where(t.users.c.name == name)).first()
    if row is None:
        raise NotFound(f"no user {name!r}")
    return User(
        name=row.name,
        display_name=row.display_name,
        roles=_split(row.roles),
        clearance=row.clearance,
        groups=_split(row.groups),
        caveats=_split(row.caveats),
        active=bool(row.active),
    )


def list_users(conn: Connection) -> list[User]:
    names = [r[0] for r in conn.execute(select(t.users.c.name).order_by(t.users.c.name))]
    return [get_user(conn, n) for n in names]


def create_user(
    store: Store,
    *,
    actor: str,
    name: str,
    roles: Iterable[str] = ("analyst",),
    clearance: str = "OFFICIAL",
    groups: Iterable[str] = (),
    caveats: Iterable[str] = (),
    display_name: str = "",
) -> User:
    roles = _check_roles(roles)
    clearance = tier(clearance)
    with store.begin() as conn:
        if conn.execute(select(t.users.c.name).where(t.users.c.name == name)).first():
            raise Conflict(f"user {name!r} exists already")
        conn.execute(
            insert(t.users).values(
                name=name,
                display_name=display_name or name,
                roles=_join(roles),
                clearance=clearance,
                groups=_join(groups),
                caveats=_join(caveats),
                active=True,
                created_at=audit.utc_now(),
            )
        )
        _security_event(conn, actor, "user.create", [name], {"roles": sorted(roles), "clearance": clearance})
        return get_user(conn, name)


def update_user(
    store: Store,
    *,
    actor: str,
    name: str,
    roles: Iterable[str] | None = None,
    clearance: str | None = None,
    groups: Iterable[str] | None = None,
    caveats: Iterable[str] | None = None,
    active: bool | None = None,
) -> User:
    """Change a user's roles, clearance, groups, caveats or active flag (takes effect at once)."""
    values: dict[str, object] = {}
    if roles is not None:
        values["roles"] = _join(_check_roles(roles))
    if clearance is not None:
        values["clearance"] = tier(clearance)
    if groups is not None:
        values["groups"] = _join(groups)
    if caveats is not None:
        values["caveats"] = _join(caveats)
    if active is not None:
        values["active"] = active
    with store.begin() as conn:
        get_user(conn, name)
        if values:
            conn.execute(update(t.users).where(t.users.c.name == name).values(**values))
            _security_event(conn, actor, "user.update", [name], {k: str(v) for k, v in values.items()})
        return get_user(conn, name)


def create_case(store: Store, *, actor: str, reference: str, title: str = "", members: Iterable[str] = ()) -> None:
    with store.begin() as conn:
        if conn.execute(select(t.cases.c.reference).where(t.cases.c.reference == reference)).first():
            raise Conflict(f"case {reference!r} exists already")
        conn.execute(
            insert(t.cases).values(
                reference=reference, title=title, status="open", created_at=audit.utc_now(), created_by=actor
            )
        )
        for m in members:
            get_user(conn, m)
            conn.execute(insert(t.case_members).values(case_reference=reference, user=m, added_at=audit.utc_now()))
        _security_event(conn, actor, "case.create", [reference], {"members": sorted(members)})


def set_case_member(store: Store, *, actor: str, reference: str, user: str, member: bool = True) -> None:
    with store.begin() as conn:
        if not conn.execute(select(t.cases.c.reference).where(t.cases.c.reference == reference)).first():
            raise NotFound(f"no case {reference!r}")
        get_user(conn, user)
        conn.execute(
            delete(t.case_members).where(t.case_members.c.case_reference == reference, t.case_members.c.user == user)
        )
        if member:
            conn.execute(insert(t.case_members).values(case_reference=reference, user=user, added_at=audit.utc_now()))
        _security_event(conn, actor, "case.member." + ("add" if member else "remove"), [reference, user], {})


def case_memberships(conn: Connection, user: str) -> list[str]:
    q = (
        select(t.case_members.c.case_reference)
        .join(t.cases, t.cases.c.reference == t.case_members.c.case_reference)
        .where(t.case_members.c.user == user, t.cases.c.status == "open")
    )
    return sorted(r[0] for r in conn.execute(q))


def context_for(store: Store, user: str, purpose: str | None, *, client: str = "cli") -> Context:
    """Build the Context of one request from the stored user and the declared purpose.

    A case purpose must name an open case the user is on (PUR-2). The case reference also
    becomes a need-to-know group, as do all the user's open cases.
    """
    with store.begin() as conn:
        try:
            u = get_user(conn, user)
        except NotFound:
            raise PermissionDenied(f"unknown user {user!r}") from None
        if not u.active:
            raise PermissionDenied(f"user {user!r} is not active")
        cases = case_memberships(conn, user)
    parsed = Purpose.parse(purpose) if purpose else None
    if parsed is not None and parsed.case is not None and parsed.case not in cases:
        raise PermissionDenied(f"case {parsed.case!r} does not exist or {user!r} is not assigned to it")
    return Context(
        user=u.name,
        roles=frozenset(u.roles),
        clearance=u.clearance,
        groups=frozenset(u.groups) | frozenset(f"case:{c}" for c in cases),
        caveats=frozenset(u.caveats),
        purpose=parsed,
        client=client,
    )


__all__ = [
    "User",
    "case_memberships",
    "context_for",
    "create_case",
    "create_user",
    "get_user",
    "list_users",
    "set_case_member",
    "update_user",
]
