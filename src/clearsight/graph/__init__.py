"""Link analysis over resolved entities: neighbourhoods, paths with evidence, measures,
communities, co-offending, and exports an analyst can use.

Public surface:
- :func:`neighbours`, :func:`path`, :func:`network_measures`, :func:`network_communities`,
  :func:`co_offending` (governed, audited consultations returning :class:`Network`,
  :class:`PathResult` or :class:`CommunityReport`)
- :func:`export` (an audited disclosure) and :data:`FORMATS`
- :class:`GraphCache`: built graphs per viewer and data version, in memory and on disk
"""

from clearsight.graph.build import GraphCache, ViewGraph
from clearsight.graph.export import FORMATS, export
from clearsight.graph.service import (
    CommunityReport,
    Network,
    PathResult,
    co_offending,
    neighbours,
    network_communities,
    network_measures,
    path,
)

__all__ = [
    "FORMATS",
    "CommunityReport",
    "GraphCache",
    "Network",
    "PathResult",
    "ViewGraph",
    "co_offending",
    "export",
    "neighbours",
    "network_communities",
    "network_measures",
    "path",
]
