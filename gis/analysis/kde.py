"""Kernel density with the quartic kernel, in complaints per km², on cell centres.

density(c) = Σ_{d_i < r} 3 / (π r²) · (1 − (d_i / r)²)²  per m²

which integrates to 1 per point over its disc, so the surface integrates to the number of points.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from gis.errors import DataError

__all__ = ["default_bandwidth", "quartic_density"]


def default_bandwidth(xy: np.ndarray) -> float:
    """ArcGIS's default search radius: 0.9 · min(SD, √(1/ln 2) · Dm) · n^−0.2, with SD the standard
    distance from the mean centre and Dm the median distance to it."""
    xy = np.asarray(xy, float)
    n = len(xy)
    if n < 2:
        raise DataError("Kernel density needs at least two points.")
    centre = xy.mean(axis=0)
    distances = np.hypot(*(xy - centre).T)
    sd = np.sqrt((distances**2).sum() / n)
    dm = np.median(distances)
    return float(0.9 * min(sd, np.sqrt(1 / np.log(2)) * dm) * n**-0.2)


def quartic_density(
    points: np.ndarray, centres: np.ndarray, radius: float, weights: np.ndarray | None = None
) -> np.ndarray:
    """Density at each centre, points per km²."""
    if radius <= 0:
        raise DataError(f"Bandwidth must be positive, got {radius}.")
    points = np.asarray(points, float)
    weights = np.ones(len(points)) if weights is None else np.asarray(weights, float)
    out = np.zeros(len(centres))
    if len(points) == 0:
        return out
    # A sparse distance matrix cannot hold a distance of 0 (a point exactly on a centre): lift the
    # points 1 µm into a third dimension so every distance is positive, then take the lift out.
    lift = 1e-6
    c3 = np.column_stack([centres, np.zeros(len(centres))])
    p3 = np.column_stack([points, np.full(len(points), lift)])
    pairs = cKDTree(c3).sparse_distance_matrix(cKDTree(p3), np.hypot(radius, lift), output_type="coo_matrix")
    d = np.sqrt(np.maximum(pairs.data**2 - lift**2, 0.0))
    inside = d < radius
    u = d[inside] / radius
    kernel = 3.0 / (np.pi * radius**2) * (1 - u**2) ** 2
    np.add.at(out, pairs.row[inside], kernel * weights[pairs.col[inside]])
    return out * 1e6
