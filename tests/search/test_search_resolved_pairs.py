"""Two-word name queries that find resolved people, counted, faceted and scored in one read.

On SQLite and PostgreSQL: a canonical entity's words may meet in different members, and
the answer read from the pair rows (the cluster pairs and the members' index rows, in one
statement) is the answer of the full read of the index, whoever looks; a hidden member
or a hidden value of a member leaves no count, facet, score or source; and clusters formed
or undone after the index was built are followed at once.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, select

from clearsight.bootstrap import Workspace
from clearsight.governance.markings import Marking
from clearsight.search import search
from clearsight.store import search_index as si
from clearsight.store import tables as t
from tests.helpers import Rec, make_context, seed
from tests.search.test_search_pair_columns import answer, pages, re_mark_value, set_entity
from tests.search.test_search_pairs import _migrate_to, cluster

SECRET = Marking.make("SECRET")

ANNA = Rec("Person", "r1", {"name": "Anna Kowalski", "forename": "Anna", "surname": "Kowalski"})
# Anna again, as custody holds her: resolved with her first record
ANNA_CUSTODY = Rec("Person", "r2", {"name": "Ana Kowalsky"}, source="custody")
# a resolved person whose records each carry one of the words
BEN = Rec("Person", "r3", {"name": "Ben Nowak"})
BEN_ALIAS = Rec("Person", "r4", {"name": "Kowalski"}, source="custody")
ADAM = Rec("Person", "r5", {"name": "Adam Kowalski", "alias": "Adam Nowak"})
# a member only SECRET viewers may see, holding the word the others lack
ZOE = Rec("Person", "r6", {"name": "Zoe Nowak"})
ZOE_SECRET = Rec("Person", "r7", {"name": "Zoe Kowalski"}, marking=SECRET, source="intel")
AGNES = Rec("Person", "r8", {"name": "Agnes Kowal"})
PEOPLE = [ANNA, ANNA_CUSTODY, BEN, BEN_ALIAS, ADAM, ZOE, ZOE_SECRET, AGNES]
QUERIES = ["Anna Kowalski", "Kowalski, Anna", "A Kowalski", "Anna Kowalsku", "Ben Kowalski", "Zoe Kowalski",
           "Zoe Nowak", "A Nowak", "K Nowak", "Adam Nowak", "Agnes Kowal"]
CLEARANCES = ("OFFICIAL-SENSITIVE", "SECRET")


def resolve(ws: Workspace) -> None:
    cluster(ws, ANNA.id, ANNA.id, ANNA_CUSTODY.id)
    cluster(ws, BEN.id, BEN.id, BEN_ALIAS.id)
    cluster(ws, ZOE.id, ZOE.id, ZOE_SECRET.id)


def answers(ws: Workspace) -> dict[tuple[str, str], tuple[Any, ...]]:
    return {(q, c): (answer(ws, q, clearance=c), pages(ws, q, clearance=c)) for q in QUERIES for c in CLEARANCES}


def full_reads(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> dict[tuple[str, str], tuple[Any, ...]]:
    """The answers with every name query read in full from the index rows (no pair read)."""
    with monkeypatch.context() as m:
        m.setattr(si, "pair_hits", lambda *a, **kw: None)
        return answers(ws)


def test_resolved_people_from_the_pair_rows_answer_as_the_full_read(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(workspace.store, PEOPLE)
    resolve(workspace)
    # a value marked above its record: its words count only for those who may see it
    re_mark_value(workspace, ADAM, "alias", SECRET)
    fast = answers(workspace)
    assert fast == full_reads(workspace, monkeypatch)
    total, facets, hits = fast[("Anna Kowalski", "OFFICIAL-SENSITIVE")][0]
    anna = next(h for h in hits if h[0] == ANNA.id)
    assert anna[2] == 1.0 and set(anna[4]) == {ANNA.id, ANNA_CUSTODY.id}
    assert facets["source"]["custody"] >= 1 and facets["source"]["test"] >= 1
    # the words meet in two members of one resolved person
    total, facets, hits = fast[("Ben Kowalski", "OFFICIAL-SENSITIVE")][0]
    assert total == 1 and [h[0] for h in hits] == [BEN.id]
    assert facets == {"schema": {"Person": 1}, "source": {"custody": 1, "test": 1}}


def test_a_hidden_member_or_value_leaves_no_count_facet_or_score(workspace: Workspace) -> None:
    seed(workspace.store, PEOPLE)
    resolve(workspace)
    secret = {q: answer(workspace, q, clearance="SECRET") for q in QUERIES}
    official = {q: answer(workspace, q) for q in QUERIES}
    # Zoe's surname is only in her SECRET record
    assert official["Zoe Kowalski"][0] == 0 and official["Zoe Kowalski"][1] == {"schema": {}, "source": {}}
    assert secret["Zoe Kowalski"][0] == 1 and secret["Zoe Kowalski"][1]["source"] == {"intel": 1, "test": 1}
    # the SECRET member adds no hit, count or source to a name her visible member has ...
    assert "intel" not in official["Zoe Nowak"][1]["source"] and "intel" in secret["Zoe Nowak"][1]["source"]
    # ... and nothing at all: the official answers are those of a store where she is no member
    with workspace.store.begin() as conn:
        conn.execute(delete(t.clusters).where(t.clusters.c.entity_id == ZOE_SECRET.id))
    assert {q: answer(workspace, q) for q in QUERIES} == official
    cluster(workspace, ZOE.id, ZOE_SECRET.id)
    assert {q: answer(workspace, q) for q in QUERIES} == official
    # a member's value re-marked SECRET: its word no longer completes the resolved person
    re_mark_value(workspace, BEN_ALIAS, "name", SECRET)
    res = search(workspace.governance, make_context(), "Ben Kowalski")
    assert res.total == 0 and res.facets == {"schema": {}, "source": {}}
    assert search(workspace.governance, make_context(clearance="SECRET"), "Ben Kowalski").total == 1
    res = search(workspace.governance, make_context(), "Ben Nowak")
    assert res.facets["source"] == {"test": 1} and res.hits[0].score == 1.0


def test_clusters_formed_or_undone_after_the_build_move_the_answer_at_once(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(workspace.store, PEOPLE)
    before = answers(workspace)  # builds the index with no cluster
    assert before[("Ben Kowalski", "OFFICIAL-SENSITIVE")][0][0] == 0
    assert before[("A Kowalski", "OFFICIAL-SENSITIVE")][0][0] == 3  # Anna, Ana, Adam
    resolve(workspace)
    formed = answers(workspace)
    assert formed == full_reads(workspace, monkeypatch)
    assert formed[("Ben Kowalski", "OFFICIAL-SENSITIVE")][0][0] == 1
    total, facets, _ = formed[("A Kowalski", "OFFICIAL-SENSITIVE")][0]
    assert total == 2 and facets["source"] == {"custody": 1, "test": 2}  # Anna (two records) and Adam
    # undone: every record is its own again, and the answers are those before
    with workspace.store.begin() as conn:
        conn.execute(delete(t.clusters))
    assert answers(workspace) == before


def test_a_member_moved_to_another_cluster_leaves_its_old_canonical_counted_once(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(workspace.store, PEOPLE)
    resolve(workspace)
    assert answer(workspace, "Ben Nowak", clearance="OFFICIAL-SENSITIVE")[0] == 1
    # a later run moves Ben's alias to Anna: as many cluster rows as before, Ben now alone
    with workspace.store.begin() as conn:
        conn.execute(delete(t.clusters).where(t.clusters.c.entity_id == BEN_ALIAS.id))
    cluster(workspace, ANNA.id, BEN_ALIAS.id)
    assert answer(workspace, "Ben Nowak", clearance="OFFICIAL-SENSITIVE")[0] == 1
    assert answers(workspace) == full_reads(workspace, monkeypatch)


def test_a_member_re_marked_or_restricted_leaves_its_resolved_person_at_once(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(workspace.store, PEOPLE)
    resolve(workspace)
    assert answer(workspace, "Ben Kowalski")[0] == 1
    # the member with the surname, re-marked in place: the resolved person loses the word
    set_entity(workspace, BEN_ALIAS, marking_id=SECRET.id)
    total, facets, _ = answer(workspace, "Ben Kowalski")
    assert total == 0 and facets == {"schema": {}, "source": {}}
    assert answer(workspace, "Ben Kowalski", clearance="SECRET")[0] == 1
    assert answers(workspace) == full_reads(workspace, monkeypatch)
    # back to OFFICIAL, then restricted: gone again for a viewer without the restricted state
    set_entity(workspace, BEN_ALIAS, marking_id=Marking().id)
    assert answer(workspace, "Ben Kowalski")[0] == 1
    set_entity(workspace, BEN_ALIAS, state="restricted")
    assert answer(workspace, "Ben Kowalski")[0] == 0
    assert answers(workspace) == full_reads(workspace, monkeypatch)


def test_a_store_built_before_the_cluster_pair_columns_answers_the_same_once_upgraded(workspace: Workspace) -> None:
    seed(workspace.store, PEOPLE)
    resolve(workspace)
    re_mark_value(workspace, ADAM, "alias", SECRET)
    built = answers(workspace)

    def rows() -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
        with workspace.store.begin() as conn:
            return ({tuple(r) for r in conn.execute(select(t.search_cluster_pairs))},
                    {tuple(r) for r in conn.execute(select(t.search_cluster_members))})

    wide, members = rows()
    assert {m for r in wide for m in (r[3], r[4])} == {ANNA.id, ANNA_CUSTODY.id, BEN.id, BEN_ALIAS.id, ZOE.id, ZOE_SECRET.id}
    _migrate_to(workspace, "0009_search_pair_columns", down=True)
    with workspace.store.begin() as conn:
        narrow = {tuple(r) for r in conn.exec_driver_sql("SELECT a, b, canonical_id FROM search_cluster_pairs")}
    assert narrow == {r[:3] for r in wide}
    _migrate_to(workspace, "heads")
    assert rows() == (wide, members)
    assert answers(workspace) == built
    assert search(workspace.governance, make_context(), "Anna Kowalski").index["refreshed"] == "no"
