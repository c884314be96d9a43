"""The ontology file loads into typed schemata, and bad ontologies are reported in full."""

from __future__ import annotations

import pytest

from clearsight.errors import InvalidValue, OntologyError
from clearsight.ontology import load_model, parse_model

ENTITIES = ["Person", "Organisation", "Vehicle", "Phone", "Account", "Address", "Crime", "Incident", "StopSearch",
            "ANPRRead", "Call", "Custody", "IntelligenceReport", "Case"]
LINKS = ["Involvement", "Association", "Family", "Residence", "Keepership", "PhoneUse", "Membership", "Communication",
         "Sighting", "Mention", "OccurredAt"]


def test_core_schemata_exist_with_typed_properties() -> None:
    model = load_model()
    names = {s.name for s in model.entities}
    assert set(ENTITIES) <= names
    assert set(LINKS) <= {s.name for s in model.links}
    for schema in model.entities + model.links:
        for prop in schema.properties.values():
            assert prop.type is not None


def test_inheritance_and_pole() -> None:
    crime = load_model().get("Crime")
    assert crime.pole == "Event" and crime.is_a("Event")
    assert "occurredFrom" in crime.properties and "crimeType" in crime.properties


def test_involvement_needs_a_category() -> None:
    involvement = load_model().get("Involvement")
    category = involvement.get("category")
    assert category.required
    assert category.clean("Suspect") == "suspect"
    with pytest.raises(InvalidValue):
        category.clean("bystander")


def test_intelligence_grades_are_enums() -> None:
    report = load_model().get("IntelligenceReport")
    assert report.get("sourceEvaluation").values == ("1", "2", "3")
    assert report.get("intelligenceAssessment").values == ("A", "B", "C", "D", "E")
    assert report.get("handlingCode").values == ("P", "C")


def test_a_bad_ontology_reports_every_problem() -> None:
    doc = {
        "entities": {
            "Thing": {"properties": {"x": {"type": "nonsense"}}},
            "Widget": {"extends": "Missing", "properties": {"y": {"type": "enum"}}},
        },
        "links": {"Odd": {"source": ["Nowhere"], "target": []}},
    }
    with pytest.raises(OntologyError) as info:
        parse_model(doc)
    text = str(info.value)
    for fragment in ("nonsense", "Missing", "needs 'values'", "Nowhere", "'target'"):
        assert fragment in text
