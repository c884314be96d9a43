"""Ingest mappings: the YAML that says which source columns make which entities and links.

The format is documented in ``docs/mappings.md``. :func:`load_mapping` reads a file (or a
built-in mapping by name) and checks it against the ontology, reporting every problem at
once with the file and line it comes from (:class:`~clearsight.errors.MappingError`).
:func:`check_header` then checks a source's header names every column the mapping uses,
before anything is loaded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from clearsight.errors import InvalidValue, MappingError, OntologyError, Problem
from clearsight.governance.markings import Marking
from clearsight.ontology.model import Model, Property, Schema, load_model

FORMATS = ("csv", "jsonl", "json", "xlsx", "sql")
KINDS = ("fact", "assessment")
ON_INVALID = ("reject", "drop")
#: how a record key is made for rows whose key columns are all empty
KEY_FALLBACKS = ("content-hash",)
SUFFIX_FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}

_TOP_KEYS = {
    "name", "description", "format", "options", "record_key", "record_key_fallback",
    "marking", "kind", "entities", "links",
}
_ENTITY_KEYS = {"id", "schema", "key", "skip_if_empty", "properties", "marking", "kind"}
_LINK_KEYS = {"schema", "source", "target", "properties", "valid_from", "valid_to", "marking", "kind"}
_VALUE_KEYS = {"column", "template", "constant", "format", "map", "default", "required", "on_invalid", "marking", "kind"}
_OPTION_KEYS = {"delimiter", "encoding", "sheet", "query", "records", "header_row"}
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_LOCAL_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
#: a link's time span is read as a date-time
_BOUND = Property(name="valid", type_name="datetime", label="Valid from/to")


# -- YAML with line numbers ----------------------------------------------------------------
class LineDict(dict[Any, Any]):
    """A YAML mapping that remembers its own line and the line of each key's value."""

    line: int = 0
    lines: dict[Any, int]


class LineList(list[Any]):
    """A YAML sequence that remembers its own line and the line of each item."""

    line: int = 0
    lines: list[int]


class _LineLoader(yaml.SafeLoader):
    """A safe loader whose mappings and sequences carry line numbers (1-based)."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    out = LineDict()
    out.line = node.start_mark.line + 1
    out.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value", key_node.start_mark
            ) from None
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = value_node.start_mark.line + 1
    return out


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    out = LineList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.lines = [child.start_mark.line + 1 for child in node.value]
    return out


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


def _line(container: Any, key: Any = None) -> int | None:
    if isinstance(container, LineDict):
        if key is not None and key in container.lines:
            return container.lines[key]
        return container.line
    if isinstance(container, LineList):
        if isinstance(key, int) and 0 <= key < len(container.lines):
            return container.lines[key]
        return container.line
    return None


# -- the parsed mapping ------------------------------------------------------------------
#: a marking as written in a mapping; it inherits what it leaves out from the source's
MarkingSpec = dict[str, Any] | str | None

@dataclass(frozen=True)
class ValueSpec:
    """Where one value comes from: a column, a template of columns, or a constant."""

    column: str | None = None
    template: str | None = None
    constant: str | None = None
    format: str | None = None
    map: dict[str, str] | None = None
    default: str | None = None
    required: bool = False
    on_invalid: str = "reject"
    marking: MarkingSpec = None
    kind: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        """The source columns this value reads."""
        if self.column is not None:
            return (self.column,)
        if self.template is not None:
            return tuple(_PLACEHOLDER.findall(self.template))
        return ()

    @property
    def label(self) -> str:
        """How a report names this value's origin."""
        if self.column is not None:
            return self.column
        if self.template is not None:
            return self.template
        return f"constant {self.constant!r}"


@dataclass(frozen=True)
class PropertySpec:
    """One property of a mapped entity or link and where its value comes from."""

    name: str
    prop: Property
    value: ValueSpec


@dataclass(frozen=True)
class EntitySpec:
    """One entity each row may yield."""

    id: str
    schema: Schema
    key: tuple[str, ...] | None
    key_suffix: str
    skip_if_empty: tuple[str, ...]
    properties: tuple[PropertySpec, ...]
    marking: MarkingSpec = None
    kind: str | None = None


@dataclass(frozen=True)
class LinkSpec:
    """One link each row may yield, between two of its entities."""

    schema: Schema
    source: str
    target: str
    properties: tuple[PropertySpec, ...]
    valid_from: ValueSpec | None = None
    valid_to: ValueSpec | None = None
    marking: MarkingSpec = None
    kind: str | None = None


@dataclass(frozen=True)
class Mapping:
    """A checked mapping, ready to transform rows."""

    name: str
    description: str
    origin: str
    format: str | None
    options: dict[str, Any]
    record_key: tuple[str, ...]
    record_key_fallback: str | None
    marking: Marking
    kind: str
    entities: tuple[EntitySpec, ...]
    links: tuple[LinkSpec, ...]
    columns: tuple[str, ...] = field(default=())

    def format_for(self, location: str) -> str:
        """The reader format for a file or URL: the mapping's, else from the suffix."""
        if self.format:
            return self.format
        if "://" in location and not location.startswith("file://"):
            return "sql"
        suffix = Path(location).suffix.lower()
        fmt = SUFFIX_FORMATS.get(suffix)
        if fmt is None:
            raise MappingError(
                f"cannot tell the format of {location}",
                [Problem("give 'format:' in the mapping (csv, jsonl, json, xlsx or sql)", file=self.origin)],
            )
        return fmt


# -- parsing and checking ------------------------------------------------------------------
class _Checker:
    def __init__(self, origin: str, model: Model) -> None:
        self.origin = origin
        self.model = model
        self.problems: list[Problem] = []

    def problem(self, message: str, line: int | None, field_name: str | None = None) -> None:
        self.problems.append(Problem(message, file=self.origin, line=line, field=field_name))

    def unknown_keys(self, raw: dict[Any, Any], allowed: set[str], where: str) -> None:
        for key in raw:
            if key not in allowed:
                self.problem(f"unknown key {key!r} in {where} (allowed: {', '.join(sorted(allowed))})", _line(raw, key), str(key))

    def columns(self, raw: Any, parent: Any, key: Any, where: str) -> tuple[str, ...]:
        if raw is None:
            return ()
        if isinstance(raw, str):
            return (raw,)
        if isinstance(raw, list) and all(isinstance(c, str | int) for c in raw) and raw:
            return tuple(str(c) for c in raw)
        self.problem(f"{where} must be a column name or a list of column names", _line(parent, key), where)
        return ()

    def marking(self, raw: Any, parent: Any, key: Any, where: str) -> MarkingSpec:
        """Check a marking; return it as written (it inherits from the source's when used)."""
        if raw is None:
            return None
        if not isinstance(raw, dict | str):
            self.problem("a marking must be a classification or a mapping with 'classification'", _line(parent, key), where)
            return None
        if isinstance(raw, dict):
            for k in raw:
                if k not in ("classification", "descriptors", "caveats", "groups"):
                    self.problem(f"unknown marking key {k!r}", _line(raw, k), where)
        try:
            Marking.from_dict(raw)
        except InvalidValue as exc:
            self.problem(f"unknown marking: {exc.reason} (ACC-1)", _line(parent, key), where)
            return None
        return dict(raw) if isinstance(raw, dict) else str(raw)

    def kind(self, raw: Any, parent: Any, key: Any) -> str | None:
        if raw is None:
            return None
        if raw not in KINDS:
            self.problem(f"kind must be one of {', '.join(KINDS)}", _line(parent, key), "kind")
            return None
        return str(raw)

    def value(self, raw: Any, parent: Any, key: Any, prop: Property | None, where: str) -> ValueSpec | None:
        line = _line(parent, key)
        if isinstance(raw, str | int | float) and not isinstance(raw, bool):
            raw = {"column": str(raw)}
        if not isinstance(raw, dict):
            self.problem("expected {column: ...}, {template: ...} or {constant: ...}", line, where)
            return None
        self.unknown_keys(raw, _VALUE_KEYS, where)
        given = [k for k in ("column", "template", "constant") if raw.get(k) is not None]
        if len(given) != 1:
            self.problem("give exactly one of 'column', 'template' or 'constant'", line, where)
            return None
        on_invalid = str(raw.get("on_invalid", "reject"))
        if on_invalid not in ON_INVALID:
            self.problem(f"on_invalid must be one of {', '.join(ON_INVALID)}", _line(raw, "on_invalid"), where)
        template = raw.get("template")
        if template is not None and not _PLACEHOLDER.search(str(template)):
            self.problem("a template must name at least one {column}", _line(raw, "template"), where)
        value_map: dict[str, str] | None = None
        if raw.get("map") is not None:
            if not isinstance(raw["map"], dict) or not raw["map"]:
                self.problem("map must be a mapping from source values to property values", _line(raw, "map"), where)
            else:
                value_map = {str(k): str(v) for k, v in raw["map"].items() if v is not None}
        fmt = raw.get("format")
        if fmt is not None and prop is not None and prop.type_name not in ("date", "datetime"):
            self.problem(f"'format' applies to dates only; {prop.name} is of type {prop.type_name}", _line(raw, "format"), where)
        spec = ValueSpec(
            column=None if raw.get("column") is None else str(raw["column"]),
            template=None if template is None else str(template),
            constant=None if raw.get("constant") is None else str(raw["constant"]),
            format=None if fmt is None else str(fmt),
            map=value_map,
            default=None if raw.get("default") is None else str(raw["default"]),
            required=bool(raw.get("required", False)),
            on_invalid=on_invalid,
            marking=self.marking(raw.get("marking"), raw, "marking", where),
            kind=self.kind(raw.get("kind"), raw, "kind"),
        )
        if prop is not None:
            fixed = [("constant", spec.constant), ("default", spec.default)]
            fixed += [("map", v) for v in (value_map or {}).values()]
            for label, fixed_value in fixed:
                if fixed_value is None:
                    continue
                try:
                    prop.clean(fixed_value, fmt=spec.format)
                except InvalidValue as exc:
                    self.problem(f"{label} value {fixed_value!r} is not a valid {prop.type_name}: {exc.reason}", _line(raw, label), where)
        return spec

    def properties(self, raw: Any, parent: Any, schema: Schema | None, where: str) -> tuple[PropertySpec, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, dict):
            self.problem("properties must be a mapping of property names", _line(parent, "properties"), where)
            return ()
        out: list[PropertySpec] = []
        for name, praw in raw.items():
            prop: Property | None = None
            if schema is not None:
                if name not in schema.properties:
                    self.problem(
                        f"schema {schema.name} has no property {name!r} (known: {', '.join(sorted(schema.properties))})",
                        _line(raw, name), f"{where}.{name}",
                    )
                else:
                    prop = schema.properties[name]
            spec = self.value(praw, raw, name, prop, f"{where}.{name}")
            if spec is not None and prop is not None:
                out.append(PropertySpec(name=str(name), prop=prop, value=spec))
        return tuple(out)

    def schema(self, raw: Any, parent: Any, *, link: bool, where: str) -> Schema | None:
        if not isinstance(raw, str):
            self.problem("'schema' is required", _line(parent), where)
            return None
        try:
            schema = self.model.get(raw)
        except OntologyError:
            kinds = self.model.links if link else self.model.entities
            self.problem(f"unknown schema {raw!r} (known: {', '.join(sorted(s.name for s in kinds))})", _line(parent, "schema"), where)
            return None
        if link and not schema.is_link:
            self.problem(f"{raw} is an entity schema, not a link schema", _line(parent, "schema"), where)
            return None
        if not link and schema.is_link:
            self.problem(f"{raw} is a link schema; list it under 'links'", _line(parent, "schema"), where)
            return None
        if schema.abstract:
            self.problem(f"{raw} is abstract; use one of its concrete schemata", _line(parent, "schema"), where)
            return None
        return schema


def parse_mapping(doc: Any, origin: str, *, model: Model | None = None) -> Mapping:
    """Build a :class:`Mapping` from a parsed YAML document, checking it against the ontology.

    Args:
        doc: the document as loaded by :func:`load_yaml` (line numbers are used when present).
        origin: the file name reported with each problem.
        model: the ontology; the packaged one by default.

    Raises:
        MappingError: listing every problem found, each with its file and line.
    """
    chk = _Checker(origin, model or load_model())
    if not isinstance(doc, dict):
        raise MappingError(f"{origin}: not a mapping", [Problem("the file must be a YAML mapping with 'name' and 'entities'", file=origin, line=1)])
    chk.unknown_keys(doc, _TOP_KEYS, "the mapping")
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip():
        chk.problem("'name' is required (the default source name)", _line(doc, "name"), "name")
        name = ""
    fmt = doc.get("format")
    if fmt is not None and fmt not in FORMATS:
        chk.problem(f"format must be one of {', '.join(FORMATS)}", _line(doc, "format"), "format")
        fmt = None
    options = doc.get("options") or {}
    if not isinstance(options, dict):
        chk.problem("options must be a mapping", _line(doc, "options"), "options")
        options = {}
    else:
        chk.unknown_keys(options, _OPTION_KEYS, "options")
    if fmt == "sql" and not options.get("query"):
        chk.problem("a sql source needs options.query", _line(doc, "options"), "options.query")
    record_key = chk.columns(doc.get("record_key"), doc, "record_key", "record_key")
    fallback = doc.get("record_key_fallback")
    if fallback is not None and fallback not in KEY_FALLBACKS:
        chk.problem(f"record_key_fallback must be one of {', '.join(KEY_FALLBACKS)}", _line(doc, "record_key_fallback"), "record_key_fallback")
        fallback = None
    if not record_key and fallback is None:
        chk.problem("'record_key' is required: the columns that identify a row in its source", _line(doc, "record_key"), "record_key")
    marking_raw = chk.marking(doc.get("marking"), doc, "marking", "marking")
    marking = Marking.from_dict(marking_raw) if marking_raw is not None else Marking()
    kind = chk.kind(doc.get("kind", "fact"), doc, "kind") or "fact"

    entities: list[EntitySpec] = []
    raw_entities = doc.get("entities")
    if not isinstance(raw_entities, list) or not raw_entities:
        chk.problem("'entities' must list at least one entity", _line(doc, "entities"), "entities")
        raw_entities = []
    seen_ids: dict[str, Schema | None] = {}
    default_key_schemas: dict[str, int] = {}
    for n, raw in enumerate(raw_entities):
        where = f"entities[{n}]"
        if not isinstance(raw, dict):
            chk.problem("an entity must be a mapping with 'id', 'schema' and 'properties'", _line(raw_entities, n), where)
            continue
        chk.unknown_keys(raw, _ENTITY_KEYS, where)
        local = raw.get("id")
        if not isinstance(local, str) or not _LOCAL_ID.match(local):
            chk.problem("'id' is required: a local name such as 'suspect'", _line(raw, "id") if "id" in raw else raw.line if isinstance(raw, LineDict) else None, where)
            local = f"#{n}"
        elif local in seen_ids:
            chk.problem(f"duplicate entity id {local!r}", _line(raw, "id"), where)
        where = f"entities.{local}"
        schema = chk.schema(raw.get("schema"), raw, link=False, where=where)
        seen_ids[local] = schema
        key = chk.columns(raw.get("key"), raw, "key", f"{where}.key") or None
        if key is None and schema is not None:
            default_key_schemas[schema.name] = default_key_schemas.get(schema.name, 0) + 1
        props = chk.properties(raw.get("properties"), raw, schema, where)
        if not raw.get("properties"):
            chk.problem("an entity needs at least one property", _line(raw), where)
        if schema is not None:
            given = {p.name for p in props}
            for p in schema.properties.values():
                if p.required and p.name not in given:
                    chk.problem(f"{schema.name} requires property {p.name!r}", _line(raw, "properties"), where)
        entities.append(
            EntitySpec(
                id=local,
                schema=schema if schema is not None else chk.model.get("Person"),
                key=key,
                key_suffix="",
                skip_if_empty=chk.columns(raw.get("skip_if_empty"), raw, "skip_if_empty", f"{where}.skip_if_empty"),
                properties=props,
                marking=chk.marking(raw.get("marking"), raw, "marking", f"{where}.marking"),
                kind=chk.kind(raw.get("kind"), raw, "kind"),
            )
        )
    # Two entities of one schema that both use the record key would share an id: give each
    # its local name as a suffix (the suspect and the victim of one crime report).
    entities = [
        EntitySpec(
            id=e.id, schema=e.schema, key=e.key,
            key_suffix=f"/{e.id}" if e.key is None and default_key_schemas.get(e.schema.name, 0) > 1 else "",
            skip_if_empty=e.skip_if_empty, properties=e.properties, marking=e.marking, kind=e.kind,
        )
        for e in entities
    ]

    links: list[LinkSpec] = []
    raw_links = doc.get("links") or []
    if not isinstance(raw_links, list):
        chk.problem("'links' must be a list", _line(doc, "links"), "links")
        raw_links = []
    for n, raw in enumerate(raw_links):
        where = f"links[{n}]"
        if not isinstance(raw, dict):
            chk.problem("a link must be a mapping with 'schema', 'source' and 'target'", _line(raw_links, n), where)
            continue
        chk.unknown_keys(raw, _LINK_KEYS, where)
        schema = chk.schema(raw.get("schema"), raw, link=True, where=where)
        ends: dict[str, str] = {}
        for end in ("source", "target"):
            local = raw.get(end)
            if not isinstance(local, str):
                chk.problem(f"'{end}' must name an entity id of this mapping", _line(raw, end), f"{where}.{end}")
                continue
            if local not in seen_ids:
                chk.problem(f"{end} {local!r} is not an entity of this mapping (known: {', '.join(seen_ids)})", _line(raw, end), f"{where}.{end}")
                continue
            ends[end] = local
            end_schema = seen_ids[local]
            if schema is not None and end_schema is not None:
                allowed = schema.source if end == "source" else schema.target
                if not any(end_schema.is_a(a) for a in allowed):
                    chk.problem(
                        f"a {schema.name} link cannot have a {end_schema.name} as its {end} (allowed: {', '.join(allowed)})",
                        _line(raw, end), f"{where}.{end}",
                    )
        props = chk.properties(raw.get("properties"), raw, schema, where)
        if schema is not None:
            given = {p.name for p in props}
            for p in schema.properties.values():
                if p.required and p.name not in given:
                    chk.problem(f"{schema.name} requires property {p.name!r}", _line(raw, "properties") if "properties" in raw else _line(raw), where)
        valid: dict[str, ValueSpec | None] = {}
        for bound in ("valid_from", "valid_to"):
            valid[bound] = None
            if raw.get(bound) is not None:
                valid[bound] = chk.value(raw[bound], raw, bound, _BOUND, f"{where}.{bound}")
        if schema is not None and len(ends) == 2:
            links.append(
                LinkSpec(
                    schema=schema,
                    source=ends["source"],
                    target=ends["target"],
                    properties=props,
                    valid_from=valid["valid_from"],
                    valid_to=valid["valid_to"],
                    marking=chk.marking(raw.get("marking"), raw, "marking", f"{where}.marking"),
                    kind=chk.kind(raw.get("kind"), raw, "kind"),
                )
            )
    if chk.problems:
        raise MappingError(f"mapping {origin} has {len(chk.problems)} problem(s)", chk.problems)
    columns: dict[str, None] = dict.fromkeys(record_key)
    for e in entities:
        columns.update(dict.fromkeys(e.key or ()))
        columns.update(dict.fromkeys(e.skip_if_empty))
        for spec in e.properties:
            columns.update(dict.fromkeys(spec.value.columns))
    for lk in links:
        for spec in lk.properties:
            columns.update(dict.fromkeys(spec.value.columns))
        for v in (lk.valid_from, lk.valid_to):
            if v is not None:
                columns.update(dict.fromkeys(v.columns))
    return Mapping(
        name=str(name),
        description=str(doc.get("description", "") or ""),
        origin=origin,
        format=None if fmt is None else str(fmt),
        options=dict(options),
        record_key=record_key,
        record_key_fallback=None if fallback is None else str(fallback),
        marking=marking,
        kind=kind,
        entities=tuple(entities),
        links=tuple(links),
        columns=tuple(columns),
    )


def load_yaml(text: str, origin: str) -> Any:
    """Parse YAML keeping line numbers; a syntax error names the file and line."""
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise MappingError(
            f"{origin} is not valid YAML",
            [Problem(str(exc.problem or exc.context or "syntax error"), file=origin, line=line)],
        ) from None
    except yaml.YAMLError as exc:
        raise MappingError(f"{origin} is not valid YAML", [Problem(str(exc), file=origin)]) from None


def builtin_names() -> list[str]:
    """Names of the mappings shipped with Clearsight."""
    folder = resources.files("clearsight.ingest").joinpath("builtin")
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_mapping(ref: str | Path, *, model: Model | None = None) -> Mapping:
    """Load and check a mapping from a file path or a built-in name (``police-uk-street``).

    Raises:
        MappingError: the file is missing, not YAML, or does not fit the ontology.
    """
    path = Path(ref)
    if path.suffix.lower() in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise MappingError(f"no mapping file {path}", [Problem("file not found", file=str(path))])
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise MappingError(f"cannot read mapping {path}", [Problem(str(exc), file=str(path))]) from None
        return parse_mapping(load_yaml(text, str(path)), str(path), model=model)
    name = str(ref)
    if name not in builtin_names():
        raise MappingError(
            f"no mapping file or built-in mapping called {name!r}",
            [Problem(f"built-in mappings: {', '.join(builtin_names())}")],
        )
    resource = resources.files("clearsight.ingest").joinpath("builtin", f"{name}.yaml")
    return parse_mapping(load_yaml(resource.read_text(encoding="utf-8"), f"builtin:{name}"), f"builtin:{name}", model=model)


def check_header(mapping: Mapping, header: list[str], location: str) -> None:
    """Check that the source header has every column the mapping names.

    Raises:
        MappingError: naming each missing column (and close matches), so nothing is loaded.
    """
    have = set(header)
    folded = {h.strip().casefold(): h for h in header}
    problems: list[Problem] = []
    for column in mapping.columns:
        if column in have:
            continue
        hint = folded.get(column.strip().casefold())
        extra = f" (the header has {hint!r})" if hint else ""
        problems.append(Problem(f"mapped column is missing from the header{extra}", file=location, row=1, field=column))
    if problems:
        raise MappingError(f"{location} does not fit mapping {mapping.origin}", problems)


__all__ = [
    "FORMATS",
    "KINDS",
    "EntitySpec",
    "LinkSpec",
    "Mapping",
    "PropertySpec",
    "ValueSpec",
    "builtin_names",
    "check_header",
    "load_mapping",
    "load_yaml",
    "parse_mapping",
]
