"""One typed settings object, read once at start-up.

Every setting has a default and help text and may be set by an environment variable
named ``CLEARSIGHT_<NAME>`` (upper case) or overridden by the CLI. Nothing here runs at
import time: call :func:`load_settings`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from clearsight.errors import InvalidData, InvalidValue, Problem
from clearsight.governance.markings import tier


def default_workspace() -> Path:
    """The per-user workspace folder: ``$XDG_DATA_HOME/clearsight`` or ``~/.local/share/clearsight``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "clearsight"


SETTINGS_HELP: dict[str, str] = {
    "workspace": "Folder holding the embedded store (SQLite), keys, reports and exports.",
    "db_url": "SQLAlchemy URL of the store; empty means SQLite inside the workspace.",
    "user": "User name the CLI acts as (a user known to the store).",
    "purpose": "Declared purpose of a command that reads personal data (case reference or code: text).",
    "default_marking": "Classification applied to records whose source sets none.",
    "audit_retention_days": "How long audit entries are kept; 365 is the floor (LOG-14).",
    "batch_size": "Rows written per all-or-nothing ingest batch.",
    "duckdb_memory_limit": "Memory limit handed to in-process DuckDB work (e.g. '4GB').",
    "duckdb_threads": "Threads handed to in-process DuckDB work.",
    "signing_key": "Path of the Ed25519 key that signs audit tree heads; kept outside the database.",
}


@dataclass(frozen=True)
class Settings:
    """Clearsight configuration. Build it with :func:`load_settings`."""

    workspace: Path
    db_url: str = ""
    user: str = ""
    purpose: str = ""
    default_marking: str = "OFFICIAL"
    audit_retention_days: int = 2555
    batch_size: int = 5000
    duckdb_memory_limit: str = "4GB"
    duckdb_threads: int = 2
    signing_key: str = ""

    @property
    def database_url(self) -> str:
        """The store URL: the configured one, or the workspace's SQLite file."""
        if self.db_url:
            return self.db_url
        return f"sqlite:///{self.workspace / 'clearsight.db'}"

    @property
    def signing_key_path(self) -> Path:
        """Where the tree-head signing key lives (outside the database)."""
        if self.signing_key:
            return Path(self.signing_key)
        return self.workspace / "keys" / "audit-signing.key"

    def with_overrides(self, **overrides: Any) -> Settings:
        """Return a copy with the non-None overrides applied and validated."""
        clean = {k: v for k, v in overrides.items() if v is not None}
        return _validate(replace(self, **_coerce(clean)))


def _coerce(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    known = {f.name: f for f in fields(Settings)}
    problems: list[Problem] = []
    for key, raw in values.items():
        if key not in known:
            problems.append(Problem(f"unknown setting {key!r}"))
            continue
        kind = known[key].type
        try:
            if kind in ("int", int):
                out[key] = int(raw)
            elif kind in ("Path", Path):
                out[key] = Path(raw).expanduser()
            else:
                out[key] = str(raw)
        except ValueError:
            problems.append(Problem(f"expected a whole number, got {raw!r}", field=key))
    if problems:
        raise InvalidData("invalid settings", problems)
    return out


def _validate(settings: Settings) -> Settings:
    problems: list[Problem] = []
    if settings.audit_retention_days < 365:
        problems.append(
            Problem("audit retention must be at least 365 days (LOG-14)", field="audit_retention_days")
        )
    try:
        tier(settings.default_marking)
    except InvalidValue as exc:
        problems.append(Problem(str(exc), field="default_marking"))
    if settings.duckdb_threads < 1:
        problems.append(Problem("DuckDB needs at least one thread", field="duckdb_threads"))
    if settings.batch_size < 1:
        problems.append(Problem("batch size must be positive", field="batch_size"))
    if problems:
        raise InvalidData("invalid settings", problems)
    return settings


def load_settings(
    environ: Mapping[str, str] | None = None, **overrides: Any
) -> Settings:
    """Read ``CLEARSIGHT_*`` variables, then apply explicit overrides (CLI options)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in fields(Settings):
        raw = env.get(f"CLEARSIGHT_{f.name.upper()}")
        if raw not in (None, ""):
            values[f.name] = raw
    values.update({k: v for k, v in overrides.items() if v is not None})
    values.setdefault("workspace", default_workspace())
    return _validate(Settings(**_coerce(values)))


__all__ = ["SETTINGS_HELP", "Settings", "default_workspace", "load_settings"]
