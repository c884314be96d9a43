"""Link analysis on SQLite and PostgreSQL: paths with evidence, measures, communities,
co-offending, exports, and the ACC-3 differential test."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Table, select

from clearsight.bootstrap import Workspace, init_workspace
from clearsight.errors import InvalidValue, NotFound
from clearsight.governance.markings import Marking
from clearsight.graph import (
    GraphCache,
    co_offending,
    export,
    neighbours,
    network_communities,
    network_measures,
    path,
)
from clearsight.graph import analysis as an
from clearsight.search import search
from clearsight.settings import load_settings
from clearsight.store import tables as t
from clearsight.store.writes import ensure_markings
from tests.conftest import fresh_pg_url
from tests.graph import planted as P
from tests.helpers import Lnk, Rec, make_context, marking_row, seed

OFFICIAL = make_context(clearance="OFFICIAL-SENSITIVE")
SECRET_VIEWER = make_context("analyst1", clearance="SECRET")


def all_links() -> list[Lnk]:
    return P.links() + P.hidden_links()


def visible_copy_links() -> list[Lnk]:
    hidden = {r.id for r in P.hidden_records()}
    return [lk for lk in all_links()
            if lk.marking.classification != "SECRET" and lk.src.id not in hidden and lk.dst.id not in hidden]


@pytest.fixture
def full(workspace: Workspace) -> Workspace:
    seed(workspace.store, P.records() + P.hidden_records(), all_links())
    return workspace


@pytest.fixture
def copy(db_url: str, tmp_path: Path) -> Iterator[Workspace]:
    """A second store holding only what the OFFICIAL viewer may see (hidden items deleted)."""
    if db_url.startswith("sqlite"):
        gen: Iterator[str] | None = None
        url = f"sqlite:///{tmp_path / 'copy.db'}"
    else:
        gen = fresh_pg_url()
        url = next(gen)
    settings = load_settings(environ={}, workspace=tmp_path / "ws-copy", db_url=url, user="analyst1")
    ws = init_workspace(settings)
    seed(ws.store, P.records(), visible_copy_links())
    yield ws
    ws.close()
    if gen is not None:
        for _ in gen:
            pass


def strip(d: dict) -> dict:  # type: ignore[type-arg]
    d = dict(d)
    d.pop("graph", None)
    d.pop("index", None)
    return d


def test_acc3_differential(full: Workspace, copy: Workspace) -> None:
    """Every query by a restricted viewer equals the same query on a copy without the hidden items."""
    a, b = full.governance, copy.governance
    for q in ["Hector Shade", "crane", "hale", "burglary", "Victor Crane"]:
        ra = search(a, OFFICIAL, q).as_dict()
        rb = search(b, SECRET_VIEWER, q).as_dict()
        assert strip(ra) == strip(rb), q
    assert search(a, OFFICIAL, "hector").total == 0
    start = P.LEADER.id
    assert strip(neighbours(a, OFFICIAL, start, hops=2).as_dict()) == strip(neighbours(b, SECRET_VIEWER, start, hops=2).as_dict())
    assert strip(neighbours(a, OFFICIAL, P.GANG[0].id, hops=3).as_dict()) == strip(
        neighbours(b, SECRET_VIEWER, P.GANG[0].id, hops=3).as_dict())
    pa = path(a, OFFICIAL, P.OCG[3].id, P.GANG[2].id, k=3).as_dict()
    pb = path(b, SECRET_VIEWER, P.OCG[3].id, P.GANG[2].id, k=3).as_dict()
    assert strip(pa) == strip(pb)
    assert strip(network_measures(a, OFFICIAL, top=50).as_dict()) == strip(network_measures(b, SECRET_VIEWER, top=50).as_dict())
    assert strip(network_communities(a, OFFICIAL).as_dict()) == strip(network_communities(b, SECRET_VIEWER).as_dict())
    assert strip(co_offending(a, OFFICIAL).as_dict()) == strip(co_offending(b, SECRET_VIEWER).as_dict())
    with pytest.raises(NotFound):
        neighbours(a, OFFICIAL, P.HIDDEN_PERSON.id)
    with pytest.raises(NotFound):
        path(a, OFFICIAL, P.HIDDEN_PERSON.id, P.LEADER.id)


def test_secret_link_never_shortens_a_path(full: Workspace) -> None:
    gov = full.governance
    official = path(gov, OFFICIAL, P.OCG[3].id, P.GANG[2].id)
    secret = path(gov, SECRET_VIEWER, P.OCG[3].id, P.GANG[2].id)
    assert secret.paths[0]["length"] == 1
    assert official.paths[0]["length"] > 1
    shown = {e["link"] for p in official.paths for s in p["steps"] for e in s["evidence"]}
    secret_ids = {lk.id for lk in P.hidden_links()}
    assert not shown & secret_ids
    assert "SECRET" not in json.dumps(official.as_dict())


def test_every_path_step_is_backed_by_source_records(full: Workspace) -> None:
    res = path(full.governance, OFFICIAL, P.OCG[1].id, P.GANG[3].id, k=3)
    assert len(res.paths) == 3
    assert [p["length"] for p in res.paths] == sorted(p["length"] for p in res.paths)
    for p in res.paths:
        assert p["nodes"][0] == P.OCG[1].id and p["nodes"][-1] == P.GANG[3].id
        for step in p["steps"]:
            assert step["evidence"]
            for ev in step["evidence"]:
                assert ev["source"] == "test" and ev["record_key"] and ev["schema"] and ev["marking"]
                assert {ev["from_entity"], ev["to_entity"]} <= set(p["nodes"]) | {m for n in p["node_details"] for m in n["members"]}
    direct = path(full.governance, OFFICIAL, P.REPORT.id, P.LEADER.id)
    ev = direct.paths[0]["steps"][0]["evidence"][0]
    assert ev["grading"] == {"sourceEvaluation": "2", "intelligenceAssessment": "C", "handlingCode": "P"}
    inv = path(full.governance, OFFICIAL, P.OCG[1].id, P.CRIMES[0].id).paths[0]["steps"][0]["evidence"][0]
    assert inv["category"] == "suspect"
    assert path(full.governance, OFFICIAL, P.LONER.id, P.LEADER.id).paths == []


def test_planted_group_is_one_community_and_leader_is_a_key_player(full: Workspace) -> None:
    report = co_offending(full.governance, OFFICIAL)
    ocg = {r.id for r in P.OCG}
    found = [c for c in report.communities if ocg & {m["id"] for m in c["members"]}]
    # co-offending alone splits the OCG into crime pairs; the full network holds it together
    comms = network_communities(full.governance, OFFICIAL, node_schemas=["Person"], min_size=3)
    groups = [{m["id"] for m in c["members"]} for c in comms.communities]
    home = [g for g in groups if P.LEADER.id in g]
    assert home and ocg <= home[0] and not ({r.id for r in P.GANG} & home[0])
    ranked = [c for c in comms.communities if P.LEADER.id in {m["id"] for m in c["members"]}][0]
    assert P.LEADER.id in [k["id"] for k in ranked["key_players"]][:3]
    assert P.BROKER.id in [b["id"] for b in comms.brokers]
    assert found and all(c["shared_crimes"] for c in found)


def test_neighbours_filters(full: Workspace) -> None:
    gov = full.governance
    one = neighbours(gov, OFFICIAL, P.LEADER.id, hops=1)
    assert {n["id"] for n in one.nodes} >= {r.id for r in P.OCG} | {P.REPORT.id, P.CRIMES[1].id}
    assocs = neighbours(gov, OFFICIAL, P.LEADER.id, hops=1, link_schemas=["Association"])
    assert {n["id"] for n in assocs.nodes} == {r.id for r in P.OCG}
    dated = neighbours(gov, OFFICIAL, P.LEADER.id, hops=1, link_schemas=["Involvement"], since="2024-04-01")
    assert {n["id"] for n in dated.nodes} == {P.LEADER.id, P.CRIMES[3].id}
    people = neighbours(gov, OFFICIAL, P.BROKER.id, hops=2, node_schemas=["Person"])
    assert P.CAR.id not in {n["id"] for n in people.nodes}
    assert neighbours(gov, OFFICIAL, P.LONER.id).nodes[0]["id"] == P.LONER.id


def test_measures_rank_and_explain(full: Workspace) -> None:
    res = network_measures(full.governance, OFFICIAL, top=5, node_schemas=["Person"])
    assert len(res.nodes) == 5 and res.nodes[0]["rank"] == 1
    assert all({"degree", "betweenness", "pagerank"} <= set(n) for n in res.nodes)
    assert res.explanation["betweenness"] == "exact"


def test_graph_cache_reuses_and_extends(full: Workspace, tmp_path: Path) -> None:
    cache = GraphCache(tmp_path / "cache")
    gov = full.governance
    assert neighbours(gov, OFFICIAL, P.LEADER.id, cache=cache).built == "full"
    assert neighbours(gov, OFFICIAL, P.LEADER.id, cache=cache).built == "cached"
    assert neighbours(gov, OFFICIAL, P.LEADER.id, cache=GraphCache(tmp_path / "cache")).built == "cached-disk"
    newcomer = P.person("n1", "Nora New")
    seed(full.store, [newcomer], [Lnk("Association", newcomer, P.LEADER)])
    res = neighbours(gov, OFFICIAL, P.LEADER.id, hops=1, cache=cache)
    assert res.built == "incremental" and newcomer.id in {n["id"] for n in res.nodes}
    assert neighbours(gov, SECRET_VIEWER, P.LEADER.id, cache=cache).built == "full"
    assert len(list((tmp_path / "cache").glob("graph-*.pickle"))) == 2


def _last_audit(ws: Workspace) -> t.Row:  # type: ignore[name-defined]
    with ws.store.begin() as conn:
        return conn.execute(select(t.audit_log).order_by(t.audit_log.c.seq.desc()).limit(1)).one()


def test_export_refuses_blank_recipient(full: Workspace, tmp_path: Path) -> None:
    for blank in ("", "   "):
        with pytest.raises(InvalidValue):
            export(full.governance, OFFICIAL, "graphml", tmp_path / "x.graphml", recipient=blank, ids=[P.LEADER.id])
    assert not (tmp_path / "x.graphml").exists()


@pytest.mark.parametrize("fmt", ["graphml", "cytoscape", "anx", "csv", "xlsx"])
def test_export_writes_disclosure_and_marking(full: Workspace, tmp_path: Path, fmt: str) -> None:
    ids = [P.GANG[0].id, P.ORG.id, P.GANG[1].id]
    out = tmp_path / f"chart.{fmt}"
    rep = export(full.governance, OFFICIAL, fmt, out, recipient="CPS Leeds\r\nfake", ids=ids)
    assert rep.marking == "OFFICIAL-SENSITIVE" and rep.nodes == 3 and rep.links == 2
    row = _last_audit(full)
    details = json.loads(row.details)
    assert row.operation == "disclosure" and details["recipient"] == "CPS Leeds\\x0d\\x0afake"
    assert details["format"] == fmt and details["marking"] == "OFFICIAL-SENSITIVE"
    assert set(ids) <= set(json.loads(row.subjects))
    if fmt in ("graphml", "anx"):
        text = out.read_text(encoding="utf-8")
        assert "OFFICIAL-SENSITIVE" in text.splitlines()[1]
        root = ET.parse(out).getroot()
        if fmt == "anx":
            assert root.tag == "Chart" and root.find("ChartItemCollection") is not None
            ents = root.findall(".//ChartItem/End/Entity")
            assert {e.find("Icon/IconStyle").get("Type") for e in ents} == {"Person", "Organisation"}  # type: ignore[union-attr]
            links = root.findall(".//ChartItem/Link")
            assert len(links) == 2 and all(li.get("End1Id") and li.get("End2Id") for li in links)
            assert {i.get("Label") for i in root.findall(".//ChartItem") if i.find("Link") is not None} == {
                "associate of", "member of"}
            assert root.find("Summary/Subject").text == "OFFICIAL-SENSITIVE"  # type: ignore[union-attr]
    elif fmt == "cytoscape":
        doc = json.loads(out.read_text(encoding="utf-8"))
        assert doc["data"]["marking"] == "OFFICIAL-SENSITIVE" and len(doc["elements"]["nodes"]) == 3
    elif fmt == "csv":
        rows = list(csv.reader(out.open(encoding="utf-8-sig")))
        cells = [c for r in rows for c in r]
        assert all(not c.startswith(("=", "+", "-", "@")) for c in cells)
        assert "'=HYPERLINK(\"http://evil\")" in cells
        assert all(r[-1] == "OFFICIAL-SENSITIVE" for r in rows[1:])
    else:
        wb = load_workbook(out)
        ws = wb["Chart"]
        values = [c.value for r in ws.iter_rows() for c in r if c.value is not None]
        assert all(not str(v).startswith(("=", "+", "-", "@")) for v in values)
        assert ws["A1"].value == "Protective marking: OFFICIAL-SENSITIVE"
        assert wb.properties.subject == "OFFICIAL-SENSITIVE"


def test_export_by_community_and_hidden_ids(full: Workspace, tmp_path: Path) -> None:
    rep = export(full.governance, OFFICIAL, "cytoscape", tmp_path / "c.json", recipient="DS Jones", community=0)
    assert rep.nodes >= 3
    with pytest.raises(NotFound):
        export(full.governance, OFFICIAL, "csv", tmp_path / "h.csv", recipient="DS Jones", ids=[P.HIDDEN_PERSON.id])


def _remark(ws: Workspace, table: Table, row_id: str, marking: Marking) -> None:
    """Change a stored record's marking in place, as any writer (or an administrator) might."""
    with ws.store.begin() as conn:
        ensure_markings(conn, [marking_row(marking)])
        conn.execute(table.update().where(table.c.id == row_id).values(marking_id=marking.id))


def test_remarking_an_entity_or_link_invalidates_the_cached_graph(full: Workspace, tmp_path: Path) -> None:
    cache = GraphCache(tmp_path / "cache")
    gov = full.governance
    before = neighbours(gov, OFFICIAL, P.LEADER.id, hops=1, cache=cache)
    assert P.OCG[2].id in {n["id"] for n in before.nodes}
    assert neighbours(gov, OFFICIAL, P.LEADER.id, hops=1, cache=cache).built == "cached"
    _remark(full, t.entities, P.OCG[2].id, P.SECRET)
    after = neighbours(gov, OFFICIAL, P.LEADER.id, hops=1, cache=cache)
    assert after.built == "full"
    assert P.OCG[2].id not in {n["id"] for n in after.nodes}
    assert P.OCG[2].id not in json.dumps(after.as_dict())
    # a fresh process reading the disk cache must not get the stale graph either
    assert P.OCG[2].id not in {n["id"] for n in neighbours(gov, OFFICIAL, P.LEADER.id, hops=1,
                                                          cache=GraphCache(tmp_path / "cache")).nodes}
    # a link re-marked above the viewer disappears too
    directs = next(lk for lk in P.links() if lk.src is P.LEADER and lk.dst is P.OCG[4])
    _remark(full, t.links, directs.id, P.SECRET)
    res = neighbours(gov, OFFICIAL, P.LEADER.id, hops=1, link_schemas=["Association"], cache=cache)
    assert res.built == "full" and directs.id not in res.link_ids()
    assert P.OCG[4].id not in {n["id"] for n in res.nodes}
    # the SECRET viewer still sees both
    secret = neighbours(gov, SECRET_VIEWER, P.LEADER.id, hops=1, cache=cache)
    assert {P.OCG[2].id, P.OCG[4].id} <= {n["id"] for n in secret.nodes}


def test_remarked_statement_leaves_search(full: Workspace) -> None:
    gov = full.governance
    assert search(gov, OFFICIAL, "Kyle Rudd").total == 1
    stmt = t.statements
    with full.store.begin() as conn:
        sid = conn.execute(select(stmt.c.id).where(stmt.c.entity_id == P.GANG[4].id, stmt.c.prop == "name")).scalar_one()
    _remark(full, stmt, sid, P.SECRET)
    res = search(gov, OFFICIAL, "Kyle Rudd")
    assert res.total == 0 and res.index["refreshed"] == "incremental"
    assert search(gov, SECRET_VIEWER, "Kyle Rudd").total == 1
    with full.store.begin() as conn:
        assert conn.execute(select(t.search_pending)).all() == []


E_REPORT = Rec("IntelligenceReport", "int-e", {"reference": "INT-E", "sourceEvaluation": "3", "intelligenceAssessment": "E",
                                              "handlingCode": "P", "body": "Dunn and Holt are brothers"})


@pytest.fixture
def graded(full: Workspace) -> Workspace:
    """The planted network plus an E-graded report that would join the two groups in two links."""
    seed(full.store, [E_REPORT], [Lnk("Mention", E_REPORT, P.OCG[3]), Lnk("Mention", E_REPORT, P.GANG[2])])
    return full


def test_e_graded_intelligence_is_left_out_of_linking_by_default(graded: Workspace) -> None:
    gov = graded.governance
    default = path(gov, OFFICIAL, P.OCG[3].id, P.GANG[2].id, k=3)
    assert default.paths and all(E_REPORT.id not in p["nodes"] for p in default.paths)
    assert all(p["length"] > 2 for p in default.paths)
    assert "left out" in default.explanation["e_graded"]
    asked = path(gov, OFFICIAL, P.OCG[3].id, P.GANG[2].id, include_e_graded=True)
    assert asked.paths[0]["nodes"] == [P.OCG[3].id, E_REPORT.id, P.GANG[2].id]
    grades = [ev["grading"] for s in asked.paths[0]["steps"] for ev in s["evidence"]]
    assert grades == [{"sourceEvaluation": "3", "intelligenceAssessment": "E", "handlingCode": "P"}] * 2
    # shown in a neighbourhood, flagged, but it does not score
    hood = neighbours(gov, OFFICIAL, E_REPORT.id, hops=1)
    assert {P.OCG[3].id, P.GANG[2].id} <= {n["id"] for n in hood.nodes}
    assert all(lk.get("e_graded") for e in hood.edges for lk in e["links"])
    scored = {n["id"]: n for n in network_measures(gov, OFFICIAL, top=100).nodes}
    assert scored[E_REPORT.id]["degree"] == 0 and scored[E_REPORT.id]["betweenness"] == 0
    counted = {n["id"]: n for n in network_measures(gov, OFFICIAL, top=100, include_e_graded=True).nodes}
    assert counted[E_REPORT.id]["degree"] == 2 and counted[E_REPORT.id]["betweenness"] > 0
    # communities are the same as without the report's links
    without = network_communities(gov, OFFICIAL, node_schemas=["Person"])
    assert P.GANG[2].id not in {m["id"] for c in without.communities for m in c["members"] if P.LEADER.id in
                                {x["id"] for x in c["members"]}}


def test_k_shortest_paths_are_distinct_ordered_and_bounded(full: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    gov = full.governance
    res = path(gov, OFFICIAL, P.OCG[1].id, P.GANG[3].id, k=5)
    lengths = [p["length"] for p in res.paths]
    assert len(res.paths) == 5 and lengths == sorted(lengths) and res.explanation["complete"] is True
    assert len({tuple(p["nodes"]) for p in res.paths}) == 5
    assert all(len(set(p["nodes"])) == len(p["nodes"]) for p in res.paths)
    monkeypatch.setattr(an, "PATH_VISIT_BUDGET", 10)
    bounded = path(gov, OFFICIAL, P.OCG[1].id, P.GANG[3].id, k=5)
    assert bounded.explanation["complete"] is False and "stopped" in bounded.explanation["bound"]
    assert len(bounded.paths) < 5
