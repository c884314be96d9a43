"""Cells that are safe to open in a spreadsheet, and a CSV writer that uses them.

A value that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as
a formula by Excel, LibreOffice and Google Sheets (CSV or formula injection, OWASP). Any
report or export that a person may open in a spreadsheet writes its cells through
:func:`safe_cell`, which prefixes such a value with a single quote so it is shown as text.

Example:
    >>> safe_cell("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> safe_cell("Leeds")
    'Leeds'
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

#: leading characters that make a spreadsheet evaluate a cell
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """Return ``value`` as text that a spreadsheet shows and never evaluates.

    Args:
        value: any cell value; ``None`` becomes an empty string.

    Returns:
        The text, prefixed with ``'`` when it starts with a formula character.
    """
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def safe_row(values: Iterable[object]) -> list[str]:
    """Apply :func:`safe_cell` to every cell of a row."""
    return [safe_cell(v) for v in values]


def write_safe_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Write a UTF-8 CSV (with BOM, so Excel reads the encoding) of safe cells; stream the rows.

    Args:
        path: the file to write; its folder is created.
        header: column names.
        rows: the rows, consumed lazily.

    Returns:
        The number of data rows written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(safe_row(header))
        for row in rows:
            writer.writerow(safe_row(row))
            count += 1
    return count


__all__ = ["FORMULA_PREFIXES", "safe_cell", "safe_row", "write_safe_csv"]
