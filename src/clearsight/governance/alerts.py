"""Operator alerts for failures that must not pass silently (LOG-12).

Alerts go to a sink outside the database (a JSON Lines file in the workspace by default,
and the Python log), because the database may be the thing that failed.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clearsight.governance.audit import utc_now

log = logging.getLogger("clearsight.alerts")


@dataclass(frozen=True)
class AlertSink:
    """Where alerts go: a JSON Lines file (``None`` keeps only the log)."""

    path: Path | None = None

    def raise_alert(self, kind: str, message: str, **details: Any) -> dict[str, Any]:
        alert = {"at": utc_now(), "kind": kind, "message": message, "details": details}
        log.critical("%s: %s", kind, message)
        if self.path is not None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(alert, default=str) + "\n")
            except OSError:
                log.critical("could not write alert to %s", self.path)
        return alert

    def read(self) -> list[dict[str, Any]]:
        if self.path is None or not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]
