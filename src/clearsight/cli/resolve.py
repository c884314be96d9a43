"""``clearsight resolve`` and ``clearsight review``: resolve records into entities, and decide pairs."""

from __future__ import annotations

import csv
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from clearsight.cli.common import PurposeOption, err, print_json, state
from clearsight.errors import InvalidData, Problem
from clearsight.exports import safe_cell
from clearsight.resolution import review as review_service
from clearsight.resolution import service
from clearsight.resolution.model import EngineOptions
from clearsight.resolution.settings import Thresholds

app = typer.Typer(
    help="Resolve source records into canonical entities (Splink model, strong identifiers, human judgements).",
    invoke_without_command=True,
)
review_app = typer.Typer(help="The review queue: pairs the model was unsure of, and your decisions.", no_args_is_help=True)

SchemaOption = typer.Option("Person", "--schema", "-s", help="Schema to resolve: Person, Vehicle, Phone or Account.")


def _band(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    parts = [p.strip() for p in text.split(",")]
    try:
        low, high = (float(parts[0]), float(parts[1])) if len(parts) == 2 else (None, None)
    except ValueError:
        low = high = None
    if low is None or high is None:
        raise InvalidData("invalid --review-band", [Problem("give two probabilities as LOW,HIGH, e.g. 0.5,0.95", field="review-band", value=text)])
    return low, high


@app.callback()
def resolve(
    ctx: typer.Context,
    schema: str = SchemaOption,
    threshold: float = typer.Option(0.95, "--threshold", "-t", help="Merge pairs whose match probability is at least this."),
    review_band: str | None = typer.Option(None, "--review-band", help="LOW,HIGH: pairs in [LOW, HIGH) go to review (default 0.5,<threshold>)."),
    full: bool = typer.Option(False, "--full", help="Retrain and rescore everything instead of matching only new records."),
    include_e_graded: bool = typer.Option(False, "--include-e-graded", help="Let E-graded intelligence feed resolution (off by default, INT-3)."),
    purpose: str | None = PurposeOption,
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Resolve a schema's records into canonical entities.

    The first run trains a model; later runs match only new or changed records against the
    existing clusters with the stored model (use --full to retrain). Scores are assessments.

    Example: clearsight resolve --purpose 'DATA-QUALITY: weekly resolution of people' --threshold 0.95 --review-band 0.5,0.95
    """
    if ctx.invoked_subcommand is not None:
        return
    st = state(ctx)
    ws = st.workspace()
    band = _band(review_band)
    thresholds = Thresholds(merge=threshold, review_low=band[0] if band else 0.5, review_high=band[1] if band else None)
    options = EngineOptions(memory_limit=st.settings.duckdb_memory_limit, threads=st.settings.duckdb_threads)
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task(f"resolving {schema}", total=1.0)

        def report(step: str, fraction: float) -> None:
            bar.update(task, description=step, completed=fraction)

        summary = service.resolve(
            ws.governance, ws.context(purpose), schema=schema, thresholds=thresholds, options=options,
            incremental=False if full else None, include_e_graded=include_e_graded, progress=report,
        )
    if as_json:
        print_json(summary.as_dict())
        return
    err.print(
        f"[green]Resolved[/green] {summary.records:,} {schema} records ({summary.mode}, {summary.new_records:,} matched): "
        f"{summary.clusters:,} entities hold {summary.clustered_records:,} records; "
        f"{summary.merges:,} merges, {summary.splits:,} splits."
    )
    err.print(f"Pairs: {', '.join(f'{k} {v:,}' for k, v in sorted(summary.pairs.items())) or 'none'}; model {summary.model_version or '(rules only)'}.")
    err.print(f"[dim]{summary.note}[/dim]")


@app.command("export")
def export_(
    ctx: typer.Context,
    out: Path = typer.Argument(..., help="CSV file to write."),
    purpose: str | None = PurposeOption,
) -> None:
    """Write every source record with its source, record key and canonical entity id (CSV).

    Cells are written so that a spreadsheet never evaluates them as formulas.

    Example: clearsight resolve export people.csv --purpose 'case:OP-LANTERN entity list'
    """
    st = state(ctx)
    ws = st.workspace()
    schema = ctx.parent.params.get("schema", "Person") if ctx.parent else "Person"
    rows = service.export(ws.governance, ws.context(purpose), schema=str(schema))
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["source", "record_key", "entity_id", "canonical_id"])
        for r in rows:
            writer.writerow([safe_cell(r.source), safe_cell(r.record_key), safe_cell(r.entity_id), safe_cell(r.canonical_id)])
    err.print(f"[green]Wrote[/green] {len(rows):,} records to {out}.")


@app.command("models")
def models_(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
    """List stored resolution models, newest first, with their training figures.

    Example: clearsight resolve models
    """
    st = state(ctx)
    ws = st.workspace()
    schema = ctx.parent.params.get("schema") if ctx.parent else None
    found = service.models(ws.governance, ws.context(None), schema=str(schema) if schema else None)
    if as_json:
        print_json([{"version": m.version, "schema": m.schema, "created_at": m.created_at, "created_by": m.created_by,
                     "active": m.active, "metrics": m.metrics} for m in found])
        return
    table = Table(show_edge=False)
    for col in ("version", "schema", "created (UTC)", "by", "active", "records", "m estimated by"):
        table.add_column(col)
    for m in found:
        table.add_row(m.version, m.schema, m.created_at, m.created_by, "yes" if m.active else "", str(m.metrics.get("records", "")),
                      str(m.metrics.get("m", ""))[:60])
    err.print(table)


def _short(values: dict[str, list[str]]) -> str:
    parts = [", ".join(values.get(p, [])) for p in ("forename", "surname", "name", "birthDate", "postcode")]
    return " | ".join(p for p in parts if p)


@review_app.command("list")
def list_(
    ctx: typer.Context,
    schema: str = SchemaOption,
    limit: int = typer.Option(50, "--limit"),
    purpose: str | None = PurposeOption,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List pairs waiting for a decision, most likely first.

    Example: clearsight review list --purpose 'DATA-QUALITY: review of uncertain matches'
    """
    ws = state(ctx).workspace()
    items = review_service.queue(ws.governance, ws.context(purpose), schema=schema, limit=limit)
    if as_json:
        print_json([i.as_dict() for i in items])
        return
    table = Table(show_edge=False, title="Pairs to review (scores are assessments, not facts)")
    for col in ("pair", "probability", "weight", "left", "right"):
        table.add_column(col)
    for i in items:
        table.add_row(i.pair.id[:12], f"{i.pair.match_probability:.3f}", f"{i.pair.match_weight:.1f}", _short(i.left), _short(i.right))
    err.print(table)


@review_app.command("show")
def show(
    ctx: typer.Context,
    pair: str = typer.Argument(..., help="The pair id (from review list)."),
    schema: str = SchemaOption,
    purpose: str | None = PurposeOption,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Show a pair: both records, the match-weight waterfall and any judgements.

    Example: clearsight review show 3f2a... --purpose 'DATA-QUALITY: review of uncertain matches'
    """
    ws = state(ctx).workspace()
    item = review_service.show(ws.governance, ws.context(purpose), pair=pair, schema=schema)
    if as_json:
        print_json(item.as_dict(detail=True))
        return
    err.print(f"[bold]Pair {item.pair.id}[/bold]  status {item.pair.status}, probability {item.pair.match_probability:.4f}, "
              f"weight {item.pair.match_weight:.2f}, model {item.pair.model_version}")
    records = Table(show_edge=False)
    records.add_column("property")
    records.add_column(item.pair.left_id[:12])
    records.add_column(item.pair.right_id[:12])
    for prop in sorted(set(item.left) | set(item.right)):
        records.add_row(prop, ", ".join(item.left.get(prop, [])), ", ".join(item.right.get(prop, [])))
    err.print(records)
    waterfall = Table(show_edge=False, title="What each comparison contributed (match weight)")
    for col in ("comparison", "level", "weight"):
        waterfall.add_column(col)
    for name, level, weight in item.waterfall():
        waterfall.add_row(name, level, f"{weight:+.2f}")
    err.print(waterfall)
    for j in item.judgements:
        state_text = f"undone by {j.deleted_by} at {j.deleted_at}" if j.deleted_at else "live"
        err.print(f"judgement {j.id}: {j.judgement} by {j.user} at {j.created_at} ({state_text}): {j.reason}")
    err.print(f"[dim]{item.note}[/dim]")


@review_app.command("decide")
def decide(
    ctx: typer.Context,
    judgement: str = typer.Argument(..., help="same, not_same or split."),
    pair: str | None = typer.Option(None, "--pair", help="A pair id from review list."),
    left: str | None = typer.Option(None, "--left", help="A record id (for split: the record to take out)."),
    right: str | None = typer.Option(None, "--right", help="The other record id."),
    reason: str = typer.Option(..., "--reason", "-r", help="Why (required; stored and audited)."),
    schema: str = SchemaOption,
    purpose: str | None = PurposeOption,
) -> None:
    """Record your decision on a pair (or split a record out of its cluster); it overrides the model.

    Example: clearsight review decide not_same --pair 3f2a... --reason 'twins: different PNC records' --purpose 'case:OP-1'
    """
    ws = state(ctx).workspace()
    d = review_service.decide(ws.governance, ws.context(purpose), judgement=judgement, reason=reason, pair=pair,
                              left_id=left, right_id=right, schema=schema)
    err.print(f"[green]Recorded[/green] judgement {d.judgement_id} ({d.judgement}) on {d.left_id} / {d.right_id}: "
              f"{len(d.changes)} cluster change(s). Undo with: clearsight review undo {d.judgement_id} --reason ...")


@review_app.command("undo")
def undo(
    ctx: typer.Context,
    judgement_id: int = typer.Argument(..., help="The judgement to undo."),
    reason: str = typer.Option(..., "--reason", "-r", help="Why (required; stored and audited)."),
    schema: str = SchemaOption,
    purpose: str | None = PurposeOption,
) -> None:
    """Undo a judgement; the clusters it touched are recomputed.

    Example: clearsight review undo 12 --reason 'decided on the wrong pair' --purpose 'case:OP-1'
    """
    ws = state(ctx).workspace()
    d = review_service.undo(ws.governance, ws.context(purpose), judgement_id=judgement_id, reason=reason, schema=schema)
    err.print(f"[green]Undone[/green] judgement {d.judgement_id} ({d.judgement}): {len(d.changes)} cluster change(s).")


__all__ = ["app", "review_app"]
