"""The audit log read for verification a batch at a time, with no Python code per entry.

Verification must hash every field of every entry itself, so its cost is reading the
entries and hashing them. Reading them as rows costs the driver a Python object per field;
here a batch arrives in a form that a few whole-batch operations in C check (slices, one
SHA-256 per entry, joins and comparisons):

- PostgreSQL sends each entry as one line ``entry_hash 0x1F canonical 0x0A``, from
  ``COPY ... TO STDOUT`` in CSV form whose delimiter is the unit separator: the server
  writes the stored fields joined exactly as the canonical form joins them, at less cost
  than building the form in a query. Its quote (0x01) and NULL marker (0x02) can occur in
  no stored field (fields are encoded, LOG-15), so a line holding either is a field that
  was tampered with.
- SQLite returns a batch as one row of aggregates built in the database: the entries'
  leaf inputs (0x00 and the canonical form), one per line, and their sequence numbers,
  hashes and links, each joined by commas.

A batch that is not exactly one clean entry per sequence number, in order, with matching
hashes and links, gives ``None``: the caller then walks the log row by row, which names
the first bad entry. So this path only ever says "all is well" where that walk would too.
"""

from __future__ import annotations

import binascii
import hashlib
import sqlite3
from collections.abc import Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from itertools import islice, repeat
from operator import itemgetter
from pathlib import Path
from typing import Any

from clearsight.errors import StoreError
from clearsight.governance import audit, merkle

#: the CSV quote and NULL marker of the PostgreSQL COPY: bytes no stored field holds
_QUOTE, _NULL = b"\x01", b"\x02"
_HASH = itemgetter(slice(0, 64))
#: the canonical form, without the line's hash, separator and newline
_CANONICAL = itemgetter(slice(65, -1))
#: the canonical form ends with the previous entry's hash
_PREV = itemgetter(slice(-65, -1))
_SEQ_PREFIX = b"%d\x1f".__mod__
_DIGEST = type(hashlib.sha256()).digest


class Reading:
    """Where a read of consecutive batches has got to: the next sequence number and link."""

    def __init__(self, first_seq: int, prev: bytes | None) -> None:
        self.next_seq = first_seq
        #: the hash the next entry must point to (None: not known yet, taken from the first entry)
        self.prev = prev
        #: the link the first entry read holds
        self.first_link: bytes | None = None

    def _start(self, link: bytes) -> bytes:
        """The hash a batch's first entry must point to, noting the first link read."""
        if self.first_link is None:
            self.first_link = link
        if self.prev is None:
            self.prev = link
        return self.prev

    def lines(self, lines: list[bytes]) -> list[bytes] | None:
        """Leaf hashes of a batch of lines ``hash 0x1F canonical 0x0A``; None unless all is well.

        Every line's stored hash must be its recomputed one, every entry must point to the
        one before it, and the sequence numbers must run on without a gap.
        """
        n = len(lines)
        if not n:
            return []
        prev = self._start(_PREV(lines[0]))
        computed = merkle.leaf_hashes(map(_CANONICAL, lines))
        stored = b"".join(map(_HASH, lines))
        if binascii.hexlify(b"".join(computed)) != stored:
            return None
        links = b"".join(map(_PREV, lines))
        if links[64:] != stored[:-64] or links[:64] != prev:
            return None
        seqs = map(_SEQ_PREFIX, range(self.next_seq, self.next_seq + n))
        if not all(map(bytes.startswith, lines, seqs, repeat(65, n))):
            return None
        self.next_seq += n
        self.prev = stored[-64:]
        return computed

    def columns(self, n: int, seqs: bytes, inputs: list[bytes], hashes: bytes, links: bytes) -> list[bytes] | None:
        """Leaf hashes of a batch read column by column; None unless all is well.

        ``inputs`` are the entries' leaf inputs (0x00 and the canonical form); ``seqs``,
        ``hashes`` and ``links`` the sequence numbers, stored hashes and previous-entry
        hashes, each joined by commas (so a value of the wrong length cannot hide).
        """
        if len(inputs) != n:
            return None
        if not n:
            return []
        prev = self._start(links[:64])
        computed = list(map(_DIGEST, map(hashlib.sha256, inputs)))
        if binascii.hexlify(b"".join(computed), b",", 32) != hashes:
            return None
        if links != (prev + b"," + hashes[:-65] if n > 1 else prev):
            return None
        if seqs != b",".join(map(b"%d".__mod__, range(self.next_seq, self.next_seq + n))):
            return None
        self.next_seq += n
        self.prev = hashes[-64:]
        return computed


def _copy_sql(lo: int, hi: int) -> bytes:
    columns = ", ".join(f'"{c}"' for c in ("entry_hash", *audit.CANONICAL_COLUMNS))
    # only constants and integers are formatted in
    return (
        f"COPY (SELECT {columns} FROM audit_log WHERE seq >= {int(lo)} AND seq < {int(hi)} ORDER BY seq) "  # noqa: S608
        "TO STDOUT (FORMAT csv, DELIMITER E'\\x1f', QUOTE E'\\x01', NULL E'\\x02')"
    ).encode()


def postgres(driver: Any, lo: int, hi: int, batch: int, reading: Reading) -> Iterator[list[bytes] | None]:
    """Leaf hashes of consecutive batches of entries ``lo <= seq < hi`` from a psycopg connection.

    The COPY runs on the connection's libpq handle (psycopg's ``pgconn``): its ``Copy``
    object hands over one row at a time through Python, which costs more than the checks.
    """
    from psycopg import pq

    pgconn = driver.pgconn
    if pgconn.parameter_status(b"client_encoding") != b"UTF8":
        yield None  # the canonical form is UTF-8: lines in another encoding would not hash
        return
    pgconn.send_query(_copy_sql(lo, hi))
    started = pgconn.get_result()
    if started is None or started.status != pq.ExecStatus.COPY_OUT:
        message = "" if started is None else started.get_error_message()
        while pgconn.get_result() is not None:
            pass
        raise StoreError(f"could not read the audit log: {message}".strip())
    end = (-1, memoryview(b""))
    rows = map(bytes, map(itemgetter(1), iter(partial(pgconn.get_copy_data, 0), end)))
    done = False
    try:
        while lines := list(islice(rows, batch)):
            if _QUOTE in (joined := b"".join(lines)) or _NULL in joined:
                yield None
                return
            yield reading.lines(lines)
        done = True
    finally:
        if not done:
            _abandon(driver, pgconn)
        finished = pgconn.get_result()
        while pgconn.get_result() is not None:
            pass
    if finished is None or finished.status != pq.ExecStatus.COMMAND_OK:
        message = "" if finished is None else finished.get_error_message()
        raise StoreError(f"could not read the audit log: {message}".strip())


def _abandon(driver: Any, pgconn: Any) -> None:
    """Stop a COPY part-way: ask the server to cancel it and read what is still on its way."""
    import psycopg

    cancel = getattr(driver, "cancel_safe", None) or driver.cancel
    try:
        cancel()
        while pgconn.get_copy_data(0)[0] >= 0:
            pass
    except psycopg.Error:
        pass  # the cancelled COPY ends in an error, as asked


_SQLITE_BATCH = (
    # only constants are formatted in; the bounds are parameters
    "SELECT count(*), group_concat(seq, ','), CAST(group_concat(leaf, char(10)) AS BLOB), "  # noqa: S608
    "CAST(group_concat(entry_hash, ',') AS BLOB), CAST(group_concat(prev_hash, ',') AS BLOB) FROM "
    f"(SELECT seq, entry_hash, prev_hash, char(0) || {audit.canonical_text_sql()} AS leaf "
    "FROM audit_log WHERE seq >= ? AND seq < ? ORDER BY seq)"
)


def sqlite(driver: Any, lo: int, hi: int, batch: int, reading: Reading) -> Iterator[list[bytes] | None]:
    """Leaf hashes of consecutive batches of entries ``lo <= seq < hi`` from a sqlite3 connection.

    Each batch is one row of aggregates built by the database: its count, the leaf inputs
    one per line (NULL for a row with a NULL field, so one missing line) and the sequence
    numbers, hashes and links joined by commas. For a database file the next batch is
    read on a second, read-only connection in a thread while this one is hashed (SQLite
    runs without Python's lock), so reading and hashing share the cores.
    """
    bounds = [(start, min(start + batch, hi)) for start in range(lo, hi, batch)]
    path = next((row[2] for row in driver.execute("PRAGMA database_list") if row[1] == "main"), "")
    second = _read_only(path) if path and len(bounds) > 1 else None
    results = _read_here(driver, bounds) if second is None else _read_ahead(second, bounds)
    try:
        for n, seqs, inputs, hashes, links in results:
            if not n:
                yield []
                continue
            yield reading.columns(n, seqs.encode(), inputs.split(b"\n") if inputs else [], hashes or b"", links or b"")
    finally:
        results.close()


def _read_here(driver: Any, bounds: list[tuple[int, int]]) -> Generator[tuple[Any, ...]]:
    cursor = driver.cursor()
    try:
        for bound in bounds:
            yield cursor.execute(_SQLITE_BATCH, bound).fetchone()
    finally:
        cursor.close()


def _read_only(path: str) -> sqlite3.Connection | None:
    """A second, read-only connection to the database file; None if it cannot be had."""
    try:
        # used by one thread only, one query at a time (see _read_ahead)
        return sqlite3.connect(Path(path).as_uri() + "?mode=ro", uri=True, check_same_thread=False)
    except sqlite3.Error:
        return None  # the batches are read on the caller's own connection instead


def _read_ahead(conn: sqlite3.Connection, bounds: list[tuple[int, int]]) -> Generator[tuple[Any, ...]]:
    """The batches' rows, each read in a thread while the caller works on the one before."""
    try:
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(_fetch_one, conn, bounds[0])
            for bound in bounds[1:]:
                ready = pending.result()
                pending = pool.submit(_fetch_one, conn, bound)
                yield ready
            yield pending.result()
    finally:
        conn.close()


def _fetch_one(conn: sqlite3.Connection, bound: tuple[int, int]) -> tuple[Any, ...]:
    row: tuple[Any, ...] = conn.execute(_SQLITE_BATCH, bound).fetchone()
    return row


def leaves(driver: Any, dialect: str, lo: int, hi: int, batch: int, reading: Reading) -> Iterator[list[bytes] | None]:
    """Leaf hashes of consecutive batches of the entries ``lo <= seq < hi``, on either backend.

    A None is a batch that is not clean; the caller stops reading there.
    """
    reader = postgres if dialect == "postgresql" else sqlite
    return reader(driver, lo, hi, batch, reading)


__all__ = ["Reading", "leaves"]
