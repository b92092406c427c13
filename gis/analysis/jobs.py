"""End-to-end analysis jobs: complaints from PostGIS -> metric CRS -> method -> stored output layer.

Every job is an ``analysis_run`` row (method, parameters, inputs, timings, code version) and its
output is stored in ``analysis_output``, so every map a planner shows can be reproduced.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from pyproj import Transformer
from sqlalchemy.engine import Connection

import gis
from gis.analysis import emerging as emerging_mod
from gis.analysis.autocorrelation import choose_band
from gis.analysis.grid import MIN_INCIDENTS, count_in_cells, default_cell_size, make_grid
from gis.analysis.hotspots import gi_star
from gis.analysis.kde import default_bandwidth, quartic_density
from gis.analysis.lisa import local_moran
from gis.analysis.runs import _SERVABLE, list_runs, output_geojson, read_output  # noqa: F401 (re-exported)
from gis.analysis.weights import distance_band, knn, queen
from gis.crs import utm_epsg
from gis.errors import DataError

__all__ = [
    "AnalysisParams",
    "run_hotspots",
    "run_kde",
    "run_emerging",
    "read_output",
    "list_runs",
    "output_geojson",
]


@dataclass
class AnalysisParams:
    """What to analyse. Distances are metres; ``None`` means automatic."""

    kelurahan: list[str] | None = None
    category: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    shape: str = "hex"  # hex | square | rw | rt
    cell_size: float | None = None
    band: float | None = None
    permutations: int = 0
    seed: int | None = None
    fdr: bool = True
    rate: bool = False  # rw/rt: complaints per 1,000 residents (empirical Bayes smoothed)
    lisa: bool = False  # also Local Moran's I (clusters HH/LL and outliers HL/LH)
    knn: int | None = None  # grids: k nearest neighbours instead of a distance band
    bandwidth: float | None = None  # kde
    step: str = "month"  # emerging: week | month
    extra: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return json.loads(json.dumps(asdict(self), default=str))


def _code_version() -> str:
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parent,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        sha = ""
    return f"{gis.__version__}+{sha}" if sha else gis.__version__


def _scope(params: AnalysisParams) -> tuple[str, dict]:
    where, values = ["c.kelurahan_code IS NOT NULL"], {}
    if params.kelurahan:
        where.append("c.kelurahan_code = ANY(:kel)")
        values["kel"] = list(params.kelurahan)
    if params.category:
        where.append("c.category = :cat")
        values["cat"] = params.category
    else:  # outputs may be shown to anyone: never aggregate the non-public categories by default
        where.append("c.category IN (SELECT code FROM complaint_category WHERE public)")
    # Dates are Jakarta days; a merged duplicate or a rejected report is not a separate incident.
    where.append("c.duplicate_of IS NULL AND c.status <> 'ditolak'")
    if params.date_from:
        where.append("c.created_at >= CAST(:d0 AS timestamp) AT TIME ZONE 'Asia/Jakarta'")
        values["d0"] = params.date_from
    if params.date_to:
        where.append("c.created_at < (CAST(:d1 AS timestamp) + interval '1 day') AT TIME ZONE 'Asia/Jakarta'")
        values["d1"] = params.date_to
    return " AND ".join(where), values


def _complaints(conn: Connection, params: AnalysisParams) -> pd.DataFrame:
    where, values = _scope(params)
    return pd.read_sql(
        sa.text(
            f"SELECT ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat, c.created_at, "
            f"c.rw_code, c.rt_code FROM complaint c WHERE {where}"
        ),
        conn,
        params=values,
    )


def _area(conn: Connection, params: AnalysisParams):
    where = "WHERE code = ANY(:kel)" if params.kelurahan else ""
    wkb = conn.execute(
        sa.text(f"SELECT ST_AsBinary(ST_Union(geom)) FROM kelurahan {where}"),
        {"kel": list(params.kelurahan or [])},
    ).scalar()
    if wkb is None:
        raise DataError("No kelurahan matched; check the codes (sigkel export kelurahan lists them).")
    return shapely.from_wkb(bytes(wkb))


def _metric(area) -> tuple[int, Transformer, Transformer]:
    c = area.centroid
    epsg = utm_epsg(c.x, c.y)
    return (
        epsg,
        Transformer.from_crs(4326, epsg, always_xy=True),
        Transformer.from_crs(epsg, 4326, always_xy=True),
    )


def _area_metric(area, epsg: int):
    return gpd.GeoSeries([area], crs=4326).to_crs(epsg).iloc[0]


MAX_AUTO_CELLS = 200_000


def _capped(cell: float, area_m, inputs: dict, max_cells: int = MAX_AUTO_CELLS) -> float:
    """The automatic cell size, enlarged when it would make more than MAX_AUTO_CELLS cells.

    Very dense data (a million complaints in one kecamatan) makes the OHSA rule pick metre-sized
    cells; millions of cells would then need hundreds of millions of neighbour pairs.
    """
    minimum = float(np.sqrt(area_m.envelope.area / max_cells))
    if cell < minimum:
        inputs["cell_size_rule"] = f"OHSA rule gave {cell:.1f} m; enlarged to keep ≤ {max_cells:,} cells"
        return minimum
    return cell


def _to_metric(points: pd.DataFrame, forward: Transformer) -> np.ndarray:
    x, y = forward.transform(points["lon"].to_numpy(), points["lat"].to_numpy())
    return np.column_stack([x, y])


def _start(conn, method: str, params: AnalysisParams, inputs: dict) -> int:
    return conn.execute(
        sa.text(
            "INSERT INTO analysis_run (method, kelurahan_code, parameters, inputs, code_version) "
            "VALUES (:m, :k, CAST(:p AS jsonb), CAST(:i AS jsonb), :v) RETURNING id"
        ),
        {
            "m": method,
            "k": (params.kelurahan or [None])[0] if params.kelurahan and len(params.kelurahan) == 1 else None,
            "p": json.dumps(params.to_json()),
            "i": json.dumps(inputs, default=float),
            "v": _code_version(),
        },
    ).scalar_one()


def _finish(conn, run_id: int, frame: gpd.GeoDataFrame, timings: dict, message: str) -> None:
    started = time.perf_counter()
    rows = [
        {"run_id": run_id, "feature": i, "properties": json.dumps(props, default=_jsonable), "geom": wkb}
        for i, (props, wkb) in enumerate(
            zip(
                frame.drop(columns="geometry").to_dict("records"),
                shapely.to_wkb(frame.geometry.values, hex=True),
                strict=True,
            )
        )
    ]
    if rows:
        conn.execute(
            sa.text(
                "INSERT INTO analysis_output (run_id, feature, properties, geom) VALUES "
                "(:run_id, :feature, CAST(:properties AS jsonb), "
                "ST_SetSRID(CAST(:geom AS geometry), 4326))"
            ),
            rows,
        )
    timings = {**timings, "store_s": round(time.perf_counter() - started, 3)}
    conn.execute(
        sa.text(
            "UPDATE analysis_run SET status = 'done', finished_at = now(), message = :m, "
            "output_layer = :layer, timings = CAST(:t AS jsonb) WHERE id = :id"
        ),
        {"id": run_id, "m": message, "layer": f"run:{run_id}", "t": json.dumps(timings)},
    )


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def _eb_rates(counts: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Global empirical Bayes smoothed rates per 1,000 (Marshall 1991)."""
    pop = np.where(population > 0, population, np.nan)
    m = counts.sum() / np.nansum(pop)
    raw = counts / pop
    s2 = np.nansum(pop * (raw - m) ** 2) / np.nansum(pop) - m / np.nanmean(pop)
    weight = np.where(s2 > 0, s2 / (s2 + m / pop), 0.0)
    smoothed = np.where(np.isnan(pop), m, weight * np.nan_to_num(raw) + (1 - weight) * m)
    return smoothed * 1000  # units without population: the overall rate, not a false zero


def _unit_values(conn, params, points) -> tuple[gpd.GeoDataFrame, np.ndarray, np.ndarray]:
    level = params.shape
    key = "rw_code" if level == "rw" else "rt_code"
    where = "WHERE kelurahan_code = ANY(:kel)" if params.kelurahan else ""
    units = gpd.read_postgis(
        sa.text(
            f"SELECT u.code, u.name, ST_Multi(u.geom) AS geom, coalesce(p.persons, 0) AS persons "
            f"FROM {level} u "
            f"LEFT JOIN LATERAL (SELECT persons FROM population WHERE unit_code = u.code ORDER BY year DESC "
            f"LIMIT 1) p ON TRUE {where.replace('kelurahan_code', 'u.kelurahan_code')} ORDER BY u.code"
        ),
        conn,
        geom_col="geom",
        params={"kel": list(params.kelurahan or [])},
    ).rename_geometry("geometry")
    counts = points.groupby(key).size().reindex(units["code"]).fillna(0).to_numpy(float)
    units["count"] = counts.astype(int)
    values = _eb_rates(counts, units["persons"].to_numpy(float)) if params.rate else counts
    if params.rate:
        units["rate_per_1000"] = np.round(values, 3)
    return units, values, queen(units.geometry.values)


def _check_category(conn: Connection, params: AnalysisParams) -> None:
    """A non-public category may be analysed only on purpose: its output stays internal."""
    if not params.category:
        return
    public = conn.execute(
        sa.text("SELECT public FROM complaint_category WHERE code = :c"), {"c": params.category}
    ).scalar()
    if public is None:
        raise DataError(f"Unknown complaint category {params.category!r}.")
    if not public and not params.extra.get("allow_private"):
        raise DataError(
            f"Category {params.category!r} is not public: its analysis could place "
            "sensitive reports on a map.",
            "Add --private to run it for internal use only; such runs are never served on the planner pages.",
        )


def run_hotspots(conn: Connection, params: AnalysisParams) -> tuple[int, gpd.GeoDataFrame]:
    """Gi* hot spots on a grid or on RW/RT units; returns the run id and the output layer."""
    _check_category(conn, params)
    timings, t0 = {}, time.perf_counter()
    points = _complaints(conn, params)
    if len(points) < MIN_INCIDENTS:
        raise DataError(
            f"Only {len(points)} complaints match; hot spot analysis needs at least {MIN_INCIDENTS}.",
            "Widen the period, the area or the categories.",
        )
    area = _area(conn, params)
    epsg, forward, back = _metric(area)
    timings["read_s"] = round(time.perf_counter() - t0, 3)
    inputs = {"complaints": len(points), "metric_epsg": epsg}
    if params.shape in ("rw", "rt"):
        frame, values, w = _unit_values(conn, params, points)
        centres = None
    elif params.shape in ("hex", "square"):
        xy = _to_metric(points, forward)
        area_m = _area_metric(area, epsg)
        cell = params.cell_size or _capped(default_cell_size(xy), area_m, inputs)
        polys, centres = make_grid(area_m, cell, params.shape)
        values = count_in_cells(centres, xy, cell)
        inputs["cell_size_m"] = round(cell, 2)
        band = params.band
        if params.knn:
            band, k = None, params.knn
        elif band is None:
            choice = choose_band(centres, values)
            band, k = choice.band, choice.k
            inputs["band_rule"] = choice.reason
        else:
            k = None
        w = distance_band(centres, band) if band else knn(centres, k)
        inputs["band_m"] = round(band, 2) if band else None
        inputs["knn"] = k
        frame = gpd.GeoDataFrame(
            {"count": values.astype(int)},
            geometry=gpd.GeoSeries(polys, crs=epsg).to_crs(4326).values,
            crs=4326,
        )
    else:
        raise DataError(f"--shape must be hex, square, rw or rt, got {params.shape!r}.")
    timings["prepare_s"] = round(time.perf_counter() - t0 - timings["read_s"], 3)
    t1 = time.perf_counter()
    result = gi_star(values, w, fdr=params.fdr, permutations=params.permutations, seed=params.seed)
    timings["gi_star_s"] = round(time.perf_counter() - t1, 3)
    frame["gi_z"] = np.round(result.z, 6)
    frame["gi_p"] = np.round(result.p, 6)
    frame["gi_bin"] = result.bins.astype(int)
    frame["n_neighbors"] = result.n_neighbors.astype(int)
    if result.p_sim is not None:
        frame["gi_p_sim"] = np.round(result.p_sim, 6)
    if params.lisa:
        lisa = local_moran(values, w, permutations=params.permutations or 999, seed=params.seed)
        frame["lisa_i"] = np.round(lisa.I, 6)
        frame["lisa_cluster"] = lisa.labels
        frame["lisa_p_sim"] = np.round(lisa.p_sim, 6)
    inputs["features"] = len(frame)
    run_id = _start(conn, "hotspots", params, inputs)
    hot, cold = int((result.bins > 0).sum()), int((result.bins < 0).sum())
    _finish(
        conn,
        run_id,
        frame,
        {
            **timings,
            "total_s": round(time.perf_counter() - t0, 3),
        },
        f"{hot} hot and {cold} cold features of {len(frame)}",
    )
    del centres, back
    return run_id, frame


def run_kde(conn: Connection, params: AnalysisParams) -> tuple[int, gpd.GeoDataFrame]:
    """Quartic kernel density (complaints per km²) on square cells over the area."""
    _check_category(conn, params)
    t0 = time.perf_counter()
    points = _complaints(conn, params)
    if len(points) < 2:
        raise DataError("Kernel density needs at least two complaints.")
    area = _area(conn, params)
    epsg, forward, _ = _metric(area)
    xy = _to_metric(points, forward)
    area_m = _area_metric(area, epsg)
    minx, miny, maxx, maxy = area_m.bounds
    cell = params.cell_size or min(maxx - minx, maxy - miny) / 250  # ArcGIS's default output cell
    radius = params.bandwidth or default_bandwidth(xy)
    polys, centres = make_grid(area_m.buffer(radius), cell, "square")
    density = quartic_density(xy, centres, radius)
    keep = density > 0
    frame = gpd.GeoDataFrame(
        {"density_km2": np.round(density[keep], 4)},
        geometry=gpd.GeoSeries(polys[keep], crs=epsg).to_crs(4326).values,
        crs=4326,
    )
    integral = float(density.sum() * cell**2 / 1e6)
    run_id = _start(
        conn,
        "kde",
        params,
        {"complaints": len(points), "cell_size_m": cell, "bandwidth_m": radius, "integral": integral},
    )
    _finish(
        conn,
        run_id,
        frame,
        {"total_s": round(time.perf_counter() - t0, 3)},
        f"bandwidth {radius:.0f} m; surface integrates to {integral:.1f} of {len(points)}",
    )
    return run_id, frame


def run_emerging(conn: Connection, params: AnalysisParams) -> tuple[int, gpd.GeoDataFrame]:
    """Emerging hot spots on a grid with weekly or monthly time steps."""
    _check_category(conn, params)
    t0 = time.perf_counter()
    points = _complaints(conn, params)
    if len(points) < MIN_INCIDENTS:
        raise DataError(f"Only {len(points)} complaints match; at least {MIN_INCIDENTS} are needed.")
    area = _area(conn, params)
    epsg, forward, _ = _metric(area)
    xy = _to_metric(points, forward)
    area_m = _area_metric(area, epsg)
    notes: dict = {}
    cell = params.cell_size or _capped(default_cell_size(xy), area_m, notes, MAX_AUTO_CELLS // 10)
    polys, centres = make_grid(area_m, cell, "square" if params.shape == "square" else "hex")
    freq = {"month": "M", "week": "W"}.get(params.step)
    if freq is None:
        raise DataError(f"--step must be week or month, got {params.step!r}.")
    periods = (
        pd.to_datetime(points["created_at"], utc=True)
        .dt.tz_convert("Asia/Jakarta")
        .dt.tz_localize(None)
        .dt.to_period(freq)
    )
    steps = pd.period_range(periods.min(), periods.max(), freq=freq)
    per_step = periods.value_counts().reindex(steps, fill_value=0)
    dropped = []
    # A last step with under a quarter of the usual count is an incomplete period (data that ends
    # mid-month); it would read as a sudden cold spot everywhere, so it is left out and said so.
    while len(steps) > 1 and per_step[steps[-1]] < 0.25 * per_step.median():
        dropped.append(str(steps[-1]))
        keep = periods != steps[-1]
        periods, xy = periods[keep], xy[keep.to_numpy()]
        steps = steps[:-1]
    if len(steps) < 10:
        raise DataError(
            f"Only {len(steps)} {params.step}s of data; emerging hot spots need at least 10 time steps.",
            "Use weekly steps or a longer period.",
        )
    cube = np.vstack([count_in_cells(centres, xy[(periods == step).to_numpy()], cell) for step in steps])
    band = params.band or choose_band(centres, cube.sum(axis=0)).band or cell * 1.5
    result = emerging_mod.emerging_hotspots(cube, distance_band(centres, band))
    frame = gpd.GeoDataFrame(
        {
            "category": result.category,
            "trend_z": np.round(result.trend_z, 4),
            "trend_p": np.round(result.trend_p, 4),
            "count": cube.sum(axis=0).astype(int),
        },
        geometry=gpd.GeoSeries(polys, crs=epsg).to_crs(4326).values,
        crs=4326,
    )
    run_id = _start(
        conn,
        "emerging",
        params,
        {
            "complaints": len(points),
            "steps": len(steps),
            "first": str(steps[0]),
            "last": str(steps[-1]),
            "cell_size_m": cell,
            "band_m": band,
            "incomplete_steps_dropped": dropped,
            **notes,
        },
    )
    counts = pd.Series(result.category).value_counts().to_dict()
    _finish(
        conn,
        run_id,
        frame,
        {"total_s": round(time.perf_counter() - t0, 3)},
        "; ".join(f"{k}: {v}" for k, v in counts.items()),
    )
    return run_id, frame
