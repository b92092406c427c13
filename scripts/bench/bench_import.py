"""Bulk-import benchmark (issue 3): our importer against the physical floor, ogr2ogr and geopandas.

    .venv/bin/python scripts/bench/bench_import.py [--rows 1000000] [--seed 3] [--json out.json]

One run, in a throwaway database ``bench_import`` of the embedded cluster (dropped and recreated):

1. loads the Kemendagri kelurahan and the OSM 2012 RW boundaries of Jakarta;
2. generates ``--rows`` complaint points uniformly inside the RW polygons (seeded; not timed) and
   writes them as a GeoPackage in a temp dir;
3. times, each on a freshly truncated ``complaint`` table:
   OURS      ``gis.io.import_file`` end to end, in a subprocess (peak RSS), with its phases timed by
             wrapping the functions it calls (this script only; nothing in ``gis`` changes);
   RAW       psycopg COPY of the same rows (text, hex EWKB, text built beforehand) into ``complaint``;
   OGR2OGR   ``ogr2ogr -f PostgreSQL`` with PG_USE_COPY, then the RW assignment as one SQL UPDATE
             shaped like ``gis/db/assign.py``;
   SJOIN     ``geopandas.sjoin(points, rw, predicate="within")`` in memory;
4. prints the machine, a table of times and throughputs, and the ratios against the goals.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

DB = "bench_import"
SOURCE = "bench"
CATEGORY = "kebersihan"
KELURAHAN = Path("/work/shared/datasets/jakarta-kelurahan-kemendagri/kelurahan_dki_kemendagri.geojson")
RW = Path("/work/shared/datasets/jakarta-rw-kelurahan-osm2012/rw_jakarta.geojson")
COPY_CHUNK = 100_000
GOALS = {"loading": 0.8, "total": 1.0, "assignment": 2.0, "memory_gib": 2.0}
DESCRIPTIONS = [
    "Sampah menumpuk di pinggir jalan",
    "Tempat sampah penuh belum diangkut",
    "Sampah dibuang ke saluran air",
    "Bau busuk dari tumpukan sampah",
    "Pembakaran sampah di lahan kosong",
    "Sampah plastik di taman warga",
    "Truk sampah tidak datang minggu ini",
    "Sampah berserakan dekat pasar",
]


def _cluster():
    from gis.config import Settings
    from gis.db.embedded import EmbeddedCluster

    settings = Settings.from_env()
    return settings, EmbeddedCluster.from_settings(settings)


def _pg(cluster):
    import psycopg

    return psycopg.connect(host=str(cluster.socket_dir), port=5432, user="sigkel", dbname=DB)


def _pg_dsn(cluster) -> str:
    return f"host={cluster.socket_dir} port=5432 user=sigkel dbname={DB}"


# -- setup -------------------------------------------------------------------------------------------


def setup_database(settings, cluster) -> str:
    """A fresh bench database with the schema, categories and the Jakarta kelurahan + RW."""
    from gis import pipelines
    from gis.db import migrate
    from gis.db.engine import make_engine
    from gis.io import ImportOptions, import_file

    cluster.drop_database(DB)
    url = cluster.create_database(DB)
    engine = make_engine(url)
    with engine.begin() as conn:
        migrate.upgrade(conn)
        pipelines.seed_reference(conn, settings.data_dir)
    with engine.begin() as conn:
        import_file(conn, "boundaries", KELURAHAN, ImportOptions(), settings.data_dir)
    with engine.begin() as conn:
        report = import_file(conn, "boundaries", RW, ImportOptions(skip_invalid=True), settings.data_dir)
    engine.dispose()
    with _pg(cluster) as conn:
        # complaint_event refuses TRUNCATE (append-only trail); this is a throwaway database.
        conn.execute("ALTER TABLE complaint_event DISABLE TRIGGER USER")
        conn.execute("ANALYZE")
    print(f"setup: {report.loaded} RW loaded ({report.rejected} rejected)", flush=True)
    return url


def reset(cluster) -> None:
    """Empty the point tables and drop the ogr2ogr table, then checkpoint so runs start alike.

    The ANALYZE matters: the previous run's million inserts would otherwise make autovacuum analyze
    ``complaint`` in the middle of the next import, recording 0 rows over the pages that import has
    already written (it cannot see them, they are uncommitted); the planner then picks nested loops
    in assign_units and refresh_public_points that are quadratic in the rows imported.
    """
    with _pg(cluster) as conn:
        conn.execute("TRUNCATE complaint, complaint_event, reporter RESTART IDENTITY CASCADE")
        conn.execute("DROP TABLE IF EXISTS ogr_complaints")
        conn.commit()
        conn.autocommit = True
        conn.execute("ANALYZE complaint, complaint_event, reporter")
        with contextlib.suppress(Exception):  # refused to a non-superuser: runs are only noisier
            conn.execute("CHECKPOINT")


# -- data --------------------------------------------------------------------------------------------


def generate(url: str, rows: int, seed: int, folder: Path):
    """``rows`` points uniformly inside the RW polygons (per polygon by area, rejection sampling)."""
    import geopandas as gpd
    import numpy as np
    import pyogrio
    import shapely
    import sqlalchemy as sa

    from gis.db.engine import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        rw = gpd.read_postgis(
            sa.text("SELECT code, kelurahan_code, geom FROM rw ORDER BY code"), conn, "geom"
        )
    engine.dispose()
    rng = np.random.default_rng(seed)
    areas = rw.to_crs(32748).area.to_numpy()
    counts = rng.multinomial(rows, areas / areas.sum())
    xs, ys = [], []
    for geom, n in zip(rw.geometry.values, counts, strict=True):
        if not n:
            continue
        shapely.prepare(geom)
        x0, y0, x1, y1 = geom.bounds
        got_x, got_y, have = [], [], 0
        while have < n:
            want = max(64, int((n - have) * 1.5 * (x1 - x0) * (y1 - y0) / max(geom.area, 1e-12)))
            x = rng.uniform(x0, x1, want)
            y = rng.uniform(y0, y1, want)
            inside = shapely.contains_xy(geom, x, y)
            got_x.append(x[inside])
            got_y.append(y[inside])
            have += int(inside.sum())
        xs.append(np.concatenate(got_x)[:n])
        ys.append(np.concatenate(got_y)[:n])
    order = rng.permutation(rows)  # files come in time order, not space order
    x = np.concatenate(xs)[order]
    y = np.concatenate(ys)[order]
    start = np.datetime64("2025-01-01T00:00:00")
    stamps = start + rng.integers(0, 365 * 86400, rows).astype("timedelta64[s]")
    created = np.char.add(np.datetime_as_string(stamps, unit="s"), "+07:00")
    ids = np.char.add("BK-", np.char.zfill(np.arange(1, rows + 1).astype(str), 7))
    description = np.asarray(DESCRIPTIONS, dtype=object)[rng.integers(0, len(DESCRIPTIONS), rows)]
    points = gpd.GeoDataFrame(
        {
            "id": ids.astype(object),
            "category": CATEGORY,
            "description": description,
            "created_at": created.astype(object),
        },
        geometry=shapely.points(x, y),
        crs=4326,
    )
    path = folder / "complaints.gpkg"
    pyogrio.write_dataframe(points, path, layer="complaints", driver="GPKG")
    rw = rw.rename_geometry("geometry")
    return path, points, rw


def raw_copy_text(points) -> list[str]:
    """The rows as COPY text for (ticket, category, description, created_at, source, source_id,
    geom), hex EWKB, in chunks of 100k rows."""
    import shapely

    hexes = shapely.to_wkb(shapely.set_srid(points.geometry.values, 4326), hex=True, include_srid=True)
    lines = [
        f"RAW-{i}\t{CATEGORY}\t{d}\t{c}\t{SOURCE}\t{i}\t{g}\n"
        for i, d, c, g in zip(points["id"], points["description"], points["created_at"], hexes, strict=True)
    ]
    return ["".join(lines[s : s + COPY_CHUNK]) for s in range(0, len(lines), COPY_CHUNK)]


# -- the runs ----------------------------------------------------------------------------------------


def run_raw(cluster, chunks: list[str]) -> dict:
    sql = "COPY complaint (ticket, category, description, created_at, source, source_id, geom) FROM STDIN"
    with _pg(cluster) as conn, _pg(cluster) as side:
        side.autocommit = True
        wal0 = _wal_lsn(side)
        t0 = time.perf_counter()
        with conn.cursor() as cursor, cursor.copy(sql) as copy:
            for chunk in chunks:
                copy.write(chunk)
        conn.commit()
        return {"seconds": time.perf_counter() - t0, "wal": _wal_lsn(side) - wal0}


def run_ours(path: Path, profile: bool) -> dict:
    """OURS in a fresh interpreter, so that its VmHWM is the import's own high-water mark."""
    cmd = [sys.executable, __file__, "--worker", str(path)] + (["--profile"] if profile else [])
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f"OURS worker failed:\n{done.stdout}\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if profile:
        print("\n".join(done.stdout.strip().splitlines()[:-1]))
    return result


# The same per-polygon CROSS JOIN LATERAL as gis/db/assign.py (RW level).
OGR_ASSIGN = """
    UPDATE ogr_complaints t SET rw_code = m.rw, kelurahan_code = m.kel
    FROM (
        SELECT DISTINCT ON (hit.id) hit.id, hit.rw, hit.kel
        FROM rw CROSS JOIN LATERAL (
            SELECT p.{fid} AS id, rw.code AS rw, rw.kelurahan_code AS kel, rw.code AS unit
            FROM ogr_complaints p
            WHERE ST_Intersects(rw.geom, p.geom) AND p.rw_code IS NULL
        ) hit
        ORDER BY hit.id, hit.unit
    ) m
    WHERE t.{fid} = m.id"""


def run_ogr(cluster, path: Path) -> dict:
    cmd = [
        "ogr2ogr", "-f", "PostgreSQL", f"PG:{_pg_dsn(cluster)}", str(path),
        "-nln", "ogr_complaints", "-lco", "GEOMETRY_NAME=geom", "-lco", "SPATIAL_INDEX=GIST",
        "--config", "PG_USE_COPY", "YES", "-gt", "65536",
    ]  # fmt: skip
    with _pg(cluster) as side:
        side.autocommit = True
        wal0 = _wal_lsn(side)
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        t1 = time.perf_counter()
        wal1 = _wal_lsn(side)
    with _pg(cluster) as conn:
        conn.execute("ALTER TABLE ogr_complaints ADD COLUMN rw_code text, ADD COLUMN kelurahan_code text")
        fid = conn.execute(  # ogr2ogr keeps the GeoPackage's FID column name (fid), else ogc_fid
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = i.indkey[0] WHERE i.indrelid = 'ogr_complaints'::regclass AND i.indisprimary"
        ).fetchone()[0]
        assigned = conn.execute(OGR_ASSIGN.format(fid=fid)).rowcount
        conn.commit()
    t2 = time.perf_counter()
    with _pg(cluster) as side:
        wal2 = _wal_lsn(side)
    return {"load": t1 - t0, "assign": t2 - t1, "total": t2 - t0, "assigned": assigned,
            "wal_load": wal1 - wal0, "wal_assign": wal2 - wal1}  # fmt: skip


# The RW level of assign_units without its UPDATE: what the spatial join itself costs.
JOIN_ONLY = """
    SELECT count(*) FROM (
        SELECT DISTINCT ON (hit.id) hit.id, hit.rw
        FROM rw CROSS JOIN LATERAL (
            SELECT p.id, rw.code AS rw, rw.code AS unit FROM complaint p WHERE ST_Intersects(rw.geom, p.geom)
        ) hit
        ORDER BY hit.id, hit.unit
    ) m"""


def run_join_only(cluster) -> float:
    with _pg(cluster) as conn:
        t0 = time.perf_counter()
        conn.execute(JOIN_ONLY).fetchone()
        return time.perf_counter() - t0


def run_sjoin(points, rw) -> dict:
    import geopandas as gpd

    left = points[["id", "geometry"]]
    t0 = time.perf_counter()
    joined = gpd.sjoin(left, rw, predicate="within")
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "pairs": len(joined), "points": int(joined.index.nunique())}


def _vm_hwm() -> int:
    """Peak RSS of this process in bytes. Not ru_maxrss: Linux carries the parent's RSS at fork
    into the child's ru_maxrss, and the parent holds the generated points."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM"))


def _wal_lsn(side) -> int:
    """The cluster's WAL insert position in bytes (read on a separate autocommit connection)."""
    return int(side.execute("SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn").fetchone()[0])


def _arrow_workaround(readers) -> str | None:
    """gis/io/readers.py ``SourceFile._arrow_chunks`` iterates ``pyogrio.open_arrow(...)`` without
    ``use_pyarrow=True``; pyogrio >= 0.8 then hands back a bare ``_ArrowStream`` (not iterable), so any
    GeoPackage over 100k rows fails with TypeError. Until that is fixed, ask for pyarrow batches here."""
    import inspect

    import pyogrio

    if "use_pyarrow" in inspect.getsource(readers.SourceFile._arrow_chunks):
        return None
    original = pyogrio.open_arrow

    def open_arrow(*args, **kwargs):
        kwargs.setdefault("use_pyarrow", True)
        return original(*args, **kwargs)

    pyogrio.open_arrow = open_arrow
    return (
        "pyogrio.open_arrow(use_pyarrow=True) patched in: "
        "readers.SourceFile._arrow_chunks fails above 100k rows"
    )


def worker(path: Path, profile: bool) -> None:
    """Child process: import ``path`` with our importer, timing its phases; print JSON last."""
    import sqlalchemy as sa

    from gis.db.engine import make_engine
    from gis.io import ImportOptions, import_file, importer, load, readers, validate

    settings, cluster = _cluster()
    times: dict[str, float] = defaultdict(float)
    wal: dict[str, int] = defaultdict(int)
    side = _pg(cluster)
    side.autocommit = True
    workaround = _arrow_workaround(readers)

    def wrap(owner, name, key):
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            wal0 = _wal_lsn(side)
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                times[key] += time.perf_counter() - t0
                wal[key] += _wal_lsn(side) - wal0

        setattr(owner, name, timed)

    def wrap_gen(owner, name, key):
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            it = original(*args, **kwargs)
            while True:
                t0 = time.perf_counter()
                try:
                    item = next(it)
                except StopIteration:
                    times[key] += time.perf_counter() - t0
                    return
                times[key] += time.perf_counter() - t0
                yield item

        setattr(owner, name, timed)

    wrap_gen(readers.SourceFile, "chunks", "read")
    wrap(importer, "canonical", "canonical")
    wrap(validate, "repair_geometries", "repair_geometries")
    wrap(validate, "check_points", "check_points")
    wrap(importer, "_global_duplicates", "global_duplicates")
    wrap(load, "to_copy_text", "copy_text")
    wrap(load, "copy_frame", "copy_frame")
    wrap(load, "upsert_points", "upsert")
    wrap(load, "resolve_units", "assign")  # public points are computed inside the upsert now
    wrap(importer, "_first_events", "first_events")

    engine = make_engine(cluster.url(DB))
    statements: dict[str, float] = defaultdict(float)
    statement_wal: dict[str, int] = defaultdict(int)

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        conn.info["wal0"] = _wal_lsn(side)
        conn.info["t0"] = time.perf_counter()

    @sa.event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        text = " ".join(statement.split())
        label = text[:80] + (f" [{m.group(1)}]" if (m := re.search(r"FROM (\w+) CROSS JOIN", text)) else "")
        statements[label] += time.perf_counter() - conn.info.pop("t0")
        statement_wal[label] += _wal_lsn(side) - conn.info.pop("wal0")

    with engine.connect() as conn:  # warm the pool and imports outside the timing
        conn.execute(sa.text("SELECT 1"))
    baseline = _vm_hwm()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    wal0 = _wal_lsn(side)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        report = import_file(
            conn, "complaints", path, ImportOptions(source=SOURCE, category=CATEGORY), settings.data_dir
        )
        t_body = time.perf_counter()
    total = time.perf_counter() - t0
    wal_total = _wal_lsn(side) - wal0
    if profiler:
        import pstats

        profiler.disable()
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(25)
    times["commit"] = total - (t_body - t0)
    with engine.connect() as conn:
        stored = conn.execute(
            sa.text("SELECT count(*), count(rw_code), count(geom_public) FROM complaint")
        ).one()
    print(
        json.dumps(
            {
                "total": total,
                "phases": times,
                "statements": {k: [v, statement_wal[k]] for k, v in statements.items() if v >= 0.05},
                "phases_wal": wal,
                "loaded": report.loaded,
                "errors": len(report.errors),
                "stored": list(stored),
                "peak_rss": _vm_hwm(),
                "wal": wal_total,
                "baseline_rss": baseline,
                "workaround": workaround,
            }
        )
    )


# -- report ------------------------------------------------------------------------------------------


def machine(cluster) -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "?")
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
    with _pg(cluster) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
        postgis = conn.execute("SELECT postgis_lib_version()").fetchone()[0]
        settings = {
            k: conn.execute(f"SHOW {k}").fetchone()[0]
            for k in (
                "shared_buffers",
                "work_mem",
                "maintenance_work_mem",
                "synchronous_commit",
                "max_wal_size",
            )
        }
    gdal = subprocess.run(["ogr2ogr", "--version"], capture_output=True, text=True).stdout.strip()
    return {
        "cpu": f"{os.cpu_count()} cores ({model})",
        "ram": f"{mem / 1024**2:.0f} GiB",
        "python": f"{platform.python_version()} ({platform.system()} {platform.release()})",
        "postgresql": pg,
        "postgis": postgis,
        "gdal": gdal,
        "pg settings": ", ".join(f"{k}={v}" for k, v in settings.items()),
    }


def report(rows: int, info: dict, ours: dict, raw: dict, ogr: dict, sjoin: dict) -> dict:
    p, w = ours["phases"], ours["phases_wal"]
    loading = p["copy_frame"] + p["upsert"]
    loading_db = loading - p["copy_text"]
    validate = sum(p[k] for k in ("canonical", "repair_geometries", "check_points", "global_duplicates"))
    table = [  # (step, seconds, WAL bytes or None)
        ("OURS import_file, end to end", ours["total"], ours["wal"]),
        ("  read (pyogrio Arrow chunks)", p["read"], None),
        ("  validate (canonical, geometry, bbox, duplicates)", validate, None),
        ("  loading: copy_frame + upsert_points", loading, w["copy_frame"] + w["upsert"]),
        ("    COPY text building (to_copy_text)", p["copy_text"], None),
        ("    COPY to TEMP staging", p["copy_frame"] - p["copy_text"], w["copy_frame"]),
        ("    upsert_points (staging -> complaint)", p["upsert"], w["upsert"]),
        ("  resolve_units on staging (rt, rw, kelurahan)", p["assign"], w["assign"]),
        ("  first complaint_event rows", p["first_events"], w["first_events"]),
        ("  commit", p["commit"], None),
        ("RAW COPY into complaint (physical floor)", raw["seconds"], raw["wal"]),
        ("OGR2OGR + SQL RW assignment", ogr["total"], ogr["wal_load"] + ogr["wal_assign"]),
        ("  ogr2ogr -f PostgreSQL (PG_USE_COPY)", ogr["load"], ogr["wal_load"]),
        ("  UPDATE ogr_complaints (CROSS JOIN LATERAL)", ogr["assign"], ogr["wal_assign"]),
        ("geopandas.sjoin(points, rw, 'within')", sjoin["seconds"], None),
        ("(diagnostic) RW join of assign_units, no UPDATE", ours["join_only"], None),
    ]
    ratios = {
        "loading": (raw["seconds"] / loading, GOALS["loading"], ">="),
        "loading_db": (raw["seconds"] / loading_db, GOALS["loading"], ">="),
        "total": (ours["total"] / ogr["total"], GOALS["total"], "<="),
        "assignment": (p["assign"] / sjoin["seconds"], GOALS["assignment"], "<="),
        "memory_gib": (ours["peak_rss"] / 1024**3, GOALS["memory_gib"], "<"),
    }
    labels = {
        "loading": "ours loading rows/s / raw COPY rows/s",
        "loading_db": "  same, without COPY text building",
        "total": "ours total / (ogr2ogr + assignment)",
        "assignment": "ours resolve_units / geopandas.sjoin",
        "memory_gib": "peak RSS of OURS (GiB)",
    }
    print("\nMachine")
    for k, v in info.items():
        print(f"  {k:12} {v}")
    print(f"\nBulk import of {rows:,} points")
    print(f"  {'step':52} {'seconds':>9} {'rows/s':>11} {'WAL MiB':>9}")
    for name, seconds, wal in table:
        wal_text = f"{wal / 1024**2:9,.0f}" if wal is not None else ""
        print(f"  {name:52} {seconds:9.2f} {rows / seconds if seconds else 0:11,.0f} {wal_text}")
    print(
        f"\n  stored {ours['stored'][0]:,} complaints, {ours['stored'][1]:,} with an RW, "
        f"{ours['stored'][2]:,} with a public point; ogr2ogr assigned {ogr['assigned']:,}; "
        f"sjoin matched {sjoin['points']:,} points ({sjoin['pairs']:,} pairs)"
    )
    print(
        f"  peak RSS of OURS (VmHWM): {ours['peak_rss'] / 1024**2:,.0f} MiB "
        f"(interpreter + imports before the import: {ours['baseline_rss'] / 1024**2:,.0f} MiB)"
    )
    print("\nRatios against the goals")
    verdicts = {}
    for key, (value, goal, op) in ratios.items():
        met = value >= goal if op == ">=" else value <= goal if op == "<=" else value < goal
        verdicts[key] = {"value": value, "goal": f"{op} {goal}", "met": met}
        print(f"  {labels[key]:42} {value:7.2f}   goal {op} {goal:<4}  {'met' if met else 'MISSED'}")
    if ours.get("workaround"):
        print(f"\n  NOTE: {ours['workaround']}")
    print("\nSlowest SQL statements inside OURS (seconds, WAL MiB)")
    for label, (seconds, wal) in sorted(ours["statements"].items(), key=lambda kv: -kv[1][0])[:8]:
        print(f"  {seconds:8.2f} {wal / 1024**2:7,.0f}  {label}")
    return {"rows": rows, "machine": info, "table": table, "ratios": verdicts, "ours": ours, "ogr": ogr,
            "raw": raw, "sjoin": sjoin}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--profile", action="store_true", help="cProfile the OURS import (slower)")
    parser.add_argument("--keep-db", action="store_true", help=f"leave the {DB} database behind")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.profile)
        return
    settings, cluster = _cluster()
    url = setup_database(settings, cluster)
    info = machine(cluster)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
            t0 = time.perf_counter()
            path, points, rw = generate(url, args.rows, args.seed, Path(tmp))
            chunks = raw_copy_text(points)
            print(
                f"generated {args.rows:,} points in {time.perf_counter() - t0:.1f}s (not timed)", flush=True
            )

            reset(cluster)
            raw = run_raw(cluster, chunks)
            del chunks
            print(f"RAW COPY: {raw['seconds']:.2f}s", flush=True)

            reset(cluster)
            ours = run_ours(path, args.profile)
            print(f"OURS: {ours['total']:.2f}s", flush=True)
            ours["join_only"] = run_join_only(cluster)

            reset(cluster)
            ogr = run_ogr(cluster, path)
            print(f"OGR2OGR + assignment: {ogr['total']:.2f}s", flush=True)

            sjoin = run_sjoin(points, rw)
            print(f"SJOIN: {sjoin['seconds']:.2f}s", flush=True)
        figures = report(args.rows, info, ours, raw, ogr, sjoin)
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2, default=str))
    finally:
        if not args.keep_db:
            cluster.drop_database(DB)


if __name__ == "__main__":
    main()
