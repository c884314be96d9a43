"""Two-word name queries counted, faceted and scored from the pair rows, kept true as data moves.

On SQLite and PostgreSQL: the answer from the pair rows is the answer of the full read of
the index, and of the cluster pair rows (every record in a cluster of its own), whoever looks;
re-marking a record or a value, restricting or erasing a record moves the counts and
facets at once, through whatever writer; and a store built before the pair rows carried
these columns answers the same once upgraded.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, update

from clearsight.bootstrap import Workspace
from clearsight.governance.markings import Marking
from clearsight.search import search
from clearsight.store import search_index as si
from clearsight.store import tables as t
from tests.helpers import Rec, make_context, seed
from tests.search.test_search_pairs import _migrate_to, cluster

SECRET = Marking.make("SECRET")

ANNA = Rec("Person", "k1", {"name": "Anna Kowalski", "forename": "Anna", "surname": "Kowalski"})
ANNE = Rec("Person", "k2", {"name": "Anne Kowalsky"}, source="custody")
ADAM = Rec("Person", "k3", {"name": "Adam Kowalski", "alias": "Adam Nowak"}, source="custody")
AGNES = Rec("Person", "k4", {"name": "Agnes Kowal"})
HIDDEN = Rec("Person", "k5", {"name": "Anna Kowalska"}, marking=SECRET)
# found by its name and by the words of its sector (free text): one hit, merged
ORG = Rec("Organisation", "o1", {"name": "Kowalski Anna Builders", "sector": "Anna Kowalski family building"},
          source="companies")
PEOPLE = [ANNA, ANNE, ADAM, AGNES, HIDDEN, ORG]
QUERIES = ["Anna Kowalski", "Kowalski, Anna", "A Kowalski", "Anna Kowalsku", "Ann Kowalski", "A K", "Adam Nowak",
           "Agnes Kowal", "Kowalsky A"]


def answer(ws: Workspace, query: str, **kw: Any) -> tuple[Any, ...]:
    """Everything a search says, in a form two searches can be compared by."""
    res = search(ws.governance, make_context(**kw), query, limit=50)
    hits = [(h.id, h.schema, h.score, h.reasons, h.members, h.sources, h.marking) for h in res.hits]
    return res.total, res.facets, hits


def pages(ws: Workspace, query: str, **kw: Any) -> list[tuple[Any, ...]]:
    """Short pages at several offsets: the order of the hits, page by page."""
    out = []
    for limit, offset in ((1, 0), (1, 1), (2, 1), (2, 3)):
        res = search(ws.governance, make_context(**kw), query, limit=limit, offset=offset)
        out.append((res.total, res.facets, [(h.id, h.score) for h in res.hits]))
    return out


def answers(ws: Workspace) -> dict[tuple[str, str], tuple[Any, ...]]:
    return {(q, c): (answer(ws, q, clearance=c), pages(ws, q, clearance=c))
            for q in QUERIES for c in ("OFFICIAL-SENSITIVE", "SECRET")}


def re_mark_value(ws: Workspace, rec: Rec, prop: str, marking: Marking) -> None:
    with ws.store.begin() as conn:
        conn.execute(update(t.statements).where(t.statements.c.entity_id == rec.id, t.statements.c.prop == prop)
                     .values(marking_id=marking.id))


def set_entity(ws: Workspace, rec: Rec, **values: str) -> None:
    with ws.store.begin() as conn:
        conn.execute(update(t.entities).where(t.entities.c.id == rec.id).values(**values))


def pair_rows(ws: Workspace, rec: Rec) -> int:
    with ws.store.begin() as conn:
        p = t.search_pairs
        return int(conn.execute(select(func.count()).select_from(p).where(p.c.entity_id == rec.id)).scalar_one())


def test_the_pair_rows_answer_as_the_full_read_of_the_index(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    seed(workspace.store, PEOPLE)
    # a value marked above the record: its words count only for those who may see it
    re_mark_value(workspace, ADAM, "alias", SECRET)
    from_pairs = answers(workspace)
    total, facets, hits = from_pairs[("Anna Kowalski", "OFFICIAL-SENSITIVE")][0]
    assert total == 3 and facets["source"] == {"companies": 1, "custody": 1, "test": 1}  # Anna, Anne, the company
    company = next(h for h in hits if h[0] == ORG.id)
    assert {r.match for r in company[3]} >= {"exact", "text"}
    assert from_pairs[("Anna Kowalski", "SECRET")][0][0] == 4
    assert from_pairs[("Adam Nowak", "OFFICIAL-SENSITIVE")][0][0] == 0
    assert from_pairs[("Adam Nowak", "SECRET")][0][2][0][0] == ADAM.id
    # every name query read in full from the index rows instead
    with monkeypatch.context() as m:
        m.setattr(si, "pair_hits", lambda *a, **kw: None)
        assert answers(workspace) == from_pairs
    # every record in a cluster of its own: the hits come from the cluster pair rows
    for rec in PEOPLE:
        cluster(workspace, rec.id, rec.id)
    assert answers(workspace) == from_pairs


def test_re_marking_a_record_or_a_value_moves_counts_and_facets(workspace: Workspace) -> None:
    seed(workspace.store, PEOPLE)
    res = search(workspace.governance, make_context(), "A Kowalski")
    assert res.total == 4 and res.facets["source"] == {"companies": 1, "custody": 2, "test": 1}
    set_entity(workspace, ANNE, marking_id=SECRET.id)
    res = search(workspace.governance, make_context(), "A Kowalski")
    assert res.index["refreshed"] == "incremental"
    assert res.total == 3 and res.facets["source"] == {"companies": 1, "custody": 1, "test": 1}
    assert ANNE.id not in {h.id for h in res.hits}
    assert search(workspace.governance, make_context(clearance="SECRET"), "A Kowalski").total == 5
    set_entity(workspace, ANNE, marking_id=Marking().id)
    assert search(workspace.governance, make_context(), "A Kowalski").total == 4
    # Adam's surname is only in his name: marked SECRET, he no longer counts
    re_mark_value(workspace, ADAM, "name", SECRET)
    res = search(workspace.governance, make_context(), "A Kowalski")
    assert res.total == 3 and res.facets["source"] == {"companies": 1, "custody": 1, "test": 1}


def test_restricting_or_erasing_a_record_leaves_no_count_facet_or_pair(workspace: Workspace) -> None:
    seed(workspace.store, PEOPLE)
    assert search(workspace.governance, make_context(), "Anna Kowalski").facets["schema"] == {"Organisation": 1,
                                                                                                "Person": 2}
    set_entity(workspace, ORG, state="restricted")
    res = search(workspace.governance, make_context(), "Anna Kowalski")
    assert res.total == 2 and res.facets == {"schema": {"Person": 2}, "source": {"custody": 1, "test": 1}}
    set_entity(workspace, ORG, state="active")
    assert search(workspace.governance, make_context(), "Anna Kowalski").total == 3
    assert pair_rows(workspace, ANNE) > 0
    set_entity(workspace, ANNE, state="erased")
    res = search(workspace.governance, make_context(), "Anna Kowalski")
    assert res.total == 2 and res.facets["source"] == {"companies": 1, "test": 1}
    # the search that saw the erasure dropped the record's pairs (no explicit refresh)
    assert pair_rows(workspace, ANNE) == 0


def test_a_store_built_before_the_pair_columns_answers_the_same_once_upgraded(workspace: Workspace) -> None:
    seed(workspace.store, PEOPLE)
    re_mark_value(workspace, ADAM, "alias", SECRET)
    cluster(workspace, ANNA.id, ANNA.id, AGNES.id)
    built = answers(workspace)

    def pairs() -> set[tuple[Any, ...]]:
        with workspace.store.begin() as conn:
            return {tuple(r) for r in conn.execute(select(t.search_pairs))}

    wide = pairs()
    _migrate_to(workspace, "0008_search_pairs", down=True)
    with workspace.store.begin() as conn:
        narrow = {tuple(r) for r in conn.exec_driver_sql("SELECT a, b, entity_id FROM search_pairs")}
    assert narrow == {r[:3] for r in wide}
    _migrate_to(workspace, "heads")
    assert pairs() == wide
    assert answers(workspace) == built
    assert search(workspace.governance, make_context(), "Anna Kowalski").index["refreshed"] == "no"
