"""Global Moran's I under randomisation, and the default distance band chosen from it
(incremental spatial autocorrelation, as ArcGIS's Optimized Hot Spot Analysis does)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from gis.analysis.weights import distance_band

__all__ = ["MoranResult", "moran", "choose_band", "BandChoice"]


@dataclass
class MoranResult:
    I: float  # noqa: E741 - the statistic's name
    expected: float
    variance: float
    z: float


def moran(x: np.ndarray, w: sp.csr_matrix) -> MoranResult:
    """Global Moran's I with its randomisation variance (Cliff & Ord), binary weights as given."""
    x = np.asarray(x, float)
    n = len(x)
    z = x - x.mean()
    w = sp.csr_matrix(w, dtype=float)
    s0 = w.sum()
    if s0 == 0:
        return MoranResult(np.nan, -1 / (n - 1), np.nan, np.nan)
    m2 = (z**2).sum()
    stat = n / s0 * (z @ (w @ z)) / m2
    ws = w + w.T
    s1 = 0.5 * ws.multiply(ws).sum()
    s2 = ((np.asarray(w.sum(axis=1)).ravel() + np.asarray(w.sum(axis=0)).ravel()) ** 2).sum()
    b2 = n * (z**4).sum() / m2**2
    expected = -1.0 / (n - 1)
    a = n * ((n**2 - 3 * n + 3) * s1 - n * s2 + 3 * s0**2)
    b = b2 * ((n**2 - n) * s1 - 2 * n * s2 + 6 * s0**2)
    c = (n - 1) * (n - 2) * (n - 3) * s0**2
    variance = (a - b) / c - expected**2
    return MoranResult(
        float(stat),
        expected,
        float(variance),
        float((stat - expected) / np.sqrt(variance)) if variance > 0 else np.nan,
    )


@dataclass
class BandChoice:
    band: float | None  # metres; None means: use k nearest neighbours
    k: int | None
    distances: list[float]
    z_scores: list[float]
    reason: str


def choose_band(xy: np.ndarray, x: np.ndarray, steps: int = 10) -> BandChoice:
    """The default neighbourhood.

    Ten increasing bands, starting at the distance that gives every feature a neighbour and
    stepping by the average nearest-neighbour distance; global Moran's I z for each; the first peak
    with z > 1.65, else the highest peak; with no peak at all, k = clamp(0.05·N, 3, 30) neighbours.
    """
    nn = cKDTree(xy).query(xy, k=2)[0][:, 1]
    start, step = float(nn.max()), float(nn.mean())
    distances = [start + i * step for i in range(steps)]
    zs = [moran(x, distance_band(xy, d)).z for d in distances]
    peaks = [i for i in range(1, steps - 1) if zs[i] > zs[i - 1] and zs[i] >= zs[i + 1]]
    significant = [i for i in peaks if zs[i] > 1.65]
    if significant:
        i = significant[0]
        return BandChoice(distances[i], None, distances, zs, f"first peak with z > 1.65 (z={zs[i]:.2f})")
    if peaks:
        i = max(peaks, key=lambda j: zs[j])
        return BandChoice(distances[i], None, distances, zs, f"highest peak (z={zs[i]:.2f})")
    k = int(np.clip(round(0.05 * len(xy)), 3, 30))
    return BandChoice(None, k, distances, zs, f"no peak: {k} nearest neighbours")
