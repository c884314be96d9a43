"""Patrol allocation from forecast harm, and its disparity report (ALG-7, ALG-10).

Allocation picks the K cells with the most forecast harm. It learns from public-reported
events and, by default, not from police-discovered events in cells that were patrolled:
those finds measure where police looked, not where crime is, and learning from them
feeds the allocation its own output (Ensign et al. 2018; Lum & Isaac 2016).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from scipy.stats import chi2

from clearsight.errors import InvalidData
from clearsight.patterns.events import EventSet, select_events
from clearsight.patterns.explain import Explanation
from clearsight.patterns.forecast import Forecast, ModelName, make_forecast
from clearsight.patterns.grid import SquareGrid, StudyArea

AreaLevel = Literal["lsoa", "msoa", "district"]
AREA_LEVELS: tuple[str, ...] = ("lsoa", "msoa", "district")

DEFAULT_RATIO_WARNING = 2.0
"""Warn where an area's share of patrols is more than this many times its share of the
harm recorded in the patrolled areas."""
DEFAULT_MIN_PATROLS = 2
"""Areas with fewer patrol cells than this are reported but never warned: one cell is
the smallest patrol there is, and it cannot be spread more thinly."""


@dataclass
class Allocation:
    """The cells chosen for patrol.

    Attributes:
        cells: One row per chosen cell: ``rank``, ``cell_id``, ``x``, ``y``,
            ``forecast_harm``, ``lsoa_code`` (the LSOA most events in the cell fall in).
        k: Cells chosen.
        forecast: The harm forecast the choice was made from.
        training: The events the forecast learnt from (after the ALG-10 exclusion).
        harm_captured: Share of forecast harm in the study area that the chosen cells hold.
        explanation: Counts (including discoveries left out), parameters and limits.
    """

    cells: pd.DataFrame
    k: int
    forecast: Forecast
    training: EventSet
    harm_captured: float
    explanation: Explanation


def severity_weights(frame: pd.DataFrame, severity: Mapping[str, float] | None) -> np.ndarray:
    """Harm weight per event: ``severity[crime_type]``, 1.0 for types not listed."""
    if not severity:
        return np.ones(len(frame))
    return frame["crime_type"].map(lambda c: float(severity.get(c, 1.0))).to_numpy(float)


def cell_lsoa(grid: SquareGrid, frame: pd.DataFrame) -> pd.Series:
    """The LSOA most events in each cell fall in, indexed by flat cell."""
    idx = grid.index(frame["x"].to_numpy(), frame["y"].to_numpy())
    df = pd.DataFrame({"cell": idx, "lsoa": frame["lsoa_code"].fillna("unknown").to_numpy()})
    df = df[df["cell"] >= 0]
    if df.empty:
        return pd.Series(dtype=object)
    top = df.groupby(["cell", "lsoa"]).size().reset_index(name="n")
    top = top.sort_values(["cell", "n", "lsoa"], ascending=[True, False, True]).drop_duplicates("cell")
    return top.set_index("cell")["lsoa"]


def allocate_patrols(
    events: EventSet,
    *,
    k: int,
    cell_size: float = 250.0,
    model: ModelName = "blend",
    train_months: Sequence[str] | None = None,
    crime_types: Iterable[str] | None = None,
    severity: Mapping[str, float] | None = None,
    patrolled_cells: Iterable[str] | None = None,
    learn_from_discoveries: bool = False,
    study_area: StudyArea = "hull",
    seed: int = 0,
) -> Allocation:
    """Choose ``k`` cells covering the most forecast harm.

    Args:
        events: Prepared events.
        k: Cells to patrol.
        cell_size: Square cell side, metres.
        model: Forecast model ("prior", "kde", "blend"; "etas" for dated data).
        train_months: Months to learn from; None uses all.
        crime_types: Only these crime types.
        severity: Harm weight per crime type (e.g. from a crime harm index); 1.0 if absent.
        patrolled_cells: Cell ids (as in :meth:`SquareGrid.cell_ids`) patrolled in the
            training period. Discovered events there are left out unless
            ``learn_from_discoveries``. When None (no patrol record), every discovered event
            is left out, since none can be shown to come from unpatrolled ground.
        learn_from_discoveries: The naive variant: learn from every discovered event.
        study_area: Cells that can be chosen.
        seed: Random seed for the forecast fit.

    Returns:
        The :class:`Allocation`.
    """
    if k < 1:
        raise InvalidData("k must be at least 1")
    chosen = select_events(events, crime_types=crime_types, months=train_months)
    if chosen.n == 0:
        raise InvalidData("no located events to learn from")
    f = chosen.frame
    grid = SquareGrid.covering(f["x"].to_numpy(), f["y"].to_numpy(), cell_size, pad=1200.0)
    discovered = (f["discovery"] == "discovered").to_numpy()
    if learn_from_discoveries:
        drop = np.zeros(len(f), bool)
        rule = "naive: learns from every discovered event"
    elif patrolled_cells is None:
        drop = discovered
        rule = "no patrol record given: all police-discovered events left out"
    else:
        ids = np.array(grid.cell_ids(np.clip(grid.index(f["x"].to_numpy(), f["y"].to_numpy()), 0, None)))
        drop = discovered & np.isin(ids, list(patrolled_cells))
        rule = "police-discovered events in patrolled cells left out"
    training = chosen.subset(~drop)
    training.frame["harm"] = severity_weights(training.frame, severity)
    fc = make_forecast(
        training, model=model, train_months=train_months, study_area=study_area,
        weight_column="harm", grid=grid, seed=seed,
    )
    ranked = fc.cells()
    top = ranked.head(k).copy()
    lsoa = cell_lsoa(grid, chosen.frame)
    top["lsoa_code"] = top["cell"].map(lsoa).fillna("unknown")
    top = top.rename(columns={"forecast": "forecast_harm"})
    total = float(ranked["forecast"].sum())
    captured = float(top["forecast_harm"].sum()) / total if total > 0 else 0.0
    expl = Explanation(
        method=f"top {k} cells by forecast harm ({fc.model} model, {grid.describe()})",
        counts={
            **chosen.counts(),
            "discovered_left_out": int(drop.sum()),
            "events_learnt_from": training.n,
            "cells_chosen": len(top),
        },
        baseline="forecast harm in every study-area cell",
        period=chosen.period(),
        data_sources=chosen.sources,
        parameters={
            **fc.parameters,
            "k": k,
            "severity": dict(severity or {}),
            "discovery_rule": rule,
            "harm_captured_share": captured,
        },
        limits=[
            *fc.explanation.limits,
            "Advisory only: a person decides where patrols go and records that decision (ALG-3).",
            "Check the disparity report before use (ALG-7).",
        ],
    )
    return Allocation(
        cells=top.reset_index(drop=True), k=k, forecast=fc, training=training,
        harm_captured=captured, explanation=expl,
    )


def load_census_population(path: str | Path) -> pd.DataFrame:
    """Read the 2011 census population table (LSOA level).

    The file has duplicate "Persons" headers; the first is all usual residents. Numbers
    carry thousands separators.

    Returns:
        Columns ``lsoa_code``, ``lsoa_name``, ``msoa_code``, ``district``, ``population``.
    """
    raw = pd.read_csv(path, dtype=str, header=None, keep_default_na=False)
    header = [h.strip() for h in raw.iloc[0].tolist()]
    needed = ["LSOA Code", "LSOA Name", "MSOA Code", "Local authority name", "Persons"]
    missing = [h for h in needed if h not in header]
    if missing:
        raise InvalidData(f"{path}: census table is missing columns {', '.join(missing)}")
    col = {h: header.index(h) for h in needed}  # index() gives the first 'Persons'
    body = raw.iloc[1:]
    pop = pd.to_numeric(body[col["Persons"]].str.replace(",", "", regex=False), errors="coerce")
    out = pd.DataFrame(
        {
            "lsoa_code": body[col["LSOA Code"]].to_numpy(),
            "lsoa_name": body[col["LSOA Name"]].to_numpy(),
            "msoa_code": body[col["MSOA Code"]].to_numpy(),
            "district": body[col["Local authority name"]].to_numpy(),
            "population": pop.to_numpy(),
        }
    )
    return out[out["lsoa_code"] != ""].dropna(subset=["population"]).reset_index(drop=True)


def load_force_lsoas(path: str | Path, force: str) -> list[str]:
    """LSOA codes that fall within a police force (from the LSOA-to-force table)."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    if "LSOA Code" not in table or "Police_force" not in table:
        raise InvalidData(f"{path}: expected columns 'LSOA Code' and 'Police_force'")
    return table.loc[table["Police_force"].str.lower() == force.lower(), "LSOA Code"].tolist()


@dataclass
class DisparityReport:
    """Share of patrols against share of population, recorded crime and harm, per area.

    Attributes:
        table: One row per area with counts, shares, rates per 1,000 residents (crime rate
            with a 95% exact Poisson interval) and the ratios ``patrol_to_population``,
            ``patrol_to_crime`` and ``patrol_to_harm`` (against the whole force area), and
            ``patrol_to_patrolled_harm``: the patrol share against the area's share of the
            harm recorded in the patrolled areas. ``warning`` marks areas with at least
            ``min_patrols`` patrol cells whose ``patrol_to_patrolled_harm`` exceeds
            ``ratio_warning``.
        rule: The warning rule in words.
        warnings: One sentence per warned area.
        explanation: Counts (including unknown areas), parameters and limits.
    """

    table: pd.DataFrame
    warnings: list[str]
    explanation: Explanation
    rule: str = ""

    def figures(self) -> dict[str, object]:
        """Headline figures (JSON-serialisable)."""
        return {
            "areas": len(self.table),
            "areas_with_patrols": int((self.table["patrols"] > 0).sum()),
            "warnings": len(self.warnings),
            "warning_rule": self.rule,
            "max_patrol_to_harm": float(self.table["patrol_to_harm"].replace(np.inf, np.nan).max()),
            "max_patrol_to_patrolled_harm": float(
                self.table["patrol_to_patrolled_harm"].replace(np.inf, np.nan).max()
            ),
        }


def _poisson_ci(n: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    a = 1 - level
    lo = np.where(n > 0, chi2.ppf(a / 2, 2 * n) / 2, 0.0)
    hi = chi2.ppf(1 - a / 2, 2 * (n + 1)) / 2
    return lo, hi


def disparity_report(
    allocation: Allocation,
    population: pd.DataFrame,
    *,
    level: AreaLevel = "lsoa",
    ratio_warning: float = DEFAULT_RATIO_WARNING,
    min_patrols: int = DEFAULT_MIN_PATROLS,
    severity: Mapping[str, float] | None = None,
) -> DisparityReport:
    """Compare each area's share of patrols with its share of residents, crime and harm.

    Recorded crime and harm are those of the allocation's training period (all events,
    discoveries included, so that the comparison is with what was recorded).

    Hotspot patrols concentrate by design: 100 cells may hold a tenth of the force's harm,
    so against the whole force every patrolled area has several times its harm share in
    patrols. Warnings therefore compare an area's share of the patrols with its share of
    the harm recorded in the patrolled areas (1 means patrols follow harm there); the
    force-wide ratios are reported alongside.

    Args:
        allocation: The patrol allocation.
        population: Census table from :func:`load_census_population`.
        level: "lsoa", "msoa" or "district".
        ratio_warning: Warn where patrol share / share of harm in patrolled areas exceeds
            this (must be positive).
        min_patrols: Warn only for areas with at least this many patrol cells (at least 1).
        severity: Harm weights per crime type (defaults to those of the allocation).

    Returns:
        The :class:`DisparityReport`.

    Raises:
        InvalidData: The level or a threshold is not valid.
    """
    if level not in AREA_LEVELS:
        raise InvalidData(f"disparity level must be one of {', '.join(AREA_LEVELS)}, not {level!r}")
    if not (ratio_warning > 0 and np.isfinite(ratio_warning)):
        raise InvalidData(f"disparity ratio threshold must be a positive number, not {ratio_warning!r}")
    if min_patrols < 1:
        raise InvalidData(f"minimum patrol cells for a disparity warning must be at least 1, not {min_patrols}")
    key = {"lsoa": "lsoa_code", "msoa": "msoa_code", "district": "district"}[level]
    pop = population.set_index("lsoa_code")
    sev = severity if severity is not None else allocation.explanation.parameters.get("severity")
    frame = select_events(
        allocation.training,
        months=allocation.forecast.parameters.get("training_months"),  # type: ignore[arg-type]
    ).frame
    ev = frame.copy()
    ev["harm"] = severity_weights(ev, sev if isinstance(sev, Mapping) else None)
    ev["area"] = ev["lsoa_code"].map(pop[key]) if key != "lsoa_code" else ev["lsoa_code"]
    ev.loc[~ev["lsoa_code"].isin(pop.index), "area"] = None
    patrol = allocation.cells.copy()
    patrol["area"] = (
        patrol["lsoa_code"].map(pop[key]) if key != "lsoa_code" else patrol["lsoa_code"]
    )
    patrol.loc[~patrol["lsoa_code"].isin(pop.index), "area"] = None
    areas = sorted(set(ev["area"].dropna()) | set(patrol["area"].dropna()))
    pop_by = population.groupby(key)["population"].sum().reindex(areas).fillna(0.0)
    crime = ev.groupby("area").size().reindex(areas, fill_value=0).astype(float)
    harm = ev.groupby("area")["harm"].sum().reindex(areas, fill_value=0.0)
    patrols = patrol.groupby("area").size().reindex(areas, fill_value=0).astype(float)
    tot_p, tot_pop = float(patrols.sum()), float(pop_by.sum())
    tot_c, tot_h = float(crime.sum()), float(harm.sum())
    table = pd.DataFrame(
        {
            "area": areas,
            "population": pop_by.to_numpy(),
            "recorded_crime": crime.to_numpy().astype(int),
            "harm": harm.to_numpy(),
            "patrols": patrols.to_numpy().astype(int),
        }
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        table["patrol_share"] = table["patrols"] / tot_p if tot_p else 0.0
        table["population_share"] = table["population"] / tot_pop if tot_pop else 0.0
        table["crime_share"] = table["recorded_crime"] / tot_c if tot_c else 0.0
        table["harm_share"] = table["harm"] / tot_h if tot_h else 0.0
        per_k = 1000.0 / table["population"].replace(0, np.nan)
        table["patrols_per_1000"] = table["patrols"] * per_k
        table["crime_per_1000"] = table["recorded_crime"] * per_k
        lo, hi = _poisson_ci(table["recorded_crime"].to_numpy(float))
        table["crime_per_1000_low"] = lo * per_k
        table["crime_per_1000_high"] = hi * per_k
        table["patrol_to_population"] = table["patrol_share"] / table["population_share"]
        table["patrol_to_crime"] = table["patrol_share"] / table["crime_share"]
        table["patrol_to_harm"] = table["patrol_share"] / table["harm_share"]
    patrolled = table["patrols"] > 0
    patrolled_harm = float(table.loc[patrolled, "harm"].sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        table["patrolled_harm_share"] = np.where(
            patrolled, table["harm"] / patrolled_harm if patrolled_harm else 0.0, np.nan
        )
        table["patrol_to_patrolled_harm"] = table["patrol_share"] / table["patrolled_harm_share"]
    table["warning"] = (
        patrolled & (table["patrols"] >= min_patrols) & (table["patrol_to_patrolled_harm"] > ratio_warning)
    )
    table = table.sort_values(["warning", "patrols", "harm"], ascending=False).reset_index(drop=True)
    rule = (
        f"warn where an area ({level}) with at least {min_patrols} patrol cell"
        f"{'s' if min_patrols != 1 else ''} has a share of patrols more than {ratio_warning:g} times "
        "its share of the harm recorded in the patrolled areas"
    )
    warnings = [
        f"{r.area}: {r.patrol_share:.1%} of patrols ({r.patrols} cells) against "
        f"{r.patrolled_harm_share:.1%} of the harm in patrolled areas "
        f"(ratio {r.patrol_to_patrolled_harm:.1f}, threshold {ratio_warning:g}; "
        f"{r.harm_share:.2%} of all recorded harm)"
        for r in table[table["warning"]].itertuples()
    ]
    expl = Explanation(
        method=f"disparity of patrol allocation by {level}: shares and rates per 1,000 residents",
        counts={
            "areas": len(table),
            "patrol_cells": int(len(allocation.cells)),
            "patrol_cells_unknown_area": int(patrol["area"].isna().sum()),
            "events_unknown_area": int(ev["area"].isna().sum()),
            "warnings": len(warnings),
        },
        baseline="each area's share of residents (2011 census), of recorded crime and of harm",
        period=allocation.explanation.period,
        data_sources=[*allocation.explanation.data_sources, "2011 census usual residents by LSOA"],
        parameters={
            "level": level,
            "ratio_warning": ratio_warning,
            "min_patrols": min_patrols,
            "warning_rule": rule,
            "patrolled_areas_harm_share": patrolled_harm / tot_h if tot_h else 0.0,
            "severity": dict(sev or {}) if isinstance(sev, Mapping) else {},
        },
        limits=[
            "Hotspot patrols concentrate by design, so against the whole force every patrolled "
            "area has several times its share of harm in patrols (patrol_to_harm); warnings "
            "compare with the harm in the patrolled areas instead (patrol_to_patrolled_harm). "
            "Neither says whether an unpatrolled area is under-served.",
            f"Areas with fewer than {min_patrols} patrol cells are reported but not warned; "
            "choose the level, threshold and minimum to suit the plan.",
            "A patrol cell is assigned to the LSOA most of its recorded events fall in; cells "
            "straddle boundaries.",
            "Population is the 2011 census resident count: it leaves out visitors, commuters "
            "and night-time populations, which matter in town centres.",
            "No ethnicity or other protected characteristic is available here, so this is a "
            "per-area report only; group disparities need group data.",
            "Recorded crime reflects reporting and past patrolling, so crime and harm shares "
            "can themselves carry bias.",
        ],
    )
    return DisparityReport(table=table, warnings=warnings, explanation=expl, rule=rule)
