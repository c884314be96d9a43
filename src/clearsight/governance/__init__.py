"""Safeguards: the Context, markings, the audit log and the one path to stored records.

Capabilities reach personal data only through :class:`Governance` operations, which
filter every result by the viewer's markings and need-to-know and write one audit entry
per operation, failing closed.

Names are imported lazily, so the standalone proof verifier
(``python -m clearsight.governance.verifier``) loads no database code.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clearsight.governance.alerts import AlertSink
    from clearsight.governance.context import Context, Purpose
    from clearsight.governance.gateway import Governance, Operation
    from clearsight.governance.markings import TIERS, Marking, combine, visible

_EXPORTS = {
    "AlertSink": "clearsight.governance.alerts",
    "Context": "clearsight.governance.context",
    "Purpose": "clearsight.governance.context",
    "Governance": "clearsight.governance.gateway",
    "Operation": "clearsight.governance.gateway",
    "TIERS": "clearsight.governance.markings",
    "Marking": "clearsight.governance.markings",
    "combine": "clearsight.governance.markings",
    "visible": "clearsight.governance.markings",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'clearsight.governance' has no attribute {name!r}")
    return getattr(import_module(module), name)


__all__ = [
    "TIERS",
    "AlertSink",
    "Context",
    "Governance",
    "Marking",
    "Operation",
    "Purpose",
    "combine",
    "visible",
]
