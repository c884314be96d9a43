"""The explanation every pattern-analysis output carries (ALG-4).

An explanation says what was counted, against which baseline, over which period, from
which data, with which parameters, and what the data cannot say.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np


@dataclass
class Explanation:
    """Why an analytic output says what it says, and where it stops being reliable.

    Attributes:
        method: One line naming the method (e.g. "Getis-Ord Gi* on 250 m square cells").
        counts: Named counts behind the output (events used, dropped, cells, ...).
        baseline: What the output is compared against, in words (None when nothing is).
        period: The period the input covers, e.g. "2016-07" or "2016-07 to 2016-12".
        data_sources: Where the events came from (files, store queries).
        parameters: Every parameter that changes the answer.
        limits: What the data and method cannot say.
    """

    method: str
    counts: dict[str, int] = field(default_factory=dict)
    baseline: str | None = None
    period: str = ""
    data_sources: list[str] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    limits: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable copy."""
        return _jsonable(asdict(self))


def _jsonable(value: Any) -> Any:
    """Turn numpy scalars, tuples and paths into plain JSON types."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):
        try:
            return _jsonable(value.item())
        except (ValueError, TypeError):
            pass
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def jsonable(value: Any) -> Any:
    """Public form of the JSON conversion used by explanations and service results."""
    return _jsonable(value)
