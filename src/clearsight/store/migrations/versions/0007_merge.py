"""Join the API token, audit append, marking version and oversight branches into one head.

Revision ID: 0007_merge
Revises: 0006_api_tokens, 0006_audit_append, 0006_marking_version, 0006_oversight
"""

from __future__ import annotations

revision = "0007_merge"
down_revision = ("0006_api_tokens", "0006_audit_append", "0006_marking_version", "0006_oversight")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: the branches touch different tables."""


def downgrade() -> None:
    """Nothing to change: the branches touch different tables."""
