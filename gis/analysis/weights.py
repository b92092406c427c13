"""Spatial weights as sparse binary matrices (scipy CSR), built in the metric CRS.

Every builder returns the neighbours only; Gi* adds the cell itself (``include_self``).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import shapely
from scipy.spatial import cKDTree

__all__ = ["distance_band", "knn", "queen", "include_self", "cardinalities"]


def distance_band(xy: np.ndarray, threshold: float) -> sp.csr_matrix:
    """Binary weights: j is a neighbour of i when their centres are at most ``threshold`` apart.

    Parameters
    ----------
    xy : (n, 2) array of centres in metres
    threshold : float, metres
    """
    tree = cKDTree(xy)
    pairs = tree.query_pairs(threshold, output_type="ndarray")
    n = len(xy)
    rows = np.concatenate([pairs[:, 0], pairs[:, 1]])
    cols = np.concatenate([pairs[:, 1], pairs[:, 0]])
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))


def knn(xy: np.ndarray, k: int) -> sp.csr_matrix:
    """Binary weights to the ``k`` nearest other centres (not symmetric in general)."""
    n = len(xy)
    k = min(k, n - 1)
    _, idx = cKDTree(xy).query(xy, k=k + 1)
    rows = np.repeat(np.arange(n), k)
    cols = idx[:, 1:].ravel()
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))


def queen(geoms) -> sp.csr_matrix:
    """Binary queen contiguity: polygons sharing at least one boundary point."""
    geoms = np.asarray(geoms)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left != right
    left, right = left[keep], right[keep]
    touching = shapely.intersects(shapely.boundary(geoms[left]), shapely.boundary(geoms[right]))
    left, right = left[touching], right[touching]
    n = len(geoms)
    return sp.csr_matrix((np.ones(len(left)), (left, right)), shape=(n, n))


def include_self(w: sp.csr_matrix) -> sp.csr_matrix:
    """The same weights with every observation its own neighbour (weight 1 on the diagonal)."""
    w = w.tolil(copy=True)
    w.setdiag(1.0)
    return w.tocsr()


def cardinalities(w: sp.csr_matrix) -> np.ndarray:
    """Number of neighbours of each observation."""
    return np.diff(w.indptr)
