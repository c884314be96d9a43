"""The README's main job, end to end through the CLI: `clearsight demo`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_demo_runs_every_step_and_reports(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    result = subprocess.run(
        [sys.executable, "-m", "clearsight.cli.main", "--workspace", str(ws), "demo", "--people", "2000", "--json"],
        capture_output=True, text=True, check=False, timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout)
    steps = {s["name"]: s["summary"] for s in summary["steps"]}
    assert set(steps) >= {"generate synthetic force", "ingest sources", "data quality", "resolve identities",
                          "networks: the organised crime group", "crime patterns on police.uk data"}
    ingested = steps["ingest sources"]
    assert all(v["rejected"] == 0 for v in ingested.values())
    assert ingested["police.uk 2016-07"]["rows"] > 20_000
    assert steps["resolve identities"]["Person"]["canonical entities"] < steps["resolve identities"]["Person"]["records"]
    assert len(steps["networks: the organised crime group"]["key_players"]) == 3
    patterns = steps["crime patterns on police.uk data"]
    assert Path(patterns["hotspot_map"]).stat().st_size > 10_000
    assert patterns["backtest"]["pai"]["prior"] > 1
    # everything the demo read was audited, and the log verifies
    verify = subprocess.run(
        [sys.executable, "-m", "clearsight.cli.main", "--workspace", str(ws), "audit", "verify"],
        capture_output=True, text=True, check=False, timeout=300,
    )
    assert verify.returncode == 0, verify.stderr
