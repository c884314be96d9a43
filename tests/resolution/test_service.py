"""Resolution through the service on SQLite and PostgreSQL with a small seeded population."""

from __future__ import annotations

import json

from sqlalchemy import select

from clearsight.bootstrap import Workspace
from clearsight.resolution import review, service
from clearsight.resolution.settings import Thresholds
from clearsight.store import tables as t
from tests.helpers import Rec, make_context, seed
from tests.resolution.population import Population, build, person

PURPOSE = "DATA-QUALITY: resolution of people in the test store"


def _canon(ws: Workspace) -> dict[str, str]:
    with ws.store.begin() as conn:
        return {r[0]: r[1] for r in conn.execute(select(t.clusters.c.entity_id, t.clusters.c.canonical_id))}


def _together(canon: dict[str, str], a: str, b: str) -> bool:
    return canon.get(a, a) == canon.get(b, b)


def _setup(ws: Workspace) -> Population:
    pop = build()
    seed(ws.store, pop.records, pop.links)
    return pop


def test_resolve_merges_duplicates_and_keeps_twins_and_conflicts_apart(workspace: Workspace) -> None:
    pop = _setup(workspace)
    ctx = make_context(purpose=PURPOSE)
    summary = service.resolve(workspace.governance, ctx)
    assert summary.mode == "full" and summary.model_version and summary.model_version.startswith("person-")
    canon = _canon(workspace)
    people = [r for r in pop.records if r.schema == "Person" and r.id in pop.truth]
    for a in people:
        for b in people:
            if a.id < b.id:
                assert _together(canon, a.id, b.id) == (pop.truth[a.id] == pop.truth[b.id]), (a.key, b.key)
    assert not _together(canon, *pop.twins)
    assert not _together(canon, *pop.conflicting)
    assert _together(canon, *pop.same_pnc)
    # INT-3: the E-graded record is neither clustered nor scored
    assert pop.e_graded not in canon
    with workspace.store.begin() as conn:
        scored = {r[0] for r in conn.execute(select(t.match_pairs.c.left_id))} | {r[0] for r in conn.execute(select(t.match_pairs.c.right_id))}
        statuses = dict(conn.execute(select(t.match_pairs.c.id, t.match_pairs.c.status)).all())
        blocked = conn.execute(
            select(t.match_pairs.c.explanation).where(t.match_pairs.c.status == "blocked")
        ).scalars().all()
    assert pop.e_graded not in scored
    assert statuses[service.pair_id("Person", *pop.conflicting)] == "blocked"
    assert statuses[service.pair_id("Person", *pop.twins)] == "blocked"
    assert blocked
    # canonical ids are the smallest member ids
    for _entity, canonical in canon.items():
        assert canonical == min(e for e, c in canon.items() if c == canonical)


def test_explanations_audit_and_models(workspace: Workspace) -> None:
    _setup(workspace)
    ctx = make_context(purpose=PURPOSE)
    summary = service.resolve(workspace.governance, ctx)
    with workspace.store.begin() as conn:
        expl = conn.execute(
            select(t.match_pairs.c.explanation).where(t.match_pairs.c.status == "merge", t.match_pairs.c.model_version.like("person-%"))
        ).scalars().first()
        entries = conn.execute(
            select(t.audit_log.c.action, t.audit_log.c.details).where(t.audit_log.c.operation == "combination")
        ).all()
        stored = conn.execute(select(t.resolution_models.c.version, t.resolution_models.c.model)).all()
    parsed = json.loads(expl)
    assert parsed["kind"] == "assessment"
    assert {"forename", "surname", "dob"} <= set(parsed["comparisons"])
    cluster_entries = [json.loads(d) for a, d in entries if a == "resolve.Person.clusters"]
    assert cluster_entries
    change = cluster_entries[0]["changes"][0]
    assert change["kind"] == "merge" and len(change["inputs"]) >= 2
    assert change["model_version"] in (summary.model_version, f"rules-{change['model_version'].split('-', 1)[-1]}")
    assert "assessment" in cluster_entries[0]
    assert [v for v, _ in stored] == [summary.model_version]
    assert "comparisons" in json.loads(stored[0][1])
    listed = service.models(workspace.governance, make_context(purpose=None))
    assert listed[0].version == summary.model_version and listed[0].active


def test_not_same_cuts_persists_across_runs_and_undo_restores(workspace: Workspace) -> None:
    pop = _setup(workspace)
    ctx = make_context(purpose=PURPOSE)
    service.resolve(workspace.governance, ctx)
    a, b = pop.person_of("C000"), pop.person_of("X000", "crime")
    assert _together(_canon(workspace), a, b)
    decision = review.decide(workspace.governance, ctx, judgement="not_same", left_id=a, right_id=b, reason="different people per PNC")
    assert decision.changes and not _together(_canon(workspace), a, b)
    service.resolve(workspace.governance, ctx, incremental=False)
    assert not _together(_canon(workspace), a, b)
    review.undo(workspace.governance, ctx, judgement_id=decision.judgement_id, reason="decided on the wrong pair")
    assert _together(_canon(workspace), a, b)
    with workspace.store.begin() as conn:
        rows = conn.execute(select(t.judgements.c.deleted_at, t.judgements.c.deleted_by, t.judgements.c.user, t.judgements.c.reason)).all()
        entries = conn.execute(
            select(t.audit_log.c.action, t.audit_log.c.subjects, t.audit_log.c.details).where(t.audit_log.c.operation == "combination")
        ).all()
    assert rows[0][0] is not None and rows[0][1] == "analyst1" and rows[0][2] == "analyst1"
    decided = [json.loads(d) for act, _s, d in entries if act == "review.Person.not_same"]
    undone = [json.loads(d) for act, _s, d in entries if act == "review.Person.undo"]
    assert decided and decided[0]["inputs"] == [a, b] and decided[0]["reason"] and decided[0]["model_version"]
    assert undone and undone[0]["inputs"] == [a, b] and undone[0]["model_version"]
    splits = [json.loads(d) for act, _s, d in entries if act == "resolve.Person.clusters" and json.loads(d).get("cause") == "human judgement"]
    assert splits and splits[0]["changes"]


def test_human_split_persists_across_rerun(workspace: Workspace) -> None:
    pop = _setup(workspace)
    ctx = make_context(purpose=PURPOSE)
    service.resolve(workspace.governance, ctx)
    a, b = pop.person_of("C002"), pop.person_of("X002", "crime")
    assert _together(_canon(workspace), a, b)
    review.decide(workspace.governance, ctx, judgement="split", left_id=b, reason="the crime record is someone else")
    assert b not in _canon(workspace)
    service.resolve(workspace.governance, ctx, incremental=False)
    assert b not in _canon(workspace)
    same = review.decide(workspace.governance, ctx, judgement="same", left_id=b, right_id=pop.person_of("C005"), reason="checked the custody photo")
    assert same.changes and _together(_canon(workspace), b, pop.person_of("C005"))


def test_incremental_run_matches_new_records_and_keeps_ids(workspace: Workspace) -> None:
    pop = _setup(workspace)
    ctx = make_context(purpose=PURPOSE)
    service.resolve(workspace.governance, ctx)
    before = _canon(workspace)
    a = pop.person_of("C001")
    new = Rec("Person", "S001", person("Sarah", "Okafor", "1992-11-03", "4 Mill Lane, Bradford", "BD1 2AB", "female"), source="stopsearch")
    seed(workspace.store, [new])
    summary = service.resolve(workspace.governance, ctx)
    assert summary.mode == "incremental" and summary.new_records == 1
    after = _canon(workspace)
    assert _together(after, a, new.id)
    unchanged = {e: c for e, c in before.items() if before[e] != before.get(a)}
    assert all(after[e] == c for e, c in unchanged.items())
    # nothing new: nothing changes
    again = service.resolve(workspace.governance, ctx)
    assert again.new_records == 0 and again.merges == 0 and _canon(workspace) == after


def test_review_queue_and_show(workspace: Workspace) -> None:
    _setup(workspace)
    ctx = make_context(purpose=PURPOSE)
    service.resolve(workspace.governance, ctx, thresholds=Thresholds(merge=0.999999, review_low=0.5))
    items = review.queue(workspace.governance, ctx)
    assert items
    item = review.show(workspace.governance, ctx, pair=items[0].pair.id)
    rows = item.waterfall()
    assert rows[0][0] == "prior" and any(name == "surname" for name, _l, _w in rows)
    assert item.left and item.right and "assessment" in item.note


def test_other_schemata_link_on_strong_identifiers(workspace: Workspace) -> None:
    cars = [
        Rec("Vehicle", "V1", {"registration": "AB12CDE"}, source="anpr"),
        Rec("Vehicle", "V2", {"registration": "AB12 CDE"}, source="keepers"),
        Rec("Vehicle", "V3", {"registration": "XY99ZZZ"}, source="keepers"),
    ]
    seed(workspace.store, cars)
    summary = service.resolve(workspace.governance, make_context(purpose=PURPOSE), schema="Vehicle")
    canon = _canon(workspace)
    assert summary.model_version is None
    assert _together(canon, cars[0].id, cars[1].id) and cars[2].id not in canon


def test_reclustering_reads_forename_rarity_from_the_store_as_a_run_does(workspace: Workspace) -> None:
    from collections import Counter

    from clearsight.resolution.deterministic import rare_forename
    from clearsight.resolution.settings import PERSON

    pop = _setup(workspace)
    ctx = make_context(purpose=PURPOSE)
    # the records a run reads: people with a forename, not the one an E-graded report mentions
    read = [r for r in pop.records if r.schema == "Person" and r.props.get("forename") and r.id != pop.e_graded]
    counts = Counter(r.props["forename"].split()[0].lower() for r in read)
    with workspace.governance.operation(ctx, "combination", "resolve.Person", component="resolution") as op:
        attrs = service.attributes_for(op, PERSON, [r.id for r in read])
    assert set(attrs) == {r.id for r in read}
    assert {a["forename_rare"] for a in attrs.values()} == {"rare", None}
    for r in read:
        name = r.props["forename"].split()[0].lower()
        assert (attrs[r.id]["forename_rare"] == "rare") == rare_forename(counts[name], len(read)), r.key
