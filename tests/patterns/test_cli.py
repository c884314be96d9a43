"""The ``clearsight patterns`` commands end to end: police.uk slices ingested with the
ingest command, analysed through the governance gateway, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from clearsight.bootstrap import Workspace, init_workspace
from clearsight.cli.main import app
from clearsight.governance import audit
from clearsight.patterns.store import NO_EVENTS
from clearsight.settings import load_settings
from tests.helpers import SHARED_DATA, street_file, street_slice

MONTHS = ("2016-07", "2017-07")
PURPOSE = "INTELLIGENCE: testing the pattern commands"
needs_data = pytest.mark.skipif(not street_file("2016-07").exists(),
                                reason="police.uk sample data not present")
pytestmark = needs_data




class Cli:
    """Runs the app against one workspace (and database) as one user."""

    def __init__(self, workspace: Path, db_url: str | None = None, user: str = "analyst1") -> None:
        self.base = ["--workspace", str(workspace), "--user", user]
        if db_url:
            self.base += ["--db-url", db_url]
        self.runner = CliRunner()

    def __call__(self, *args: str, purpose: str | None = PURPOSE) -> Result:
        extra = ["--purpose", purpose] if purpose else []
        return self.runner.invoke(app, [*self.base, *args, *extra], env={"CLEARSIGHT_PURPOSE": ""})

    def ok(self, *args: str) -> Result:
        res = self(*args)
        assert res.exit_code == 0, (res.output, res.exception)
        return res


def _consultations(ws: Workspace, action: str) -> list[audit.AuditEntry]:
    with ws.store.begin() as conn:
        return [e for e in audit.iter_entries(conn) if e.operation == "consultation" and e.action == action]


def _load(tmp: Path, cli: Cli, rows: int) -> None:
    for month in MONTHS:
        cli.ok("ingest", str(street_slice(tmp, month, rows)), "--mapping", "police-uk-street")


@pytest.fixture
def loaded(tmp_path: Path) -> Iterator[tuple[Workspace, Cli]]:
    ws = init_workspace(load_settings(environ={}, workspace=tmp_path / "ws", user="analyst1"))
    cli = Cli(tmp_path / "ws")
    _load(tmp_path, cli, 3000)
    yield ws, cli
    ws.close()


def test_hotspots_write_map_geojson_and_table_with_marking(loaded: tuple[Workspace, Cli], tmp_path: Path) -> None:
    ws, cli = loaded
    out = tmp_path / "hot"
    res = cli.ok("patterns", "hotspots", "--month", "2017-07", "--cell", "250", "--permutations", "99",
                 "--out", str(out), "--json")
    summary = json.loads(res.stdout)
    assert summary["marking"].startswith("OFFICIAL")
    assert summary["explanation"]["data_sources"] == ["police-uk-street"]
    assert summary["explanation"]["limits"]
    png = out / "hotspot_counts.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    geo = json.loads((out / "hotspot_cells.geojson").read_text())
    assert geo["type"] == "FeatureCollection" and geo["features"] and geo["marking"].startswith("OFFICIAL")
    header = (out / "hotspot_cells.csv").read_text().splitlines()[0]
    assert "count" in header and "product_marking" in header
    entries = _consultations(ws, "patterns.hotspots")
    assert len(entries) == 1 and entries[0].outcome == "ok"
    assert json.loads(entries[0].details)["events"] == 3000
    subjects = json.loads(entries[0].subjects)  # the ids, or their count and digest when many
    assert (subjects["count"] if isinstance(subjects, dict) else len(subjects)) == 3000


def test_backtest_prints_pai_pei_and_study_areas(loaded: tuple[Workspace, Cli], tmp_path: Path) -> None:
    ws, cli = loaded
    res = cli.ok("patterns", "backtest", "--train", "2016-07", "--test", "2017-07", "--cell", "250",
                 "--out", str(tmp_path / "bt"))
    text = " ".join(res.output.split())
    assert "PAI" in text and "PEI" in text and "points" in text
    assert "convex hull of the training events" in text and "Hit-rate denominator" in text
    data = json.loads(cli.ok("patterns", "backtest", "--train", "2016-07", "--test", "2017-07",
                             "--out", str(tmp_path / "bt2"), "--json").stdout)
    metrics = data["figures"]["metrics"]
    at5 = {r["model"]: r for r in metrics if r["study_area"] == "hull" and abs(r["area_fraction"] - 0.05) < 1e-9}
    assert {"prior", "kde", "blend", "points"} <= set(at5)
    assert all(r["pai"] > 1 and 0 < r["pei"] <= 1 for r in at5.values())
    assert data["explanation"]["parameters"]["hit_rate_denominator"]
    assert (tmp_path / "bt" / "backtest_metrics.csv").exists()
    assert len(_consultations(ws, "patterns.backtest")) == 2  # one per command run


def test_purpose_required_and_nothing_read(loaded: tuple[Workspace, Cli], tmp_path: Path) -> None:
    ws, cli = loaded
    res = cli("patterns", "hotspots", "--out", str(tmp_path / "none"), purpose=None)
    assert res.exit_code != 0
    assert not (tmp_path / "none").exists()
    assert not [e for e in _consultations(ws, "patterns.hotspots") if e.outcome == "ok"]


def test_viewer_without_the_group_sees_no_events(loaded: tuple[Workspace, Cli], tmp_path: Path) -> None:
    ws, cli = loaded
    added = cli("users", "add", "outsider", "--roles", "analyst", "--clearance", "OFFICIAL-SENSITIVE",
                "--groups", "elsewhere", purpose=None)
    assert added.exit_code == 0, added.output
    other = Cli(tmp_path / "ws", user="outsider")
    res = other("patterns", "hotspots", "--out", str(tmp_path / "x"))
    assert res.exit_code != 0
    assert str(res.exception) == NO_EVENTS
    assert not (tmp_path / "x").exists()
    entries = _consultations(ws, "patterns.hotspots")
    assert len(entries) == 1 and entries[0].user == "outsider"
    assert json.loads(entries[0].details)["events"] == 0


def test_nearrepeat_refuses_month_only_data_cleanly(loaded: tuple[Workspace, Cli], tmp_path: Path) -> None:
    _, cli = loaded
    proc = subprocess.run(
        [sys.executable, "-m", "clearsight.cli.main", *cli.base, "patterns", "nearrepeat", "--purpose", PURPOSE,
         "--out", str(tmp_path / "nr")],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode != 0
    assert "needs the date of each event" in " ".join(proc.stderr.split())
    assert "Traceback" not in proc.stderr


def test_allocate_prints_the_disparity_report(loaded: tuple[Workspace, Cli], tmp_path: Path) -> None:
    census = SHARED_DATA / "lsoa" / "census_2011_population_hh.csv"
    if not census.exists():
        pytest.skip("census table not present")
    _, cli = loaded
    res = cli.ok("patterns", "allocate", "--k", "20", "--train", "2017-07", "--population", str(census),
                 "--out", str(tmp_path / "al"))
    assert "Disparity report" in res.output
    assert "Warning rule: warn where an area (lsoa) with at least 2 patrol cells" in " ".join(res.output.split())
    assert (tmp_path / "al" / "disparity.csv").exists()
    msoa = cli.ok("patterns", "allocate", "--k", "20", "--train", "2017-07", "--population", str(census),
                  "--level", "msoa", "--ratio-warning", "1.5", "--min-patrols", "1", "--out", str(tmp_path / "m"))
    assert "(msoa) with at least 1 patrol cell has a share of patrols more than 1.5 times" in " ".join(
        msoa.output.split()
    )
    disp = pd.read_csv(tmp_path / "m" / "disparity.csv")
    assert disp["area"].str.startswith("E02").all()
    bad = cli("patterns", "allocate", "--k", "20", "--train", "2017-07", "--population", str(census),
              "--level", "ward", "--out", str(tmp_path / "w"))
    assert bad.exit_code != 0 and "--level must be one of lsoa, msoa, district" in str(bad.exception)
    assert not (tmp_path / "w").exists()


@pytest.mark.postgres
def test_hotspots_and_backtest_on_both_databases(workspace: Workspace, tmp_path: Path) -> None:
    settings = workspace.settings
    cli = Cli(settings.workspace, db_url=settings.database_url)
    _load(tmp_path, cli, 1000)
    cli.ok("patterns", "hotspots", "--permutations", "99", "--out", str(tmp_path / "hot"))
    assert (tmp_path / "hot" / "hotspot_counts.png").exists()
    data = json.loads(cli.ok("patterns", "backtest", "--train", "2016-07", "--test", "2017-07",
                             "--out", str(tmp_path / "bt"), "--json").stdout)
    assert data["figures"]["metrics"]
    assert len(_consultations(workspace, "patterns.hotspots")) == 1
    assert len(_consultations(workspace, "patterns.backtest")) == 1


def test_demo_step_summarises_hotspots_and_backtest(loaded: tuple[Workspace, Cli], tmp_path: Path) -> None:
    from clearsight.patterns.demo import demo_step

    ws, _ = loaded
    summary = demo_step(ws.governance, ws.context(PURPOSE), tmp_path / "demo")
    assert Path(summary["hotspot_map"]).exists() and summary["marking"].startswith("OFFICIAL")
    assert set(summary["backtest"]["pai"]) >= {"prior", "kde", "blend", "points"}
    assert all(0 < v <= 1 for v in summary["backtest"]["pei"].values())
    assert len(_consultations(ws, "patterns.demo")) == 1
