"""Grids over an area (hexagons or squares, in metres) and the default cell size rule.

Cells are whole (never clipped to the boundary); a point belongs to the cell whose centre is
nearest, which for a regular grid is exactly the cell containing it.
"""

from __future__ import annotations

import numpy as np
import shapely
from scipy.spatial import cKDTree

from gis.errors import DataError

__all__ = ["default_cell_size", "make_grid", "count_in_cells", "MIN_INCIDENTS"]

MIN_INCIDENTS = 30


def default_cell_size(xy: np.ndarray) -> float:
    """Cell size by the ArcGIS Optimized Hot Spot Analysis rule.

    Nearest-neighbour distances between *distinct* incident locations, without locational outliers
    (beyond mean + 3 SD); base = max(mean, median) of the non-zero distances;
    factor = max(2, larger/smaller of mean and median); cell = base × factor.
    """
    unique = np.unique(np.round(np.asarray(xy, float), 3), axis=0)
    if len(unique) < MIN_INCIDENTS:
        raise DataError(
            f"Only {len(unique)} distinct incident locations; at least {MIN_INCIDENTS} "
            "are needed to choose a cell size.",
            "Widen the period or the area.",
        )
    dist, _ = cKDTree(unique).query(unique, k=2)
    nn = dist[:, 1]
    keep = nn <= nn.mean() + 3 * nn.std()
    nn = nn[keep & (nn > 0)]
    mean, median = nn.mean(), np.median(nn)
    larger, smaller = max(mean, median), min(mean, median)
    factor = max(2.0, larger / smaller) if smaller > 0 else 2.0
    return float(larger * factor)


def make_grid(area, cell: float, shape: str = "hex") -> tuple[np.ndarray, np.ndarray]:
    """Cells of size ``cell`` (centre spacing, metres) that intersect ``area``.

    Returns
    -------
    polygons : array of shapely Polygons
    centres : (n, 2) array
    """
    if cell <= 0:
        raise DataError(f"Cell size must be positive, got {cell}.")
    minx, miny, maxx, maxy = area.bounds
    if (maxx - minx) * (maxy - miny) / cell**2 > 5_000_000:
        raise DataError(
            f"A {cell:.0f} m grid over this area would exceed 5 million cells.", "Use a larger cell size."
        )
    if shape == "square":
        xs = np.arange(minx, maxx + cell, cell)
        ys = np.arange(miny, maxy + cell, cell)
        cx, cy = np.meshgrid(xs + cell / 2, ys + cell / 2)
        centres = np.column_stack([cx.ravel(), cy.ravel()])
        polys = shapely.box(
            centres[:, 0] - cell / 2,
            centres[:, 1] - cell / 2,
            centres[:, 0] + cell / 2,
            centres[:, 1] + cell / 2,
        )
    elif shape == "hex":
        side = cell / np.sqrt(3)  # pointy-top hexagons whose neighbours' centres are `cell` apart
        dy = 1.5 * side
        ys = np.arange(miny - side, maxy + 2 * side, dy)
        rows = []
        for r, y in enumerate(ys):
            xs = np.arange(minx - cell, maxx + 2 * cell, cell) + (cell / 2 if r % 2 else 0)
            rows.append(np.column_stack([xs, np.full(len(xs), y)]))
        centres = np.vstack(rows)
        angles = np.deg2rad(np.arange(30, 390, 60))
        ring = np.column_stack([np.cos(angles), np.sin(angles)]) * side
        polys = shapely.polygons(centres[:, None, :] + ring[None, :, :])
    else:
        raise DataError(f"Grid shape must be hex or square, got {shape!r}.")
    keep = shapely.intersects(polys, area)
    return polys[keep], centres[keep]


def count_in_cells(centres: np.ndarray, points: np.ndarray, cell: float) -> np.ndarray:
    """Points per cell; points farther than a cell from every centre are not counted."""
    counts = np.zeros(len(centres))
    if len(points) == 0:
        return counts
    dist, idx = cKDTree(centres).query(points, distance_upper_bound=cell)
    np.add.at(counts, idx[np.isfinite(dist)], 1)
    return counts
