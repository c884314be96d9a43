"""Captions: how a record is named in lists, charts and exports, from visible values only."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from functools import lru_cache

from clearsight.governance.gateway import Operation
from clearsight.ontology import load_model
from clearsight.store import search_index as si


@lru_cache(maxsize=1)
def _caption_props() -> tuple[str, ...]:
    return tuple(sorted({c for s in load_model().entities for c in s.caption}))


def caption_props() -> list[str]:
    """Every property named as a caption by some schema."""
    return list(_caption_props())


def captions(op: Operation, canonical_ids: Sequence[str]) -> tuple[dict[str, str], dict[str, list[si.Member]]]:
    """Caption and visible members of each canonical entity (one query per operation).

    The caption is the first caption property (in the schema's order) with a visible
    value among the members, the alphabetically first such value; failing that, the
    schema name and the start of the id.
    """
    if not canonical_ids:
        return {}, {}
    model = load_model()
    rows = op.run(si.member_values, canonical_ids=list(canonical_ids), props=_caption_props())
    seen: dict[str, si.Member] = {}
    by_entity: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for r in rows:
        seen.setdefault(r.member.entity_id, r.member)
        if r.prop is not None and r.value is not None:
            by_entity[r.member.entity_id][r.prop].add(r.value)
    by_canonical: dict[str, list[si.Member]] = defaultdict(list)
    for m in sorted(seen.values(), key=lambda m: (m.canonical_id, m.entity_id)):
        by_canonical[m.canonical_id].append(m)
    out: dict[str, str] = {}
    for canonical, members in by_canonical.items():
        schema = model.get(members[0].schema)
        caption = ""
        for prop in schema.caption:
            found = sorted({x for m in members for x in by_entity[m.entity_id].get(prop, ())})
            if found:
                caption = found[0]
                break
        out[canonical] = caption or f"{schema.name} {canonical[:8]}"
    return out, dict(by_canonical)


__all__ = ["caption_props", "captions"]
