"""Captions: how a record is named in lists, charts and exports, from visible values only."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from clearsight.governance.gateway import Operation
from clearsight.ontology import load_model
from clearsight.store import queries
from clearsight.store import search_index as si


def caption_props() -> list[str]:
    """Every property named as a caption by some schema."""
    return sorted({c for s in load_model().entities for c in s.caption})


def captions(op: Operation, canonical_ids: Sequence[str]) -> tuple[dict[str, str], dict[str, list[si.Member]]]:
    """Caption and visible members of each canonical entity.

    The caption is the first caption property (in the schema's order) with a visible
    value among the members, the alphabetically first such value; failing that, the
    schema name and the start of the id.
    """
    model = load_model()
    mem = op.run(si.members, canonical_ids=list(canonical_ids))
    by_canonical: dict[str, list[si.Member]] = defaultdict(list)
    for m in mem:
        by_canonical[m.canonical_id].append(m)
    values = op.run(queries.statements, entity_ids=[m.entity_id for m in mem], props=caption_props())
    by_entity: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for v in values:
        by_entity[v.entity_id][v.prop].append(v.value)
    out: dict[str, str] = {}
    for canonical, members in by_canonical.items():
        schema = model.get(members[0].schema)
        caption = ""
        for prop in schema.caption:
            found = sorted({x for m in members for x in by_entity[m.entity_id].get(prop, [])})
            if found:
                caption = found[0]
                break
        out[canonical] = caption or f"{schema.name} {canonical[:8]}"
    return out, dict(by_canonical)


__all__ = ["caption_props", "captions"]
