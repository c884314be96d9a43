"""Pattern analysis: hotspots, forecasts, temporal profiles, near repeats and patrol allocation.

Every analysis is a pure function over a prepared events frame (:func:`prepare_events`)
and returns a result carrying an :class:`Explanation` (ALG-4).
"""

from clearsight.patterns.events import (
    EVENT_COLUMNS,
    EventSet,
    load_police_uk_csv,
    prepare_events,
    select_events,
)
from clearsight.patterns.explain import Explanation
from clearsight.patterns.gistar import GiStar, gi_star
from clearsight.patterns.grid import HexGrid, SquareGrid, make_tessellation
from clearsight.patterns.hotspots import HotspotResult, find_hotspots
from clearsight.patterns.kde import bandwidth_rule, kde_surface

__all__ = [
    "EVENT_COLUMNS",
    "EventSet",
    "Explanation",
    "GiStar",
    "HexGrid",
    "HotspotResult",
    "SquareGrid",
    "bandwidth_rule",
    "find_hotspots",
    "gi_star",
    "kde_surface",
    "load_police_uk_csv",
    "make_tessellation",
    "prepare_events",
    "select_events",
]
