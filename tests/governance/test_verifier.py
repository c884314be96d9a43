"""Tests for the standalone proof verifier in clearsight.governance.verifier."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from clearsight.governance import merkle
from clearsight.governance.treehead import (
    SignedTreeHead,
    TreeHead,
    generate_signing_key,
    public_key_path,
    sign_head,
)
from clearsight.governance.verifier import (
    CONSISTENCY_FORMAT,
    INCLUSION_FORMAT,
    dump_document,
    main,
    make_consistency_document,
    make_inclusion_document,
    verify_consistency_document,
    verify_inclusion_document,
)

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "rfc6962_vectors.json").read_text("utf-8")
)
LOG_ID = "clearsight.test/audit"
MOMENT = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def entry_text(i: int) -> str:
    return json.dumps({"seq": i, "event": "record.read", "actor": f"user{i % 3}"}, sort_keys=True)


@pytest.fixture(scope="module")
def store() -> merkle.MemoryNodeStore:
    s = merkle.MemoryNodeStore()
    for i in range(21):
        s.append_entry(entry_text(i).encode())
    return s


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def signed(store: merkle.MemoryNodeStore, size: int, key: Ed25519PrivateKey) -> SignedTreeHead:
    return sign_head(TreeHead.create(size, merkle.root(store, size), LOG_ID, MOMENT), key)


def inclusion_doc(
    store: merkle.MemoryNodeStore,
    key: Ed25519PrivateKey | None,
    index: int = 6,
    size: int = 21,
    embed_key: bool = False,
) -> dict[str, Any]:
    sth = signed(store, size, key) if key is not None else None
    return make_inclusion_document(
        index,
        size,
        store.get_node(0, index),
        merkle.inclusion_proof(store, index, size),
        merkle.root(store, size),
        entry=entry_text(index),
        signed_head=sth,
        public_key=key.public_key() if (embed_key and key is not None) else None,
    )


def consistency_doc(
    store: merkle.MemoryNodeStore,
    key: Ed25519PrivateKey | None,
    old: int = 7,
    new: int = 21,
) -> dict[str, Any]:
    return make_consistency_document(
        old,
        new,
        merkle.root(store, old),
        merkle.root(store, new),
        merkle.consistency_proof(store, old, new),
        old_signed_head=signed(store, old, key) if key is not None else None,
        new_signed_head=signed(store, new, key) if key is not None else None,
    )


# --- inclusion documents ---------------------------------------------------------------------


def test_inclusion_document_shape(store: merkle.MemoryNodeStore, key: Ed25519PrivateKey) -> None:
    doc = inclusion_doc(store, key, embed_key=True)
    assert doc["format"] == INCLUSION_FORMAT
    assert set(doc) == {
        "format",
        "leaf_index",
        "tree_size",
        "leaf_hash",
        "entry",
        "proof",
        "root_hash",
        "signed_head",
        "public_key",
    }
    assert json.loads(dump_document(doc)) == doc


def test_every_inclusion_proof_verifies(
    store: merkle.MemoryNodeStore, key: Ed25519PrivateKey
) -> None:
    for size in (1, 2, 7, 8, 21):
        for index in range(size):
            doc = inclusion_doc(store, key, index, size)
            result = verify_inclusion_document(dump_document(doc), key.public_key())
            assert result.ok, result.message
            assert result.notes == ()


def test_inclusion_with_embedded_key_only_says_so(
    store: merkle.MemoryNodeStore, key: Ed25519PrivateKey
) -> None:
    result = verify_inclusion_document(inclusion_doc(store, key, embed_key=True))
    assert result.ok
    assert any("embedded" in n for n in result.notes)


def test_inclusion_bare_proof_is_ok_with_note(store: merkle.MemoryNodeStore) -> None:
    result = verify_inclusion_document(inclusion_doc(store, None))
    assert result.ok
    assert any("not signed" in n for n in result.notes)


def test_inclusion_signed_head_needs_a_key(
    store: merkle.MemoryNodeStore, key: Ed25519PrivateKey
) -> None:
    result = verify_inclusion_document(inclusion_doc(store, key))
    assert not result.ok
    assert "no public key" in result.message


def test_inclusion_trusted_key_needs_a_signed_head(
    store: merkle.MemoryNodeStore, key: Ed25519PrivateKey
) -> None:
    result = verify_inclusion_document(inclusion_doc(store, None), key.public_key())
    assert not result.ok
    assert "no signed head" in result.message


def test_inclusion_wrong_trusted_key_fails_even_with_embedded_key(
    store: merkle.MemoryNodeStore, key: Ed25519PrivateKey
) -> None:
    other = Ed25519PrivateKey.generate()
    result = verify_inclusion_document(
        inclusion_doc(store, key, embed_key=True), other.public_key()
    )
    assert not result.ok
    # A forger who signs with their own key and embeds it is caught by the trusted key.
    forged = inclusion_doc(store, other, embed_key=True)
    assert verify_inclusion_document(forged).ok
    assert not verify_inclusion_document(forged, key.public_key()).ok


def flip_hex(value: str) -> str:
    return ("1" if value[0] == "0" else "0") + value[1:]


INCLUSION_TAMPERING: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
    ("entry text", lambda d: d.update(entry=d["entry"].replace("read", "edit"))),
    ("leaf hash", lambda d: d.update(leaf_hash=flip_hex(d["leaf_hash"]))),
    ("proof element", lambda d: d["proof"].__setitem__(1, flip_hex(d["proof"][1]))),
    ("truncated proof", lambda d: d["proof"].pop()),
    ("extended proof", lambda d: d["proof"].append("00" * 32)),
    ("index + 1", lambda d: d.update(leaf_index=d["leaf_index"] + 1)),
    ("index beyond size", lambda d: d.update(leaf_index=d["tree_size"])),
    ("size - 1", lambda d: d.update(tree_size=d["tree_size"] - 1)),
    ("root hash", lambda d: d.update(root_hash=flip_hex(d["root_hash"]))),
    ("head size", lambda d: d["signed_head"]["head"].update(size=20)),
    ("head root", lambda d: d["signed_head"]["head"].update(root_hash="ab" * 32)),
    (
        "head time",
        lambda d: d["signed_head"]["head"].update(timestamp="2030-01-01T00:00:00.000000Z"),
    ),
    ("head log", lambda d: d["signed_head"]["head"].update(log_id="other")),
    (
        "signature",
        lambda d: d["signed_head"].update(signature=base64.b64encode(b"\0" * 64).decode()),
    ),
    ("key id", lambda d: d["signed_head"].update(key_id="0" * 16)),
    ("format", lambda d: d.update(format="clearsight-inclusion-proof/2")),
    ("unknown field", lambda d: d.update(comment="trust me")),
    ("missing field", lambda d: d.pop("proof")),
    ("uppercase hex", lambda d: d.update(root_hash=d["root_hash"].upper())),
    ("short hex", lambda d: d.update(leaf_hash=d["leaf_hash"][:-2])),
    ("proof not a list", lambda d: d.update(proof="00" * 32)),
    ("proof element not text", lambda d: d["proof"].__setitem__(0, 7)),
    ("negative index", lambda d: d.update(leaf_index=-1)),
    ("boolean size", lambda d: d.update(tree_size=True)),
    ("entry not text", lambda d: d.update(entry=["x"])),
    ("public key garbage", lambda d: d.update(public_key="-----BEGIN PUBLIC KEY-----\nxx\n")),
]


@pytest.mark.parametrize(
    "name,tamper", INCLUSION_TAMPERING, ids=[n for n, _ in INCLUSION_TAMPERING]
)
def test_tampered_inclusion_document_fails(
    store: merkle.MemoryNodeStore,
    key: Ed25519PrivateKey,
    name: str,
    tamper: Callable[[dict[str, Any]], None],
) -> None:
    doc = json.loads(dump_document(inclusion_doc(store, key, embed_key=True)))
    tamper(doc)
    result = verify_inclusion_document(doc, key.public_key())
    assert not result.ok, name
    assert result.message


@pytest.mark.parametrize("text", ["", "{", "[]", "null", '"x"', b"\xff\xfe"])
def test_garbage_documents_fail(text: str | bytes) -> None:
    assert not verify_inclusion_document(text).ok
    assert not verify_consistency_document(text).ok


def test_builders_refuse_inconsistent_parts(
    store: merkle.MemoryNodeStore, key: Ed25519PrivateKey
) -> None:
    leaf = store.get_node(0, 6)
    proof = merkle.inclusion_proof(store, 6, 21)
    root21 = merkle.root(store, 21)
    with pytest.raises(ValueError, match="entry"):
        make_inclusion_document(6, 21, leaf, proof, root21, entry=entry_text(5))
    with pytest.raises(ValueError, match="signed head"):
        make_inclusion_document(6, 21, leaf, proof, root21, signed_head=signed(store, 20, key))
    with pytest.raises(merkle.ProofError):
        make_inclusion_document(6, 21, leaf, proof[:-1], root21)
    cproof = merkle.consistency_proof(store, 7, 21)
    with pytest.raises(ValueError, match="old signed head"):
        make_consistency_document(
            7, 21, merkle.root(store, 7), root21, cproof, old_signed_head=signed(store, 8, key)
        )
    with pytest.raises(merkle.ProofError):
        make_consistency_document(7, 21, merkle.root(store, 8), root21, cproof)


# --- consistency documents -------------------------------------------------------------------


def test_every_consistency_proof_verifies(
    store: merkle.MemoryNodeStore, key: Ed25519PrivateKey
) -> None:
    for new in (1, 5, 8, 21):
        for old in range(1, new + 1):
            doc = consistency_doc(store, key, old, new)
            assert doc["format"] == CONSISTENCY_FORMAT
            result = verify_consistency_document(dump_document(doc), key.public_key())
            assert result.ok, result.message


def test_consistency_one_signed_head_is_noted(
    store: merkle.MemoryNodeStore, key: Ed25519PrivateKey
) -> None:
    doc = consistency_doc(store, key)
    del doc["old_signed_head"]
    result = verify_consistency_document(doc, key.public_key())
    assert result.ok
    assert any("only new_signed_head" in n for n in result.notes)


def test_consistency_heads_from_different_logs_fail(
    store: merkle.MemoryNodeStore, key: Ed25519PrivateKey
) -> None:
    doc = consistency_doc(store, key)
    other = sign_head(TreeHead.create(7, merkle.root(store, 7), "another-log", MOMENT), key)
    doc["old_signed_head"] = other.to_dict()
    result = verify_consistency_document(doc, key.public_key())
    assert not result.ok
    assert "different logs" in result.message


def test_rollback_to_a_rewritten_log_is_detected(key: Ed25519PrivateKey) -> None:
    """A head held outside the platform exposes a log rewritten after it was signed."""
    honest = merkle.MemoryNodeStore()
    rewritten = merkle.MemoryNodeStore()
    for i in range(12):
        honest.append_entry(entry_text(i).encode())
        rewritten.append_entry(entry_text(i if i != 4 else 99).encode())
    witnessed = signed(honest, 10, key)
    for i in range(12, 15):
        rewritten.append_entry(entry_text(i).encode())
    # The platform can only offer a proof over the rewritten tree; the builder refuses it...
    with pytest.raises(merkle.ProofError):
        make_consistency_document(
            10,
            15,
            witnessed.head.root_bytes,
            merkle.root(rewritten, 15),
            merkle.consistency_proof(rewritten, 10, 15),
        )
    # ...and a hand-made document fails in the standalone verifier.
    doc = {
        "format": CONSISTENCY_FORMAT,
        "old_size": 10,
        "new_size": 15,
        "old_root_hash": witnessed.head.root_hash,
        "new_root_hash": merkle.root(rewritten, 15).hex(),
        "proof": [p.hex() for p in merkle.consistency_proof(rewritten, 10, 15)],
        "old_signed_head": witnessed.to_dict(),
        "new_signed_head": signed(rewritten, 15, key).to_dict(),
    }
    result = verify_consistency_document(doc, key.public_key())
    assert not result.ok
    assert "old root" in result.message


CONSISTENCY_TAMPERING: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
    ("proof element", lambda d: d["proof"].__setitem__(0, flip_hex(d["proof"][0]))),
    ("truncated proof", lambda d: d["proof"].pop()),
    ("extended proof", lambda d: d["proof"].append(d["new_root_hash"])),
    ("empty proof", lambda d: d.update(proof=[])),
    (
        "swapped roots",
        lambda d: d.update(old_root_hash=d["new_root_hash"], new_root_hash=d["old_root_hash"]),
    ),
    ("old size + 1", lambda d: d.update(old_size=d["old_size"] + 1)),
    ("new size - 1", lambda d: d.update(new_size=d["new_size"] - 1)),
    ("sizes reversed", lambda d: d.update(old_size=d["new_size"], new_size=d["old_size"])),
    ("new head root", lambda d: d["new_signed_head"]["head"].update(root_hash="cd" * 32)),
    ("old head size", lambda d: d["old_signed_head"]["head"].update(size=8)),
    (
        "new head signature",
        lambda d: d["new_signed_head"].update(signature=d["old_signed_head"]["signature"]),
    ),
    ("format", lambda d: d.update(format=INCLUSION_FORMAT)),
    ("unknown field", lambda d: d.update(extra=None)),
]


@pytest.mark.parametrize(
    "name,tamper", CONSISTENCY_TAMPERING, ids=[n for n, _ in CONSISTENCY_TAMPERING]
)
def test_tampered_consistency_document_fails(
    store: merkle.MemoryNodeStore,
    key: Ed25519PrivateKey,
    name: str,
    tamper: Callable[[dict[str, Any]], None],
) -> None:
    doc = json.loads(dump_document(consistency_doc(store, key)))
    tamper(doc)
    assert not verify_consistency_document(doc, key.public_key()).ok, name


# --- transparency-dev/merkle vectors through the document format ------------------------------


def hexify(value: str) -> str:
    return base64.b64decode(value).hex()


@pytest.mark.parametrize(
    "vector", VECTORS["testdata"]["inclusion"], ids=lambda v: v["file"].removeprefix("testdata/")
)
def test_testdata_inclusion_documents(vector: dict[str, Any]) -> None:
    doc = {
        "format": INCLUSION_FORMAT,
        "leaf_index": vector["leafIdx"],
        "tree_size": vector["treeSize"],
        "leaf_hash": hexify(vector["leafHash"]),
        "proof": [hexify(p) for p in vector["proof"] or []],
        "root_hash": hexify(vector["root"]),
    }
    assert verify_inclusion_document(doc).ok is not vector["wantErr"]


@pytest.mark.parametrize(
    "vector",
    VECTORS["testdata"]["consistency"],
    ids=lambda v: v["file"].removeprefix("testdata/"),
)
def test_testdata_consistency_documents(vector: dict[str, Any]) -> None:
    doc = {
        "format": CONSISTENCY_FORMAT,
        "old_size": vector["size1"],
        "new_size": vector["size2"],
        "old_root_hash": hexify(vector["root1"]),
        "new_root_hash": hexify(vector["root2"]),
        "proof": [hexify(p) for p in vector["proof"] or []],
    }
    assert verify_consistency_document(doc).ok is not vector["wantErr"]


# --- command line ----------------------------------------------------------------------------


@pytest.fixture()
def keyfiles(tmp_path: Path) -> tuple[Ed25519PrivateKey, Path]:
    private = tmp_path / "log.key"
    return generate_signing_key(private), public_key_path(private)


def test_cli_inclusion_ok_and_fail(
    store: merkle.MemoryNodeStore,
    keyfiles: tuple[Ed25519PrivateKey, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key, pub = keyfiles
    path = tmp_path / "inclusion.json"
    path.write_text(dump_document(inclusion_doc(store, key)))
    assert main(["inclusion", str(path), "--public-key", str(pub)]) == 0
    assert capsys.readouterr().out.startswith("OK: entry 6 is included")

    doc = json.loads(path.read_text())
    doc["entry"] = doc["entry"].replace("user0", "user2")
    path.write_text(json.dumps(doc))
    assert main(["inclusion", str(path), "--public-key", str(pub)]) == 1
    assert capsys.readouterr().out == "FAIL: entry text does not hash to leaf_hash\n"


def test_cli_consistency_ok_and_fail(
    store: merkle.MemoryNodeStore,
    keyfiles: tuple[Ed25519PrivateKey, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key, pub = keyfiles
    path = tmp_path / "consistency.json"
    path.write_text(dump_document(consistency_doc(store, key, 3, 20)))
    assert main(["consistency", str(path), "--public-key", str(pub)]) == 0
    assert capsys.readouterr().out.startswith("OK: the tree of size 3")
    bad = tmp_path / "other.key"
    generate_signing_key(bad)
    assert main(["consistency", str(path), "--public-key", str(public_key_path(bad))]) == 1
    assert capsys.readouterr().out.startswith("FAIL: old_signed_head was signed by key")


def test_cli_notes_unsigned_root_and_reads_stdin(
    store: merkle.MemoryNodeStore,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(dump_document(inclusion_doc(store, None))))
    assert main(["inclusion", "-"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("OK: ")
    assert out[1].startswith("note: the root hash is not signed")


def test_cli_reports_unreadable_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inclusion", str(tmp_path / "missing.json")]) == 1
    assert capsys.readouterr().out.startswith("FAIL: cannot read")
    doc = tmp_path / "doc.json"
    doc.write_text("{}")
    assert main(["consistency", str(doc), "--public-key", str(doc)]) == 1
    assert capsys.readouterr().out.startswith("FAIL: cannot load public key")
    assert main(["consistency", str(doc)]) == 1
    assert capsys.readouterr().out.startswith("FAIL: format must be")


def test_runs_as_module(
    store: merkle.MemoryNodeStore, keyfiles: tuple[Ed25519PrivateKey, Path], tmp_path: Path
) -> None:
    key, pub = keyfiles
    path = tmp_path / "inclusion.json"
    path.write_text(dump_document(inclusion_doc(store, key)))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "clearsight.governance.verifier",
            "inclusion",
            str(path),
            "--public-key",
            str(pub),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("OK: ")


def test_verifier_dependencies_exclude_the_store() -> None:
    """The verifier and what it imports never touch the database layer.

    The package ``__init__`` is bypassed so that only the verifier's own import closure is
    measured.
    """
    probe = textwrap.dedent(
        """
        import pathlib, sys, types
        import clearsight
        package = types.ModuleType("clearsight.governance")
        package.__path__ = [str(pathlib.Path(clearsight.__file__).parent / "governance")]
        sys.modules["clearsight.governance"] = package
        import clearsight.governance.verifier
        prefixes = ("clearsight.store", "sqlalchemy", "psycopg", "sqlite3")
        print(sorted(m for m in sys.modules if m.startswith(prefixes)))
        """
    )
    imported = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert imported.stdout.strip() == "[]"
