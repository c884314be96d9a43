"""Transform source rows into store rows: entities, statements and links with provenance.

A :class:`RowTransformer` is built once per run from a checked mapping and the source's
header. Each row is checked as a whole: if any value the mapping needs is missing or
cannot be normalised (and the mapping does not say to drop it), the row is rejected with
one :class:`Rejection` per problem and nothing of it is kept; otherwise all of its
entities, statements and links join the current batch.

Police data repeats values heavily (crime types, months, map points), so each property
keeps a cache from raw value to normalised value: most rows cost dictionary lookups, not
normaliser calls. Caches are bounded, so memory stays flat on any file size.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from hashlib import sha1
from typing import Any

from clearsight.errors import InvalidValue
from clearsight.governance.markings import Marking
from clearsight.ingest.mapping import Mapping, MarkingSpec, PropertySpec, ValueSpec
from clearsight.ingest.readers import is_parse_error
from clearsight.ontology.model import Property
from clearsight.store.ids import id_maker
from clearsight.store.ingest_writes import RECORD_KEY_FIELD, IngestBatch

#: a property cache holds at most this many raw values before it starts afresh
CACHE_LIMIT = 100_000
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_INVALID = object()


@dataclass(frozen=True)
class Rejection:
    """A rejected row, or a value dropped with a warning: where, what and why."""

    file: str
    row: int
    field: str
    value: str
    reason: str
    severity: str = "rejected"

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file, "row": self.row, "field": self.field, "value": self.value,
            "reason": self.reason, "severity": self.severity,
        }


def marking_row(m: Marking) -> dict[str, Any]:
    """The stored form of a marking."""
    return {
        "id": m.id, "classification": m.classification, "level": m.level,
        "descriptors": ",".join(m.descriptors), "caveats": ",".join(m.caveats), "groups": ",".join(m.groups),
    }


def _clip(value: object, limit: int = 200) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Value:
    """A compiled value getter with its normalisation cache and counters."""

    __slots__ = (
        "cache", "counts", "field", "fmt", "get", "kind", "label", "marking", "marking_id", "name", "on_invalid", "pos", "prefix", "target",
        "prop", "rejects", "required", "spec",
    )

    def __init__(self, spec: ValueSpec, prop: Property, positions: dict[str, int], field_name: str,
                 marking: Marking, kind: str, caches: dict[tuple[Any, ...], dict[str, Any]] | None = None) -> None:
        self.spec = spec
        self.prop = prop
        self.name = prop.name
        self.target = field_name.split(" <- ", 1)[0]
        self.fmt = spec.format
        self.required = spec.required
        self.on_invalid = spec.on_invalid
        self.field = field_name
        # what reports name: the source column (or template) the value came from
        self.label = spec.label
        self.marking = marking
        self.marking_id = marking.id
        self.kind = kind
        # statement ids are make_id("s", entity, prop, value): the prop part is fixed
        self.prefix = "\x1f" + prop.name + "\x1f"
        # normalised values by raw text, shared by the values of one type, format and vocabulary
        share = (prop.type_name, spec.format, tuple(prop.values))
        self.cache: dict[str, Any] = {} if caches is None else caches.setdefault(share, {})
        self.rejects: dict[str, Any] = {}
        # seen, empty, invalid, dropped
        self.counts = [0, 0, 0, 0]
        self.get = _getter(spec, positions)
        # a plain column (no map or default) is read inline by the transform, for speed
        simple = spec.column is not None and spec.map is None and spec.default is None
        self.pos = positions[spec.column] if simple and spec.column is not None else -1

    def clean(self, raw: str) -> Any:
        """(value, match key) for a raw value, or ``(_INVALID, reason)``; cached.

        Valid results go in ``cache``, which values of the same type and format share (a
        crime and its map point read the same coordinates); a rejection names this
        value's target, so it is kept apart in ``rejects``.
        """
        hit = self.cache.get(raw)
        if hit is not None:
            return hit
        hit = self.rejects.get(raw)
        if hit is not None:
            return hit
        try:
            value = self.prop.clean(raw, fmt=self.fmt)
        except InvalidValue as exc:
            hit = (_INVALID, f"{exc.reason} ({self.target})")
            if len(self.rejects) >= CACHE_LIMIT:
                self.rejects.clear()
            self.rejects[raw] = hit
            return hit
        hit = (value, self.prop.type.match_key(value))
        if len(self.cache) >= CACHE_LIMIT:
            self.cache.clear()
        self.cache[raw] = hit
        return hit


def _getter(spec: ValueSpec, positions: dict[str, int]) -> Callable[[Sequence[Any]], str | None]:
    """A function returning the raw text of a value from a row (None when empty)."""
    value_map = spec.map
    default = spec.default

    def mapped(raw: str | None) -> str | None:
        if value_map is None:
            return raw if raw is not None else default
        if raw is None:
            return default
        return value_map.get(raw, default)

    if spec.constant is not None:
        constant = spec.constant
        return lambda row: constant
    if spec.column is not None:
        pos = positions[spec.column]

        def column(row: Sequence[Any]) -> str | None:
            raw = row[pos]
            if raw is None:
                return mapped(None)
            raw = raw.strip()
            return mapped(raw or None)

        return column
    template = spec.template or ""
    parts: list[tuple[str, int]] = []
    last = 0
    for m in _PLACEHOLDER.finditer(template):
        parts.append((template[last : m.start()], positions[m.group(1)]))
        last = m.end()
    tail = template[last:]

    def joined(row: Sequence[Any]) -> str | None:
        out: list[str] = []
        for n, (literal, pos) in enumerate(parts):
            raw = row[pos]
            raw = raw.strip() if raw is not None else ""
            if raw:
                # a separator goes only between parts present; text before the first
                # {field} is kept when that field has a value
                out.append((literal if out or n == 0 else "") + raw)
        if not out:
            return mapped(None)
        return mapped("".join(out) + tail)

    return joined


class _Entity:
    __slots__ = ("id", "key_pos", "key_suffix", "kind", "marking", "marking_id", "schema", "skip_pos", "values")

    def __init__(self, local: str, schema: str, key_pos: list[int] | None, key_suffix: str, skip_pos: list[int],
                 values: list[_Value], marking: Marking, kind: str) -> None:
        self.id = local
        self.schema = schema
        self.key_pos = key_pos
        self.key_suffix = key_suffix
        self.skip_pos = skip_pos
        self.values = values
        self.marking = marking
        self.marking_id = marking.id
        self.kind = kind


class _Link:
    __slots__ = (
        "kind", "marking", "marking_id", "props_cache", "schema", "source", "target", "valid_from", "valid_to", "values",
    )

    def __init__(self, schema: str, source: str, target: str, values: list[_Value], valid_from: _Value | None,
                 valid_to: _Value | None, marking: Marking, kind: str) -> None:
        self.schema = schema
        self.source = source
        self.target = target
        self.values = values
        self.valid_from = valid_from
        self.valid_to = valid_to
        self.marking = marking
        self.marking_id = marking.id
        self.kind = kind
        self.props_cache: dict[tuple[str, ...], str] = {}


def _resolve(raw: MarkingSpec, parent: Marking, owner_group: str) -> Marking:
    marking = Marking.from_dict(raw, default=parent) if raw is not None else parent
    return marking.with_groups([owner_group]) if owner_group else marking


class RowTransformer:
    """Turns rows of one source into batches of store rows.

    Args:
        mapping: the checked mapping.
        source: the source name (part of every id).
        header: the source's header (columns in row order).
        location: the file or URL, as named in rejection reports.
        owner_group: the need-to-know group every record gets (ACC-9).
        default_marking: the classification used when the mapping sets none.
    """

    def __init__(self, mapping: Mapping, *, source: str, header: Sequence[str], location: str,
                 owner_group: str, default_marking: Marking | None = None) -> None:
        self.mapping = mapping
        self.source = source
        self.location = location
        self.width = len(header)
        positions: dict[str, int] = {}
        for n, name in enumerate(header):
            positions.setdefault(name, n)
        self.positions = positions
        base = mapping.marking if mapping.marking != Marking() or default_marking is None else default_marking
        self.marking = base.with_groups([owner_group]) if owner_group else base
        self.key_pos = [positions[c] for c in mapping.record_key]
        self.fallback = mapping.record_key_fallback
        self.mapped_pos = [positions[c] for c in mapping.columns]
        self.occurrences: dict[str, int] = {}
        self._caches: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.entities: list[_Entity] = []
        self.all_values: list[_Value] = []
        for e in mapping.entities:
            emark = _resolve(e.marking, base, owner_group)
            ekind = e.kind or mapping.kind
            values = [self._value(p, f"{e.id}.{p.name}", emark, ekind, owner_group) for p in e.properties]
            self.entities.append(
                _Entity(
                    e.id, e.schema.name, [positions[c] for c in e.key] if e.key else None, e.key_suffix,
                    [positions[c] for c in e.skip_if_empty], values, emark, ekind,
                )
            )
        self.links: list[_Link] = []
        for n, lk in enumerate(mapping.links):
            lmark = _resolve(lk.marking, base, owner_group)
            lkind = lk.kind or mapping.kind
            where = f"links[{n}]:{lk.schema.name}"
            values = [self._value(p, f"{where}.{p.name}", lmark, lkind, owner_group) for p in lk.properties]
            bounds: list[_Value | None] = []
            for label, spec in (("valid_from", lk.valid_from), ("valid_to", lk.valid_to)):
                if spec is None:
                    bounds.append(None)
                    continue
                prop = Property(name=label, type_name="datetime", label=label)
                v = _Value(spec, prop, positions, f"{where}.{label} <- {spec.label}", lmark, lkind, self._caches)
                self.all_values.append(v)
                bounds.append(v)
            self.links.append(_Link(lk.schema.name, lk.source, lk.target, values, bounds[0], bounds[1], lmark, lkind))
        self.primary = next((e.id for e in self.entities if e.key_pos is None), self.entities[0].id)
        self.markings: dict[str, dict[str, Any]] = {}
        self._memo: dict[str, tuple[str | None, ...]] = {}
        for m in [self.marking] + [e.marking for e in self.entities] + [lk.marking for lk in self.links] + [
            v.marking for v in self.all_values
        ]:
            self.markings.setdefault(m.id, marking_row(m))

    def _value(self, p: PropertySpec, where: str, parent: Marking, kind: str, owner_group: str) -> _Value:
        marking = _resolve(p.value.marking, parent, owner_group) if p.value.marking is not None else parent
        v = _Value(p.value, p.prop, self.positions, f"{where} <- {p.value.label}", marking, p.value.kind or kind, self._caches)
        self.all_values.append(v)
        return v

    def new_batch(self, number: int) -> IngestBatch:
        """An empty batch carrying this mapping's markings."""
        self._memo = {}
        return IngestBatch(number=number, markings=dict(self.markings))

    def field_stats(self) -> dict[str, list[Any]]:
        """Counters of every mapped value since the last call (then reset)."""
        out: dict[str, list[Any]] = {}
        for v in self.all_values:
            schema = ""
            if "." in v.field and not v.field.startswith("links["):
                local = v.field.split(".", 1)[0]
                schema = next((e.schema for e in self.entities if e.id == local), "")
            elif v.field.startswith("links["):
                schema = v.field.split(":", 1)[1].split(".", 1)[0]
            out[v.field] = [schema, v.name, v.prop.type_name, *v.counts]
            v.counts = [0, 0, 0, 0]
        return out

    def _record_key(self, row: Sequence[Any]) -> str | None:
        parts = [(row[p] or "").strip() for p in self.key_pos]
        if parts and all(parts):
            return "|".join(parts)
        if self.fallback is None or any(parts):
            return None
        content = "\x1f".join((row[p] or "").strip() for p in self.mapped_pos)
        digest = hashlib.sha1(content.encode("utf-8"), usedforsecurity=False).hexdigest()[:20]
        n = self.occurrences.get(digest, 0) + 1
        self.occurrences[digest] = n
        return f"#{digest}:{n}"

    def add(self, batch: IngestBatch, row_no: int, row: Sequence[Any]) -> list[Rejection]:
        """Transform one row into ``batch``; return its rejections and warnings (see :meth:`add_rows`)."""
        return self.add_rows(batch, [(row_no, row)])

    def add_rows(self, batch: IngestBatch, records: Sequence[tuple[int, Sequence[Any]]]) -> list[Rejection]:
        """Transform rows into ``batch`` a column at a time; return their problems in row order.

        A row with any rejection adds nothing; warnings (values dropped under
        ``on_invalid: drop``) leave the rest of the row in. The outcome is the same as
        adding the rows one at a time: each value column is read and normalised in one
        pass (repeated raw values cost a dictionary lookup), then the rows that passed
        are turned into store rows, one column at a time.
        """
        batch.rows_read += len(records)
        loc = self.location
        width = self.width
        early: list[tuple[int, list[Rejection]]] = []
        rows: list[Sequence[Any]] = []
        nos: list[int] = []
        keys: list[str] = []
        place: list[int] = []
        for n, (row_no, row) in enumerate(records):
            parse_error = is_parse_error(list(row)) if len(row) == 1 else None
            if parse_error is not None or len(row) != width:
                reason = parse_error or f"expected {width} fields, found {len(row)}"
                early.append((n, [Rejection(loc, row_no, "", _clip(",".join(str(v) for v in row if v is not None)), reason)]))
                continue
            record_key = self._record_key(row)
            if record_key is None:
                empty = [c for c, p in zip(self.mapping.record_key, self.key_pos, strict=True) if not (row[p] or "").strip()]
                early.append((n, [Rejection(loc, row_no, ", ".join(empty), "", "missing record key")]))
                continue
            rows.append(row)
            nos.append(row_no)
            keys.append(record_key)
            place.append(n)
        batch.rows_rejected += len(early)
        m = len(rows)
        bad = bytearray(m)
        # per entity: its id in each row (None: skipped, or nothing stated), the problems of
        # its values per row (with the value they belong to), and each value's column
        plans = [self._entity_column(ent, rows, keys, nos, bad) for ent in self.entities]
        made = {ent.id: plan.made for ent, plan in zip(self.entities, plans, strict=True)}
        link_rows, link_problems = self._link_columns(rows, keys, nos, made, bad)

        # Rows in order: an entity shared by many rows (a map point) whose raw values equal
        # those of an earlier kept row of this batch has its statements there already.
        memo = self._memo
        hits: list[bytearray | None] = []
        for plan in plans:
            if plan.raws is None:
                hits.append(None)
                continue
            hit = bytearray(m)
            eids, raws = plan.made, plan.raws
            for i in range(m):
                eid = eids[i]
                if eid is None:
                    continue
                seen = raws[i]
                if memo.get(eid) == seen:
                    hit[i] = 1
                    for v, _ in plan.problems.get(i, ()):
                        # a value dropped with a warning here was counted (and reported) once already
                        v.counts[2] -= 1
                        v.counts[3] -= 1
                elif not bad[i]:
                    memo[eid] = seen
            hits.append(hit)

        problems: list[tuple[int, list[Rejection]]] = list(early)
        for i in range(m):
            found: list[Rejection] = []
            for plan, skipped in zip(plans, hits, strict=True):
                if i in plan.problems and (skipped is None or not skipped[i]):
                    found.extend(r for _, r in plan.problems[i])
            if i in link_problems:
                found.extend(link_problems[i])
            if found:
                problems.append((place[i], found))
                if not bad[i]:
                    batch.warnings += len(found)
        batch.rows_rejected += sum(bad)

        be = batch.entities
        bs = batch.statements
        for ent, plan, skipped in zip(self.entities, plans, hits, strict=True):
            schema, marking_id = ent.schema, ent.marking_id
            emit = [
                (i, eid) for i, eid in enumerate(plan.made) if eid is not None and not bad[i] and (skipped is None or not skipped[i])
            ]
            ekeys = plan.keys
            for i, eid in emit:
                if eid not in be:
                    be[eid] = (eid, schema, ekeys[i] or "", marking_id)
            for v, column in zip(ent.values, plan.columns, strict=True):
                prefix, name, kind, vmark = v.prefix, v.name, v.kind, v.marking_id
                for i, eid in emit:
                    cell = column[i]
                    if cell is None:
                        continue
                    value, match_key, original = cell
                    sid = sha1(("s\x1f" + eid + prefix + value).encode(), usedforsecurity=False).hexdigest()
                    if sid not in bs:
                        bs[sid] = (sid, eid, schema, name, value, original, match_key, keys[i], kind, vmark)
        bl = batch.links
        for found_links in link_rows:
            for i, lrow in found_links:
                if not bad[i]:
                    bl[lrow[0]] = lrow
        primary = made[self.primary]
        batch.primary.extend(eid for i, eid in enumerate(primary) if eid is not None and not bad[i])
        problems.sort(key=lambda item: item[0])
        return [r for _, found in problems for r in found]

    def _entity_column(self, ent: _Entity, rows: list[Sequence[Any]], keys: list[str], nos: list[int],
                       bad: bytearray) -> _Column:
        """One entity over the rows: ids, normalised values and problems (``bad`` marks rejected rows)."""
        m = len(rows)
        loc = self.location
        if ent.key_pos is None:
            ekeys: list[str | None] = [k + ent.key_suffix for k in keys]
        else:
            kp = ent.key_pos
            if len(kp) == 1:
                p = kp[0]
                ekeys = [(row[p] or "").strip() for row in rows]
            else:
                ekeys = ["|".join((row[p] or "").strip() for p in kp) for row in rows]
            ekeys = [k if k.strip("|") else None for k in ekeys]  # type: ignore[union-attr]
        if ent.skip_pos:
            sp = ent.skip_pos
            ekeys = [
                k if k is not None and any((row[p] or "").strip() for p in sp) else None
                for k, row in zip(ekeys, rows, strict=True)
            ]
        make = id_maker("e", self.source, ent.schema)
        eids = [None if k is None else make(k) for k in ekeys]
        live = [i for i in range(m) if eids[i] is not None]
        stated = bytearray(m)
        problems: dict[int, list[tuple[_Value, Rejection]]] = {}
        columns: list[list[tuple[str, str, str] | None]] = []
        raw_columns: list[list[str | None]] = []
        for v in ent.values:
            raws = _raw_column(v, rows)
            raw_columns.append(raws)
            column: list[tuple[str, str, str] | None] = [None] * m
            cache_get = v.cache.get
            clean = v.clean
            seen = empty = invalid = dropped = 0
            for i in live:
                raw = raws[i]
                if raw is None:
                    empty += 1
                    if v.required:
                        problems.setdefault(i, []).append((v, Rejection(loc, nos[i], v.label, "", f"{v.target} is required but empty")))
                        bad[i] = 1
                    continue
                seen += 1
                hit = cache_get(raw)
                value, match_key = hit if hit is not None else clean(raw)
                if value is _INVALID:
                    invalid += 1
                    if v.on_invalid == "drop":
                        dropped += 1
                        problems.setdefault(i, []).append(
                            (v, Rejection(loc, nos[i], v.label, _clip(raw), f"{match_key}; value dropped", "warning"))
                        )
                    else:
                        problems.setdefault(i, []).append((v, Rejection(loc, nos[i], v.label, _clip(raw), str(match_key))))
                        bad[i] = 1
                    continue
                column[i] = (value, match_key, raw)
                stated[i] = 1
            counts = v.counts
            counts[0] += seen
            counts[1] += empty
            counts[2] += invalid
            counts[3] += dropped
            columns.append(column)
        made = [eid if stated[i] else None for i, eid in enumerate(eids)]
        raws_per_row = list(zip(*raw_columns, strict=True)) if ent.key_pos is not None and raw_columns else None
        if ent.key_pos is not None and not raw_columns:
            raws_per_row = [()] * m
        return _Column(made, ekeys, columns, problems, raws_per_row)

    def _link_columns(self, rows: list[Sequence[Any]], keys: list[str], nos: list[int], made: dict[str, list[str | None]],
                      bad: bytearray) -> tuple[list[list[tuple[int, LinkRow]]], dict[int, list[Rejection]]]:
        """The links of the rows whose two ends were made, and their problems per row."""
        loc = self.location
        out: list[list[tuple[int, LinkRow]]] = []
        problems: dict[int, list[Rejection]] = {}
        for lk in self.links:
            found: list[tuple[int, LinkRow]] = []
            out.append(found)
            make = id_maker("l", self.source, lk.schema)
            for i, (src, dst) in enumerate(zip(made[lk.source], made[lk.target], strict=True)):
                if src is None or dst is None:
                    continue
                row = rows[i]
                props: list[str] = []
                skip = False
                for v in lk.values:
                    raw = v.get(row)
                    if raw is None:
                        v.counts[1] += 1
                        if v.required:
                            problems.setdefault(i, []).append(Rejection(loc, nos[i], v.label, "", f"{v.target} is required but empty"))
                            skip = True
                        props.append("")
                        continue
                    v.counts[0] += 1
                    value, reason = v.clean(raw)
                    if value is _INVALID:
                        v.counts[2] += 1
                        if v.on_invalid == "drop":
                            v.counts[3] += 1
                            problems.setdefault(i, []).append(
                                Rejection(loc, nos[i], v.label, _clip(raw), f"{reason}; value dropped", "warning")
                            )
                            props.append("")
                            continue
                        problems.setdefault(i, []).append(Rejection(loc, nos[i], v.label, _clip(raw), str(reason)))
                        skip = True
                        continue
                    props.append(value)
                bounds: list[str | None] = []
                for bound in (lk.valid_from, lk.valid_to):
                    if bound is None:
                        bounds.append(None)
                        continue
                    raw = bound.get(row)
                    if raw is None:
                        bound.counts[1] += 1
                        if bound.required:
                            problems.setdefault(i, []).append(
                                Rejection(loc, nos[i], bound.label, "", f"{bound.target} is required but empty")
                            )
                            skip = True
                        bounds.append(None)
                        continue
                    bound.counts[0] += 1
                    value, reason = bound.clean(raw)
                    if value is _INVALID:
                        bound.counts[2] += 1
                        if bound.on_invalid == "drop":
                            bound.counts[3] += 1
                            problems.setdefault(i, []).append(
                                Rejection(loc, nos[i], bound.label, _clip(raw), f"{reason}; value dropped", "warning")
                            )
                            bounds.append(None)
                            continue
                        problems.setdefault(i, []).append(Rejection(loc, nos[i], bound.label, _clip(raw), str(reason)))
                        skip = True
                        continue
                    bounds.append(value)
                if skip:
                    bad[i] = 1
                    continue
                key_props = tuple(props)
                props_json = lk.props_cache.get(key_props)
                if props_json is None:
                    props_json = json.dumps(
                        {v.name: p for v, p in zip(lk.values, props, strict=True) if p}, sort_keys=True, ensure_ascii=False
                    )
                    if len(lk.props_cache) < CACHE_LIMIT:
                        lk.props_cache[key_props] = props_json
                lid = make(src, dst, keys[i])
                found.append((i, (lid, lk.schema, src, dst, props_json, bounds[0], bounds[1], keys[i], lk.kind, lk.marking_id)))
        return out, problems


LinkRow = tuple[str, str, str, str, str, str | None, str | None, str, str, str]


@dataclass
class _Column:
    """One entity over a run of rows (see :meth:`RowTransformer.add_rows`)."""

    #: the entity's id per row, None where skipped or where no value was stated
    made: list[str | None]
    #: the entity's key per row
    keys: list[str | None]
    #: per value: (value, match key, raw) per row, None where empty or invalid
    columns: list[list[tuple[str, str, str] | None]]
    #: row -> the problems of its values, with the value each belongs to
    problems: dict[int, list[tuple[_Value, Rejection]]]
    #: a keyed entity's raw values per row (compared with earlier rows), else None
    raws: list[tuple[str | None, ...]] | None


def _raw_column(v: _Value, rows: list[Sequence[Any]]) -> list[str | None]:
    """The raw text of a value in each row (None when empty)."""
    pos = v.pos
    if pos < 0:
        get = v.get
        return [get(row) for row in rows]
    cells = [row[pos] for row in rows]
    return [(raw.strip() or None) if raw else None for raw in cells]


__all__ = ["RECORD_KEY_FIELD", "Rejection", "RowTransformer", "marking_row"]
