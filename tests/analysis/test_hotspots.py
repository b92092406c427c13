"""Gi* against esda on libpysal's Columbus data, FDR on the Benjamini–Hochberg worked example."""

from __future__ import annotations

import warnings

import esda.getisord as esda_getisord
import geopandas as gpd
import numpy as np
import pytest

from gis.analysis import distance_band, fdr_threshold, gi_star, hotspot_bins, knn, queen
from gis.errors import DataError


@pytest.fixture(scope="module")
def columbus():
    from libpysal import examples

    frame = gpd.read_file(examples.get_path("columbus.shp"))
    return frame, frame["CRIME"].to_numpy(float), np.column_stack([frame.centroid.x, frame.centroid.y])


def _esda(y, w, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return esda_getisord.G_Local(y, w, transform="B", star=True, **kwargs)


def test_gi_star_equals_esda_with_queen_weights(columbus):
    from libpysal import weights

    frame, y, _ = columbus
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = _esda(y, weights.Queen.from_dataframe(frame, use_index=False), permutations=0)
    ours = gi_star(y, queen(frame.geometry.values), fdr=False)
    assert np.max(np.abs(ours.z - reference.Zs)) < 1e-9
    assert (
        np.max(np.abs(ours.p - 2 * reference.p_norm)) < 1e-9
        or np.max(np.abs(ours.p - reference.p_norm)) < 1e-9
    )


@pytest.mark.parametrize("threshold", [1.0, 1.5, 3.0])
def test_gi_star_equals_esda_with_distance_band(columbus, threshold):
    from libpysal import weights

    _, y, xy = columbus
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        band = weights.DistanceBand(xy, threshold=threshold, binary=True, silence_warnings=True)
    reference = _esda(y, band, permutations=0)
    ours = gi_star(y, distance_band(xy, threshold), fdr=False)
    defined = np.isfinite(reference.Zs)  # esda gives NaN where the band covers every feature
    assert np.max(np.abs(ours.z[defined] - reference.Zs[defined])) < 1e-9
    assert (ours.z[~defined] == 0).all() and (ours.bins[~defined] == 0).all()
    assert np.array_equal(
        ours.n_neighbors,
        np.asarray(
            band.cardinalities_array
            if hasattr(band, "cardinalities_array")
            else [band.cardinalities[i] for i in band.id_order]
        )
        + 1,
    )


def test_gi_star_equals_esda_on_our_own_grid():
    from libpysal import weights

    rng = np.random.default_rng(3)
    gx, gy = np.meshgrid(np.arange(40) * 100.0, np.arange(30) * 100.0)
    xy = np.column_stack([gx.ravel(), gy.ravel()])
    counts = rng.poisson(2, len(xy)).astype(float)
    counts[(np.abs(xy[:, 0] - 1500) < 400) & (np.abs(xy[:, 1] - 1500) < 400)] += 6  # a hot spot
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        band = weights.DistanceBand(xy, threshold=250, binary=True, silence_warnings=True)
    reference = _esda(counts, band, permutations=0)
    ours = gi_star(counts, distance_band(xy, 250))
    assert np.max(np.abs(ours.z - reference.Zs)) < 1e-9
    hot = ours.bins[(np.abs(xy[:, 0] - 1500) < 200) & (np.abs(xy[:, 1] - 1500) < 200)]
    assert (hot == 3).all()


def test_permutation_p_values_agree_with_esda_and_are_reproducible(columbus):
    from libpysal import weights

    frame, y, _ = columbus
    w = queen(frame.geometry.values)
    first = gi_star(y, w, permutations=999, seed=7)
    again = gi_star(y, w, permutations=999, seed=7)
    assert np.array_equal(first.p_sim, again.p_sim)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = _esda(y, weights.Queen.from_dataframe(frame, use_index=False), permutations=9999, seed=1)
    precise = gi_star(y, w, permutations=9999, seed=2)
    # Both estimate the same conditional-randomisation p; 9,999 draws put the noise near 0.005.
    assert np.max(np.abs(precise.p_sim - reference.p_sim)) < 0.02


def test_permutation_p_values_are_calibrated_under_the_null():
    rng = np.random.default_rng(11)
    xy = rng.uniform(0, 5000, (400, 2))
    values = rng.poisson(3, 400).astype(float)
    result = gi_star(values, knn(xy, 8), permutations=499, seed=5)
    share = np.mean(result.p_sim <= 0.05)
    assert 0.05 < share < 0.16  # folded one-tail p: about 10% at 0.05 when nothing is there


def test_benjamini_hochberg_worked_example():
    # Benjamini & Hochberg (1995), section 4: 15 p-values, q = 0.05 -> the four smallest rejected.
    p = np.array(
        [
            0.0001,
            0.0004,
            0.0019,
            0.0095,
            0.0201,
            0.0278,
            0.0298,
            0.0344,
            0.0459,
            0.3240,
            0.4262,
            0.5719,
            0.6528,
            0.7590,
            1.0000,
        ]
    )
    assert fdr_threshold(p, 0.05) == 0.0095
    assert fdr_threshold(np.array([0.2, 0.5]), 0.05) == 0.0


def test_bins_with_and_without_fdr():
    z = np.array([3.5, 2.2, 1.8, 0.5, -1.7, -2.1, -2.9, 2.0])
    from gis.analysis import two_sided_p

    p = two_sided_p(z)
    assert hotspot_bins(z, p, fdr=False).tolist() == [3, 2, 1, 0, -1, -2, -3, 2]
    corrected = hotspot_bins(z, p, fdr=True)
    for level, alpha in ((3, 0.01), (2, 0.05), (1, 0.10)):
        cut = fdr_threshold(p, alpha)
        assert ((np.abs(corrected) >= level) == (p <= cut)).all()
    assert np.count_nonzero(corrected) <= np.count_nonzero(hotspot_bins(z, p, fdr=False))


@pytest.mark.parametrize(
    ("values", "words"),
    [
        (np.ones(40), "same value"),
        (np.arange(10.0), "at least 30"),
        (np.r_[np.arange(39.0), np.nan], "missing or infinite"),
    ],
)
def test_refusals_are_clear(values, words):
    xy = np.column_stack([np.arange(len(values)) * 10.0, np.zeros(len(values))])
    with pytest.raises(DataError, match=words):
        gi_star(values, distance_band(xy, 15))


def test_empty_neighbourhoods_and_islands_are_not_significant_under_permutation():
    rng = np.random.default_rng(8)
    gx, gy = np.meshgrid(np.arange(30) * 100.0, np.arange(30) * 100.0)
    xy = np.column_stack([gx.ravel(), gy.ravel()])
    counts = np.zeros(len(xy))
    counts[rng.choice(len(xy), 60, replace=False)] = rng.poisson(3, 60) + 1  # mostly empty cells
    xy = np.vstack([xy, [[10_000.0, 10_000.0]]])  # an island with no neighbour
    counts = np.append(counts, 5.0)
    w = distance_band(xy, 150)
    result = gi_star(counts, w, permutations=499, seed=3)
    empty = (counts == 0) & (w @ counts == 0)  # the cell and all its neighbours are empty
    assert empty.sum() > 400
    assert (result.p_sim[empty] > 0.05).all()  # esda's folded count calls every one of these 99% cold
    assert result.p_sim[-1] == 1.0 and result.bins[-1] == 0
