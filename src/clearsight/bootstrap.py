"""The composition root: settings in, a ready workspace (store + governance) out.

Faces (CLI, API, web) call :func:`open_workspace`; nothing else creates engines.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from pathlib import Path

from clearsight.errors import Conflict, NotFound, StoreError
from clearsight.governance.alerts import AlertSink
from clearsight.governance.context import Context
from clearsight.governance.gateway import Governance
from clearsight.governance.users import context_for, create_user, get_user
from clearsight.settings import Settings
from clearsight.store.engine import Store


@dataclass
class Workspace:
    """An open workspace: its settings, store and governance."""

    settings: Settings
    store: Store
    governance: Governance

    def context(self, purpose: str | None, *, user: str | None = None, client: str = "cli") -> Context:
        """The Context for one command or request, built fresh from the users table."""
        return context_for(self.store, user or self.user, purpose, client=client)

    @property
    def user(self) -> str:
        return self.settings.user or local_user()

    def close(self) -> None:
        self.store.dispose()


def local_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "analyst"


def _alerts_path(settings: Settings) -> Path:
    return settings.workspace / "alerts" / "alerts.jsonl"


def open_workspace(settings: Settings, *, create: bool = False) -> Workspace:
    """Open the store named by the settings; with ``create``, make and migrate it first."""
    store = Store(settings.database_url)
    if create:
        settings.workspace.mkdir(parents=True, exist_ok=True)
        store.migrate()
    elif not store.is_initialised():
        raise StoreError(
            f"no Clearsight store at {store.safe_url}; run 'clearsight init' first "
            f"(workspace: {settings.workspace})"
        )
    return Workspace(settings=settings, store=store, governance=Governance(store, alerts=AlertSink(_alerts_path(settings))))


def init_workspace(settings: Settings, *, user: str | None = None, clearance: str = "OFFICIAL-SENSITIVE") -> Workspace:
    """Create the workspace folder and store, and the first user (all roles) if none exists.

    On the embedded default one analyst owns the workspace, so the first user holds every
    role; on a server, add further users with ``clearsight users add``.
    """
    ws = open_workspace(settings, create=True)
    name = user or ws.user
    with ws.store.begin() as conn:
        try:
            get_user(conn, name)
            exists = True
        except NotFound:
            exists = False
    if not exists:
        try:
            create_user(
                ws.store,
                actor=name,
                name=name,
                roles=("analyst", "investigator", "supervisor", "dpo", "auditor", "rights", "admin"),
                clearance=clearance,
                groups=("local",),
            )
        except Conflict:
            pass
    return ws


__all__ = ["Workspace", "init_workspace", "local_user", "open_workspace"]
