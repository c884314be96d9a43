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


SHARED_PLACE = """\
name: reports
record_key: [ref]
kind: fact
entities:
  - id: crime
    schema: Crime
    properties:
      crimeReference: {column: ref}
      occurredFrom: {column: when, format: "%d/%m/%Y"}
  - id: place
    schema: Address
    key: [lon, lat]
    properties:
      longitude: {column: lon}
      latitude: {column: lat, on_invalid: drop}
      postcode: {column: postcode, on_invalid: drop}
links:
  - schema: OccurredAt
    source: crime
    target: place
"""


def _shared_place_rows() -> list[tuple[int, list[str]]]:
    """Rows sharing map points, with dropped values on the shared entity, rejections and repeats."""
    out: list[tuple[int, list[str]]] = []
    points = [("-1.55", "53.8", "LS1 1AA"), ("-1.60", "95.0", "LS2 2BB"), ("-1.70", "53.7", "not a postcode")]
    for n in range(40):
        lon, lat, postcode = points[n % 3]
        when = "31/02/2024" if n % 7 == 3 else f"{n % 28 + 1:02d}/03/2024"  # every 7th from row 3 rejected
        if n % 11 == 5:
            postcode = "LS9 9ZZ"  # the same point with other raw values
        ref = f"c{n // 2}" if n % 13 == 0 else f"c{n}"  # some repeated record keys
        out.append((n + 2, [ref, when, lon, lat, postcode]))
    out.append((42, ["", "01/01/2024", "-1.55", "53.8", ""]))  # no record key
    out.append((43, ["c99", "01/01/2024"]))  # short row
    return out


def test_rows_in_chunks_give_what_rows_one_at_a_time_give() -> None:
    m = parse_mapping(load_yaml(SHARED_PLACE, "m.yaml"), "m.yaml")
    header = ["ref", "when", "lon", "lat", "postcode"]
    rows = _shared_place_rows()
    one = RowTransformer(m, source="r", header=header, location="r.csv", owner_group="g")
    chunked = RowTransformer(m, source="r", header=header, location="r.csv", owner_group="g")
    by_row, by_chunk = one.new_batch(1), chunked.new_batch(1)
    problems_by_row = [p for row_no, row in rows for p in one.add(by_row, row_no, row)]
    problems_by_chunk = chunked.add_rows(by_chunk, rows[:17]) + chunked.add_rows(by_chunk, rows[17:])
    assert problems_by_chunk == problems_by_row
    assert {p.severity for p in problems_by_row} == {"warning", "rejected"}
    assert by_chunk.entities == by_row.entities
    assert by_chunk.statements == by_row.statements
    assert by_chunk.links == by_row.links
    assert by_chunk.primary == by_row.primary
    assert (by_chunk.rows_read, by_chunk.rows_rejected, by_chunk.warnings) == (by_row.rows_read, by_row.rows_rejected, by_row.warnings)
    assert chunked.field_stats() == one.field_stats()
    # a shared point's dropped latitude is reported once per batch, as its statements are written once
    lat_warnings = [p for p in problems_by_row if p.field == "lat"]
    assert 0 < len(lat_warnings) < sum(1 for _, r in rows if len(r) > 3 and r[3] == "95.0")
