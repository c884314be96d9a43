"""PostgreSQL: append an audit entry and its Merkle nodes in one server-side call.

An append used to cost a round trip each for the lock, the last entry, the insert, every
left sibling it needed and the new nodes. ``clearsight_audit_append`` does all of it in
the database in one call, under the same transaction-scoped advisory lock, so appends stay
serialised and the chain linear. It hashes exactly what ``audit.canonical_bytes`` hashes:
the UTF-8 of seq and the fields joined by 0x1F, as an RFC 6962 leaf. SQLite, in-process,
keeps the Python append.

It also stores the long audit fields (the subject ids, the details) with LZ4 rather than
the default pglz compression where the server has it: an entry listing a thousand ids
spent most of its append compressing them.

Revision ID: 0006_audit_append
Revises: 0005_merge
"""

from __future__ import annotations

from alembic import op

revision = "0006_audit_append"
down_revision = "0005_merge"
branch_labels = None
depends_on = None

_FUNCTION = r"""
CREATE OR REPLACE FUNCTION clearsight_audit_append(
    p_at text, p_operation text, p_action text, p_user text, p_purpose text,
    p_component text, p_client text, p_outcome text, p_subjects text, p_details text
) RETURNS TABLE (new_seq bigint, new_prev_hash text, new_entry_hash text)
LANGUAGE plpgsql AS $$
DECLARE
    v_seq bigint;
    v_prev text;
    v_leaf bytea;
    v_node bytea;
    v_left bytea;
    v_level integer := 0;
    v_idx bigint;
BEGIN
    -- one writer extends the chain at a time (the same lock the Python append took)
    PERFORM pg_advisory_xact_lock(626262);
    SELECT l.seq, l.entry_hash INTO v_seq, v_prev FROM audit_log l ORDER BY l.seq DESC LIMIT 1;
    IF NOT FOUND THEN
        v_seq := 0;
        v_prev := repeat('0', 64);
    END IF;
    v_seq := v_seq + 1;
    v_leaf := sha256('\x00'::bytea || convert_to(
        v_seq::text || chr(31) || p_at || chr(31) || p_operation || chr(31) || p_action
        || chr(31) || p_user || chr(31) || p_purpose || chr(31) || p_component
        || chr(31) || p_client || chr(31) || p_outcome || chr(31) || p_subjects
        || chr(31) || p_details || chr(31) || v_prev, 'UTF8'));
    INSERT INTO audit_log (seq, "at", operation, action, "user", purpose, component, client,
                           outcome, subjects, details, prev_hash, entry_hash)
    VALUES (v_seq, p_at, p_operation, p_action, p_user, p_purpose, p_component, p_client,
            p_outcome, p_subjects, p_details, v_prev, encode(v_leaf, 'hex'));
    -- the perfect subtrees this leaf completes: one per trailing one-bit of its index
    v_idx := v_seq - 1;
    v_node := v_leaf;
    INSERT INTO audit_nodes (level, idx, hash) VALUES (0, v_idx, v_node);
    WHILE v_idx % 2 = 1 LOOP
        SELECT n.hash INTO v_left FROM audit_nodes n WHERE n.level = v_level AND n.idx = v_idx - 1;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'the audit tree has no node at level %, index %', v_level, v_idx - 1;
        END IF;
        v_node := sha256('\x01'::bytea || v_left || v_node);
        v_level := v_level + 1;
        v_idx := v_idx / 2;
        INSERT INTO audit_nodes (level, idx, hash) VALUES (v_level, v_idx, v_node);
    END LOOP;
    RETURN QUERY SELECT v_seq, v_prev, encode(v_leaf, 'hex');
END
$$
"""


_LONG_FIELDS = ("subjects", "details")


def _has_lz4() -> bool:
    values = op.get_bind().exec_driver_sql(
        "SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'"
    ).scalar()
    return isinstance(values, list) and "lz4" in values


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_FUNCTION)
        if _has_lz4():
            for column in _LONG_FIELDS:
                op.execute(f"ALTER TABLE audit_log ALTER COLUMN {column} SET COMPRESSION lz4")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "DROP FUNCTION IF EXISTS clearsight_audit_append(text, text, text, text, text, text, text, text, text, text)"
        )
        for column in _LONG_FIELDS:
            op.execute(f"ALTER TABLE audit_log ALTER COLUMN {column} SET COMPRESSION default")
