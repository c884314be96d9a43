"""Witnessed tree heads (LOG-9): a database restored from an old backup is detected."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from clearsight.bootstrap import Workspace
from clearsight.errors import IntegrityError, NotFound
from clearsight.governance import audit, integrity, service, treehead, witness
from clearsight.store.engine import Store
from tests.governance.test_audit_log import _fill
from tests.helpers import make_context


@pytest.fixture
def copies() -> Iterator[list[str]]:
    """Names of PostgreSQL databases a test copied, dropped afterwards."""
    made: list[str] = []
    yield made
    for url in made:
        admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
        admin.dispose()


def _backup(ws: Workspace, tmp_path: Path, copies: list[str]) -> str:
    """A copy of the workspace's database as it is now; returns the copy's URL."""
    url = make_url(ws.store.url)
    if ws.store.is_sqlite:
        target = tmp_path / f"backup-{uuid.uuid4().hex[:6]}.db"
        source = sqlite3.connect(str(url.database))
        with sqlite3.connect(target) as dest:
            source.backup(dest)
        source.close()
        return f"sqlite:///{target}"
    name = f"{url.database}_bk{uuid.uuid4().hex[:4]}"
    ws.store.dispose()  # a template database must have no other connections
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{url.database}"'))
    admin.dispose()
    copy = url.set(database=name).render_as_string(hide_password=False)
    copies.append(copy)
    return copy


def _key(ws: Workspace) -> treehead.Ed25519PrivateKey:
    return integrity.ensure_signing_key(ws.settings.signing_key_path)


def _verify_against_witness(store: Store, target: Path, key: treehead.Ed25519PrivateKey) -> integrity.VerifyReport:
    head = witness.latest(target, key.public_key())
    assert head is not None
    with store.connect() as conn:
        return integrity.verify(conn, against=head, public_key=key.public_key())


def test_push_appends_consistent_heads_and_skips_unchanged_ones(workspace: Workspace, tmp_path: Path) -> None:
    key = _key(workspace)
    target = tmp_path / "witness"
    target.mkdir()
    _fill(workspace, 5)
    with workspace.store.begin() as conn:
        first = witness.push(conn, key, target)
        again = witness.push(conn, key, target)
    assert first.appended and first.previous_size is None
    assert not again.appended and again.head == first.head
    _fill(workspace, 4)
    with workspace.store.begin() as conn:
        second = witness.push(conn, key, target)
    assert second.appended and second.previous_size == first.head.head.size
    heads = witness.read_heads(target, key.public_key())
    assert [h.head.size for h in heads] == [first.head.head.size, second.head.head.size]
    lines = (target / witness.WITNESS_FILE).read_text("utf-8").splitlines()
    assert len(lines) == 2 and all(json.loads(line)["format"] == treehead.SIGNED_TREE_HEAD_FORMAT for line in lines)
    assert _verify_against_witness(workspace.store, target, key).ok


def test_restoring_an_old_backup_is_detected(workspace: Workspace, tmp_path: Path, copies: list[str]) -> None:
    key = _key(workspace)
    target = tmp_path / "heads.jsonl"
    _fill(workspace, 6)
    with workspace.store.begin() as conn:
        witness.push(conn, key, target)
    backup_url = _backup(workspace, tmp_path, copies)
    _fill(workspace, 7)
    with workspace.store.begin() as conn:
        newest = witness.push(conn, key, target).head
    assert _verify_against_witness(workspace.store, target, key).ok

    restored = Store(backup_url)
    try:
        report = _verify_against_witness(restored, target, key)
        assert not report.ok
        message = " ".join(report.problems)
        assert f"kept tree head has {newest.head.size}" in message and "rolled back" in message
        with restored.begin() as conn, pytest.raises(IntegrityError, match="older backup"):
            witness.push(conn, key, target)
        # the restored copy grows past the witnessed size: a different history, still caught
        with restored.begin() as conn:
            for i in range(10):
                audit.append(conn, operation="consultation", action=f"after.restore.{i}", user="analyst1",
                             purpose="INTELLIGENCE: x", component="test", client="cli")
        report = _verify_against_witness(restored, target, key)
        assert not report.ok and "history was rewritten or rolled back" in " ".join(report.problems)
        with restored.begin() as conn, pytest.raises(IntegrityError, match="not consistent"):
            witness.push(conn, key, target)
    finally:
        restored.dispose()
    assert len(witness.read_heads(target, key.public_key())) == 2


def test_a_tampered_witness_store_is_refused(sqlite_workspace: Workspace, tmp_path: Path) -> None:
    ws = sqlite_workspace
    key = _key(ws)
    target = tmp_path / "heads.jsonl"
    _fill(ws, 3)
    with ws.store.begin() as conn:
        witness.push(conn, key, target)
    line = json.loads(target.read_text("utf-8"))
    line["head"]["size"] += 1
    target.write_text(target.read_text("utf-8") + json.dumps(line) + "\n", encoding="utf-8")
    with pytest.raises(IntegrityError, match=r"heads\.jsonl, line 2: the signature does not verify"):
        witness.read_heads(target, key.public_key())
    target.write_text("not json\n", encoding="utf-8")
    with pytest.raises(IntegrityError, match="line 1: not a signed tree head"):
        witness.read_heads(target, key.public_key())


def test_service_verifies_against_the_witness(sqlite_workspace: Workspace, tmp_path: Path) -> None:
    ws = sqlite_workspace
    ctx = make_context(roles=("auditor",), purpose="AUDIT-INTEGRITY: scheduled witness check")
    target = tmp_path / "witness"
    target.mkdir()
    signing = ws.settings.signing_key_path
    integrity.ensure_signing_key(signing)
    with pytest.raises(NotFound, match="holds no tree head yet"):
        service.verify(ws.governance, ctx, signing_key=signing, witness_store=target)
    pushed = service.witness_push(ws.governance, ctx, target, signing_key=signing)
    report = service.verify(ws.governance, ctx, signing_key=signing, witness_store=target)
    assert report.ok and report.checked_against == pushed.head.head.size
