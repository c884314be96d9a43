"""Tests for signed tree heads in clearsight.governance.treehead."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import stat
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from clearsight.governance.merkle import MemoryNodeStore, root
from clearsight.governance.treehead import (
    SIGNED_TREE_HEAD_FORMAT,
    SignedTreeHead,
    TreeHead,
    format_timestamp,
    generate_signing_key,
    key_id,
    load_public_key,
    load_signing_key,
    public_key_from_pem,
    public_key_path,
    public_key_pem,
    sign_head,
    verify_head,
)

ROOT_HEX = "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
STAMP = "2025-03-01T12:34:56.789012Z"


def make_head(**changes: object) -> TreeHead:
    fields: dict[str, object] = {
        "size": 8,
        "root_hash": ROOT_HEX,
        "timestamp": STAMP,
        "log_id": "clearsight.test/audit",
    }
    fields.update(changes)
    return TreeHead(**fields)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def test_canonical_bytes_are_fixed_text() -> None:
    assert make_head().canonical_bytes() == (
        b"clearsight-tree-head/1\n"
        b"clearsight.test/audit\n"
        b"8\n" + ROOT_HEX.encode() + b"\n" + STAMP.encode() + b"\n"
    )


def test_sign_and_verify_round_trip(key: Ed25519PrivateKey) -> None:
    sth = sign_head(make_head(), key)
    assert sth.key_id == key_id(key.public_key())
    assert len(base64.b64decode(sth.signature)) == 64
    assert verify_head(sth, key.public_key())


def test_json_round_trip(key: Ed25519PrivateKey) -> None:
    sth = sign_head(make_head(), key)
    text = sth.to_json()
    data = json.loads(text)
    assert data["format"] == SIGNED_TREE_HEAD_FORMAT
    assert data["head"] == {
        "log_id": "clearsight.test/audit",
        "size": 8,
        "root_hash": ROOT_HEX,
        "timestamp": STAMP,
    }
    again = SignedTreeHead.from_json(text)
    assert again == sth
    assert verify_head(again, key.public_key())


@pytest.mark.parametrize(
    "change",
    [
        {"size": 9},
        {"size": 0},
        {"root_hash": "0" * 64},
        {"root_hash": ROOT_HEX[:-1] + "9"},
        {"timestamp": "2025-03-01T12:34:56.789013Z"},
        {"log_id": "clearsight.test/other"},
    ],
)
def test_tampered_field_fails(key: Ed25519PrivateKey, change: dict[str, object]) -> None:
    sth = sign_head(make_head(), key)
    tampered = dataclasses.replace(sth, head=dataclasses.replace(sth.head, **change))  # type: ignore[arg-type]
    assert not verify_head(tampered, key.public_key())


def test_tampered_json_fails(key: Ed25519PrivateKey) -> None:
    data = json.loads(sign_head(make_head(), key).to_json())
    data["head"]["size"] = 7
    assert not verify_head(SignedTreeHead.from_dict(data), key.public_key())


def test_wrong_key_fails(key: Ed25519PrivateKey) -> None:
    other = Ed25519PrivateKey.generate()
    sth = sign_head(make_head(), key)
    assert not verify_head(sth, other.public_key())
    # Relabelling the key id does not help either.
    relabelled = dataclasses.replace(sth, key_id=key_id(other.public_key()))
    assert not verify_head(relabelled, other.public_key())


def test_bad_signature_fails(key: Ed25519PrivateKey) -> None:
    sth = sign_head(make_head(), key)
    raw = bytearray(base64.b64decode(sth.signature))
    raw[10] ^= 1
    flipped = dataclasses.replace(sth, signature=base64.b64encode(bytes(raw)).decode())
    assert not verify_head(flipped, key.public_key())
    assert not verify_head(dataclasses.replace(sth, signature="not base64!"), key.public_key())
    assert not verify_head(dataclasses.replace(sth, signature=""), key.public_key())


def test_key_id_is_prefix_of_sha256_of_raw_public_key(key: Ed25519PrivateKey) -> None:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert key_id(key.public_key()) == hashlib.sha256(raw).hexdigest()[:16]


def test_generate_signing_key_writes_private_0600_and_public(tmp_path: Path) -> None:
    path = tmp_path / "audit-log.key"
    key = generate_signing_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    pub = public_key_path(path)
    assert pub == tmp_path / "audit-log.key.pub"
    assert pub.read_text().startswith("-----BEGIN PUBLIC KEY-----")
    loaded = load_signing_key(path)
    assert key_id(loaded.public_key()) == key_id(key.public_key())
    assert key_id(load_public_key(pub)) == key_id(key.public_key())
    sth = sign_head(make_head(), loaded)
    assert verify_head(sth, load_public_key(pub))


def test_generate_signing_key_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "k"
    generate_signing_key(path)
    before = path.read_bytes()
    with pytest.raises(FileExistsError):
        generate_signing_key(path)
    assert path.read_bytes() == before
    other = tmp_path / "j"
    public_key_path(other).write_text("existing")
    with pytest.raises(FileExistsError):
        generate_signing_key(other)
    assert not other.exists()


def test_loading_rejects_other_key_types(tmp_path: Path) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    private = tmp_path / "ec.key"
    private.write_bytes(
        ec_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public = tmp_path / "ec.pub"
    public.write_bytes(
        ec_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    with pytest.raises(ValueError, match="Ed25519"):
        load_signing_key(private)
    with pytest.raises(ValueError, match="Ed25519"):
        load_public_key(public)
    garbage = tmp_path / "garbage"
    garbage.write_text("hello")
    with pytest.raises(ValueError):
        load_signing_key(garbage)
    with pytest.raises(ValueError):
        load_public_key(garbage)


def test_public_key_pem_round_trip(key: Ed25519PrivateKey) -> None:
    pem = public_key_pem(key.public_key())
    assert key_id(public_key_from_pem(pem)) == key_id(key.public_key())


@pytest.mark.parametrize(
    "change",
    [
        {"size": -1},
        {"size": True},
        {"size": "8"},
        {"root_hash": ROOT_HEX.upper()},
        {"root_hash": ROOT_HEX[:-2]},
        {"timestamp": "2025-03-01T12:34:56Z"},
        {"timestamp": "2025-03-01T12:34:56.789012+00:00"},
        {"timestamp": "2025-02-30T12:34:56.789012Z"},
        {"log_id": ""},
        {"log_id": "has space"},
        {"log_id": "two\nlines"},
        {"log_id": "x" * 201},
    ],
)
def test_tree_head_validation(change: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        make_head(**change)


def test_tree_head_create_and_timestamp() -> None:
    moment = datetime(2025, 3, 1, 13, 34, 56, 789012, tzinfo=timezone(timedelta(hours=1)))
    head = TreeHead.create(8, bytes.fromhex(ROOT_HEX), "log", moment)
    assert head.timestamp == STAMP
    assert head.root_bytes == bytes.fromhex(ROOT_HEX)
    assert format_timestamp().endswith("Z")
    assert len(format_timestamp(datetime(2025, 1, 1, tzinfo=UTC))) == len(STAMP)
    with pytest.raises(ValueError):
        format_timestamp(datetime(2025, 1, 1))


def test_head_for_a_real_tree(key: Ed25519PrivateKey) -> None:
    store = MemoryNodeStore()
    for i in range(10):
        store.append_entry(f"e{i}".encode())
    head = TreeHead.create(store.size(), root(store), "clearsight")
    assert verify_head(sign_head(head, key), key.public_key())


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.update(format="clearsight-signed-tree-head/2"),
        lambda d: d.pop("format"),
        lambda d: d.update(extra=1),
        lambda d: d.update(key_id="XYZ"),
        lambda d: d.update(signature="@@@"),
        lambda d: d.update(signature=base64.b64encode(b"short").decode()),
        lambda d: d["head"].pop("size"),
        lambda d: d["head"].update(note="x"),
        lambda d: d.update(head=[]),
    ],
)
def test_from_dict_rejects_malformed(key: Ed25519PrivateKey, mutate: object) -> None:
    data = json.loads(sign_head(make_head(), key).to_json())
    mutate(data)  # type: ignore[operator]
    with pytest.raises(ValueError):
        SignedTreeHead.from_dict(data)


def test_from_json_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        SignedTreeHead.from_json("{not json")
    with pytest.raises(ValueError):
        SignedTreeHead.from_json("[]")
