"""Mapping parsing and checking: every problem named with its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from clearsight.cli.main import app
from clearsight.errors import MappingError
from clearsight.ingest import builtin_names, check_header, load_mapping

GOOD = """\
name: reports
record_key: [ref]
marking: {classification: OFFICIAL-SENSITIVE, descriptors: [PERSONAL]}
entities:
  - id: crime
    schema: Crime
    properties:
      crimeReference: {column: ref, required: true}
      occurredFrom: {column: when, format: "%d/%m/%Y %H:%M"}
  - id: suspect
    schema: Person
    properties:
      surname: {column: s_surname}
      address: {template: "{s_street}, {s_town}"}
  - id: victim
    schema: Person
    properties:
      surname: {column: v_surname}
links:
  - schema: Involvement
    source: suspect
    target: crime
    properties:
      category: {constant: suspect}
"""

BAD = """\
name: reports
record_key: [ref]
marking: {classification: RESTRICTED}
entities:
  - id: crime
    schema: Crimes
    properties:
      crimeReference: {column: ref}
  - id: person
    schema: Person
    properties:
      surname: {column: surname}
      shoeSize: {column: shoe}
  - id: place
    schema: Address
    properties:
      postcode: {column: pc}
links:
  - schema: Involvement
    source: place
    target: person
  - schema: Residence
    source: person
    target: place
    properties:
      residenceType: {constant: home, format: "%Y"}
"""


def test_builtin_mappings_load() -> None:
    assert {"police-uk-street", "police-uk-stop-search"} <= set(builtin_names())
    street = load_mapping("police-uk-street")
    assert street.record_key == ("Crime ID",)
    assert "Falls within" not in street.columns


def test_two_people_from_one_row_get_distinct_keys(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(GOOD)
    m = load_mapping(path)
    suffixes = {e.id: e.key_suffix for e in m.entities}
    assert suffixes == {"crime": "", "suspect": "/suspect", "victim": "/victim"}
    assert m.columns == ("ref", "when", "s_surname", "s_street", "s_town", "v_surname")


def test_every_problem_has_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD)
    with pytest.raises(MappingError) as info:
        load_mapping(path)
    found = {(p.line, p.message.split(" (")[0].split(":")[0]) for p in info.value.problems}
    assert all(p.file == str(path) for p in info.value.problems)
    lines = {p.line for p in info.value.problems}
    assert 3 in lines  # unknown marking (ACC-1)
    assert 6 in lines  # unknown schema
    assert 13 in lines  # unknown property
    assert 20 in lines  # Address cannot be an Involvement source
    assert 21 in lines  # Person cannot be an Involvement target
    assert 19 in lines  # Involvement requires category
    assert 26 in lines  # format on a string property
    assert len(found) >= 7


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nentities:\n  - id: a\n   schema: [\n")
    with pytest.raises(MappingError) as info:
        load_mapping(path)
    assert info.value.problems[0].line is not None


def test_header_missing_columns() -> None:
    m = load_mapping("police-uk-street")
    with pytest.raises(MappingError) as info:
        check_header(m, ["crime id", "Month"], "f.csv")
    fields = {p.field for p in info.value.problems}
    assert "Crime type" in fields and "Crime ID" in fields
    assert any("'crime id'" in p.message for p in info.value.problems)


def test_cli_mapping_check(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD)
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    runner = CliRunner()
    result = runner.invoke(app, ["mapping", "check", str(good), str(bad)])
    assert result.exit_code == 1
    assert "good.yaml: OK" in result.output
    assert f"{bad}, line 6" in result.output.replace("\n", " ") or "line 6" in result.output
    ok = runner.invoke(app, ["mapping", "check", "police-uk-street", "police-uk-stop-search"])
    assert ok.exit_code == 0, ok.output
