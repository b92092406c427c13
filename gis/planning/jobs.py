"""Planning jobs on PostGIS data: coverage, accessibility (2SFCA), deficit and siting.

Each job is recorded like the complaint analyses (``gis.analysis.jobs``): an ``analysis_run`` row
with method, parameters, inputs, timings and code version, and its layer in ``analysis_output``.
Demand is the population per RT (RW where no RT figures exist) for a year, or grid cells of
``cell_size`` metres filled from it; facilities are those whose category maps to the type in the
standards table, including those outside the area but within reach.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.analysis.jobs import _finish, _start
from gis.errors import DataError
from gis.planning import access
from gis.planning.population import density, metric_epsg, read_population, to_grid
from gis.planning.standards import Standard, StandardsTable, default_table

__all__ = ["PlanningParams", "run_coverage", "run_accessibility", "run_deficit", "run_siting"]


@dataclass
class PlanningParams:
    """What to plan for. ``kelurahan=None`` means every kelurahan; distances are metres."""

    facility_type: str = "posyandu"
    kelurahan: list[str] | None = None
    year: int | None = None  # None: the latest year with population figures
    cell_size: float | None = None  # None: RT/RW units as demand; else grid cells
    weights: str = "areal"  # grid: areal | buildings (dasymetric; needs footprints)
    variant: str = "catchment"  # accessibility: catchment | gaussian | step
    level: str = "rw"  # deficit: rw | kelurahan
    k: int = 5  # siting: how many new facilities
    candidate_spacing: float | None = None  # siting: candidate grid spacing (default: cell or 100 m)
    extra: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return json.loads(json.dumps(asdict(self), default=str))


@dataclass
class _Demand:
    frame: gpd.GeoDataFrame  # EPSG:4326, with code/persons
    xy: np.ndarray  # metric
    persons: np.ndarray
    epsg: int
    area: object  # metric (multi)polygon of the units
    year: int
    kind: str  # rt | grid


def _standard(table: StandardsTable, params: PlanningParams, need_radius: bool) -> Standard:
    kel = params.kelurahan[0] if params.kelurahan and len(params.kelurahan) == 1 else None
    std = table.standard_for(kel, params.facility_type)
    if need_radius and std.radius_m is None:
        raise DataError(
            f"The standard for {params.facility_type!r} has no service radius (radius pencapaian).",
            "Add one for your kelurahan in data/standards/overrides.csv.",
        )
    return std


def _demand(conn: Connection, params: PlanningParams, buildings=None) -> _Demand:
    units = read_population(conn, params.year, params.kelurahan)
    epsg = metric_epsg(units)
    metric = units.geometry.to_crs(epsg)
    area = shapely.union_all(shapely.make_valid(metric.values))
    year = units.attrs["year"]
    if not params.cell_size:
        xy = shapely.get_coordinates(metric.representative_point().values)
        frame = units[["code", "level", "persons", "geometry"]].copy()
        frame["density_ha"] = density(units, epsg=epsg).round(1)
        return _Demand(frame, xy, units["persons"].to_numpy(float), epsg, area, year, "rt")
    weights = None if params.weights == "areal" else params.weights
    grid = to_grid(units, params.cell_size, weights, buildings, epsg=epsg)
    cells = grid.cells[grid.cells["persons"] > 0]
    frame = gpd.GeoDataFrame(
        {
            "code": cells["cell_id"].map(lambda i: f"cell:{i}"),
            "level": "cell",
            "persons": cells["persons"],
            "density_ha": (cells["persons"] / (params.cell_size**2 / 10_000)).round(1),
        },
        geometry=cells.geometry.to_crs(4326).values,
        crs=4326,
    )
    xy = cells[["x", "y"]].to_numpy()
    persons = cells["persons"].to_numpy(float)
    return _Demand(frame.reset_index(drop=True), xy, persons, epsg, area, year, "grid")


def _facilities(conn: Connection, std: Standard, demand: _Demand, margin: float) -> gpd.GeoDataFrame:
    """Facilities of the type's categories within ``margin`` metres of the demand area."""
    reach = gpd.GeoSeries([demand.area.buffer(margin + 1)], crs=demand.epsg)
    x0, y0, x1, y1 = reach.to_crs(4326).total_bounds
    rows = gpd.read_postgis(
        sa.text(
            "SELECT id, category, name, kelurahan_code, geom FROM facility "
            "WHERE public AND category = ANY(:cats) "
            "AND geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326) ORDER BY id"
        ),
        conn,
        geom_col="geom",
        crs=4326,
        params={"cats": list(std.facility_categories), "x0": x0, "y0": y0, "x1": x1, "y1": y1},
    ).rename_geometry("geometry")
    xy = shapely.get_coordinates(rows.geometry.to_crs(demand.epsg).values)
    near = shapely.distance(demand.area, shapely.points(xy)) <= margin if len(rows) else np.zeros(0, bool)
    out = rows.loc[near].reset_index(drop=True)
    out.attrs["xy"] = xy[near]
    return out


def _json_safe(value):
    if isinstance(value, float | np.floating):
        return round(float(value), 6) if np.isfinite(value) else None
    return value


def _clean(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """JSON-safe properties: NaN/inf become null, floats are rounded to 6 decimals."""
    out = frame.copy()
    for col in out.columns.drop("geometry"):
        if not (pd.api.types.is_integer_dtype(out[col]) or pd.api.types.is_bool_dtype(out[col])):
            out[col] = pd.Series([_json_safe(v) for v in out[col]], index=out.index, dtype=object)
    return out


def _record(conn, method, params, inputs, frame, t0, message) -> int:
    run_id = _start(conn, method, params, inputs)
    _finish(conn, run_id, _clean(frame), {"total_s": round(time.perf_counter() - t0, 3)}, message)
    return run_id


def run_coverage(
    conn: Connection, params: PlanningParams, table: StandardsTable | None = None, buildings=None
) -> tuple[int, gpd.GeoDataFrame]:
    """Share of people within the standard's radius, nearest distance per unit, uncovered areas."""
    t0 = time.perf_counter()
    std = _standard(table or default_table(), params, need_radius=True)
    demand = _demand(conn, params, buildings)
    fac = _facilities(conn, std, demand, std.radius_m)
    cov = access.coverage(demand.xy, demand.persons, fac.attrs["xy"], std.radius_m)
    frame = demand.frame.assign(kind="demand", nearest_m=np.round(cov.nearest_m, 1), covered=cov.covered)
    holes = access.uncovered_area(demand.area, fac.attrs["xy"], std.radius_m)
    gaps = gpd.GeoDataFrame(
        {"kind": "uncovered", "area_ha": [round(p.area / 10_000, 4) for p in holes]},
        geometry=gpd.GeoSeries(holes, crs=demand.epsg).to_crs(4326).values,
        crs=4326,
    )
    out = gpd.GeoDataFrame(pd.concat([frame, gaps], ignore_index=True), geometry="geometry", crs=4326)
    gap_ha = float(gaps["area_ha"].sum()) if len(gaps) else 0.0
    inputs = {
        "year": demand.year,
        "demand": demand.kind,
        "facilities": len(fac),
        "radius_m": std.radius_m,
        "population": cov.population,
        "covered_population": cov.covered_population,
        "share_covered": round(cov.share, 6) if cov.population > 0 else None,
        "uncovered_ha": round(gap_ha, 3),
        "distance": "straight_line",
        "standard_verified": std.verified,
    }
    share = cov.share if cov.population > 0 else 0.0
    message = (
        f"{std.facility_type}: {share:.1%} of {cov.population:,.0f} people within {std.radius_m:.0f} m "
        f"of {len(fac)} facilities; {gap_ha:.1f} ha uncovered"
    )
    return _record(conn, "coverage", params, inputs, out, t0, message), out


def run_accessibility(
    conn: Connection, params: PlanningParams, table: StandardsTable | None = None, buildings=None
) -> tuple[int, gpd.GeoDataFrame]:
    """2SFCA with supply = the standard's population served per facility; A ≥ 1 reads as served."""
    t0 = time.perf_counter()
    table = table or default_table()
    std = _standard(table, params, need_radius=True)
    demand = _demand(conn, params, buildings)
    fac = _facilities(conn, std, demand, std.radius_m)
    per_fac = [table.standard_for(k, params.facility_type) for k in fac["kelurahan_code"]]
    supply = np.array([s.population_served for s in per_fac], float)
    radius = np.array([s.radius_m or std.radius_m for s in per_fac], float)
    result = access.accessibility(
        demand.xy,
        demand.persons,
        fac.attrs["xy"],
        supply,
        radius if len(radius) else std.radius_m,
        params.variant,
    )
    frame = demand.frame.assign(access=result.access, adequately_served=result.access >= 1)
    served = float(demand.persons[result.access >= 1].sum())
    inputs = {
        "year": demand.year,
        "demand": demand.kind,
        "facilities": len(fac),
        "variant": params.variant,
        "radius_m": std.radius_m,
        "supply_total": float(supply.sum()),
        "supply_reaching_demand": result.supply_reaching,
        "sum_access_x_population": float((result.access * demand.persons).sum()),
        "facilities_without_demand": int(result.unreached.sum()),
        "population_adequately_served": served,
        "standard_verified": std.verified,
    }
    total = float(demand.persons.sum())
    share = served / total if total else 0.0
    message = f"{std.facility_type} ({params.variant}): {share:.1%} of people with A ≥ 1"
    return _record(conn, "accessibility", params, inputs, frame, t0, message), frame


def _units(conn: Connection, level: str, kelurahan) -> gpd.GeoDataFrame:
    table, key = {"rw": ("rw", "kelurahan_code"), "kelurahan": ("kelurahan", "code")}[level]
    where = f"WHERE {key} = ANY(:kel)" if kelurahan else ""
    return gpd.read_postgis(
        sa.text(f"SELECT code, name, {key} AS kelurahan_code, geom FROM {table} {where} ORDER BY code"),
        conn,
        geom_col="geom",
        crs=4326,
        params={"kel": list(kelurahan or [])},
    ).rename_geometry("geometry")


def run_deficit(
    conn: Connection, params: PlanningParams, table: StandardsTable | None = None
) -> tuple[int, gpd.GeoDataFrame]:
    """Required units (ceil(population / served)), existing, gap and land needed per RW or kelurahan."""
    t0 = time.perf_counter()
    if params.level not in ("rw", "kelurahan"):
        raise DataError(f"Deficits are per 'rw' or 'kelurahan', got {params.level!r}.")
    table = table or default_table()
    std = table.standard_for(None, params.facility_type)
    pop = read_population(conn, params.year, params.kelurahan)
    key = "rw_code" if params.level == "rw" else "kelurahan_code"
    units = _units(conn, params.level, params.kelurahan)
    persons = pop.groupby(key)["persons"].sum().reindex(units["code"]).fillna(0).to_numpy()
    fac = gpd.read_postgis(
        sa.text("SELECT id, geom FROM facility WHERE public AND category = ANY(:cats)"),
        conn,
        geom_col="geom",
        crs=4326,
        params={"cats": list(std.facility_categories)},
    ).rename_geometry("geometry")
    joined = gpd.sjoin(fac, units[["code", "geometry"]], predicate="within")
    existing = joined.groupby("code").size().reindex(units["code"]).fillna(0).to_numpy(np.int64)
    stds = [table.standard_for(k, params.facility_type) for k in units["kelurahan_code"]]
    result = access.deficit(
        persons,
        existing,
        [s.population_served for s in stds],
        [np.nan if s.min_land_m2 is None else s.min_land_m2 for s in stds],
    )
    frame = gpd.GeoDataFrame(
        pd.concat([units[["code", "name", "kelurahan_code"]].reset_index(drop=True), result], axis=1),
        geometry=units.geometry.values,
        crs=4326,
    )
    frame["level_ok"] = _finer_or_equal(std.level, params.level)
    inputs = {
        "year": pop.attrs["year"],
        "level": params.level,
        "standard_level": std.level,
        "population": float(persons.sum()),
        "required": int(result["required"].sum()),
        "existing": int(existing.sum()),
        "gap": int(result["gap"].sum()),
        "land_needed_m2": float(np.nansum(result["land_needed_m2"])),
        "standard_verified": std.verified,
    }
    message = (
        f"{std.facility_type} per {params.level}: {inputs['required']} required, "
        f"{inputs['existing']} existing, gap {inputs['gap']} ({inputs['land_needed_m2']:,.0f} m² of land)"
    )
    return _record(conn, "deficit", params, inputs, frame, t0, message), frame


def _finer_or_equal(standard_level: str, unit_level: str) -> bool:
    """A per-RW count of a kelurahan-level facility says little: flag units finer than the standard."""
    order = ("rt", "rw", "kelurahan", "kecamatan")
    return order.index(unit_level) >= order.index(standard_level)


def run_siting(
    conn: Connection,
    params: PlanningParams,
    table: StandardsTable | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    buildings=None,
) -> tuple[int, gpd.GeoDataFrame]:
    """Greedy maximal covering: where the next ``k`` facilities cover the most people now uncovered."""
    t0 = time.perf_counter()
    std = _standard(table or default_table(), params, need_radius=True)
    demand = _demand(conn, params, buildings)
    fac = _facilities(conn, std, demand, std.radius_m)
    if candidates is not None:
        pts = candidates.geometry.to_crs(demand.epsg)
        cand_xy = shapely.get_coordinates(pts.representative_point().values)
        source = "layer"
    else:
        spacing = params.candidate_spacing or params.cell_size or 100.0
        cand_xy = access.candidate_grid(demand.area, spacing)
        source = f"grid {spacing:g} m"
    if not len(cand_xy):
        raise DataError("There are no candidate sites inside the area.")
    result = access.greedy_max_cover(
        demand.xy, demand.persons, cand_xy, std.radius_m, params.k, fac.attrs["xy"]
    )
    picks = result.picks
    frame = gpd.GeoDataFrame(
        picks.drop(columns=["x", "y"]),
        geometry=gpd.points_from_xy(picks["x"], picks["y"], crs=demand.epsg).to_crs(4326),
        crs=4326,
    )
    inputs = {
        "year": demand.year,
        "demand": demand.kind,
        "candidates": source,
        "candidate_count": len(cand_xy),
        "existing_facilities": len(fac),
        "radius_m": std.radius_m,
        "population": result.population,
        "covered_before": result.covered_before,
        "standard_verified": std.verified,
    }
    gained = float(picks["population_gained"].sum()) if len(picks) else 0.0
    message = f"{std.facility_type}: {len(picks)} sites add {gained:,.0f} people within {std.radius_m:.0f} m"
    return _record(conn, "siting", params, inputs, frame, t0, message), frame
