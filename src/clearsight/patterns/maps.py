"""Readable PNG maps and charts with matplotlib (Agg backend, no base tiles).

Every map has a title with period and counts, a colour bar, a scale bar in kilometres, a
north arrow and the study-area outline, so it can be read on its own.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.colors import ListedColormap, LogNorm, Normalize, TwoSlopeNorm
from shapely.geometry.base import BaseGeometry

from clearsight.patterns.grid import SquareGrid, Tessellation


def _nice_length(span_m: float) -> float:
    target = span_m / 5.0
    for km in (0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 20, 50, 100):
        if km * 1000 >= target:
            return km * 1000
    return 100_000.0


def _scale_bar(ax: Axes) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = _nice_length(x1 - x0)
    bx = x0 + 0.05 * (x1 - x0)
    by = y0 + 0.05 * (y1 - y0)
    h = 0.012 * (y1 - y0)
    ax.add_patch(plt.Rectangle((bx, by), length / 2, h, facecolor="black", edgecolor="black"))
    ax.add_patch(plt.Rectangle((bx + length / 2, by), length / 2, h, facecolor="white", edgecolor="black"))
    label = f"{length / 1000:g} km"
    ax.text(bx + length / 2, by + 2.2 * h, label, ha="center", va="bottom", fontsize=9)
    ax.text(bx, by + 2.2 * h, "0", ha="center", va="bottom", fontsize=8)


def _north_arrow(ax: Axes) -> None:
    ax.annotate(
        "N",
        xy=(0.95, 0.95),
        xytext=(0.95, 0.86),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=12,
        fontweight="bold",
        arrowprops={"facecolor": "black", "width": 3, "headwidth": 9},
    )


def _outline(ax: Axes, outline: BaseGeometry | None) -> None:
    if outline is None or outline.is_empty:
        return
    geoms = getattr(outline, "geoms", [outline])
    for g in geoms:
        if hasattr(g, "exterior"):
            xs, ys = g.exterior.xy
            ax.plot(xs, ys, color="#333333", linewidth=0.8)
        elif hasattr(g, "xy"):
            xs, ys = g.xy
            ax.plot(xs, ys, color="#333333", linewidth=0.8)


def _finish(ax: Axes, title: str, footnote: str | None) -> None:
    ax.set_aspect("equal")
    ax.set_xlabel("Easting (m, British National Grid)")
    ax.set_ylabel("Northing (m)")
    ax.ticklabel_format(style="plain", useOffset=False)
    ax.tick_params(labelsize=7)
    ax.set_title(title, fontsize=11)
    _scale_bar(ax)
    _north_arrow(ax)
    if footnote:
        ax.figure.text(0.01, 0.01, footnote, fontsize=7, color="#444444", wrap=True)


def plot_cells(
    tess: Tessellation,
    cells: np.ndarray,
    values: np.ndarray,
    path: str | Path,
    *,
    title: str,
    label: str,
    outline: BaseGeometry | None = None,
    diverging: bool = False,
    cmap: str = "YlOrRd",
    footnote: str | None = None,
    hide_zero: bool = True,
    log_scale: bool = False,
) -> Path:
    """Map one value per cell as filled polygons with a colour bar.

    Args:
        tess: The tessellation.
        cells: Flat cell indices to draw.
        values: One value per cell.
        path: PNG path.
        title: Map title (state period and counts).
        label: Colour-bar label.
        outline: Study-area outline in BNG metres.
        diverging: Centre the colour scale on zero (for z-scores).
        cmap: Matplotlib colour map for non-diverging values.
        footnote: Small print under the map (limits, sources).
        hide_zero: Leave cells with value 0 blank (sequential scales only).
        log_scale: Logarithmic colour scale (for skewed counts; values must be positive).
    """
    values = np.asarray(values, float)
    keep = np.ones(len(values), bool) if (diverging or not hide_zero) else values != 0
    fig, ax = plt.subplots(figsize=(9, 8), dpi=110)
    rings = tess.polygons(np.asarray(cells)[keep])
    vals = values[keep]
    if diverging:
        lim = max(float(np.nanmax(np.abs(vals))) if len(vals) else 1.0, 1.0)
        norm: Normalize = TwoSlopeNorm(vcenter=0.0, vmin=-lim, vmax=lim)
        cm = plt.get_cmap("RdBu_r")
    else:
        vmax = float(np.nanmax(vals)) if len(vals) else 1.0
        if log_scale and len(vals) and float(np.nanmin(vals)) > 0:
            norm = LogNorm(vmin=float(np.nanmin(vals)), vmax=max(vmax, float(np.nanmin(vals)) * 10))
        else:
            norm = Normalize(vmin=0.0, vmax=max(vmax, 1e-9))
        cm = plt.get_cmap(cmap)
    coll = PolyCollection(list(rings[..., :2]), array=vals, cmap=cm, norm=norm, edgecolors="none")
    ax.add_collection(coll)
    _outline(ax, outline)
    xc, yc = tess.centres()
    sel = np.asarray(cells)
    pad = 2 * tess.cell_size
    ax.set_xlim(float(xc[sel].min()) - pad, float(xc[sel].max()) + pad)
    ax.set_ylim(float(yc[sel].min()) - pad, float(yc[sel].max()) + pad)
    fig.colorbar(coll, ax=ax, shrink=0.7, label=label)
    _finish(ax, title, footnote)
    return _save(fig, path)


def plot_categories(
    tess: Tessellation,
    cells: np.ndarray,
    categories: np.ndarray,
    path: str | Path,
    *,
    title: str,
    outline: BaseGeometry | None = None,
    footnote: str | None = None,
) -> Path:
    """Map Gi* classes (hot / cold / not significant) with a legend."""
    order = ["cold", "not significant", "hot"]
    colours = ["#2166ac", "#f0f0f0", "#b2182b"]
    codes = np.array([order.index(c) for c in categories], float)
    fig, ax = plt.subplots(figsize=(9, 8), dpi=110)
    rings = tess.polygons(np.asarray(cells))
    coll = PolyCollection(
        list(rings), array=codes, cmap=ListedColormap(colours), norm=Normalize(-0.5, 2.5), edgecolors="none"
    )
    ax.add_collection(coll)
    _outline(ax, outline)
    xc, yc = tess.centres()
    sel = np.asarray(cells)
    pad = 2 * tess.cell_size
    ax.set_xlim(float(xc[sel].min()) - pad, float(xc[sel].max()) + pad)
    ax.set_ylim(float(yc[sel].min()) - pad, float(yc[sel].max()) + pad)
    counts = {c: int((categories == c).sum()) for c in order}
    handles = [
        plt.Rectangle((0, 0), 1, 1, facecolor=col, edgecolor="#999999") for col in reversed(colours)
    ]
    ax.legend(
        handles,
        [f"{c} ({counts[c]} cells)" for c in reversed(order)],
        loc="lower right",
        fontsize=8,
        title="Gi* (FDR-controlled)",
    )
    _finish(ax, title, footnote)
    return _save(fig, path)


def plot_surface(
    grid: SquareGrid,
    surface: np.ndarray,
    path: str | Path,
    *,
    title: str,
    label: str,
    outline: BaseGeometry | None = None,
    footnote: str | None = None,
) -> Path:
    """Map a raster surface (kernel density, forecast) with a colour bar."""
    fig, ax = plt.subplots(figsize=(9, 8), dpi=110)
    extent = (
        grid.x0,
        grid.x0 + grid.ncols * grid.cell_size,
        grid.y0,
        grid.y0 + grid.nrows * grid.cell_size,
    )
    masked = np.ma.masked_less_equal(surface, float(np.nanmax(surface)) * 1e-3 if surface.size else 0)
    img = ax.imshow(masked, origin="lower", extent=extent, cmap="magma_r", interpolation="nearest")
    _outline(ax, outline)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    fig.colorbar(img, ax=ax, shrink=0.7, label=label)
    _finish(ax, title, footnote)
    return _save(fig, path)


def plot_hour_weekday(table: pd.DataFrame, path: str | Path, *, title: str) -> Path:
    """Heat map of a weekday x hour table of counts."""
    fig, ax = plt.subplots(figsize=(10, 4), dpi=110)
    img = ax.imshow(table.to_numpy(float), aspect="auto", cmap="YlOrRd")
    ax.set_yticks(range(len(table.index)), [str(i) for i in table.index])
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
    ax.set_xlabel("Hour of day (local time)")
    ax.set_title(title, fontsize=11)
    fig.colorbar(img, ax=ax, label="events")
    return _save(fig, path)


def plot_trend(table: pd.DataFrame, path: str | Path, *, title: str, flagged: list[str] | None = None) -> Path:
    """Line chart of monthly counts (one line per column), optionally marking flagged months."""
    fig, ax = plt.subplots(figsize=(10, 4.5), dpi=110)
    for col in table.columns:
        ax.plot(range(len(table.index)), table[col].to_numpy(float), marker="o", label=str(col))
    ax.set_xticks(range(len(table.index)), [str(i) for i in table.index], rotation=45, fontsize=8)
    if flagged:
        for i, m in enumerate(table.index):
            if str(m) in flagged:
                ax.axvline(i, color="red", alpha=0.3)
    ax.set_ylabel("events per month")
    ax.set_title(title, fontsize=11)
    if len(table.columns) <= 15:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _save(fig, path)


def _save(fig: plt.Figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(path)
    plt.close(fig)
    return path
