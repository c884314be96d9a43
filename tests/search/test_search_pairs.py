"""Name queries of two or more words, found through the pair index, kept true as data moves.

On SQLite and PostgreSQL, through the public search API (and the CLI): the pairs follow
new records, clusters formed or undone after the index was built, statements re-marked
in place and erasure, and never let a hidden or erased record through.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import delete, func, select, update

from clearsight.bootstrap import Workspace, open_workspace
from clearsight.governance.audit import utc_now
from clearsight.governance.markings import Marking
from clearsight.search import refresh_index, search, update_index
from clearsight.settings import load_settings
from clearsight.store import tables as t
from tests.helpers import Rec, make_context, seed

SECRET = Marking.make("SECRET")

ANNA = Rec("Person", "q1", {"name": "Anna Kowalski", "forename": "Anna", "surname": "Kowalski"})
ANNE = Rec("Person", "q2", {"name": "Anne Kowalsky"}, source="custody")
ADAM = Rec("Person", "q3", {"name": "Adam Kowalski"})
BEN = Rec("Person", "q4", {"name": "Ben Nowak"})
ZOE = Rec("Person", "q5", {"name": "Zoe Nowak"})
SECRET_ANNA = Rec("Person", "q6", {"name": "Anna Nowak"}, marking=SECRET)
PEOPLE = [ANNA, ANNE, ADAM, BEN, ZOE, SECRET_ANNA]


def ids(ws: Workspace, query: str, **kw) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.id for h in search(ws.governance, make_context(**kw), query, limit=50).hits]


def cluster(ws: Workspace, canonical: str, *members: str) -> None:
    """Cluster rows as resolution writes them: stamped with the time of writing."""
    with ws.store.begin() as conn:
        for m in members:
            conn.execute(t.clusters.insert().values(entity_id=m, schema="Person", canonical_id=canonical,
                                                    method="deterministic", updated_at=utc_now()))


def pair_rows(ws: Workspace, table: object, column: str, value: str) -> int:
    with ws.store.begin() as conn:
        tb = getattr(t, str(table))
        return int(conn.execute(select(func.count()).select_from(tb).where(tb.c[column] == value)).scalar_one())


def test_two_words_in_any_order_with_near_spellings_and_initials(workspace: Workspace) -> None:
    seed(workspace.store, PEOPLE)
    assert set(ids(workspace, "Anna Kowalski")) == {ANNA.id, ANNE.id}
    assert set(ids(workspace, "kowalski, anna")) == {ANNA.id, ANNE.id}
    assert set(ids(workspace, "A Kowalski")) == {ANNA.id, ANNE.id, ADAM.id}
    assert set(ids(workspace, "Kowalsky A")) == {ANNA.id, ANNE.id, ADAM.id}
    assert ids(workspace, "Adam Kowalsku") == [ADAM.id]  # one edit away
    assert set(ids(workspace, "A K")) == {ANNA.id, ANNE.id, ADAM.id}
    assert ids(workspace, "A N") == []  # only the SECRET record has both initials
    assert ids(workspace, "Anna Nowak") == []  # only the SECRET record has both
    assert ids(workspace, "Anna Nowak", clearance="SECRET") == [SECRET_ANNA.id]
    # three words: two found by pairs, the third checked on the candidates
    assert set(ids(workspace, "Anna Kowalski A")) == {ANNA.id, ANNE.id}
    assert ids(workspace, "Adam Kowalski B") == []
    # two words sharing a reading (one token may meet both) are still found
    assert set(ids(workspace, "Ann Anna")) == {ANNA.id, ANNE.id}


def test_the_best_hit_says_why_and_ranks_first(workspace: Workspace) -> None:
    seed(workspace.store, PEOPLE)
    res = search(workspace.governance, make_context(), "Anna Kowalski")
    assert res.hits[0].id == ANNA.id and res.hits[0].score == 1.0
    assert {r.match for r in res.hits[0].reasons} == {"exact"}
    assert res.hits[1].id == ANNE.id and res.hits[1].score < 1.0
    assert res.total == 2 and res.facets["source"] == {"custody": 1, "test": 1}


def test_new_records_and_clusters_after_the_index_was_built(workspace: Workspace) -> None:
    seed(workspace.store, PEOPLE)
    assert ids(workspace, "Ben Zoe") == []
    late = Rec("Person", "q7", {"name": "Bena Zoeller"})
    seed(workspace.store, [late])
    assert ids(workspace, "Bena Zoeller") == [late.id]
    # a resolved person whose records each carry one of the words
    cluster(workspace, BEN.id, BEN.id, ZOE.id)
    res = search(workspace.governance, make_context(), "Ben Zoe")
    assert [h.id for h in res.hits] == [BEN.id] and set(res.hits[0].members) == {BEN.id, ZOE.id}
    # undone: the words no longer meet in one person
    with workspace.store.begin() as conn:
        conn.execute(delete(t.clusters).where(t.clusters.c.canonical_id == BEN.id))
    assert ids(workspace, "Ben Zoe") == []
    # a hidden member never completes a name
    cluster(workspace, ZOE.id, ZOE.id, SECRET_ANNA.id)
    assert ids(workspace, "Zoe Anna") == []
    assert ids(workspace, "Zoe Anna", clearance="SECRET") == [ZOE.id]


def _all_pairs(ws: Workspace) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with ws.store.begin() as conn:
        own = conn.execute(select(t.search_pairs).order_by(*t.search_pairs.c)).all()
        grouped = conn.execute(select(t.search_cluster_pairs).order_by(*t.search_cluster_pairs.c)).all()
    return [tuple(r) for r in own], [tuple(r) for r in grouped]


def test_update_after_a_resolution_equals_a_full_rebuild(workspace: Workspace) -> None:
    seed(workspace.store, PEOPLE)
    assert update_index(workspace.governance, make_context()) == {"refreshed": "full", "entities": len(PEOPLE)}
    # a second record of Ben from custody, resolved with him, and Zoe joined to Anna
    ben2 = Rec("Person", "q8", {"name": "Benn Nowack", "forename": "Benn"}, source="custody")
    seed(workspace.store, [ben2])
    cluster(workspace, BEN.id, BEN.id, ben2.id)
    cluster(workspace, ANNA.id, ANNA.id, ZOE.id)
    got = update_index(workspace.governance, make_context())
    assert got == {"refreshed": "incremental", "entities": 1}
    incremental = _all_pairs(workspace)
    assert update_index(workspace.governance, make_context()) == {"refreshed": "no"}
    refresh_index(workspace.governance, make_context())
    assert _all_pairs(workspace) == incremental
    assert {r[2] for r in incremental[1]} == {BEN.id, ANNA.id}
    assert ids(workspace, "Benn Nowak") == [BEN.id]
    assert ids(workspace, "Anna Zoe") == [ANNA.id]


def test_a_record_re_marked_in_place_drops_out_of_name_search(workspace: Workspace) -> None:
    seed(workspace.store, PEOPLE)
    assert ids(workspace, "Adam Kowalski") == [ADAM.id]
    with workspace.store.begin() as conn:
        conn.execute(update(t.statements).where(t.statements.c.entity_id == ADAM.id).values(marking_id=SECRET.id))
    assert ids(workspace, "Adam Kowalski") == []
    assert ids(workspace, "Adam Kowalski", clearance="SECRET") == [ADAM.id]


def test_erasure_leaves_no_pairs_behind(workspace: Workspace) -> None:
    seed(workspace.store, PEOPLE)
    cluster(workspace, BEN.id, BEN.id, ZOE.id)
    assert ids(workspace, "Ben Zoe") == [BEN.id]
    assert pair_rows(workspace, "search_pairs", "entity_id", ZOE.id) > 0
    with workspace.store.begin() as conn:
        conn.execute(update(t.entities).where(t.entities.c.id == ZOE.id).values(state="erased"))
    refresh_index(workspace.governance, make_context(), [ZOE.id])
    assert pair_rows(workspace, "search_pairs", "entity_id", ZOE.id) == 0
    cp = t.search_cluster_pairs
    with workspace.store.begin() as conn:
        rows = conn.execute(select(cp.c.a_entity_id, cp.c.b_entity_id).where(cp.c.canonical_id == BEN.id)).all()
    # one indexed member is left: the resolved person's pairs are his alone, nothing of Zoe's stays behind
    assert len(rows) == 6 and {m for r in rows for m in r} == {BEN.id}
    # Ben's own: every pair of his two phonetic codes and two initials
    assert pair_rows(workspace, "search_pairs", "entity_id", BEN.id) == 6
    assert ids(workspace, "Ben Zoe") == []
    assert ids(workspace, "Ben Nowak") == [BEN.id]


def test_cli_search_two_words(tmp_path: Path) -> None:
    folder = tmp_path / "ws"
    base = ["--workspace", str(folder), "--user", "admin1"]
    run = [sys.executable, "-m", "clearsight.cli.main"]
    assert subprocess.run([*run, *base, "init"], capture_output=True, check=False, timeout=300).returncode == 0
    ws = open_workspace(load_settings(environ={}, workspace=folder, user="admin1"))
    seed(ws.store, PEOPLE)
    ws.close()
    out = subprocess.run([*run, *base, "search", "Kowalski, A", "--json", "--purpose", "INTELLIGENCE: test of name search"],
                         capture_output=True, text=True, check=False, timeout=300)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["total"] == 3 and {h["id"] for h in doc["hits"]} == {ANNA.id, ANNE.id, ADAM.id}
    assert all(h["reasons"] for h in doc["hits"])


def _migrate_to(ws: Workspace, revision: str, *, down: bool = False) -> None:
    from importlib import resources

    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("clearsight.store") / "migrations"))
    with ws.store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


def test_upgrading_a_built_store_fills_the_pairs_from_its_index(workspace: Workspace) -> None:
    seed(workspace.store, PEOPLE)
    cluster(workspace, BEN.id, BEN.id, ZOE.id)
    cluster(workspace, ADAM.id, ADAM.id)
    assert ids(workspace, "Ben Zoe") == [BEN.id]  # builds the index, pairs included

    def pairs() -> tuple[set[tuple[str, ...]], set[tuple[str, ...]]]:
        with workspace.store.begin() as conn:
            own = {tuple(r) for r in conn.execute(select(t.search_pairs))}
            shared = {tuple(r) for r in conn.execute(select(t.search_cluster_pairs))}
        return own, shared

    built = pairs()
    assert built[0] and built[1]
    _migrate_to(workspace, "0007_merge", down=True)
    _migrate_to(workspace, "heads")
    assert pairs() == built
    res = search(workspace.governance, make_context(), "Ben Zoe")
    assert [h.id for h in res.hits] == [BEN.id] and res.index["refreshed"] == "no"
