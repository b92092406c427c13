"""Conditional randomisation shared by Gi* and Local Moran's I.

Each feature keeps its value; its k neighbours are drawn at random from the other n − 1 features.
All features share each permutation's random order of the values (as esda does); a feature that
finds its own index among its first k draws takes draw k + 1 instead, which keeps every draw a
uniform subset of the *other* features. One cumulative sum per permutation then gives every
feature's permuted neighbour sum: O(permutations · n) work instead of O(permutations · n · k).
"""

from __future__ import annotations

import numpy as np

__all__ = ["pseudo_p"]


def pseudo_p(
    x: np.ndarray,
    k: np.ndarray,
    observed: np.ndarray,
    direction: np.ndarray,
    permutations: int,
    seed: int | None,
    block: int = 64,
) -> np.ndarray:
    """Pseudo p-values: the share of permutations at least as extreme as observed, on the side of
    the expectation where the observation lies, (extreme + 1) / (N + 1).

    Ties count as extreme, so a feature among empty neighbours (a sum of 0 that most draws also
    give) is not significant; esda folds ``>=`` counts instead, which calls such features the most
    significant of all. Features without neighbours get p = 1.

    Parameters
    ----------
    x : values of all features
    k : number of neighbours of each feature (itself excluded)
    observed : each feature's observed neighbour sum
    direction : +1 where a larger sum means a larger statistic, −1 where smaller does
    """
    rng = np.random.default_rng(seed)
    n = len(x)
    kmax = int(k.max()) if len(k) else 0
    others_mean = (x.sum() - x) / max(n - 1, 1)
    side = np.where(direction * (observed - k * others_mean) >= 0, 1.0, -1.0) * direction
    extreme = np.zeros(n)
    for start in range(0, permutations, block):
        rows = min(block, permutations - start)
        order = np.stack([rng.choice(n, size=kmax + 1, replace=False) for _ in range(rows)])
        values = x[order]
        csum = np.concatenate([np.zeros((rows, 1)), np.cumsum(values, axis=1)], axis=1)
        draws = csum[:, k]  # (rows, n): the sum of each feature's first k draws
        hit = np.arange(kmax + 1)[None, :] < k[order]  # a feature's own index among its draws
        r, j = np.nonzero(hit)
        i = order[r, j]
        draws[r, i] += values[r, k[i]] - x[i]
        extreme += (side[None, :] * draws >= side[None, :] * observed[None, :]).sum(axis=0)
    p = (extreme + 1) / (permutations + 1)
    p[k == 0] = 1.0
    return p
