"""Ingest end to end through the CLI, on SQLite and PostgreSQL, with the real police.uk CSVs."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from clearsight.bootstrap import Workspace
from clearsight.cli.main import app
from clearsight.errors import ClearsightError
from clearsight.governance import audit
from clearsight.governance.integrity import verify
from clearsight.governance.users import create_user
from clearsight.store import tables as t
from tests.conftest import SHARED

STREET = SHARED / "police_uk" / "west-yorkshire" / "2017-07-west-yorkshire-street.csv"
PURPOSE = "INTELLIGENCE: load of police.uk street crime for the area profile"
runner = CliRunner()


def cli(ws: Workspace, *args: str, user: str = "analyst1") -> tuple[int, str]:
    result = runner.invoke(
        app,
        ["--workspace", str(ws.settings.workspace), "--db-url", ws.settings.database_url, "--user", user, *args],
    )
    exc = result.exception
    if isinstance(exc, ClearsightError):  # what clearsight.cli.main.run prints and exits with
        return exc.exit_code, result.output + f"Error: {exc}"
    if exc and not isinstance(exc, SystemExit):
        raise exc
    return result.exit_code, result.output


def sample(tmp_path: Path, rows: int, *, name: str = "street.csv", extra: bool = False) -> Path:
    """The first ``rows`` rows of a real police.uk file (optionally with an extra column)."""
    out = tmp_path / name
    with STREET.open(encoding="utf-8", newline="") as src, out.open("w", encoding="utf-8", newline="") as dst:
        reader = csv.reader(src)
        writer = csv.writer(dst)
        for n, row in enumerate(reader):
            if n > rows:
                break
            if extra:
                row = [*row, "Officer notes" if n == 0 else f"SECRET-NOTE-{n}"]
            writer.writerow(row)
    return out


def counts(ws: Workspace) -> dict[str, int]:
    with ws.store.connect() as conn:
        return {
            name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
            for name, table in (("entities", t.entities), ("statements", t.statements), ("links", t.links))
        }


def collection_entries(ws: Workspace) -> list[audit.AuditEntry]:
    with ws.store.connect() as conn:
        return [e for e in audit.iter_entries(conn) if e.operation == "collection"]


def test_ingest_is_idempotent_and_audited(workspace: Workspace, tmp_path: Path) -> None:
    path = sample(tmp_path, 2000)
    code, out = cli(workspace, "ingest", str(path), "--mapping", "police-uk-street", "--purpose", PURPOSE)
    assert code == 0, out
    first = counts(workspace)
    assert first["links"] == 2000
    assert "rows read" in out and "2,000" in out
    entries = collection_entries(workspace)
    assert len(entries) == 1  # one batch, one governed operation
    details = json.loads(entries[0].details)
    assert details["source"] == "police-uk-street" and details["batch"] == 1 and details["complete"] is True
    assert details["totals"]["rows_read"] == 2000

    code, out = cli(workspace, "ingest", str(path), "--mapping", "police-uk-street", "--purpose", PURPOSE)
    assert code == 0, out
    assert "Nothing new or changed" in out
    assert counts(workspace) == first
    with workspace.store.connect() as conn:
        runs = conn.execute(select(t.ingest_runs.c.status, t.ingest_runs.c.statements_written)).all()
        source = conn.execute(select(t.sources)).mappings().one()
        kinds = set(conn.execute(select(t.statements.c.kind).distinct()).scalars())
        report = verify(conn)
    assert sorted(r[1] for r in runs)[0] == 0 and {r[0] for r in runs} == {"complete"}
    assert source["owner_group"] == "local" and source["kind"] == "fact" and source["mapping"] == "builtin:police-uk-street"
    assert kinds == {"fact"}
    assert report.ok


def test_changed_rows_keep_history(workspace: Workspace, tmp_path: Path) -> None:
    path = sample(tmp_path, 300)
    assert cli(workspace, "ingest", str(path), "--mapping", "police-uk-street", "--purpose", PURPOSE)[0] == 0
    rows = list(csv.reader(path.open(encoding="utf-8")))
    target = next(i for i, r in enumerate(rows) if i and r[0])
    old_outcome = rows[target][10]
    rows[target][10] = "Court result unavailable"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    code, out = cli(workspace, "ingest", str(path), "--mapping", "police-uk-street", "--purpose", PURPOSE)
    assert code == 0, out
    with workspace.store.connect() as conn:
        history = conn.execute(
            select(t.statements.c.value, t.statements.c.superseded_by, t.statements.c.run_id)
            .where(t.statements.c.prop == "outcome", t.statements.c.record_key == rows[target][0])
            .order_by(t.statements.c.first_seen)
        ).all()
        runs = conn.execute(select(t.ingest_runs.c.id).order_by(t.ingest_runs.c.started_at)).scalars().all()
    assert [h[0] for h in history] == [old_outcome, "Court result unavailable"]
    assert history[0][1] == runs[1] and history[1][1] is None and history[1][2] == runs[1]
    assert "statements superseded" in out


def test_rejections_reported_and_good_rows_load(workspace: Workspace, tmp_path: Path) -> None:
    path = sample(tmp_path, 50)
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    rows[3] = [*rows[3], "surplus"]  # wrong field count
    rows[5][1] = '=HYPERLINK("http://evil")'  # a month that is not one, and a formula
    rows[7][4] = "-1.5x"  # not a longitude
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    code, out = cli(workspace, "ingest", str(path), "--mapping", "police-uk-street", "--purpose", PURPOSE)
    assert code == 0, out
    assert "Rejection report" in out
    folder = next((workspace.settings.workspace / "reports").glob("ingest-*"))
    report = json.loads((folder / "rejections.json").read_text(encoding="utf-8"))
    by_row = {r["row"]: r for r in report}
    assert set(by_row) == {4, 6, 8}
    assert "expected 12 fields, found 13" in by_row[4]["reason"]
    assert by_row[6]["field"] == "Month" and by_row[6]["value"].startswith("=HYPERLINK")
    assert by_row[8]["field"] == "Longitude"
    with (folder / "rejections.csv").open(encoding="utf-8-sig") as fh:
        cells = [c for row in csv.reader(fh) for c in row]
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)
    assert "'=HYPERLINK(\"http://evil\")" in cells
    assert counts(workspace)["links"] == 47


def test_extra_column_never_reaches_the_store(workspace: Workspace, tmp_path: Path) -> None:
    path = sample(tmp_path, 100, extra=True)
    assert cli(workspace, "ingest", str(path), "--mapping", "police-uk-street", "--purpose", PURPOSE)[0] == 0
    with workspace.store.connect() as conn:
        hits = conn.execute(
            select(func.count()).select_from(t.statements).where(
                t.statements.c.value.like("%SECRET-NOTE%") | t.statements.c.original.like("%SECRET-NOTE%")
            )
        ).scalar_one()
        audit_hits = conn.execute(select(func.count()).select_from(t.audit_log).where(t.audit_log.c.details.like("%SECRET-NOTE%"))).scalar_one()
    assert hits == 0 and audit_hits == 0


def test_other_group_sees_nothing(workspace: Workspace, tmp_path: Path) -> None:
    path = sample(tmp_path, 200)
    assert cli(workspace, "ingest", str(path), "--mapping", "police-uk-street", "--purpose", PURPOSE)[0] == 0
    create_user(workspace.store, actor="analyst1", name="bob", roles=("analyst",), clearance="OFFICIAL-SENSITIVE", groups=("teamB",))
    gov = workspace.governance
    bob = workspace.context("INTELLIGENCE: checking what team B can see", user="bob")
    with gov.operation(bob, "consultation", "test") as op:
        assert op.count() == 0
        assert op.count(source="police-uk-street") == 0
        assert op.entities(source="police-uk-street") == []
    code, out = cli(workspace, "quality", "police-uk-street", "--purpose", "DATA-QUALITY: checking team B view", user="bob")
    assert code == 3 and "no source" in out
    me = workspace.context(PURPOSE)
    with gov.operation(me, "consultation", "test") as op:
        assert op.count(source="police-uk-street") > 0


def test_group_option_and_membership(workspace: Workspace, tmp_path: Path) -> None:
    path = sample(tmp_path, 20)
    code, out = cli(workspace, "ingest", str(path), "--mapping", "police-uk-street", "--group", "nobody", "--purpose", PURPOSE, "--source", "x")
    assert code == 0  # analyst1 holds the admin role
    with workspace.store.connect() as conn:
        assert conn.execute(select(t.sources.c.owner_group).where(t.sources.c.name == "x")).scalar_one() == "nobody"
        groups = set(conn.execute(select(t.markings.c.groups)).scalars())
    assert "nobody" in groups
    create_user(workspace.store, actor="analyst1", name="carol", roles=("analyst",), groups=("teamC",))
    code, out = cli(workspace, "ingest", str(path), "--mapping", "police-uk-street", "--group", "teamZ", "--purpose", PURPOSE, "--source", "y", user="carol")
    assert code == 4 and "not in group" in out


def test_mapping_error_loads_nothing(workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "wrong.csv"
    path.write_text("Crime ID,Month\nabc,2017-07\n", encoding="utf-8")
    code, out = cli(workspace, "ingest", str(path), "--mapping", "police-uk-street", "--purpose", PURPOSE)
    assert code == 1
    assert "Crime type" in out and str(path) in out.replace("\n", "")
    assert counts(workspace) == {"entities": 0, "statements": 0, "links": 0}
    assert collection_entries(workspace) == []
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nrecord_key: [a]\nentities:\n  - id: p\n    schema: Persn\n    properties: {name: {column: a}}\n")
    code, out = cli(workspace, "ingest", str(path), "--mapping", str(bad), "--purpose", PURPOSE)
    assert code == 1 and "line 5" in out


def test_purpose_required(workspace: Workspace, tmp_path: Path) -> None:
    path = sample(tmp_path, 5)
    code, out = cli(workspace, "ingest", str(path), "--mapping", "police-uk-street")
    assert code == 4 and "purpose" in out
    assert counts(workspace)["entities"] == 0


def test_quality_report(workspace: Workspace, tmp_path: Path) -> None:
    path = sample(tmp_path, 500)
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    rows[2][4], rows[2][5] = "2.35", "48.86"  # Paris: outside the UK
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    assert cli(workspace, "ingest", str(path), "--mapping", "police-uk-street", "--purpose", PURPOSE)[0] == 0
    code, out = cli(workspace, "quality", "police-uk-street", "--purpose", "DATA-QUALITY: monthly check of the street load", "--json")
    assert code == 0, out
    data = json.loads(out[out.index("{") : out.rindex("}") + 1])
    assert data["outliers"]["coordinates_outside_uk"] == 2  # the crime and its map point
    month = next(p for p in data["properties"] if p["prop"] == "month")
    assert month["minimum"] == "2017-07" and month["distinct"] == 1
    types = data["validity_by_type"]
    assert types["latitude"]["values"] >= 500
    html = Path(data["html"]).read_text(encoding="utf-8")
    assert "data:image/png;base64," in html and "Data quality: police-uk-street" in html
    with workspace.store.connect() as conn:
        ops = [e.operation for e in audit.iter_entries(conn)]
    assert ops[-1] == "consultation"


def test_stop_search_mapping(sqlite_workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "2017-07-west-yorkshire-stop-and-search.csv"
    header = ["Type", "Date", "Part of a policing operation", "Policing operation", "Latitude", "Longitude", "Gender",
              "Age range", "Self-defined ethnicity", "Officer-defined ethnicity", "Legislation", "Object of search",
              "Outcome", "Outcome linked to object of search", "Removal of more than just outer clothing"]
    row = ["Person search", "2017-07-01T00:05:00+00:00", "False", "", "53.79", "-1.54", "Male", "18-24",
           "White - English/Welsh/Scottish/Northern Irish/British", "White", "Misuse of Drugs Act 1971 (section 23)",
           "Controlled drugs", "A no further action disposal", "", "False"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerow(row)
        w.writerow(row)  # two identical searches stay two records
        w.writerow(["Person search", "not a date", *row[2:]])
    code, out = cli(sqlite_workspace, "ingest", str(path), "--mapping", "police-uk-stop-search", "--purpose", PURPOSE)
    assert code == 0, out
    with sqlite_workspace.store.connect() as conn:
        n = conn.execute(select(func.count()).select_from(t.entities).where(t.entities.c.schema == "StopSearch")).scalar_one()
        when = conn.execute(select(t.statements.c.value).where(t.statements.c.prop == "occurredFrom").distinct()).scalars().all()
    assert n == 2 and when == ["2017-07-01T00:05:00Z"]
    assert "rows rejected" in out


@pytest.mark.slow
def test_full_police_uk_file_sqlite(sqlite_workspace: Workspace) -> None:
    code, out = cli(sqlite_workspace, "ingest", str(STREET), "--mapping", "police-uk-street", "--purpose", PURPOSE)
    assert code == 0, out
    with sqlite_workspace.store.connect() as conn:
        crimes = conn.execute(select(func.count()).select_from(t.entities).where(t.entities.c.schema == "Crime")).scalar_one()
        discovered = conn.execute(
            select(func.count()).select_from(t.statements).where(t.statements.c.prop == "discovery", t.statements.c.value == "discovered")
        ).scalar_one()
    data_rows = sum(1 for _ in STREET.open(encoding="utf-8")) - 1
    assert crimes == data_rows  # ASB rows without a Crime ID still get one record each
    assert discovered > 0
    code, out = cli(sqlite_workspace, "ingest", str(STREET), "--mapping", "police-uk-street", "--purpose", PURPOSE)
    assert "Nothing new or changed" in out
