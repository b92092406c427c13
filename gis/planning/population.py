"""Population for planning: per RT (RW where no RT figures exist), density, and grid cells.

``to_grid`` spreads each unit's population over square cells in the local UTM zone, by area
(areal weighting) or by the residential building floor area inside the unit (dasymetric). With
``integer=True`` the shares are whole people allocated by largest remainder, so the cells of a
unit always add up to the unit's population exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.crs import utm_epsg
from gis.errors import DataError

__all__ = [
    "RESIDENTIAL_USES",
    "GridPopulation",
    "metric_epsg",
    "latest_year",
    "read_population",
    "density",
    "residential_buildings",
    "to_grid",
    "largest_remainder",
]

RESIDENTIAL_USES = ("residential",)  # `use` values of the HOT/BPBD 2012 building survey


def metric_epsg(frame: gpd.GeoDataFrame) -> int:
    """The UTM zone (EPSG) of the middle of a layer's extent."""
    x0, y0, x1, y1 = frame.to_crs(4326).total_bounds
    if not np.isfinite([x0, y0, x1, y1]).all():
        raise DataError("The layer is empty; there is no area to work on.")
    return utm_epsg((x0 + x1) / 2, (y0 + y1) / 2)


def latest_year(conn: Connection, kelurahan: list[str] | None = None) -> int:
    where = "WHERE kelurahan_code = ANY(:kel)" if kelurahan else ""
    year = conn.execute(
        sa.text(f"SELECT max(year) FROM population {where}"), {"kel": list(kelurahan or [])}
    ).scalar()
    if year is None:
        raise DataError("There are no population figures for this area.", "Import them with sigkel import.")
    return int(year)


def read_population(
    conn: Connection, year: int | None = None, kelurahan: list[str] | None = None
) -> gpd.GeoDataFrame:
    """Population units for a year: each RT of an RW that has RT figures, otherwise the RW itself.

    Returns columns ``code, level ('rt'|'rw'), rw_code, kelurahan_code, persons, geometry`` (EPSG:4326);
    an RT without a figure in an RW that has RT figures counts 0 persons. ``year=None``: the latest.
    """
    year = year or latest_year(conn, kelurahan)
    scope = "AND kelurahan_code = ANY(:kel)" if kelurahan else ""
    if not conn.execute(
        sa.text(f"SELECT 1 FROM population WHERE year = :y {scope} LIMIT 1"),
        {"y": year, "kel": list(kelurahan or [])},
    ).first():
        raise DataError(f"No RT or RW population figures for {year} in this area.")
    kel_rt = "AND t.kelurahan_code = ANY(:kel)" if kelurahan else ""
    kel_rw = "AND w.kelurahan_code = ANY(:kel)" if kelurahan else ""
    sql = f"""
        WITH p AS (SELECT unit_code, rw_code, rt_code, persons FROM population WHERE year = :y),
             with_rt AS (SELECT DISTINCT rw_code FROM p WHERE rt_code IS NOT NULL)
        SELECT t.code, 'rt' AS level, t.rw_code, t.kelurahan_code, coalesce(p.persons, 0) AS persons,
               ST_Multi(t.geom) AS geom
        FROM rt t LEFT JOIN p ON p.unit_code = t.code
        WHERE t.rw_code IN (SELECT rw_code FROM with_rt) {kel_rt}
        UNION ALL
        SELECT w.code, 'rw', w.code, w.kelurahan_code, coalesce(p.persons, 0), ST_Multi(w.geom)
        FROM rw w LEFT JOIN p ON p.unit_code = w.code
        WHERE w.code NOT IN (SELECT rw_code FROM with_rt) {kel_rw}
        ORDER BY 1
    """
    units = gpd.read_postgis(
        sa.text(sql), conn, geom_col="geom", params={"y": year, "kel": list(kelurahan or [])}
    ).rename_geometry("geometry")
    if units.empty:
        raise DataError(f"No RT or RW boundaries with population for {year} in this area.")
    units["persons"] = units["persons"].astype("int64")
    units.attrs["year"] = year
    return units


def density(units: gpd.GeoDataFrame, value: str = "persons", epsg: int | None = None) -> pd.Series:
    """People per hectare (jiwa/ha), areas measured in the local UTM zone."""
    epsg = epsg or metric_epsg(units)
    hectares = units.geometry.to_crs(epsg).area.to_numpy() / 10_000
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(hectares > 0, units[value].to_numpy(float) / hectares, np.nan)
    return pd.Series(out, index=units.index, name="density_ha")


def residential_buildings(buildings: gpd.GeoDataFrame, uses=RESIDENTIAL_USES) -> gpd.GeoDataFrame:
    """The residential footprints of a building layer with a ``use`` column (valid polygons only)."""
    keep = buildings["use"].astype("string").str.strip().str.lower().isin([u.lower() for u in uses])
    out = buildings.loc[keep.fillna(False).to_numpy()].copy()
    out["geometry"] = shapely.make_valid(out.geometry.values)
    return out[shapely.area(out.geometry.values) > 0]  # positivity only: any CRS will do


@dataclass
class GridPopulation:
    """Cells (metric CRS) with the population allocated to them, and the unit × cell pieces."""

    cells: gpd.GeoDataFrame  # cell_id, col, row, x, y, persons, geometry (square, metric CRS)
    pieces: pd.DataFrame  # unit (row position), code, cell_id, weight, persons
    epsg: int
    cell_m: float
    method: str  # areal | dasymetric
    fallback_units: list = field(default_factory=list)  # dasymetric units without buildings


def _cell_table(geoms: np.ndarray, cell: float, origin: tuple[float, float]) -> pd.DataFrame:
    """Area of each geometry inside each grid cell it touches: columns item, col, row, area."""
    if len(geoms) == 0:
        return pd.DataFrame({"item": [], "col": [], "row": [], "area": []})
    ox, oy = origin
    b = shapely.bounds(geoms)
    c0, r0 = np.floor((b[:, 0] - ox) / cell), np.floor((b[:, 1] - oy) / cell)
    c1, r1 = np.floor((b[:, 2] - ox) / cell), np.floor((b[:, 3] - oy) / cell)
    ncol, nrow = (c1 - c0 + 1).astype(np.int64), (r1 - r0 + 1).astype(np.int64)
    counts = ncol * nrow
    item = np.repeat(np.arange(len(geoms)), counts)
    offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    col = (np.repeat(c0, counts) + offset % np.repeat(ncol, counts)).astype(np.int64)
    row = (np.repeat(r0, counts) + offset // np.repeat(ncol, counts)).astype(np.int64)
    boxes = shapely.box(ox + col * cell, oy + row * cell, ox + (col + 1) * cell, oy + (row + 1) * cell)
    shapely.prepare(geoms)
    mine = geoms[item]
    area = np.zeros(len(item))
    inside = shapely.contains_properly(mine, boxes)
    area[inside] = cell * cell  # whole cells need no intersection
    edge = ~inside & shapely.intersects(mine, boxes)
    area[edge] = shapely.area(shapely.intersection(mine[edge], boxes[edge]))
    keep = area > 0
    return pd.DataFrame({"item": item[keep], "col": col[keep], "row": row[keep], "area": area[keep]})


def _building_table(units: np.ndarray, buildings: np.ndarray, cell: float, origin) -> pd.DataFrame:
    """Residential building area of each unit inside each cell: columns item (unit), col, row, area."""
    tree = shapely.STRtree(buildings)
    ui, bi = tree.query(units, predicate="intersects")
    if len(ui) == 0:
        return pd.DataFrame({"item": [], "col": [], "row": [], "area": []})
    shapely.prepare(units)
    whole = shapely.contains_properly(units[ui], buildings[bi])
    pieces = buildings[bi].copy()
    pieces[~whole] = shapely.intersection(units[ui[~whole]], buildings[bi[~whole]])
    table = _cell_table(pieces, cell, origin)
    table["item"] = ui[table["item"].to_numpy()]
    return table.groupby(["item", "col", "row"], as_index=False)["area"].sum()


def largest_remainder(group: np.ndarray, quota: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Round quotas to integers so that each group's integers add up to its total exactly.

    ``group`` indexes ``totals``; each group's quotas must add up to its (integer) total. Floors
    first, then one more to the largest fractional parts (ties: the earlier row).
    """
    floor = np.floor(quota)
    frac = quota - floor
    short = totals - np.bincount(group, floor, minlength=len(totals))
    order = np.lexsort((np.arange(len(quota)), -frac, group))
    g = group[order]
    first = np.searchsorted(g, g, side="left")
    rank = np.arange(len(g)) - first
    out = floor.copy()
    out[order] += rank < np.rint(short[g])
    return out.astype(np.int64)


def to_grid(
    units: gpd.GeoDataFrame,
    cell_m: float,
    weights: str | None = None,
    buildings: gpd.GeoDataFrame | None = None,
    *,
    value: str = "persons",
    integer: bool = True,
    epsg: int | None = None,
) -> GridPopulation:
    """Distribute each unit's population to square cells of ``cell_m`` metres.

    Parameters
    ----------
    units : GeoDataFrame
        Polygons with a population column ``value`` (and usually ``code``).
    cell_m : float
        Cell size in metres; cells are aligned on multiples of it in the local UTM zone.
    weights : None, "areal" or "buildings"
        Areal weighting (default), or dasymetric by the residential ``buildings`` footprint area in
        each cell; a unit without residential buildings falls back to areal weighting.
    integer : bool
        Whole people per cell (largest remainder per unit, totals kept exactly); else float shares.

    Examples
    --------
    >>> grid = to_grid(rt_units, 100)                      # doctest: +SKIP
    >>> grid.pieces.groupby("code")["persons"].sum()       # == rt_units.persons, exactly  # doctest: +SKIP
    """
    if cell_m <= 0:
        raise DataError(f"The cell size must be positive, got {cell_m}.")
    method = {None: "areal", "areal": "areal", "buildings": "dasymetric"}.get(weights)
    if method is None:
        raise DataError(f"weights must be None, 'areal' or 'buildings', got {weights!r}.")
    if method == "dasymetric" and buildings is None:
        raise DataError("Dasymetric weighting needs the building footprints.")
    population = units[value].to_numpy(float)
    if integer and not np.array_equal(population, np.round(population)):
        raise DataError(f"Column {value!r} has fractions; use integer=False for float shares.")
    epsg = epsg or metric_epsg(units)
    geoms = shapely.make_valid(units.geometry.to_crs(epsg).values)
    x0, y0, _, _ = shapely.total_bounds(geoms)
    origin = (np.floor(x0 / cell_m) * cell_m, np.floor(y0 / cell_m) * cell_m)
    table = _cell_table(np.asarray(geoms, dtype=object), cell_m, origin)
    fallback: list = []
    if method == "dasymetric":
        bgeoms = np.asarray(buildings.geometry.to_crs(epsg).values, dtype=object)
        built = _building_table(np.asarray(geoms, dtype=object), bgeoms, cell_m, origin)
        has = np.zeros(len(units), bool)
        has[built["item"].to_numpy()] = True
        table = pd.concat([built, table[~has[table["item"].to_numpy()]]], ignore_index=True)
        fallback = [units.iloc[i].get("code", i) for i in np.flatnonzero(~has & (population > 0))]
    item = table["item"].to_numpy()
    area_total = np.bincount(item, table["area"].to_numpy(), minlength=len(units))
    empty = (area_total <= 0) & (population > 0)
    if empty.any():
        raise DataError(f"{int(empty.sum())} unit(s) with population have no area to spread it over.")
    weight = table["area"].to_numpy() / area_total[item]
    quota = population[item] * weight
    persons = largest_remainder(item, quota, population) if integer else quota
    cells, cell_id = np.unique(table[["col", "row"]].to_numpy(), axis=0, return_inverse=True)
    cell_id = cell_id.ravel()
    cx = origin[0] + (cells[:, 0] + 0.5) * cell_m
    cy = origin[1] + (cells[:, 1] + 0.5) * cell_m
    codes = units["code"].to_numpy()[item] if "code" in units else item
    pieces = pd.DataFrame({"unit": item, "code": codes, "cell_id": cell_id, "weight": weight, value: persons})
    frame = gpd.GeoDataFrame(
        {
            "cell_id": np.arange(len(cells)),
            "col": cells[:, 0],
            "row": cells[:, 1],
            "x": cx,
            "y": cy,
            value: np.bincount(cell_id, persons, minlength=len(cells)).astype(np.int64 if integer else float),
        },
        geometry=shapely.box(cx - cell_m / 2, cy - cell_m / 2, cx + cell_m / 2, cy + cell_m / 2),
        crs=epsg,
    )
    return GridPopulation(frame, pieces, epsg, float(cell_m), method, fallback)
