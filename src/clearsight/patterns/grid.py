"""Square and hexagonal cells in British National Grid metres.

Both tessellations are dense rasters of ``nrows x ncols`` cells with a flat index
``row * ncols + col``, so counting is one ``np.bincount`` and neighbours, polygons and
study-area masks work the same way for both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import shapely
from scipy.spatial import ConvexHull, QhullError
from shapely.geometry import MultiPoint, Polygon
from shapely.geometry.base import BaseGeometry

CellShape = Literal["square", "hex"]
StudyArea = Literal["hull", "bbox", "cells_with_events"]

STUDY_AREA_TEXT: dict[str, str] = {
    "hull": (
        "cells whose centre lies inside the convex hull of the training events (leaving out "
        "the 0.5% of events farthest from the median centre), plus any cell holding an event"
    ),
    "bbox": "every cell of the bounding box of the events",
    "cells_with_events": "cells with any event in the training data",
}


@dataclass(frozen=True)
class SquareGrid:
    """Square cells of side ``cell_size`` metres, lower-left corner at (x0, y0)."""

    x0: float
    y0: float
    cell_size: float
    ncols: int
    nrows: int
    shape: CellShape = "square"

    @classmethod
    def covering(cls, x: np.ndarray, y: np.ndarray, cell_size: float, pad: float = 0.0) -> SquareGrid:
        """The smallest grid aligned to multiples of ``cell_size`` covering the points plus ``pad``."""
        if len(x) == 0:
            raise ValueError("cannot build a grid over no points")
        x0 = math.floor((float(np.min(x)) - pad) / cell_size) * cell_size
        y0 = math.floor((float(np.min(y)) - pad) / cell_size) * cell_size
        ncols = int(math.floor((float(np.max(x)) + pad - x0) / cell_size)) + 1
        nrows = int(math.floor((float(np.max(y)) + pad - y0) / cell_size)) + 1
        return cls(x0, y0, float(cell_size), ncols, nrows)

    @property
    def n_cells(self) -> int:
        """Number of cells."""
        return self.ncols * self.nrows

    @property
    def cell_area(self) -> float:
        """Area of one cell in square metres."""
        return self.cell_size**2

    @property
    def neighbour_distance(self) -> float:
        """Centre-to-centre distance of the farthest queen neighbour (diagonal)."""
        return self.cell_size * math.sqrt(2.0)

    def index(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Flat cell index of each point, -1 outside the grid."""
        col = np.floor((np.asarray(x, float) - self.x0) / self.cell_size).astype(np.int64)
        row = np.floor((np.asarray(y, float) - self.y0) / self.cell_size).astype(np.int64)
        ok = (col >= 0) & (col < self.ncols) & (row >= 0) & (row < self.nrows)
        return np.where(ok, row * self.ncols + col, -1)

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Cell centres (flat order)."""
        cols, rows = np.meshgrid(np.arange(self.ncols), np.arange(self.nrows))
        xc = self.x0 + (cols.ravel() + 0.5) * self.cell_size
        yc = self.y0 + (rows.ravel() + 0.5) * self.cell_size
        return xc, yc

    def polygons(self, cells: np.ndarray) -> np.ndarray:
        """Corner coordinates, shape (n, 5, 2), of the given flat cells (closed rings)."""
        cells = np.asarray(cells, np.int64)
        col, row = cells % self.ncols, cells // self.ncols
        xl = self.x0 + col * self.cell_size
        yb = self.y0 + row * self.cell_size
        s = self.cell_size
        dx = np.array([0, s, s, 0, 0])
        dy = np.array([0, 0, s, s, 0])
        return np.stack([xl[:, None] + dx, yb[:, None] + dy], axis=-1)

    def cell_ids(self, cells: np.ndarray) -> list[str]:
        """Stable, readable ids: the BNG easting and northing of the lower-left corner."""
        cells = np.asarray(cells, np.int64)
        xl = (self.x0 + (cells % self.ncols) * self.cell_size).astype(np.int64)
        yb = (self.y0 + (cells // self.ncols) * self.cell_size).astype(np.int64)
        return [f"sq{int(self.cell_size)}_{a}_{b}" for a, b in zip(xl, yb, strict=True)]

    def counts(self, x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Events (or summed weights) per cell as a (nrows, ncols) array."""
        return _bin(self.index(x, y), self.n_cells, weights).reshape(self.nrows, self.ncols)

    def describe(self) -> str:
        """Words for explanations."""
        return f"{self.cell_size:g} m square cells (British National Grid)"


@dataclass(frozen=True)
class HexGrid:
    """Pointy-top hexagons whose centres are ``cell_size`` metres apart (flat-to-flat width).

    Rows are offset ("odd-r"): odd rows shift right by half a cell. A hexagon's area is
    ``sqrt(3) / 2 * cell_size**2``.
    """

    x0: float
    y0: float
    cell_size: float
    ncols: int
    nrows: int
    shape: CellShape = "hex"

    @property
    def _row_step(self) -> float:
        return self.cell_size * math.sqrt(3.0) / 2.0

    @property
    def _radius(self) -> float:
        return self.cell_size / math.sqrt(3.0)

    @classmethod
    def covering(cls, x: np.ndarray, y: np.ndarray, cell_size: float, pad: float = 0.0) -> HexGrid:
        """Hexagons covering the points plus ``pad`` (with one spare row and column)."""
        if len(x) == 0:
            raise ValueError("cannot build a grid over no points")
        step = cell_size * math.sqrt(3.0) / 2.0
        x0 = float(np.min(x)) - pad - cell_size
        y0 = float(np.min(y)) - pad - step
        ncols = int(math.ceil((float(np.max(x)) + pad - x0) / cell_size)) + 2
        nrows = int(math.ceil((float(np.max(y)) + pad - y0) / step)) + 2
        return cls(x0, y0, float(cell_size), ncols, nrows)

    @property
    def n_cells(self) -> int:
        """Number of cells."""
        return self.ncols * self.nrows

    @property
    def cell_area(self) -> float:
        """Area of one hexagon in square metres."""
        return math.sqrt(3.0) / 2.0 * self.cell_size**2

    @property
    def neighbour_distance(self) -> float:
        """Centre-to-centre distance between adjacent hexagons."""
        return self.cell_size

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Cell centres (flat order)."""
        cols, rows = np.meshgrid(np.arange(self.ncols), np.arange(self.nrows))
        xc = self.x0 + (cols + 0.5 * (rows & 1)) * self.cell_size
        yc = self.y0 + rows * self._row_step
        return xc.ravel().astype(float), yc.ravel().astype(float)

    def index(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Flat cell index of each point (nearest hexagon centre), -1 outside the grid."""
        px = (np.asarray(x, float) - self.x0) / self._radius
        py = (np.asarray(y, float) - self.y0) / self._radius
        # axial coordinates with the origin at the centre of cell (0, 0)
        qf = math.sqrt(3.0) / 3.0 * px - py / 3.0
        rf = 2.0 / 3.0 * py
        sf = -qf - rf
        q, r, s = np.round(qf), np.round(rf), np.round(sf)
        dq, dr, ds = np.abs(q - qf), np.abs(r - rf), np.abs(s - sf)
        fix_q = (dq > dr) & (dq > ds)
        fix_r = ~fix_q & (dr > ds)
        q = np.where(fix_q, -r - s, q)
        r = np.where(fix_r, -q - s, r)
        row = r.astype(np.int64)
        col = (q + (row - (row & 1)) // 2).astype(np.int64)
        ok = (col >= 0) & (col < self.ncols) & (row >= 0) & (row < self.nrows)
        return np.where(ok, row * self.ncols + col, -1)

    def polygons(self, cells: np.ndarray) -> np.ndarray:
        """Corner coordinates, shape (n, 7, 2), of the given flat cells (closed rings)."""
        xc, yc = self.centres()
        cells = np.asarray(cells, np.int64)
        ang = np.deg2rad(np.array([30, 90, 150, 210, 270, 330, 30]))
        dx = self._radius * np.cos(ang)
        dy = self._radius * np.sin(ang)
        return np.stack([xc[cells][:, None] + dx, yc[cells][:, None] + dy], axis=-1)

    def cell_ids(self, cells: np.ndarray) -> list[str]:
        """Ids from the rounded BNG centre of each hexagon."""
        xc, yc = self.centres()
        cells = np.asarray(cells, np.int64)
        return [
            f"hex{int(self.cell_size)}_{int(round(a))}_{int(round(b))}"
            for a, b in zip(xc[cells], yc[cells], strict=True)
        ]

    def counts(self, x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Events (or summed weights) per cell as a (nrows, ncols) array."""
        return _bin(self.index(x, y), self.n_cells, weights).reshape(self.nrows, self.ncols)

    def describe(self) -> str:
        """Words for explanations."""
        return f"hexagons {self.cell_size:g} m across (flat to flat, British National Grid)"


Tessellation = SquareGrid | HexGrid


def _bin(idx: np.ndarray, n: int, weights: np.ndarray | None) -> np.ndarray:
    ok = idx >= 0
    w = None if weights is None else np.asarray(weights, float)[ok]
    return np.bincount(idx[ok], weights=w, minlength=n).astype(float)


def make_tessellation(
    x: np.ndarray, y: np.ndarray, cell_size: float, shape: CellShape = "square", pad: float = 0.0
) -> Tessellation:
    """A square grid or hexagon grid covering the points."""
    if cell_size <= 0:
        raise ValueError("cell size must be positive")
    if shape == "square":
        return SquareGrid.covering(x, y, cell_size, pad)
    if shape == "hex":
        return HexGrid.covering(x, y, cell_size, pad)
    raise ValueError(f"unknown cell shape {shape!r}; use 'square' or 'hex'")


def hull(x: np.ndarray, y: np.ndarray, keep: float = 0.995) -> BaseGeometry:
    """Convex hull of the points, the study-area outline when no boundary is available.

    The ``1 - keep`` share of points farthest from the median centre is left out, so that
    a few stray or mis-geocoded points do not stretch the outline over empty country.
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    if len(x) >= 50 and keep < 1.0:
        d = np.hypot(x - np.median(x), y - np.median(y))
        ok = d <= np.quantile(d, keep)
        x, y = x[ok], y[ok]
    pts = np.column_stack([x, y])
    if len(pts) < 3:
        return MultiPoint(pts).convex_hull
    try:
        vertices = pts[ConvexHull(pts).vertices]
    except QhullError:  # all points on a line
        return MultiPoint(pts).convex_hull
    return Polygon(vertices)


def study_mask(
    tess: Tessellation, x: np.ndarray, y: np.ndarray, area: StudyArea = "hull"
) -> np.ndarray:
    """Flat boolean mask of the cells in the study area.

    Args:
        tess: The cells.
        x: Eastings of the events that define the area (usually the training events).
        y: Northings of those events.
        area: "hull" (centre inside the convex hull of the events, and any cell holding an
            event), "bbox" (every cell) or "cells_with_events".
    """
    has = tess.counts(x, y).ravel() > 0
    if area == "cells_with_events":
        return has
    if area == "bbox":
        return np.ones(tess.n_cells, bool)
    if area == "hull":
        xc, yc = tess.centres()
        geom = hull(x, y)
        if isinstance(geom, Polygon):
            inside = shapely.contains_xy(geom, xc, yc)
            return np.asarray(inside, bool) | has
        return has
    raise ValueError(f"unknown study area {area!r}")


def cell_union(tess: Tessellation, cells: np.ndarray) -> BaseGeometry:
    """Union of the given cells' polygons (an outline for maps)."""
    rings = tess.polygons(cells)
    polys = shapely.polygons(rings)
    return shapely.union_all(polys)
