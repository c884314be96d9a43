"""The one path through which capabilities reach stored records.

A capability opens a governed operation with a :class:`Context`::

    with gov.operation(ctx, "consultation", "search") as op:
        hits = op.entities(schema="Person", ids=[...])
    return hits   # only reached if the audit entry was written

Inside, every store query runs with the viewer's :class:`Visibility` (markings, need-to-know,
restricted states), so hidden records leave no trace in results or counts (ACC-2, ACC-3).
On leaving the block, one audit entry is written in the same transaction, listing the ids
of every record returned or changed (LOG-1, LOG-2). If that write fails the transaction
rolls back, an operator alert is raised and the caller gets :class:`AuditFailure`, never
the data (LOG-12). Refusals and errors are logged too (LOG-11).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Connection, select
from sqlalchemy.exc import SQLAlchemyError

from clearsight.errors import AuditFailure, ClearsightError, NotFound, PermissionDenied
from clearsight.governance import audit
from clearsight.governance.alerts import AlertSink
from clearsight.governance.context import Context
from clearsight.governance.markings import Marking, visible
from clearsight.store import queries
from clearsight.store import tables as t
from clearsight.store.engine import Store
from clearsight.store.queries import EntityRecord, LinkRecord, StatementRecord
from clearsight.store.visibility import Visibility

R = TypeVar("R")

#: roles that may see restricted records, and only with a rights or legal purpose (ACC-10)
RESTRICTED_ROLES = ("rights", "dpo")


@dataclass
class Operation:
    """A governed unit of work: reads filtered for the viewer, one audit entry at the end."""

    ctx: Context
    operation: str
    action: str
    component: str
    visibility: Visibility
    _conn: Connection
    _markings: dict[str, Marking]
    subjects: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    # -- bookkeeping ---------------------------------------------------------------
    def record(self, ids: Iterable[str]) -> None:
        """Note ids returned, shown or changed by this operation (they go in the audit entry)."""
        self.subjects.extend(ids)

    def note(self, **details: Any) -> None:
        """Add details to the audit entry (counts, parameters; never property values)."""
        self.details.update(details)

    def marking(self, marking_id: str) -> Marking:
        return self._markings[marking_id]

    # -- reads -----------------------------------------------------------------------
    def run(self, query: Callable[..., R], /, **kwargs: Any) -> R:
        """Run a store query with this viewer's visibility."""
        return query(self._conn, visible=self.visibility, **kwargs)

    def entities(self, **kwargs: Any) -> list[EntityRecord]:
        rows = self.run(queries.entities, **kwargs)
        self.record(r.id for r in rows)
        return rows

    def entity(self, entity_id: str) -> EntityRecord:
        """One visible entity; hidden and missing look the same (ACC-3)."""
        rows = self.run(queries.entities, ids=[entity_id])
        if not rows:
            raise NotFound(f"no entity {entity_id!r}")
        self.record([entity_id])
        return rows[0]

    def count(self, **kwargs: Any) -> int:
        return self.run(queries.count_entities, **kwargs)

    def statements(self, entity_ids: Sequence[str], **kwargs: Any) -> list[StatementRecord]:
        rows = self.run(queries.statements, entity_ids=entity_ids, **kwargs)
        self.record({r.entity_id for r in rows})
        return rows

    def links(self, **kwargs: Any) -> list[LinkRecord]:
        rows = self.run(queries.links, **kwargs)
        self.record(r.id for r in rows)
        return rows

    # -- writes ----------------------------------------------------------------------
    def write(self, writer: Callable[..., R], /, **kwargs: Any) -> R:
        """Run a store writer in this operation's transaction (audited with it)."""
        return writer(self._conn, **kwargs)


class Governance:
    """Builds visibility for contexts and runs governed operations on a store."""

    def __init__(self, store: Store, *, alerts: AlertSink | None = None,
                 clock: Callable[[], str] | None = None) -> None:
        self.store = store
        self.alerts = alerts or AlertSink()
        #: the time audit entries are stamped with (UTC ISO 8601 'Z'); a fixed clock lets a
        #: test replay weeks of activity, the default is the system clock
        self.clock = clock or audit.utc_now

    # -- visibility -----------------------------------------------------------------
    def _markings(self, conn: Connection) -> dict[str, Marking]:
        out: dict[str, Marking] = {}
        for row in conn.execute(
            select(t.markings.c.id, t.markings.c.classification, t.markings.c.descriptors, t.markings.c.caveats, t.markings.c.groups)
        ):
            m = Marking.make(row[1], row[2], row[3], row[4])
            out[row[0]] = m
        return out

    def visibility(self, ctx: Context, markings: dict[str, Marking], *, include_restricted: bool = False) -> Visibility:
        ids = frozenset(
            mid
            for mid, m in markings.items()
            if visible(m, clearance=ctx.clearance, groups=ctx.groups, caveats=ctx.caveats)
        )
        states = {"active"}
        if include_restricted:
            states.add("restricted")
        return Visibility(marking_ids=ids, states=frozenset(states))

    # -- operations -----------------------------------------------------------------
    @contextmanager
    def operation(
        self,
        ctx: Context,
        operation: str,
        action: str,
        *,
        component: str = "",
        include_restricted: bool = False,
        purpose_required: bool = True,
    ) -> Iterator[Operation]:
        """Open a governed operation; see the module docstring."""
        component = component or action
        try:
            if purpose_required:
                ctx.require_purpose()
            if include_restricted:
                ctx.require_role(*RESTRICTED_ROLES)
                if ctx.purpose is None or ctx.purpose.code not in ("RIGHTS-REQUEST", "CRIMINAL-PROCEEDINGS"):
                    raise PermissionDenied("restricted records are read only for a rights request or legal proceedings")
        except PermissionDenied as exc:
            self.log_refusal(ctx, operation, action, component, "denied", str(exc))
            raise
        try:
            with self.store.engine.begin() as conn:
                marks = self._markings(conn)
                op = Operation(
                    ctx=ctx,
                    operation=operation,
                    action=action,
                    component=component,
                    visibility=self.visibility(ctx, marks, include_restricted=include_restricted),
                    _conn=conn,
                    _markings=marks,
                )
                yield op
                if ctx.purpose is not None and ctx.purpose.sampled:
                    op.details.setdefault("sampled_for_review", True)
                try:
                    audit.append(
                        conn,
                        operation=operation,
                        action=action,
                        user=ctx.user,
                        purpose=str(ctx.purpose) if ctx.purpose else "",
                        component=component,
                        client=ctx.client,
                        subjects=op.subjects,
                        details=op.details,
                        at=self.clock(),
                    )
                except SQLAlchemyError as exc:
                    self.alerts.raise_alert(
                        "audit-write-failed",
                        "an audit entry could not be written; the operation was refused",
                        user=ctx.user,
                        action=action,
                        error=str(getattr(exc, "orig", exc)),
                    )
                    raise AuditFailure(
                        "the audit log could not be written, so nothing was returned or changed; operators have been alerted"
                    ) from exc
        except AuditFailure:
            raise
        except (ClearsightError, SQLAlchemyError) as exc:
            denied = isinstance(exc, PermissionDenied)
            self.log_refusal(ctx, operation, action, component, "denied" if denied else "error",
                             str(exc) if denied else type(exc).__name__)
            raise

    def log_refusal(self, ctx: Context, operation: str, action: str, component: str, outcome: str, reason: str) -> None:
        """Record a refused or failed operation (LOG-11); alert if even that cannot be written."""
        try:
            with self.store.engine.begin() as conn:
                audit.append(
                    conn,
                    operation=operation,
                    action=action,
                    user=ctx.user,
                    purpose=str(ctx.purpose) if ctx.purpose else "",
                    component=component,
                    client=ctx.client,
                    outcome=outcome,
                    details={"reason": reason},
                    at=self.clock(),
                )
        except SQLAlchemyError as exc:
            self.alerts.raise_alert(
                "audit-write-failed",
                "a refused operation could not be logged",
                user=ctx.user,
                action=action,
                error=str(getattr(exc, "orig", exc)),
            )


__all__ = ["RESTRICTED_ROLES", "Governance", "Operation"]
