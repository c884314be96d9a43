"""Readers: stream a source's records as (row number, values aligned to its header).

Every reader is streamed: memory holds one record (and the reader's own buffer), never
the file, so memory does not grow with the source's size. The one exception is a plain
``.json`` array, which the JSON format only allows reading whole; use JSON Lines for big
exports.

Row numbers are what a person finds in the source: for CSV and Excel the spreadsheet row
(the header is row 1), for JSON Lines the line, for JSON the index in the array plus one,
for SQL the result row.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from charset_normalizer import from_bytes

from clearsight.errors import InvalidData, MappingError, Problem

#: bytes read to detect the encoding and delimiter
SAMPLE_BYTES = 1 << 20
DELIMITERS = ",;\t|"
#: a CSV field may be this long (csv's default of 128 KiB is too small for free-text notes)
FIELD_LIMIT = 16 * 1024 * 1024


@dataclass
class Source:
    """An open source: its header, and an iterator of (row number, values) records.

    ``values`` is aligned to ``header``; a CSV record with the wrong number of fields keeps
    its own length (the transform rejects it).
    """

    location: str
    header: list[str]
    records: Iterator[tuple[int, list[Any]]]
    encoding: str | None = None
    delimiter: str | None = None
    #: the source's size in bytes and a function giving how far reading has got, if known
    size: int | None = None
    tell: Callable[[], int] | None = None


def detect_encoding(sample: bytes) -> str:
    """The text encoding of a sample: BOMs first, UTF-8 if it decodes, else charset-normalizer.

    ASCII is reported as UTF-8 (its superset), so later non-ASCII UTF-8 text still reads.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        # the sample may end inside a multi-byte character: ignore an incomplete tail
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(sample).best()
    if best is None or best.encoding in ("ascii", "utf_8"):
        return "cp1252"
    return str(best.encoding)


def detect_delimiter(text: str) -> str:
    """The delimiter of a CSV sample (``csv.Sniffer``), defaulting to a comma."""
    lines = text.splitlines()[:50]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        header = lines[0]
        counts = {d: header.count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def open_csv(path: Path, *, encoding: str | None = None, delimiter: str | None = None) -> Source:
    """Open a CSV file: detect its encoding and delimiter unless given, read the header."""
    if not path.is_file():
        raise InvalidData(f"no file {path}", [Problem("file not found", file=str(path))])
    with path.open("rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    enc = encoding or detect_encoding(sample)
    try:
        codecs.lookup(enc)
    except LookupError:
        raise MappingError(f"unknown encoding {enc!r}", [Problem("options.encoding names no known encoding", file=str(path))]) from None
    text_sample = sample.decode(enc, errors="replace")
    if text_sample.startswith("\ufeff"):
        text_sample = text_sample[1:]
    delim = delimiter or detect_delimiter(text_sample)
    csv.field_size_limit(FIELD_LIMIT)
    # errors="replace": one stray byte must not lose a whole file; the row keeps a visible
    # replacement character that the quality report counts as invalid text.
    fh_text = path.open("r", encoding=enc, errors="replace", newline="")
    reader = csv.reader(fh_text, delimiter=delim)
    try:
        header = next(reader)
    except StopIteration:
        fh_text.close()
        raise InvalidData(f"{path} is empty", [Problem("no header row", file=str(path), row=1)]) from None
    except csv.Error as exc:
        fh_text.close()
        raise InvalidData(f"{path}: unreadable header", [Problem(str(exc), file=str(path), row=1)]) from None
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    header = [h.strip() for h in header]

    def records() -> Iterator[tuple[int, list[Any]]]:
        row_no = 1
        try:
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    row_no += 1
                    yield row_no, [_CsvError(str(exc))]
                    continue
                row_no += 1
                if not row:
                    continue
                yield row_no, row
        finally:
            fh_text.close()

    raw: Any = fh_text.buffer
    return Source(
        location=str(path), header=header, records=records(), encoding=enc, delimiter=delim,
        size=path.stat().st_size, tell=raw.tell,
    )


class _CsvError(str):
    """A record the CSV parser could not read; the transform reports it."""


def is_parse_error(values: list[Any]) -> str | None:
    """The parser's message when a record could not be parsed at all, else None."""
    if len(values) == 1 and isinstance(values[0], _CsvError):
        return str(values[0])
    return None


def _text(value: Any) -> str | None:
    """A cell as text: numbers without spurious '.0', dates in ISO form."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def dotted(record: Any, path: str) -> Any:
    """The value at a dotted path (``subject.name``, ``people.0.name``) or None."""
    if isinstance(record, dict) and path in record:
        return record[path]
    node = record
    for part in path.split("."):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list):
            try:
                node = node[int(part)]
            except (ValueError, IndexError):
                return None
        else:
            return None
        if node is None:
            return None
    return node


def open_jsonl(path: Path, columns: list[str], *, encoding: str | None = None) -> Source:
    """Open a JSON Lines file; each line is one record, fields addressed by dotted path."""
    if not path.is_file():
        raise InvalidData(f"no file {path}", [Problem("file not found", file=str(path))])
    with path.open("rb") as fh:
        enc = encoding or detect_encoding(fh.read(SAMPLE_BYTES))

    position = [0]

    def records() -> Iterator[tuple[int, list[Any]]]:
        with path.open("r", encoding=enc, errors="replace") as fh:
            for line_no, line in enumerate(fh, start=1):
                position[0] += len(line)
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield line_no, [_CsvError(f"not valid JSON: {exc.msg} at column {exc.colno}")]
                    continue
                if not isinstance(record, dict):
                    yield line_no, [_CsvError("a JSON Lines record must be an object")]
                    continue
                yield line_no, [_text(dotted(record, c)) for c in columns]

    return Source(
        location=str(path), header=list(columns), records=records(), encoding=enc,
        size=path.stat().st_size, tell=lambda: position[0],
    )


def open_json(path: Path, columns: list[str], *, records_path: str | None = None) -> Source:
    """Open a JSON file holding an array of objects (or an object with the array at ``records_path``)."""
    if not path.is_file():
        raise InvalidData(f"no file {path}", [Problem("file not found", file=str(path))])
    with path.open("rb") as fh:
        raw = fh.read()
    try:
        doc = json.loads(raw.decode(detect_encoding(raw[:SAMPLE_BYTES]), errors="replace"))
    except json.JSONDecodeError as exc:
        raise InvalidData(f"{path} is not valid JSON", [Problem(f"{exc.msg} at line {exc.lineno}, column {exc.colno}", file=str(path), line=exc.lineno)]) from None
    items = dotted(doc, records_path) if records_path else doc
    if not isinstance(items, list):
        where = f"at {records_path!r}" if records_path else "at the top level"
        raise InvalidData(f"{path}: expected an array of records {where}", [Problem("set options.records to the path of the array", file=str(path))])

    def records() -> Iterator[tuple[int, list[Any]]]:
        for n, record in enumerate(items, start=1):
            if not isinstance(record, dict):
                yield n, [_CsvError("a record must be a JSON object")]
                continue
            yield n, [_text(dotted(record, c)) for c in columns]

    return Source(location=str(path), header=list(columns), records=records())


def open_xlsx(path: Path, *, sheet: str | None = None, header_row: int = 1) -> Source:
    """Open an Excel workbook read-only and stream one sheet's rows (openpyxl)."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    if not path.is_file():
        raise InvalidData(f"no file {path}", [Problem("file not found", file=str(path))])
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise InvalidData(f"{path} is not an Excel workbook", [Problem(str(exc), file=str(path))]) from None
    if sheet is not None and sheet not in wb.sheetnames:
        wb.close()
        raise MappingError(f"{path} has no sheet {sheet!r}", [Problem(f"sheets: {', '.join(wb.sheetnames)}", file=str(path), field="options.sheet")])
    ws = wb[sheet] if sheet is not None else wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header: list[str] = []
    row_no = 0
    for row_no, row in enumerate(rows, start=1):
        if row_no == header_row:
            header = [(_text(v) or "").strip() for v in row]
            break
    while header and not header[-1]:
        header.pop()
    if not header:
        wb.close()
        raise InvalidData(f"{path} has no header row", [Problem("no header", file=str(path), row=header_row)])
    width = len(header)

    def records() -> Iterator[tuple[int, list[Any]]]:
        try:
            for n, row in enumerate(rows, start=row_no + 1):
                values = [_text(v) for v in row]
                if all(v is None or v == "" for v in values):
                    continue
                if len(values) > width:
                    tail = values[width:]
                    values = values[:width] if all(v is None or v == "" for v in tail) else values
                elif len(values) < width:
                    values = values + [None] * (width - len(values))
                yield n, values
        finally:
            wb.close()

    return Source(location=str(path), header=header, records=records())


def open_sql(url: str, query: str, *, batch: int = 5000) -> Source:
    """Run a query against any SQLAlchemy database URL and stream its rows."""
    from clearsight.store.ingest_queries import stream_query

    header, rows = stream_query(url, query, batch=batch)

    def records() -> Iterator[tuple[int, list[Any]]]:
        for n, row in enumerate(rows, start=1):
            yield n, [_text(v) for v in row]

    return Source(location=_safe_url(url), header=header, records=records())


def _safe_url(url: str) -> str:
    """A URL with any password replaced, for reports and the audit log."""
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else url


def open_source(location: str, fmt: str, options: dict[str, Any], columns: list[str], *, batch: int = 5000) -> Source:
    """Open ``location`` with the reader for ``fmt``.

    Args:
        location: a file path, or a database URL for ``sql``.
        fmt: ``csv``, ``jsonl``, ``json``, ``xlsx`` or ``sql``.
        options: the mapping's reader options.
        columns: the columns the mapping uses (JSON readers extract only these).
        batch: rows fetched at a time from a database.
    """
    if fmt == "sql":
        return open_sql(location, str(options.get("query", "")), batch=batch)
    path = Path(location[len("file://") :] if location.startswith("file://") else location)
    if fmt == "csv":
        return open_csv(path, encoding=options.get("encoding"), delimiter=options.get("delimiter"))
    if fmt == "jsonl":
        return open_jsonl(path, columns, encoding=options.get("encoding"))
    if fmt == "json":
        return open_json(path, columns, records_path=options.get("records"))
    if fmt == "xlsx":
        return open_xlsx(path, sheet=options.get("sheet"), header_row=int(options.get("header_row", 1)))
    raise MappingError(f"unknown format {fmt!r}", [Problem("format must be csv, jsonl, json, xlsx or sql")])


__all__ = [
    "Source",
    "detect_delimiter",
    "detect_encoding",
    "dotted",
    "is_parse_error",
    "open_csv",
    "open_json",
    "open_jsonl",
    "open_source",
    "open_sql",
    "open_xlsx",
]
