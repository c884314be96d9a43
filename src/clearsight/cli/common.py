"""What every command shares: settings from the root options, the workspace, output."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any

import typer
from rich.console import Console

from clearsight.bootstrap import Workspace, open_workspace
from clearsight.governance.context import Context
from clearsight.settings import Settings

#: human output goes to stderr so stdout stays clean for JSON and piping
err = Console(stderr=True)
out = Console()

PURPOSE_HELP = "Why you are reading this data: 'case:REF [text]' or 'CODE: explanation' (env CLEARSIGHT_PURPOSE)."
PurposeOption = typer.Option(None, "--purpose", "-p", envvar="CLEARSIGHT_PURPOSE", help=PURPOSE_HELP)


@dataclass
class State:
    """Root options, shared with every sub-command through ``ctx.obj``."""

    settings: Settings
    debug: bool = False
    _workspace: Workspace | None = field(default=None, repr=False)

    def workspace(self) -> Workspace:
        if self._workspace is None:
            self._workspace = open_workspace(self.settings)
        return self._workspace

    def context(self, purpose: str | None, *, client: str = "cli") -> Context:
        return self.workspace().context(purpose, client=client)


def state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    if not isinstance(obj, State):  # pragma: no cover - the root callback always sets it
        raise RuntimeError("root options were not parsed")
    return obj


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")
