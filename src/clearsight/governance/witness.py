"""Witnessed tree heads: signed heads kept outside the platform administrators' reach (LOG-9).

A witness store is an append-only file of signed tree heads, one JSON object per line
(``clearsight-signed-tree-head/1``), oldest first. It lives where the platform's
administrators cannot rewrite it: a share owned by the DPO or the oversight board, a
write-once bucket mounted as a folder, removable media. Given a folder, the file is
``tree-heads.jsonl`` inside it.

``push`` signs the current tree head and appends it only after proving, with an RFC 6962
consistency proof from the database's own tree, that the newest head already witnessed is
a prefix of it. A database restored from an old backup, or rewritten, therefore cannot be
witnessed again, and ``clearsight audit verify --witness`` reports it, because the log no
longer reaches the newest witnessed head.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Connection

from clearsight.errors import IntegrityError
from clearsight.governance import audit, integrity, merkle, treehead

WITNESS_FILE = "tree-heads.jsonl"
"""File name of the witness store inside a folder given as the target."""


def store_path(target: Path) -> Path:
    """The witness file for a target: the folder's ``tree-heads.jsonl``, or the file itself."""
    return target / WITNESS_FILE if target.is_dir() else target


def read_heads(target: Path, public_key: Ed25519PublicKey) -> list[treehead.SignedTreeHead]:
    """Every witnessed head, oldest first, each checked: signature, key, growing size.

    Raises:
        IntegrityError: A line is not a signed head, is not signed by ``public_key``, or
            is smaller than the one before it; the message names the file and line.
    """
    path = store_path(target)
    if not path.exists():
        return []
    heads: list[treehead.SignedTreeHead] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise IntegrityError(f"cannot read the witness store {path}: {exc}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}, line {number}"
        try:
            sth = treehead.SignedTreeHead.from_json(line)
        except ValueError as exc:
            raise IntegrityError(f"{where}: not a signed tree head ({exc})") from None
        if not treehead.verify_head(sth, public_key):
            raise IntegrityError(f"{where}: the signature does not verify with the log's public key")
        if heads and sth.head.size < heads[-1].head.size:
            raise IntegrityError(
                f"{where}: the head of size {sth.head.size} is smaller than the one before it ({heads[-1].head.size})"
            )
        heads.append(sth)
    return heads


def latest(target: Path, public_key: Ed25519PublicKey) -> treehead.SignedTreeHead | None:
    """The newest witnessed head, checked as :func:`read_heads` checks every line."""
    heads = read_heads(target, public_key)
    return heads[-1] if heads else None


@dataclass(frozen=True)
class PushResult:
    """What a push did: the head now newest in the store, and whether it was appended."""

    head: treehead.SignedTreeHead
    appended: bool
    previous_size: int | None


def push(conn: Connection, key: Ed25519PrivateKey, target: Path) -> PushResult:
    """Sign the current head and append it to the witness store, if it proves consistent.

    Raises:
        IntegrityError: The store is unreadable or malformed, or the database's log does
            not extend the newest witnessed head (rolled back, restored or rewritten).
    """
    public_key = key.public_key()
    previous = latest(target, public_key)
    store = audit.SqlNodeStore(conn)
    size = store.size()
    if previous is not None:
        old = previous.head
        if old.size > size:
            raise IntegrityError(
                f"the log has {size} entries but the newest witnessed head has {old.size}: "
                "entries were removed or the database was restored from an older backup; nothing was witnessed"
            )
        audit.warm(store, lambda s: (merkle.consistency_proof(s, old.size, size), merkle.root(s, size)))
        new_root = merkle.root(store, size)
        try:
            merkle.check_consistency(
                old.size, size, old.root_bytes, new_root, merkle.consistency_proof(store, old.size, size)
            )
        except (merkle.ProofError, merkle.MissingNodeError) as exc:
            raise IntegrityError(
                f"the log is not consistent with the newest witnessed head of {old.size} entries ({exc}): "
                "history was rewritten or the database was restored from another copy; nothing was witnessed"
            ) from None
        if old.size == size:
            return PushResult(previous, appended=False, previous_size=old.size)
    sth = treehead.sign_head(integrity.current_head(conn, size), key)
    path = store_path(target)
    line = json.dumps(sth.to_dict(), sort_keys=True, separators=(",", ":")) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise IntegrityError(f"cannot append to the witness store {path}: {exc}") from None
    return PushResult(sth, appended=True, previous_size=None if previous is None else previous.head.size)


__all__ = ["WITNESS_FILE", "PushResult", "latest", "push", "read_heads", "store_path"]
