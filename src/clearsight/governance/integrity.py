"""Verifying the audit log, signing tree heads and producing proofs (LOG-7, LOG-8, LOG-9).

``verify`` recomputes the whole chain and tree from the stored entries and names the
first bad entry; against a kept signed tree head it also detects truncation and rollback.
``checkpoint`` signs the current tree head with an Ed25519 key kept outside the database,
for an auditor to keep elsewhere. ``inclusion`` (``inclusions`` for many entries at once)
and ``consistency`` produce proof
documents that :mod:`clearsight.governance.verifier` checks with no database access.
"""

from __future__ import annotations

import copy
import gc
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Connection, create_engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from clearsight.errors import IntegrityError, NotFound, StoreError
from clearsight.governance import audit, hashed_lines, merkle, treehead, verifier
from clearsight.governance.audit import GENESIS, SqlNodeStore, get_entry
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


#: entries fetched and checked together; a power of two, so each batch is one perfect subtree
_BATCH = 1 << 14


#: entries per piece when the log is verified in several processes (a power of two)
_PIECE = 1 << 16


def _select(dialect: str, *, bounded: bool = False) -> str:
    mark = "%s" if dialect == "postgresql" else "?"
    where = f"WHERE seq >= {mark} AND seq < {mark} " if bounded else ""
    # only constants are formatted in: column names and the driver's parameter marker
    return (
        f"SELECT seq, {audit.canonical_sql(dialect)}, prev_hash, entry_hash "  # noqa: S608
        f"FROM audit_log {where}ORDER BY seq"
    )


@dataclass
class _Walk:
    """Where the walk through the log has got to."""

    expected_seq: int = 1
    #: the hash the next entry must point to; None where a piece starts (checked by the caller)
    prev: str | None = GENESIS


def _leaves(canonicals: Sequence[bytes | None]) -> list[bytes]:
    try:
        return merkle.leaf_hashes(canonicals)  # type: ignore[arg-type]
    except TypeError:  # a NULL field makes the whole canonical form NULL
        return merkle.leaf_hashes(c or b"" for c in canonicals)


def _check_batch(rows: Sequence[tuple[Any, ...]], leaves: list[bytes], walk: _Walk, report: VerifyReport) -> None:
    """Check sequence numbers, hashes and chain links of one batch; name each bad entry.

    The common case (nothing wrong) is decided by whole-batch comparisons; only a batch
    with a problem is walked entry by entry to say what and where.
    """
    seqs, canonicals, prevs, hashes = zip(*rows, strict=True)
    first = walk.expected_seq
    if (
        seqs == tuple(range(first, first + len(rows)))
        and prevs[0] == walk.prev
        and prevs[1:] == hashes[:-1]
        and None not in canonicals
        and list(map(bytes.hex, leaves)) == list(hashes)
    ):
        walk.expected_seq = first + len(rows)
        walk.prev = hashes[-1]
        return
    for seq, canonical, prev_hash, stored, leaf in zip(seqs, canonicals, prevs, hashes, leaves, strict=True):
        expected = walk.expected_seq
        if seq != expected:
            if seq > expected:
                report.fail(f"entry {expected} is missing (the log jumps from {expected - 1} to {seq})", expected)
            else:
                report.fail(f"entry {seq} appears out of order", seq)
        if canonical is None:
            report.fail(f"entry {seq} has an empty field (its content was changed)", seq)
        if prev_hash != walk.prev:
            report.fail(f"entry {seq} does not point to the entry before it (chain broken: reordered or removed)", seq)
        if leaf.hex() != stored:
            report.fail(f"entry {seq} does not match its hash (its content was changed)", seq)
        walk.prev = stored
        walk.expected_seq = seq + 1


def _entries(driver: Any, dialect: str, *bounds: int) -> Any:
    """A driver cursor over the entries (all, or ``bounds[0] <= seq < bounds[1]``), executed."""
    sql = _select(dialect, bounded=bool(bounds))
    if dialect == "postgresql":
        cursor = driver.cursor(name="clearsight_audit_verify")  # server-side: streamed, not loaded whole
        cursor.itersize = _BATCH
        # binary results: the canonical bytes arrive as they are, not hex-encoded
        cursor.execute(sql, bounds or None, binary=True)
        return cursor
    cursor = driver.cursor()
    cursor.execute(sql, bounds)
    return cursor


@dataclass
class _Walked:
    """One stretch of the log, walked: its tree and where its chain starts and ends."""

    tree: merkle.CompactRange
    walk: _Walk
    first_prev: str | None
    at_cut: merkle.CompactRange | None


class _Tree:
    """The tree being rebuilt, and its state after the first ``cut`` leaves (a kept head's size)."""

    def __init__(self, cut: int) -> None:
        self.range = merkle.CompactRange()
        self.cut = cut
        self.at_cut: merkle.CompactRange | None = merkle.CompactRange() if cut == 0 else None

    def extend(self, leaves: list[bytes]) -> None:
        tree = self.range
        if tree.size < self.cut <= tree.size + len(leaves):
            split = self.cut - tree.size
            tree.extend(leaves[:split])
            self.at_cut = copy.deepcopy(tree)
            leaves = leaves[split:]
        tree.extend(leaves)


def _walk(cursor: Any, walk: _Walk, report: VerifyReport, cut: int) -> _Walked:
    """Hash and check every row the cursor yields, naming each bad entry; keep the tree after ``cut`` rows."""
    tree = _Tree(cut)
    first_prev: str | None = None
    while rows := cursor.fetchmany(_BATCH):
        if not tree.range.size:
            first_prev = rows[0][2]
            if walk.prev is None:
                walk.prev = first_prev
        leaves = _leaves([row[1] for row in rows])
        _check_batch(rows, leaves, walk, report)
        tree.extend(leaves)
    return _Walked(tree.range, walk, first_prev, tree.at_cut)


def _walk_clean(driver: Any, dialect: str, lo: int, hi: int, walk: _Walk, cut: int) -> _Walked | None:
    """Walk the entries ``lo <= seq < hi`` a batch at a time; None at the first sign of a problem.

    The fast path (see :mod:`clearsight.governance.hashed_lines`): it names no entry, so a
    None sends the caller to :func:`_walk`, which does.
    """
    tree = _Tree(cut)
    reading = hashed_lines.Reading(lo, None if walk.prev is None else walk.prev.encode())
    batches = hashed_lines.leaves(driver, dialect, lo, hi, _BATCH, reading)
    try:
        for leaves in batches:
            if leaves is None:
                return None
            tree.extend(leaves)
    finally:
        batches.close()  # type: ignore[attr-defined]
    walk.expected_seq = reading.next_seq
    walk.prev = None if reading.prev is None else reading.prev.decode()
    first_prev = None if reading.first_link is None else reading.first_link.decode()
    return _Walked(tree.range, walk, first_prev, tree.at_cut)


def _one_pass(conn: Connection, high: int, cut: int, report: VerifyReport) -> _Walked:
    """Walk the whole log in this process: the fast path first, row by row if it finds a problem."""
    driver = conn.connection.driver_connection
    dialect = conn.dialect.name
    low: int | None = conn.execute(select(func.min(t.audit_log.c.seq))).scalar_one()
    if low in (None, 1):
        walked = _walk_clean(driver, dialect, 1, high + 1, _Walk(), cut)
        if walked is not None:
            return walked
    # straight from the driver: verification reads every entry, so row wrapping matters
    cursor = _entries(driver, dialect, _LOWEST_SEQ, high + 1)
    try:
        return _walk(cursor, _Walk(), report, cut)
    finally:
        cursor.close()


#: below any sequence number an entry can have, so that a tampered low one is still read
_LOWEST_SEQ = -(2**62)


def _extent(conn: Connection) -> tuple[int, int]:
    """The highest sequence number and the stored tree's size, read in one statement.

    One statement sees one snapshot on both backends, and an append writes its entry and
    its tree nodes in one transaction, so an untampered log gives the same number twice.
    """
    log = select(func.max(t.audit_log.c.seq)).scalar_subquery()
    tree = select(func.max(t.audit_nodes.c.idx)).where(t.audit_nodes.c.level == 0).scalar_subquery()
    row = conn.execute(select(log, tree)).one()
    high: int | None = row[0]
    top: int | None = row[1]
    return (0 if high is None else int(high)), (0 if top is None else int(top) + 1)


def _walk_piece(url: str, lo: int, hi: int, cut: int) -> _Walked | None:
    """Walk the entries ``lo <= seq < hi`` on a connection of this process's own; None if not clean."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            driver = conn.connection.driver_connection
            return _walk_clean(driver, conn.dialect.name, lo, hi, _Walk(expected_seq=lo, prev=None), cut)
    finally:
        engine.dispose()


def _walk_in_pieces(conn: Connection, head_size: int, workers: int, high: int) -> _Walked | None:
    """Walk a clean log in pieces, in ``workers`` processes; None if small, in memory or not clean.

    Each piece is an aligned run of :data:`_PIECE` sequence numbers, so its tree is a set
    of perfect subtrees that fold into the whole. Any sign of a problem (a gap, a bad
    hash or link, a piece of the wrong size) returns None, and the caller walks the log
    in one pass, which names the first bad entry exactly.
    """
    url = conn.engine.url
    if workers < 2 or (conn.dialect.name == "sqlite" and url.database in (None, "", ":memory:")):
        return None
    low: int | None = conn.execute(select(func.min(t.audit_log.c.seq))).scalar_one()
    if low != 1 or high < 2 * _PIECE:
        return None
    starts = list(range(1, high + 1, _PIECE))
    cuts = [head_size - (lo - 1) if lo - 1 < head_size <= lo - 1 + _PIECE else -1 for lo in starts]
    target = url.render_as_string(hide_password=False)
    try:
        # fork: the workers start at once and need nothing re-imported; each opens its own
        # connection. gc.freeze keeps a worker's collector off the objects it inherited,
        # which would otherwise copy the parent's whole heap page by page.
        with ProcessPoolExecutor(
            min(workers, len(starts)), mp_context=multiprocessing.get_context("fork"), initializer=gc.freeze
        ) as pool:
            pieces = list(pool.map(_walk_piece, [target] * len(starts), starts,
                                   [min(lo + _PIECE, high + 1) for lo in starts], cuts))
    except (OSError, SQLAlchemyError, StoreError, BrokenProcessPool):
        return None  # the single pass reads through the caller's own connection
    whole = merkle.CompactRange()
    at_cut: merkle.CompactRange | None = merkle.CompactRange() if head_size == 0 else None
    prev: str | None = GENESIS
    for lo, piece in zip(starts, pieces, strict=True):
        if piece is None or piece.first_prev != prev or piece.tree.size != min(_PIECE, high + 1 - lo):
            return None
        if piece.at_cut is not None:
            at_cut = copy.deepcopy(whole)
            at_cut.concat(piece.at_cut)
        whole.concat(piece.tree)
        prev = piece.walk.prev
    return _Walked(whole, _Walk(high + 1, prev), GENESIS, at_cut)


def verify(conn: Connection, *, against: treehead.SignedTreeHead | None = None,
           public_key: Ed25519PublicKey | None = None, workers: int | None = None) -> VerifyReport:
    """Recompute the chain and the tree; compare with the stored tree and a kept head.

    Every field of every entry is hashed (the canonical form is assembled by the
    database, hashed here), every chain link and sequence number is checked, the tree is
    rebuilt from the recomputed leaf hashes and compared with the stored nodes, and a kept
    signed head must match the rebuilt tree at its size. A large log is walked in pieces
    by ``workers`` processes (default: one per core, at most eight; 1 walks it in this
    process); if any piece shows a problem the log is walked again in one pass to name
    the first bad entry.
    """
    report = VerifyReport()
    if against is not None:
        if public_key is None or not treehead.verify_head(against, public_key):
            report.fail("the kept tree head's signature does not verify with the given key")
            return report
        report.checked_against = against.head.size
    head_size = against.head.size if against is not None else -1
    workers = min(os.cpu_count() or 1, 8) if workers is None else workers
    # The log as it stood when verification began: entries appended while it runs (each
    # with its tree nodes, in one transaction) are left to the next verification.
    high, stored_size = _extent(conn)
    walked = _walk_in_pieces(conn, head_size, workers, high)
    if walked is None:
        walked = _one_pass(conn, high, head_size, report)
    tree = walked.tree
    head_root = None if walked.at_cut is None else walked.at_cut.root()
    report.entries = tree.size
    root = tree.root()
    report.root_hash = root.hex()
    stored = SqlNodeStore(conn)
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
            size = report.entries
            audit.warm(stored, lambda s: merkle.root(s, size))  # the O(log n) nodes in one query
            stored_root = merkle.root(stored, size)
        except merkle.MissingNodeError as exc:
            report.fail(f"the stored tree is missing nodes ({exc}): tree rows were removed")
        else:
            if stored_root != root:
                report.fail("the stored tree does not match the entries (tree nodes were changed)")
    if against is not None:
        if report.entries < against.head.size:
            report.fail(
                f"the log has {report.entries} entries but the kept tree head has {against.head.size}: "
                "entries were removed or the database was rolled back (restored from an older backup)",
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
