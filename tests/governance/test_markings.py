"""Markings: the visibility predicate (ACC-2), derived products (ACC-4), and the store's
filtering matching the reference predicate with no trace of hidden items (ACC-3)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearsight.bootstrap import Workspace
from clearsight.errors import InvalidValue, NotFound
from clearsight.governance.markings import TIERS, Marking, combine, tier, visible
from clearsight.store import queries
from tests.helpers import Lnk, Rec, make_context, seed

labels = st.sampled_from(["A", "B", "C"])
markings_st = st.builds(
    Marking.make,
    st.sampled_from(TIERS),
    st.just(()),
    st.lists(st.sampled_from(["UK-EYES", "LE-ONLY"]), max_size=2),
    st.lists(labels, max_size=2),
)


def test_unknown_tier_is_rejected() -> None:
    with pytest.raises(InvalidValue):
        tier("RESTRICTED")
    assert tier("official sensitive") == "OFFICIAL-SENSITIVE"


@given(markings_st, st.sampled_from(TIERS), st.sets(labels), st.sets(st.sampled_from(["UK-EYES", "LE-ONLY"])))
def test_visible_matches_the_written_rule(m: Marking, clearance: str, groups: set[str], caveats: set[str]) -> None:
    expected = (
        TIERS.index(m.classification) <= TIERS.index(clearance)
        and (not m.groups or bool(groups & set(m.groups)))
        and set(m.caveats) <= caveats
    )
    assert visible(m, clearance=clearance, groups=groups, caveats=caveats) == expected


@given(st.lists(markings_st, min_size=1, max_size=4), st.sampled_from(TIERS), st.sets(labels), st.sets(st.sampled_from(["UK-EYES", "LE-ONLY"])))
def test_a_derived_product_is_never_more_visible_than_its_inputs(
    inputs: list[Marking], clearance: str, groups: set[str], caveats: set[str]
) -> None:
    product = combine(inputs)
    if visible(product, clearance=clearance, groups=groups, caveats=caveats):
        assert all(visible(m, clearance=clearance, groups=groups, caveats=caveats) for m in inputs)
    assert product.level == max(m.level for m in inputs)


def test_chart_with_one_sensitive_node_is_sensitive() -> None:
    assert combine([Marking(), Marking.make("OFFICIAL-SENSITIVE")]).classification == "OFFICIAL-SENSITIVE"


OS = Marking.make("OFFICIAL-SENSITIVE", groups=["local"])
SECRET = Marking.make("SECRET", groups=["local"])
TEAM_B = Marking.make("OFFICIAL", groups=["team-b"])
CAVEAT = Marking.make("OFFICIAL", caveats=["LE-ONLY"], groups=["local"])
PLAIN = Marking.make("OFFICIAL", groups=["local"])


def _population() -> tuple[list[Rec], list[Lnk]]:
    people = [
        Rec("Person", f"p{i}", {"name": f"Person {i}", "surname": "Smith"}, m)
        for i, m in enumerate([PLAIN, OS, SECRET, TEAM_B, CAVEAT, PLAIN, PLAIN])
    ]
    crime = Rec("Crime", "c1", {"crimeType": "Burglary"}, PLAIN)
    links = [
        Lnk("Involvement", people[0], crime, {"category": "suspect"}, PLAIN),
        Lnk("Involvement", people[2], crime, {"category": "victim"}, PLAIN),  # hidden end
        Lnk("Involvement", people[5], crime, {"category": "witness"}, SECRET),  # hidden link
        Lnk("Association", people[0], people[6], {}, PLAIN),
    ]
    return [*people, crime], links


def _visible_to_analyst(m: Marking) -> bool:
    return visible(m, clearance="OFFICIAL-SENSITIVE", groups={"local"}, caveats=set())


def _snapshot(ws: Workspace, ctx_groups: tuple[str, ...] = ("local",), clearance: str = "OFFICIAL-SENSITIVE") -> dict[str, object]:
    ctx = make_context(clearance=clearance, groups=ctx_groups)
    with ws.governance.operation(ctx, "consultation", "test.snapshot") as op:
        ents = op.entities()
        stmts = op.statements([e.id for e in ents])
        lks = op.links()
        count = op.count(schema="Person")
        per_id = {}
        for i in range(7):
            from clearsight.store.ids import entity_id

            eid = entity_id("test", "Person", f"p{i}")
            try:
                op.entity(eid)
                per_id[eid] = "found"
            except NotFound as exc:
                per_id[eid] = str(exc)
        neighbour_links = op.run(queries.links, entity_ids=[entity_id("test", "Crime", "c1")])
    return {
        "entities": [e.id for e in ents],
        "statements": sorted((s.entity_id, s.prop, s.value) for s in stmts),
        "links": [lk.id for lk in lks],
        "count": count,
        "lookups": per_id,
        "neighbours": [lk.id for lk in neighbour_links],
    }


def test_hidden_items_leave_no_trace(workspace: Workspace, db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """ACC-3 differential test: a restricted viewer's answers equal an unrestricted viewer's
    answers on a copy of the store from which the hidden items were deleted."""
    from clearsight.bootstrap import init_workspace
    from clearsight.settings import load_settings
    from tests.conftest import fresh_pg_url

    records, links = _population()
    seed(workspace.store, records, links)
    restricted = _snapshot(workspace)

    kept_records = [r for r in records if _visible_to_analyst(r.marking)]
    kept_ids = {r.id for r in kept_records}
    kept_links = [lk for lk in links if _visible_to_analyst(lk.marking) and lk.src.id in kept_ids and lk.dst.id in kept_ids]
    if db_url.startswith("sqlite"):
        copy_url = f"sqlite:///{tmp_path / 'copy.db'}"
        gen = None
    else:
        gen = fresh_pg_url()
        copy_url = next(gen)
    try:
        copy = init_workspace(load_settings(environ={}, workspace=tmp_path / "copy", db_url=copy_url, user="analyst1"))
        seed(copy.store, kept_records, kept_links)
        unrestricted = _snapshot(copy, ctx_groups=("local", "team-b"), clearance="TOP SECRET")
        copy.close()
    finally:
        if gen is not None:
            gen.close()
    assert restricted == unrestricted
    assert restricted["count"] == 4


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(TIERS), st.sets(st.sampled_from(["local", "team-b"])), st.sets(st.sampled_from(["LE-ONLY"])))
def test_store_filter_equals_reference_predicate(sqlite_population: Workspace, clearance: str, groups: set[str], caveats: set[str]) -> None:
    ws = sqlite_population
    records, _ = _population()
    from clearsight.governance.context import Context, Purpose

    ctx = Context(user="analyst1", clearance=clearance, groups=frozenset(groups), caveats=frozenset(caveats),
                  purpose=Purpose.parse("INTELLIGENCE: property test of visibility"))
    with ws.governance.operation(ctx, "consultation", "test.matrix") as op:
        got = {e.id for e in op.entities()}
    expected = {r.id for r in records if visible(r.marking, clearance=clearance, groups=groups, caveats=caveats)}
    assert got == expected


@pytest.fixture(scope="module")
def sqlite_population(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from clearsight.bootstrap import init_workspace
    from clearsight.settings import load_settings

    path = tmp_path_factory.mktemp("matrix")
    ws = init_workspace(load_settings(environ={}, workspace=path, user="analyst1"))
    records, links = _population()
    seed(ws.store, records, links)
    yield ws
    ws.close()


def test_all_tier_pairs_are_ordered() -> None:
    for a, b in itertools.combinations(TIERS, 2):
        assert Marking.make(a).level < Marking.make(b).level
