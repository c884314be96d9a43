"""The fast paths of the audit log, held to the same results as the plain ones.

- the canonical form the database builds for verification is byte for byte the one the
  append hashes;
- PostgreSQL's server-side append chains and hashes exactly as the Python append does;
- verification in pieces on several processes gives the same root and names the same
  first bad entry as one pass;
- concurrent writers keep the chain linear (on SQLite they queue for the write lock).
"""

from __future__ import annotations

import threading

import pytest

from clearsight.bootstrap import Workspace
from clearsight.governance import audit, integrity, merkle
from tests.governance.test_audit_log import _fill, _raw, _verify


def _append(ws: Workspace, i: int, **kw: object) -> audit.AuditEntry:
    fields: dict[str, object] = {
        "operation": "consultation", "action": f"read.{i}", "user": "analyst1", "purpose": "INTELLIGENCE: test",
        "component": "test", "client": "cli", "subjects": [f"id-{i}"],
    }
    fields.update(kw)
    with ws.store.begin() as conn:
        return audit.append(conn, **fields)  # type: ignore[arg-type]


def test_database_canonical_form_is_the_hashed_one(workspace: Workspace) -> None:
    awkward = "Zoë \u00e9\u4e2d\U0001f600 \\x1f % %s %d ' \" \r\n\x1b[31m \x1f"
    entries = [
        _append(workspace, 1, purpose=awkward, action=awkward, details={"q": awkward, "n": 3}),
        _append(workspace, 2, client="", component="", subjects=[]),
    ]
    dialect = workspace.store.dialect
    with workspace.store.connect() as conn:
        rows = conn.exec_driver_sql(
            f"SELECT seq, {audit.canonical_sql(dialect)} FROM audit_log ORDER BY seq"
        ).all()
    stored = {int(seq): bytes(canonical) for seq, canonical in rows}
    for entry in entries:
        assert stored[entry.seq] == entry.canonical()
        assert merkle.leaf_hash(stored[entry.seq]).hex() == entry.entry_hash


def test_python_and_server_appends_build_one_chain(workspace: Workspace) -> None:
    """On PostgreSQL the append runs in the database; entries from both paths chain as one."""
    _fill(workspace, 3)
    with workspace.store.begin() as conn:
        fields = [audit.utc_now(), "consultation", "read.python", "analyst1", "INTELLIGENCE: x", "test", "cli", "ok",
                  audit.subjects_field(["a", "b"]), "{}"]
        if workspace.store.is_postgres:
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(626262)")
        seq, prev, digest = audit._append_here(conn, fields)
    _fill(workspace, 3)
    with workspace.store.connect() as conn:
        entry = audit.get_entry(conn, seq)
        follower = audit.get_entry(conn, seq + 1)
    assert entry is not None and follower is not None
    assert entry.entry_hash == digest and entry.prev_hash == prev
    assert follower.prev_hash == digest
    report = _verify(workspace)
    assert report.ok, report.problems


@pytest.fixture
def small_pieces(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Verify in pieces of 8 entries (forked workers inherit the setting); note each use."""
    monkeypatch.setattr(integrity, "_PIECE", 8)
    used: list[bool] = []
    walk = integrity._walk_in_pieces

    def spy(conn, head_size, workers, high):  # type: ignore[no-untyped-def]
        result = walk(conn, head_size, max(workers, 2), high)
        used.append(result is not None)
        return result

    monkeypatch.setattr(integrity, "_walk_in_pieces", spy)
    return used


def _one_pass(ws: Workspace, monkeypatch: pytest.MonkeyPatch, **kw: object) -> integrity.VerifyReport:
    with monkeypatch.context() as m:
        m.setattr(integrity, "_walk_in_pieces", lambda conn, head_size, workers, high: None)
        return _verify(ws, **kw)


def test_verifying_in_pieces_gives_the_one_pass_result(
    workspace: Workspace, small_pieces: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(workspace, 45)
    in_pieces = _verify(workspace)
    assert small_pieces == [True]
    assert in_pieces.ok, in_pieces.problems
    one = _one_pass(workspace, monkeypatch)
    assert (in_pieces.entries, in_pieces.root_hash) == (one.entries, one.root_hash)
    with workspace.store.connect() as conn:
        leaves = [bytes.fromhex(e.entry_hash) for e in audit.iter_entries(conn)]
    assert in_pieces.root_hash == merkle.root_from_leaf_hashes(leaves).hex()


@pytest.mark.parametrize("cut", [0, 1, 8, 13, 16, 40])
def test_a_kept_head_inside_a_piece_is_checked(
    workspace: Workspace, small_pieces: list[bool], cut: int
) -> None:
    from clearsight.governance import treehead

    _fill(workspace, 20)
    key = integrity.ensure_signing_key(workspace.settings.signing_key_path)
    with workspace.store.connect() as conn:
        size = audit.SqlNodeStore(conn).size()
        cut = min(cut, size)
        head = treehead.sign_head(integrity.current_head(conn, cut), key)
    _fill(workspace, 25)
    report = _verify(workspace, against=head, public_key=key.public_key())
    assert report.ok, report.problems
    assert small_pieces == [True]
    forged = treehead.sign_head(
        treehead.TreeHead.create(cut, merkle.leaf_hash(b"forged"), integrity.LOG_ID), key
    )
    bad = _verify(workspace, against=forged, public_key=key.public_key())
    assert not bad.ok and "kept tree head" in " ".join(bad.problems)


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE audit_log SET \"user\" = 'forged' WHERE seq = 21",
        "UPDATE audit_log SET details = '{\"x\":1}' WHERE seq = 8",
        "DELETE FROM audit_log WHERE seq = 17",
        "UPDATE audit_log SET prev_hash = entry_hash WHERE seq = 33",
        "UPDATE audit_log SET purpose = NULL WHERE seq = 9",
    ],
)
def test_pieces_name_the_same_first_bad_entry(
    workspace: Workspace, small_pieces: list[bool], monkeypatch: pytest.MonkeyPatch, tamper: str
) -> None:
    if "NULL" in tamper and workspace.store.is_sqlite:
        pytest.skip("SQLite cannot drop a NOT NULL constraint in place")
    _fill(workspace, 45)
    if "NULL" in tamper:
        _raw(workspace, "ALTER TABLE audit_log ALTER COLUMN purpose DROP NOT NULL")
    _raw(workspace, tamper)
    in_pieces = _verify(workspace)
    one = _one_pass(workspace, monkeypatch)
    assert not in_pieces.ok
    assert small_pieces == [False]
    assert (in_pieces.first_bad_entry, in_pieces.problems) == (one.first_bad_entry, one.problems)
    expected = int(tamper.rsplit("= ", 1)[1])
    assert in_pieces.first_bad_entry == expected


def test_concurrent_writers_keep_the_chain_linear(workspace: Workspace) -> None:
    # on SQLite the writers queue for the one write lock; none may fail or fork the chain
    writers, each = 6, 15
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(w: int) -> None:
        try:
            barrier.wait()
            for i in range(each):
                _append(workspace, w * 1000 + i)
        except BaseException as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with workspace.store.connect() as conn:
        entries = list(audit.iter_entries(conn))
    mine = [e for e in entries if e.action.startswith("read.")]
    assert len(mine) == writers * each
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert all(b.prev_hash == a.entry_hash for a, b in zip(entries, entries[1:], strict=False))
    report = _verify(workspace)
    assert report.ok, report.problems


def test_entries_appended_while_verifying_are_left_for_the_next_verification(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An auditor verifies a live system: appends that land mid-way are no truncation."""
    _fill(workspace, 20)
    before = _verify(workspace, workers=1).entries
    walk = integrity._one_pass

    def walk_between_appends(*args: object, **kw: object) -> object:
        _append(workspace, 1000)  # lands after verification read the log's extent
        walked = walk(*args, **kw)  # type: ignore[arg-type]
        _append(workspace, 1001)  # lands before verification compares with the stored tree
        return walked

    monkeypatch.setattr(integrity, "_one_pass", walk_between_appends)
    report = _verify(workspace, workers=1)
    assert report.ok, report.problems
    assert report.entries == before
    monkeypatch.undo()
    again = _verify(workspace, workers=1)
    assert again.ok and again.entries == before + 2


@pytest.mark.parametrize("batch", [4, 1 << 14])
def test_awkward_text_verifies_without_the_row_by_row_walk(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    """Backslashes, quotes, JSON escapes and non-ASCII text are read and hashed on the fast path
    (in one batch, and in several: on SQLite each read ahead in a thread)."""
    monkeypatch.setattr(integrity, "_BATCH", batch)
    awkward = "Zoë \u4e2d\U0001f600 \\N \\\\ \\x1f \" ' % %s, (a) \r\n\x1b[31m \x1f \x01 \x02"
    _fill(workspace, 6)
    for i in range(5):
        _append(workspace, i, purpose=awkward, action=awkward, client="", details={"q": awkward, "n": i})
    _fill(workspace, 3)
    walked: list[bool] = []
    row_by_row = integrity._walk

    def spy(*args: object, **kw: object) -> object:
        walked.append(True)
        return row_by_row(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(integrity, "_walk", spy)
    report = _verify(workspace, workers=1)
    assert report.ok, report.problems
    assert walked == []
    with workspace.store.connect() as conn:
        leaves = [bytes.fromhex(e.entry_hash) for e in audit.iter_entries(conn)]
    assert report.root_hash == merkle.root_from_leaf_hashes(leaves).hex()


@pytest.mark.parametrize("value", ["newline", "separator", "quote", "null-marker", "null", "comma"])
def test_a_field_holding_the_read_formats_own_bytes_is_named(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """Bytes the fast read gives a meaning (line end, delimiter, quote, NULL, the comma that
    joins hashes) send it to the row-by-row walk, which names the entry."""
    monkeypatch.setattr(integrity, "_BATCH", 4)
    if value == "null" and workspace.store.is_sqlite:
        pytest.skip("SQLite cannot drop a NOT NULL constraint in place")
    _fill(workspace, 10)
    char = "chr" if workspace.store.is_postgres else "char"
    code = {"newline": 10, "separator": 31, "quote": 1, "null-marker": 2}
    if value == "null":
        _raw(workspace, "ALTER TABLE audit_log ALTER COLUMN details DROP NOT NULL",
             "UPDATE audit_log SET details = NULL WHERE seq = 6")
    elif value == "comma":
        _raw(workspace, "UPDATE audit_log SET prev_hash = substr(prev_hash, 1, 63) || ',' WHERE seq = 6")
    else:
        _raw(workspace, f"UPDATE audit_log SET details = 'x' || {char}({code[value]}) || 'y' WHERE seq = 6")
    report = _verify(workspace, workers=1)
    assert not report.ok
    assert report.first_bad_entry == 6
