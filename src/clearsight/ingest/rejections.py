"""The rejection report of an ingest run: every rejected row and dropped value, with why.

Rejections are spooled to disk as they happen (memory stays flat however many rows are
bad) and written at the end as ``rejections.csv`` (safe to open in a spreadsheet: cells
that would be read as formulas are neutralised, see :func:`clearsight.exports.safe_cell`)
and ``rejections.json`` (the exact values, for tools).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from clearsight.exports import write_safe_csv
from clearsight.ingest.transform import Rejection

COLUMNS = ("file", "row", "field", "value", "reason", "severity")


class RejectionReport:
    """Collects rejections of one run under ``folder``; files appear only if there are any."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.rejected_rows = 0
        self.warnings = 0
        self._spool: Any = None
        self._last_row: tuple[str, int] | None = None

    @property
    def spool_path(self) -> Path:
        return self.folder / "rejections.jsonl.part"

    @property
    def csv_path(self) -> Path:
        return self.folder / "rejections.csv"

    @property
    def json_path(self) -> Path:
        return self.folder / "rejections.json"

    def add(self, items: Iterable[Rejection]) -> None:
        """Record the problems of one row."""
        for item in items:
            if self._spool is None:
                self.folder.mkdir(parents=True, exist_ok=True)
                self._spool = self.spool_path.open("w", encoding="utf-8")
            if item.severity == "warning":
                self.warnings += 1
            elif self._last_row != (item.file, item.row):
                self.rejected_rows += 1
                self._last_row = (item.file, item.row)
            self._spool.write(json.dumps(item.as_dict(), ensure_ascii=False) + "\n")

    def _items(self) -> Iterator[dict[str, Any]]:
        with self.spool_path.open("r", encoding="utf-8") as fh:
            for line in fh:
                yield json.loads(line)

    def finish(self) -> tuple[Path, Path] | None:
        """Write the CSV and JSON reports; return their paths, or None if nothing was rejected."""
        if self._spool is None:
            return None
        self._spool.close()
        self._spool = None
        write_safe_csv(self.csv_path, COLUMNS, ([item[c] for c in COLUMNS] for item in self._items()))
        with self.json_path.open("w", encoding="utf-8") as out:
            out.write("[")
            for n, item in enumerate(self._items()):
                out.write(",\n" if n else "\n")
                out.write(json.dumps(item, ensure_ascii=False))
            out.write("\n]\n")
        self.spool_path.unlink(missing_ok=True)
        return self.csv_path, self.json_path

    def discard(self) -> None:
        """Close and remove the spool (after a failed run, the reports are still written)."""
        if self._spool is not None:
            self.finish()


__all__ = ["COLUMNS", "RejectionReport"]
