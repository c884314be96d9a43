"""Resolve a schema's records into canonical entities: the service the CLI, API and demo call.

:func:`resolve` reads the records through the governance gateway (purpose-bound and
audited), links strong identifiers, scores pairs with the schema's Splink model (trained
on the run, or the stored one for an incremental run), stores the pairs with their
explanations, clusters with the live human judgements on top, and writes only the cluster
rows that changed. Every merge and split is an audit "combination" entry with its inputs,
the model version and the score, or the rule (LOG-5). Scores are assessments (DSR-2).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from itertools import repeat
from typing import Any

import pandas as pd
import pyarrow as pa

from clearsight.errors import NotFound, ResolutionError
from clearsight.governance import audit
from clearsight.governance.context import Context
from clearsight.governance.gateway import Governance, Operation
from clearsight.resolution.cluster import (
    Attributes,
    ClusterChange,
    Edge,
    JudgementRule,
    Membership,
    changes,
    cluster_records,
)
from clearsight.resolution.deterministic import kept_apart, rare_forename
from clearsight.resolution.model import (
    ASSESSMENT_NOTE,
    EngineOptions,
    ResolutionEngine,
    normalise_identifier,
)
from clearsight.resolution.settings import ResolutionSpec, Thresholds, spec_for, splink_settings
from clearsight.store import queries
from clearsight.store import resolution_store as rs
from clearsight.store.ids import make_id

#: merges and splits listed per audit entry (a run writes as many entries as it needs)
CHANGES_PER_AUDIT_ENTRY = 500

Progress = Callable[[str, float], None]


def _no_progress(step: str, fraction: float) -> None:
    return None


@dataclass
class ResolveSummary:
    """What a resolution run did."""

    schema: str
    mode: str
    model_version: str | None
    records: int
    new_records: int
    pairs: dict[str, int]
    clusters: int
    clustered_records: int
    merges: int
    splits: int
    thresholds: dict[str, float]
    metrics: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    note: str = "Match scores and clusters are a model's assessments, not facts (DSR-2); a person's judgement overrides them."

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def pair_id(schema: str, left_id: str, right_id: str) -> str:
    """The stored id of a pair (order-free)."""
    a, b = sorted((left_id, right_id))
    return make_id("pair", schema, a, b)


def _model_version(schema: str, spec: ResolutionSpec, at: str) -> str:
    stamp = at.replace("-", "").replace(":", "").replace("T", "").split(".")[0]
    digest = hashlib.sha256(f"{schema}{at}{spec.version}".encode()).hexdigest()[:6]
    return f"{schema.lower()}-{stamp}-{digest}"


def _rules_version(spec: ResolutionSpec) -> str:
    return f"rules-{spec.version}"


def _memberships(rows: Mapping[str, rs.ClusterRow]) -> dict[str, Membership]:
    return {k: Membership(v.canonical_id, v.method, v.score) for k, v in rows.items()}


def _live_rules(judgements: Iterable[rs.JudgementRecord]) -> list[JudgementRule]:
    return [JudgementRule(j.left_id, j.right_id, j.judgement) for j in judgements if j.deleted_at is None]


def _edges_from(rows: Iterable[tuple[str, str, float, str, str]]) -> tuple[list[Edge], list[tuple[str, str]], dict[tuple[str, str], str]]:
    edges: list[Edge] = []
    blocked: list[tuple[str, str]] = []
    versions: dict[tuple[str, str], str] = {}
    for left, right, p, status, version in rows:
        if status == "blocked":
            blocked.append((left, right))
        elif status == "merge":
            method = "deterministic" if version.startswith("rules-") else "model"
            edges.append(Edge(left, right, p, method))
            versions[(left, right)] = version
    return edges, blocked, versions


def apply_clustering(
    op: Operation,
    *,
    spec: ResolutionSpec,
    edges: Sequence[Edge],
    blocked: Sequence[tuple[str, str]],
    judgements: Sequence[JudgementRule],
    identifiers: Mapping[str, Mapping[str, str]],
    attributes: Mapping[str, Attributes],
    old: Mapping[str, rs.ClusterRow],
    model_version: str | None,
    at: str,
    reason: Mapping[str, Any],
) -> list[ClusterChange]:
    """Cluster, write the rows that changed, and audit every merge and split.

    Args:
        op: the governed operation (its transaction and audit).
        spec: the schema's spec.
        edges, blocked, judgements, identifiers, attributes: the clustering input (see
            :func:`clearsight.resolution.cluster.cluster_records`).
        old: the current cluster rows of the records concerned.
        model_version: the model (or rules) version behind model edges.
        at: the time written on the rows.
        reason: what caused the change (a run, or a human judgement), copied to each audit entry.

    Returns:
        The merges and splits made.
    """
    new = cluster_records(
        edges, judgements, blocked=blocked, identifiers=identifiers, attributes=attributes,
        apart=kept_apart if spec.twin_rule else None,
    )
    return write_clustering(op, spec=spec, new=new, old=old, model_version=model_version, at=at, reason=reason)


def write_clustering(
    op: Operation,
    *,
    spec: ResolutionSpec,
    new: Mapping[str, Membership],
    old: Mapping[str, rs.ClusterRow],
    model_version: str | None,
    at: str,
    reason: Mapping[str, Any],
) -> list[ClusterChange]:
    """Write the cluster rows that changed from ``old`` to ``new`` and audit every merge and split (see :func:`apply_clustering`)."""
    old_m = _memberships(old)
    made = changes(old_m, new)
    rules = _rules_version(spec)
    versions = {"model": model_version, "human": None}
    rows = [
        (e, spec.schema, m.canonical_id, m.method, m.score, versions.get(m.method, rules), at)
        for e, m in new.items()
        if old_m.get(e) != m
    ]
    removed = [e for e in old_m if e not in new]
    op.write(rs.write_clusters, schema=spec.schema, remove=removed, rows=rows)
    for i in range(0, len(made), CHANGES_PER_AUDIT_ENTRY):
        batch = made[i : i + CHANGES_PER_AUDIT_ENTRY]
        subjects = sorted({m for c in batch for m in (*c.members, *c.previous)})
        op.write(
            audit.append,
            operation="combination",
            action=f"resolve.{spec.schema}.clusters",
            user=op.ctx.user,
            purpose=str(op.ctx.purpose) if op.ctx.purpose else "",
            component="resolution",
            client=op.ctx.client,
            subjects=subjects,
            details={
                **reason,
                "assessment": ASSESSMENT_NOTE,
                "changes": [
                    {"kind": c.kind, "canonical_id": c.canonical_id, "inputs": list(c.members), "previous": list(c.previous),
                     "method": c.method, "score": c.score,
                     "model_version": model_version if c.method == "model" else (_rules_version(spec) if c.method == "deterministic" else None)}
                    for c in batch
                ],
            },
        )
    op.record(sorted({m for c in made for m in c.members}))
    return made


def _visible_counts(op: Operation, new: Mapping[str, Membership], frame: pa.Table) -> tuple[int, int]:
    """(records in a cluster, clusters) among the visible records, as the stored rows now say.

    Every record of the run's frame is visible; the few clustered records outside it (the
    other side of a judgement, E-graded intelligence) are looked up.
    """
    read = set(frame.column("unique_id").to_pylist())
    outside = [e for e in new if e not in read]
    seen = read | {r.id for r in op.run(queries.entities, ids=outside)} if outside else read
    members = [m.canonical_id for e, m in new.items() if e in seen]
    return len(members), len(set(members))


def _pair_rows(schema: str, scored: pd.DataFrame, *, rules: str, version: str, at: str) -> list[tuple[Any, ...]]:
    """Stored pair rows (:data:`clearsight.store.resolution_store.PAIR_COLUMNS` order) of the scored pairs."""
    if scored.empty:
        return []
    left, right = scored["left_id"].tolist(), scored["right_id"].tolist()
    versions = [rules if m == "deterministic" else version for m in scored["method"].tolist()]
    return list(zip(
        [pair_id(schema, a, b) for a, b in zip(left, right, strict=True)], repeat(schema), left, right,
        scored["match_weight"].astype(float).tolist(), scored["match_probability"].astype(float).tolist(),
        scored["explanation"].tolist(), versions, scored["status"].tolist(), repeat(at),
    ))


def _frame(op: Operation, spec: ResolutionSpec, since: str | None, include_e_graded: bool) -> pa.Table:
    return op.run(rs.record_frame, schema=spec.schema, fields=spec.fields, since=since, exclude_e_graded=not include_e_graded).table


def resolve(
    gov: Governance,
    ctx: Context,
    *,
    schema: str = "Person",
    thresholds: Thresholds | None = None,
    options: EngineOptions | None = None,
    incremental: bool | None = None,
    include_e_graded: bool = False,
    progress: Progress = _no_progress,
) -> ResolveSummary:
    """Resolve the records of a schema into canonical entities.

    Args:
        gov: the governance gateway.
        ctx: who is resolving, and why (a purpose is required).
        schema: the schema to resolve (Person, Vehicle, Phone, Account).
        thresholds: merge threshold and review band (defaults: merge at 0.95, review 0.50-0.95).
        options: DuckDB memory limit and threads.
        incremental: True to match only records new or changed since the last run against
            the rest with the stored model; False to retrain and rescore everything; None
            (default) for incremental when a model and an earlier run exist.
        include_e_graded: let records from E-graded intelligence feed resolution (off by
            default, INT-3).
        progress: called with a step description and the fraction done.

    Returns:
        A :class:`ResolveSummary`.

    Raises:
        ResolutionError: bad thresholds, or too little data to build a model.
        PermissionDenied: no purpose, or the user may not do this.
    """
    spec = spec_for(schema)
    th = (thresholds or Thresholds()).validate()
    opts = (options or EngineOptions()).validate()
    started = audit.utc_now()
    with gov.operation(ctx, "combination", f"resolve.{schema}", component="resolution") as op:
        progress("reading records", 0.02)
        last = op.run(rs.last_run, schema=schema)
        stored = op.run(rs.active_model, schema=schema) if spec.model else None
        use_incremental = incremental if incremental is not None else bool(last and (stored or not spec.model))
        if use_incremental and spec.model and stored is None:
            raise ResolutionError(f"no stored {schema} model to resolve incrementally with; run a full resolution first")
        since = last["started_at"] if (use_incremental and last) else None
        frame = _frame(op, spec, since, include_e_graded)
        new_ids: list[str] | None = None
        if use_incremental:
            new_ids = frame.filter(frame.column("changed")).column("unique_id").to_pylist()
        engine = ResolutionEngine(spec, opts)
        try:
            engine.load(frame)
            metrics: dict[str, Any] = {}
            version: str = _rules_version(spec)
            if spec.model and engine.count >= 2 and (new_ids is None or new_ids):
                if use_incremental and stored is not None:
                    engine.use_model(stored.model)
                    version = stored.version
                else:
                    progress("training the model", 0.1)
                    trained = engine.train(lambda s: progress(s, 0.2))
                    version = _model_version(schema, spec, started)
                    metrics = trained.metrics
                    op.write(
                        rs.save_model, version=version, schema=schema, created_at=started, created_by=ctx.user,
                        settings={"spec": spec.version, "splink": splink_settings(spec, engine.present),
                                  "thresholds": th.as_dict()},
                        model=trained.model, metrics=metrics,
                    )
                progress("scoring pairs", 0.5)
                engine.score(th, new_ids=new_ids)
            elif spec.model and use_incremental and stored is not None:
                version = stored.version
            progress("applying rules", 0.7)
            old = op.run(rs.clusters, schema=schema)
            # an incremental run's pairs touch only new records: the clusters already stored
            # tell the cluster pass which names one cluster holds
            known = {e: row.canonical_id for e, row in old.items()} if new_ids is not None else None
            scored = engine.pairs(th, model_version=version, new_ids=new_ids, clusters=known) if engine.count else pd.DataFrame()
            pair_rows = _pair_rows(schema, scored, rules=_rules_version(spec), version=version, at=started)
            progress("storing pairs", 0.8)
            op.write(rs.replace_pairs, visible=op.visibility, schema=schema, rows=pair_rows, entity_ids=new_ids)
            progress("clustering", 0.9)
            if new_ids is None:
                edge_rows = [(r[2], r[3], r[5], r[8], r[7]) for r in pair_rows]
            else:
                edge_rows = op.run(rs.edges, schema=schema)
            edges, blocked, _ = _edges_from(edge_rows)
            judgements = op.run(rs.judgements, schema=schema)
            nodes = sorted({n for e in edges for n in (e.left_id, e.right_id)} | {n for j in judgements for n in (j.left_id, j.right_id)})
            identifiers = engine.identifiers(nodes) if spec.strong_identifiers else {}
            attributes = engine.attributes(nodes)
            new = cluster_records(
                edges, _live_rules(judgements), blocked=blocked, identifiers=identifiers, attributes=attributes,
                apart=kept_apart if spec.twin_rule else None,
            )
            made = write_clustering(
                op, spec=spec, new=new, old=old, model_version=version if spec.model else None, at=audit.utc_now(),
                reason={"cause": "resolution run", "mode": "incremental" if use_incremental else "full",
                        "thresholds": th.as_dict()},
            )
            status_counts = {str(k): int(v) for k, v in (scored["status"].value_counts().items() if not scored.empty else [])}
            clustered, n_clusters = _visible_counts(op, new, frame)
            summary = ResolveSummary(
                schema=schema, mode="incremental" if use_incremental else "full", model_version=version if spec.model else None,
                records=engine.count, new_records=len(new_ids) if new_ids is not None else engine.count, pairs=status_counts,
                clusters=n_clusters, clustered_records=clustered,
                merges=sum(1 for c in made if c.kind == "merge"), splits=sum(1 for c in made if c.kind == "split"),
                thresholds=th.as_dict(), metrics=metrics, timings={k: round(v, 2) for k, v in engine.timings.items()},
            )
            op.write(
                rs.record_run, run_id=make_id("run", schema, started, ctx.user), schema=schema, mode=summary.mode,
                model_version=summary.model_version, started_at=started, finished_at=audit.utc_now(), user=ctx.user,
                thresholds=th.as_dict(),
                summary={k: v for k, v in summary.as_dict().items() if k not in ("metrics", "note")},
            )
            op.note(schema=schema, mode=summary.mode, model_version=summary.model_version, records=summary.records,
                    pairs=status_counts, merges=summary.merges, splits=summary.splits, thresholds=th.as_dict(),
                    excluded="records from E-graded intelligence" if not include_e_graded else "none")
        finally:
            engine.close()
    progress("done", 1.0)
    return summary


@dataclass(frozen=True)
class ExportRow:
    """One source record and the canonical entity it belongs to."""

    source: str
    record_key: str
    entity_id: str
    canonical_id: str


def export(gov: Governance, ctx: Context, *, schema: str = "Person") -> list[ExportRow]:
    """Every visible source record of a schema with its canonical entity id (a disclosure, audited)."""
    spec_for(schema)
    with gov.operation(ctx, "disclosure", f"resolve.{schema}.export", component="resolution") as op:
        rows = op.run(rs.export_rows, schema=schema)
        op.record(r[0] for r in rows)
        op.note(schema=schema, rows=len(rows))
    return [ExportRow(source=r[1], record_key=r[2], entity_id=r[0], canonical_id=r[3]) for r in rows]


def models(gov: Governance, ctx: Context, *, schema: str | None = None) -> list[rs.ModelRecord]:
    """Stored models, newest first (no personal data: no purpose needed)."""
    with gov.operation(ctx, "consultation", "resolve.models", component="resolution", purpose_required=False) as op:
        return op.run(rs.models, schema=schema)


def require_entity(op: Operation, entity_id: str, schema: str) -> None:
    """Raise :class:`NotFound` unless the entity is visible and of the schema."""
    record = op.entity(entity_id)
    if record.schema != schema:
        raise NotFound(f"no {schema} record {entity_id!r}")


def identifiers_for(op: Operation, spec: ResolutionSpec, ids: Sequence[str]) -> dict[str, dict[str, str]]:
    """Strong identifier values (normalised) of the given records."""
    if not spec.strong_identifiers:
        return {}
    fields = {c: spec.fields[c] for c in spec.strong_identifiers}
    raw = op.run(rs.identifier_values, entity_ids=ids, fields=fields)
    out: dict[str, dict[str, str]] = {}
    for entity, values in raw.items():
        clean = {c: v for c, v in ((c, normalise_identifier(v)) for c, v in values.items()) if v}
        if clean:
            out[entity] = clean
    return out


def attributes_for(op: Operation, spec: ResolutionSpec, ids: Sequence[str]) -> dict[str, dict[str, str | None]]:
    """Forename (first word and whole, and whether its spelling is rare), surname, date of birth and gender of records, for the household and twin rules."""
    if not spec.twin_rule:
        return {}
    wanted = {c: spec.fields[c] for c in ("forename", "surname", "dob", "gender", "email") if c in spec.fields}
    raw = op.run(rs.identifier_values, entity_ids=ids, fields=wanted)
    out: dict[str, dict[str, str | None]] = {}
    for entity, values in raw.items():
        whole = (values.get("forename") or "").strip().lower()
        forename = whole.split(" ")[0] or None
        surname = (values.get("surname") or "").strip().lower() or None
        dob = values.get("dob")
        if forename and surname:
            gender = (values.get("gender") or "").strip().lower()
            out[entity] = {"forename": forename, "forename_joined": "".join(whole.split()), "surname": surname,
                           "dob": dob, "gender": gender if gender in ("male", "female", "other") else None,
                           "email": values.get("email")}
    if "forename" in wanted and out:
        total, counts = op.run(rs.value_counts, schema=spec.schema, prop=wanted["forename"],
                               values=sorted({str(a["forename"]) for a in out.values()}))
        for attrs in out.values():
            attrs["forename_rare"] = "rare" if rare_forename(counts.get(str(attrs["forename"]), 0), total) else None
    return out


__all__ = [
    "CHANGES_PER_AUDIT_ENTRY",
    "attributes_for",
    "ExportRow",
    "ResolveSummary",
    "apply_clustering",
    "export",
    "identifiers_for",
    "models",
    "pair_id",
    "require_entity",
    "resolve",
    "write_clustering",
]
