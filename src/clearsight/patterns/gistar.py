"""Getis-Ord Gi* hot and cold spots over cells, with permutation p-values and FDR control."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import esda
import numpy as np
from libpysal.weights import DistanceBand
from scipy.stats import false_discovery_control, norm

WeightKind = Literal["queen", "distance"]
PMethod = Literal["z_sim", "pseudo"]


@dataclass
class GiStar:
    """Gi* statistics per cell (arrays aligned with the input values).

    Attributes:
        z: Standardised Gi* (normal approximation); positive means more than expected.
        p_norm: One-sided p-value from the normal approximation.
        p_sim: One-sided pseudo p-value from conditional permutations, in the direction of
            the cell's deviation: share of permutations at least as high (hot side) or at
            least as low (cold side), ties counting against significance.
        p: The p-value tested: with ``p_method="z_sim"`` the one-sided normal p of the cell's
            Gi* standardised by the mean and sd of its own permutations (no floor at
            1/(permutations+1)); with ``"pseudo"`` it is ``p_sim``.
        q: Benjamini-Hochberg adjusted ``p``, hot and cold sides adjusted as separate families.
        category: "hot", "cold" or "not significant" at the chosen FDR level.
        weight_text: The spatial weight in words.
        n_neighbours_mean: Mean neighbours per cell (excluding itself).
    """

    z: np.ndarray
    p_norm: np.ndarray
    p_sim: np.ndarray
    p: np.ndarray
    q: np.ndarray
    category: np.ndarray
    weight_text: str
    n_neighbours_mean: float


def gi_star(
    values: np.ndarray,
    xc: np.ndarray,
    yc: np.ndarray,
    *,
    neighbour_distance: float,
    weight: WeightKind = "queen",
    distance_band: float | None = None,
    permutations: int = 999,
    alpha: float = 0.05,
    seed: int = 0,
    p_method: PMethod = "z_sim",
) -> GiStar:
    """Getis-Ord Gi* (``esda.G_Local`` with ``star=True``) on cell counts.

    Args:
        values: Count (or harm) per cell, every cell of the study area including zeros.
        xc: Cell centre eastings (metres).
        yc: Cell centre northings (metres).
        neighbour_distance: Centre distance of the farthest contiguous neighbour of the
            tessellation (diagonal for squares, spacing for hexagons).
        weight: "queen" (cells touching by edge or corner) or "distance" (all cells whose
            centres lie within ``distance_band`` metres). Weights are binary.
        distance_band: Threshold for ``weight="distance"`` in metres.
        permutations: Conditional permutations for ``p_sim``.
        alpha: False discovery rate for calling a cell hot or cold.
        seed: Random seed for the permutations.
        p_method: "z_sim" (default; permutation-standardised z, see :class:`GiStar`) or
            "pseudo" (rank p-values, which FDR cannot confirm when there are more than about
            ``alpha * (permutations + 1)`` times as many cells as significant ones).

    Returns:
        The per-cell statistics.
    """
    values = np.asarray(values, float)
    if len(values) < 3:
        raise ValueError("Gi* needs at least three cells")
    if weight == "queen":
        threshold = neighbour_distance * 1.001
        text = f"queen contiguity (binary; distance band {neighbour_distance:.0f} m between centres)"
    elif weight == "distance":
        if not distance_band or distance_band <= 0:
            raise ValueError("weight='distance' needs a positive distance_band in metres")
        threshold = float(distance_band)
        text = f"distance band {distance_band:g} m between cell centres (binary)"
    else:
        raise ValueError(f"unknown weight {weight!r}")
    pts = np.column_stack([xc, yc])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = DistanceBand(pts, threshold=threshold, binary=True, silence_warnings=True)
        g = esda.G_Local(
            values, w, transform="B", permutations=permutations, star=True, n_jobs=1, seed=seed
        )
    z = np.asarray(g.Zs, float)
    if permutations:
        # esda folds p_sim, so a zero cell among zeros looks "significantly cold" when every
        # permutation ties with it; count ties against significance instead.
        obs = np.asarray(g.Gs, float)[:, None]
        sims = np.asarray(g.rGs, float)
        sim_hot = ((sims >= obs - 1e-12).sum(1) + 1.0) / (permutations + 1.0)
        sim_cold = ((sims <= obs + 1e-12).sum(1) + 1.0) / (permutations + 1.0)
        sd = sims.std(axis=1)
        z_sim = np.where(sd > 0, (obs[:, 0] - sims.mean(axis=1)) / np.where(sd > 0, sd, 1.0), 0.0)
        del sims
        if p_method == "z_sim":
            p_hot, p_cold = norm.sf(z_sim), norm.cdf(z_sim)
        else:
            p_hot, p_cold = sim_hot, sim_cold
        p_sim = np.where(z_sim >= 0, sim_hot, sim_cold)
    else:
        p_hot, p_cold = norm.sf(z), norm.cdf(z)
        p_sim = np.where(z >= 0, p_hot, p_cold)
    hot_side = p_hot <= p_cold
    q_hot = false_discovery_control(np.clip(p_hot, 0.0, 1.0), method="bh")
    q_cold = false_discovery_control(np.clip(p_cold, 0.0, 1.0), method="bh")
    q = np.where(hot_side, q_hot, q_cold)
    category = np.where(
        hot_side & (q_hot <= alpha),
        "hot",
        np.where(~hot_side & (q_cold <= alpha), "cold", "not significant"),
    )
    return GiStar(
        z=z,
        p_norm=np.asarray(g.p_norm, float),
        p_sim=p_sim,
        p=np.where(hot_side, p_hot, p_cold),
        q=np.asarray(q, float),
        category=category,
        weight_text=text,
        n_neighbours_mean=float(w.mean_neighbors),
    )
