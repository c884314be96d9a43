"""The review queue and human judgements: a person decides, the decision sticks, and can be undone.

Pairs the model scored inside the review band wait here with their waterfall (what each
comparison contributed). A person decides 'same', 'not_same' or 'split' (take a record out
of its cluster), always with a reason; the judgement is stored with who and when, overrides
the model on every later run (ALG-5) and can be undone, which keeps the judgement with who
undid it and when. Each decision and each undo re-clusters only the records it touches and
is an audit "combination" entry with its inputs, the judgement and the pair's score and
model version (LOG-5).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from clearsight.errors import Conflict, InvalidData, NotFound, Problem
from clearsight.governance import audit
from clearsight.governance.context import Context
from clearsight.governance.gateway import Governance, Operation
from clearsight.governance.markings import Marking, combine
from clearsight.resolution.cluster import ClusterChange
from clearsight.resolution.model import ASSESSMENT_NOTE
from clearsight.resolution.service import (
    _edges_from,
    _live_rules,
    apply_clustering,
    attributes_for,
    identifiers_for,
    pair_id,
    require_entity,
)
from clearsight.resolution.settings import ResolutionSpec, spec_for
from clearsight.store import resolution_store as rs

JUDGEMENTS = ("same", "not_same", "split")
MIN_REASON = 5
#: how far a re-cluster after a decision follows merge edges (records), a guard on huge components
MAX_REGION = 50_000

#: properties shown beside a pair in the queue
SHOWN = ("name", "forename", "surname", "birthDate", "gender", "address", "postcode", "pncId", "phone")


@dataclass
class ReviewItem:
    """A pair waiting for (or given) a decision, with what the model saw."""

    pair: rs.PairRecord
    left: dict[str, list[str]] = field(default_factory=dict)
    right: dict[str, list[str]] = field(default_factory=dict)
    judgements: list[rs.JudgementRecord] = field(default_factory=list)
    note: str = ASSESSMENT_NOTE
    marking: str = "OFFICIAL"

    def as_dict(self, *, detail: bool = False) -> dict[str, Any]:
        """The item as the faces show it; ``detail`` adds the pair's ids, status and judgements."""
        out: dict[str, Any] = {"pair": self.pair.id, "probability": self.pair.match_probability,
                               "weight": self.pair.match_weight, "left": self.left, "right": self.right,
                               "waterfall": self.waterfall(), "note": self.note, "marking": self.marking}
        if detail:
            out.update(left_id=self.pair.left_id, right_id=self.pair.right_id, status=self.pair.status,
                       model_version=self.pair.model_version, judgements=[j.__dict__ for j in self.judgements])
        return out

    def waterfall(self) -> list[tuple[str, str, float]]:
        """(comparison, level, match weight) rows, the prior first."""
        expl = self.pair.explanation
        model = expl.get("model") if expl.get("kind") == "rule" else expl
        rows: list[tuple[str, str, float]] = []
        if isinstance(model, dict):
            rows.append(("prior", "two random records", float(model.get("prior", 0.0))))
            for name, value in (model.get("comparisons") or {}).items():
                rows.append((name, str(value[0]), float(value[1])))
        if expl.get("kind") == "rule":
            rows.append(("rule", str(expl.get("rule", "")), 0.0))
        return rows


@dataclass(frozen=True)
class Decision:
    """A stored judgement (or undo) and what it changed."""

    judgement_id: int
    judgement: str
    left_id: str
    right_id: str
    changes: list[ClusterChange]
    undone: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"judgement_id": self.judgement_id, "judgement": self.judgement, "left_id": self.left_id,
                "right_id": self.right_id, "undone": self.undone, "changes": [c.__dict__ for c in self.changes]}


def _values(op: Operation, ids: Sequence[str]) -> tuple[dict[str, dict[str, list[str]]], dict[str, set[str]]]:
    """The shown values of each record, and the markings of those values."""
    out: dict[str, dict[str, list[str]]] = {i: {} for i in ids}
    marks: dict[str, set[str]] = {i: set() for i in ids}
    for s in op.statements(ids, props=list(SHOWN)):
        out[s.entity_id].setdefault(s.prop, []).append(s.value)
        marks[s.entity_id].add(s.marking_id)
    return out, marks


def _pair_marking(op: Operation, marks: dict[str, set[str]], *ids: str) -> str:
    """The marking of what is shown of a pair: the highest of both records' values (ACC-4)."""
    found = [op.marking(m) for i in ids for m in sorted(marks.get(i, ()))]
    return combine(found).label() if found else Marking().label()


def queue(gov: Governance, ctx: Context, *, schema: str = "Person", limit: int = 50) -> list[ReviewItem]:
    """Pairs in the review band without a live judgement, most likely first, with both records' values."""
    spec_for(schema)
    with gov.operation(ctx, "consultation", f"review.{schema}.list", component="resolution") as op:
        pairs = op.run(rs.pairs, schema=schema, status="review", exclude_judged=True, limit=limit)
        values, marks = _values(op, sorted({i for p in pairs for i in (p.left_id, p.right_id)}))
        op.note(schema=schema, shown=len(pairs))
        return [ReviewItem(pair=p, left=values.get(p.left_id, {}), right=values.get(p.right_id, {}),
                           marking=_pair_marking(op, marks, p.left_id, p.right_id)) for p in pairs]


def show(gov: Governance, ctx: Context, *, pair: str, schema: str = "Person") -> ReviewItem:
    """One pair: its scores, waterfall, both records' values and its judgements (live and undone)."""
    with gov.operation(ctx, "consultation", f"review.{schema}.show", component="resolution") as op:
        found = op.run(rs.pair, pair_id=pair)
        if found is None:
            raise NotFound(f"no scored pair {pair!r}")
        values, marks = _values(op, [found.left_id, found.right_id])
        marking = _pair_marking(op, marks, found.left_id, found.right_id)
        judged = [
            j
            for j in op.run(rs.judgements, schema=found.schema, live=False, entity_ids=[found.left_id, found.right_id])
            if {j.left_id, j.right_id} == {found.left_id, found.right_id} or j.judgement == "split"
        ]
    return ReviewItem(pair=found, left=values.get(found.left_id, {}), right=values.get(found.right_id, {}), judgements=judged,
                      marking=marking)


def _region(op: Operation, spec: ResolutionSpec, seeds: Sequence[str]) -> set[str]:
    """The records whose clusters a judgement on ``seeds`` can change: follow merge edges and clusters."""
    region = set(seeds)
    frontier = set(seeds)
    while frontier and len(region) < MAX_REGION:
        found: set[str] = set()
        current = op.run(rs.clusters, schema=spec.schema, entity_ids=sorted(frontier))
        found.update(r.entity_id for r in op.run(rs.cluster_members, canonical_ids=sorted({c.canonical_id for c in current.values()})).values())
        for left, right, _p, status, _v in op.run(rs.edges, schema=spec.schema, entity_ids=sorted(frontier)):
            if status == "merge":
                found.update((left, right))
        for j in op.run(rs.judgements, schema=spec.schema, entity_ids=sorted(frontier)):
            if j.judgement == "same":
                found.update((j.left_id, j.right_id))
        frontier = found - region
        region |= found
    return region


def recluster(op: Operation, spec: ResolutionSpec, seeds: Sequence[str], *, reason: dict[str, Any]) -> list[ClusterChange]:
    """Re-cluster the records a judgement touches, write the changes and audit them."""
    region = sorted(_region(op, spec, seeds))
    rows = [r for r in op.run(rs.edges, schema=spec.schema, entity_ids=region) if r[0] in set(region) and r[1] in set(region)]
    edges, blocked, versions = _edges_from(rows)
    judgements = op.run(rs.judgements, schema=spec.schema, entity_ids=region)
    old = op.run(rs.clusters, schema=spec.schema, entity_ids=region)
    model_version = next((v for v in versions.values() if not v.startswith("rules-")), None)
    return apply_clustering(
        op, spec=spec, edges=edges, blocked=blocked, judgements=_live_rules(judgements),
        identifiers=identifiers_for(op, spec, region), attributes=attributes_for(op, spec, region), old=old, model_version=model_version, at=audit.utc_now(),
        reason=reason,
    )


def decide(
    gov: Governance,
    ctx: Context,
    *,
    judgement: str,
    reason: str,
    pair: str | None = None,
    left_id: str | None = None,
    right_id: str | None = None,
    schema: str = "Person",
) -> Decision:
    """Record a person's judgement on a pair (or a split of one record) and re-cluster.

    Args:
        gov: the governance gateway.
        ctx: the person deciding (who) and their purpose.
        judgement: 'same', 'not_same' or 'split'.
        reason: why (required; stored and audited).
        pair: a scored pair's id; or give ``left_id`` (and ``right_id`` for same/not_same).
        left_id: the first record (for 'split', the record to take out of its cluster).
        right_id: the second record.
        schema: the schema of the records.

    Raises:
        InvalidData: an unknown judgement, a missing reason or missing records.
        NotFound: a pair or record the user cannot see.
    """
    problems = []
    if judgement not in JUDGEMENTS:
        problems.append(Problem(f"judgement must be one of {', '.join(JUDGEMENTS)}", field="judgement", value=judgement))
    if len((reason or "").strip()) < MIN_REASON:
        problems.append(Problem(f"a reason of at least {MIN_REASON} characters is required", field="reason"))
    if pair is None and left_id is None:
        problems.append(Problem("give a pair id, or the record ids", field="pair"))
    if judgement in ("same", "not_same") and pair is None and right_id is None:
        problems.append(Problem(f"'{judgement}' needs two records", field="right_id"))
    if problems:
        raise InvalidData("the judgement cannot be recorded", problems)
    spec = spec_for(schema)
    with gov.operation(ctx, "combination", f"review.{schema}.{judgement}", component="resolution") as op:
        score: float | None = None
        version: str | None = None
        if pair is not None:
            found = op.run(rs.pair, pair_id=pair)
            if found is None:
                raise NotFound(f"no scored pair {pair!r}")
            left_id = left_id or found.left_id
            right_id = right_id or (found.right_id if left_id == found.left_id else found.left_id)
            score, version = found.match_probability, found.model_version
        assert left_id is not None
        require_entity(op, left_id, schema)
        if right_id is not None:
            require_entity(op, right_id, schema)
            if right_id == left_id:
                raise InvalidData("the judgement cannot be recorded", [Problem("a record cannot be judged against itself")])
        if judgement == "split":
            current = op.run(rs.clusters, schema=schema, entity_ids=[left_id]).get(left_id)
            if current is None:
                raise Conflict(f"record {left_id} is not in a cluster with others; there is nothing to split")
            right_id = right_id or current.canonical_id
        assert right_id is not None
        if pair is None and judgement != "split":
            found = op.run(rs.pair, pair_id=pair_id(schema, left_id, right_id))
            if found is not None:
                score, version = found.match_probability, found.model_version
        at = audit.utc_now()
        jid = op.write(
            rs.add_judgement, schema=schema, left_id=left_id, right_id=right_id, judgement=judgement, user=ctx.user,
            reason=reason.strip(), score=score, model_version=version, created_at=at,
        )
        made = recluster(
            op, spec, [left_id, right_id],
            reason={"cause": "human judgement", "judgement_id": jid, "judgement": judgement, "by": ctx.user,
                    "why": reason.strip(), "inputs": [left_id, right_id], "score": score, "model_version": version},
        )
        op.record([left_id, right_id])
        op.note(judgement_id=jid, judgement=judgement, inputs=[left_id, right_id], reason=reason.strip(), score=score,
                model_version=version, changes=len(made))
    return Decision(judgement_id=jid, judgement=judgement, left_id=left_id, right_id=right_id, changes=made)


def undo(gov: Governance, ctx: Context, *, judgement_id: int, reason: str, schema: str = "Person") -> Decision:
    """Undo a judgement (kept, marked undone by this user) and re-cluster the records it touched."""
    if len((reason or "").strip()) < MIN_REASON:
        raise InvalidData("the undo cannot be recorded", [Problem(f"a reason of at least {MIN_REASON} characters is required", field="reason")])
    spec = spec_for(schema)
    with gov.operation(ctx, "combination", f"review.{schema}.undo", component="resolution") as op:
        found = op.run(rs.judgement, judgement_id=judgement_id)
        if found is None or found.schema != schema:
            raise NotFound(f"no judgement {judgement_id}")
        if found.deleted_at is not None:
            raise Conflict(f"judgement {judgement_id} was already undone by {found.deleted_by} at {found.deleted_at}")
        op.write(rs.undo_judgement, judgement_id=judgement_id, user=ctx.user, at=audit.utc_now())
        made = recluster(
            op, spec, [found.left_id, found.right_id],
            reason={"cause": "judgement undone", "judgement_id": judgement_id, "judgement": found.judgement,
                    "by": ctx.user, "why": reason.strip(), "inputs": [found.left_id, found.right_id],
                    "score": found.score, "model_version": found.model_version},
        )
        op.record([found.left_id, found.right_id])
        op.note(undone=judgement_id, judgement=found.judgement, inputs=[found.left_id, found.right_id], reason=reason.strip(),
                score=found.score, model_version=found.model_version, changes=len(made))
    return Decision(judgement_id=judgement_id, judgement=found.judgement, left_id=found.left_id, right_id=found.right_id,
                    changes=made, undone=True)


__all__ = ["JUDGEMENTS", "Decision", "ReviewItem", "decide", "queue", "recluster", "show", "undo"]
