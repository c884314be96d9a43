"""The audit log read for verification as lines of bytes: each entry's stored hash, then its canonical form.

Verification must hash every field of every entry itself, so its cost is reading the
entries and hashing them. Reading them as rows costs the driver a Python object per field;
here each entry arrives as one line ``entry_hash 0x1F canonical 0x0A``, and a batch is
checked with a few whole-batch operations in C (slices, one SHA-256 per entry, joins and
comparisons), no Python code per entry:

- PostgreSQL sends the entries with ``COPY ... TO STDOUT`` in CSV form whose delimiter is
  the unit separator, so the server writes the stored fields joined exactly as the
  canonical form joins them, at less cost than building the form in a query. Its quote
  (0x01) and NULL marker (0x02) can occur in no stored field (fields are encoded, LOG-15),
  so a line holding either is a field that was tampered with, and the batch is left to the
  row-by-row walk to name.
- SQLite builds a batch's lines with ``printf`` and ``group_concat`` in the database and
  returns them as one value.

A batch that is not exactly one clean line per entry, in order, with matching hashes and
links, gives ``None``: the caller then walks the log row by row, which names the first bad
entry. So this path only ever says "all is well" where the row-by-row walk would too.
"""

from __future__ import annotations

import binascii
from collections.abc import Iterator
from functools import partial
from itertools import islice, repeat
from operator import itemgetter
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


def leaves(lines: list[bytes], first_seq: int, prev: bytes | None) -> list[bytes] | None:
    """The leaf hashes of a batch of lines for entries ``first_seq, first_seq + 1, ...``.

    ``None`` unless every line's stored hash is its recomputed one, every entry points to
    the one before it (the first to ``prev``, if given) and the sequence numbers run on
    from ``first_seq`` without a gap.
    """
    n = len(lines)
    computed = merkle.leaf_hashes(map(_CANONICAL, lines))
    stored = b"".join(map(_HASH, lines))
    if binascii.hexlify(b"".join(computed)) != stored:
        return None
    links = b"".join(map(_PREV, lines))
    if links[64:] != stored[:-64] or (prev is not None and links[:64] != prev):
        return None
    if not all(map(bytes.startswith, lines, map(_SEQ_PREFIX, range(first_seq, first_seq + n)), repeat(65, n))):
        return None
    return computed


def first_link(line: bytes) -> bytes:
    """The previous entry's hash, as the line's entry holds it."""
    return _PREV(line)


def last_hash(line: bytes) -> bytes:
    return _HASH(line)


def _copy_sql(lo: int, hi: int) -> bytes:
    columns = ", ".join(f'"{c}"' for c in ("entry_hash", *audit.CANONICAL_COLUMNS))
    # only constants and integers are formatted in
    return (
        f"COPY (SELECT {columns} FROM audit_log WHERE seq >= {int(lo)} AND seq < {int(hi)} ORDER BY seq) "  # noqa: S608
        "TO STDOUT (FORMAT csv, DELIMITER E'\\x1f', QUOTE E'\\x01', NULL E'\\x02')"
    ).encode()


def postgres(driver: Any, lo: int, hi: int, batch: int) -> Iterator[list[bytes] | None]:
    """Batches of the lines of entries ``lo <= seq < hi`` from a psycopg connection.

    The COPY runs on the connection's libpq handle (psycopg's ``pgconn``): its ``Copy``
    object hands over one row at a time through Python, which costs more than the checks.
    Yields ``None`` for a batch with a tampered field (the caller stops there).
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
            yield lines
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


def sqlite(driver: Any, lo: int, hi: int, batch: int) -> Iterator[list[bytes] | None]:
    """Batches of the lines of entries ``lo <= seq < hi`` from a sqlite3 connection.

    Each batch is one value built by the database; it must hold one line per entry in the
    range, each from a row with no NULL field, or the batch is ``None``.
    """
    # only constants are formatted in; the bounds are parameters
    sql = (
        "SELECT count(*), count(line), CAST(group_concat(line, char(10)) AS BLOB) FROM "  # noqa: S608
        f"(SELECT {audit.hashed_line_sql()} AS line FROM audit_log WHERE seq >= ? AND seq < ? ORDER BY seq)"
    )
    cursor = driver.cursor()
    try:
        for start in range(lo, hi, batch):
            stop = min(start + batch, hi)
            rows, lines_n, joined = cursor.execute(sql, (start, stop)).fetchone()
            lines = (joined + b"\n").splitlines(keepends=True) if joined else []
            if not rows == lines_n == len(lines) == stop - start:
                yield None
                return
            yield lines
    finally:
        cursor.close()


def batches(driver: Any, dialect: str, lo: int, hi: int, batch: int) -> Iterator[list[bytes] | None]:
    """Batches of lines for the entries ``lo <= seq < hi``, on either backend."""
    reader = postgres if dialect == "postgresql" else sqlite
    return reader(driver, lo, hi, batch)


__all__ = ["batches", "first_link", "last_hash", "leaves"]
