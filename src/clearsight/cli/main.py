"""The ``clearsight`` command: one sub-command group per capability.

Commands are thin: parse, call one service, render. Errors from the domain print as one
red line with an exit code; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import sys
from importlib import import_module
from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from typer.core import TyperGroup

from clearsight import __version__
from clearsight.bootstrap import init_workspace
from clearsight.cli import admin, audit
from clearsight.cli.common import State, err, print_json, state
from clearsight.errors import ClearsightError
from clearsight.ontology import load_model
from clearsight.settings import load_settings

#: capability commands, loaded only when used: (module, attribute, is a group).
#: Their modules pull in the analytics stack (Splink, igraph, esda, matplotlib), which
#: takes seconds to import; a command should not pay for the ones it does not use.
LAZY_COMMANDS: dict[str, tuple[str, str, bool]] = {
    "ingest": ("clearsight.cli.ingest", "ingest_command", False),
    "mapping": ("clearsight.cli.ingest", "mapping_app", True),
    "quality": ("clearsight.cli.ingest", "quality_command", False),
    "resolve": ("clearsight.cli.resolve", "app", True),
    "review": ("clearsight.cli.resolve", "review_app", True),
    "search": ("clearsight.cli.search", "search", False),
    "profile": ("clearsight.cli.search", "profile", False),
    "graph": ("clearsight.cli.graph", "app", True),
    "patterns": ("clearsight.cli.patterns", "app", True),
    "demo": ("clearsight.cli.demo", "app", True),
    "serve": ("clearsight.cli.serve", "serve", False),
    "oversight": ("clearsight.cli.oversight", "app", True),
}


class LazyGroup(TyperGroup):
    """The root group: built-in commands plus capability commands imported on first use."""

    def list_commands(self, ctx: Any) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(LAZY_COMMANDS))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        found = super().get_command(ctx, cmd_name)
        if found is not None or cmd_name not in LAZY_COMMANDS:
            return found
        module, attr, is_group = LAZY_COMMANDS[cmd_name]
        target = getattr(import_module(module), attr)
        command: Any
        if is_group:
            command = typer.main.get_group(target)
        else:
            single = typer.Typer(rich_markup_mode="rich", pretty_exceptions_enable=False)
            single.command(cmd_name)(target)
            command = typer.main.get_command(single)
        command.name = cmd_name
        return command


app = typer.Typer(
    name="clearsight",
    cls=LazyGroup,
    help="Clearsight: intelligence analysis for police investigations, with the safeguards built in.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
app.add_typer(audit.app, name="audit")
app.add_typer(admin.users_app, name="users")
app.add_typer(admin.cases_app, name="cases")


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
    """Entry point: run the app, turning domain errors into one line and an exit code.

    Usage errors are Typer's own (a usage line and exit code 2); a ``ClearsightError``
    prints as one red line with its exit code; ``--debug`` shows the traceback.
    """
    debug = "--debug" in sys.argv
    try:
        app()
    except ClearsightError as exc:
        if debug:
            raise
        err.print(f"[red]Error:[/red] {exc}", highlight=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("[red]Interrupted;[/red] nothing half-written was kept.")
        sys.exit(130)
    except Exception as exc:
        if debug:
            raise
        err.print(f"[red]Unexpected error:[/red] {type(exc).__name__}: {exc} (run with --debug for details)")
        sys.exit(70)


if __name__ == "__main__":
    run()
