"""A self-exciting point process (ETAS / Mohler et al. 2011) for events with dates.

Intensity at location s and time t::

    lambda(s, t) = mu * b(s) + sum_{t_i < t} theta * omega * exp(-omega (t - t_i))
                                             * N(s - s_i; sigma^2 I)

``b`` is a spatial density (a kernel density of the events weighted by their probability
of being background), ``mu`` the background rate per day, ``theta`` the expected number
of events each event triggers, ``1/omega`` the mean delay in days and ``sigma`` the spatial
reach in metres. Parameters are fitted by expectation-maximisation over pairs of events
closer than ``max_days`` and ``max_distance`` (the truncation is stated in explanations).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from clearsight.errors import InvalidData
from clearsight.patterns.events import EventSet
from clearsight.patterns.grid import SquareGrid
from clearsight.patterns.kde import kernel_weights, smooth

DAY = 86400.0


@dataclass
class EtasFit:
    """Fitted ETAS parameters.

    Attributes:
        mu: Background events per day over the whole grid.
        theta: Expected events triggered by each event (branching ratio).
        omega: Decay rate per day (mean delay ``1 / omega`` days).
        sigma: Spatial standard deviation of triggering, metres.
        background: Background spatial mass per cell (sums to 1), (nrows, ncols).
        background_share: Share of events the fit attributes to the background.
        iterations: EM iterations run.
        converged: Whether parameters stopped changing before ``max_iter``.
        pairs: Candidate (parent, child) pairs inside the truncation window.
    """

    mu: float
    theta: float
    omega: float
    sigma: float
    background: np.ndarray
    background_share: float
    iterations: int
    converged: bool
    pairs: int


def require_times(events: EventSet, analysis: str) -> EventSet:
    """The events with day-level times, or a clear refusal when there are none.

    Args:
        events: Prepared events.
        analysis: Name of the analysis, for the message.

    Raises:
        InvalidData: No event carries a date (month-only data such as police.uk).
    """
    timed = events.frame["time_precision"] != "month"
    if not bool(timed.any()):
        raise InvalidData(
            f"{analysis} needs the date of each event, but all {events.n} events carry the "
            "month only (police.uk publishes month and anonymised location only). Use force "
            "data with occurred-at dates, or a month-level analysis (hotspots, prior-count or "
            "kernel density forecasts, monthly trend)."
        )
    return events.subset(timed.to_numpy())


def _days(frame: pd.DataFrame, origin: pd.Timestamp) -> np.ndarray:
    return ((frame["occurred_at"] - origin).dt.total_seconds() / DAY).to_numpy(float)


def fit_etas(
    grid: SquareGrid,
    t: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    period_days: float,
    *,
    background_bandwidth: float = 500.0,
    max_days: float = 60.0,
    max_distance: float = 2000.0,
    max_iter: int = 100,
    tol: float = 1e-4,
) -> EtasFit:
    """Fit ETAS by EM (Mohler 2011 with a parametric triggering kernel).

    Args:
        grid: Square grid for the background density.
        t: Event times in days from the start of the training window.
        x: Eastings (metres).
        y: Northings (metres).
        period_days: Length of the training window in days.
        background_bandwidth: Gaussian bandwidth of the background density, metres.
        max_days: Longest delay considered for triggering.
        max_distance: Longest distance considered for triggering.
        max_iter: EM iteration limit.
        tol: Relative change of all parameters that counts as converged.

    Returns:
        The fitted parameters.
    """
    n = len(t)
    if n < 10:
        raise InvalidData(f"ETAS needs at least 10 dated events with locations; got {n}")
    pts = np.column_stack([x, y])
    pairs = cKDTree(pts).query_pairs(max_distance, output_type="ndarray")
    if len(pairs):
        a, b = pairs[:, 0], pairs[:, 1]
        parent = np.where(t[a] < t[b], a, b)
        child = np.where(t[a] < t[b], b, a)
        dt = t[child] - t[parent]
        keep = (dt > 0) & (dt <= max_days)
        parent, child, dt = parent[keep], child[keep], dt[keep]
        d2 = (x[child] - x[parent]) ** 2 + (y[child] - y[parent]) ** 2
    else:
        parent = child = np.zeros(0, np.int64)
        dt = d2 = np.zeros(0)
    cell = grid.index(x, y)
    inside = cell >= 0
    kw = kernel_weights(grid.cell_size, background_bandwidth)
    k0 = float(kw[kw.shape[0] // 2, kw.shape[1] // 2])
    mu, theta, omega, sigma = n * 0.5 / period_days, 0.2, 1.0 / 7.0, 200.0
    p_bg = np.ones(n)
    converged = False
    it = 0
    background = np.zeros((grid.nrows, grid.ncols))
    while it < max_iter:
        it += 1
        # background density per m^2 at each event, leaving the event's own mass out
        raw = smooth(grid.counts(x, y, p_bg), grid.cell_size, background_bandwidth)
        total = float(p_bg.sum())
        own = p_bg * k0
        at = np.where(inside, raw.ravel()[np.clip(cell, 0, None)] - own, 0.0)
        b_dens = np.clip(at, 1e-12, None) / np.clip(total - p_bg, 1e-9, None) / grid.cell_area
        background = raw / max(float(raw.sum()), 1e-12)
        bg_rate = mu * b_dens
        g = theta * omega * np.exp(-omega * dt) * np.exp(-d2 / (2 * sigma**2)) / (2 * np.pi * sigma**2)
        lam = bg_rate + np.bincount(child, weights=g, minlength=n)
        p_bg = bg_rate / lam
        p_pair = g / lam[child]
        trig = float(p_pair.sum())
        new_mu = float(p_bg.sum()) / period_days
        exposure = float(np.sum(1.0 - np.exp(-omega * np.clip(period_days - t, 0, None))))
        new_theta = min(trig / max(exposure, 1e-9), 0.99)
        new_omega = trig / float(np.sum(p_pair * dt)) if trig > 1e-9 else omega
        new_sigma = float(np.sqrt(np.sum(p_pair * d2) / (2 * trig))) if trig > 1e-9 else sigma
        change = max(
            abs(new_mu - mu) / max(mu, 1e-12),
            abs(new_theta - theta) / max(theta, 1e-12),
            abs(new_omega - omega) / max(omega, 1e-12),
            abs(new_sigma - sigma) / max(sigma, 1e-12),
        )
        mu, theta, omega, sigma = new_mu, new_theta, new_omega, max(new_sigma, 1.0)
        if change < tol:
            converged = True
            break
    return EtasFit(
        mu=mu,
        theta=theta,
        omega=omega,
        sigma=sigma,
        background=background,
        background_share=float(p_bg.mean()),
        iterations=it,
        converged=converged,
        pairs=len(dt),
    )


def etas_forecast(
    fit: EtasFit,
    grid: SquareGrid,
    t: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    start: float,
    horizon: float,
) -> np.ndarray:
    """Expected events per cell in ``[start, start + horizon)`` days.

    The background contributes ``mu * horizon`` spread by the background density; each
    past event adds ``theta`` times the share of its triggering that falls in the window,
    spread by the Gaussian of ``sigma``.
    """
    background = fit.mu * horizon * fit.background
    lag = np.clip(start - t, 0, None)
    share = np.exp(-fit.omega * lag) - np.exp(-fit.omega * (lag + horizon))
    triggered = smooth(grid.counts(x, y, fit.theta * share), grid.cell_size, fit.sigma)
    return background + triggered


def event_days(events: EventSet, origin: pd.Timestamp) -> np.ndarray:
    """Event times in days since ``origin`` (requires dated events)."""
    return _days(events.frame, origin)
