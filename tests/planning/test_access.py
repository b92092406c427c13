"""2SFCA by hand and against PySAL access, decay weights, coverage, deficits and greedy siting."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import shapely

from gis.planning.access import (
    Distances,
    Pairs,
    StraightLine,
    accessibility,
    candidate_grid,
    coverage,
    deficit,
    e2sfca_steps,
    gaussian_weights,
    greedy_max_cover,
    nearest_distance,
    pair_weights,
    step_weights,
    two_step_fca,
    uncovered_area,
)


def test_two_step_fca_by_hand():
    # On a line: demand at 0, 1000 and 2500 m (1000, 2000 and 500 people); a posyandu-like facility at
    # 500 m serving 1250 people and another at 2000 m serving 2500; catchment 1000 m.
    demand_xy = np.array([[0.0, 0], [1000, 0], [2500, 0]])
    facility_xy = np.array([[500.0, 0], [2000, 0]])
    P, S = np.array([1000.0, 2000, 500]), np.array([1250.0, 2500])
    # In reach (d ≤ 1000): facility 0 <- demand 0 (500 m) and 1 (500 m);
    #                      facility 1 <- demand 1 (1000 m) and 2 (500 m).
    # R_0 = 1250 / (1000 + 2000) = 5/12;  R_1 = 2500 / (2000 + 500) = 1
    # A_0 = R_0 = 5/12;  A_1 = R_0 + R_1 = 17/12;  A_2 = R_1 = 1
    result = accessibility(demand_xy, P, facility_xy, S, 1000.0)
    assert result.ratio == pytest.approx([5 / 12, 1.0], abs=1e-12)
    assert result.access == pytest.approx([5 / 12, 17 / 12, 1.0], abs=1e-12)
    # Σ A_i P_i = 5/12·1000 + 17/12·2000 + 1·500 = 3750 = Σ S_j
    assert (result.access * P).sum() == pytest.approx(3750.0, abs=1e-9)
    assert (result.access >= 1).tolist() == [False, True, True]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("variant", ["catchment", "gaussian", "step"])
def test_supply_is_conserved_when_every_facility_has_demand_in_reach(seed, variant):
    rng = np.random.default_rng(seed)
    facility_xy = rng.uniform(0, 5000, (40, 2))
    # a demand point at every facility guarantees each one some weighted demand in reach
    demand_xy = np.vstack([rng.uniform(0, 5000, (400, 2)), facility_xy + 1.0])
    P = rng.integers(1, 500, len(demand_xy)).astype(float)
    S = rng.integers(500, 5000, len(facility_xy)).astype(float)
    result = accessibility(demand_xy, P, facility_xy, S, 800.0, variant)
    assert not result.unreached.any()
    assert (result.access * P).sum() == pytest.approx(S.sum(), rel=1e-12)
    # a facility far from everyone: its supply is lost, the sum falls short by exactly that much
    far_xy = np.vstack([facility_xy, [[50_000.0, 50_000.0]]])
    far = accessibility(demand_xy, P, far_xy, np.append(S, 9999.0), 800.0, variant)
    assert far.unreached.tolist() == [False] * 40 + [True]
    assert (far.access * P).sum() == pytest.approx(S.sum(), rel=1e-12) and S.sum() < S.sum() + 9999.0
    assert (far.access * P).sum() < far.supply.sum()


def test_decay_weights_at_known_distances():
    d = np.array([0.0, 450.0, 900.0, 901.0])
    e = math.exp(-0.5)
    # Dai (2010): (exp(-½(d/d0)²) - exp(-½)) / (1 - exp(-½)); at d = d0/2: (e^-1/8 - e^-1/2)/(1 - e^-1/2)
    half = (math.exp(-1 / 8) - e) / (1 - e)
    assert gaussian_weights(d, 900.0) == pytest.approx([1.0, half, 0.0, 0.0], abs=1e-12)
    assert half == pytest.approx(0.7013666, abs=1e-7)  # (0.8824969 - 0.6065307) / 0.3934693
    # plain Gaussian (PySAL access): exp(-d²/2σ²), e^-½ at d = σ, cut at the radius
    assert gaussian_weights(d, 900.0, sigma=450.0) == pytest.approx([1.0, e, math.exp(-2), 0.0], abs=1e-12)
    # E2SFCA (Luo & Qi 2009): three equal zones weighted 1, 0.68, 0.22
    assert e2sfca_steps(900.0) == ((300.0, 1.0), (600.0, 0.68), (900.0, 0.22))
    dd = np.array([0, 300, 301, 600, 601, 900, 901.0])
    expected = [1.0, 1.0, 0.68, 0.68, 0.22, 0.22, 0.0]
    assert step_weights(dd, e2sfca_steps(900.0)).tolist() == expected
    assert pair_weights(dd, 900.0, "step").tolist() == pytest.approx(expected)
    assert pair_weights(dd, 900.0, "catchment").tolist() == [1, 1, 1, 1, 1, 1, 0]


def test_two_step_fca_matches_pysal_access():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        access_pkg = pytest.importorskip("access")
        from access import weights as access_weights

        rng = np.random.default_rng(7)
        demand_xy, facility_xy = rng.uniform(0, 3000, (150, 2)), rng.uniform(0, 3000, (25, 2))
        P = rng.integers(1, 800, 150).astype(float)
        S = rng.integers(500, 3000, 25).astype(float)
        pairs = StraightLine().pairs_within(demand_xy, facility_xy, 700.0)
        cost = pd.DataFrame({"origin": pairs.i, "dest": pairs.j + 10_000, "cost": pairs.d})
        for variant, fn, kw in [
            ("catchment", None, {}),
            ("step", access_weights.step_fn(dict(e2sfca_steps(700.0))), {}),
            ("gaussian", access_weights.gaussian(300.0), {"sigma": 300.0}),
        ]:
            model = access_pkg.Access(
                demand_df=pd.DataFrame({"geoid": np.arange(150), "pop": P}),
                demand_index="geoid",
                demand_value="pop",
                supply_df=pd.DataFrame({"geoid": np.arange(25) + 10_000, "supply": S}),
                supply_index="geoid",
                supply_value="supply",
                cost_df=cost,
                cost_origin="origin",
                cost_dest="dest",
                cost_name="cost",
            )
            theirs = model.two_stage_fca(name="a", max_cost=700.0, weight_fn=fn)["a_supply"]
            theirs = theirs.reindex(np.arange(150)).fillna(0.0).to_numpy()
            ours = two_step_fca(P, S, pairs, pair_weights(pairs.d, 700.0, variant, **kw)).access
            assert np.abs(ours - theirs).max() < 1e-9, variant


def test_coverage_and_uncovered_area_on_a_toy_layout():
    demand_xy = np.array([[0.0, 0], [300, 0], [2000, 0]])
    cov = coverage(demand_xy, [100, 50, 25], np.array([[0.0, 0]]), 500.0)
    assert cov.covered.tolist() == [True, True, False]
    assert cov.share == pytest.approx(150 / 175) and cov.nearest_m.tolist() == [0.0, 300.0, 2000.0]
    area = shapely.box(-100, -100, 2100, 100)
    holes = uncovered_area(area, np.array([[0.0, 0]]), 500.0)
    assert len(holes) == 1
    hole = holes[0]
    assert hole.contains(shapely.Point(2000, 0)) and not hole.contains(shapely.Point(300, 0))
    disc = shapely.Point(0, 0).buffer(500, quad_segs=16)
    assert hole.area + area.intersection(disc).area == pytest.approx(area.area)
    # no facility at all: everything is uncovered
    none = coverage(demand_xy, [100, 50, 25], np.zeros((0, 2)), 500.0)
    assert none.share == 0 and np.isinf(none.nearest_m).all()
    assert uncovered_area(area, np.zeros((0, 2)), 500.0)[0].area == pytest.approx(area.area)


def test_nearest_distance_and_the_provider_protocol():
    d, idx = nearest_distance(np.array([[0.0, 0], [10, 0]]), np.array([[3.0, 4], [10, 1]]))
    assert d.tolist() == [5.0, 1.0] and idx.tolist() == [0, 1]
    assert isinstance(StraightLine(), Distances)
    pairs = StraightLine().pairs_within(np.array([[0.0, 0]]), np.array([[0.0, 0], [3, 4], [6, 8]]), 5.0)
    assert isinstance(pairs, Pairs) and sorted(pairs.d.tolist()) == [0.0, 5.0]  # zero distance kept


def test_deficit_ceiling_arithmetic_and_land():
    out = deficit([0, 1, 1250, 1251, 5000], [0, 0, 2, 1, 1], 1250, 60)
    assert out["required"].tolist() == [0, 1, 1, 2, 4]
    assert out["gap"].tolist() == [0, 1, 0, 1, 3]
    assert out["surplus"].tolist() == [0, 0, 1, 0, 0]
    assert out["land_needed_m2"].tolist() == [0, 60, 0, 60, 180]
    assert deficit([2500.5], [0], 1250)["required"].tolist() == [3]
    assert np.isnan(deficit([100], [0], 1250)["land_needed_m2"][0])  # no land standard: unknown
    per_unit = deficit([3000, 3000], [0, 0], [1250, 1000], [60, 100])  # overrides: per-unit numbers
    assert per_unit["required"].tolist() == [3, 3] and per_unit["land_needed_m2"].tolist() == [180, 300]


def _clusters():
    rng = np.random.default_rng(3)
    dense = rng.normal([0, 0], 60, (20, 2))  # 20 × 100 people
    medium = rng.normal([5000, 0], 60, (10, 2))  # 10 × 100
    single = np.array([[10_000.0, 0]])  # 50
    xy = np.vstack([dense, medium, single])
    return xy, np.array([100.0] * 30 + [50.0])


def test_greedy_siting_takes_the_densest_uncovered_cluster_first():
    xy, pop = _clusters()
    area = shapely.box(-1000, -1000, 11_000, 1000)
    candidates = candidate_grid(area, 100.0)
    result = greedy_max_cover(xy, pop, candidates, 400.0, k=5)
    picks = result.picks
    assert len(picks) == 3  # nobody is left after three: it stops early
    assert picks["population_gained"].tolist() == [2000.0, 1000.0, 50.0]
    assert np.hypot(picks["x"][0], picks["y"][0]) < 400  # the first is at the dense cluster
    assert picks["cumulative_covered"].tolist() == [2000.0, 3000.0, 3050.0]
    assert picks["cumulative_share"].iloc[-1] == pytest.approx(1.0)
    # with an existing facility at the dense cluster, the first new one goes to the next cluster
    again = greedy_max_cover(xy, pop, candidates, 400.0, k=2, existing_xy=np.array([[0.0, 0]]))
    assert again.covered_before == 2000.0 and again.picks["population_gained"].tolist() == [1000.0, 50.0]


@pytest.mark.parametrize("seed", [0, 1])
def test_greedy_gains_never_increase(seed):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 4000, (800, 2))
    pop = rng.integers(0, 300, 800).astype(float)
    result = greedy_max_cover(xy, pop, rng.uniform(0, 4000, (300, 2)), 350.0, k=15)
    gains = result.picks["population_gained"].to_numpy()
    assert len(gains) == 15 and (np.diff(gains) <= 0).all() and (gains > 0).all()
    assert result.picks["cumulative_covered"].iloc[-1] == pytest.approx(gains.sum())
    assert len(set(result.picks["candidate"])) == 15
