"""Local Moran's I (Anselin 1995) with row-standardised weights: the second view of clustering.

I_i = (z_i / m2) · Σ_j w_ij z_j with z = x − x̄, m2 = Σ z² / (n − 1) (esda's convention, so values
agree with esda's Moran_Local) and w row-standardised, the feature itself not included.
Quadrants: HH (high among high), LL, HL (high among low), LH. Significance by conditional
permutations (pseudo p, seeded), as esda's Moran_Local.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from gis.analysis.permutations import pseudo_p
from gis.analysis.weights import cardinalities

__all__ = ["LocalMoran", "local_moran", "QUADRANTS"]

QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}  # esda's numbering


@dataclass
class LocalMoran:
    I: np.ndarray  # noqa: E741 - the statistic's name
    quadrant: np.ndarray  # 1 HH, 2 LH, 3 LL, 4 HL
    p_sim: np.ndarray | None
    labels: np.ndarray  # "HH", … or "ns" when not significant at alpha


def local_moran(
    x, w: sp.csr_matrix, permutations: int = 999, seed: int | None = None, alpha: float = 0.05
) -> LocalMoran:
    """Local Moran's I, quadrants and pseudo p-values."""
    x = np.asarray(x, float)
    w = sp.csr_matrix(w, dtype=float)
    w.setdiag(0)
    w.eliminate_zeros()
    k = cardinalities(w)
    n = len(x)
    z = x - x.mean()
    m2 = (z**2).sum() / (n - 1)
    neighbour_sum = w @ x
    lag = np.divide(w @ z, k, out=np.zeros(n), where=k > 0)
    stat = z / m2 * lag
    quadrant = np.where(z > 0, np.where(lag > 0, 1, 4), np.where(lag > 0, 2, 3))
    p_sim = None
    labels = np.array([QUADRANTS[q] for q in quadrant], dtype=object)
    if permutations:
        # I_i grows with the neighbours' sum when z_i > 0 and shrinks when z_i < 0.
        direction = np.where(z >= 0, 1.0, -1.0)
        p_sim = pseudo_p(x, k, neighbour_sum, direction, permutations, seed)
        labels[p_sim > alpha] = "ns"
    return LocalMoran(stat, quadrant, p_sim, labels)
