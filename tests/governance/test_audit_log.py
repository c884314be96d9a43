"""The audit log on SQLite and PostgreSQL: append-only, chained, verifiable, fail-closed."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from clearsight.bootstrap import Workspace
from clearsight.errors import AuditFailure, PurposeRequired
from clearsight.governance import audit, integrity, merkle, treehead, verifier
from tests.helpers import Rec, make_context, seed


def _fill(ws: Workspace, n: int = 12) -> None:
    ctx = make_context()
    for i in range(n):
        with ws.governance.operation(ctx, "consultation", f"test.read.{i}") as op:
            op.record([f"id-{i}"])


def _verify(ws: Workspace, **kw: object) -> integrity.VerifyReport:
    with ws.store.connect() as conn:
        return integrity.verify(conn, **kw)  # type: ignore[arg-type]


def _raw(ws: Workspace, *statements: str) -> None:
    """Run SQL as the database superuser would, with the append-only guard removed."""
    with ws.store.begin() as conn:
        if ws.store.is_sqlite:
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_update")
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_delete")
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_nodes_no_update")
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_nodes_no_delete")
        else:
            conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER USER")
            conn.exec_driver_sql("ALTER TABLE audit_nodes DISABLE TRIGGER USER")
        for s in statements:
            conn.exec_driver_sql(s)


def test_clean_log_verifies(workspace: Workspace) -> None:
    _fill(workspace)
    report = _verify(workspace)
    assert report.ok, report.problems
    assert report.entries >= 12


def test_database_refuses_update_and_delete(workspace: Workspace) -> None:
    _fill(workspace, 2)
    for sql in (
        "UPDATE audit_log SET \"user\" = 'x' WHERE seq = 1",
        "DELETE FROM audit_log WHERE seq = 1",
        "UPDATE audit_nodes SET level = 5",
        "DELETE FROM audit_nodes",
    ):
        with pytest.raises(DBAPIError):
            with workspace.store.begin() as conn:
                conn.exec_driver_sql(sql)
    assert _verify(workspace).ok


@pytest.mark.parametrize(
    "column",
    [
        "at",
        "operation",
        "action",
        "user",
        "purpose",
        "component",
        "client",
        "outcome",
        "subjects",
        "details",
    ],
)
def test_editing_any_field_is_detected(workspace: Workspace, column: str) -> None:
    _fill(workspace)
    value = (
        "'[\"forged\"]'"
        if column == "subjects"
        else ("'{\"x\":1}'" if column == "details" else "'forged'")
    )
    _raw(workspace, f'UPDATE audit_log SET "{column}" = {value} WHERE seq = 5')
    report = _verify(workspace)
    assert not report.ok
    assert report.first_bad_entry == 5


def test_deleting_the_last_entry_is_detected(workspace: Workspace) -> None:
    _fill(workspace)
    with workspace.store.connect() as conn:
        last = audit.size(conn)
    _raw(workspace, f"DELETE FROM audit_log WHERE seq = {last}")
    report = _verify(workspace)
    assert not report.ok
    assert "truncation" in " ".join(report.problems)


def test_deleting_a_middle_entry_is_detected(workspace: Workspace) -> None:
    _fill(workspace)
    _raw(workspace, "DELETE FROM audit_log WHERE seq = 4")
    report = _verify(workspace)
    assert not report.ok
    assert report.first_bad_entry == 4


def test_reordering_entries_is_detected(workspace: Workspace) -> None:
    _fill(workspace)
    _raw(
        workspace,
        "UPDATE audit_log SET seq = -1 WHERE seq = 3",
        "UPDATE audit_log SET seq = 3 WHERE seq = 6",
        "UPDATE audit_log SET seq = 6 WHERE seq = -1",
    )
    report = _verify(workspace)
    assert not report.ok
    assert report.first_bad_entry == 3


def test_rollback_is_detected_against_a_kept_head(workspace: Workspace) -> None:
    _fill(workspace)
    key = integrity.ensure_signing_key(workspace.settings.signing_key_path)
    with workspace.store.begin() as conn:
        head = integrity.checkpoint(conn, key)
    # the attacker removes the tail from both tables, so the log is consistent in itself
    n = head.head.size
    _raw(
        workspace,
        f"DELETE FROM audit_log WHERE seq > {n - 3}",
        f"DELETE FROM audit_nodes WHERE level = 0 AND idx >= {n - 3}",
    )
    _raw(workspace, "DELETE FROM audit_nodes WHERE level > 0")
    report = _verify(workspace, against=head, public_key=key.public_key())
    assert not report.ok
    assert "kept tree head" in " ".join(report.problems)


def test_head_from_another_key_is_refused(workspace: Workspace, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _fill(workspace)
    key = integrity.ensure_signing_key(workspace.settings.signing_key_path)
    other = treehead.generate_signing_key(tmp_path / "other.key")
    with workspace.store.begin() as conn:
        head = integrity.checkpoint(conn, key)
    report = _verify(workspace, against=head, public_key=other.public_key())
    assert not report.ok


def test_proofs_verify_without_the_database(workspace: Workspace) -> None:
    _fill(workspace, 21)
    key = integrity.ensure_signing_key(workspace.settings.signing_key_path)
    with workspace.store.begin() as conn:
        old = integrity.checkpoint(conn, key)
    _fill(workspace, 9)
    with workspace.store.begin() as conn:
        new = integrity.checkpoint(conn, key)
        docs = [
            integrity.inclusion(conn, seq, head=new, public_key=key.public_key())
            for seq in (1, 7, 21, new.head.size)
        ]
        cons = integrity.consistency(conn, old, new, public_key=key.public_key())
    for doc in docs:
        assert verifier.verify_inclusion_document(
            json.loads(json.dumps(doc)), public_key=key.public_key()
        ).ok
        tampered = dict(doc, proof=list(reversed(doc["proof"])))
        assert not verifier.verify_inclusion_document(tampered, public_key=key.public_key()).ok
    assert verifier.verify_consistency_document(cons, public_key=key.public_key()).ok
    bad = dict(cons, old_size=cons["old_size"] - 1)
    bad.pop("old_signed_head", None)
    assert not verifier.verify_consistency_document(bad).ok


def test_entries_hold_ids_not_values_and_encode_control_characters(workspace: Workspace) -> None:
    person = Rec("Person", "p1", {"name": "Zebedee Quartermain"})
    seed(workspace.store, [person])
    ctx = make_context(purpose="INTELLIGENCE: check\r\n1999-01-01 forged entry \x1b[31m")
    with workspace.governance.operation(ctx, "consultation", "profile\nforged") as op:
        op.statements([person.id])
    with workspace.store.connect() as conn:
        entry = audit.search(conn, limit=1)[0]
    assert person.id in entry.subject_ids()
    raw = json.dumps(entry.as_dict())
    assert "Zebedee" not in raw
    for field in (entry.purpose, entry.action):
        assert "\r" not in field and "\n" not in field and "\x1b" not in field
    assert "\\x0d\\x0a" in entry.purpose and "\\x1b" in entry.purpose
    assert entry.at.endswith("Z") and len(entry.at.split(".")[1]) >= 3


def test_read_without_purpose_is_refused_and_reads_nothing(workspace: Workspace) -> None:
    person = Rec("Person", "p1", {"name": "Ann Example"})
    seed(workspace.store, [person])
    got: list[object] = []
    with pytest.raises(PurposeRequired):
        with workspace.governance.operation(
            make_context(purpose=None), "consultation", "profile"
        ) as op:
            got.extend(op.statements([person.id]))
    assert got == []
    with workspace.store.connect() as conn:
        last = audit.search(conn, limit=1)[0]
    assert last.outcome == "denied"


def test_read_fails_closed_when_audit_cannot_be_written(workspace: Workspace) -> None:
    person = Rec("Person", "p1", {"name": "Ann Example"})
    seed(workspace.store, [person])
    with workspace.store.begin() as conn:
        if workspace.store.is_sqlite:
            conn.exec_driver_sql(
                "CREATE TRIGGER audit_read_only BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'read-only'); END"
            )
        else:
            conn.exec_driver_sql(
                "CREATE FUNCTION ro() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'read-only'; END $$"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER audit_read_only BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION ro()"
            )
    result: list[object] = []
    with pytest.raises(AuditFailure):
        with workspace.governance.operation(make_context(), "consultation", "profile") as op:
            rows = op.statements([person.id])
        result.extend(rows)  # never reached
    assert result == []
    alerts = workspace.governance.alerts.read()
    assert alerts and alerts[-1]["kind"] == "audit-write-failed"


def test_merkle_nodes_match_reference_root(workspace: Workspace) -> None:
    _fill(workspace, 37)
    with workspace.store.connect() as conn:
        leaves = [bytes.fromhex(e.entry_hash) for e in audit.iter_entries(conn)]
        store = audit.SqlNodeStore(conn)
        assert merkle.root(store, len(leaves)) == merkle.root_from_leaf_hashes(leaves)
        for size in (1, 2, 3, 5, 8, 13, len(leaves)):
            assert merkle.root(store, size) == merkle.root_from_leaf_hashes(leaves[:size])


def test_retention_floor(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from clearsight.errors import InvalidData
    from clearsight.settings import load_settings

    with pytest.raises(InvalidData):
        load_settings(environ={"CLEARSIGHT_AUDIT_RETENTION_DAYS": "100"}, workspace=tmp_path)


def test_audit_tables_have_no_mutation_path_in_sql(workspace: Workspace) -> None:
    with workspace.store.connect() as conn:
        n = conn.execute(text("select count(*) from audit_log")).scalar_one()
    assert n >= 1


def test_log_filters_select_entries_and_leave_the_log_unchanged(workspace: Workspace) -> None:
    person = Rec("Person", "p9", {"name": "Filter Target"})
    seed(workspace.store, [person])
    with workspace.governance.operation(make_context(), "consultation", "profile") as op:
        op.statements([person.id])
    with workspace.governance.operation(make_context(user="other1"), "disclosure", "export") as op:
        op.record(["x-1"])
    with workspace.store.connect() as conn:
        before = integrity.verify(conn).root_hash
        assert [e.action for e in audit.search(conn, entity=person.id)] == ["profile"]
        assert {e.user for e in audit.search(conn, operation="disclosure")} == {"other1"}
        assert all(e.user == "other1" for e in audit.search(conn, user="other1"))
        first = audit.search(conn, limit=1000)[-1]
        assert audit.search(conn, until=first.at)[-1].seq == first.seq
        assert audit.search(conn, since="2999-01-01") == []
        assert all("test of governed" in e.purpose for e in audit.search(conn, purpose="test of governed"))
        assert integrity.verify(conn).root_hash == before
