"""Every synthetic source ingests cleanly through its mapping; the corrupted copy is rejected as expected."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from clearsight.bootstrap import Workspace
from clearsight.ingest import ingest

synthetic = pytest.importorskip("clearsight.synthetic")

PURPOSE = "INTELLIGENCE: load of the synthetic force dataset"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("synthetic")
    good, bad = root / "good", root / "bad"
    synthetic.generate(good, people=2000, seed=11)
    synthetic.corrupt(good, bad, seed=11)
    return good, bad


def _sources(folder: Path) -> list[tuple[Path, Path]]:
    out = []
    for mapping in sorted(folder.glob("*.mapping.yaml")):
        stem = mapping.name[: -len(".mapping.yaml")]
        data = next(p for p in folder.glob(f"{stem}.*") if p.suffix in (".csv", ".jsonl", ".json", ".xlsx"))
        out.append((data, mapping))
    return out


def test_generated_files_ingest_without_rejections(sqlite_workspace: Workspace, dataset: tuple[Path, Path]) -> None:
    ws = sqlite_workspace
    ctx = ws.context(PURPOSE)
    sources = _sources(dataset[0])
    assert len(sources) >= 6
    for data, mapping in sources:
        summary = ingest(ws.governance, ctx, str(data), mapping, reports_dir=ws.settings.workspace / "reports")
        assert summary.rows_rejected == 0, (data.name, summary.report)
        assert summary.rows_read > 0 and summary.statements_written > 0


def test_corrupted_copy_gives_the_expected_rejections(sqlite_workspace: Workspace, dataset: tuple[Path, Path]) -> None:
    ws = sqlite_workspace
    ctx = ws.context(PURPOSE)
    bad = dataset[1]
    with (bad / "expected_rejections.csv").open(encoding="utf-8", newline="") as fh:
        expected = list(csv.DictReader(fh))
    found: list[dict[str, object]] = []
    for data, mapping in _sources(bad):
        summary = ingest(ws.governance, ctx, str(data), mapping, reports_dir=ws.settings.workspace / "reports",
                         source_name=f"bad-{data.stem}")
        if summary.report:
            found.extend(json.loads(summary.report[1].read_text(encoding="utf-8")))
    got = {(Path(str(r["file"])).name, int(str(r["row"]))) for r in found if r["severity"] == "rejected"}
    want = {(e["file"], int(e["line"]) if not e["file"].endswith(".jsonl") else int(e["line"])) for e in expected}
    assert got == want
    by_key = {(Path(str(r["file"])).name, int(str(r["row"]))): r for r in found}
    for e in expected:
        if e["reason"] in ("invalid date", "invalid postcode", "missing record key"):
            assert e["field"] in str(by_key[(e["file"], int(e["line"]))]["field"]), e
