"""A canonical entity's profile: its values with their sources, its links and its timeline.

Everything comes from what the viewer may see: values from visible statements of visible
member records, links whose both ends and marking are visible. Each value keeps its
source, record key, fact/assessment tag (DSR-2) and marking; involvements show their
data-subject category per event (DSR-1); links from intelligence reports carry the
report's 3x5x2 grading (INT-3). A source entity id is accepted and resolved to its
canonical entity. Hidden and missing ids alike give :class:`NotFound` (ACC-3).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from clearsight.errors import NotFound
from clearsight.governance.context import Context
from clearsight.governance.gateway import Governance, Operation
from clearsight.governance.markings import Marking, combine
from clearsight.ontology import load_model
from clearsight.search.captions import captions
from clearsight.search.keys import day_key
from clearsight.store import queries
from clearsight.store import search_index as si

EVENT_SCHEMAS = ("Crime", "Incident", "StopSearch", "Custody", "ANPRRead", "Call")
EVENT_DATE_PROPS = ("occurredFrom", "month", "reportedAt")
GRADE_PROPS = ("sourceEvaluation", "intelligenceAssessment", "handlingCode")


@dataclass(frozen=True)
class ProfileValue:
    """One value of the entity, with where it came from."""

    prop: str
    label: str
    value: str
    source: str
    record_key: str
    entity_id: str
    kind: str
    marking: str
    first_seen: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class ProfileLink:
    """One link from or to the entity, with the other end as a canonical entity."""

    link_id: str
    schema: str
    label: str
    direction: str
    other_id: str
    other_schema: str
    other_caption: str
    valid_from: str | None
    valid_to: str | None
    source: str
    record_key: str
    kind: str
    marking: str
    category: str | None = None
    grading: dict[str, str] | None = None
    properties: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class TimelineEvent:
    """A dated event the entity is linked to (or is)."""

    date: str
    event_id: str
    schema: str
    caption: str
    via: str
    category: str | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Profile:
    """The profile of one canonical entity."""

    id: str
    schema: str
    caption: str
    members: tuple[str, ...]
    values: tuple[ProfileValue, ...]
    links: tuple[ProfileLink, ...]
    timeline: tuple[TimelineEvent, ...]
    marking: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "schema": self.schema,
            "caption": self.caption,
            "members": list(self.members),
            "marking": self.marking,
            "values": [v.as_dict() for v in self.values],
            "links": [lk.as_dict() for lk in self.links],
            "timeline": [e.as_dict() for e in self.timeline],
        }


def grades_of(op: Operation, report_ids: list[str]) -> dict[str, dict[str, str]]:
    """The visible 3x5x2 grading of each intelligence report (INT-3)."""
    out: dict[str, dict[str, str]] = defaultdict(dict)
    if report_ids:
        for v in op.run(queries.statements, entity_ids=report_ids, props=GRADE_PROPS):
            out[v.entity_id][v.prop] = v.value
    return {rid: dict(g) for rid, g in out.items()}


def event_dates(op: Operation, event_ids: list[str]) -> dict[str, str]:
    """The earliest visible date of each event (occurred, month or reported)."""
    found: dict[str, str] = {}
    if not event_ids:
        return found
    for v in op.run(queries.statements, entity_ids=event_ids, props=EVENT_DATE_PROPS):
        day = day_key(v.value)
        if day and (v.entity_id not in found or day < found[v.entity_id]):
            found[v.entity_id] = day
    return found


def profile(gov: Governance, ctx: Context, entity_id: str) -> Profile:
    """The profile of the canonical entity ``entity_id`` names (or a member of it names)."""
    model = load_model()
    with gov.operation(ctx, "consultation", "profile", component="search") as op:
        canonical = op.run(si.canonical_of, entity_id=entity_id)
        if canonical is None:
            raise NotFound(f"no entity {entity_id!r}")
        caption_of, members_of = captions(op, [canonical])
        members = members_of.get(canonical, [])
        if not members:
            raise NotFound(f"no entity {entity_id!r}")
        schema = model.get(members[0].schema)
        member_ids = [m.entity_id for m in members]
        stmts = op.run(queries.statements, entity_ids=member_ids)
        values = tuple(
            ProfileValue(
                prop=s.prop,
                label=schema.properties[s.prop].label if s.prop in schema.properties else s.prop,
                value=s.value,
                source=s.source,
                record_key=s.record_key,
                entity_id=s.entity_id,
                kind=s.kind,
                marking=op.marking(s.marking_id).label(),
                first_seen=s.first_seen,
            )
            for s in sorted(stmts, key=lambda s: (s.prop, s.value, s.source, s.record_key))
        )
        links = op.run(queries.links, entity_ids=member_ids)
        member_set = set(member_ids)
        others = sorted({lk.target_id if lk.source_id in member_set else lk.source_id for lk in links})
        canon = op.run(si.canonical_map, entity_ids=others)
        other_captions, other_members = captions(op, sorted(set(canon.values())))
        schema_of = {cid: ms[0].schema for cid, ms in other_members.items()}
        reports = sorted(
            {lk.source_id for lk in links if lk.source_id not in member_set and canon.get(lk.source_id) and schema_of.get(canon[lk.source_id]) == "IntelligenceReport"}
            | ({m.entity_id for m in members} if schema.name == "IntelligenceReport" else set())
        )
        grades = grades_of(op, reports)
        out_links: list[ProfileLink] = []
        for lk in links:
            outgoing = lk.source_id in member_set
            other = lk.target_id if outgoing else lk.source_id
            other_c = canon.get(other, other)
            link_schema = model.get(lk.schema)
            grading = grades.get(lk.source_id) if lk.source_id in grades else None
            out_links.append(
                ProfileLink(
                    link_id=lk.id,
                    schema=lk.schema,
                    label=link_schema.label,
                    direction="out" if outgoing else "in",
                    other_id=other_c,
                    other_schema=schema_of.get(other_c, ""),
                    other_caption=other_captions.get(other_c, ""),
                    valid_from=lk.valid_from,
                    valid_to=lk.valid_to,
                    source=lk.source,
                    record_key=lk.record_key,
                    kind=lk.kind,
                    marking=op.marking(lk.marking_id).label(),
                    category=lk.properties.get("category") if lk.schema == "Involvement" else None,
                    grading=grading,
                    properties=dict(lk.properties),
                )
            )
        out_links.sort(key=lambda x: (x.schema, x.other_caption, x.link_id))
        event_ids = sorted(
            {e for e in others if canon.get(e) and schema_of.get(canon[e]) in EVENT_SCHEMAS}
            | (set(member_ids) if schema.name in EVENT_SCHEMAS else set())
        )
        dates = event_dates(op, event_ids)
        timeline: list[TimelineEvent] = []
        ends_of: dict[str, list[str]] = defaultdict(list)
        for e in others:
            if e in canon:
                ends_of[canon[e]].append(e)
        for pl in out_links:
            if pl.other_schema in EVENT_SCHEMAS:
                day = min((dates[e] for e in ends_of[pl.other_id] if e in dates), default=None)
                if day:
                    timeline.append(TimelineEvent(day, pl.other_id, pl.other_schema, pl.other_caption, pl.schema, pl.category))
        if schema.name in EVENT_SCHEMAS:
            day = min((dates[m] for m in member_ids if m in dates), default=None)
            if day:
                timeline.append(TimelineEvent(day, canonical, schema.name, caption_of.get(canonical, ""), "self", None))
        timeline.sort(key=lambda e: (e.date, e.schema, e.event_id, e.via))
        marks = [op.marking(m.marking_id) for m in members] + [op.marking(s.marking_id) for s in stmts]
        marking = combine(marks) if marks else Marking()
        op.record([canonical, *member_ids])
        op.record(lk.id for lk in links)
        op.record(others)
        op.note(values=len(values), links=len(out_links), events=len(timeline))
    return Profile(
        id=canonical,
        schema=schema.name,
        caption=caption_of.get(canonical, ""),
        members=tuple(member_ids),
        values=values,
        links=tuple(out_links),
        timeline=tuple(timeline),
        marking=marking.label(),
    )


__all__ = ["Profile", "ProfileLink", "ProfileValue", "TimelineEvent", "event_dates", "grades_of", "profile"]
