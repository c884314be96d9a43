"""Entity resolution: which source records are one person, vehicle, phone or account.

Splink (DuckDB backend, in process) scores pairs of Person records; strong identifiers link
records without a model and forbid merges when they conflict; the twin rule keeps
same-surname, same-birth-date people with different forenames apart. Clusters are the
connected components of merge edges after human judgements, which override the model and
can be undone. Scores are assessments, never facts (DSR-2).

Public surface:
- services: :func:`resolve` (-> :class:`ResolveSummary`), :func:`export`, :func:`models`;
  the review queue :func:`queue`, :func:`show`, :func:`decide`, :func:`undo`
- settings: :class:`ResolutionSpec`, :class:`Thresholds`, :data:`PERSON`, :func:`spec_for`
- model: :class:`ResolutionEngine`, :class:`EngineOptions`
- clustering: :func:`cluster_records`, :class:`Edge`, :class:`JudgementRule`, :class:`Membership`
- evaluation: :mod:`clearsight.resolution.evaluate`
"""

from clearsight.resolution.cluster import (
    ClusterChange,
    Edge,
    JudgementRule,
    Membership,
    changes,
    cluster_records,
)
from clearsight.resolution.deterministic import (
    forename_conflict,
    identifiers_conflict,
    twin_conflict,
)
from clearsight.resolution.model import EngineOptions, ResolutionEngine, TrainedModel
from clearsight.resolution.nicknames import are_variants, forename_groups
from clearsight.resolution.review import Decision, ReviewItem, decide, queue, show, undo
from clearsight.resolution.service import ExportRow, ResolveSummary, export, models, resolve
from clearsight.resolution.settings import PERSON, SPECS, ResolutionSpec, Thresholds, spec_for

__all__ = [
    "PERSON",
    "SPECS",
    "ClusterChange",
    "Decision",
    "Edge",
    "EngineOptions",
    "ExportRow",
    "JudgementRule",
    "Membership",
    "ResolutionEngine",
    "ResolutionSpec",
    "ResolveSummary",
    "ReviewItem",
    "Thresholds",
    "TrainedModel",
    "are_variants",
    "changes",
    "cluster_records",
    "decide",
    "export",
    "forename_conflict",
    "forename_groups",
    "identifiers_conflict",
    "models",
    "queue",
    "resolve",
    "show",
    "spec_for",
    "twin_conflict",
    "undo",
]
