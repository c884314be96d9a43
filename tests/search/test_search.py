"""Search on SQLite and PostgreSQL: names, identifiers, text, filters, audit."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import insert, select

from clearsight.bootstrap import Workspace
from clearsight.errors import NotFound
from clearsight.governance.markings import Marking
from clearsight.search import profile, refresh_index, search
from clearsight.store import tables as t
from tests.helpers import Lnk, Rec, make_context, seed

SECRET = Marking.make("SECRET")

JOHN = Rec("Person", "p1", {"name": "John Smith", "forename": "John", "surname": "Smith", "postcode": "LS6 1AA",
                           "phone": "+447700900123"})
JON = Rec("Person", "p1b", {"name": "Jon Smith", "birthDate": "1980-02-01"}, source="custody")
MARY = Rec("Person", "p2", {"name": "Mary O'Brien", "postcode": "BD1 2AB"})
KATH = Rec("Person", "p3", {"name": "Katherine Jones"})
HIDDEN = Rec("Person", "p4", {"name": "John Smithers", "phone": "+447700900999"}, marking=SECRET)
CAR = Rec("Vehicle", "v1", {"registration": "AB12CDE", "make": "Ford"})
PHONE = Rec("Phone", "ph1", {"number": "+447700900123"})
CRIME = Rec("Crime", "c1", {"crimeReference": "13/12345/24", "crimeType": "Burglary", "month": "2024-03",
                           "lsoaCode": "E01011234", "description": "Rear window forced with a screwdriver"})
CRIME2 = Rec("Crime", "c2", {"crimeType": "Burglary", "month": "2023-01", "description": "Front door forced"})
REPORT = Rec("IntelligenceReport", "i1", {"reference": "INT-1", "body": "Smith is dealing from a blue Ford",
                                          "sourceEvaluation": "2", "intelligenceAssessment": "B", "handlingCode": "P"})
RECORDS = [JOHN, JON, MARY, KATH, HIDDEN, CAR, PHONE, CRIME, CRIME2, REPORT]
LINKS = [
    Lnk("Involvement", JOHN, CRIME, {"category": "suspect"}),
    Lnk("Keepership", JOHN, CAR),
    Lnk("Mention", REPORT, JOHN),
]


def cluster(ws: Workspace, canonical: str, *members: str) -> None:
    with ws.store.begin() as conn:
        for m in members:
            conn.execute(insert(t.clusters).values(entity_id=m, schema="Person", canonical_id=canonical,
                                                    method="deterministic", updated_at="2026-01-01T00:00:00.000000Z"))


@pytest.fixture
def seeded(workspace: Workspace) -> Workspace:
    seed(workspace.store, RECORDS, LINKS)
    cluster(workspace, JOHN.id, JOHN.id, JON.id)
    return workspace


def ids(results) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.id for h in results.hits]


def run(ws: Workspace, q: str, **kw):  # type: ignore[no-untyped-def]
    return search(ws.governance, make_context(), q, **kw)


@pytest.mark.parametrize(
    "query",
    ["John Smith", "smith john", "SMITH, Mr John", "J Smith", "Jon Smyth", "Jonh Smith", "jon smith"],
)
def test_name_readings_find_the_canonical_person(seeded: Workspace, query: str) -> None:
    res = run(seeded, query, schema=["Person"])
    assert res.hits and res.hits[0].id == JOHN.id
    assert HIDDEN.id not in ids(res)
    assert set(res.hits[0].members) == {JOHN.id, JON.id}
    assert all(r.field for r in res.hits[0].reasons)


def test_words_may_match_different_members_of_a_canonical_entity(workspace: Workspace) -> None:
    """Each word of a name query may be met by a different record of one resolved person,
    whether the word is read in full or only checked on the candidates (an initial)."""
    alias_a = Rec("Person", "m1", {"name": "Mary Doe"})
    alias_b = Rec("Person", "m2", {"name": "Zoe Roe"})
    hidden_b = Rec("Person", "m3", {"name": "Mary Roe"}, marking=SECRET)
    other = Rec("Person", "m4", {"name": "Mark Roe"})
    seed(workspace.store, [alias_a, alias_b, hidden_b, other])
    cluster(workspace, alias_a.id, alias_a.id, alias_b.id)
    assert ids(run(workspace, "Doe Zoe")) == [alias_a.id]
    assert ids(run(workspace, "M Roe")) == sorted([alias_a.id, other.id])
    mary_roe = ids(run(workspace, "Mary Roe"))
    assert mary_roe[0] == alias_a.id and hidden_b.id not in mary_roe
    assert ids(run(workspace, "Z Doe")) == [alias_a.id]
    assert ids(run(workspace, "Z D")) == [alias_a.id]
    assert run(workspace, "Q Roe").total == 0


def test_reasons_say_which_kind_of_match(seeded: Workspace) -> None:
    hit = run(seeded, "Jon Smyth", schema=["Person"]).hits[0]
    matches = {(r.term, r.match) for r in hit.reasons}
    assert ("jon", "exact") in matches
    assert ("smyth", "fuzzy") in matches  # the best reading of the word is kept
    assert ("smythe", "phonetic") in {(r.term, r.match) for r in run(seeded, "Jon Smythe").hits[0].reasons}
    assert ("j", "initial") in {(r.term, r.match) for r in run(seeded, "J Smith").hits[0].reasons}
    assert any(r.match == "fuzzy" for r in run(seeded, "Kathrine Jones").hits[0].reasons)


@pytest.mark.parametrize("query", ["07700 900123", "+44 7700 900123", "(07700) 900-123", "00447700900123"])
def test_phone_typed_any_way(seeded: Workspace, query: str) -> None:
    res = run(seeded, query)
    assert {JOHN.id, PHONE.id} <= set(ids(res))
    assert HIDDEN.id not in ids(res)
    assert all(r.match == "identifier" for h in res.hits for r in h.reasons)


@pytest.mark.parametrize("query", ["AB12 CDE", "ab12cde", " AB 12 CDE "])
def test_vrm_with_or_without_spaces(seeded: Workspace, query: str) -> None:
    assert ids(run(seeded, query)) == [CAR.id]


def test_postcode_district_and_reference(seeded: Workspace) -> None:
    assert ids(run(seeded, "ls6 1aa")) == [JOHN.id]
    assert JOHN.id in ids(run(seeded, "LS6"))
    assert ids(run(seeded, "13/12345/24")) == [CRIME.id]


def test_free_text_of_reports(seeded: Workspace) -> None:
    res = run(seeded, "dealing blue ford")
    assert ids(res) == [REPORT.id]
    assert res.hits[0].reasons[0].match == "text"
    assert ids(run(seeded, "screwdriver")) == [CRIME.id]


def test_filters_schema_date_area_source(seeded: Workspace) -> None:
    assert set(ids(run(seeded, "burglary"))) == {CRIME.id, CRIME2.id}
    assert ids(run(seeded, "burglary", since="2024-01-01")) == [CRIME.id]
    assert ids(run(seeded, "burglary", until="2023-12")) == [CRIME2.id]
    assert ids(run(seeded, "burglary", area="E01011234")) == [CRIME.id]
    assert ids(run(seeded, "smith", schema=["IntelligenceReport"])) == [REPORT.id]
    assert ids(run(seeded, "jon smith", source=["custody"], schema=["Person"])) == [JOHN.id]
    res = run(seeded, "smith", source=["custody"])
    assert ids(res) == [JOHN.id]
    assert res.hits[0].members == (JOHN.id, JON.id)


def test_totals_facets_and_paging(seeded: Workspace) -> None:
    res = run(seeded, "smith", limit=1)
    assert res.total == 2 and len(res.hits) == 1
    assert res.facets["schema"] == {"IntelligenceReport": 1, "Person": 1}
    assert run(seeded, "smith", limit=1, offset=1).hits[0].id != res.hits[0].id


def test_audit_lists_ids_not_values(seeded: Workspace) -> None:
    run(seeded, "07700 900123")
    with seeded.store.begin() as conn:
        row = conn.execute(select(t.audit_log).order_by(t.audit_log.c.seq.desc()).limit(1)).one()
    assert row.operation == "consultation" and row.action == "search"
    assert JOHN.id in json.loads(row.subjects)
    details = json.loads(row.details)
    assert details["query"] == "07700 900123" and details["total"] == 2
    assert "+447700900123" not in row.details and "Smith" not in row.details


def test_index_refreshes_lazily_and_incrementally(seeded: Workspace) -> None:
    assert run(seeded, "zebedee").total == 0
    late = Rec("Person", "p9", {"name": "Zebedee Brown"})
    seed(seeded.store, [late])
    res = run(seeded, "zebedee")
    assert ids(res) == [late.id] and res.index["refreshed"] == "incremental"
    report = refresh_index(seeded.governance, make_context())
    assert report.full and report.entities == len(RECORDS) + 1


def test_profile(seeded: Workspace) -> None:
    p = profile(seeded.governance, make_context(), JON.id)
    assert p.id == JOHN.id and set(p.members) == {JOHN.id, JON.id}
    assert {v.source for v in p.values} == {"test", "custody"}
    inv = [lk for lk in p.links if lk.schema == "Involvement"]
    assert inv[0].category == "suspect" and inv[0].other_id == CRIME.id
    mention = [lk for lk in p.links if lk.schema == "Mention"][0]
    assert mention.grading == {"sourceEvaluation": "2", "intelligenceAssessment": "B", "handlingCode": "P"}
    assert [(e.date, e.event_id, e.category) for e in p.timeline] == [("2024-03-01", CRIME.id, "suspect")]
    with pytest.raises(NotFound):
        profile(seeded.governance, make_context(), HIDDEN.id)
    with pytest.raises(NotFound):
        profile(seeded.governance, make_context(), "0" * 40)


def test_blank_query_is_a_clear_error(sqlite_workspace) -> None:  # type: ignore[no-untyped-def]
    import pytest as _pytest

    from clearsight.errors import InvalidData
    from clearsight.search import search
    from tests.helpers import make_context

    with _pytest.raises(InvalidData) as info:
        search(sqlite_workspace.governance, make_context(), "   ")
    assert info.value.problems[0].field == "query"
