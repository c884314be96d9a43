"""A deliberately corrupted copy of a generated dataset, with the rejections ingest owes.

Ingest must reject bad rows and load the good ones, naming file, row and field. This
module breaks a known set of rows in a generated dataset (impossible dates, invalid
postcodes, empty record keys, rows with the wrong number of fields, broken JSON) and writes
``expected_rejections.csv`` listing exactly those rows, so an ingest test can compare its
rejection report with it. Rows are numbered from 1 for the first data row (the header is
not counted); ``line`` is the physical line in the file.
"""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from clearsight.errors import ClearsightError

#: file -> (record key column, date column and a bad value for it, postcode column or "")
CSV_TARGETS: dict[str, tuple[str, str, str, str]] = {
    "custody.csv": ("custody_ref", "date_of_birth", "31/02/1990", "postcode"),
    "crime.csv": ("crime_ref", "date_of_birth", "1987-13-40", "postcode"),
    "stop_search.csv": ("Search reference", "Date", "2023-02-30T25:61:00+00:00", ""),
    "vehicle_keepers.csv": ("vrm", "keeper_dob", "45.19.1979", "keeper_postcode"),
    "phone_subscribers.csv": ("subscriber_id", "date_of_birth", "19801332", "postcode"),
    "anpr.csv": ("read_id", "read_at", "2023-04-31 12:00:00", ""),
    "call_records.csv": ("call_id", "start_time", "2024-02-30 10:00:00", ""),
}
BAD_POSTCODES = ("LS99 9ZZZ", "12345", "BD1", "HX!1 2AB", "WF12 ABC")
EXPECTED_HEADER = ("file", "row", "line", "field", "value", "reason")


class CorruptionError(ClearsightError):
    """The input folder is not a generated dataset."""


@dataclass(frozen=True)
class CorruptionSummary:
    """What :func:`corrupt` broke."""

    out_dir: Path
    expected_rejections: Path
    rejections: int
    by_file: dict[str, int]


def _plan(rng: np.random.Generator, rows: int, kinds: list[str]) -> dict[int, str]:
    """Pick distinct rows (1-based) and the corruption each gets."""
    per_kind = int(np.clip(rows // 500, 1, 20))
    total = min(rows, per_kind * len(kinds))
    picked = np.sort(rng.choice(np.arange(1, rows + 1), size=total, replace=False))
    assigned = rng.permutation(np.repeat(np.arange(len(kinds)), per_kind)[:total])
    return {int(r): kinds[int(k)] for r, k in zip(picked, assigned, strict=True)}


def _count_rows(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def _corrupt_csv(
    src: Path, dst: Path, rng: np.random.Generator, expected: list[tuple[str, ...]]
) -> int:
    key, date_col, bad_date, postcode_col = CSV_TARGETS[src.name]
    kinds = ["date", "key", "malformed"] + (["postcode"] if postcode_col else [])
    plan = _plan(rng, _count_rows(src), kinds)
    broken = 0
    with (
        src.open(encoding="utf-8", newline="") as fin,
        dst.open("w", encoding="utf-8", newline="") as fout,
    ):
        reader = csv.reader(fin)
        writer = csv.writer(fout, lineterminator="\n")
        header = next(reader)
        writer.writerow(header)
        at = {name: header.index(name) for name in (key, date_col, postcode_col) if name}
        for row_number, row in enumerate(reader, start=1):
            kind = plan.get(row_number)
            line = str(row_number + 1)
            if kind == "date":
                row[at[date_col]] = bad_date
                expected.append(
                    (src.name, str(row_number), line, date_col, bad_date, "invalid date")
                )
            elif kind == "postcode":
                value = BAD_POSTCODES[row_number % len(BAD_POSTCODES)]
                row[at[postcode_col]] = value
                expected.append(
                    (src.name, str(row_number), line, postcode_col, value, "invalid postcode")
                )
            elif kind == "key":
                value = row[at[key]]
                row[at[key]] = ""
                expected.append((src.name, str(row_number), line, key, "", "missing record key"))
            elif kind == "malformed":
                row = row[: max(1, len(row) // 2)]
                expected.append((src.name, str(row_number), line, "", "", "malformed row"))
            broken += kind is not None
            writer.writerow(row)
    return broken


def _corrupt_jsonl(
    src: Path, dst: Path, rng: np.random.Generator, expected: list[tuple[str, ...]]
) -> int:
    with src.open(encoding="utf-8") as handle:
        rows = sum(1 for _ in handle)
    plan = _plan(rng, rows, ["date", "key", "malformed"])
    with src.open(encoding="utf-8") as fin, dst.open("w", encoding="utf-8", newline="\n") as fout:
        for row_number, text in enumerate(fin, start=1):
            kind = plan.get(row_number)
            line = str(row_number)
            if kind == "malformed":
                text = text.rstrip("\n")[: len(text) // 2] + "\n"
                expected.append((src.name, str(row_number), line, "", "", "malformed row"))
            elif kind is not None:
                record = json.loads(text)
                if kind == "date":
                    record["reportedAt"] = "2023-02-29T09:00:00"
                    expected.append(
                        (
                            src.name,
                            str(row_number),
                            line,
                            "reportedAt",
                            "2023-02-29T09:00:00",
                            "invalid date",
                        )
                    )
                else:
                    record["reference"] = ""
                    expected.append(
                        (src.name, str(row_number), line, "reference", "", "missing record key")
                    )
                text = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
            fout.write(text)
    return len(plan)


def corrupt(in_dir: Path, out_dir: Path, *, seed: int) -> CorruptionSummary:
    """Copy a generated dataset from ``in_dir`` to ``out_dir``, breaking some rows.

    Mappings and ``truth/`` are copied unchanged. ``out_dir/expected_rejections.csv`` lists
    (file, row, line, field, value, reason) for every broken row; reasons are
    ``invalid date``, ``invalid postcode``, ``missing record key`` and ``malformed row``.

    Raises:
        CorruptionError: ``in_dir`` holds none of the generated exports.
    """
    in_dir, out_dir = Path(in_dir), Path(out_dir)
    sources = [name for name in (*CSV_TARGETS, "intelligence.jsonl") if (in_dir / name).is_file()]
    if not sources:
        raise CorruptionError(f"{in_dir} holds no generated export (run generate first)")
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in sorted(in_dir.glob("*.mapping.yaml")):
        shutil.copyfile(path, out_dir / path.name)
    if (in_dir / "truth").is_dir():
        shutil.copytree(in_dir / "truth", out_dir / "truth", dirs_exist_ok=True)
    expected: list[tuple[str, ...]] = []
    by_file: dict[str, int] = {}
    for i, name in enumerate(sources):
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 99, i])))
        if name.endswith(".jsonl"):
            by_file[name] = _corrupt_jsonl(in_dir / name, out_dir / name, rng, expected)
        else:
            by_file[name] = _corrupt_csv(in_dir / name, out_dir / name, rng, expected)
    report = out_dir / "expected_rejections.csv"
    with report.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(EXPECTED_HEADER)
        writer.writerows(expected)
    return CorruptionSummary(
        out_dir=out_dir, expected_rejections=report, rejections=len(expected), by_file=by_file
    )
