"""The synthetic force dataset: determinism, ground truth, planted structures, mappings."""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml

from clearsight.errors import InvalidValue
from clearsight.ontology.types import normalise
from clearsight.synthetic import GenerationSummary, GeographyMissing, corrupt, generate

PEOPLE = 4_000
SCHEMATA = Path(__file__).resolve().parents[2] / "src" / "clearsight" / "ontology" / "schemata.yaml"
SOURCES = {
    "custody": "custody.csv",
    "crime": "crime.csv",
    "stop_search": "stop_search.csv",
    "intelligence": "intelligence.jsonl",
    "vehicle_keepers": "vehicle_keepers.csv",
    "anpr": "anpr.csv",
    "phone_subscribers": "phone_subscribers.csv",
    "call_records": "call_records.csv",
}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerationSummary]:
    out = tmp_path_factory.mktemp("synthetic") / "a"
    return out, generate(out, people=PEOPLE, seed=7)


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _records(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [dict(r) for r in _rows(path)]


def _get(record: dict[str, Any], column: str) -> str:
    """A value by dotted path (``subjects.0.surname``), '' when absent."""
    value: Any = record
    for part in column.split("."):
        if isinstance(value, list):
            index = int(part)
            value = value[index] if index < len(value) else None
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            value = None
        if value is None:
            return ""
    return str(value)


def _template(record: dict[str, Any], template: str) -> str:
    text = re.sub(r"\{([^}]+)\}", lambda m: _get(record, m.group(1)), template)
    return re.sub(r"(,\s*)+", ", ", text).strip(" ,")


def test_same_seed_gives_identical_files(
    dataset: tuple[Path, GenerationSummary], tmp_path: Path
) -> None:
    out, _ = dataset
    again = generate(tmp_path / "b", people=PEOPLE, seed=7)
    assert _hashes(out) == _hashes(again.out_dir)


def test_different_seed_differs(dataset: tuple[Path, GenerationSummary], tmp_path: Path) -> None:
    out, _ = dataset
    other = _hashes(generate(tmp_path / "c", people=PEOPLE, seed=8).out_dir)
    mine = _hashes(out)
    assert set(other) == set(mine)
    assert all(other[name] != mine[name] for name in SOURCES.values())


def test_every_source_written(dataset: tuple[Path, GenerationSummary]) -> None:
    out, summary = dataset
    for name, file in SOURCES.items():
        assert (out / file).is_file()
        assert (out / file.rsplit(".", 1)[0]).with_suffix(".mapping.yaml").is_file()
        assert summary.rows[name] > 0
    assert summary.people == PEOPLE


def test_truth_covers_every_person_bearing_record(dataset: tuple[Path, GenerationSummary]) -> None:
    out, _ = dataset
    truth = {
        (r["source"], r["record_key"], r["entity"]) for r in _rows(out / "truth" / "records.csv")
    }
    people = {r["person_id"] for r in _rows(out / "truth" / "people.csv")}
    assert {r["person_id"] for r in _rows(out / "truth" / "records.csv")} <= people
    expected: set[tuple[str, str, str]] = set()
    for r in _rows(out / "custody.csv"):
        expected.add(("custody", r["custody_ref"], "detainee"))
    for r in _rows(out / "crime.csv"):
        expected.add(("crime", f"{r['crime_ref']}|{r['involvement_no']}", "person"))
    for r in _rows(out / "stop_search.csv"):
        if r["Surname"]:
            expected.add(("stop_search", r["Search reference"], "searched"))
    for r in _rows(out / "vehicle_keepers.csv"):
        expected.add(("vehicle_keepers", r["vrm"], "keeper"))
    for r in _rows(out / "phone_subscribers.csv"):
        expected.add(("phone_subscribers", r["subscriber_id"], "subscriber"))
    for rec in _records(out / "intelligence.jsonl"):
        for i, s in enumerate(rec["subjects"]):
            expected.add(("intelligence", s["mentionId"], f"subject{i}"))
    assert expected == truth


def test_twins_share_surname_birth_and_address_but_not_forename(
    dataset: tuple[Path, GenerationSummary],
) -> None:
    out, _ = dataset
    people = {r["person_id"]: r for r in _rows(out / "truth" / "people.csv")}
    twins = _rows(out / "truth" / "twins.csv")
    assert twins
    for pair in twins:
        a, b = people[pair["person_a"]], people[pair["person_b"]]
        assert a["surname"] == b["surname"] and a["birth_date"] == b["birth_date"]
        assert a["household_id"] == b["household_id"]
        assert a["forename"] != b["forename"]


def test_common_names_are_distinct_people(dataset: tuple[Path, GenerationSummary]) -> None:
    out, _ = dataset
    people = {r["person_id"]: r for r in _rows(out / "truth" / "people.csv")}
    groups: dict[str, list[str]] = defaultdict(list)
    for r in _rows(out / "truth" / "common_names.csv"):
        groups[r["name"]].append(r["person_id"])
    assert "John Smith" in groups
    for name, ids in groups.items():
        assert len(ids) >= 2
        assert {f"{people[i]['forename']} {people[i]['surname']}" for i in ids} == {name}
        assert len({people[i]["household_id"] for i in ids}) == len(ids)


def test_ocg_phones_call_each_other_through_the_leader(
    dataset: tuple[Path, GenerationSummary],
) -> None:
    out, _ = dataset
    ocg = _rows(out / "truth" / "ocg.csv")
    assert 8 <= len(ocg) <= 15
    assert [r["role"] for r in ocg].count("leader") == 1
    leader = next(r["person_id"] for r in ocg if r["role"] == "leader")
    group = {r["person_id"]: r["subgroup"] for r in ocg}
    phones = {r["number"]: r["person_id"] for r in _rows(out / "truth" / "ocg_phones.csv")}

    def e164(text: str) -> str:
        digits = re.sub(r"\D", "", text)
        return "+44" + (digits[2:] if digits.startswith("44") else digits[1:])

    degree: Counter[str] = Counter()
    cross = 0
    for r in _rows(out / "call_records.csv"):
        a, b = e164(r["caller"]), e164(r["callee"])
        if a in phones and b in phones:
            pa, pb = phones[a], phones[b]
            degree[pa] += 1
            degree[pb] += 1
            if group[pa] and group[pb] and group[pa] != group[pb]:
                cross += 1
    assert sum(degree.values()) > 500
    assert degree.most_common(1)[0][0] == leader
    assert cross == 0
    vrms = {r["vrm"] for r in _rows(out / "truth" / "ocg_vehicles.csv")}
    seen = Counter(r["vrm"].replace(" ", "").upper() for r in _rows(out / "anpr.csv"))
    assert all(seen[v] >= 20 for v in vrms)


def test_burglary_series_shares_mo_and_is_close(dataset: tuple[Path, GenerationSummary]) -> None:
    out, _ = dataset
    refs = {r["crime_ref"] for r in _rows(out / "truth" / "burglary_series.csv")}
    assert 8 <= len(refs) <= 14
    crimes = {r["crime_ref"]: r for r in _rows(out / "crime.csv") if r["crime_ref"] in refs}
    assert set(crimes) == refs
    assert len({c["mo"] for c in crimes.values()}) == 1
    lat = [float(c["latitude"]) for c in crimes.values()]
    lon = [float(c["longitude"]) for c in crimes.values()]
    span_m = math.hypot((max(lat) - min(lat)) * 111_000, (max(lon) - min(lon)) * 66_000)
    assert span_m < 1_500
    days = sorted(c["occurred_date"] for c in crimes.values())
    from datetime import date

    assert (date.fromisoformat(days[-1]) - date.fromisoformat(days[0])).days <= 49
    assert all(17 <= int(c["occurred_time"][:2]) <= 22 for c in crimes.values())
    others = [r for r in _rows(out / "crime.csv") if r["crime_ref"] not in refs]
    assert all(r["mo"] != next(iter(crimes.values()))["mo"] for r in others)


def test_co_offenders_and_prolific_offender(dataset: tuple[Path, GenerationSummary]) -> None:
    out, _ = dataset
    truth = {
        (r["source"], r["record_key"]): r["person_id"] for r in _rows(out / "truth" / "records.csv")
    }
    suspects: dict[str, set[str]] = defaultdict(set)
    for r in _rows(out / "crime.csv"):
        if r["role"] == "suspect":
            suspects[r["crime_ref"]].add(
                truth[("crime", f"{r['crime_ref']}|{r['involvement_no']}")]
            )
    pairs = _rows(out / "truth" / "co_offending.csv")
    assert pairs
    for r in pairs:
        assert {r["person_a"], r["person_b"]} <= suspects[r["crime_ref"]]
    prolific = _rows(out / "truth" / "prolific.csv")
    who = prolific[0]["person_id"]
    custody = sum(1 for (source, _), p in truth.items() if source == "custody" and p == who)
    assert custody >= 25 and len(prolific) >= 35


def test_intelligence_grading(dataset: tuple[Path, GenerationSummary]) -> None:
    out, _ = dataset
    records = _records(out / "intelligence.jsonl")
    graded = [r for r in records if not r["legacyGrading"]]
    assert graded and len(graded) < len(records)
    for r in graded:
        assert r["sourceEvaluation"] in {"1", "2", "3"}
        assert r["intelligenceAssessment"] in set("ABCDE")
        assert r["handlingCode"] in {"P", "C"}
        assert bool(r["handlingConditions"]) == (r["handlingCode"] == "C")
        assert r["sourceReference"].startswith("SRC-")
        assert 1 <= len(r["subjects"]) <= 3


def test_discrepancies_present(dataset: tuple[Path, GenerationSummary]) -> None:
    out, _ = dataset
    people = {r["person_id"]: r for r in _rows(out / "truth" / "people.csv")}
    truth = {
        r["record_key"]: r["person_id"]
        for r in _rows(out / "truth" / "records.csv")
        if r["source"] == "custody"
    }
    rows = _rows(out / "custody.csv")
    differ = sum(1 for r in rows if r["forename"] != people[truth[r["custody_ref"]]]["forename"])
    assert 0 < differ < len(rows) * 0.2
    assert any(
        " " not in r["postcode"] for r in _rows(out / "phone_subscribers.csv") if r["postcode"]
    )
    assert any(" " in r["vrm"] for r in _rows(out / "anpr.csv"))


def _schemata() -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    data = yaml.safe_load(SCHEMATA.read_text(encoding="utf-8"))

    def props(table: dict[str, Any], name: str) -> dict[str, Any]:
        spec = table[name]
        own = dict(spec.get("properties") or {})
        parent = spec.get("extends")
        return {**(props(table, parent) if parent else {}), **own}

    entities = {name: props(data["entities"], name) for name in data["entities"]}
    links = {name: dict(spec.get("properties") or {}) for name, spec in data["links"].items()}
    return entities, links


def _columns(spec: dict[str, Any]) -> list[str]:
    if "column" in spec:
        return [spec["column"]]
    if "template" in spec:
        return re.findall(r"\{([^}]+)\}", spec["template"])
    return []


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_mapping_names_only_schemata_properties_and_columns(
    dataset: tuple[Path, GenerationSummary], source: str
) -> None:
    out, _ = dataset
    file = out / SOURCES[source]
    mapping = yaml.safe_load(
        (out / f"{file.name.rsplit('.', 1)[0]}.mapping.yaml").read_text(encoding="utf-8")
    )
    entities, links = _schemata()
    records = _records(file)
    if file.suffix == ".csv":
        with file.open(encoding="utf-8", newline="") as handle:
            header = set(next(csv.reader(handle)))
        has = header.__contains__
    else:
        has = lambda c: any(_get(r, c) != "" for r in records)  # noqa: E731
    assert mapping["name"] == source
    assert all(has(c) for c in mapping["record_key"])
    local = {}
    for entity in mapping["entities"]:
        assert entity["schema"] in entities, entity["schema"]
        local[entity["id"]] = entity["schema"]
        for c in entity.get("key", []) + entity.get("skip_if_empty", []):
            assert has(c), c
        for prop, spec in entity["properties"].items():
            assert prop in entities[entity["schema"]], (entity["schema"], prop)
            for c in _columns(spec):
                assert has(c), c
    for link in mapping.get("links", []):
        assert link["schema"] in links
        assert link["source"] in local and link["target"] in local
        for prop, spec in link["properties"].items():
            assert prop in links[link["schema"]], (link["schema"], prop)
            for c in _columns(spec):
                assert has(c), c
        for c in _columns(link.get("valid_from", {})):
            assert has(c), c


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_every_value_normalises(dataset: tuple[Path, GenerationSummary], source: str) -> None:
    """Each mapped value is valid for its property type, so ingest rejects nothing."""
    out, _ = dataset
    file = out / SOURCES[source]
    mapping = yaml.safe_load(
        (out / f"{file.name.rsplit('.', 1)[0]}.mapping.yaml").read_text(encoding="utf-8")
    )
    entities, links = _schemata()
    plans: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for entity in mapping["entities"]:
        for prop, spec in entity["properties"].items():
            plans.append((entities[entity["schema"]][prop], spec))
    for link in mapping.get("links", []):
        for prop, spec in link["properties"].items():
            plans.append((links[link["schema"]][prop], spec))
    failures: list[str] = []
    for record in _records(file)[:3000]:
        for prop_spec, spec in plans:
            if "constant" in spec:
                value = str(spec["constant"])
            elif "column" in spec:
                value = _get(record, spec["column"])
            else:
                value = _template(record, spec["template"])
            if not value.strip():
                continue
            try:
                normalise(
                    prop_spec["type"],
                    value,
                    fmt=spec.get("format"),
                    values=prop_spec.get("values", ()),
                )
            except InvalidValue as error:
                failures.append(str(error))
    assert not failures, failures[:10]


def test_corrupt_lists_every_broken_row(
    dataset: tuple[Path, GenerationSummary], tmp_path: Path
) -> None:
    out, _ = dataset
    summary = corrupt(out, tmp_path / "bad", seed=1)
    expected = _rows(summary.expected_rejections)
    assert len(expected) == summary.rejections > 0
    assert {r["reason"] for r in expected} == {
        "invalid date",
        "invalid postcode",
        "missing record key",
        "malformed row",
    }
    rows = _rows(tmp_path / "bad" / "custody.csv")
    for r in (e for e in expected if e["file"] == "custody.csv" and e["field"]):
        assert rows[int(r["row"]) - 1][r["field"]] == r["value"]
    again = corrupt(out, tmp_path / "bad2", seed=1)
    assert again.expected_rejections.read_bytes() == summary.expected_rejections.read_bytes()


def test_missing_geography_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(GeographyMissing, match="PoliceforceLSOA.csv"):
        generate(tmp_path / "x", people=PEOPLE, seed=1, geography_dir=tmp_path)
