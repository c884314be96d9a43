"""The search, profile and graph commands end to end on a seeded SQLite workspace."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from clearsight.bootstrap import init_workspace
from clearsight.cli.main import app
from clearsight.settings import load_settings
from tests.graph import planted as P
from tests.helpers import seed

PURPOSE = "INTELLIGENCE: testing the command line"


def test_commands(tmp_path: Path) -> None:
    ws = init_workspace(load_settings(environ={}, workspace=tmp_path / "ws", user="analyst1"))
    seed(ws.store, P.records(), P.links())
    ws.close()
    runner = CliRunner()
    base = ["--workspace", str(tmp_path / "ws"), "--user", "analyst1"]

    def run(*args: str) -> str:
        res = runner.invoke(app, [*base, *args, "--purpose", PURPOSE])
        assert res.exit_code == 0, res.output
        return res.stdout

    hits = json.loads(run("search", "V Crane", "--json"))
    assert hits["hits"][0]["id"] == P.LEADER.id
    prof = json.loads(run("profile", P.LEADER.id, "--json"))
    assert prof["timeline"] and prof["links"]
    net = json.loads(run("graph", "neighbours", P.LEADER.id, "--hops", "1", "--json"))
    assert len(net["nodes"]) > 5
    paths = json.loads(run("graph", "path", P.OCG[1].id, P.GANG[3].id, "--k", "2", "--json"))
    assert len(paths["paths"]) == 2 and paths["graph"] in ("cached", "cached-disk")
    assert paths["explanation"]["complete"] is True and "left out" in paths["explanation"]["e_graded"]
    asked = json.loads(run("graph", "path", P.OCG[1].id, P.GANG[3].id, "--include-e-graded", "--json"))
    assert asked["explanation"]["e_graded"].startswith("included on request")
    shown = runner.invoke(app, [*base, "graph", "path", P.OCG[1].id, P.GANG[3].id, "--purpose", PURPOSE])
    assert shown.exit_code == 0 and "E-graded intelligence: links from intelligence graded E" in shown.output
    assert json.loads(run("graph", "measures", "--top", "3", "--json"))["nodes"]
    measures = json.loads(run("graph", "measures", "--top", "3", "--include-e-graded", "--json"))
    assert measures["explanation"]["e_graded"].startswith("included on request")
    assert json.loads(run("graph", "communities", "--json"))["communities"]
    assert json.loads(run("graph", "co-offending", "--json"))["communities"]
    out = tmp_path / "chart.anx"
    run("graph", "export", "anx", str(out), "--recipient", "DS Jones", "--community", "0")
    assert out.exists()
    res = runner.invoke(app, [*base, "graph", "export", "csv", str(tmp_path / "x.csv"), "--recipient", " ",
                              "--ids", P.LEADER.id, "--purpose", PURPOSE])
    assert res.exit_code != 0 and not (tmp_path / "x.csv").exists()
    res = runner.invoke(app, [*base, "search", "crane"])
    assert res.exit_code != 0
