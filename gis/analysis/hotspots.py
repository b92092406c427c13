"""Getis-Ord Gi* (Ord & Getis 1995) with binary weights that include each feature itself.

z_i = (Σ_j w_ij x_j − x̄ W_i) / (S √((n S1_i − W_i²) / (n − 1)))

with W_i = Σ_j w_ij, S1_i = Σ_j w_ij², x̄ the mean and S the population standard deviation.
Significance is the two-sided normal p-value, optionally a conditional-permutation pseudo p-value
(seeded), and bins follow :func:`gis.analysis.significance.hotspot_bins`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from gis.analysis.permutations import pseudo_p
from gis.analysis.significance import hotspot_bins, two_sided_p
from gis.analysis.weights import cardinalities, include_self
from gis.errors import DataError

__all__ = ["GiStar", "gi_star", "MIN_FEATURES"]

MIN_FEATURES = 30


@dataclass
class GiStar:
    """Results of :func:`gi_star`, one value per feature."""

    z: np.ndarray
    p: np.ndarray
    bins: np.ndarray
    n_neighbors: np.ndarray  # the feature itself included
    p_sim: np.ndarray | None = None
    permutations: int = 0
    fdr: bool = True


def _check(x: np.ndarray, w: sp.csr_matrix) -> None:
    if x.ndim != 1 or w.shape != (len(x), len(x)):
        raise DataError(f"{len(x)} values but weights for {w.shape[0]} features.")
    if len(x) < MIN_FEATURES:
        raise DataError(
            f"Hot spot analysis needs at least {MIN_FEATURES} features; got {len(x)}.",
            "Use a larger area, a longer period, or smaller cells.",
        )
    if not np.all(np.isfinite(x)):
        raise DataError("The values contain missing or infinite numbers.")
    if np.allclose(x, x[0]):
        raise DataError("Every feature has the same value, so there is no pattern to test (zero variance).")


def gi_star(x, w: sp.csr_matrix, fdr: bool = True, permutations: int = 0, seed: int | None = None) -> GiStar:
    """Gi* z-scores, p-values and bins for values ``x`` and binary neighbour weights ``w``.

    Parameters
    ----------
    x : (n,) array
        Counts or rates per feature.
    w : sparse (n, n)
        Binary neighbour weights without (or with) self; the diagonal is set to 1.
    fdr : bool
        Apply the Benjamini–Hochberg correction per confidence level when binning.
    permutations : int
        When > 0, also a conditional-permutation pseudo p-value (``p_sim``) with this many draws;
        the bins then use it.
    seed : int, optional
        Makes the permutations reproducible.
    """
    x = np.asarray(x, dtype=float)
    w = sp.csr_matrix(w, dtype=float)
    _check(x, w)
    w = include_self(w)
    n = len(x)
    wi = np.asarray(w.sum(axis=1)).ravel()
    s1 = np.asarray(w.multiply(w).sum(axis=1)).ravel()
    mean = x.mean()
    s = np.sqrt((x**2).mean() - mean**2)
    lag = w @ x
    spread = s * np.sqrt(np.maximum(n * s1 - wi**2, 0.0) / (n - 1))
    # A feature whose neighbourhood is every feature has no variance: its lag is exactly the
    # expectation, so z = 0 (not significant) rather than 0/0.
    z = np.divide(lag - mean * wi, spread, out=np.zeros(n), where=spread > 0)
    p = two_sided_p(z)
    p_sim = None
    if permutations:
        k = cardinalities(w) - 1  # neighbours besides the feature itself
        p_sim = pseudo_p(x, k, lag - x, np.ones(n), permutations, seed)
    bins = hotspot_bins(z, p_sim if p_sim is not None else p, fdr=fdr)
    return GiStar(
        z=z, p=p, bins=bins, n_neighbors=cardinalities(w), p_sim=p_sim, permutations=permutations, fdr=fdr
    )
