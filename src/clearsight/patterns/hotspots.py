"""Hotspots for a set of events: counts per cell, kernel density and Gi* with FDR control."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from clearsight.patterns.events import EventSet, select_events, to_wgs84
from clearsight.patterns.explain import Explanation
from clearsight.patterns.gistar import PMethod, WeightKind, gi_star
from clearsight.patterns.grid import (
    STUDY_AREA_TEXT,
    CellShape,
    SquareGrid,
    StudyArea,
    Tessellation,
    make_tessellation,
    study_mask,
)
from clearsight.patterns.kde import (
    KERNEL_TEXT,
    BandwidthRule,
    Kernel,
    bandwidth_rule,
    kde_surface,
    quartic_radius_for,
)


@dataclass
class HotspotResult:
    """Hotspot analysis of one set of events.

    Attributes:
        cells: One row per study-area cell: ``cell_id``, ``x``, ``y`` (BNG centre),
            ``lon``, ``lat`` (WGS84 centre), ``count``, ``gi_z``, ``p_norm``, ``p_sim``,
            ``q_value``, ``category`` and, for square cells, ``kde_per_km2``.
        tessellation: The cells (square or hexagonal).
        cell_index: Flat tessellation index of each row of ``cells``.
        kde_grid: Square grid of the density surface.
        kde: Density surface in events per km^2, shape (nrows, ncols) of ``kde_grid``.
        bandwidth: Kernel bandwidth used, metres.
        explanation: Counts, period, sources, parameters and limits.
    """

    cells: pd.DataFrame
    tessellation: Tessellation
    cell_index: np.ndarray
    kde_grid: SquareGrid
    kde: np.ndarray
    bandwidth: float
    explanation: Explanation

    def figures(self) -> dict[str, object]:
        """Headline figures (JSON-serialisable)."""
        cat = self.cells["category"].value_counts()
        return {
            "events": int(self.cells["count"].sum()),
            "cells": len(self.cells),
            "cells_with_events": int((self.cells["count"] > 0).sum()),
            "hot_cells": int(cat.get("hot", 0)),
            "cold_cells": int(cat.get("cold", 0)),
            "max_cell_count": int(self.cells["count"].max()) if len(self.cells) else 0,
            "bandwidth_m": round(self.bandwidth, 1),
        }


def find_hotspots(
    events: EventSet,
    *,
    cell_size: float = 250.0,
    shape: CellShape = "square",
    kernel: Kernel = "quartic",
    bandwidth: float | None = None,
    rule: BandwidthRule = "chainey",
    weight: WeightKind = "queen",
    distance_band: float | None = None,
    permutations: int = 999,
    alpha: float = 0.05,
    study_area: StudyArea = "hull",
    crime_types: Iterable[str] | None = None,
    months: Iterable[str] | None = None,
    seed: int = 0,
    p_method: PMethod = "z_sim",
) -> HotspotResult:
    """Count events per cell, smooth them and test each cell with Getis-Ord Gi*.

    Args:
        events: Prepared events.
        cell_size: Cell side (squares) or flat-to-flat width (hexagons), metres.
        shape: "square" or "hex".
        kernel: Density kernel, "quartic" or "gaussian".
        bandwidth: Kernel bandwidth in metres; None applies ``rule``.
        rule: Bandwidth rule when ``bandwidth`` is None: "chainey" (5 x shorter side of the
            bounding box / 150, as a quartic radius), "silverman" or "scott"; converted
            between quartic radius and Gaussian sd at equal spread.
        weight: Gi* spatial weight, "queen" or "distance".
        distance_band: Threshold in metres for ``weight="distance"``.
        permutations: Permutations for Gi* pseudo p-values.
        alpha: False discovery rate for hot and cold cells.
        study_area: Which cells enter Gi* (see :data:`STUDY_AREA_TEXT`).
        crime_types: Only these crime types.
        months: Only these months.
        seed: Random seed.
        p_method: How Gi* p-values are taken from the permutations (see :func:`gi_star`).

    Returns:
        The :class:`HotspotResult`.

    Raises:
        ValueError: No events are left after filtering.
    """
    chosen = select_events(events, crime_types=crime_types, months=months)
    if chosen.n == 0:
        raise ValueError("no located events match the filters")
    x = chosen.frame["x"].to_numpy()
    y = chosen.frame["y"].to_numpy()
    if bandwidth is None:
        bw_rule = bandwidth_rule(x, y, rule) if chosen.n >= 2 else cell_size
        if kernel == "quartic":
            bandwidth = quartic_radius_for(bw_rule)
            bw_text = f"{rule} rule ({bw_rule:.0f} m Gaussian sd) as quartic radius {bandwidth:.0f} m"
        else:
            bandwidth = bw_rule
            bw_text = f"{rule} rule: {bandwidth:.0f} m"
    else:
        bw_text = f"fixed by caller: {bandwidth:g} m"
    tess = make_tessellation(x, y, cell_size, shape)
    counts = tess.counts(x, y).ravel()
    mask = study_mask(tess, x, y, study_area)
    cells = np.flatnonzero(mask)
    xc, yc = tess.centres()
    g = gi_star(
        counts[cells],
        xc[cells],
        yc[cells],
        neighbour_distance=tess.neighbour_distance,
        weight=weight,
        distance_band=distance_band,
        permutations=permutations,
        alpha=alpha,
        seed=seed,
        p_method=p_method,
    )
    kgrid = SquareGrid.covering(x, y, cell_size, pad=float(bandwidth))
    dens = kde_surface(kgrid, x, y, float(bandwidth), kernel) / (kgrid.cell_area / 1e6)
    lon, lat = to_wgs84(xc[cells], yc[cells])
    table = pd.DataFrame(
        {
            "cell_id": tess.cell_ids(cells),
            "x": xc[cells],
            "y": yc[cells],
            "lon": lon,
            "lat": lat,
            "count": counts[cells].astype(int),
            "gi_z": g.z,
            "p_norm": g.p_norm,
            "p_sim": g.p_sim,
            "p_value": g.p,
            "q_value": g.q,
            "category": g.category,
        }
    )
    if isinstance(tess, SquareGrid):
        kidx = kgrid.index(xc[cells], yc[cells])
        table["kde_per_km2"] = np.where(kidx >= 0, dens.ravel()[np.clip(kidx, 0, None)], 0.0)
    n_hot = int((g.category == "hot").sum())
    n_cold = int((g.category == "cold").sum())
    expl = Explanation(
        method=(
            f"Getis-Ord Gi* on {tess.describe()}, {permutations} conditional permutations, "
            f"p-values by {p_method}, Benjamini-Hochberg FDR {alpha:g}; kernel density ({KERNEL_TEXT[kernel]})"
        ),
        counts={
            **chosen.counts(),
            "cells_in_study_area": len(cells),
            "cells_with_events": int((counts[cells] > 0).sum()),
            "hot_cells": n_hot,
            "cold_cells": n_cold,
        },
        baseline=(
            "Gi* compares each cell and its neighbours with the mean over all "
            f"{len(cells)} study-area cells ({STUDY_AREA_TEXT[study_area]})"
        ),
        period=chosen.period(),
        data_sources=chosen.sources,
        parameters={
            "cell_size_m": cell_size,
            "cell_shape": shape,
            "kernel": kernel,
            "bandwidth_m": round(float(bandwidth), 1),
            "bandwidth_choice": bw_text,
            "weight": g.weight_text,
            "mean_neighbours": round(g.n_neighbours_mean, 2),
            "permutations": permutations,
            "p_method": p_method,
            "fdr_alpha": alpha,
            "study_area": STUDY_AREA_TEXT[study_area],
            "crime_types": sorted(chosen.frame["crime_type"].unique().tolist()),
            "seed": seed,
        },
        limits=[
            *chosen.all_limits(),
            "Hotspots are where crime was recorded, not necessarily where it happened most: "
            "recording depends on reporting and on where police already patrol.",
            "Gi* results change with cell size and study area; a cell near the study-area edge "
            "has fewer neighbours.",
            "Hot and cold sides are tested one-sided, each with its own FDR control.",
            f"Pseudo p-values (p_sim) cannot go below 1/({permutations}+1) = "
            f"{1 / (permutations + 1):.4f}; the tested p-value standardises Gi* by its own "
            "permutations and assumes that distribution is near normal.",
        ],
    )
    return HotspotResult(
        cells=table,
        tessellation=tess,
        cell_index=cells,
        kde_grid=kgrid,
        kde=dens,
        bandwidth=float(bandwidth),
        explanation=expl,
    )
