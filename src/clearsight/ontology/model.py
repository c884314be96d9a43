"""The ontology as typed objects, read from ``schemata.yaml``.

The YAML is the single definition; this module only interprets it: it resolves
inheritance, checks every property has a known type, and checks link ends name real
schemata. Load it with :func:`load_model` (cached for the packaged file).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from clearsight.errors import InvalidValue, OntologyError, Problem
from clearsight.ontology.types import REGISTRY, PropertyType, get_type

POLE = ("Person", "Object", "Location", "Event", "Intelligence", "Case")


@dataclass(frozen=True)
class Property:
    """One property of a schema: its name, type and constraints."""

    name: str
    type_name: str
    label: str
    description: str = ""
    values: tuple[str, ...] = ()
    required: bool = False

    @property
    def type(self) -> PropertyType:
        return get_type(self.type_name)

    def clean(self, value: object, *, fmt: str | None = None) -> str:
        """Normalise ``value`` for this property; raise InvalidValue naming the property."""
        try:
            return self.type.clean(value, fmt=fmt, values=self.values)
        except InvalidValue as exc:
            raise InvalidValue(f"{self.type_name} ({self.name})", value, exc.reason) from None

    def to_json_schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "string", "title": self.label, "x-clearsight-type": self.type_name}
        if self.values:
            out["enum"] = list(self.values)
        if self.description:
            out["description"] = self.description
        return out


@dataclass(frozen=True)
class Schema:
    """An entity or link schema with its inherited properties resolved."""

    name: str
    label: str
    is_link: bool
    pole: str | None
    abstract: bool
    personal: bool
    matchable: bool
    parents: tuple[str, ...]
    caption: tuple[str, ...]
    properties: dict[str, Property] = field(default_factory=dict)
    source: tuple[str, ...] = ()
    target: tuple[str, ...] = ()
    directed: bool = True

    def get(self, name: str) -> Property:
        try:
            return self.properties[name]
        except KeyError:
            raise OntologyError(
                f"schema {self.name} has no property {name!r}",
                [Problem(f"known properties: {', '.join(sorted(self.properties))}")],
            ) from None

    def is_a(self, other: str) -> bool:
        return other == self.name or other in self.parents

    def to_json_schema(self) -> dict[str, Any]:
        props = {p.name: p.to_json_schema() for p in self.properties.values()}
        doc: dict[str, Any] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": self.name,
            "type": "object",
            "properties": props,
            "additionalProperties": False,
        }
        required = [p.name for p in self.properties.values() if p.required]
        if required:
            doc["required"] = required
        if self.is_link:
            doc["x-clearsight-link"] = {
                "source": list(self.source),
                "target": list(self.target),
                "directed": self.directed,
            }
        elif self.pole:
            doc["x-clearsight-pole"] = self.pole
        return doc


@dataclass(frozen=True)
class Model:
    """All schemata of the ontology."""

    schemata: dict[str, Schema]

    def get(self, name: str) -> Schema:
        try:
            return self.schemata[name]
        except KeyError:
            known = ", ".join(sorted(n for n, s in self.schemata.items() if not s.abstract))
            raise OntologyError(f"unknown schema {name!r}", [Problem(f"known schemata: {known}")]) from None

    @property
    def entities(self) -> list[Schema]:
        return [s for s in self.schemata.values() if not s.is_link and not s.abstract]

    @property
    def links(self) -> list[Schema]:
        return [s for s in self.schemata.values() if s.is_link]

    def to_json_schema(self) -> dict[str, Any]:
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "Clearsight ontology",
            "$defs": {s.name: s.to_json_schema() for s in self.entities + self.links},
        }


def _prop(schema: str, name: str, raw: Any, problems: list[Problem], where: str) -> Property | None:
    if not isinstance(raw, dict) or "type" not in raw:
        problems.append(Problem("a property needs a mapping with a 'type'", file=where, field=f"{schema}.{name}"))
        return None
    type_name = str(raw["type"])
    if type_name not in REGISTRY:
        problems.append(Problem(f"unknown property type {type_name!r}", file=where, field=f"{schema}.{name}"))
        return None
    values = tuple(str(v) for v in raw.get("values", ()) or ())
    if type_name == "enum" and not values:
        problems.append(Problem("an enum property needs 'values'", file=where, field=f"{schema}.{name}"))
    return Property(
        name=name,
        type_name=type_name,
        label=str(raw.get("label", name)),
        description=str(raw.get("description", "")),
        values=values,
        required=bool(raw.get("required", False)),
    )


def parse_model(doc: Any, where: str = "schemata.yaml") -> Model:
    """Build a :class:`Model` from the parsed YAML document, reporting every problem."""
    problems: list[Problem] = []
    if not isinstance(doc, dict):
        raise OntologyError("the ontology must be a mapping with 'entities' and 'links'", [Problem("", file=where)])
    entities: dict[str, Any] = doc.get("entities") or {}
    links: dict[str, Any] = doc.get("links") or {}
    schemata: dict[str, Schema] = {}

    def resolve(name: str, seen: tuple[str, ...] = ()) -> Schema | None:
        if name in schemata:
            return schemata[name]
        raw = entities.get(name)
        if raw is None:
            problems.append(Problem(f"unknown parent schema {name!r}", file=where, field=seen[-1] if seen else name))
            return None
        if name in seen:
            problems.append(Problem("inheritance cycle", file=where, field=name))
            return None
        parent_name = raw.get("extends")
        props: dict[str, Property] = {}
        parents: tuple[str, ...] = ()
        pole = raw.get("pole")
        personal = raw.get("personal")
        if parent_name:
            parent = resolve(str(parent_name), (*seen, name))
            if parent is not None:
                props.update(parent.properties)
                parents = (parent.name, *parent.parents)
                pole = pole or parent.pole
                personal = parent.personal if personal is None else personal
        for pname, praw in (raw.get("properties") or {}).items():
            prop = _prop(name, pname, praw, problems, where)
            if prop is not None:
                props[pname] = prop
        if pole is not None and pole not in POLE:
            problems.append(Problem(f"pole must be one of {', '.join(POLE)}", file=where, field=name))
        caption = tuple(raw.get("caption") or ())
        for c in caption:
            if c not in props:
                problems.append(Problem(f"caption names unknown property {c!r}", file=where, field=name))
        schema = Schema(
            name=name,
            label=str(raw.get("label", name)),
            is_link=False,
            pole=pole,
            abstract=bool(raw.get("abstract", False)),
            personal=bool(personal),
            matchable=bool(raw.get("matchable", False)),
            parents=parents,
            caption=caption,
            properties=props,
        )
        schemata[name] = schema
        return schema

    for name in entities:
        resolve(name)
    for name, raw in links.items():
        props = {}
        for pname, praw in (raw.get("properties") or {}).items():
            prop = _prop(name, pname, praw, problems, where)
            if prop is not None:
                props[pname] = prop
        ends: dict[str, tuple[str, ...]] = {}
        for end in ("source", "target"):
            names = tuple(str(n) for n in raw.get(end) or ())
            if not names:
                problems.append(Problem(f"a link needs a '{end}' list", file=where, field=name))
            for n in names:
                if n not in entities:
                    problems.append(Problem(f"{end} names unknown schema {n!r}", file=where, field=name))
            ends[end] = names
        schemata[name] = Schema(
            name=name,
            label=str(raw.get("label", name)),
            is_link=True,
            pole=None,
            abstract=False,
            personal=True,
            matchable=False,
            parents=(),
            caption=(),
            properties=props,
            source=ends["source"],
            target=ends["target"],
            directed=bool(raw.get("directed", True)),
        )
    if problems:
        raise OntologyError("the ontology is inconsistent", problems)
    return Model(schemata=schemata)


def load_model_file(path: Path) -> Model:
    """Load an ontology from a YAML file."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise OntologyError(f"{path}: not valid YAML: {exc}") from None
    return parse_model(doc, str(path))


@lru_cache(maxsize=1)
def load_model() -> Model:
    """The packaged ontology (``clearsight/ontology/schemata.yaml``)."""
    text = resources.files("clearsight.ontology").joinpath("schemata.yaml").read_text(encoding="utf-8")
    return parse_model(yaml.safe_load(text))
