#!/usr/bin/env python3
"""Benchmark the planning core on all of Jakarta: our 2SFCA against PySAL access, coverage, deficits.

Usage: .venv/bin/python scripts/bench/bench_access.py [--cell 100] [--repeat 3] [--json out.json]

Inputs (no database needed): the 2,685 RW of ../shared/datasets/jakarta-rw-kelurahan-osm2012, its
261 kelurahan, the 3,957 facilities of ../shared/datasets/jakarta-facilities-rbi. There is no real
population per RW, so a **synthetic, seeded** one is used (RW area × a log-normal density around
150 jiwa/ha, seed 2026). Demand = 100 m cells over DKI filled by areal weighting (gis.planning).

(a) 2SFCA, ours (numpy bincount on sparse pairs) vs access.Access.two_stage_fca, on identical
    inputs (the same demand, supply and origin-destination cost pairs), alternating in one process,
    best of --repeat; catchment, E2SFCA steps and Gaussian; values must agree to 1e-9.
(b) coverage (nearest distance, share within the radius, uncovered-area polygons) and deficits
    (per RW and per kelurahan) for every facility type that maps to an SNI standard: time and peak
    traced memory.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import resource
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
DATA = Path(os.environ.get("SIGKEL_SHARED_DATASETS", ROOT.parent / "shared" / "datasets"))
UTM = 32748
NOMINAL_SUPPLY = 2500  # facilities without an SNI row, in the all-facilities scale run only


def facility_type(row) -> str | None:
    """Our standards type for an RBI facility (None: no SNI row)."""
    cat, name, remark = row["category"], str(row["NAMOBJ"] or "").upper(), str(row["REMARK"] or "")
    if cat == "klinik" or (cat == "puskesmas" and remark == "Bidan"):
        return "balai_pengobatan"
    if cat == "puskesmas":
        return "puskesmas" if remark == "Puskesmas Kecamatan" else "puskesmas_pembantu"
    if cat == "apotek":
        return "apotek"
    if cat == "pemerintahan":
        return "kantor_kelurahan" if "LURAH" in name else "kantor_kecamatan" if "CAMAT" in name else None
    if cat in ("pusatbelanja", "supermarket"):
        return "pasar"
    return None


def load(cell: float):
    import geopandas as gpd
    import shapely

    from gis.planning.population import to_grid

    rw = gpd.read_file(DATA / "jakarta-rw-kelurahan-osm2012" / "rw_jakarta.geojson")
    rw["geometry"] = shapely.make_valid(rw.geometry.values)
    rw["code"] = rw["OBJECTID"].astype(str)
    hectares = rw.to_crs(UTM).area.to_numpy() / 10_000
    rng = np.random.default_rng(2026)
    rw["persons"] = np.round(hectares * rng.lognormal(np.log(150), 0.5, len(rw))).astype(np.int64)
    kel = gpd.read_file(DATA / "jakarta-rw-kelurahan-osm2012" / "kelurahan_jakarta.geojson")
    kel["geometry"] = shapely.make_valid(kel.geometry.values)
    fac = gpd.read_file(DATA / "jakarta-facilities-rbi" / "facilities_dki_rbi.geojson")
    fac["type"] = [facility_type(r) for _, r in fac.iterrows()]
    t = time.perf_counter()
    grid = to_grid(rw, cell, epsg=UTM)
    grid_s = time.perf_counter() - t
    cells = grid.cells[grid.cells["persons"] > 0]
    return rw.to_crs(UTM), kel.to_crs(UTM), fac.to_crs(UTM), grid, cells, grid_s


def access_2sfca(P, S, cost, max_cost, weight_fn):
    import access
    import pandas as pd

    model = access.Access(
        demand_df=pd.DataFrame({"geoid": np.arange(len(P)), "pop": P}),
        demand_index="geoid",
        demand_value="pop",
        supply_df=pd.DataFrame({"geoid": np.arange(len(S)) + len(P), "supply": S}),
        supply_index="geoid",
        supply_value="supply",
        cost_df=cost,
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )
    out = model.two_stage_fca(name="a", max_cost=max_cost, weight_fn=weight_fn)["a_supply"]
    return out.reindex(np.arange(len(P))).fillna(0.0).to_numpy()


def compare(label, P, S, demand_xy, fac_xy, radius, repeat):
    """Our 2SFCA vs access on the same pairs, for the three decay variants."""
    import pandas as pd
    from access import weights as aw

    from gis.planning.access import StraightLine, e2sfca_steps, pair_weights, two_step_fca

    t = time.perf_counter()
    pairs = StraightLine().pairs_within(demand_xy, fac_xy, radius)
    pairs_s = time.perf_counter() - t
    cost = pd.DataFrame({"origin": pairs.i, "dest": pairs.j + len(P), "cost": pairs.d})
    rows = []
    for variant, fn, kw in [
        ("catchment", None, {}),
        ("step (E2SFCA)", aw.step_fn(dict(e2sfca_steps(radius))), {"steps": e2sfca_steps(radius)}),
        ("gaussian σ=r/2", aw.gaussian(radius / 2), {"sigma": radius / 2}),
    ]:
        v = "catchment" if variant == "catchment" else variant.split()[0]

        def ours(v=v, kw=kw):
            return two_step_fca(P, S, pairs, pair_weights(pairs.d, radius, v, **kw)).access

        def theirs(fn=fn):
            return access_2sfca(P, S, cost, radius, fn)

        best_o, best_t, a_o, a_t = float("inf"), float("inf"), None, None
        for _ in range(repeat):  # alternating, in one process
            t = time.perf_counter()
            a_o = ours()
            best_o = min(best_o, time.perf_counter() - t)
            t = time.perf_counter()
            a_t = theirs()
            best_t = min(best_t, time.perf_counter() - t)
        mem_o, mem_t = peak(ours), peak(theirs)
        rows.append(
            {
                "run": label,
                "variant": variant,
                "demand": len(P),
                "facilities": len(S),
                "radius_m": radius,
                "pairs": len(pairs),
                "pairs_s": pairs_s,
                "ours_s": best_o,
                "access_s": best_t,
                "speedup": best_t / best_o,
                "max_abs_diff": float(np.abs(a_o - a_t).max()),
                "sum_AP_over_supply": float((a_o * P).sum() / S.sum()),
                "ours_peak_mb": mem_o,
                "access_peak_mb": mem_t,
            }
        )
    return rows


def peak(fn) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def _cover(ctx, std, fxy):
    from gis.planning.access import coverage, uncovered_area

    cov = coverage(ctx["xy"], ctx["P"], fxy, std.radius_m)
    holes = uncovered_area(ctx["area"], fxy, std.radius_m)
    return cov.share, sum(h.area for h in holes) / 10_000


def _deficits(ctx, std, mine):
    import geopandas as gpd

    from gis.planning.access import deficit

    out = {}
    for name, units, pop in (("rw", ctx["rw"], ctx["rw_pop"]), ("kelurahan", ctx["kel"], ctx["kel_pop"])):
        j = gpd.sjoin(mine[["geometry"]], units[["geometry"]], predicate="within")
        existing = j.groupby("index_right").size().reindex(units.index).fillna(0).to_numpy()
        d = deficit(pop, existing, std.population_served, std.min_land_m2)
        out[name] = (int(d["gap"].sum()), float(np.nansum(d["land_needed_m2"])))
    return out


def planning_layers(rw, kel, fac, cells, repeat):
    """Coverage and deficits per facility type, timed, with peak traced memory."""
    import geopandas as gpd
    import shapely

    from gis.planning.standards import load_standards

    standards = load_standards()
    t = time.perf_counter()
    area = shapely.union_all(rw.geometry.values)
    points = gpd.GeoDataFrame(geometry=rw.representative_point(), crs=UTM)
    rw_kel = gpd.sjoin(points, kel[["geometry"]], predicate="within")
    rw_to_kel = rw_kel["index_right"].groupby(level=0).first().reindex(rw.index)
    kel_pop = rw["persons"].groupby(rw_to_kel).sum().reindex(kel.index).fillna(0).to_numpy()
    prep_s = time.perf_counter() - t
    ctx = {
        "xy": cells[["x", "y"]].to_numpy(),
        "P": cells["persons"].to_numpy(float),
        "area": area,
        "rw": rw,
        "kel": kel,
        "rw_pop": rw["persons"].to_numpy(),
        "kel_pop": kel_pop,
    }
    rows = []
    for ftype in sorted(fac["type"].dropna().unique()):
        std, mine = standards[ftype], fac[fac["type"] == ftype]
        fxy = shapely.get_coordinates(mine.geometry.values)
        cover = functools.partial(_cover, ctx, std, fxy) if std.radius_m else None
        deficits = functools.partial(_deficits, ctx, std, mine)
        share_ha, gaps = (cover() if cover else None), deficits()
        rows.append(
            {
                "type": ftype,
                "level": std.level,
                "facilities": len(mine),
                "radius_m": std.radius_m,
                "coverage_s": min(_timed(cover) for _ in range(repeat)) if cover else None,
                "share_covered": share_ha[0] if share_ha else None,
                "uncovered_ha": share_ha[1] if share_ha else None,
                "coverage_peak_mb": peak(cover) if cover else None,
                "deficit_s": min(_timed(deficits) for _ in range(repeat)),
                "deficit_peak_mb": peak(deficits),
                "gap_rw": gaps["rw"][0],
                "gap_kelurahan": gaps["kelurahan"][0],
                "land_kelurahan_ha": gaps["kelurahan"][1] / 10_000,
            }
        )
    return rows, prep_s


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def _fmt(v, spec):
    return "—" if v is None else format(v, spec)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cell", type=float, default=100.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    import access
    import scipy

    from gis.planning.standards import load_standards

    started = time.perf_counter()
    rw, kel, fac, grid, cells, grid_s = load(args.cell)
    print(f"machine: {platform.platform()}, {os.cpu_count()} cpu, Python {platform.python_version()}")
    print(f"numpy {np.__version__}, scipy {scipy.__version__}, access {access.__version__}")
    print(
        f"inputs: {len(rw):,} RW, {len(kel)} kelurahan, {len(fac):,} facilities, "
        f"{int(rw['persons'].sum()):,} synthetic people; {len(grid.cells):,} cells of {args.cell:g} m "
        f"({len(cells):,} with people) by areal weighting in {grid_s:.2f} s"
    )
    standards = load_standards()
    demand_xy, P = cells[["x", "y"]].to_numpy(), cells["persons"].to_numpy(float)
    fxy = np.column_stack([fac.geometry.x, fac.geometry.y])
    S_all = np.array(
        [standards[t].population_served if isinstance(t, str) else NOMINAL_SUPPLY for t in fac["type"]], float
    )
    rows = compare("all facilities", P, S_all, demand_xy, fxy, 1000.0, args.repeat)
    for ftype in ("balai_pengobatan", "puskesmas_pembantu", "puskesmas", "apotek"):
        mine = (fac["type"] == ftype).to_numpy()
        std = standards[ftype]
        S = np.full(int(mine.sum()), float(std.population_served))
        rows += compare(ftype, P, S, demand_xy, fxy[mine], std.radius_m, args.repeat)
    print("\n(a) 2SFCA: ours vs access.two_stage_fca (best of", args.repeat, "alternating runs)")
    head = (
        f"{'run':<20}{'variant':<16}{'fac':>6}{'r (m)':>7}{'pairs':>11}{'kd s':>7}"
        f"{'ours s':>9}{'access s':>10}"
        f"{'×':>7}{'max |Δ|':>10}{'ΣAP/ΣS':>8}{'ours MB':>9}{'acc MB':>8}"
    )
    print(head)
    for r in rows:
        print(
            f"{r['run']:<20}{r['variant']:<16}{r['facilities']:>6}{r['radius_m']:>7.0f}{r['pairs']:>11,}"
            f"{r['pairs_s']:>7.3f}"
            f"{r['ours_s']:>9.4f}{r['access_s']:>10.3f}{r['speedup']:>7.0f}{r['max_abs_diff']:>10.1e}"
            f"{r['sum_AP_over_supply']:>8.3f}{r['ours_peak_mb']:>9.1f}{r['access_peak_mb']:>8.0f}"
        )
    layers, prep_s = planning_layers(rw, kel, fac, cells, args.repeat)
    print(f"\n(b) coverage and deficits per facility type (area union and RW→kelurahan once: {prep_s:.2f} s)")
    print(
        f"{'type':<20}{'level':<11}{'fac':>6}{'r (m)':>7}{'cov s':>8}{'covered':>9}{'uncov ha':>10}"
        f"{'cov MB':>8}"
        f"{'def s':>8}{'def MB':>8}{'gap RW':>8}{'gap kel':>8}{'land kel ha':>12}"
    )
    for r in layers:
        print(
            f"{r['type']:<20}{r['level']:<11}{r['facilities']:>6}{_fmt(r['radius_m'], '7.0f'):>7}"
            f"{_fmt(r['coverage_s'], '.3f'):>8}"
            f"{_fmt(r['share_covered'], '.1%'):>9}{_fmt(r['uncovered_ha'], ',.0f'):>10}"
            f"{_fmt(r['coverage_peak_mb'], '.1f'):>8}{r['deficit_s']:>8.3f}{r['deficit_peak_mb']:>8.1f}"
            f"{r['gap_rw']:>8,}{r['gap_kelurahan']:>8,}{r['land_kelurahan_ha']:>12.1f}"
        )
    skipped = fac.loc[fac["type"].isna(), "category"].value_counts().to_dict()
    print(
        f"\nno SNI row (left out of (b); in the all-facilities 2SFCA with supply {NOMINAL_SUPPLY}): {skipped}"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the whole run: {rss:,.0f} MB; wall time {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({"2sfca": rows, "layers": layers, "peak_rss_mb": rss}, indent=1))


if __name__ == "__main__":
    main()
