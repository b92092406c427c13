"""Shared inference: two-sided normal p-values, Benjamini–Hochberg FDR and the seven hotspot bins."""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

__all__ = ["two_sided_p", "fdr_threshold", "hotspot_bins", "CONFIDENCE_LEVELS"]

CONFIDENCE_LEVELS = ((3, 0.01), (2, 0.05), (1, 0.10))  # bin magnitude, alpha


def two_sided_p(z: np.ndarray) -> np.ndarray:
    """p = 2 · (1 − Φ(|z|)), computed with the survival function for precision in the tails."""
    return 2.0 * norm.sf(np.abs(z))


def fdr_threshold(p: np.ndarray, alpha: float) -> float:
    """The Benjamini–Hochberg cut-off: the largest p(k) with p(k) ≤ k·α/m, or 0 when none is.

    Examples
    --------
    >>> fdr_threshold(np.array([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205]), 0.05)
    0.008
    """
    finite = np.sort(p[np.isfinite(p)])
    m = len(finite)
    if m == 0:
        return 0.0
    passing = finite <= alpha * np.arange(1, m + 1) / m
    return float(finite[np.flatnonzero(passing)[-1]]) if passing.any() else 0.0


def hotspot_bins(z: np.ndarray, p: np.ndarray, fdr: bool = True) -> np.ndarray:
    """Bins −3…3: ±3 at 99%, ±2 at 95%, ±1 at 90% confidence, 0 not significant.

    With ``fdr``, each confidence level uses its own Benjamini–Hochberg cut-off on ``p`` (as ArcGIS
    does), so a feature is significant at 95% only when its p is at most the 5% FDR threshold.
    """
    bins = np.zeros(len(z), dtype=np.int8)
    for magnitude, alpha in reversed(CONFIDENCE_LEVELS):  # weakest first, strongest overwrites
        cut = fdr_threshold(p, alpha) if fdr else alpha
        significant = np.isfinite(p) & (p <= cut) & (p > 0 if cut == 0 else True)
        bins[significant] = magnitude * np.sign(z[significant]).astype(np.int8)
    return bins
