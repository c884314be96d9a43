"""The Splink model, on DuckDB in process: load a frame, train, score, explain.

One :class:`ResolutionEngine` holds one run: a DuckDB connection (memory limit and threads
from the settings) with the run's records in a ``records`` table, derived columns added
(first forename, forename groups for nicknames, validated dates, identifiers in one
spelling). It trains a model (u by random sampling, m by expectation maximisation) or loads
a stored one, and scores candidate pairs, either all of them or only those that involve new
records (``predict_within`` the new records and ``predict_between`` new and existing), so an
ingest is resolved without re-running everything.

Every scored pair carries its waterfall: for each comparison, the level reached and the
match weight it contributed (``log2`` of its Bayes factor, term-frequency adjustment
included). The scores are a model's assessment, never facts (DSR-2).
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from splink import DuckDBAPI, Linker

from clearsight.errors import ResolutionError
from clearsight.ontology.types.names import GENERATIONAL, split_name
from clearsight.resolution.deterministic import (
    conflict_sql,
    dob_conflict_sql,
    forename_conflict_sql,
    rare_forename_sql,
    slip_pairs_sql,
    strong_edges_sql,
    twin_sql,
)
from clearsight.resolution.nicknames import variant_rows
from clearsight.resolution.settings import (
    UNIQUE_ID,
    ResolutionSpec,
    Thresholds,
    splink_settings,
    training_rules,
)

#: a birth date held by more than this many times the records of an average date is a
#: default a record system fills in for an unknown date (1 January), not evidence that two records are one person
DEFAULT_DATE_RATIO = 5

#: what every stored explanation says about itself (DSR-2)
ASSESSMENT_NOTE = "a model's assessment of how likely two records are one entity, not a fact"

#: a UK postcode written without its space (the inward code is the last three characters)
_UK_POSTCODE = "[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}"

_MEMORY = re.compile(r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.I)

Progress = Callable[[str], None]


def _no_progress(step: str) -> None:
    return None


@dataclass(frozen=True)
class EngineOptions:
    """DuckDB resources for one run (from the ``duckdb_memory_limit`` and ``duckdb_threads`` settings)."""

    memory_limit: str = "4GB"
    threads: int = 2

    def validate(self) -> EngineOptions:
        if not _MEMORY.match(self.memory_limit.strip()):
            raise ResolutionError(f"duckdb_memory_limit must look like '4GB' or '512MB' (got {self.memory_limit!r})")
        if self.threads < 1:
            raise ResolutionError(f"duckdb_threads must be at least 1 (got {self.threads})")
        return self


@dataclass
class TrainedModel:
    """A trained Splink model (its JSON) and what training measured."""

    model: dict[str, Any]
    metrics: dict[str, Any] = field(default_factory=dict)


def normalise_identifier(value: str | None) -> str | None:
    """One spelling of an identifier: upper case, no spaces; None when empty."""
    if value is None:
        return None
    out = re.sub(r"\s+", "", str(value)).upper()
    return out or None


def _identifier_sql(col: str) -> str:
    return f"nullif(upper(regexp_replace(\"{col}\", '\\s+', '', 'g')), '')"


class ResolutionEngine:
    """One resolution run's DuckDB database; see the module docstring."""

    def __init__(self, spec: ResolutionSpec, options: EngineOptions | None = None) -> None:
        self.spec = spec
        self.options = (options or EngineOptions()).validate()
        self.con = duckdb.connect(":memory:")
        self._exec(f"SET memory_limit = '{self.options.memory_limit.strip()}'")
        self._exec(f"SET threads = {int(self.options.threads)}")
        self._exec("SET preserve_insertion_order = false")
        self.present: set[str] = set()
        self.count = 0
        self._db_api: DuckDBAPI | None = None
        self._linker: Linker | None = None
        self._settings: dict[str, Any] | None = None
        self.timings: dict[str, float] = {}

    # -- records ---------------------------------------------------------------------
    def load(self, frame: pd.DataFrame | pa.Table) -> int:
        """Load the records (``unique_id`` plus the spec's frame columns, pandas or Arrow); return how many."""
        names = list(frame.column_names if isinstance(frame, pa.Table) else frame.columns)
        if UNIQUE_ID not in names:
            raise ResolutionError("the records to resolve have no unique_id column")
        cols = [c for c in self.spec.fields if c != UNIQUE_ID]
        missing = [c for c in cols if c not in names]
        if isinstance(frame, pa.Table):
            for c in missing:
                frame = frame.append_column(c, pa.nulls(frame.num_rows, pa.string()))
            if self.spec.model and {"forename", "surname", "full_name"} <= set(frame.column_names) and self._needs_split(frame):
                frame = _split_full_names(frame.to_pandas())
        else:
            frame = frame.assign(**{c: None for c in missing}) if missing else frame
            if self.spec.model and {"forename", "surname", "full_name"} <= set(frame.columns):
                frame = _split_full_names(frame)
        self.con.register("raw_input", frame.select([UNIQUE_ID, *cols]) if isinstance(frame, pa.Table) else frame[[UNIQUE_ID, *cols]])
        selects = [f"CAST({UNIQUE_ID} AS VARCHAR) AS {UNIQUE_ID}"]
        if self.spec.model:
            pc = "upper(regexp_replace(CAST(postcode AS VARCHAR), '\\s+', '', 'g'))"
            full = "nullif(trim(lower(CAST(full_name AS VARCHAR))), '')"
            selects += [
                "nullif(split_part(trim(lower(coalesce(CAST(forename AS VARCHAR), "
                f"CASE WHEN contains({full}, ' ') THEN split_part({full}, ' ', 1) END))), ' ', 1), '') AS forename",
                # the whole forename with its spaces removed ('wil liam' is a slip for william)
                "nullif(regexp_replace(lower(coalesce(CAST(forename AS VARCHAR), "
                f"CASE WHEN contains({full}, ' ') THEN split_part({full}, ' ', 1) END)), '\\s+', '', 'g'), '') AS forename_joined",
                "nullif(trim(lower(coalesce(CAST(surname AS VARCHAR), "
                f"CASE WHEN contains({full}, ' ') THEN regexp_extract({full}, '(\\S+)$', 1) ELSE {full} END))), '') AS surname",
                "CASE WHEN regexp_full_match(trim(CAST(dob AS VARCHAR)), '\\d{4}(-\\d{2}(-\\d{2})?)?') "
                "THEN trim(CAST(dob AS VARCHAR)) END AS dob",
                "CASE WHEN lower(trim(CAST(gender AS VARCHAR))) IN ('male', 'female', 'other') "
                "THEN lower(trim(CAST(gender AS VARCHAR))) END AS gender",
                f"nullif(CASE WHEN regexp_full_match({pc}, '{_UK_POSTCODE}') THEN left({pc}, length({pc}) - 3) || ' ' || right({pc}, 3) "
                f"ELSE upper(trim(CAST(postcode AS VARCHAR))) END, '') AS postcode",
                # the address without a UK postcode at its end (the postcode is compared with the address)
                f"nullif(trim(regexp_replace(regexp_replace(lower(trim(CAST(address AS VARCHAR))), "
                f"'[\\s,]*{_UK_POSTCODE.lower()}$', ''), '[\\s,]+', ' ', 'g')), '') AS address",
                "nullif(regexp_replace(CAST(phone AS VARCHAR), '\\s+', '', 'g'), '') AS phone",
                "nullif(lower(trim(CAST(email AS VARCHAR))), '') AS email",
            ]
            derived = {"forename", "surname", "dob", "gender", "postcode", "address", "phone", "email", "full_name"}
            ids = [c for c in cols if c not in derived]
        else:
            ids = cols
        selects += [f"{_identifier_sql(c)} AS \"{c}\"" for c in ids]
        self._exec(f"CREATE OR REPLACE TEMP VIEW cleaned AS SELECT {', '.join(selects)} FROM raw_input")  # noqa: S608 - spec constants and validated numbers only
        if self.spec.model:
            self._exec("CREATE OR REPLACE TABLE nick (name VARCHAR, grp VARCHAR)")
            self.con.executemany("INSERT INTO nick VALUES (?, ?)", [list(r) for r in variant_rows()]).fetchall()
            self._exec(
                "CREATE OR REPLACE TEMP TABLE spelled AS SELECT c.*, "  # noqa: S608 - constant SQL
                f"{rare_forename_sql('c.forename')} AS forename_rare FROM cleaned c"
            )
            # a rare spelling a slip away from a recurring forename of the same surname is read
            # as that forename too (btian sykes beside eighty records of brian sykes): its
            # nickname groups join the record's, so the household and twin rules and the
            # nickname level see brian, bria and btian as one name
            self._exec(f"CREATE OR REPLACE TEMP TABLE forename_fix AS {_slip_fix_sql('spelled', 'surname', 'forename', 'forename_rare')}")
            self._exec(
                "CREATE OR REPLACE TABLE records AS SELECT c.*, f.fixed AS forename_fixed, "
                "CASE WHEN c.forename IS NOT NULL THEN list_distinct(coalesce(g.groups, [c.forename]) "
                "|| coalesce(gf.groups, CASE WHEN f.fixed IS NOT NULL THEN [f.fixed] END, [])) END AS forename_groups, "
                "coalesce(gf.groups[1], f.fixed, g.groups[1], c.forename) AS forename_canon, "
                "list_distinct(string_split(c.address, ' ')) AS address_tokens "
                "FROM spelled c LEFT JOIN forename_fix f ON f.surname = c.surname AND f.forename = c.forename "
                "LEFT JOIN (SELECT name, list(grp ORDER BY grp) AS groups FROM nick GROUP BY name) g ON g.name = c.forename "
                "LEFT JOIN (SELECT name, list(grp ORDER BY grp) AS groups FROM nick GROUP BY name) gf ON gf.name = f.fixed"
            )
            self._exec("DROP TABLE spelled")
            self._exec("DROP TABLE forename_fix")
            # the same for a surname: a spelling seen once, a slip from a surname that recurs
            # with the same forename (craig jons beside craig jones), for the cluster pass
            rare_surname = f"(SELECT *, {rare_forename_sql('surname')} AS rare FROM records)"  # noqa: S608 - constant SQL
            self._exec(f"CREATE OR REPLACE TEMP TABLE surname_fix AS {_slip_fix_sql(rare_surname, 'forename_canon', 'surname', 'rare')}")
            # few records have a slip to fix: set theirs rather than copy the table
            self._exec("ALTER TABLE records ADD COLUMN surname_fixed VARCHAR")
            self._exec(
                "UPDATE records SET surname_fixed = f.fixed FROM surname_fix f "
                "WHERE f.forename_canon = records.forename_canon AND f.surname = records.surname"
            )
            self._exec("DROP TABLE surname_fix")
        else:
            self._exec("CREATE OR REPLACE TABLE records AS SELECT * FROM cleaned")
        self.con.unregister("raw_input")
        dupes = self.con.execute(f"SELECT count(*) - count(DISTINCT {UNIQUE_ID}) FROM records").fetchall()[0]  # noqa: S608 - spec constants and validated numbers only
        if dupes and dupes[0]:
            raise ResolutionError(f"{dupes[0]} records share an id with another; each source record must appear once")
        check = [c for c in self.con.execute("SELECT * FROM records LIMIT 0").fetchdf().columns if c != UNIQUE_ID]
        counts = self.con.execute(
            f"SELECT count(*), {', '.join(f'count({json.dumps(c)})' for c in check)} FROM records"  # noqa: S608 - spec constants and validated numbers only
        ).fetchall()[0]
        assert counts is not None
        self.count = int(counts[0])
        self.present = {c for c, n in zip(check, counts[1:], strict=True) if n}
        return self.count

    def _needs_split(self, frame: pa.Table) -> bool:
        """Whether any record may have a whole name but neither forename nor surname (asked of DuckDB, not row by row).

        Errs towards yes (a value with no letter or digit counts as blank), and then
        :func:`_split_full_names` decides exactly, record by record.
        """

        def blank(col: str) -> str:
            return f"coalesce(NOT regexp_matches(CAST({col} AS VARCHAR), '[\\pL\\pN]'), true)"

        self.con.register("split_check", frame.select(["forename", "surname", "full_name"]))
        row = self.con.execute(
            f"SELECT count(*) FROM split_check WHERE {blank('forename')} AND {blank('surname')} AND full_name IS NOT NULL"  # noqa: S608 - constant SQL
        ).fetchall()[0]
        self.con.unregister("split_check")
        return bool(row[0])

    def identifiers(self, ids: Sequence[str] | None = None) -> dict[str, dict[str, str]]:
        """entity id -> {strong identifier: value} for records carrying any (optionally only ``ids``)."""
        cols = [c for c in self.spec.strong_identifiers if c in self.present]
        if not cols:
            return {}
        where = " OR ".join(f'"{c}" IS NOT NULL' for c in cols)
        sql = f"SELECT {UNIQUE_ID}, {', '.join(json.dumps(c) for c in cols)} FROM records WHERE ({where})"  # noqa: S608 - spec constants and validated numbers only
        if ids is not None:
            self.con.register("wanted", pd.DataFrame({"id": list(ids)}))
            sql += f" AND {UNIQUE_ID} IN (SELECT CAST(id AS VARCHAR) FROM wanted)"  # noqa: S608 - spec constants and validated numbers only
        rows = self.con.execute(sql).fetchall()
        if ids is not None:
            self.con.unregister("wanted")
        return {r[0]: {c: v for c, v in zip(cols, r[1:], strict=True) if v is not None} for r in rows}

    def attributes(self, ids: Sequence[str]) -> dict[str, dict[str, str | None]]:
        """entity id -> forename, surname, dob, gender (and email) of records the household and twin rules can apply to."""
        if not self.spec.twin_rule or not {"forename", "surname"} <= self.present:
            return {}
        extra = [c for c in ("email", *self.spec.model_identifiers) if c in self.present]
        cols = "".join(f', "{c}"' for c in extra)
        self.con.register("wanted_attrs", pd.DataFrame({"id": pd.Series(list(ids), dtype=object)}))
        gender = "gender" if "gender" in self.present else "NULL::VARCHAR"
        rare = "forename_rare" if "forename_rare" in self.present else "NULL::BOOLEAN"
        fixed = "forename_fixed" if "forename_fixed" in self.present else "NULL::VARCHAR"
        sql = f"SELECT {UNIQUE_ID}, forename, forename_joined, surname, dob, {gender}, {rare}, {fixed}{cols} FROM records WHERE forename IS NOT NULL AND surname IS NOT NULL AND {UNIQUE_ID} IN (SELECT CAST(id AS VARCHAR) FROM wanted_attrs)"  # noqa: S608 - constant SQL
        rows = self.con.execute(sql).fetchall()
        self.con.unregister("wanted_attrs")
        keys = ["email" if c == "email" else f"id:{c}" for c in extra]
        return {
            r[0]: {"forename": r[1], "forename_joined": r[2], "surname": r[3], "dob": r[4], "gender": r[5],
                   "forename_rare": "rare" if r[6] else None, "forename_fixed": r[7], **dict(zip(keys, r[8:], strict=True))}
            for r in rows
        }

    # -- model -----------------------------------------------------------------------
    def _linker_for(self, settings: Mapping[str, Any]) -> Linker:
        if self._db_api is None:
            self._db_api = DuckDBAPI(connection=self.con)
        sdf = self._db_api.register("records", table_name="records_in")
        return Linker(sdf, dict(settings), log_level=logging.ERROR)

    def train(self, progress: Progress = _no_progress) -> TrainedModel:
        """Train a model on the loaded records (u by random sampling, m by EM)."""
        settings = splink_settings(self.spec, self.present)
        linker = self._linker_for(settings)
        metrics: dict[str, Any] = {"records": self.count, "columns": sorted(self.present)}
        prior_rules, em_rules = training_rules(self.present)
        started = time.perf_counter()
        if prior_rules:
            progress("estimating how often two random records match")
            try:
                linker.training.estimate_probability_two_random_records_match(list[Any](prior_rules), recall=0.7)
                metrics["prior"] = "estimated from deterministic rules (recall 0.7)"
            except Exception as exc:  # too few records for the rules to find any pair
                metrics["prior"] = f"kept the default ({type(exc).__name__}: {exc})"
            estimated = float(linker.misc.save_model_to_json().get("probability_two_random_records_match", 0.0))
            if not 0.0 < estimated < 1.0:
                # no pair met the rules: a prior of 0 would make every match weight -infinity.
                # Splink has no public setter; its own estimator writes this attribute.
                linker._settings_obj._probability_two_random_records_match = float(settings["probability_two_random_records_match"])
                metrics["prior"] = "kept the default (the deterministic rules found no pair)"
        progress("estimating u by random sampling")
        linker.training.estimate_u_using_random_sampling(max_pairs=self.spec.max_pairs_u, seed=42)
        self.timings["u"] = time.perf_counter() - started
        em: list[dict[str, Any]] = []
        if self.count >= self.spec.min_records_for_em:
            for rule in em_rules:
                progress(f"expectation maximisation blocked on {rule}")
                t0 = time.perf_counter()
                try:
                    linker.training.estimate_parameters_using_expectation_maximisation(
                        rule, estimate_without_term_frequencies=True, max_pairs=self.spec.max_pairs_em
                    )
                    em.append({"blocking_rule": rule, "seconds": round(time.perf_counter() - t0, 2)})
                except Exception as exc:  # a session with too few pairs to estimate from
                    em.append({"blocking_rule": rule, "skipped": f"{type(exc).__name__}: {exc}"})
            metrics["m"] = "expectation maximisation"
        else:
            metrics["m"] = (
                f"priors from the spec: {self.count} records is fewer than the "
                f"{self.spec.min_records_for_em} needed to estimate m reliably"
            )
        metrics["em_sessions"] = em
        self.timings["train"] = time.perf_counter() - started
        model = linker.misc.save_model_to_json()
        self._linker = linker
        self._settings = model
        return TrainedModel(model=model, metrics=metrics)

    def use_model(self, model: Mapping[str, Any]) -> None:
        """Score with a stored model instead of training one."""
        self._settings = dict(model)
        self._linker = self._linker_for(model)

    # -- scoring -----------------------------------------------------------------------
    def _explanation_sql(self, table: str) -> str:
        """SQL building the compact waterfall of each pair: comparison -> [level, match weight].

        Splink gives each comparison's match weight (``mw_<name>``, plus ``mw_tf_adj_<name>``
        for term-frequency adjusted levels); the level is recovered from the model, whose
        levels each have their own weight ``log2(m / u)``.
        """
        assert self._settings is not None
        cols = set(self.con.execute(f"SELECT * FROM {table} LIMIT 0").fetchdf().columns)  # noqa: S608 - spec constants and validated numbers only
        prior = float(self._settings.get("probability_two_random_records_match", 0.0001))
        prior_w = math.log2(prior / (1 - prior))
        items = []
        for comp in self._settings.get("comparisons", []):
            name = str(comp["output_column_name"])
            if f"mw_{name}" not in cols:
                continue
            cases = []
            for level in comp["comparison_levels"]:
                label = _sql_str(str(level.get("label_for_charts", "")))
                if level.get("is_null_level"):
                    continue
                m, u = level.get("m_probability"), level.get("u_probability")
                if m and u:
                    cases.append(f"WHEN abs(\"mw_{name}\" - ({math.log2(m / u)!r})) < 1e-9 THEN {label}")
            label_sql = f"CASE WHEN \"mw_{name}\" = 0 THEN 'missing or neutral' {' '.join(cases)} ELSE 'level' END"
            tf = f' + coalesce("mw_tf_adj_{name}", 0)' if f"mw_tf_adj_{name}" in cols else ""
            items.append(f"{_sql_str(name)}, json_array({label_sql}, round(\"mw_{name}\"{tf}, 2))")
        return (
            f"json_object('kind', 'assessment', 'prior', {round(prior_w, 2)}, 'comparisons', "
            f"json_object({', '.join(items)}))::VARCHAR"
        )

    def score(self, thresholds: Thresholds, *, new_ids: Sequence[str] | None = None, progress: Progress = _no_progress) -> int:
        """Score candidate pairs into the ``scored`` table; with ``new_ids`` only pairs touching them.

        Returns:
            How many pairs scored at or above the bottom of the review band.
        """
        if self._linker is None:
            raise ResolutionError("no model to score with: train one or load a stored one first")
        linker = self._linker
        started = time.perf_counter()
        floor = thresholds.review_low
        if new_ids is None:
            progress("scoring candidate pairs")
            pred = linker.inference.predict(threshold_match_probability=floor)
            tables = [pred.physical_name]
        else:
            progress(f"scoring {len(new_ids):,} new records against the rest")
            assert self._db_api is not None
            self.con.register("new_ids", pd.DataFrame({"id": list(new_ids)}))
            self._exec(f"CREATE OR REPLACE TABLE records_new AS SELECT * FROM records WHERE {UNIQUE_ID} IN (SELECT CAST(id AS VARCHAR) FROM new_ids)")  # noqa: S608 - spec constants and validated numbers only
            self._exec(f"CREATE OR REPLACE TABLE records_old AS SELECT * FROM records WHERE {UNIQUE_ID} NOT IN (SELECT CAST(id AS VARCHAR) FROM new_ids)")  # noqa: S608 - spec constants and validated numbers only
            self.con.unregister("new_ids")
            for comp in self._settings.get("comparisons", []) if self._settings else []:
                for level in comp["comparison_levels"]:
                    col = level.get("tf_adjustment_column")
                    if col:
                        linker.table_management.compute_tf_table(col)
            new_sdf = self._db_api.register("records_new", table_name=f"records_new_{time.monotonic_ns()}")
            old_sdf = self._db_api.register("records_old", table_name=f"records_old_{time.monotonic_ns()}")
            within = linker.inference.predict_within(new_sdf, threshold_match_probability=floor, warning_mode="never")
            between = linker.inference.predict_between(new_sdf, old_sdf, threshold_match_probability=floor, warning_mode="never")
            tables = [within.physical_name, between.physical_name]
        parts = []
        for table in tables:
            parts.append(
                f"SELECT least(unique_id_l, unique_id_r) AS left_id, greatest(unique_id_l, unique_id_r) AS right_id, "  # noqa: S608 - spec constants and validated numbers only
                f"match_weight, match_probability, {self._explanation_sql(table)} AS explanation FROM {table}"
            )
        self._exec(f"CREATE OR REPLACE TABLE scored AS {' UNION ALL '.join(parts)}")
        self.timings["predict"] = time.perf_counter() - started
        row = self.con.execute("SELECT count(*) FROM scored").fetchall()[0]
        return int(row[0]) if row else 0

    def pairs(
        self,
        thresholds: Thresholds,
        *,
        model_version: str,
        new_ids: Sequence[str] | None = None,
        clusters: Mapping[str, str] | None = None,
    ) -> pd.DataFrame:
        """Pairs worth keeping, with their status: 'merge', 'review' or 'blocked'.

        Model pairs take their status from the thresholds; pairs sharing a strong identifier
        are merged without the model; a pair whose strong identifiers conflict, or that the
        twin rule separates, is blocked whatever its score.

        Args:
            thresholds: the merge threshold and review band.
            model_version: written on every pair.
            new_ids: score only pairs touching these records (an incremental run).
            clusters: entity id -> canonical id of the clusters already stored (an
                incremental run), for the pass that joins bare names to the one cluster
                carrying their name (:meth:`_cluster_name_pass`).

        Returns:
            Columns left_id, right_id, match_weight, match_probability, explanation, method,
            status, reason, model_version.
        """
        have_scored = self.spec.model and self._linker is not None
        strong = strong_edges_sql(self.spec, self.present)
        if not have_scored:
            self._exec(
                "CREATE OR REPLACE TABLE scored (left_id VARCHAR, right_id VARCHAR, match_weight DOUBLE, "
                "match_probability DOUBLE, explanation VARCHAR)"
            )
        if strong is None:
            strong = "SELECT NULL::VARCHAR AS left_id, NULL::VARCHAR AS right_id, NULL::VARCHAR AS identifiers WHERE false"
        if new_ids is not None:
            self.con.register("new_ids2", pd.DataFrame({"id": list(new_ids)}))
            strong = f"SELECT * FROM ({strong}) WHERE left_id IN (SELECT CAST(id AS VARCHAR) FROM new_ids2) OR right_id IN (SELECT CAST(id AS VARCHAR) FROM new_ids2)"  # noqa: S608 - spec constants and validated numbers only
        rule_note = "linked because both records carry the same "
        sql = f"""
        CREATE OR REPLACE TABLE pairs AS
        WITH d AS ({strong}),
        u AS (
            SELECT d.left_id, d.right_id, coalesce(s.match_weight, 0.0) AS match_weight, 1.0 AS match_probability,
                   json_object('kind', 'rule', 'rule', '{rule_note}' || d.identifiers,
                               'model', CASE WHEN s.explanation IS NOT NULL THEN json(s.explanation) END,
                               'model_probability', s.match_probability)::VARCHAR AS explanation,
                   'deterministic' AS method
            FROM d LEFT JOIN scored s ON s.left_id = d.left_id AND s.right_id = d.right_id
            UNION ALL
            SELECT s.left_id, s.right_id, s.match_weight, s.match_probability, s.explanation, 'model' AS method
            FROM scored s ANTI JOIN d ON s.left_id = d.left_id AND s.right_id = d.right_id
        ),
        judged AS MATERIALIZED (
            SELECT u.*, {conflict_sql(self.spec, self.present)} AS conflicts, {twin_sql(self.spec, self.present)} AS twin,
                   {forename_conflict_sql(self.spec, self.present)} AS household,
                   {dob_conflict_sql(self.spec, self.present)} AS dob_apart,
                   {_personal_sql(self.present)} AS personal
            FROM u JOIN records l ON l.{UNIQUE_ID} = u.left_id JOIN records r ON r.{UNIQUE_ID} = u.right_id
        ),
        status AS (
            SELECT *, CASE
                WHEN conflicts <> '' THEN 'blocked'
                WHEN method = 'model' AND twin THEN 'blocked'
                WHEN method = 'deterministic' THEN 'merge'
                WHEN household AND match_probability >= {thresholds.review_low} AND personal THEN 'review'
                WHEN household OR dob_apart THEN NULL
                WHEN match_probability >= {thresholds.merge} THEN 'merge'
                WHEN match_probability >= {thresholds.review_low} AND match_probability < {thresholds.review_top} THEN 'review'
            END AS status,
            CASE
                WHEN conflicts <> '' THEN 'conflicting ' || conflicts
                WHEN method = 'model' AND twin THEN 'twin rule: same surname and date of birth, different forename'
                WHEN household THEN 'same surname, different forename: a person decides'
                WHEN dob_apart THEN 'same surname, dates of birth years apart'
                ELSE ''
            END AS reason
            FROM judged
        )
        SELECT left_id, right_id, match_weight, match_probability, explanation, method, status, reason,
               ? AS model_version
        FROM status WHERE status IS NOT NULL
        """  # noqa: S608 - spec constants and validated numbers only
        self._exec(sql, [model_version])
        if new_ids is not None:
            self.con.unregister("new_ids2")
        if self.spec.name_pass and have_scored:
            self._bare_name_check()
            self._name_pass()
            self._cluster_name_pass(clusters or {}, new_ids, model_version)
        return self.con.execute("SELECT * FROM pairs ORDER BY left_id, right_id").fetchdf()

    def _name_pass(self) -> int:
        """The second pass: merge review pairs whose name only one person carries, or that share a full name and birth date.

        Records that carry little but a name (a stop and search, a crime or intelligence
        mention) score in the review band against a fuller record of the same name, however
        rare the name: term frequencies count records, and a prolific person's many records
        make their name look common. A review pair is merged when both records carry the same
        full name (forename or its nickname group, and surname) and every record in the data
        with that name is consistent with one person: at most one full date of birth, one
        gender, one postcode (or address where there is none) and one phone number among them.
        Two people of one name differ on at least one of those as soon as either is recorded
        with it, and then the pair stays in review. A review pair whose records carry the
        same full name and the same full date of birth is merged too: the model held it back
        for a place or phone that disagrees, which a person who moved has. The date must not be
        a system default (a date held by more than :data:`DEFAULT_DATE_RATIO` times the
        records of an average date). Uses the data only, never labels.

        Returns:
            How many pairs the pass merged.
        """
        if not {"forename", "surname"} <= self.present:
            return 0
        only = _sql_str("second pass: the only person of this name in the data")
        dated = _sql_str("second pass: the same full name and the same full date of birth")
        same_date = (
            f"l.dob = r.dob AND length(l.dob) = 10 AND l.dob IN (SELECT dob FROM date_counts WHERE n <= {DEFAULT_DATE_RATIO} * mean)"  # noqa: S608 - a constant
            if "dob" in self.present else "false"
        )
        dates = (
            "SELECT dob, count(*) AS n, avg(count(*)) OVER () AS mean FROM records WHERE length(dob) = 10 GROUP BY dob"
            if "dob" in self.present else "SELECT NULL::VARCHAR AS dob, 0 AS n, 0 AS mean"
        )
        sql = f"""
        CREATE OR REPLACE TEMP TABLE name_pass AS
        WITH names AS ({self._one_person_names_sql()}), date_counts AS ({dates})
        SELECT p.left_id, p.right_id, CASE WHEN n.surname IS NOT NULL THEN {only} ELSE {dated} END AS note FROM pairs p
        JOIN records l ON l.{UNIQUE_ID} = p.left_id JOIN records r ON r.{UNIQUE_ID} = p.right_id
        LEFT JOIN names n ON n.forename_canon = l.forename_canon AND n.surname = l.surname
        WHERE p.status = 'review' AND p.method = 'model' AND p.reason = ''
          AND l.forename_canon = r.forename_canon AND l.surname = r.surname
          AND (n.surname IS NOT NULL OR ({same_date}))
        """  # noqa: S608 - spec constants only
        self._exec(sql)
        self._exec(
            "UPDATE pairs SET status = 'merge', reason = n.note, "
            "explanation = json_merge_patch(explanation, json_object('second_pass', n.note))::VARCHAR "
            "FROM name_pass n WHERE pairs.left_id = n.left_id AND pairs.right_id = n.right_id"
        )
        row = self.con.execute("SELECT count(*) FROM name_pass").fetchall()[0]
        return int(row[0]) if row else 0

    def _one_person_names_sql(self) -> str:
        """SQL selecting the full names (forename_canon, surname) every record of which is consistent with one person.

        At most one full date of birth, one gender, one postcode (or address where there is
        none) and one value of each phone, email and identifier among the records of the name.
        """
        have = self.present
        checks = []
        if "dob" in have:
            checks.append("count(DISTINCT dob) FILTER (WHERE length(dob) = 10) <= 1")
        if "gender" in have:
            checks.append("count(DISTINCT gender) <= 1")
        place = [c for c in ("postcode", "address") if c in have]
        if place:
            checks.append(f"count(DISTINCT coalesce({', '.join(place)})) <= 1")
        for col in ("phone", "email", *self.spec.strong_identifiers, *self.spec.model_identifiers):
            if col in have:
                checks.append(f'count(DISTINCT "{col}") <= 1')
        one_person = " AND ".join(checks) or "true"
        return (
            "SELECT forename_canon, surname FROM records WHERE forename_canon IS NOT NULL AND surname IS NOT NULL "  # noqa: S608 - spec constants only
            f"GROUP BY 1, 2 HAVING {one_person}"
        )

    def _bare_name_check(self) -> int:
        """Send to review the merges on a bare name that more than one person in the data carries.

        A pair on which nothing but the names (and perhaps the gender) can be compared, the
        other details each missing on one side, is only as good as the name is rare among
        people; term frequencies count records, not people, so a name several people carry
        can still score above the merge threshold and bridge them (a stop and search with a
        name and a birth date joining two people of that name who live apart). When the
        records of the name are not consistent with one person (see
        :meth:`_one_person_names_sql`), such a merge goes to review instead; the cluster pass
        (:meth:`_cluster_name_pass`) still joins bare names to the one cluster of their name.

        Returns:
            How many merges went to review.
        """
        if not {"forename", "surname"} <= self.present:
            return 0
        cols = [c for c in ("dob", "postcode", "address", "phone", "email", *self.spec.strong_identifiers,
                            *self.spec.model_identifiers) if c in self.present]
        bare = " AND ".join(f'(l."{c}" IS NULL OR r."{c}" IS NULL)' for c in cols) or "true"
        note = _sql_str("only the name agrees, and more than one person in the data carries it: a person decides")
        sql = f"""
        CREATE OR REPLACE TEMP TABLE bare_check AS
        WITH names AS ({self._one_person_names_sql()})
        SELECT p.left_id, p.right_id FROM pairs p
        JOIN records l ON l.{UNIQUE_ID} = p.left_id JOIN records r ON r.{UNIQUE_ID} = p.right_id
        LEFT JOIN names nl ON nl.forename_canon = l.forename_canon AND nl.surname = l.surname
        LEFT JOIN names nr ON nr.forename_canon = r.forename_canon AND nr.surname = r.surname
        WHERE p.status = 'merge' AND p.method = 'model' AND {bare} AND (nl.surname IS NULL OR nr.surname IS NULL)
        """  # noqa: S608 - spec constants only
        self._exec(sql)
        self._exec(
            f"UPDATE pairs SET status = 'review', reason = {note} "  # noqa: S608 - constant SQL
            "FROM bare_check b WHERE pairs.left_id = b.left_id AND pairs.right_id = b.right_id"
        )
        row = self.con.execute("SELECT count(*) FROM bare_check").fetchall()[0]
        return int(row[0]) if row else 0

    def _detail_sql(self, alias: str) -> str:
        """SQL: whether a record carries anything beyond its name and gender."""
        cols = [c for c in ("dob", "postcode", "address", "phone", "email", *self.spec.strong_identifiers,
                            *self.spec.model_identifiers) if c in self.present]
        tests = [f'{alias}."{c}" IS NOT NULL' for c in cols]
        return f"({' OR '.join(tests)})" if tests else "false"

    def _cluster_name_pass(self, clusters: Mapping[str, str], new_ids: Sequence[str] | None, model_version: str) -> int:
        """The cluster-level pass: a bare name joins the one cluster that holds every other record of that name.

        A record with nothing but a name (and perhaps a gender) scores low against each
        record of its person, however many there are: the model compares pairs, and a name
        carried by a prolific person's many records looks common. The evidence is in the
        clusters instead: when every record of a full name (forename or its nickname group,
        and surname) that carries anything more (a birth date, a place, a phone, an
        identifier) sits in one cluster, that cluster is the only person of this name the
        data knows, and the bare records of the name join it, unless their recorded gender
        is not one the cluster holds. Two clusters of one name (two people, or one the model
        could not join) leave the bare names alone. The clusters are the connected components
        of this run's merge pairs and of the ``clusters`` already stored; the clusterer still
        enforces every rule on the result. Uses the data only, never labels.

        Returns:
            How many pairs the pass merged.
        """
        if not {"forename", "surname"} <= self.present:
            return 0
        merged = self.con.execute("SELECT left_id, right_id FROM pairs WHERE status = 'merge'").fetchall()
        edges = [*merged, *((e, c) for e, c in clusters.items() if e != c)]
        if not edges:
            return 0
        left = np.array([a for a, _ in edges], dtype=object)
        right = np.array([b for _, b in edges], dtype=object)
        nodes, inverse = np.unique(np.concatenate([left, right]), return_inverse=True)
        n = len(edges)
        graph = coo_matrix((np.ones(n, dtype=np.int8), (inverse[:n], inverse[n:])), shape=(len(nodes), len(nodes)))
        _, labels = connected_components(graph, directed=False)
        self.con.register("components", pd.DataFrame({"id": nodes.astype(str), "comp": labels.astype(np.int64)}))
        gender = "r.gender" if "gender" in self.present else "NULL::VARCHAR"
        surname = "coalesce(r.surname_fixed, r.surname)" if "surname_fixed" in self.present else "r.surname"
        note = _sql_str("cluster pass: the one cluster holding every other record of this name")
        touching = ""
        if new_ids is not None:
            self.con.register("new_ids3", pd.DataFrame({"id": list(new_ids)}))
            touching = (" AND (j.bare_id IN (SELECT CAST(id AS VARCHAR) FROM new_ids3) "
                        "OR j.member_id IN (SELECT CAST(id AS VARCHAR) FROM new_ids3))")
        sql = f"""
        CREATE OR REPLACE TEMP TABLE cluster_pass AS
        WITH named AS (
            SELECT r.{UNIQUE_ID} AS id, r.forename_canon AS fc, {surname} AS sn, {gender} AS gender,
                   coalesce(CAST(c.comp AS VARCHAR), 'r:' || r.{UNIQUE_ID}) AS comp, {self._detail_sql("r")} AS detailed
            FROM records r LEFT JOIN components c ON c.id = r.{UNIQUE_ID}
            WHERE r.forename_canon IS NOT NULL AND r.surname IS NOT NULL
        ),
        owner AS (
            SELECT fc, sn, min(comp) AS comp, min(id) AS member_id FROM named WHERE detailed
            GROUP BY fc, sn HAVING count(DISTINCT comp) = 1
        ),
        comp_genders AS (
            SELECT n.comp, list(DISTINCT r.gender) FILTER (WHERE r.gender IS NOT NULL) AS genders
            FROM (SELECT DISTINCT comp FROM owner) n JOIN (
                SELECT coalesce(CAST(c.comp AS VARCHAR), 'r:' || r.{UNIQUE_ID}) AS comp, {gender} AS gender
                FROM records r LEFT JOIN components c ON c.id = r.{UNIQUE_ID}) r ON r.comp = n.comp
            GROUP BY n.comp
        ),
        joins AS (
            SELECT b.id AS bare_id, o.member_id
            FROM named b JOIN owner o ON o.fc = b.fc AND o.sn = b.sn AND b.comp <> o.comp
            JOIN comp_genders g ON g.comp = o.comp
            WHERE NOT b.detailed AND (b.gender IS NULL OR len(g.genders) = 0 OR list_contains(g.genders, b.gender))
        )
        SELECT least(j.bare_id, j.member_id) AS left_id, greatest(j.bare_id, j.member_id) AS right_id
        FROM joins j ANTI JOIN pairs p ON p.left_id = least(j.bare_id, j.member_id)
            AND p.right_id = greatest(j.bare_id, j.member_id) AND p.status IN ('merge', 'blocked')
        WHERE true{touching}
        """  # noqa: S608 - spec constants only
        self._exec(sql)
        self.con.unregister("components")
        if new_ids is not None:
            self.con.unregister("new_ids3")
        self._exec("DELETE FROM pairs USING cluster_pass c WHERE pairs.left_id = c.left_id AND pairs.right_id = c.right_id")
        self._exec(
            f"INSERT INTO pairs SELECT c.left_id, c.right_id, coalesce(s.match_weight, 0.0), 1.0, "  # noqa: S608 - constant SQL
            f"json_object('kind', 'rule', 'rule', {note}, 'model', CASE WHEN s.explanation IS NOT NULL THEN json(s.explanation) END, "
            f"'model_probability', s.match_probability)::VARCHAR, 'deterministic', 'merge', {note}, "
            "? FROM cluster_pass c LEFT JOIN scored s ON s.left_id = c.left_id AND s.right_id = c.right_id",
            [model_version],
        )
        row = self.con.execute("SELECT count(*) FROM cluster_pass").fetchall()[0]
        return int(row[0]) if row else 0

    def _exec(self, sql: str, params: Any = None) -> None:
        """Run a statement and consume its result (DuckDB refuses new work while one is pending)."""
        self.con.execute(sql, params).fetchall()

    def close(self) -> None:
        self.con.close()


def _slip_fix_sql(source: str, key: str, spelling: str, rare: str) -> str:
    """SQL: for each rare ``spelling`` seen with a ``key``, the recurring spelling of that key it is a slip from.

    A rare spelling (``rare``: a flag of the spelling alone) is read as the spelling with
    most records of the same key among those seen with it in more records, not rare, and
    a slip away (:func:`~clearsight.resolution.deterministic.typo_sql`). Slips are looked
    for among the distinct spellings first, the rare against the recurring: there are
    few recurring ones (at most one in :data:`~clearsight.resolution.deterministic.RARE_FORENAME_PER`
    records each), whereas pairing the spellings key by key costs the square of the
    spellings of a common key (every rare surname of people called John against every
    recurring one). Columns: key, spelling, fixed.
    """
    return (
        f"WITH n AS MATERIALIZED (SELECT {key} AS k, {spelling} AS s, count(*) AS n, bool_or({rare}) AS rare FROM {source} "  # noqa: S608 - constant SQL
        f"WHERE {key} IS NOT NULL AND {spelling} IS NOT NULL GROUP BY 1, 2), "
        "spellings AS MATERIALIZED (SELECT s, bool_or(rare) AS rare FROM n GROUP BY s), "
        f"slips AS ({slip_pairs_sql('spellings')}) "
        f"SELECT a.k AS {key}, a.s AS {spelling}, first(b.s ORDER BY b.n DESC, b.s) AS fixed FROM n a "
        "JOIN slips p ON p.rare_s = a.s JOIN n b ON b.k = a.k AND b.s = p.common_s "
        "WHERE a.rare AND b.n > a.n GROUP BY 1, 2"
    )


def _personal_sql(present: set[str]) -> str:
    """SQL: whether a pair agrees on something a household does not share (birth date, email).

    Household members share a surname, an address and a landline; a pair the household rule
    holds back goes to review only when something personal agrees too,
    otherwise the review queue fills with family members nobody needs to look at.
    """
    parts = []
    if "dob" in present:
        parts.append(
            "(starts_with(l.dob, r.dob) OR starts_with(r.dob, l.dob) OR damerau_levenshtein(l.dob, r.dob) <= 1 "
            "OR (length(l.dob) = 10 AND length(r.dob) = 10 AND left(l.dob, 4) = left(r.dob, 4) "
            "AND substr(l.dob, 6, 2) = substr(r.dob, 9, 2) AND substr(l.dob, 9, 2) = substr(r.dob, 6, 2)))"
        )
    if "email" in present:
        parts.append("l.email = r.email")
    return f"coalesce({' OR '.join(parts)}, false)" if parts else "false"


def _blank(column: pd.Series) -> pd.Series:
    """Which values of a column are missing or only whitespace (vectorised: a million rows in well under a second)."""
    return column.isna() | (column.astype(str).str.strip() == "")


def split_full_name(name: str) -> tuple[str, str]:
    """(forenames, surname) of a whole name: ``SURNAME, Forename`` or ``Forename Surname``.

    Examples:
        >>> split_full_name("HUSSAIN, Mohammed")
        ('Mohammed', 'HUSSAIN')
        >>> split_full_name("jan van der berg")
        ('jan', 'van der berg')
    """
    text = " ".join(str(name).split())
    if "," in text:
        surname, _, forenames = text.partition(",")
        return " ".join(forenames.replace(",", " ").split()), surname.strip()
    words = text.split()
    while len(words) > 1 and words[-1].lower().strip(".") in GENERATIONAL:
        words.pop()
    return split_name(" ".join(words))


def _split_full_names(frame: pd.DataFrame) -> pd.DataFrame:
    """Fill forename and surname from the whole name where a source gave only that (crime records)."""
    need = _blank(frame["forename"]) & _blank(frame["surname"]) & ~_blank(frame["full_name"])
    if not need.any():
        return frame
    frame = frame.copy()
    frame["forename"] = frame["forename"].astype(object)
    frame["surname"] = frame["surname"].astype(object)
    parts = [split_full_name(str(v)) for v in frame.loc[need, "full_name"]]
    frame.loc[need, "forename"] = [f or None for f, _ in parts]
    frame.loc[need, "surname"] = [s or None for _, s in parts]
    return frame


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


__all__ = ["ASSESSMENT_NOTE", "EngineOptions", "ResolutionEngine", "TrainedModel", "normalise_identifier", "split_full_name"]
