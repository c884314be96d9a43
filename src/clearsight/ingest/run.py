"""Run an ingest: read a source through its mapping and write it in governed batches.

Each batch of ``batch_size`` rows is one governed "collection" operation: its entities,
statements and links land in the same transaction as its audit entry, or not at all. The
entry's details carry the source, run id, batch number and counts; the last batch's entry
marks the run complete with its totals. Killing the process loses at most the batch in
flight; running the same command again completes the load (ids are deterministic, so the
batches already written are recognised and nothing is written twice).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from clearsight.errors import InvalidData, PermissionDenied, Problem
from clearsight.governance.audit import utc_now
from clearsight.governance.context import Context
from clearsight.governance.gateway import Governance
from clearsight.governance.markings import Marking
from clearsight.ingest.mapping import Mapping, check_header, load_mapping
from clearsight.ingest.readers import Source, open_source
from clearsight.ingest.rejections import RejectionReport
from clearsight.ingest.transform import RowTransformer
from clearsight.store.ingest_writes import IngestBatch, RunInfo, mark_run, write_batch

#: rows handed to the transform at a time (and how often progress is reported)
CHUNK_ROWS = 1000
#: progress callback: (rows read so far, bytes read so far or None, total bytes or None)
Progress = Callable[[int, int | None, int | None], None]


@dataclass
class IngestSummary:
    """What an ingest run read and wrote."""

    run_id: str
    source: str
    location: str
    mapping: str
    owner_group: str
    rows_read: int = 0
    rows_rejected: int = 0
    warnings: int = 0
    entities_written: int = 0
    statements_written: int = 0
    statements_superseded: int = 0
    links_written: int = 0
    duplicate_keys: int = 0
    batches: int = 0
    seconds: float = 0.0
    completed_runs: list[str] = field(default_factory=list)
    report: tuple[Path, Path] | None = None

    @property
    def unchanged(self) -> bool:
        """True when the run found nothing new or changed (a re-run of a loaded file)."""
        return not (self.entities_written or self.statements_written or self.statements_superseded or self.links_written)

    def as_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["report"] = [str(p) for p in self.report] if self.report else None
        out["unchanged"] = self.unchanged
        return out


def new_run_id() -> str:
    """A run id that sorts by start time: ``20261122T104000-1a2b3c4d``."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"


def owner_group_for(ctx: Context, group: str | None) -> str:
    """The need-to-know group a new dataset belongs to (ACC-9).

    The ``group`` asked for (which the user must hold, unless an administrator), else the
    user's first group in name order (case groups excluded).

    Raises:
        PermissionDenied: the user holds no group, or not the one asked for.
    """
    own = sorted(g for g in ctx.groups if not g.startswith("case:"))
    if group:
        if group not in ctx.groups and not ctx.has_role("admin"):
            raise PermissionDenied(f"user {ctx.user!r} is not in group {group!r}, so cannot ingest data for it")
        return group
    if not own:
        raise PermissionDenied(f"user {ctx.user!r} belongs to no group; give --group to name the dataset's owning group")
    return own[0]


def content_hash(location: str, fmt: str) -> str:
    """SHA-256 of a file source (empty for databases)."""
    if fmt == "sql":
        return ""
    path = Path(location[len("file://") :] if location.startswith("file://") else location)
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _batches(source: Source, transformer: RowTransformer, size: int, report: RejectionReport,
             progress: Progress | None) -> Iterator[IngestBatch]:
    """Transformed batches; a full batch is handed on only when the next row exists, so the
    last batch is never empty unless the source is.

    Rows reach the transform in chunks (a column at a time is cheaper than a row at a
    time); a chunk never crosses a batch boundary.
    """
    number = 1
    batch = transformer.new_batch(number)
    in_batch = 0
    rows = 0
    chunk: list[tuple[int, list[Any]]] = []
    step = min(size, CHUNK_ROWS)

    def flush(*, reading: bool = True) -> None:
        nonlocal rows
        problems = transformer.add_rows(batch, chunk)
        if problems:
            report.add(problems)
        rows += len(chunk)
        chunk.clear()
        if progress is not None and reading:  # once the source is read, the last call says so
            progress(rows, source.tell() if source.tell else None, source.size)

    for record in source.records:
        if in_batch == size:
            flush()
            batch.field_stats = transformer.field_stats()
            yield batch
            number += 1
            batch = transformer.new_batch(number)
            in_batch = 0
        chunk.append(record)
        in_batch += 1
        if len(chunk) == step and in_batch < size:
            flush()
    if chunk:
        flush(reading=False)
    batch.field_stats = transformer.field_stats()
    yield batch
    if progress is not None:
        progress(rows, source.size, source.size)


def ingest(
    gov: Governance,
    ctx: Context,
    location: str,
    mapping: str | Path | Mapping,
    *,
    reports_dir: Path,
    source_name: str | None = None,
    group: str | None = None,
    batch_size: int = 5000,
    default_marking: str | None = None,
    progress: Progress | None = None,
) -> IngestSummary:
    """Ingest one file or database query through a mapping.

    Args:
        gov: the governance gateway of the workspace.
        ctx: who ingests, and why (a purpose is required).
        location: a file path, or a database URL for a ``sql`` mapping.
        mapping: a mapping file, a built-in mapping name, or a loaded mapping.
        reports_dir: the workspace's reports folder; the run's reports go in
            ``ingest-<run id>/`` under it.
        source_name: the source to register (default: the mapping's name).
        group: the owning group (default: the user's first group).
        batch_size: rows per all-or-nothing batch.
        default_marking: the classification for a mapping that sets none.
        progress: called as rows are read.

    Returns:
        The run's summary.

    Raises:
        MappingError: the mapping is wrong or the source lacks mapped columns (nothing loaded).
        PermissionDenied: no purpose, or not allowed to own the data for that group.
    """
    started = time.perf_counter()
    ctx.require_purpose()
    loaded = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    owner = owner_group_for(ctx, group)
    fmt = loaded.format_for(location)
    src = open_source(location, fmt, loaded.options, list(loaded.columns), batch=batch_size)
    if fmt in ("csv", "xlsx", "sql"):
        check_header(loaded, src.header, src.location)
    name = source_name or loaded.name
    if not name or len(name) > 100:
        raise InvalidData("a source name of 1 to 100 characters is required", [Problem("give --source NAME", field="source")])
    run_id = new_run_id()
    base = Marking.from_dict(default_marking) if default_marking else None
    transformer = RowTransformer(loaded, source=name, header=src.header, location=src.location, owner_group=owner, default_marking=base)
    run = RunInfo(
        run_id=run_id, source=name, location=src.location, mapping=loaded.origin, user=ctx.user,
        purpose=str(ctx.purpose), owner_group=owner, kind=loaded.kind, description=loaded.description,
        content_hash=content_hash(location, fmt),
    )
    summary = IngestSummary(run_id=run_id, source=name, location=src.location, mapping=loaded.origin, owner_group=owner)
    report = RejectionReport(reports_dir / f"ingest-{run_id}")
    batches = _batches(src, transformer, batch_size, report, progress)
    try:
        pending = next(batches)
        for following in batches:
            _write(gov, ctx, run, pending, summary, last=False)
            pending = following
        _write(gov, ctx, run, pending, summary, last=True)
    except BaseException as exc:
        summary.report = report.finish()
        if summary.batches:
            status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
            _stop(gov, ctx, run, status, summary)
        raise
    summary.report = report.finish()
    summary.seconds = time.perf_counter() - started
    return summary


def _write(gov: Governance, ctx: Context, run: RunInfo, batch: IngestBatch, summary: IngestSummary, *, last: bool) -> None:
    """Write one batch as one governed collection operation."""
    with gov.operation(ctx, "collection", "ingest", component="ingest") as op:
        result = op.write(write_batch, run=run, batch=batch, last=last, now=utc_now())
        op.record(result.changed_ids)
        counts = {
            "rows_read": batch.rows_read,
            "rows_rejected": batch.rows_rejected,
            "warnings": batch.warnings,
            "entities_written": result.entities_written,
            "statements_written": result.statements_written,
            "statements_superseded": result.statements_superseded,
            "links_written": result.links_written,
        }
        op.note(source=run.source, run_id=run.run_id, batch=batch.number, location=run.location,
                mapping=run.mapping, owner_group=run.owner_group, counts=counts)
        totals = {
            "rows_read": summary.rows_read + batch.rows_read,
            "rows_rejected": summary.rows_rejected + batch.rows_rejected,
            "warnings": summary.warnings + batch.warnings,
            "entities_written": summary.entities_written + result.entities_written,
            "statements_written": summary.statements_written + result.statements_written,
            "statements_superseded": summary.statements_superseded + result.statements_superseded,
            "links_written": summary.links_written + result.links_written,
            "batches": batch.number,
        }
        if last:
            op.note(complete=True, totals=totals, completes_runs=result.superseded_runs)
    summary.rows_read = totals["rows_read"]
    summary.rows_rejected = totals["rows_rejected"]
    summary.warnings = totals["warnings"]
    summary.entities_written = totals["entities_written"]
    summary.statements_written = totals["statements_written"]
    summary.statements_superseded = totals["statements_superseded"]
    summary.links_written = totals["links_written"]
    summary.duplicate_keys += result.duplicate_keys
    summary.batches = batch.number
    if last:
        summary.completed_runs = result.superseded_runs


def _stop(gov: Governance, ctx: Context, run: RunInfo, status: str, summary: IngestSummary) -> None:
    """Record that a started run stopped early (best effort: the batches written stay).

    Called while another error is on its way to the user, so a failure here must not hide
    that error; it goes to the operators' alerts instead of being lost.
    """
    try:
        with gov.operation(ctx, "collection", "ingest.stop", component="ingest") as op:
            op.write(mark_run, run_id=run.run_id, status=status, now=utc_now())
            op.note(source=run.source, run_id=run.run_id, status=status, batches_done=summary.batches)
    except Exception as exc:  # reported below; the original error propagates
        gov.alerts.raise_alert(
            "ingest-stop-unrecorded",
            f"ingest run {run.run_id} stopped ({status}) but its status could not be recorded",
            source=run.source,
            error=f"{type(exc).__name__}: {exc}",
        )


__all__ = ["IngestSummary", "Progress", "ingest", "new_run_id", "owner_group_for"]
