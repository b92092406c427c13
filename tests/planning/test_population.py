"""Population to grid cells: unit totals kept exactly (areal and dasymetric), density, the DB loader."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gis.errors import DataError
from gis.planning.population import (
    density,
    largest_remainder,
    read_population,
    residential_buildings,
    to_grid,
)

UTM = 32748  # Jakarta
X0, Y0 = 700_000.0, 9_320_000.0


def _units(seed: int, n: int = 12, size: float = 1500.0) -> gpd.GeoDataFrame:
    """Voronoi polygons of random points in a square, with random whole populations."""
    rng = np.random.default_rng(seed)
    box = shapely.box(X0, Y0, X0 + size, Y0 + size)
    pts = shapely.multipoints(rng.uniform([X0, Y0], [X0 + size, Y0 + size], (n, 2)))
    cells = [
        shapely.intersection(p, box) for p in shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=box))
    ]
    persons = rng.integers(0, 5000, len(cells))
    persons[0] = 7  # a small unit: remainders matter
    return gpd.GeoDataFrame(
        {"code": [f"U{i:02d}" for i in range(len(cells))], "persons": persons}, geometry=cells, crs=UTM
    )


def _buildings(units: gpd.GeoDataFrame, seed: int, skip: int) -> gpd.GeoDataFrame:
    """Small random rectangles inside every unit but ``skip`` (which then has none)."""
    rng = np.random.default_rng(seed + 100)
    out = []
    for i, geom in enumerate(units.geometry):
        if i == skip:
            continue
        x0, y0, x1, y1 = geom.bounds
        for _ in range(8):
            x, y = rng.uniform([x0, y0], [x1, y1])
            b = shapely.box(x, y, x + rng.uniform(5, 30), y + rng.uniform(5, 30))
            if geom.contains(b):
                out.append(b)
    return gpd.GeoDataFrame({"use": ["residential"] * len(out)}, geometry=out, crs=UTM)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("cell", [100.0, 137.5])
def test_areal_weighting_keeps_every_unit_total_exactly(seed, cell):
    units = _units(seed)
    grid = to_grid(units, cell)
    per_unit = grid.pieces.groupby("code")["persons"].sum().reindex(units["code"], fill_value=0)
    assert per_unit.to_numpy().dtype.kind == "i"
    assert np.array_equal(per_unit.to_numpy(), units["persons"].to_numpy())
    assert grid.cells["persons"].sum() == units["persons"].sum()
    assert (grid.pieces["persons"] >= 0).all() and grid.method == "areal"
    # every cell is a cell_m square, and the piece weights of a unit add up to one
    assert np.allclose(grid.cells.area, cell * cell)
    assert np.allclose(grid.pieces.groupby("code")["weight"].sum(), 1.0)
    # float mode: proportional shares, same totals
    floats = to_grid(units, cell, integer=False)
    assert np.allclose(
        floats.pieces.groupby("code")["persons"].sum().reindex(units["code"]), units["persons"]
    )
    # integer shares stay within one person of the proportional share
    assert np.abs(grid.pieces["persons"].to_numpy() - floats.pieces["persons"].to_numpy()).max() < 1


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dasymetric_keeps_totals_and_puts_people_where_the_houses_are(seed):
    units = _units(seed)
    units.loc[3, "persons"] = 999
    houses = _buildings(units, seed, skip=3)
    grid = to_grid(units, 100, weights="buildings", buildings=houses)
    per_unit = grid.pieces.groupby("code")["persons"].sum().reindex(units["code"], fill_value=0)
    assert np.array_equal(per_unit.to_numpy(), units["persons"].to_numpy())
    assert grid.method == "dasymetric" and grid.fallback_units == ["U03"]
    # outside the fallback unit, people only land in cells with residential floor area
    built_cells = grid.cells[grid.cells.intersects(houses.union_all())]["cell_id"]
    dasy = grid.pieces[(grid.pieces["code"] != "U03") & (grid.pieces["persons"] > 0)]
    assert dasy["cell_id"].isin(built_cells).all()
    areal = to_grid(units, 100)
    fallback = grid.pieces[grid.pieces["code"] == "U03"].sort_values("cell_id")["persons"].to_numpy()
    assert fallback.sum() == 999 and len(fallback) == (areal.pieces["code"] == "U03").sum()


def test_largest_remainder_by_hand():
    # 10 people over weights 1/3, 1/3, 1/3 -> 3.33 each: the first gets the spare one (ties: order)
    out = largest_remainder(np.array([0, 0, 0, 1, 1]), np.array([10 / 3] * 3 + [0.6, 1.4]), np.array([10, 2]))
    assert out.tolist() == [4, 3, 3, 1, 1]


def test_bad_grid_arguments():
    units = _units(0)
    with pytest.raises(DataError, match="positive"):
        to_grid(units, 0)
    with pytest.raises(DataError, match="building footprints"):
        to_grid(units, 100, weights="buildings")
    with pytest.raises(DataError, match="areal"):
        to_grid(units, 100, weights="roads")
    units["persons"] = units["persons"] + 0.5
    with pytest.raises(DataError, match="fractions"):
        to_grid(units, 100)


def test_density_per_hectare():
    units = gpd.GeoDataFrame(
        {"persons": [200, 0]},
        geometry=[shapely.box(X0, Y0, X0 + 100, Y0 + 100), shapely.box(X0, Y0, X0 + 200, Y0 + 50)],
        crs=UTM,
    )
    assert density(units).tolist() == pytest.approx([200.0, 0.0])


def test_population_from_the_demo_database(conn):
    units = read_population(conn)
    assert units.attrs["year"] == 2026 and len(units) == 290 and set(units["level"]) == {"rt"}
    expected = conn.execute(
        __import__("sqlalchemy").text(
            "SELECT sum(persons) FROM population WHERE year = 2026 AND rt_code IS NOT NULL"
        )
    ).scalar()
    assert units["persons"].sum() == expected
    dens = density(units)
    assert 100 < dens.median() < 400  # about 230 persons/ha in the synthetic demo
    one = read_population(conn, 2026, ["31.71.05.1001"])
    assert set(one["kelurahan_code"]) == {"31.71.05.1001"} and 0 < len(one) < 290
    with pytest.raises(DataError, match="No RT or RW"):
        read_population(conn, 1999)
    grid = to_grid(one, 100)
    assert grid.cells["persons"].sum() == one["persons"].sum()


def test_dasymetric_on_the_surveyed_jakarta_buildings(shared_datasets):
    """Real footprints (HOT/BPBD 2012 survey) over real RW polygons: totals still exact."""
    houses = residential_buildings(
        gpd.read_file(shared_datasets / "jakarta-buildings-hot2012" / "buildings_survey_jakarta_2012.geojson")
    )
    rw = gpd.read_file(shared_datasets / "jakarta-rw-kelurahan-osm2012" / "rw_jakarta.geojson")
    hit = rw[rw.intersects(houses.union_all())]
    units = rw[rw.intersects(hit.union_all().buffer(0.005))].copy()  # surveyed RW and their neighbours
    units["code"] = units["OBJECTID"].astype(str)
    units["persons"] = np.random.default_rng(5).integers(500, 15_000, len(units))
    grid = to_grid(units, 100, weights="buildings", buildings=houses)
    per_unit = grid.pieces.groupby("code")["persons"].sum().reindex(units["code"], fill_value=0)
    assert np.array_equal(per_unit.to_numpy(), units["persons"].to_numpy())
    assert 0 < len(grid.fallback_units) < len(units)  # some RW have no surveyed houses: areal there
