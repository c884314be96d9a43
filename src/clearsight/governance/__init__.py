"""Safeguards: the Context, markings, the audit log and the one path to stored records.

Capabilities reach personal data only through :class:`Governance` operations, which
filter every result by the viewer's markings and need-to-know and write one audit entry
per operation, failing closed.
"""

from clearsight.governance.alerts import AlertSink
from clearsight.governance.context import Context, Purpose
from clearsight.governance.gateway import Governance, Operation
from clearsight.governance.markings import TIERS, Marking, combine, visible

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
