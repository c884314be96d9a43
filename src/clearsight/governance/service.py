"""Audit services for the faces: reading the log (auditors only) and integrity checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clearsight.errors import Conflict, NotFound, PermissionDenied
from clearsight.governance import audit, integrity, treehead, witness
from clearsight.governance.context import AUDIT_CODES, Context
from clearsight.governance.gateway import Governance

AUDITOR_ROLES = ("auditor", "dpo")


def require_auditor(gov: Governance, ctx: Context, action: str, *, roles: tuple[str, ...] = AUDITOR_ROLES) -> None:
    """LOG-13: only auditors and DPOs (or the given roles), and only for a s.62(4) purpose.

    A refusal is itself logged as a security event.
    """
    reason = ""
    if not ctx.has_role(*roles):
        reason = f"user {ctx.user!r} needs the {' or '.join(roles)} role to use the audit log"
    elif ctx.purpose is None or not ctx.purpose.is_audit:
        reason = "audit log use needs a s.62(4) purpose: " + ", ".join(f"'{c}: why'" for c in AUDIT_CODES)
    if reason:
        gov.log_refusal(ctx, "security", action, "governance.audit", "denied", reason)
        raise PermissionDenied(reason)


def read_log(gov: Governance, ctx: Context, **filters: Any) -> list[audit.AuditEntry]:
    """Entries matching the filters; the query itself is audited (audit of audit)."""
    require_auditor(gov, ctx, "audit.log")
    with gov.store.begin() as conn:
        entries = audit.search(conn, **filters)
        audit.append(
            conn,
            operation="security",
            action="audit.log",
            user=ctx.user,
            purpose=str(ctx.purpose),
            component="governance.audit",
            client=ctx.client,
            subjects=[str(e.seq) for e in entries],
            details={"filters": {k: v for k, v in filters.items() if v is not None}},
        )
    return entries


def verify(gov: Governance, ctx: Context, *, against: Path | None = None, public_key: Path | None = None,
           signing_key: Path, witness_store: Path | None = None, workers: int | None = None) -> integrity.VerifyReport:
    """Verify the log, against a kept head or the newest head in a witness store if given."""
    require_auditor(gov, ctx, "audit.verify")
    if against is not None and witness_store is not None:
        raise Conflict("give a kept head (--against) or a witness store (--witness), not both")
    head = treehead.SignedTreeHead.from_json(against.read_text(encoding="utf-8")) if against else None
    key = None
    if head is not None or witness_store is not None:
        key = treehead.load_public_key(public_key or treehead.public_key_path(signing_key))
    if witness_store is not None and key is not None:
        head = witness.latest(witness_store, key)
        if head is None:
            raise NotFound(f"the witness store {witness.store_path(witness_store)} holds no tree head yet")
    with gov.store.connect() as conn:
        report = integrity.verify(conn, against=head, public_key=key, workers=workers)
    with gov.store.begin() as conn:
        audit.append(
            conn,
            operation="security",
            action="audit.verify",
            user=ctx.user,
            purpose=str(ctx.purpose),
            component="governance.audit",
            client=ctx.client,
            outcome="ok" if report.ok else "error",
            details={"entries": report.entries, "ok": report.ok, "first_bad_entry": report.first_bad_entry},
        )
    return report


def checkpoint(gov: Governance, ctx: Context, *, signing_key: Path) -> treehead.SignedTreeHead:
    require_auditor(gov, ctx, "audit.checkpoint")
    key = integrity.ensure_signing_key(signing_key)
    with gov.store.begin() as conn:
        sth = integrity.checkpoint(conn, key)
    return sth


def witness_push(gov: Governance, ctx: Context, target: Path, *, signing_key: Path) -> witness.PushResult:
    """Append the current signed head to a witness store once it proves consistent (LOG-9)."""
    require_auditor(gov, ctx, "audit.witness")
    key = integrity.ensure_signing_key(signing_key)
    with gov.store.begin() as conn:
        return witness.push(conn, key, target)


def prove(gov: Governance, ctx: Context, seq: int, *, head: Path | None, signing_key: Path) -> dict[str, Any]:
    require_auditor(gov, ctx, "audit.prove")
    sth = treehead.SignedTreeHead.from_json(head.read_text(encoding="utf-8")) if head else None
    pub = treehead.load_public_key(treehead.public_key_path(signing_key)) if signing_key.exists() else None
    with gov.store.connect() as conn:
        return integrity.inclusion(conn, seq, head=sth, public_key=pub)


def consistency(gov: Governance, ctx: Context, old: Path, new: Path | None, *, signing_key: Path) -> dict[str, Any]:
    require_auditor(gov, ctx, "audit.consistency")
    old_head = treehead.SignedTreeHead.from_json(old.read_text(encoding="utf-8"))
    new_head = treehead.SignedTreeHead.from_json(new.read_text(encoding="utf-8")) if new else None
    pub = treehead.load_public_key(treehead.public_key_path(signing_key)) if signing_key.exists() else None
    with gov.store.connect() as conn:
        return integrity.consistency(conn, old_head, new_head, public_key=pub)


__all__ = [
    "AUDITOR_ROLES", "checkpoint", "consistency", "prove", "read_log", "require_auditor", "verify", "witness_push",
]
