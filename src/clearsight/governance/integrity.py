"""Verifying the audit log, signing tree heads and producing proofs (LOG-7, LOG-8, LOG-9).

``verify`` recomputes the whole chain and tree from the stored entries and names the
first bad entry; against a kept signed tree head it also detects truncation and rollback.
``checkpoint`` signs the current tree head with an Ed25519 key kept outside the database,
for an auditor to keep elsewhere. ``inclusion`` (``inclusions`` for many entries at once)
and ``consistency`` produce proof
documents that :mod:`clearsight.governance.verifier` checks with no database access.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Connection, func, select

from clearsight.errors import IntegrityError, NotFound
from clearsight.governance import audit, merkle, treehead, verifier
from clearsight.governance.audit import GENESIS, SEP, SqlNodeStore, get_entry
from clearsight.store import tables as t

LOG_ID = "clearsight-audit"
#: inclusion proofs whose tree nodes are fetched in one query
_PROOFS_PER_FETCH = 16


@dataclass
class VerifyReport:
    """What ``verify`` found: sizes, roots, and the first problem if any."""

    entries: int = 0
    root_hash: str = ""
    ok: bool = True
    first_bad_entry: int | None = None
    problems: list[str] = field(default_factory=list)
    checked_against: int | None = None

    def fail(self, message: str, seq: int | None = None) -> None:
        if self.ok and seq is not None:
            self.first_bad_entry = seq
        self.ok = False
        self.problems.append(message)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _fold(stack: list[tuple[int, bytes]]) -> bytes:
    """The root of a tree held as its completed perfect subtrees (left to right)."""
    if not stack:
        return merkle.EMPTY_ROOT
    current = stack[-1][1]
    for _, left in reversed(stack[:-1]):
        current = hashlib.sha256(b"\x01" + left + current).digest()
    return current


_SELECT = (
    "SELECT seq, at, operation, action, \"user\", purpose, component, client, outcome, "
    "subjects, details, prev_hash, entry_hash FROM audit_log ORDER BY seq"
)


def verify(conn: Connection, *, against: treehead.SignedTreeHead | None = None,
           public_key: Ed25519PublicKey | None = None) -> VerifyReport:
    """Recompute the chain and the tree; compare with the stored tree and a kept head."""
    report = VerifyReport()
    if against is not None:
        if public_key is None or not treehead.verify_head(against, public_key):
            report.fail("the kept tree head's signature does not verify with the given key")
            return report
        report.checked_against = against.head.size
    expected_seq = 1
    prev = GENESIS
    head_root: bytes | None = None
    sha = hashlib.sha256
    sep = SEP
    # straight from the driver: verification reads every entry, so row wrapping matters
    driver = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        cursor = driver.cursor(name="clearsight_audit_verify")  # type: ignore[union-attr]  # server-side
    else:
        cursor = driver.cursor()  # type: ignore[union-attr]
    cursor.execute(_SELECT)
    head_size = against.head.size if against is not None else -1
    # the tree as its completed perfect subtrees: O(log n) hashes, appended in the hot loop
    stack: list[tuple[int, bytes]] = []
    count = 0
    while True:
        rows = cursor.fetchmany(20_000)
        if not rows:
            break
        for row in rows:
            seq = row[0]
            if seq != expected_seq:
                if seq > expected_seq:
                    report.fail(f"entry {expected_seq} is missing (the log jumps from {expected_seq - 1} to {seq})", expected_seq)
                else:
                    report.fail(f"entry {seq} appears out of order", seq)
                expected_seq = seq
            leaf = sha(b"\x00" + (f"{seq}{sep}" + sep.join(row[1:12])).encode("utf-8")).digest()
            if row[11] != prev:
                report.fail(f"entry {seq} does not point to the entry before it (chain broken: reordered or removed)", seq)
            if leaf.hex() != row[12]:
                report.fail(f"entry {seq} does not match its hash (its content was changed)", seq)
            prev = row[12]
            level, node = 0, leaf
            while stack and stack[-1][0] == level:
                node = sha(b"\x01" + stack.pop()[1] + node).digest()
                level += 1
            stack.append((level, node))
            count += 1
            if count == head_size:
                head_root = _fold(stack)
            expected_seq += 1
    report.entries = count
    cursor.close()
    root = _fold(stack)
    report.root_hash = root.hex()
    stored = SqlNodeStore(conn)
    stored_size = stored.size()
    if stored_size != report.entries:
        if stored_size > report.entries:
            report.fail(
                f"the tree holds {stored_size} entries but the log {report.entries}: "
                f"entries were removed from the end (truncation)",
                report.entries + 1,
            )
        else:
            report.fail(f"the tree holds {stored_size} entries but the log {report.entries}", stored_size + 1)
    elif report.entries:
        try:
            stored_root = merkle.root(stored, report.entries)
        except merkle.MissingNodeError as exc:
            report.fail(f"the stored tree is missing nodes ({exc}): tree rows were removed")
        else:
            if stored_root != root:
                report.fail("the stored tree does not match the entries (tree nodes were changed)")
    if against is not None:
        if report.entries < against.head.size:
            report.fail(
                f"the log has {report.entries} entries but the kept tree head has {against.head.size}: "
                "entries were removed or the database was rolled back",
                report.entries + 1,
            )
        elif head_root != against.head.root_bytes:
            report.fail(
                f"the first {against.head.size} entries do not match the kept tree head "
                "(history was rewritten or rolled back)"
            )
    return report


def tree_size(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(t.audit_nodes).where(t.audit_nodes.c.level == 0)).scalar_one())


def current_head(conn: Connection, size: int | None = None) -> treehead.TreeHead:
    store = SqlNodeStore(conn)
    n = store.size() if size is None else size
    if n > store.size():
        raise NotFound(f"the log has only {store.size()} entries")
    return treehead.TreeHead.create(n, merkle.root(store, n), LOG_ID)


def ensure_signing_key(path: Path) -> Ed25519PrivateKey:
    """Load the signing key, creating it (mode 0600, with its .pub beside it) if absent."""
    if path.exists():
        return treehead.load_signing_key(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return treehead.generate_signing_key(path)


def checkpoint(conn: Connection, key: Ed25519PrivateKey) -> treehead.SignedTreeHead:
    """Sign the current tree head."""
    return treehead.sign_head(current_head(conn), key)


def inclusion(conn: Connection, seq: int, *, head: treehead.SignedTreeHead | None = None,
              public_key: Ed25519PublicKey | None = None) -> dict[str, Any]:
    """An inclusion proof document for entry ``seq`` against ``head`` (or the current tree)."""
    return inclusions(conn, [seq], head=head, public_key=public_key)[seq]


def inclusions(conn: Connection, seqs: Sequence[int], *, head: treehead.SignedTreeHead | None = None,
               public_key: Ed25519PublicKey | None = None) -> dict[int, dict[str, Any]]:
    """Inclusion proof documents for many entries against one head, with one node prefetch."""
    entries = {}
    for seq in sorted(set(seqs)):
        entry = get_entry(conn, seq)
        if entry is None:
            raise NotFound(f"no audit entry {seq}")
        entries[seq] = entry
    store = SqlNodeStore(conn)
    size = head.head.size if head is not None else store.size()
    for seq in entries:
        if seq > size:
            raise NotFound(f"entry {seq} is newer than the tree head of size {size}")

    def work(chunk: list[int]) -> Callable[[merkle.NodeStore], None]:
        def run(s: merkle.NodeStore) -> None:
            for seq in chunk:
                merkle.inclusion_proof(s, seq - 1, size)
            merkle.root(s, size)
        return run

    # a few entries per prefetch: SQLite caps the depth of one query's OR of node keys
    ordered = sorted(entries)
    for i in range(0, len(ordered), _PROOFS_PER_FETCH):
        audit.warm(store, work(ordered[i:i + _PROOFS_PER_FETCH]))
    root = merkle.root(store, size)
    if head is not None and head.head.root_bytes != root:
        raise IntegrityError("the stored tree does not match the given tree head")
    return {
        seq: verifier.make_inclusion_document(
            seq - 1,
            size,
            bytes.fromhex(entry.entry_hash),
            merkle.inclusion_proof(store, seq - 1, size),
            root,
            entry=entry.canonical().decode("utf-8"),
            signed_head=head,
            public_key=public_key,
        )
        for seq, entry in entries.items()
    }


def consistency(conn: Connection, old: treehead.SignedTreeHead, new: treehead.SignedTreeHead | None = None,
                *, public_key: Ed25519PublicKey | None = None) -> dict[str, Any]:
    """A consistency proof document between two tree heads (``new`` defaults to the current tree)."""
    store = SqlNodeStore(conn)
    new_size = new.head.size if new is not None else store.size()
    if old.head.size > new_size:
        raise IntegrityError(f"the old head ({old.head.size}) is larger than the new one ({new_size})")
    audit.warm(
        store, lambda s: (merkle.consistency_proof(s, old.head.size, new_size), merkle.root(s, new_size))
    )
    proof = merkle.consistency_proof(store, old.head.size, new_size)
    return verifier.make_consistency_document(
        old.head.size,
        new_size,
        old.head.root_bytes,
        merkle.root(store, new_size),
        proof,
        old_signed_head=old,
        new_signed_head=new,
        public_key=public_key,
    )


__all__ = [
    "LOG_ID",
    "VerifyReport",
    "checkpoint",
    "consistency",
    "current_head",
    "ensure_signing_key",
    "inclusion",
    "tree_size",
    "verify",
]
