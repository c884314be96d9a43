"""The audit log: append-only, hash-chained and committed to an RFC 6962 Merkle tree.

Each entry records one operation on personal data (LOG-1): its type (collection,
alteration, consultation, disclosure, combination, erasure, or a security event), UTC time
to the microsecond, user, purpose, component, client, outcome, the ids of the records
returned or changed (never their values, LOG-2) and details. Every text field is encoded
so that CR, LF and terminal escapes are stored as visible escapes and cannot forge
entries on a terminal or in an export (LOG-15).

Each entry holds the hash of the previous one (a chain that proves entries were not
edited); an entry's hash is its RFC 6962 leaf hash, and it is a leaf of a Merkle tree whose completed subtree hashes live in
``audit_nodes`` (so inclusion and consistency proofs cost O(log n)). The database refuses
UPDATE and DELETE on both tables (LOG-6).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from clearsight.governance import merkle
from clearsight.store import tables as t

OPERATIONS = (
    "collection",
    "alteration",
    "consultation",
    "disclosure",
    "combination",
    "erasure",
    "security",
)
OUTCOMES = ("ok", "denied", "error")
GENESIS = "0" * 64
SEP = "\x1f"
#: above this many ids an entry keeps their count and a digest instead of the list
MAX_LISTED_SUBJECTS = 10_000

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def encode_field(value: object) -> str:
    """Text safe to store and print: control characters become visible escapes (LOG-15)."""
    text_value = "" if value is None else str(value)
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text_value)


def utc_now() -> str:
    """UTC time as ISO 8601 with microseconds and 'Z' (LOG-10)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _json(value: Any) -> str:
    # ensure_ascii escapes every control character; sort_keys makes it canonical
    return json.dumps(value, ensure_ascii=True, sort_keys=True, separators=(",", ":"), default=str)


def subjects_field(ids: Sequence[str]) -> str:
    """The stored form of the ids an operation returned or changed."""
    unique = sorted(set(ids))
    if len(unique) <= MAX_LISTED_SUBJECTS:
        return _json(unique)
    digest = hashlib.sha256("\n".join(unique).encode()).hexdigest()
    return _json({"count": len(unique), "sha256": digest})


@dataclass(frozen=True)
class AuditEntry:
    """One stored audit entry."""

    seq: int
    at: str
    operation: str
    action: str
    user: str
    purpose: str
    component: str
    client: str
    outcome: str
    subjects: str
    details: str
    prev_hash: str
    entry_hash: str

    def canonical(self) -> bytes:
        return canonical_bytes(
            self.seq,
            self.at,
            self.operation,
            self.action,
            self.user,
            self.purpose,
            self.component,
            self.client,
            self.outcome,
            self.subjects,
            self.details,
            self.prev_hash,
        )

    def subject_ids(self) -> list[str]:
        parsed = json.loads(self.subjects)
        return parsed if isinstance(parsed, list) else []

    def as_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["subjects"] = json.loads(self.subjects)
        out["details"] = json.loads(self.details)
        return out


def canonical_bytes(seq: int, *fields: str) -> bytes:
    """The bytes an entry's hash and Merkle leaf are computed over.

    Fields are encoded (no control characters), so the unit separator cannot occur
    inside one and the join is unambiguous.
    """
    return SEP.join((str(seq), *fields)).encode("utf-8")


def entry_hash(canonical: bytes) -> str:
    """An entry's hash: its RFC 6962 leaf hash, so the chain and the tree share one hash."""
    return merkle.leaf_hash(canonical).hex()


_LOG_COLUMNS = (
    "seq", "at", "operation", "action", "user", "purpose", "component", "client", "outcome",
    "subjects", "details", "prev_hash", "entry_hash",
)


def canonical_sql(dialect: str) -> str:
    """An SQL expression for an ``audit_log`` row's canonical bytes, built by the database.

    It is :func:`canonical_bytes` of the stored fields (NULL if any field is NULL), so a
    verifier can hash one value per entry instead of assembling twelve.
    """
    fields = [f'"{c}"' for c in _LOG_COLUMNS[1:12]]
    if dialect == "postgresql":
        joined = " || chr(31) || ".join(["seq::text", *fields])
        return f"convert_to({joined}, 'UTF8')"
    # one printf is about twice as fast as eleven concatenations; printf turns NULL into ''
    any_null = " OR ".join(f"{f} IS NULL" for f in fields)
    template = "%d" + "\x1f%s" * len(fields)
    return f"CASE WHEN {any_null} THEN NULL ELSE CAST(printf('{template}', seq, {', '.join(fields)}) AS BLOB) END"


def canonical_text_sql() -> str:
    """SQLite: an ``audit_log`` row's canonical form as text (NULL if any field is NULL).

    Verification joins a batch of these into one value (see ``hashed_lines``).
    """
    fields = [f'"{c}"' for c in _LOG_COLUMNS[1:12]]
    any_null = " OR ".join(f"{f} IS NULL" for f in fields)
    template = "%d" + "\x1f%s" * len(fields)
    return f"CASE WHEN {any_null} THEN NULL ELSE printf('{template}', seq, {', '.join(fields)}) END"


#: the columns whose stored text, joined by the unit separator, is an entry's canonical form
CANONICAL_COLUMNS = _LOG_COLUMNS[:12]


class _Sql:
    """The append path's statements, in the driver's own parameter style.

    Appends run once per governed operation, so they bypass SQL construction and go
    straight to the driver (about ten times faster than building Core statements).
    """

    def __init__(self, mark: str) -> None:
        cols = ", ".join(f'"{c}"' for c in _LOG_COLUMNS)
        self.last = "SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1"
        # only constants and the driver's parameter marker are formatted in: no values
        marks = ", ".join([mark] * len(_LOG_COLUMNS))
        self.insert = f"INSERT INTO audit_log ({cols}) VALUES ({marks})"  # noqa: S608
        self.node = f"SELECT hash FROM audit_nodes WHERE level = {mark} AND idx = {mark}"  # noqa: S608
        self.insert_node = f"INSERT INTO audit_nodes (level, idx, hash) VALUES ({mark}, {mark}, {mark})"  # noqa: S608


_SQL = {"sqlite": _Sql("?"), "postgresql": _Sql("%s")}

#: the stored tree nodes at the given (level, index) keys, on PostgreSQL
_PG_NODES = (
    "SELECT n.level, n.idx, n.hash FROM unnest(%s::integer[], %s::bigint[]) AS k(level, idx) "
    "JOIN audit_nodes n ON n.level = k.level AND n.idx = k.idx"
)

#: the server-side append installed by migration 0006 (PostgreSQL)
_PG_APPEND = "SELECT * FROM clearsight_audit_append(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"


def _sql(conn: Connection) -> _Sql:
    return _SQL.get(conn.dialect.name) or _SQL["sqlite"]


def _last(conn: Connection) -> tuple[int, str]:
    row = conn.exec_driver_sql(_sql(conn).last).first()
    return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))


def append(
    conn: Connection,
    *,
    operation: str,
    action: str,
    user: str,
    purpose: str,
    component: str,
    client: str,
    outcome: str = "ok",
    subjects: Sequence[str] = (),
    details: dict[str, Any] | None = None,
    at: str | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction and extend the Merkle tree."""
    if operation not in OPERATIONS:
        raise ValueError(f"unknown audit operation {operation!r}")
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown audit outcome {outcome!r}")
    fields = [
        at or utc_now(),
        operation,
        encode_field(action),
        encode_field(user),
        encode_field(purpose),
        encode_field(component),
        encode_field(client),
        outcome,
        subjects_field(subjects),
        _json(details or {}),
    ]
    if conn.dialect.name == "postgresql":
        # one round trip: the server locks, chains, inserts and extends the tree
        row = conn.exec_driver_sql(_PG_APPEND, tuple(fields)).one()
        seq, prev, digest = int(row[0]), str(row[1]), str(row[2])
    else:
        seq, prev, digest = _append_here(conn, fields)
    at_, operation_, action_, user_, purpose_, component_, client_, outcome_, subjects_, details_ = fields
    return AuditEntry(
        seq, at_, operation_, action_, user_, purpose_, component_, client_, outcome_, subjects_, details_, prev, digest
    )


def _hold_write_lock(conn: Connection) -> None:
    """Make sure this SQLite transaction holds the write lock before the last entry is read.

    The driver begins a transaction only at its first write, so an append that is the
    transaction's first write would read the last entry outside any lock, and two processes
    could both chain onto it (the second then fails on the sequence number). Opening the
    transaction here with BEGIN IMMEDIATE takes the lock first; others wait (busy_timeout).
    """
    raw = conn.connection.dbapi_connection
    if conn.dialect.name == "sqlite" and raw is not None and not getattr(raw, "in_transaction", True):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _append_here(conn: Connection, fields: list[str]) -> tuple[int, str, str]:
    """Chain, insert and extend the tree from Python; the caller's transaction serialises it."""
    _hold_write_lock(conn)
    last_seq, prev = _last(conn)
    seq = last_seq + 1
    digest = entry_hash(canonical_bytes(seq, *fields, prev))
    sql = _sql(conn)
    conn.exec_driver_sql(sql.insert, (seq, *fields, prev, digest))

    def get_node(level: int, idx: int) -> bytes:
        row = conn.exec_driver_sql(sql.node, (level, idx)).first()
        if row is None:
            raise merkle.MissingNodeError(level, idx)
        return bytes(row[0])

    nodes = merkle.nodes_completed_by_append(get_node, seq - 1, bytes.fromhex(digest))
    conn.exec_driver_sql(sql.insert_node, [(lv, ix, h) for lv, ix, h in nodes])
    return seq, prev, digest


def size(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(t.audit_log)).scalar_one())


_COLUMNS = [
    t.audit_log.c.seq,
    t.audit_log.c.at,
    t.audit_log.c.operation,
    t.audit_log.c.action,
    t.audit_log.c.user,
    t.audit_log.c.purpose,
    t.audit_log.c.component,
    t.audit_log.c.client,
    t.audit_log.c.outcome,
    t.audit_log.c.subjects,
    t.audit_log.c.details,
    t.audit_log.c.prev_hash,
    t.audit_log.c.entry_hash,
]


def iter_entries(conn: Connection, *, batch: int = 50_000) -> Iterator[AuditEntry]:
    """Every entry in storage order (by seq), streamed."""
    last = 0
    while True:
        rows = conn.execute(
            select(*_COLUMNS).where(t.audit_log.c.seq > last).order_by(t.audit_log.c.seq).limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield _entry(row)
        last = int(rows[-1][0])


def get_entry(conn: Connection, seq: int) -> AuditEntry | None:
    row = conn.execute(select(*_COLUMNS).where(t.audit_log.c.seq == seq)).first()
    return None if row is None else _entry(row)


def search(
    conn: Connection,
    *,
    user: str | None = None,
    purpose: str | None = None,
    operation: str | None = None,
    since: str | None = None,
    until: str | None = None,
    entity: str | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """Entries matching every filter given, newest first. Reading never changes the log."""
    q = select(*_COLUMNS)
    if user:
        q = q.where(t.audit_log.c.user == user)
    if purpose:
        q = q.where(t.audit_log.c.purpose.contains(purpose, autoescape=True))
    if operation:
        q = q.where(t.audit_log.c.operation == operation)
    if since:
        q = q.where(t.audit_log.c.at >= since)
    if until:
        q = q.where(t.audit_log.c.at <= until)
    if entity:
        q = q.where(t.audit_log.c.subjects.contains(f'"{entity}"', autoescape=True))
    q = q.order_by(t.audit_log.c.seq.desc()).limit(limit)
    return [_entry(row) for row in conn.execute(q)]


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(*tuple(row))


class SqlNodeStore:
    """The Merkle node store over ``audit_nodes`` (read side, for proofs).

    Nodes are cached; :meth:`prefetch` loads many in one query, so a proof costs one
    round trip instead of one per node (see :func:`warm`).
    """

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._size: int | None = None
        self._cache: dict[tuple[int, int], bytes] = {}

    def size(self) -> int:
        if self._size is None:
            # the highest leaf index, found through the primary key (no scan)
            top: int | None = self._conn.execute(
                select(func.max(t.audit_nodes.c.idx)).where(t.audit_nodes.c.level == 0)
            ).scalar_one()
            self._size = 0 if top is None else int(top) + 1
        return self._size

    def get_node(self, level: int, index: int) -> bytes:
        key = (level, index)
        if key not in self._cache:
            row = self._conn.exec_driver_sql(_sql(self._conn).node, (level, index)).first()
            if row is None:
                raise merkle.MissingNodeError(level, index)
            self._cache[key] = bytes(row[0])
        return self._cache[key]

    def prefetch(self, keys: set[tuple[int, int]]) -> None:
        """Load the given nodes in one query (missing ones stay missing)."""
        wanted = sorted(k for k in keys if k not in self._cache)
        if not wanted:
            return
        # straight to the driver: a proof's few dozen keys would cost more to build as an
        # SQLAlchemy expression than to look up
        if self._conn.dialect.name == "postgresql":
            # one statement whatever the number of keys (prepared once): key arrays joined
            # to the primary key
            levels, indexes = zip(*wanted, strict=True)
            rows = self._conn.exec_driver_sql(_PG_NODES, (list(levels), list(indexes)))
        else:
            # an OR of key lookups, each answered from the primary key (SQLite plans a
            # row-value IN list as a scan)
            where = " OR ".join(["(level = ? AND idx = ?)"] * len(wanted))
            rows = self._conn.exec_driver_sql(f"SELECT level, idx, hash FROM audit_nodes WHERE {where}",  # noqa: S608
                                              tuple(v for key in wanted for v in key))
        for row in rows:
            self._cache[(int(row[0]), int(row[1]))] = bytes(row[2])


class _Recorder:
    """A node store that answers with a dummy hash and notes which nodes were asked for."""

    def __init__(self, size: int) -> None:
        self._size = size
        self.keys: set[tuple[int, int]] = set()

    def size(self) -> int:
        return self._size

    def get_node(self, level: int, index: int) -> bytes:
        self.keys.add((level, index))
        return bytes(merkle.HASH_SIZE)


def warm(store: SqlNodeStore, work: Callable[[merkle.NodeStore], object]) -> None:
    """Run ``work`` against a recorder to learn the nodes it needs, then prefetch them."""
    recorder = _Recorder(store.size())
    work(recorder)
    store.prefetch(recorder.keys)


__all__ = [
    "GENESIS",
    "OPERATIONS",
    "OUTCOMES",
    "CANONICAL_COLUMNS",
    "AuditEntry",
    "SqlNodeStore",
    "append",
    "canonical_bytes",
    "canonical_sql",
    "encode_field",
    "entry_hash",
    "get_entry",
    "canonical_text_sql",
    "iter_entries",
    "search",
    "size",
    "utc_now",
    "warm",
]
