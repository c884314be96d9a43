"""Readers: encodings, delimiters, JSON Lines nesting, Excel and SQL sources."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from openpyxl import Workbook

from clearsight.ingest.readers import (
    detect_encoding,
    open_csv,
    open_json,
    open_jsonl,
    open_source,
    open_xlsx,
)


def _rows(src) -> list[tuple[int, list]]:  # type: ignore[no-untyped-def]
    return list(src.records)


def test_cp1252_and_semicolon(tmp_path: Path) -> None:
    path = tmp_path / "legacy.csv"
    text = "ref;name;town\r\n1;Zoë Brontë;Haworth\r\n2;Renée O'Neill;Bradford £5\r\n"
    path.write_bytes(text.encode("cp1252"))
    assert detect_encoding(path.read_bytes()) != "utf-8"
    src = open_csv(path)
    assert src.delimiter == ";"
    assert src.header == ["ref", "name", "town"]
    rows = _rows(src)
    assert rows[0] == (2, ["1", "Zoë Brontë", "Haworth"])
    assert rows[1][1][2] == "Bradford £5"


def test_utf8_bom_and_tab(tmp_path: Path) -> None:
    path = tmp_path / "bom.tsv"
    path.write_bytes("\ufeffa\tb\n1\tŁódź\n".encode())
    src = open_csv(path)
    assert src.header == ["a", "b"] and src.delimiter == "\t"
    assert _rows(src) == [(2, ["1", "Łódź"])]


def test_malformed_rows_keep_their_length(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("a,b,c\n1,2,3\n1,2\n1,2,3,4\n")
    rows = _rows(open_csv(path))
    assert [len(r[1]) for r in rows] == [3, 2, 4]
    assert [r[0] for r in rows] == [2, 3, 4]


def test_jsonl_nested(tmp_path: Path) -> None:
    path = tmp_path / "intel.jsonl"
    records = [
        {"ref": "IR1", "subject": {"name": "Amy Pond", "dob": "1990-01-02"}, "people": [{"name": "Rory"}]},
        {"ref": "IR2", "subject": {"name": "Clara"}, "people": []},
    ]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n\nnot json\n")
    src = open_jsonl(path, ["ref", "subject.name", "subject.dob", "people.0.name"])
    rows = _rows(src)
    assert rows[0] == (1, ["IR1", "Amy Pond", "1990-01-02", "Rory"])
    assert rows[1] == (2, ["IR2", "Clara", None, None])
    assert rows[2][0] == 4 and "not valid JSON" in rows[2][1][0]


def test_json_array(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"data": {"items": [{"id": 7, "ok": True, "n": 2.0}]}}))
    rows = _rows(open_json(path, ["id", "ok", "n"], records_path="data.items"))
    assert rows == [(1, ["7", "true", "2"])]


def test_xlsx(tmp_path: Path) -> None:
    import datetime as dt

    path = tmp_path / "book.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "Custody"
    ws.append(["ref", "dob", "phone", "when"])
    ws.append(["C1", dt.datetime(1990, 3, 4), 7700900123, dt.datetime(2024, 5, 6, 13, 30)])
    ws.append([None, None, None, None])
    ws.append(["C2", "04/03/1991", None, None])
    wb.save(path)
    src = open_xlsx(path, sheet="Custody")
    assert src.header == ["ref", "dob", "phone", "when"]
    assert _rows(src) == [
        (2, ["C1", "1990-03-04", "7700900123", "2024-05-06 13:30:00"]),
        (4, ["C2", "04/03/1991", None, None]),
    ]


def test_sql_source_via_sqlite_url(tmp_path: Path) -> None:
    db = tmp_path / "rms.db"
    with sqlite3.connect(db) as conn:
        conn.execute("create table crimes (ref text, kind text, n integer)")
        conn.executemany("insert into crimes values (?, ?, ?)", [(f"R{i}", "Burglary", i) for i in range(25)])
    src = open_source(f"sqlite:///{db}", "sql", {"query": "select ref, kind, n from crimes order by n"}, [], batch=10)
    assert src.header == ["ref", "kind", "n"]
    rows = _rows(src)
    assert len(rows) == 25 and rows[3] == (4, ["R3", "Burglary", "3"])
