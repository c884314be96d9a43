"""What a viewer may see, in the terms the store can filter on.

A :class:`Visibility` is built only by the governance layer from a Context (a static test
checks this); every store query that returns personal data takes one, so no query can run
without having passed governance.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Visibility:
    """The marking ids and record states a viewer may see."""

    marking_ids: frozenset[str]
    states: frozenset[str] = frozenset({"active"})

    def sees(self, marking_id: str, state: str = "active") -> bool:
        return marking_id in self.marking_ids and state in self.states
