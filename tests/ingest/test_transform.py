"""The row transform: templates, constants, maps, formats, markings, rejections and warnings."""

from __future__ import annotations

from pathlib import Path

from clearsight.exports import safe_cell, write_safe_csv
from clearsight.governance.markings import Marking
from clearsight.ingest.mapping import load_mapping, load_yaml, parse_mapping
from clearsight.ingest.transform import RowTransformer
from clearsight.store.ids import entity_id, statement_id

MAPPING = """\
name: rms
record_key: [ref, n]
kind: fact
marking: {classification: OFFICIAL-SENSITIVE}
entities:
  - id: crime
    schema: Crime
    key: [ref]
    properties:
      crimeReference: {column: ref, required: true}
      occurredFrom: {column: when, format: "%m/%d/%Y"}
      discovery: {column: type, map: {Drugs: discovered}}
  - id: person
    schema: Person
    skip_if_empty: [surname]
    properties:
      surname: {column: surname}
      address: {template: "{street}, {town}"}
      phone: {column: phone, on_invalid: drop}
      selfDefinedEthnicity: {column: eth, marking: {classification: SECRET}}
links:
  - schema: Involvement
    source: person
    target: crime
    properties:
      category: {column: role}
"""
HEADER = ["ref", "n", "when", "type", "surname", "street", "town", "phone", "eth", "role"]


def make() -> RowTransformer:
    m = parse_mapping(load_yaml(MAPPING, "m.yaml"), "m.yaml")
    return RowTransformer(m, source="rms", header=HEADER, location="rms.csv", owner_group="teamA")


def test_row_becomes_entities_statements_and_links() -> None:
    tr = make()
    batch = tr.new_batch(1)
    problems = tr.add(batch, 2, ["cr/1", "1", "03/04/2024", "Drugs", "o'neill", "", "Leeds", "07700 900123", "x", "suspect"])
    assert problems == []
    crime = entity_id("rms", "Crime", "cr/1")
    person = entity_id("rms", "Person", "cr/1|1")
    assert set(batch.entities) == {crime, person}
    values = {(s[1], s[3]): s for s in batch.statements.values()}
    assert values[(crime, "occurredFrom")][4] == "2024-03-04"
    assert values[(crime, "discovery")][4] == "discovered"
    assert values[(crime, "crimeReference")][4] == "CR/1" and values[(crime, "crimeReference")][5] == "cr/1"
    assert values[(person, "surname")][4] == "O'Neill"
    assert values[(person, "address")][5] == "Leeds"  # the empty street and its separator dropped
    assert values[(person, "phone")][4] == "+447700900123"
    sid = statement_id(person, "surname", "O'Neill")
    assert sid in batch.statements
    eth = values[(person, "selfDefinedEthnicity")]
    assert batch.markings[eth[9]]["classification"] == "SECRET"
    assert batch.markings[eth[9]]["groups"] == "teamA"  # the owner group on every marking (ACC-9)
    assert batch.markings[values[(person, "surname")][9]]["classification"] == "OFFICIAL-SENSITIVE"
    (link,) = batch.links.values()
    assert link[2] == person and link[3] == crime and link[4] == '{"category": "suspect"}'


def test_bad_values_reject_the_row_or_are_dropped() -> None:
    tr = make()
    batch = tr.new_batch(1)
    dropped = tr.add(batch, 2, ["c2", "1", "", "Theft", "Smith", "1 High St", "York", "not a phone", "", "victim"])
    assert [p.severity for p in dropped] == ["warning"] and dropped[0].field == "phone"
    assert not any(s[3] == "phone" for s in batch.statements.values())
    rejected = tr.add(batch, 3, ["c3", "1", "31/31/2024", "Theft", "Smith", "", "", "", "", "bystander"])
    fields = {p.field for p in rejected}
    assert fields == {"when", "role"} and all(p.row == 3 and p.file == "rms.csv" for p in rejected)
    assert tr.add(batch, 4, ["", "1", "", "", "", "", "", "", "", ""])[0].reason == "missing record key"
    assert "expected 10 fields" in tr.add(batch, 5, ["c5", "1"])[0].reason
    assert batch.rows_rejected == 3 and batch.rows_read == 4
    assert not any(s[7] == "c3|1" for s in batch.statements.values())


def test_skip_if_empty_skips_the_entity_not_the_row() -> None:
    tr = make()
    batch = tr.new_batch(1)
    assert tr.add(batch, 2, ["c9", "1", "", "Theft", "", "", "", "", "", "victim"]) == []
    assert {e[1] for e in batch.entities.values()} == {"Crime"}
    assert batch.links == {}


def test_content_hash_keys_are_stable_and_count_duplicates() -> None:
    m = load_mapping("police-uk-street")
    header = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location", "LSOA code",
              "LSOA name", "Crime type", "Last outcome category", "Context"]
    row = ["", "2016-07", "WYP", "WYP", "-1.55", "53.59", "On or near X", "E01", "B 005C", "Anti-social behaviour", "", ""]
    keys = []
    for _ in range(2):
        tr = RowTransformer(m, source="s", header=header, location="f", owner_group="g")
        batch = tr.new_batch(1)
        tr.add(batch, 2, row)
        tr.add(batch, 3, row)
        keys.append(sorted(e[2] for e in batch.entities.values() if e[1] == "Crime"))
    assert keys[0] == keys[1] and len(keys[0]) == 2 and keys[0][0].endswith(":1") and keys[0][1].endswith(":2")


def test_mapping_marking_default() -> None:
    m = load_mapping("police-uk-street")
    assert m.marking == Marking.make("OFFICIAL")


def test_safe_cell_and_csv(tmp_path: Path) -> None:
    for bad in ("=1+1", "+44", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(bad) == "'" + bad
    assert safe_cell("Leeds") == "Leeds" and safe_cell(None) == "" and safe_cell(3) == "3"
    path = tmp_path / "out.csv"
    assert write_safe_csv(path, ["a", "=b"], [["=cmd|' /C calc'!A0", "ok"]]) == 1
    text = path.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "a,'=b" and text.splitlines()[1].startswith("'=cmd")
