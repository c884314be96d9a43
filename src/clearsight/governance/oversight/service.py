"""Oversight services: scan the audit stream, the alert queue, the weekly review.

Every function here needs the auditor or DPO role and a s.62(4) purpose (LOG-13), and
leaves one audit entry of its own; none changes an existing audit entry or its order
(LOG-15). Record values are read only through the governed path, under the reviewer's
purpose, and so are audited like any other read.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from clearsight.errors import Conflict, InvalidData, NotFound, Problem
from clearsight.governance import audit, integrity
from clearsight.governance.audit import AuditEntry
from clearsight.governance.context import AUDIT_CODES, Context
from clearsight.governance.gateway import Governance, Operation
from clearsight.governance.oversight import register
from clearsight.governance.oversight.config import OversightConfig
from clearsight.governance.oversight.register import COMPONENT
from clearsight.governance.oversight.rules import (
    NAME_PROPS,
    RULES,
    VICTIM_CATEGORIES,
    WINDOWED,
    Finding,
    RecordFacts,
    ScanData,
    is_case_purpose,
    name_key,
    parse_at,
)
from clearsight.governance.service import require_auditor
from clearsight.store import tables as t

OUTCOMES = ("no-case-to-answer", "advice-given", "management-action", "referred-to-psd", "false-positive")
REVIEW_OUTCOMES = ("satisfactory", "concerns-raised", "referred-to-psd")
MIN_REASON = 10
STATE_KEY = "last_seq"
_CHUNK = 2000
_FACT_PROPS = (*NAME_PROPS, "forename", "surname", "birthDate", "postcode", "registration", "caseReference")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def _log(conn: Connection, gov: Governance, ctx: Context, action: str, subjects: Sequence[str], details: dict[str, Any]) -> None:
    audit.append(conn, operation="security", action=action, user=ctx.user, purpose=str(ctx.purpose), component=COMPONENT,
                 client=ctx.client, subjects=subjects, details=details, at=gov.clock())


_ENTRY_COLUMNS = [t.audit_log.c[f.name] for f in fields(AuditEntry)]


def _entries(conn: Connection, *, after: int = 0, upto: int | None = None, since: str | None = None,
             until: str | None = None) -> list[AuditEntry]:
    q = select(*_ENTRY_COLUMNS).where(t.audit_log.c.seq > after)
    if upto is not None:
        q = q.where(t.audit_log.c.seq <= upto)
    if since is not None:
        q = q.where(t.audit_log.c.at >= since)
    if until is not None:
        q = q.where(t.audit_log.c.at < until)
    return [AuditEntry(**row._mapping) for row in conn.execute(q.order_by(t.audit_log.c.seq))]


def _is_access(e: AuditEntry) -> bool:
    """A successful read or disclosure by a user, other than oversight's own."""
    return e.operation in ("consultation", "disclosure") and e.outcome == "ok" and e.component != COMPONENT


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# -- alerts -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Alert:
    id: int
    rule: str
    user: str
    raised_at: str
    first_at: str
    last_at: str
    summary: str
    seqs: tuple[int, ...]
    subjects: tuple[dict[str, str], ...]
    payload: dict[str, Any]
    status: str
    reviewer: str | None
    closed_at: str | None
    outcome: str | None
    reason: str | None

    def as_dict(self, *, proofs: bool = False) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "payload"}
        out["seqs"] = list(self.seqs)
        out["subjects"] = list(self.subjects)
        if proofs:
            out["tree_head"] = self.payload.get("tree_head")
            out["proofs"] = self.payload.get("proofs")
        return out


def _alert(row: Any) -> Alert:
    m = row._mapping
    return Alert(
        id=int(m["id"]), rule=m["rule"], user=m["user"], raised_at=m["raised_at"], first_at=m["first_at"],
        last_at=m["last_at"], summary=m["summary"], seqs=tuple(json.loads(m["seqs"])),
        subjects=tuple(json.loads(m["subjects"])), payload=json.loads(m["payload"]), status=m["status"],
        reviewer=m["reviewer"], closed_at=m["closed_at"], outcome=m["outcome"], reason=m["reason"],
    )


def _alerts(conn: Connection, *, status: str | None = None, rule: str | None = None, user: str | None = None,
            ids: Iterable[int] | None = None) -> list[Alert]:
    a = t.oversight_alerts
    q = select(a)
    if status:
        q = q.where(a.c.status == status)
    if rule:
        q = q.where(a.c.rule == rule)
    if user:
        q = q.where(a.c.user == user)
    if ids is not None:
        q = q.where(a.c.id.in_(list(ids)))
    return [_alert(r) for r in conn.execute(q.order_by(a.c.id))]


# -- scanning -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ScanReport:
    from_seq: int
    to_seq: int
    processed: int
    alerts: tuple[Alert, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"from_seq": self.from_seq, "to_seq": self.to_seq, "processed": self.processed,
                "alerts": [a.as_dict() for a in self.alerts]}


def _last_seq(conn: Connection) -> int:
    row = conn.execute(select(t.oversight_state.c.value).where(t.oversight_state.c.name == STATE_KEY)).first()
    return 0 if row is None else int(row[0])


def _chunks(ids: Sequence[str]) -> Iterable[list[str]]:
    for i in range(0, len(ids), _CHUNK):
        yield list(ids[i:i + _CHUNK])


def _gather_facts(op: Operation, ids: Sequence[str]) -> dict[str, RecordFacts]:
    """Schema, identity values, victim/witness involvements and case links of the records."""
    facts: dict[str, RecordFacts] = {}
    for chunk in _chunks(sorted(set(ids))):
        for rec in op.entities(ids=chunk):
            facts[rec.id] = RecordFacts(schema=rec.schema)
    known = sorted(facts)
    parts: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for chunk in _chunks(known):
        for s in op.statements(chunk, props=_FACT_PROPS):
            parts[s.entity_id][s.prop].add(s.value)
    for eid, props in parts.items():
        f = facts[eid]
        f.names |= {name_key(v) for p in NAME_PROPS for v in props.get(p, ())}
        f.names |= {name_key(f"{a} {b}") for a in props.get("forename", ()) for b in props.get("surname", ())}
        f.birth_dates |= props.get("birthDate", set())
        f.postcodes |= props.get("postcode", set())
        f.vrms |= props.get("registration", set())
    people = [i for i in known if facts[i].schema == "Person"]
    for chunk in _chunks(people):
        for lk in op.links(entity_ids=chunk, schema="Involvement"):
            if lk.source_id in facts and str(lk.properties.get("category", "")) in VICTIM_CATEGORIES:
                facts[lk.source_id].victim_of.add(lk.target_id)
    events = sorted({e for i in people for e in facts[i].victim_of})
    case_of: dict[str, set[str]] = defaultdict(set)
    for chunk in _chunks(sorted(set(people) | set(events))):
        for lk in op.links(entity_ids=chunk, schema="CaseLink"):
            case_of[lk.source_id].add(lk.target_id)
    refs: dict[str, set[str]] = defaultdict(set)
    for chunk in _chunks(sorted(case_of)):
        for s in op.statements(chunk, props=["caseReference"]):
            refs[s.entity_id].add(s.value)
    for case_entity, targets in case_of.items():
        for target in targets:
            facts.setdefault(target, RecordFacts(schema="")).cases |= refs.get(case_entity, set())
    return facts


def _memberships(conn: Connection) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for ref, user in conn.execute(select(t.case_members.c.case_reference, t.case_members.c.user)):
        out[str(user)].add(str(ref))
    return out


def _proofs(conn: Connection, seqs: Iterable[int], signing_key: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """A signed head of the log now, and an RFC 6962 inclusion proof of each entry against it."""
    key = integrity.ensure_signing_key(signing_key)
    sth = integrity.checkpoint(conn, key)
    pub = key.public_key()
    proofs = {str(s): doc for s, doc in integrity.inclusions(conn, list(seqs), head=sth, public_key=pub).items()}
    return sth.to_dict(), proofs


def scan(gov: Governance, ctx: Context, *, signing_key: Path, config: OversightConfig | None = None) -> ScanReport:
    """Run every rule over the entries added since the last scan and queue their alerts."""
    require_auditor(gov, ctx, "oversight.scan")
    config = config or OversightConfig()
    with gov.store.connect() as conn:
        last = _last_seq(conn)
        top = audit.size(conn)
        batch = _entries(conn, after=last, upto=top)
        access = [e for e in batch if _is_access(e)]
        history: list[AuditEntry] = []
        if access:
            window = max(timedelta(hours=config.non_case_window_hours), timedelta(days=config.repeat_window_days))
            since = _stamp(parse_at(access[0].at) - window)
            history = [e for e in _entries(conn, upto=last, since=since) if _is_access(e)]
        interests = register.interests(conn)
        data = ScanData(entries=access, history=history, facts={}, interests=interests, watchlist=register.watchlist(conn),
                        shifts=register.shifts(conn), memberships=_memberships(conn), config=config)
        recent = {(a.rule, a.user): a.last_at for a in _alerts(conn) if a.rule in WINDOWED}
    ids = sorted({s for e in access + history for s in e.subject_ids()})
    if ids:
        with gov.operation(ctx, "consultation", "oversight.scan", component=COMPONENT) as op:
            data.facts = _gather_facts(op, ids)
            op.note(audit_entries=f"{last + 1}-{top}")
    findings: list[Finding] = []
    for name, rule in RULES.items():
        for f in rule(data):
            seen = recent.get((name, f.user))
            first_at = min(e.at for e in access + history if e.seq in f.seqs)
            if seen is not None and seen >= first_at:
                continue  # an earlier alert already covers this window
            findings.append(f)
    with gov.store.begin() as conn:
        if _last_seq(conn) != last:
            raise Conflict("another scan ran at the same time; run the scan again")
        by_seq = {e.seq: e for e in access + history}
        head, proofs = _proofs(conn, {s for f in findings for s in f.seqs}, signing_key) if findings else ({}, {})
        raised_ids: list[int] = []
        for f in findings:
            times = sorted(by_seq[s].at for s in f.seqs)
            subjects = [{"id": s, "schema": data.facts[s].schema if s in data.facts else ""} for s in f.subjects]
            payload = {"tree_head": head, "proofs": {str(s): proofs[str(s)] for s in f.seqs}}
            result = conn.execute(insert(t.oversight_alerts).values(
                rule=f.rule, user=f.user, raised_at=gov.clock(), first_at=times[0], last_at=times[-1],
                summary=audit.encode_field(f.summary), seqs=json.dumps(list(f.seqs)), subjects=json.dumps(subjects),
                payload=json.dumps(payload, sort_keys=True), status="open",
            ))
            key = result.inserted_primary_key
            if key is None:  # pragma: no cover - both backends return the new id
                raise Conflict("the alert was not stored")
            raised_ids.append(int(key[0]))
        values = {"name": STATE_KEY, "value": str(top)}
        if conn.execute(select(t.oversight_state.c.name).where(t.oversight_state.c.name == STATE_KEY)).first():
            conn.execute(update(t.oversight_state).where(t.oversight_state.c.name == STATE_KEY).values(value=str(top)))
        else:
            conn.execute(insert(t.oversight_state).values(**values))
        _log(conn, gov, ctx, "oversight.scan", [str(i) for i in raised_ids],
             {"from_seq": last + 1, "to_seq": top, "alerts": dict(Counter(f.rule for f in findings))})
        raised = _alerts(conn, ids=raised_ids)
    return ScanReport(from_seq=last + 1, to_seq=top, processed=len(batch), alerts=tuple(raised))


# -- the queue ----------------------------------------------------------------------------
def list_alerts(gov: Governance, ctx: Context, *, status: str | None = None, rule: str | None = None,
                user: str | None = None) -> list[Alert]:
    require_auditor(gov, ctx, "oversight.alerts")
    if status is not None and status not in ("open", "closed"):
        raise InvalidData("bad filter", [Problem("must be open or closed", field="status", value=status)])
    if rule is not None and rule not in RULES:
        raise InvalidData("bad filter", [Problem(f"must be one of {', '.join(RULES)}", field="rule", value=rule)])
    with gov.store.begin() as conn:
        found = _alerts(conn, status=status, rule=rule, user=user)
        _log(conn, gov, ctx, "oversight.alerts", [str(a.id) for a in found],
             {k: v for k, v in {"status": status, "rule": rule, "user": user}.items() if v})
    return found


def _get(conn: Connection, alert_id: int) -> Alert:
    found = _alerts(conn, ids=[alert_id])
    if not found:
        raise NotFound(f"no alert {alert_id}")
    return found[0]


def show_alert(gov: Governance, ctx: Context, alert_id: int, *, open_records: bool = False) -> dict[str, Any]:
    """An alert with its entries and proofs; the records it concerns by id and schema only,
    unless ``open_records``, which reads their values under the reviewer's purpose (PUR-5)."""
    require_auditor(gov, ctx, "oversight.alert.show")
    with gov.store.begin() as conn:
        alert = _get(conn, alert_id)
        entries = [e for s in alert.seqs if (e := audit.get_entry(conn, s)) is not None]
        _log(conn, gov, ctx, "oversight.alert.show", [str(alert_id)], {"opened": open_records})
    out = alert.as_dict(proofs=True)
    # the triggering entries, without the ids they returned: those are the subjects above
    out["entries"] = [{"seq": e.seq, "at": e.at, "operation": e.operation, "action": e.action, "user": e.user,
                       "purpose": e.purpose, "records": len(e.subject_ids())} for e in entries]
    if open_records:
        ids = [s["id"] for s in alert.subjects]
        values: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        with gov.operation(ctx, "consultation", "oversight.alert.open", component=COMPONENT) as op:
            op.note(alert=alert_id)
            for s in op.statements(ids):
                values[s.entity_id][s.prop].append(s.value)
        out["records"] = {k: {p: sorted(v) for p, v in props.items()} for k, props in values.items()}
    return out


def close_alert(gov: Governance, ctx: Context, alert_id: int, *, outcome: str, reason: str) -> Alert:
    require_auditor(gov, ctx, "oversight.alert.close")
    problems = []
    if outcome not in OUTCOMES:
        problems.append(Problem(f"must be one of {', '.join(OUTCOMES)}", field="outcome", value=outcome))
    if len(reason.strip()) < MIN_REASON:
        problems.append(Problem(f"give a reason of at least {MIN_REASON} characters", field="reason"))
    if problems:
        raise InvalidData("cannot close the alert", problems)
    with gov.store.begin() as conn:
        alert = _get(conn, alert_id)
        if alert.status == "closed":
            raise Conflict(f"alert {alert_id} was closed already by {alert.reviewer} at {alert.closed_at}")
        if alert.user == ctx.user:
            raise Conflict(f"alert {alert_id} is about {ctx.user!r}, who cannot review it")
        conn.execute(update(t.oversight_alerts).where(t.oversight_alerts.c.id == alert_id).values(
            status="closed", reviewer=ctx.user, closed_at=gov.clock(), outcome=outcome,
            reason=audit.encode_field(reason.strip())))
        _log(conn, gov, ctx, "oversight.alert.close", [str(alert_id)], {"outcome": outcome})
        return _get(conn, alert_id)


# -- the weekly review (PUR-6) ------------------------------------------------------------
def parse_week(week: str) -> tuple[datetime, datetime]:
    """The UTC Monday 00:00 that starts ISO week ``YYYY-Www`` and the next Monday."""
    m = _WEEK.match(week.strip())
    start_day: date | None = None
    if m:
        try:
            start_day = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
        except ValueError:
            start_day = None
    if start_day is None:
        raise InvalidData("bad week", [Problem("an ISO week is like 2026-W48", field="week", value=week)])
    start = datetime.combine(start_day, datetime.min.time(), UTC)
    return start, start + timedelta(days=7)


def week_of(moment: datetime) -> str:
    y, w, _ = moment.astimezone(UTC).isocalendar()
    return f"{y}-W{w:02d}"


def _reviews(conn: Connection) -> dict[str, dict[str, str]]:
    r = t.oversight_reviews
    return {row.week: {"reviewed_by": row.reviewed_by, "reviewed_at": row.reviewed_at, "outcome": row.outcome,
                       "note": row.note, "report_sha256": row.report_sha256}
            for row in conn.execute(select(r))}


def unreviewed_weeks(conn: Connection, now: datetime) -> list[str]:
    """Completed weeks, from the week of the earliest audit entry, with no recorded review."""
    first: str | None = conn.execute(select(func.min(t.audit_log.c.at))).scalar_one()
    if first is None:
        return []
    reviewed = set(_reviews(conn))
    out = []
    start, _ = parse_week(week_of(parse_at(first)))
    while start + timedelta(days=7) <= now:
        week = week_of(start)
        if week not in reviewed:
            out.append(week)
        start += timedelta(days=7)
    return out


def _purpose_kind(purpose: str) -> str:
    if is_case_purpose(purpose):
        return "case"
    code, sep, _ = purpose.partition(":")
    return code.strip() if sep else (purpose or "none")


def _build_report(conn: Connection, week: str, config: OversightConfig) -> dict[str, Any]:
    start, end = parse_week(week)
    entries = _entries(conn, since=_stamp(start), until=_stamp(end))
    counts = Counter((e.user, e.operation, _purpose_kind(e.purpose)) for e in entries)
    non_case = [e for e in entries if _is_access(e) and not is_case_purpose(e.purpose)
                and _purpose_kind(e.purpose) not in AUDIT_CODES]
    # the same week always draws the same sample, so the report can be regenerated exactly
    rng = random.Random(week)
    sample = sorted(rng.sample(non_case, min(config.review_sample, len(non_case))), key=lambda e: e.seq)
    a = t.oversight_alerts
    lo, hi = _stamp(start), _stamp(end)
    raised = conn.execute(select(a.c.id, a.c.rule, a.c.user).where(a.c.raised_at >= lo, a.c.raised_at < hi).order_by(a.c.id)).all()
    closed = conn.execute(select(a.c.id, a.c.rule, a.c.user, a.c.outcome, a.c.reviewer)
                          .where(a.c.closed_at >= lo, a.c.closed_at < hi).order_by(a.c.id)).all()
    return {
        "week": week,
        "from": lo,
        "to": hi,
        "entries": len(entries),
        "first_seq": entries[0].seq if entries else None,
        "last_seq": entries[-1].seq if entries else None,
        "counts": [{"user": u, "operation": o, "purpose": p, "count": n} for (u, o, p), n in sorted(counts.items())],
        "non_case_reads": len(non_case),
        "sampled": [{"seq": e.seq, "at": e.at, "user": e.user, "action": e.action, "purpose": e.purpose,
                     "records": len(e.subject_ids())} for e in sample],
        "alerts_raised": [{"id": r[0], "rule": r[1], "user": r[2]} for r in raised],
        "alerts_closed": [{"id": r[0], "rule": r[1], "user": r[2], "outcome": r[3], "reviewer": r[4]} for r in closed],
    }


def _digest(report: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(report, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def weekly_report(gov: Governance, ctx: Context, week: str, *, config: OversightConfig | None = None,
                  now: datetime | None = None) -> dict[str, Any]:
    """The review report of one ISO week, with its recorded review and the weeks still unreviewed."""
    require_auditor(gov, ctx, "oversight.report")
    now = now or datetime.now(UTC)
    start, _ = parse_week(week)
    if start > now:
        raise InvalidData("bad week", [Problem("that week has not started yet", field="week", value=week)])
    with gov.store.begin() as conn:
        report = _build_report(conn, week, config or OversightConfig())
        report["sha256"] = _digest(report)
        report["complete"] = start + timedelta(days=7) <= now
        report["review"] = _reviews(conn).get(week)
        report["unreviewed_weeks"] = unreviewed_weeks(conn, now)
        _log(conn, gov, ctx, "oversight.report", [week], {"entries": report["entries"], "sha256": report["sha256"]})
    return report


def record_review(gov: Governance, ctx: Context, week: str, *, outcome: str, note: str = "",
                  config: OversightConfig | None = None, now: datetime | None = None) -> dict[str, str]:
    """Record that the week's report was reviewed (who, when, outcome) against its digest."""
    require_auditor(gov, ctx, "oversight.review")
    now = now or datetime.now(UTC)
    _, end = parse_week(week)
    if outcome not in REVIEW_OUTCOMES:
        raise InvalidData("bad review", [Problem(f"must be one of {', '.join(REVIEW_OUTCOMES)}", field="outcome", value=outcome)])
    if end > now:
        raise InvalidData("bad review", [Problem("a week is reviewed once it has ended", field="week", value=week)])
    with gov.store.begin() as conn:
        done = _reviews(conn).get(week)
        if done is not None:
            raise Conflict(f"week {week} was reviewed already by {done['reviewed_by']} at {done['reviewed_at']}")
        digest = _digest(_build_report(conn, week, config or OversightConfig()))
        row = {"week": week, "reviewed_by": ctx.user, "reviewed_at": _stamp(now), "outcome": outcome,
               "note": audit.encode_field(note.strip()), "report_sha256": digest}
        conn.execute(insert(t.oversight_reviews).values(**row))
        _log(conn, gov, ctx, "oversight.review", [week], {"outcome": outcome, "report_sha256": digest})
    return row


__all__ = [
    "OUTCOMES", "REVIEW_OUTCOMES", "Alert", "ScanReport", "close_alert", "list_alerts", "parse_week", "record_review",
    "scan", "show_alert", "unreviewed_weeks", "week_of", "weekly_report",
]
