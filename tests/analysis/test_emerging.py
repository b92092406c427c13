"""Mann-Kendall on worked examples, the category rules, and emerging hot spots on a made cube."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from gis.analysis.emerging import CATEGORIES, _classify, emerging_hotspots, mann_kendall, space_time_weights
from gis.analysis.weights import distance_band


def test_mann_kendall_worked_examples():
    # Strictly increasing n = 5: S = 10, Var = 5·4·15/18, Z = (S − 1)/√Var, p two-sided.
    result = mann_kendall([1, 2, 3, 4, 5])
    assert result.s == 10 and result.variance == pytest.approx(16.6667, abs=1e-4)
    assert result.z == pytest.approx(2.2045, abs=1e-4) and result.p == pytest.approx(0.0275, abs=1e-4)
    # With ties (Gilbert 1987 style): 10, 20, 20, 30 -> S = 5, tie group of 2 reduces the variance.
    tied = mann_kendall([10, 20, 20, 30])
    assert tied.s == 5 and tied.variance == pytest.approx((4 * 3 * 13 - 2 * 1 * 9) / 18)
    assert mann_kendall([3, 3, 3]).p == 1.0
    assert mann_kendall([5, 4, 3, 2, 1]).z == pytest.approx(-2.2045, abs=1e-4)


H, C, N = 3, -3, 0
CASES = {
    "new hot spot": ([N] * 11 + [H], 0.0, 1.0),
    "consecutive hot spot": ([N] * 9 + [H] * 3, 0.0, 1.0),
    "intensifying hot spot": ([H] * 12, 3.0, 0.001),
    "persistent hot spot": ([H] * 12, 0.3, 0.7),
    "diminishing hot spot": ([H] * 12, -3.0, 0.001),
    "sporadic hot spot": ([N, H, N, N, H, N, N, H, N, N, N, H], 0.0, 1.0),
    "oscillating hot spot": ([N, C, N, N, H, N, C, H, N, N, N, H], 0.0, 1.0),
    "historical hot spot": ([H] * 11 + [N], -1.0, 0.3),
    "new cold spot": ([N] * 11 + [C], 0.0, 1.0),
    "consecutive cold spot": ([N] * 10 + [C] * 2, 0.0, 1.0),
    "intensifying cold spot": ([C] * 12, -3.0, 0.001),
    "persistent cold spot": ([C] * 12, 0.0, 1.0),
    "diminishing cold spot": ([C] * 12, 3.0, 0.001),
    "sporadic cold spot": ([N, C, N, N, C, N, N, N, N, N, N, C], 0.0, 1.0),
    "oscillating cold spot": ([H, C, N, N, C, N, H, N, N, N, N, C], 0.0, 1.0),
    "historical cold spot": ([C] * 11 + [N], 0.0, 1.0),
    "no pattern detected": ([N] * 12, 0.0, 1.0),
}


@pytest.mark.parametrize("category", CATEGORIES)
def test_every_category_rule(category):
    bins, trend_z, trend_p = CASES[category]
    assert _classify(np.array(bins), trend_z, trend_p) == category


def test_space_time_weights_reach_back_one_step():
    w = sp.csr_matrix(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], float))
    st = space_time_weights(w, steps=3, interval=1).toarray()
    assert st.shape == (9, 9)
    # bin (t=2, i=0) sees i ∈ {0, 1} at t = 2 and t = 1, nothing at t = 0
    assert st[6].tolist() == [0, 0, 0, 1, 1, 0, 1, 1, 0]
    assert st[0].tolist() == [1, 1, 0, 0, 0, 0, 0, 0, 0]


def test_a_new_cluster_in_the_last_month_is_a_new_hot_spot():
    rng = np.random.default_rng(4)
    gx, gy = np.meshgrid(np.arange(12) * 100.0, np.arange(12) * 100.0)
    xy = np.column_stack([gx.ravel(), gy.ravel()])
    counts = rng.poisson(1.0, (12, len(xy))).astype(float)
    cluster = (np.abs(xy[:, 0] - 600) <= 100) & (np.abs(xy[:, 1] - 600) <= 100)
    counts[-1, cluster] += 12
    result = emerging_hotspots(counts, distance_band(xy, 150))
    assert set(result.category[cluster]) == {"new hot spot"}
    far = (np.abs(xy[:, 0] - 600) > 400) | (np.abs(xy[:, 1] - 600) > 400)
    assert (result.category[far] == "no pattern detected").mean() > 0.8
