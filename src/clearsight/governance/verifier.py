"""Standalone verifier for audit-log inclusion and consistency proofs.

Anyone holding a proof document (and, ideally, the log's public key obtained out of band)
can check it without access to the Clearsight database::

    python -m clearsight.governance.verifier inclusion proof.json --public-key log.key.pub
    python -m clearsight.governance.verifier consistency proof.json --public-key log.key.pub

The command prints ``OK: ...`` and exits 0, or prints ``FAIL: <reason>`` and exits 1.  This
module imports nothing from ``clearsight.store``; it needs only the Merkle and tree-head
primitives.

Document formats (JSON objects; hashes are 64 lowercase hex digits; unknown fields are
rejected)::

    {
      "format": "clearsight-inclusion-proof/1",
      "leaf_index": 5,                  # zero-based position of the entry
      "tree_size": 8,                   # size of the tree the proof is against
      "leaf_hash": "<hex>",             # SHA-256(0x00 || entry bytes)
      "entry": "<text>",                # optional: canonical entry text (UTF-8 encoded
                                        #   to get the leaf bytes); checked against leaf_hash
      "proof": ["<hex>", ...],          # RFC 6962 audit path, bottom-up
      "root_hash": "<hex>",             # root of the tree of tree_size leaves
      "signed_head": {...},             # optional: SignedTreeHead.to_dict() for tree_size
      "public_key": "<PEM>"             # optional: the log's Ed25519 public key
    }

    {
      "format": "clearsight-consistency-proof/1",
      "old_size": 6, "new_size": 8,
      "old_root_hash": "<hex>", "new_root_hash": "<hex>",
      "proof": ["<hex>", ...],          # RFC 6962 consistency proof
      "old_signed_head": {...},         # optional: signed head for old_size
      "new_signed_head": {...},         # optional: signed head for new_size
      "public_key": "<PEM>"             # optional
    }

Signed heads: when a document carries one, its signature is checked and its size and root
must equal the proof's.  The key used is the trusted key passed by the caller
(``--public-key``) or, failing that, the key embedded in the document; the latter only shows
the document is self-consistent, and the result says so.  A signed head with no key at all
fails, and so does a trusted key with no signed head to check.  A document with neither is
checked as a bare proof, with a note that its root is not authenticated.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from clearsight.governance import merkle
from clearsight.governance.treehead import (
    SignedTreeHead,
    key_id,
    load_public_key,
    public_key_from_pem,
    public_key_pem,
    verify_head,
)

INCLUSION_FORMAT = "clearsight-inclusion-proof/1"
"""``format`` value of an inclusion proof document."""

CONSISTENCY_FORMAT = "clearsight-consistency-proof/1"
"""``format`` value of a consistency proof document."""

_HEX_HASH = re.compile(f"[0-9a-f]{{{2 * merkle.HASH_SIZE}}}")

_INCLUSION_REQUIRED = {"format", "leaf_index", "tree_size", "leaf_hash", "proof", "root_hash"}
_INCLUSION_OPTIONAL = {"entry", "signed_head", "public_key"}
_CONSISTENCY_REQUIRED = {
    "format",
    "old_size",
    "new_size",
    "old_root_hash",
    "new_root_hash",
    "proof",
}
_CONSISTENCY_OPTIONAL = {"old_signed_head", "new_signed_head", "public_key"}

__all__ = [
    "CONSISTENCY_FORMAT",
    "INCLUSION_FORMAT",
    "DocumentError",
    "VerificationResult",
    "dump_document",
    "main",
    "make_consistency_document",
    "make_inclusion_document",
    "verify_consistency_document",
    "verify_inclusion_document",
]


class DocumentError(ValueError):
    """A proof document is malformed or fails a check; the message says why."""


@dataclass(frozen=True)
class VerificationResult:
    """Outcome of checking one proof document.

    Attributes:
        ok: Whether every check passed.
        message: What was shown (when ``ok``) or the first reason for failing.
        notes: Caveats a reader should know, e.g. that the root is not signed.
    """

    ok: bool
    message: str
    notes: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.ok


# --- producer side -----------------------------------------------------------------------


def _signed_head_for(
    sth: SignedTreeHead | None, size: int, root_hash: bytes, what: str
) -> dict[str, Any] | None:
    if sth is None:
        return None
    if sth.head.size != size or sth.head.root_bytes != root_hash:
        raise ValueError(f"{what} does not match size {size} and root {root_hash.hex()}")
    return sth.to_dict()


def make_inclusion_document(
    leaf_index: int,
    tree_size: int,
    leaf_hash: bytes,
    proof: Sequence[bytes],
    root_hash: bytes,
    *,
    entry: str | None = None,
    signed_head: SignedTreeHead | None = None,
    public_key: Ed25519PublicKey | None = None,
) -> dict[str, Any]:
    """Build an inclusion proof document.

    Typical use on the producer side::

        proof = merkle.inclusion_proof(store, index, sth.head.size)
        doc = make_inclusion_document(index, sth.head.size, leaf, proof,
                                      sth.head.root_bytes, entry=text, signed_head=sth)

    Args:
        leaf_index: Zero-based index of the entry.
        tree_size: Size of the tree the proof is against.
        leaf_hash: The entry's 32-byte leaf hash.
        proof: The audit path from :func:`merkle.inclusion_proof`.
        root_hash: Root hash of the tree of ``tree_size`` leaves.
        entry: Canonical entry text whose UTF-8 bytes hash to ``leaf_hash``.
        signed_head: Signed head for ``tree_size``/``root_hash``.
        public_key: The log's public key, embedded for convenience (verifiers should
            still use a key they obtained independently).

    Returns:
        The document as a JSON-ready dict.

    Raises:
        ValueError: The entry text does not hash to ``leaf_hash`` or the signed head does
            not match ``tree_size`` and ``root_hash``.
        merkle.ProofError: The proof does not verify.
    """
    merkle.check_inclusion(leaf_hash, leaf_index, tree_size, proof, root_hash)
    if entry is not None and merkle.leaf_hash(entry.encode("utf-8")) != leaf_hash:
        raise ValueError("entry text does not hash to leaf_hash")
    doc: dict[str, Any] = {
        "format": INCLUSION_FORMAT,
        "leaf_index": leaf_index,
        "tree_size": tree_size,
        "leaf_hash": leaf_hash.hex(),
        "proof": [p.hex() for p in proof],
        "root_hash": root_hash.hex(),
    }
    if entry is not None:
        doc["entry"] = entry
    head = _signed_head_for(signed_head, tree_size, root_hash, "signed head")
    if head is not None:
        doc["signed_head"] = head
    if public_key is not None:
        doc["public_key"] = public_key_pem(public_key)
    return doc


def make_consistency_document(
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    proof: Sequence[bytes],
    *,
    old_signed_head: SignedTreeHead | None = None,
    new_signed_head: SignedTreeHead | None = None,
    public_key: Ed25519PublicKey | None = None,
) -> dict[str, Any]:
    """Build a consistency proof document.

    Args:
        old_size: Size of the earlier tree.
        new_size: Size of the later tree.
        old_root: Root hash of the earlier tree.
        new_root: Root hash of the later tree.
        proof: The proof from :func:`merkle.consistency_proof`.
        old_signed_head: Signed head for ``old_size``/``old_root``.
        new_signed_head: Signed head for ``new_size``/``new_root``.
        public_key: The log's public key, embedded for convenience.

    Returns:
        The document as a JSON-ready dict.

    Raises:
        ValueError: A signed head does not match its size and root.
        merkle.ProofError: The proof does not verify.
    """
    merkle.check_consistency(old_size, new_size, old_root, new_root, proof)
    doc: dict[str, Any] = {
        "format": CONSISTENCY_FORMAT,
        "old_size": old_size,
        "new_size": new_size,
        "old_root_hash": old_root.hex(),
        "new_root_hash": new_root.hex(),
        "proof": [p.hex() for p in proof],
    }
    old_head = _signed_head_for(old_signed_head, old_size, old_root, "old signed head")
    if old_head is not None:
        doc["old_signed_head"] = old_head
    new_head = _signed_head_for(new_signed_head, new_size, new_root, "new signed head")
    if new_head is not None:
        doc["new_signed_head"] = new_head
    if public_key is not None:
        doc["public_key"] = public_key_pem(public_key)
    return doc


def dump_document(document: Mapping[str, Any]) -> str:
    """Serialise a proof document as JSON (sorted keys, indented, trailing newline).

    Args:
        document: A document from one of the ``make_*_document`` builders.

    Returns:
        The JSON text.
    """
    return json.dumps(dict(document), indent=2, sort_keys=True) + "\n"


# --- parsing helpers ---------------------------------------------------------------------


def _load(document: Mapping[str, Any] | str | bytes) -> dict[str, Any]:
    if isinstance(document, str | bytes):
        try:
            data = json.loads(document)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DocumentError(f"not valid JSON: {exc}") from None
    else:
        data = document
    if not isinstance(data, Mapping):
        raise DocumentError("document must be a JSON object")
    return dict(data)


def _check_fields(data: dict[str, Any], fmt: str, required: set[str], optional: set[str]) -> None:
    if data.get("format") != fmt:
        raise DocumentError(f"format must be {fmt!r}, got {data.get('format')!r}")
    missing = required - set(data)
    if missing:
        raise DocumentError(f"missing field(s): {', '.join(sorted(missing))}")
    unknown = set(data) - required - optional
    if unknown:
        raise DocumentError(f"unknown field(s): {', '.join(sorted(unknown))}")


def _int(data: dict[str, Any], name: str) -> int:
    value = data[name]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DocumentError(f"{name} must be a non-negative integer")
    return value


def _hex_hash(value: Any, name: str) -> bytes:
    if not isinstance(value, str) or not _HEX_HASH.fullmatch(value):
        raise DocumentError(f"{name} must be {2 * merkle.HASH_SIZE} lowercase hex digits")
    return bytes.fromhex(value)


def _proof(data: dict[str, Any]) -> list[bytes]:
    value = data["proof"]
    if not isinstance(value, list):
        raise DocumentError("proof must be a list of hex hashes")
    return [_hex_hash(p, f"proof[{i}]") for i, p in enumerate(value)]


def _signed_head(data: dict[str, Any], name: str) -> SignedTreeHead | None:
    if name not in data:
        return None
    try:
        return SignedTreeHead.from_dict(data[name])
    except ValueError as exc:
        raise DocumentError(f"{name}: {exc}") from None


def _embedded_key(data: dict[str, Any]) -> Ed25519PublicKey | None:
    if "public_key" not in data:
        return None
    pem = data["public_key"]
    if not isinstance(pem, str):
        raise DocumentError("public_key must be PEM text")
    try:
        return public_key_from_pem(pem)
    except ValueError as exc:
        raise DocumentError(f"public_key: {exc}") from None


def _check_heads(
    heads: Sequence[tuple[str, SignedTreeHead, int, bytes]],
    trusted_key: Ed25519PublicKey | None,
    embedded_key: Ed25519PublicKey | None,
    notes: list[str],
) -> None:
    """Check signed heads against the proof's sizes and roots and their signatures."""
    if not heads:
        if trusted_key is not None:
            raise DocumentError("a public key was given but the document has no signed head")
        notes.append("the root hash is not signed; compare it with a trusted tree head")
        return
    key = trusted_key if trusted_key is not None else embedded_key
    if key is None:
        raise DocumentError("the document has a signed head but no public key to check it")
    if trusted_key is None:
        notes.append(
            f"signature checked with the key embedded in the document (key id {key_id(key)}); "
            "pass a trusted public key to authenticate the log"
        )
    elif embedded_key is not None and key_id(embedded_key) != key_id(trusted_key):
        notes.append("the key embedded in the document differs from the trusted key; ignored")
    for name, sth, size, root_hash in heads:
        if sth.head.size != size:
            raise DocumentError(f"{name} is for size {sth.head.size}, not {size}")
        if sth.head.root_bytes != root_hash:
            raise DocumentError(f"{name} root hash differs from the proof's root hash")
        if sth.key_id != key_id(key):
            raise DocumentError(f"{name} was signed by key {sth.key_id}, not {key_id(key)}")
        if not verify_head(sth, key):
            raise DocumentError(f"{name} signature is invalid")
    log_ids = {sth.head.log_id for _, sth, _, _ in heads}
    if len(log_ids) > 1:
        raise DocumentError(f"signed heads name different logs: {', '.join(sorted(log_ids))}")


# --- verification ------------------------------------------------------------------------


def verify_inclusion_document(
    document: Mapping[str, Any] | str | bytes,
    public_key: Ed25519PublicKey | None = None,
) -> VerificationResult:
    """Check an inclusion proof document.

    Args:
        document: The decoded document or its JSON text.
        public_key: The log's trusted public key, if the caller has one.

    Returns:
        The result; ``ok`` is ``False`` with a reason for any malformed field, entry text
        that does not match the leaf hash, a proof that does not verify, or a signed head
        that does not match or whose signature fails.
    """
    notes: list[str] = []
    try:
        data = _load(document)
        _check_fields(data, INCLUSION_FORMAT, _INCLUSION_REQUIRED, _INCLUSION_OPTIONAL)
        index = _int(data, "leaf_index")
        size = _int(data, "tree_size")
        leaf = _hex_hash(data["leaf_hash"], "leaf_hash")
        root_hash = _hex_hash(data["root_hash"], "root_hash")
        proof = _proof(data)
        if "entry" in data:
            entry = data["entry"]
            if not isinstance(entry, str):
                raise DocumentError("entry must be text")
            if merkle.leaf_hash(entry.encode("utf-8")) != leaf:
                raise DocumentError("entry text does not hash to leaf_hash")
        else:
            notes.append("no entry text included; only the leaf hash was checked")
        heads = []
        sth = _signed_head(data, "signed_head")
        if sth is not None:
            heads.append(("signed_head", sth, size, root_hash))
        merkle.check_inclusion(leaf, index, size, proof, root_hash)
        _check_heads(heads, public_key, _embedded_key(data), notes)
    except (DocumentError, merkle.ProofError) as exc:
        return VerificationResult(False, str(exc))
    message = f"entry {index} is included in the tree of size {size} (root {root_hash.hex()})"
    if heads:
        message += f", signed by key {heads[0][1].key_id} for log {heads[0][1].head.log_id}"
    return VerificationResult(True, message, tuple(notes))


def verify_consistency_document(
    document: Mapping[str, Any] | str | bytes,
    public_key: Ed25519PublicKey | None = None,
) -> VerificationResult:
    """Check a consistency proof document.

    Args:
        document: The decoded document or its JSON text.
        public_key: The log's trusted public key, if the caller has one.

    Returns:
        The result; ``ok`` is ``False`` with a reason for any malformed field, a proof
        that does not verify, or a signed head that does not match or whose signature
        fails.
    """
    notes: list[str] = []
    try:
        data = _load(document)
        _check_fields(data, CONSISTENCY_FORMAT, _CONSISTENCY_REQUIRED, _CONSISTENCY_OPTIONAL)
        old_size = _int(data, "old_size")
        new_size = _int(data, "new_size")
        old_root = _hex_hash(data["old_root_hash"], "old_root_hash")
        new_root = _hex_hash(data["new_root_hash"], "new_root_hash")
        proof = _proof(data)
        heads = []
        for name, size, root_hash in (
            ("old_signed_head", old_size, old_root),
            ("new_signed_head", new_size, new_root),
        ):
            sth = _signed_head(data, name)
            if sth is not None:
                heads.append((name, sth, size, root_hash))
        merkle.check_consistency(old_size, new_size, old_root, new_root, proof)
        _check_heads(heads, public_key, _embedded_key(data), notes)
        if len(heads) == 1:
            notes.append(f"only {heads[0][0]} is signed")
    except (DocumentError, merkle.ProofError) as exc:
        return VerificationResult(False, str(exc))
    message = (
        f"the tree of size {old_size} (root {old_root.hex()}) is a prefix of the tree "
        f"of size {new_size} (root {new_root.hex()})"
    )
    return VerificationResult(True, message, tuple(notes))


# --- command line ------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m clearsight.governance.verifier",
        description="Verify Clearsight audit-log proofs without database access.",
    )
    sub = parser.add_subparsers(dest="kind", required=True)
    for kind, help_text in (
        ("inclusion", "check an inclusion proof document"),
        ("consistency", "check a consistency proof document"),
    ):
        cmd = sub.add_parser(kind, help=help_text)
        cmd.add_argument("file", help="the proof document (JSON); '-' reads standard input")
        cmd.add_argument(
            "--public-key",
            metavar="PEM",
            help="the log's trusted Ed25519 public key; signed heads are checked against it",
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the verifier command line.

    Args:
        argv: Arguments without the program name; defaults to ``sys.argv[1:]``.

    Returns:
        0 if the proof verified, 1 otherwise (2 for usage errors, from argparse).
    """
    args = _parser().parse_args(argv)
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"FAIL: cannot read {args.file}: {exc}")
        return 1
    key: Ed25519PublicKey | None = None
    if args.public_key:
        try:
            key = load_public_key(args.public_key)
        except (OSError, ValueError) as exc:
            print(f"FAIL: cannot load public key: {exc}")
            return 1
    if args.kind == "inclusion":
        result = verify_inclusion_document(text, key)
    else:
        result = verify_consistency_document(text, key)
    if not result.ok:
        print(f"FAIL: {result.message}")
        return 1
    print(f"OK: {result.message}")
    for note in result.notes:
        print(f"note: {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
