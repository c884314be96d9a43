"""The demo's link-analysis step on a generated force: the planted group and its leader."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select

from clearsight.bootstrap import Workspace
from clearsight.graph import path
from clearsight.graph.demo import demo_step
from clearsight.ingest import ingest
from clearsight.store import tables as t
from clearsight.synthetic import generate
from tests.helpers import make_context


def _truth(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / "truth" / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_demo_step_finds_the_planted_group(workspace: Workspace, tmp_path: Path) -> None:
    data = tmp_path / "data"
    generate(data, people=2000, seed=1)
    ctx = make_context()
    for mapping in sorted(data.glob("*.mapping.yaml")):
        stem = mapping.name[: -len(".mapping.yaml")]
        source = next(p for p in data.glob(stem + ".*") if not p.name.endswith(".mapping.yaml"))
        ingest(workspace.governance, ctx, str(source), mapping, reports_dir=tmp_path / "reports")
    res = demo_step(workspace.governance, ctx)

    # the truth files are read here only, to check the answer
    person_of = {(r["source"], r["record_key"]): r["person_id"] for r in _truth(data, "records.csv")}
    ocg = {r["person_id"]: r["role"] for r in _truth(data, "ocg.csv")}
    leader = next(p for p, role in ocg.items() if role == "leader")
    with workspace.store.begin() as conn:
        keys = {r[0]: (r[1], r[2]) for r in conn.execute(select(t.entities.c.id, t.entities.c.source, t.entities.c.record_key))}
    found = {person_of.get(keys[i]) for i in res["member_ids"]}
    assert res["communities"] > 1 and res["members"] == len(res["member_ids"])
    assert len(found & set(ocg)) >= 0.8 * len(ocg)  # the group comes out as one community
    assert len(found - set(ocg)) <= 0.25 * len(found)
    top = [person_of.get(keys[k["id"]]) for k in res["key_players"]]
    assert len(top) == 3 and leader in top
    assert all(k["name"] for k in res["key_players"])

    # every path between the key players is backed by source records
    a, b = res["key_players"][0]["id"], res["key_players"][1]["id"]
    found_paths = path(workspace.governance, ctx, a, b, k=2)
    for p in found_paths.paths:
        assert p["steps"]
        for step in p["steps"]:
            assert step["evidence"]
            for ev in step["evidence"]:
                assert ev["source"] and ev["record_key"] and ev["ingest_run"] and ev["marking"]
