"""``clearsight demo``: the main job, end to end on the embedded default."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from clearsight.bootstrap import init_workspace
from clearsight.cli.common import err, print_json, state
from clearsight.demo import DEMO_PURPOSE, DEMO_SEED, run_demo
from clearsight.synthetic import generate

app = typer.Typer(help="The end-to-end demo, and the synthetic force data behind it.", invoke_without_command=True)


@app.callback()
def demo(
    ctx: typer.Context,
    people: int = typer.Option(5000, "--people", help="People in the synthetic force."),
    seed: int = typer.Option(DEMO_SEED, "--seed"),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Generate a synthetic force, ingest it with the real police.uk data, and run every capability.

    Example: clearsight --workspace ./workspace demo
    """
    if ctx.invoked_subcommand is not None:
        return
    st = state(ctx)
    ws = init_workspace(st.settings)
    context = ws.context(DEMO_PURPOSE)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task("starting", total=None)
        result = run_demo(ws, context, people=people, seed=seed, on_step=lambda name: bar.update(task, description=name))
    if as_json:
        print_json({"workspace": str(result.workspace), "seconds": result.seconds,
                    "steps": [{"name": s.name, "seconds": s.seconds, "summary": s.summary} for s in result.steps]})
        return
    err.print(f"[bold]Clearsight demo[/bold] in {result.workspace} ({result.seconds:.1f} s)")
    for step in result.steps:
        table = Table(title=f"{step.name} ({step.seconds:.1f} s)", title_justify="left", show_edge=False)
        table.add_column("")
        table.add_column("")
        for key, value in step.summary.items():
            if key.endswith("_ids"):
                continue  # ids belong in --json, not on screen
            table.add_row(str(key), _render(value))
        err.print(table)
    err.print(
        "Next: [bold]clearsight search 'J Smith' -p 'INTELLIGENCE: exploring the demo'[/bold] "
        "(the first search builds the search index, about half a minute on the demo data)."
    )
    err.print("Every read above was audited: try [bold]clearsight audit log --purpose 'AUDIT-LAWFULNESS: demo review'[/bold]")


def _render(value: object) -> str:
    """A summary value as one readable cell: dicts as key: value, lists of records by name."""
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_render(v)}" for k, v in value.items())
    if isinstance(value, list):
        if value and all(isinstance(v, dict) and "name" in v for v in value):
            return ", ".join(str(v["name"]) for v in value)
        return ", ".join(_render(v) for v in value[:10]) + (f" (+{len(value) - 10} more)" if len(value) > 10 else "")
    if isinstance(value, float):
        return f"{value:,.3g}"
    return str(value)


@app.command("generate")
def generate_command(
    out: Path = typer.Argument(..., help="Folder to write the exports, mappings and ground truth into."),
    people: int = typer.Option(5000, "--people"),
    seed: int = typer.Option(DEMO_SEED, "--seed"),
) -> None:
    """Write a synthetic force's exports, each with its mapping, and the ground truth.

    Example: clearsight demo generate ./force --people 100000 --seed 7
    """
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.fields[rows]:,} rows"),
                  TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task("generating", total=None, rows=0)
        totals = {"rows": 0}

        def progress(source: str, rows: int) -> None:
            totals["rows"] += rows
            bar.update(task, description=f"generating {source}", rows=totals["rows"])

        summary = generate(out, people=people, seed=seed, progress=progress)
    err.print(f"Wrote {summary.total_rows:,} rows for {summary.people:,} people to {out}")
    print_json({"out": str(out), "people": summary.people, "rows": summary.total_rows,
                "files": [str(f) for f in summary.files]})
