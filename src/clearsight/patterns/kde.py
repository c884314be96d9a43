"""Kernel density on a square grid by FFT convolution.

Events are binned to the grid and convolved with the kernel sampled at cell offsets, so the
cost depends on the grid, not on the number of events (one million events take the time of
one ``np.bincount``). The kernel is normalised to sum to one, so the surface is in
*events per cell* and keeps the total count (apart from mass that spreads past the edge).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from scipy.signal import fftconvolve

from clearsight.patterns.grid import SquareGrid

Kernel = Literal["gaussian", "quartic"]
BandwidthRule = Literal["chainey", "silverman", "scott"]

KERNEL_TEXT: dict[str, str] = {
    "gaussian": "Gaussian kernel; bandwidth is its standard deviation, cut off at 4 bandwidths",
    "quartic": "quartic (biweight) kernel; bandwidth is its radius, beyond which weight is zero",
}


def kernel_weights(cell_size: float, bandwidth: float, kernel: Kernel = "gaussian") -> np.ndarray:
    """The kernel sampled at cell-centre offsets, normalised to sum to one.

    Args:
        cell_size: Cell side in metres.
        bandwidth: Gaussian standard deviation or quartic radius, in metres.
        kernel: "gaussian" or "quartic".

    Returns:
        A square, odd-sided array of weights.
    """
    if bandwidth <= 0:
        return np.ones((1, 1))
    reach = 4.0 * bandwidth if kernel == "gaussian" else bandwidth
    half = int(math.ceil(reach / cell_size))
    off = np.arange(-half, half + 1) * cell_size
    dx, dy = np.meshgrid(off, off)
    d2 = dx**2 + dy**2
    if kernel == "gaussian":
        k = np.exp(-0.5 * d2 / bandwidth**2)
    elif kernel == "quartic":
        k = np.clip(1.0 - d2 / bandwidth**2, 0.0, None) ** 2
    else:
        raise ValueError(f"unknown kernel {kernel!r}; use 'gaussian' or 'quartic'")
    total = k.sum()
    if total <= 0:  # radius smaller than half a cell: all weight stays in the cell
        return np.ones((1, 1))
    return k / total


def smooth(counts: np.ndarray, cell_size: float, bandwidth: float, kernel: Kernel = "gaussian") -> np.ndarray:
    """Convolve a (nrows, ncols) count raster with the kernel (same shape out, never negative)."""
    k = kernel_weights(cell_size, bandwidth, kernel)
    if k.size == 1:
        return counts.astype(float).copy()
    out = fftconvolve(counts, k, mode="same")
    return np.clip(out, 0.0, None)


def kde_surface(
    grid: SquareGrid,
    x: np.ndarray,
    y: np.ndarray,
    bandwidth: float,
    kernel: Kernel = "gaussian",
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Kernel density of the points as expected events per cell, shape (nrows, ncols)."""
    return smooth(grid.counts(x, y, weights), grid.cell_size, bandwidth, kernel)


def bandwidth_rule(x: np.ndarray, y: np.ndarray, rule: BandwidthRule = "chainey") -> float:
    """A rule-of-thumb bandwidth in metres for two-dimensional points.

    Chainey (2013), the crime-mapping rule: five times the shorter side of the points'
    bounding rectangle (1st to 99th percentile) divided by 150, used as a quartic radius (returned here as the
    Gaussian sd with the same spread, ``radius / (2 * sqrt(2))``).
    Silverman: ``h = n**(-1/6) * min(sd, IQR/1.349)`` averaged over both axes.
    Scott: ``h = n**(-1/6) * sd`` averaged over both axes. Both assume one smooth bump,
    so on a whole force they oversmooth; prefer a bandwidth fitted by backtest for forecasts.
    """
    n = len(x)
    if n < 2:
        raise ValueError("a bandwidth rule needs at least two points")
    if rule == "chainey":
        # 1st to 99th percentile, so a few stray points do not stretch the rectangle
        xr = np.percentile(x, [1, 99])
        yr = np.percentile(y, [1, 99])
        short = float(min(xr[1] - xr[0], yr[1] - yr[0]))
        return quartic_to_gaussian(5.0 * short / 150.0)
    spreads = []
    for v in (np.asarray(x, float), np.asarray(y, float)):
        sd = float(np.std(v, ddof=1))
        if rule == "silverman":
            q75, q25 = np.percentile(v, [75, 25])
            iqr = float(q75 - q25) / 1.349
            sd = min(sd, iqr) if iqr > 0 else sd
        elif rule != "scott":
            raise ValueError(f"unknown bandwidth rule {rule!r}")
        spreads.append(sd)
    return float(np.mean(spreads) * n ** (-1.0 / 6.0))


def quartic_radius_for(gaussian_bandwidth: float) -> float:
    """Quartic radius with the same standard deviation as a Gaussian of this bandwidth.

    In two dimensions a quartic kernel of radius ``r`` has ``E[d^2] = r^2 / 4``, so its
    per-axis standard deviation is ``r / (2 * sqrt(2))``.
    """
    return gaussian_bandwidth * 2.0 * math.sqrt(2.0)


def quartic_to_gaussian(radius: float) -> float:
    """Gaussian bandwidth with the same spread as a quartic kernel of this radius."""
    return radius / (2.0 * math.sqrt(2.0))
