"""Security markings (ACC-1, ACC-2, ACC-4).

A marking is a classification tier (OFFICIAL, OFFICIAL-SENSITIVE, SECRET, TOP SECRET) plus
optional descriptors, handling caveats and need-to-know groups. An item is visible to a
viewer when all three hold:

- the viewer's clearance is at least the item's tier;
- the item names no groups, or the viewer holds at least one of them (need-to-know:
  a case, team or compartment);
- the viewer holds every caveat (handling condition) of the item.

Markings are stored once each in the ``markings`` table and referenced by id, so the
store filters by the set of marking ids a viewer may see.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from clearsight.errors import InvalidValue

TIERS: tuple[str, ...] = ("OFFICIAL", "OFFICIAL-SENSITIVE", "SECRET", "TOP SECRET")
LEVEL = {name: n for n, name in enumerate(TIERS)}
_ALIASES = {"OS": "OFFICIAL-SENSITIVE", "OFFICIAL SENSITIVE": "OFFICIAL-SENSITIVE", "TOP-SECRET": "TOP SECRET"}
#: a caveat of this form is satisfied by holding the group named after the colon
GROUP_CAVEAT = "NTK:"


def tier(name: str) -> str:
    """Canonical tier name; unknown tiers are an error (ACC-1)."""
    key = " ".join(str(name).strip().upper().split())
    key = _ALIASES.get(key, key)
    if key not in LEVEL:
        raise InvalidValue("classification", name, f"must be one of {', '.join(TIERS)}")
    return key


def _labels(values: Iterable[str] | str | None) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        values = [v for v in values.split(",")]
    out = {" ".join(str(v).strip().split()) for v in values}
    return tuple(sorted(v for v in out if v))


@dataclass(frozen=True)
class Marking:
    """A classification with descriptors, caveats and need-to-know groups."""

    classification: str = "OFFICIAL"
    descriptors: tuple[str, ...] = ()
    caveats: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()

    @classmethod
    def make(
        cls,
        classification: str = "OFFICIAL",
        descriptors: Iterable[str] | str | None = None,
        caveats: Iterable[str] | str | None = None,
        groups: Iterable[str] | str | None = None,
    ) -> Marking:
        return cls(tier(classification), _labels(descriptors), _labels(caveats), _labels(groups))

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | str | None, default: Marking | None = None) -> Marking:
        """Build from a mapping (``classification``, ``descriptors``, ``caveats``, ``groups``)."""
        base = default or cls()
        if raw is None:
            return base
        if isinstance(raw, str):
            return cls.make(raw, base.descriptors, base.caveats, base.groups)
        return cls.make(
            raw.get("classification", base.classification),
            raw.get("descriptors", base.descriptors),
            raw.get("caveats", base.caveats),
            raw.get("groups", base.groups),
        )

    @property
    def level(self) -> int:
        return LEVEL[self.classification]

    @property
    def id(self) -> str:
        text = "|".join(
            [self.classification, ",".join(self.descriptors), ",".join(self.caveats), ",".join(self.groups)]
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    def with_groups(self, groups: Iterable[str]) -> Marking:
        return Marking.make(self.classification, self.descriptors, self.caveats, [*self.groups, *groups])

    def label(self) -> str:
        """The marking as a person reads it, e.g. ``OFFICIAL-SENSITIVE [PERSONAL] caveats: X``."""
        parts = [self.classification]
        if self.descriptors:
            parts.append("[" + ", ".join(self.descriptors) + "]")
        if self.caveats:
            parts.append("caveats: " + ", ".join(self.caveats))
        if self.groups:
            parts.append("need-to-know: " + ", ".join(self.groups))
        return " ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "classification": self.classification,
            "descriptors": list(self.descriptors),
            "caveats": list(self.caveats),
            "groups": list(self.groups),
        }


def visible(marking: Marking, *, clearance: str, groups: Iterable[str], caveats: Iterable[str]) -> bool:
    """The reference visibility predicate (ACC-2)."""
    held_groups = set(groups)
    held_caveats = set(caveats)
    if marking.level > LEVEL[tier(clearance)]:
        return False
    if marking.groups and not held_groups.intersection(marking.groups):
        return False
    for caveat in marking.caveats:
        if caveat.startswith(GROUP_CAVEAT):
            if caveat[len(GROUP_CAVEAT) :] not in held_groups:
                return False
        elif caveat not in held_caveats:
            return False
    return True


def combine(markings: Iterable[Marking]) -> Marking:
    """The marking of a product derived from several inputs (ACC-4).

    The highest tier, the union of descriptors and caveats. Need-to-know groups carry
    over when every input names the same groups; otherwise every group named becomes a
    caveat the viewer must hold, which is never weaker than the inputs' own conditions.
    """
    items = list(markings)
    if not items:
        return Marking()
    top = max(items, key=lambda m: m.level).classification
    descriptors = {d for m in items for d in m.descriptors}
    caveats = {c for m in items for c in m.caveats}
    group_sets = {m.groups for m in items if m.groups}
    groups: tuple[str, ...] = ()
    if len(group_sets) == 1:
        groups = next(iter(group_sets))
    elif group_sets:
        caveats |= {GROUP_CAVEAT + g for gs in group_sets for g in gs}
    return Marking.make(top, descriptors, caveats, groups)


__all__ = ["GROUP_CAVEAT", "LEVEL", "TIERS", "Marking", "combine", "tier", "visible"]
