"""The ``clearsight`` command: one sub-command group per capability.

Commands are thin: parse, call one service, render. Errors from the domain print as one
red line with an exit code; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.table import Table

from clearsight import __version__
from clearsight.bootstrap import init_workspace
from clearsight.cli import admin, audit
from clearsight.cli import demo as demo_cli
from clearsight.cli import graph as graph_cli
from clearsight.cli import ingest as ingest_cli
from clearsight.cli import patterns as patterns_cli
from clearsight.cli import resolve as resolve_cli
from clearsight.cli import search as search_cli
from clearsight.cli.common import State, err, print_json, state
from clearsight.errors import ClearsightError
from clearsight.ontology import load_model
from clearsight.settings import load_settings

app = typer.Typer(
    name="clearsight",
    help="Clearsight: intelligence analysis for police investigations, with the safeguards built in.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
app.add_typer(audit.app, name="audit")
app.add_typer(resolve_cli.app, name="resolve")
app.add_typer(resolve_cli.review_app, name="review")
app.add_typer(demo_cli.app, name="demo")
app.add_typer(admin.users_app, name="users")
app.add_typer(admin.cases_app, name="cases")
app.add_typer(graph_cli.app, name="graph")
app.command("search")(search_cli.search)
app.command("profile")(search_cli.profile)
app.add_typer(ingest_cli.mapping_app, name="mapping")
app.command("ingest")(ingest_cli.ingest_command)
app.command("quality")(ingest_cli.quality_command)
app.add_typer(patterns_cli.app, name="patterns")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"clearsight {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    workspace: Path | None = typer.Option(None, "--workspace", "-w", envvar="CLEARSIGHT_WORKSPACE", help="Workspace folder (store, keys, reports)."),
    db_url: str | None = typer.Option(None, "--db-url", envvar="CLEARSIGHT_DB_URL", help="Database URL; default SQLite in the workspace."),
    user: str | None = typer.Option(None, "--user", "-u", envvar="CLEARSIGHT_USER", help="Act as this user."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """Clearsight: fuse, resolve, search, link and find patterns, with every read purpose-bound and audited."""
    settings = load_settings(workspace=workspace, db_url=db_url, user=user)
    ctx.obj = State(settings=settings, debug=debug)


@app.command()
def init(ctx: typer.Context) -> None:
    """Create the workspace and its store, and the first user.

    Example: clearsight --workspace ./ws init
    """
    st = state(ctx)
    ws = init_workspace(st.settings)
    err.print(f"[green]Workspace ready[/green] at {st.settings.workspace} (store: {ws.store.safe_url}); user {ws.user!r}.")


@app.command()
def ontology(
    json_schema: bool = typer.Option(False, "--json-schema", help="Print the ontology as JSON Schema."),
    schema: str | None = typer.Argument(None, help="Show one schema only."),
) -> None:
    """List the schemata of entities and links and their properties.

    Example: clearsight ontology Person
    """
    model = load_model()
    if json_schema:
        print_json(model.get(schema).to_json_schema() if schema else model.to_json_schema())
        return
    chosen = [model.get(schema)] if schema else model.entities + model.links
    for s in chosen:
        kind = "link" if s.is_link else (s.pole or "")
        title = f"[bold]{s.name}[/bold] ({kind})"
        if s.is_link:
            title += f"  {', '.join(s.source)} -> {', '.join(s.target)}"
        table = Table(title=title, title_justify="left", show_edge=False)
        table.add_column("property")
        table.add_column("type")
        table.add_column("label")
        for p in s.properties.values():
            extra = f" [{'|'.join(p.values)}]" if p.values else ""
            table.add_row(p.name + (" *" if p.required else ""), p.type_name + extra, p.label)
        err.print(table)


def run() -> None:
    """Entry point: run the app, turning domain errors into one line and an exit code."""
    debug = "--debug" in sys.argv
    try:
        app(standalone_mode=False)
    except ClearsightError as exc:
        if debug:
            raise
        err.print(f"[red]Error:[/red] {exc}", highlight=False)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("[red]Aborted.[/red]")
        sys.exit(130)
    except KeyboardInterrupt:
        err.print("[red]Interrupted;[/red] nothing half-written was kept.")
        sys.exit(130)
    except Exception as exc:  # click usage errors and the like
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if debug:
            raise
        err.print(f"[red]Unexpected error:[/red] {type(exc).__name__}: {exc} (run with --debug for details)")
        sys.exit(70)


if __name__ == "__main__":
    run()
