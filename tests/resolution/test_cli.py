"""The resolve and review commands end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clearsight.bootstrap import Workspace
from clearsight.cli.main import app
from tests.helpers import Rec, seed
from tests.resolution.population import build, person

PURPOSE = "DATA-QUALITY: resolution of people in the test store"


def _run(ws: Workspace, *args: str) -> str:
    runner = CliRunner()
    result = runner.invoke(
        app, ["--workspace", str(ws.settings.workspace), "--db-url", ws.settings.database_url, "--user", "analyst1", *args]
    )
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def test_resolve_export_models_and_review(workspace: Workspace, tmp_path: Path) -> None:
    pop = build()
    sneaky = Rec("Person", "=HYPERLINK(\"x\")", person("Sarah", "Okafor", "1992-11-03", "4 Mill Lane, Bradford", "BD1 2AB", "female"), source="crime")
    seed(workspace.store, [*pop.records, sneaky], pop.links)
    summary = json.loads(_run(workspace, "resolve", "--purpose", PURPOSE, "--threshold", "0.999999", "--review-band", "0.5,0.999999", "--json"))
    assert summary["schema"] == "Person" and summary["mode"] == "full" and summary["clusters"] > 0
    out = tmp_path / "people.csv"
    _run(workspace, "resolve", "export", str(out), "--purpose", PURPOSE)
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == sum(1 for r in [*pop.records, sneaky] if r.schema == "Person")
    assert any(r["record_key"] == "'=HYPERLINK(\"x\")" for r in rows)
    by_key = {r["record_key"]: r["canonical_id"] for r in rows}
    assert by_key["C300"] == by_key["X300"]  # one PNC ID: linked without the model
    models = json.loads(_run(workspace, "resolve", "models", "--json"))
    assert models[0]["version"] == summary["model_version"]
    queue = json.loads(_run(workspace, "review", "list", "--purpose", PURPOSE, "--json"))
    assert queue and queue[0]["waterfall"]
    pair = queue[0]["pair"]
    shown = json.loads(_run(workspace, "review", "show", pair, "--purpose", PURPOSE, "--json"))
    assert shown["pair"] == pair and "assessment" in shown["note"]
    _run(workspace, "review", "decide", "same", "--pair", pair, "--reason", "confirmed by custody photo", "--purpose", PURPOSE)
    shown = json.loads(_run(workspace, "review", "show", pair, "--purpose", PURPOSE, "--json"))
    assert shown["judgements"][0]["judgement"] == "same"
    _run(workspace, "review", "undo", str(shown["judgements"][0]["id"]), "--reason", "wrong pair chosen", "--purpose", PURPOSE)


def test_errors_speak_to_users(sqlite_workspace: Workspace) -> None:
    runner = CliRunner()
    base = ["--workspace", str(sqlite_workspace.settings.workspace), "--user", "analyst1"]
    result = runner.invoke(app, [*base, "resolve", "--purpose", PURPOSE, "--review-band", "0.5"])
    assert result.exit_code != 0 and "LOW,HIGH" in str(result.exception)
    result = runner.invoke(app, [*base, "review", "decide", "maybe", "--left", "x", "--reason", "hmm", "--purpose", PURPOSE])
    assert result.exit_code != 0
    assert "judgement must be one of" in str(result.exception) and "reason of at least" in str(result.exception)


@pytest.mark.parametrize("threshold", ["1.5"])
def test_bad_threshold(sqlite_workspace: Workspace, threshold: str) -> None:
    result = CliRunner().invoke(
        app, ["--workspace", str(sqlite_workspace.settings.workspace), "--user", "analyst1", "resolve", "--purpose", PURPOSE, "--threshold", threshold]
    )
    assert result.exit_code != 0 and "between 0 and 1" in str(result.exception)
