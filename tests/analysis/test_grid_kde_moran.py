"""Grids, the default cell size, kernel density's integral, Moran's I against esda, the band rule."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely
from esda.moran import Moran
from libpysal import examples
from libpysal import weights as lw

from gis.analysis.autocorrelation import choose_band, moran
from gis.analysis.grid import count_in_cells, default_cell_size, make_grid
from gis.analysis.kde import default_bandwidth, quartic_density
from gis.analysis.weights import distance_band
from gis.errors import DataError


@pytest.mark.parametrize("shape", ["hex", "square"])
def test_grid_cells_are_whole_tile_the_area_and_count_every_point(shape):
    area = shapely.Point(0, 0).buffer(1500)
    polys, centres = make_grid(area, 200, shape)
    union = shapely.union_all(polys)
    assert area.difference(union).area < 1e-6 * area.area  # float seams between cells only
    assert np.allclose(shapely.area(polys), shapely.area(polys[0]))  # whole, unclipped cells
    overlap = shapely.area(polys).sum() - union.area
    assert overlap < 1e-3 * union.area
    rng = np.random.default_rng(0)
    pts = rng.uniform(-1000, 1000, (2000, 2))
    pts = pts[np.hypot(*pts.T) < 1400]
    counts = count_in_cells(centres, pts, 200)
    assert counts.sum() == len(pts)
    inside = shapely.contains_xy(polys[np.argmax(counts)], pts[:, 0], pts[:, 1]).sum()
    assert inside == counts.max()  # the nearest centre is the containing cell


def test_default_cell_size_rule():
    rng = np.random.default_rng(1)
    xy = np.round(rng.uniform(0, 1000, (400, 2)), 3)  # the rule compares locations to the mm
    from scipy.spatial import cKDTree

    nn = cKDTree(xy).query(xy, k=2)[0][:, 1]
    nn = nn[nn <= nn.mean() + 3 * nn.std()]
    mean, median = nn.mean(), np.median(nn)
    expected = max(mean, median) * max(2, max(mean, median) / min(mean, median))
    assert default_cell_size(xy) == pytest.approx(expected)
    with pytest.raises(DataError, match="distinct incident locations"):
        default_cell_size(np.repeat(xy[:5], 20, axis=0))


def test_kernel_density_integrates_to_the_number_of_points():
    rng = np.random.default_rng(2)
    pts = rng.normal(0, 400, (300, 2))
    radius = default_bandwidth(pts)
    g = np.arange(-4000, 4000, 10.0) + 5
    gx, gy = np.meshgrid(g, g)
    density = quartic_density(pts, np.column_stack([gx.ravel(), gy.ravel()]), radius)
    assert density.sum() * 100 / 1e6 == pytest.approx(300, rel=1e-3)  # per km² × 100 m² cells
    on_centre = quartic_density(np.zeros((2, 2)), np.zeros((1, 2)), 100.0)
    assert on_centre[0] == pytest.approx(2 * 3 / (np.pi * 100**2) * 1e6)


def test_moran_equals_esda_and_band_rule():
    frame = gpd.read_file(examples.get_path("columbus.shp"))
    y = frame["CRIME"].to_numpy(float)
    xy = np.column_stack([frame.centroid.x, frame.centroid.y])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        band = lw.DistanceBand(xy, threshold=1.5, binary=True, silence_warnings=True)
        reference = Moran(y, band, transformation="B", permutations=0)
    ours = moran(y, distance_band(xy, 1.5))
    assert pytest.approx(reference.I, abs=1e-12) == ours.I
    assert ours.z == pytest.approx(reference.z_rand, abs=1e-9)
    choice = choose_band(xy, y)
    first = choice.distances[0]
    from scipy.spatial import cKDTree

    assert first == pytest.approx(cKDTree(xy).query(xy, k=2)[0][:, 1].max())
    i = choice.distances.index(choice.band)
    assert choice.z_scores[i] > 1.65
    assert choice.z_scores[i] > choice.z_scores[i - 1] and choice.z_scores[i] >= choice.z_scores[i + 1]
