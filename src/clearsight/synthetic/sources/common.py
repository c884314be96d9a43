"""What every source writer shares: CSV and JSON Lines output, mappings, the truth log."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import yaml

#: Records rendered per chunk; bounds memory whatever the number of people.
CHUNK = 50_000

Progress = Callable[[str, int], None]


def write_mapping(path: Path, mapping: dict[str, Any]) -> None:
    """Write a mapping as YAML in the key order given (see docs/mappings.md)."""
    text = yaml.safe_dump(mapping, sort_keys=False, allow_unicode=True, width=100)
    path.write_text(text, encoding="utf-8", newline="\n")


class CsvOut:
    """A CSV export being written: header first, then rows in chunks."""

    def __init__(self, path: Path, header: Sequence[str]) -> None:
        self.path = path
        self._handle: IO[str] = path.open("w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._handle, lineterminator="\n")
        self._writer.writerow(header)
        self.rows = 0

    def write(self, columns: Sequence[Sequence[Any]]) -> None:
        """Write rows given as equal-length columns."""
        rows = list(zip(*columns, strict=True))
        self._writer.writerows(rows)
        self.rows += len(rows)

    def close(self) -> None:
        """Flush and close the file."""
        self._handle.close()


class JsonLinesOut:
    """A JSON Lines export: one object per line, keys in insertion order."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] = path.open("w", encoding="utf-8", newline="\n")
        self.rows = 0

    def write(self, records: Iterable[dict[str, Any]]) -> None:
        """Write records, one line each."""
        for record in records:
            self._handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
            self._handle.write("\n")
            self.rows += 1

    def close(self) -> None:
        """Flush and close the file."""
        self._handle.close()


class TruthLog:
    """``truth/records.csv``: the true person behind every person-bearing source entity.

    ``record_key`` is the entity's key values (its ``key`` columns in the mapping, or the
    mapping's ``record_key``) joined with ``|``.
    """

    HEADER = ("source", "record_key", "entity", "person_id")

    def __init__(self, path: Path) -> None:
        self._out = CsvOut(path, self.HEADER)

    def add(
        self, source: str, keys: Sequence[str], entity: str | Sequence[str], people: Sequence[int]
    ) -> None:
        """Record that entity ``entity`` (one name, or one per key) of each record is ``people``."""
        pids = [f"P{int(p) + 1:07d}" for p in people]
        entities = [entity] * len(keys) if isinstance(entity, str) else list(entity)
        self._out.write([[source] * len(keys), keys, entities, pids])

    @property
    def rows(self) -> int:
        """Truth rows written so far."""
        return self._out.rows

    def close(self) -> None:
        """Flush and close the file."""
        self._out.close()


@dataclass
class SourceResult:
    """What one source wrote."""

    name: str
    files: tuple[Path, ...]
    rows: int


def coordinate(value: float) -> str:
    """Six decimal places, as police.uk writes them."""
    return f"{value:.6f}"


def gender_word(gender: int) -> str:
    """``Male`` or ``Female`` from the population's 0/1 code."""
    return "Female" if gender else "Male"
