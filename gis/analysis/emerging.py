"""Emerging hot spots: space-time Gi* over a cube of (location, time step) bins, a Mann-Kendall trend
on each location's z series, and the 17 pattern categories (rules in docs/analysis.md).

The space-time neighbourhood of bin (i, t) is the spatial neighbours of i (itself included) in time
steps t − k … t, with k the time-step interval (1 by default), as ArcGIS defines it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.stats import norm

from gis.analysis.hotspots import gi_star
from gis.analysis.weights import include_self

__all__ = ["mann_kendall", "MannKendall", "space_time_weights", "emerging_hotspots", "Emerging", "CATEGORIES"]

CATEGORIES = (
    "new hot spot",
    "consecutive hot spot",
    "intensifying hot spot",
    "persistent hot spot",
    "diminishing hot spot",
    "sporadic hot spot",
    "oscillating hot spot",
    "historical hot spot",
    "new cold spot",
    "consecutive cold spot",
    "intensifying cold spot",
    "persistent cold spot",
    "diminishing cold spot",
    "sporadic cold spot",
    "oscillating cold spot",
    "historical cold spot",
    "no pattern detected",
)


@dataclass
class MannKendall:
    s: float
    variance: float
    z: float
    p: float


def mann_kendall(series) -> MannKendall:
    """Mann-Kendall trend test with the tie correction and the continuity correction.

    Examples
    --------
    >>> round(mann_kendall([1, 2, 3, 4, 5]).z, 4)
    2.2045
    """
    x = np.asarray(series, float)
    n = len(x)
    diff = np.sign(x[None, :] - x[:, None])
    s = float(np.triu(diff, 1).sum())
    _, ties = np.unique(x, return_counts=True)
    variance = (n * (n - 1) * (2 * n + 5) - (ties * (ties - 1) * (2 * ties + 5)).sum()) / 18.0
    if variance <= 0:
        return MannKendall(s, variance, 0.0, 1.0)
    z = (s - np.sign(s)) / np.sqrt(variance) if s != 0 else 0.0
    return MannKendall(s, variance, float(z), float(2 * norm.sf(abs(z))))


def space_time_weights(w_space: sp.csr_matrix, steps: int, interval: int = 1) -> sp.csr_matrix:
    """Weights over the cube, bins ordered time step by time step (index = t · n + i)."""
    w = include_self(sp.csr_matrix(w_space, dtype=float))
    n = w.shape[0]
    blocks = sp.lil_matrix((steps, steps))
    for t in range(steps):
        for lag in range(0, interval + 1):
            if t - lag >= 0:
                blocks[t, t - lag] = 1.0
    return sp.kron(blocks.tocsr(), w, format="csr") if n else sp.csr_matrix((0, 0))


@dataclass
class Emerging:
    z: np.ndarray  # (steps, n)
    p: np.ndarray
    bins: np.ndarray
    trend_z: np.ndarray  # (n,)
    trend_p: np.ndarray
    category: np.ndarray  # (n,) strings


def _classify(bins: np.ndarray, trend_z: float, trend_p: float, alpha: float = 0.05) -> str:
    """One location's category from its bin series (oldest first) and its Mann-Kendall trend."""
    for sign, kind in ((1, "hot"), (-1, "cold")):
        this = np.sign(bins) == sign
        other = np.sign(bins) == -sign
        steps = len(bins)
        share = this.mean()
        final = this[-1]
        trend_up = trend_p < alpha and trend_z * sign > 0
        trend_down = trend_p < alpha and trend_z * sign < 0
        if final and this[:-1].sum() == 0:
            return f"new {kind} spot"
        if final and share >= 0.9:
            if trend_up:
                return f"intensifying {kind} spot"
            if trend_down:
                return f"diminishing {kind} spot"
            return f"persistent {kind} spot"
        if final:
            run = steps - np.flatnonzero(~this)[-1] - 1  # length of the final uninterrupted run
            if run >= 2 and this[: steps - run].sum() == 0:
                return f"consecutive {kind} spot"
            if other.any():
                return f"oscillating {kind} spot"
            return f"sporadic {kind} spot"
        if share >= 0.9:  # the final step is not significant, yet 90% of the steps were
            return f"historical {kind} spot"
    return "no pattern detected"


def emerging_hotspots(
    counts: np.ndarray, w_space: sp.csr_matrix, interval: int = 1, fdr: bool = True
) -> Emerging:
    """Emerging hot spot analysis on a (steps, n) array of counts per time step and location."""
    counts = np.asarray(counts, float)
    steps, n = counts.shape
    gi = gi_star(counts.ravel(), space_time_weights(w_space, steps, interval), fdr=fdr)
    z = gi.z.reshape(steps, n)
    p = gi.p.reshape(steps, n)
    bins = gi.bins.reshape(steps, n)
    trends = [mann_kendall(z[:, i]) for i in range(n)]
    trend_z = np.array([t.z for t in trends])
    trend_p = np.array([t.p for t in trends])
    category = np.array([_classify(bins[:, i], trend_z[i], trend_p[i]) for i in range(n)])
    return Emerging(z, p, bins, trend_z, trend_p, category)
