"""``clearsight ingest``, ``clearsight mapping`` and ``clearsight quality``: thin faces of
:mod:`clearsight.ingest`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from clearsight.cli.common import PURPOSE_HELP, err, print_json, state
from clearsight.errors import MappingError
from clearsight.ingest import assess, builtin_names, ingest, load_mapping, write_html

mapping_app = typer.Typer(help="Ingest mappings: check them against the ontology, list the built-in ones.", no_args_is_help=True)


def ingest_command(
    ctx: typer.Context,
    location: str = typer.Argument(..., help="File to load (CSV, JSON Lines, JSON, Excel), or a database URL for a sql mapping."),
    mapping: str = typer.Option(..., "--mapping", "-m", help="Mapping file (YAML) or built-in name, e.g. police-uk-street."),
    source: str | None = typer.Option(None, "--source", "-s", help="Source name (default: the mapping's name)."),
    group: str | None = typer.Option(None, "--group", "-g", help="Owning need-to-know group (default: your first group)."),
    purpose: str | None = typer.Option(None, "--purpose", "-p", envvar="CLEARSIGHT_PURPOSE", help=PURPOSE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Load a source through a mapping, in all-or-nothing batches, with provenance.

    Example: clearsight ingest 2017-07-west-yorkshire-street.csv --mapping police-uk-street -p 'INTELLIGENCE: monthly load'
    """
    st = state(ctx)
    ws = st.workspace()
    context = ws.context(purpose)
    with Progress(
        TextColumn("[bold]ingest[/bold]"), BarColumn(), TaskProgressColumn(), TextColumn("{task.fields[rows]:,} rows"),
        TimeElapsedColumn(), console=err, transient=True,
    ) as bar:
        task = bar.add_task("ingest", total=None, rows=0)

        def progress(rows: int, done: int | None, total: int | None) -> None:
            bar.update(task, completed=done if done is not None else rows, total=total, rows=rows)

        summary = ingest(
            ws.governance, context, location, mapping, reports_dir=st.settings.workspace / "reports",
            source_name=source, group=group, batch_size=st.settings.batch_size,
            default_marking=st.settings.default_marking, progress=progress,
        )
    if as_json:
        print_json(summary.as_dict())
    table = Table(title=f"Ingest run {summary.run_id}: {summary.source}", title_justify="left", show_edge=False)
    table.add_column("")
    table.add_column("count", justify="right")
    for label, value in (
        ("rows read", summary.rows_read),
        ("rows rejected", summary.rows_rejected),
        ("values dropped (warnings)", summary.warnings),
        ("entities written", summary.entities_written),
        ("statements written", summary.statements_written),
        ("statements superseded (kept as history)", summary.statements_superseded),
        ("links written", summary.links_written),
        ("record keys repeated", summary.duplicate_keys),
    ):
        table.add_row(label, f"{value:,}")
    err.print(table)
    rate = summary.rows_read / summary.seconds if summary.seconds else 0.0
    err.print(f"Owner group {summary.owner_group!r}; {summary.batches} batch(es) in {summary.seconds:.1f} s ({rate:,.0f} rows/s).")
    if summary.unchanged:
        err.print("[green]Nothing new or changed:[/green] the store already held every value (no rows written).")
    if summary.completed_runs:
        err.print(f"Completed the interrupted run(s) {', '.join(summary.completed_runs)}.")
    if summary.report:
        err.print(f"[yellow]Rejection report:[/yellow] {summary.report[0]} (and {summary.report[1].name})")


@mapping_app.command("check")
def check(
    files: list[Path] = typer.Argument(..., help="Mapping files (YAML) or built-in names."),
) -> None:
    """Check mappings against the ontology; list every problem with its file and line.

    Example: clearsight mapping check custody.yaml
    """
    failed = 0
    for f in files:
        try:
            m = load_mapping(f)
        except MappingError as exc:
            failed += 1
            err.print(f"[red]{f}:[/red] {len(exc.problems)} problem(s)", highlight=False)
            for p in exc.problems:
                err.print(f"  - {p}", highlight=False, markup=False)
            continue
        err.print(
            f"[green]{f}: OK[/green] ({len(m.entities)} entities, {len(m.links)} links, {len(m.columns)} columns used)",
            highlight=False,
        )
    if failed:
        raise typer.Exit(1)


@mapping_app.command("list")
def list_() -> None:
    """List the built-in mappings (usable by name with --mapping)."""
    for name in builtin_names():
        m = load_mapping(name)
        err.print(f"[bold]{name}[/bold]: {m.description}")


def quality_command(
    ctx: typer.Context,
    source: str = typer.Argument(..., help="Source name, as given when ingesting."),
    purpose: str | None = typer.Option(None, "--purpose", "-p", envvar="CLEARSIGHT_PURPOSE", help=PURPOSE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """Data-quality report of a source: completeness, validity, distinct values, ranges, outliers.

    Example: clearsight quality police-uk-street -p 'DATA-QUALITY: monthly check of the street crime load'
    """
    st = state(ctx)
    ws = st.workspace()
    report = assess(ws.governance, ws.context(purpose), source)
    path = write_html(report, st.settings.workspace / "reports" / f"quality-{source}")
    if as_json:
        print_json(report.as_dict())
    table = Table(title=f"Data quality: {source}", title_justify="left", show_edge=False)
    for col in ("field", "type", "values", "empty", "invalid", "complete", "valid"):
        table.add_column(col, justify="left" if col in ("field", "type") else "right")
    for f in report.fields:
        table.add_row(
            f.field, f.type_name, f"{f.seen:,}", f"{f.empty:,}", f"{f.invalid:,}",
            "-" if f.completeness is None else f"{100 * f.completeness:.1f}%",
            "-" if f.validity is None else f"{100 * f.validity:.1f}%",
        )
    err.print(table)
    props = Table(show_edge=False)
    for col in ("property", "entities with value", "distinct", "earliest", "latest"):
        props.add_column(col)
    for p in report.properties:
        dated = p.type_name in ("date", "datetime")
        props.add_row(f"{p.schema}.{p.prop}", f"{p.with_value:,} of {p.entities:,}", f"{p.distinct:,}",
                      (p.minimum or "") if dated else "", (p.maximum or "") if dated else "")
    err.print(props)
    err.print(
        f"Record keys repeated: {report.duplicate_keys:,}. Birth dates out of range: {report.birth_dates_out_of_range:,}. "
        f"Coordinates outside the UK: {report.coordinates_outside_uk:,} of {report.coordinates:,}."
    )
    err.print(f"HTML report: {path}")
