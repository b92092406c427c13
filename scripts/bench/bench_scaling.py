"""Growth benchmark (issue 9): how tiles, hot spots, imports and complaint queries grow with the number
of complaints (10k -> 100k -> 1M) and with the area (one kelurahan -> all of Jakarta).

    .venv/bin/python scripts/bench/bench_scaling.py [--quick] [--json out.json] [--keep]
        [--sizes 10000,100000,1000000] [--passes 3]

The default run (10k, 100k, 1M) took 21 minutes on 2 cores with other work on the machine;
``--quick`` (10k, 100k) should take about 9, judging by the full run's first two steps. Two throwaway
databases of the embedded cluster, dropped at the end (also on error or Ctrl-C) unless ``--keep``; the
cluster itself is never stopped or restarted:

* ``bench_scaling``      all of Jakarta: the 267 Kemendagri kelurahan (kecamatan derived) and the
                         2,685 OSM-2012 RW of /work/shared/datasets (2,593 load), each file through
                         ``sigkel import``'s own code (``gis.io.import_file``), timed;
* ``bench_scaling_one``  one kelurahan (the demo's Cempaka Putih Timur, 31.71.05.1001): the same two
                         files cut down to that kelurahan (RW chosen by the Kemendagri crosswalk),
                         imported the same way, timed.

Complaints are synthetic, made inside PostGIS, set-based (no Python loop; 1.1M points in about 3 min,
not timed): every RW gets a share of the points proportional to its area times a seeded log-normal
factor (sigma 0.8, so some RW are much busier than others), placed with ``ST_GeneratePoints`` inside
the real RW polygon, then put in a seeded random order ``k``. Size N is the rows with k <= N, so each
size contains the smaller ones and has the same spatial spread. Attributes come from md5 hashes of k
(deterministic): categories kebersihan 28%, drainase 14% (60% of it in Jan-Feb), jalan 14%,
ketertiban 10%, penerangan 9%, fasilitas 6%, keamanan 5%, kesehatan lingkungan 5%, administrasi 4%
and sosial 3% (both not public), lainnya 2%; status selesai 70%, ditindaklanjuti 8%, diterima 7%,
ditolak 6% and bukan_wewenang 4% (with a reason), verifikasi 5%, with response and resolution times;
created in 2025 between 06:00 and 22:00 WIB; SLA due 1.4 calendar days per SLA day (an approximation,
not the office calendar); 2% confidential; no duplicates, events or photos. ``geom_public`` comes from
the app's own expression (``gis.complaints.privacy.public_point_sql``). ``bench_scaling_one`` gets the
very same rows of its kelurahan, so its density equals the city's.

At each size (the first size is the named baseline: every figure is also printed as a ratio to it):

tiles     one client on one keep-alive connection to ``sigkel serve --workers 2 --threads 4``
          (gunicorn gthread, basemap none, its own temporary SIGKEL_VAR_DIR, warmed up on another
          layer first), over a fixed list of 161 tile addresses at z12-z16: every tile over the one
          kelurahan (31) plus a seeded sample of up to 30 tiles per zoom that touch a Jakarta RW (136),
          for the ``complaints`` and ``rw`` layers. COLD: before each of ``--passes`` passes the
          layer's change counter is bumped, so every request misses the app's tile cache and runs the
          SQL (PostgreSQL's buffers are not flushed: the cluster is shared). WARM: the list again right
          after on the same connection (cache hits). RAW: ``gis.db.tiles.tile`` in-process, the SQL
          alone. BARE (peer): plain ``ST_AsMVT`` over the bare table, no aggregation, no join.
queries   the app's own functions, median of 5 calls: ``similar_open`` (the report form's "is it one of
          these?", 50 m), ``work_queue`` (staff queue of the one kelurahan), ``public_complaints_geojson``
          (bbox of the one kelurahan, and no bbox), and the merge's re-pointing read
          (``WHERE duplicate_of = ...``); with EXPLAIN (ANALYZE, BUFFERS) of their statements.
hotspots  ``gis.analysis.jobs.run_hotspots`` (Gi* with FDR, hex grid, automatic cell size and band,
          stored as an analysis run) in a child process (address space limited to 10 GiB, 15 min
          timeout): the one kelurahan in ``bench_scaling_one``; the same kelurahan in
          ``bench_scaling``; mainland DKI (the 261 kelurahan outside Kepulauan Seribu); all of DKI
          (no --kelurahan, all 267).
import    ``gis.io.import_file(conn, "complaints", ...)`` of a 10k-row CSV and a 100k-row GeoPackage
          (points drawn the same way, k above the largest size) into the table at its current size;
          removed again afterwards (with triggers off: see ``import_complaints``).
reimport  the one kelurahan's RW file imported again into ``bench_scaling`` (a boundary correction of
          8 RW), timed, then VACUUM ANALYZE.
explain   EXPLAIN (ANALYZE, BUFFERS) of the hot spot read (one kelurahan, all) and of the statements
          behind the slowest complaint tile, kept in the JSON.

Once, for area: boundary import time and rw tile latency, one kelurahan's database against all of
Jakarta's (same 31 addresses, and each area's own tiles). The load average is recorded at every phase:
other work may share the machine. Prints markdown tables; ``--json`` writes everything (plans
included). Only 127.0.0.1 is contacted. Results and their reading: docs/scaling.md.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_tiles import Server, lonlat_to_tile, machine, pct  # noqa: E402

DB_ALL = "bench_scaling"
DB_ONE = "bench_scaling_one"
KEL = "31.71.05.1001"  # Cempaka Putih Timur, the first demo kelurahan
DATASETS = Path("/work/shared/datasets")
KELURAHAN_FILE = DATASETS / "jakarta-kelurahan-kemendagri/kelurahan_dki_kemendagri.geojson"
CROSSWALK = DATASETS / "jakarta-kelurahan-kemendagri/crosswalk_rw_osm2012_to_kemendagri.csv"
RW_FILE = DATASETS / "jakarta-rw-kelurahan-osm2012/rw_jakarta.geojson"
ZOOMS = range(12, 17)
CITY_TILES_PER_ZOOM = 30
IMPORT_ROWS = (10_000, 100_000)
SEED = 9
SOURCE = "bench-scaling"
IMPORT_SOURCE = "bench-import"
LAYER_TABLES = {"complaints": ["complaint"], "rw": ["rw"]}

# -- the synthetic complaints, made once in PostGIS ---------------------------------------------------

U_FUNCTION = """
CREATE OR REPLACE FUNCTION bench_u(s text) RETURNS float8 IMMUTABLE LANGUAGE sql AS
$$ SELECT ('x' || lpad(substr(md5(s), 1, 8), 16, '0'))::bit(64)::bigint / 4294967296.0 $$"""

# Per RW: weight = area x log-normal factor; exact integer shares by cumulative rounding; points by
# ST_GeneratePoints (seeded); k = a seeded random order of all points.
POINTS_SQL = """
CREATE UNLOGGED TABLE bench_points AS
WITH w AS (
    SELECT code, kelurahan_code, geom,
           ST_Area(geom::geography) * exp(0.8 * sqrt(3.0) * (bench_u(code || ':a') + bench_u(code || ':b')
               + bench_u(code || ':c') + bench_u(code || ':d') - 2.0)) AS w
    FROM rw),
c AS (SELECT *, sum(w) OVER (ORDER BY code) AS cum, sum(w) OVER () AS total FROM w),
n AS (
    SELECT code, kelurahan_code, geom,
           (floor(%(total)s * cum / total) - floor(%(total)s * coalesce(lag(cum) OVER (ORDER BY code), 0)
               / total))::int AS n
    FROM c),
pts AS (
    SELECT n.code AS rw_code, n.kelurahan_code, d.path[1] AS i, d.geom
    FROM n CROSS JOIN LATERAL ST_Dump(ST_GeneratePoints(n.geom, n.n, %(seed)s)) d
    WHERE n.n > 0),
ordered AS (
    SELECT row_number() OVER (ORDER BY md5(rw_code || ':' || i || ':' || %(seed)s)) AS k, rw_code,
           kelurahan_code, geom
    FROM pts),
u AS (
    SELECT k, rw_code, kelurahan_code, geom, bench_u(k || ':cat') AS u_cat, bench_u(k || ':st') AS u_st,
           bench_u(k || ':day') AS u_day, bench_u(k || ':hour') AS u_hour,
           bench_u(k || ':season') AS u_season, bench_u(k || ':resp') AS u_resp,
           bench_u(k || ':res') AS u_res, bench_u(k || ':conf') AS u_conf
    FROM ordered),
a AS (
    SELECT k, rw_code, kelurahan_code, geom, u_day, u_hour, u_season, u_resp, u_res, u_conf,
        CASE WHEN u_cat < 0.28 THEN 'kebersihan' WHEN u_cat < 0.42 THEN 'drainase_banjir'
             WHEN u_cat < 0.56 THEN 'jalan_rusak' WHEN u_cat < 0.66 THEN 'ketertiban_umum'
             WHEN u_cat < 0.75 THEN 'penerangan_jalan' WHEN u_cat < 0.81 THEN 'fasilitas_umum'
             WHEN u_cat < 0.86 THEN 'keamanan' WHEN u_cat < 0.91 THEN 'kesehatan_lingkungan'
             WHEN u_cat < 0.95 THEN 'administrasi' WHEN u_cat < 0.98 THEN 'sosial' ELSE 'lainnya' END
            AS category,
        CASE WHEN u_st < 0.06 THEN 'ditolak' WHEN u_st < 0.10 THEN 'bukan_wewenang'
             WHEN u_st < 0.80 THEN 'selesai' WHEN u_st < 0.88 THEN 'ditindaklanjuti'
             WHEN u_st < 0.93 THEN 'verifikasi' ELSE 'diterima' END AS status
    FROM u),
t AS (
    SELECT *, (timestamp '2025-01-01 06:00'
               + (CASE WHEN category = 'drainase_banjir' AND u_season < 0.6 THEN floor(u_day * 59)
                       ELSE floor(u_day * 365) END) * interval '1 day'
               + u_hour * interval '16 hours') AT TIME ZONE 'Asia/Jakarta' AS created_at
    FROM a)
SELECT k, rw_code, kelurahan_code, geom, category, status,
       CASE status WHEN 'ditolak' THEN 'Laporan tidak dapat diverifikasi di lapangan.'
                   WHEN 'bukan_wewenang' THEN 'Kewenangan instansi lain; diteruskan.' END AS status_reason,
       'Laporan warga (sintetis) nomor ' || k AS description, created_at,
       CASE WHEN status <> 'diterima' THEN created_at + (0.05 + u_resp * 2.95) * interval '1 day' END
           AS first_response_at,
       CASE WHEN status IN ('selesai', 'ditolak', 'bukan_wewenang')
            THEN created_at + (0.5 + u_res * 14) * interval '1 day' END AS resolved_at,
       u_conf < 0.02 AS confidential
FROM t"""


def grow_sql() -> str:
    from gis.complaints.privacy import public_point_sql

    public = public_point_sql("p.geom", "cat.privacy", "(cat.public AND NOT p.confidential)", "NULL")
    return f"""
INSERT INTO complaint (ticket, category, description, status, status_reason, kelurahan_code, rw_code,
                       created_at, updated_at, sla_due, first_response_at, resolved_at, source, source_id,
                       synthetic, confidential, geom, geom_public)
SELECT 'BS-' || p.k, p.category, p.description, p.status, p.status_reason, kk.code, r.code,
       p.created_at, greatest(p.created_at, p.first_response_at, p.resolved_at),
       p.created_at + cat.sla_days * interval '1.4 days', p.first_response_at, p.resolved_at,
       '{SOURCE}', p.k::text, true, p.confidential, p.geom, {public}
FROM bench_points p JOIN complaint_category cat ON cat.code = p.category
LEFT JOIN rw r ON r.code = p.rw_code LEFT JOIN kelurahan kk ON kk.code = p.kelurahan_code
WHERE p.k > %(lo)s AND p.k <= %(hi)s"""


# -- plumbing -----------------------------------------------------------------------------------------


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def _cluster():
    from gis.config import Settings
    from gis.db.embedded import EmbeddedCluster

    settings = Settings.from_env()
    return settings, EmbeddedCluster.from_settings(settings)


def _pg(cluster, db: str, autocommit: bool = False):
    import psycopg

    return psycopg.connect(
        host=str(cluster.socket_dir), port=5432, user=cluster.db_role, dbname=db, autocommit=autocommit
    )


LOADS: list[dict] = []


def load_mark(phase: str) -> None:
    """The machine's load average at this phase (other work may share the machine)."""
    LOADS.append({"at": time.strftime("%H:%M:%S"), "phase": phase, "loadavg": os.getloadavg()})


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=10).stdout.strip()
    except OSError:
        return "?"


def ratio(a, b) -> float | None:
    return a / b if a is not None and b not in (None, 0) else None


# -- databases and boundary imports ---------------------------------------------------------------------


def subset_files(folder: Path) -> tuple[Path, Path]:
    """The kelurahan file and the RW file cut down to KEL (RW chosen by the crosswalk)."""
    import geopandas as gpd
    import pandas as pd

    kel = gpd.read_file(KELURAHAN_FILE, engine="pyogrio")
    kel_path = folder / "kelurahan_one.geojson"
    kel[kel["kode"] == KEL].to_file(kel_path, driver="GeoJSON")
    rw = gpd.read_file(RW_FILE, engine="pyogrio")
    cross = pd.read_csv(CROSSWALK, usecols=["OBJECTID", "kode_kel"])
    ids = set(cross.loc[cross["kode_kel"] == KEL, "OBJECTID"])
    rw_path = folder / "rw_one.geojson"
    rw[rw["OBJECTID"].isin(ids)].to_file(rw_path, driver="GeoJSON")
    return kel_path, rw_path


def _timed_import(url: str, kind: str, path: Path, data_dir: Path, **options):
    """``gis.io.import_file`` of one file in its own transaction; (report, seconds, commit included)."""
    from gis.db.engine import make_engine
    from gis.io import ImportOptions, import_file

    engine = make_engine(url)
    try:
        t0 = time.perf_counter()
        with engine.begin() as conn:
            report = import_file(conn, kind, path, ImportOptions(**options), data_dir)
        return report, time.perf_counter() - t0
    finally:
        engine.dispose()


def import_boundaries(url: str, path: Path, data_dir: Path) -> dict:
    """One boundary file, timed (commit included)."""
    report, seconds = _timed_import(url, "boundaries", path, data_dir, skip_invalid=True)
    return {
        "file": path.name,
        "seconds": seconds,
        "read": report.read,
        "loaded": report.loaded,
        "rejected": report.rejected,
        "committed": report.committed,
    }


def make_database(cluster, settings, db: str, kel_path: Path, rw_path: Path) -> tuple[str, dict]:
    from gis import pipelines
    from gis.db import migrate
    from gis.db.engine import make_engine

    cluster.drop_database(db)
    url = cluster.create_database(db)
    engine = make_engine(url)
    with engine.begin() as conn:
        migrate.upgrade(conn)
        pipelines.seed_reference(conn, settings.data_dir)
    engine.dispose()
    out = {
        "kelurahan": import_boundaries(url, kel_path, settings.data_dir),
        "rw": import_boundaries(url, rw_path, settings.data_dir),
    }
    with _pg(cluster, db, autocommit=True) as conn:
        conn.execute("ANALYZE")
        out["counts"] = {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("kecamatan", "kelurahan", "rw")
        }
    out["total_s"] = out["kelurahan"]["seconds"] + out["rw"]["seconds"]
    log(
        f"{db}: kelurahan {out['kelurahan']['seconds']:.2f}s ({out['kelurahan']['loaded']}), "
        f"rw {out['rw']['seconds']:.2f}s ({out['rw']['loaded']} loaded, {out['rw']['rejected']} rejected)"
    )
    return url, out


def make_points(cluster, total: int) -> dict:
    """bench_points in DB_ALL (all RW), and its KEL rows copied into DB_ONE."""
    t0 = time.perf_counter()
    with _pg(cluster, DB_ALL) as conn:
        conn.execute("SET max_parallel_workers_per_gather = 0")
        conn.execute(U_FUNCTION)
        conn.execute("DROP TABLE IF EXISTS bench_points")
        conn.execute(POINTS_SQL, {"total": total, "seed": SEED})
        conn.execute("ALTER TABLE bench_points ADD PRIMARY KEY (k)")
        n = conn.execute("SELECT count(*) FROM bench_points").fetchone()[0]
        conn.commit()
    with _pg(cluster, DB_ALL) as src, _pg(cluster, DB_ONE) as dst:
        dst.execute("DROP TABLE IF EXISTS bench_points")
        cols = src.execute("SELECT * FROM bench_points LIMIT 0").description
        ddl = src.execute(
            "SELECT string_agg(quote_ident(attname) || ' ' || format_type(atttypid, atttypmod), ', ' "
            "ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'bench_points'::regclass AND attnum > 0 "
            "AND NOT attisdropped"
        ).fetchone()[0]
        dst.execute(f"CREATE UNLOGGED TABLE bench_points ({ddl}, PRIMARY KEY (k))")
        names = ", ".join(c.name for c in cols)
        with (
            src.cursor().copy(
                f"COPY (SELECT {names} FROM bench_points WHERE kelurahan_code = %s) TO STDOUT", (KEL,)
            ) as out,  # fmt: skip
            dst.cursor().copy(f"COPY bench_points ({names}) FROM STDIN") as into,
        ):
            for block in out:
                into.write(block)
        one = dst.execute("SELECT count(*) FROM bench_points").fetchone()[0]
        dst.commit()
    seconds = time.perf_counter() - t0
    log(f"made {n:,} synthetic points ({one:,} in {KEL}) in {seconds:.1f}s (not timed)")
    return {"points": n, "points_one": one, "seconds": seconds}


def grow(cluster, db: str, lo: int, hi: int) -> dict:
    t0 = time.perf_counter()
    with _pg(cluster, db) as conn:
        rows = conn.execute(grow_sql(), {"lo": lo, "hi": hi}).rowcount
        conn.commit()
    t1 = time.perf_counter()
    with _pg(cluster, db, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE complaint")
        n = conn.execute("SELECT count(*) FROM complaint").fetchone()[0]
    return {"inserted": rows, "insert_s": t1 - t0, "vacuum_s": time.perf_counter() - t1, "complaints": n}


# -- tiles ------------------------------------------------------------------------------------------------


def kel_tiles(cluster) -> list[tuple[int, int, int]]:
    with _pg(cluster, DB_ALL) as conn:
        x0, y0, x1, y1 = conn.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
            "(SELECT ST_Extent(geom)::geometry AS e FROM kelurahan WHERE code = %s) s",
            (KEL,),
        ).fetchone()
    out = []
    for z in ZOOMS:
        ax, ay = lonlat_to_tile(x0, y1, z)
        bx, by = lonlat_to_tile(x1, y0, z)
        out += [(z, x, y) for x in range(ax, bx + 1) for y in range(ay, by + 1)]
    return out


def kel_place(cluster) -> tuple[tuple, tuple]:
    """KEL's bounding box and a point inside it."""
    with _pg(cluster, DB_ALL) as conn:
        row = conn.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), ST_X(p), ST_Y(p) FROM (SELECT "
            "ST_Envelope(geom) AS e, ST_PointOnSurface(geom) AS p FROM kelurahan WHERE code = %s) s",
            (KEL,),
        ).fetchone()
    return tuple(row[:4]), tuple(row[4:])


def city_tiles(cluster, per_zoom: int = CITY_TILES_PER_ZOOM) -> list[tuple[int, int, int]]:
    """A seeded sample of tiles that touch a Jakarta RW, per zoom."""
    rng = random.Random(SEED)
    out = []
    with _pg(cluster, DB_ALL) as conn:
        conn.execute("CREATE TEMP TABLE city AS SELECT ST_Union(geom) AS g FROM rw")
        x0, y0, x1, y1 = conn.execute(
            "SELECT ST_XMin(g), ST_YMin(g), ST_XMax(g), ST_YMax(g) FROM city"
        ).fetchone()
        for z in ZOOMS:
            ax, ay = lonlat_to_tile(x0, y1, z)
            bx, by = lonlat_to_tile(x1, y0, z)
            cand = [(z, x, y) for x in range(ax, bx + 1) for y in range(ay, by + 1)]
            rng.shuffle(cand)
            keep = []
            for item in cand:
                hit = conn.execute(
                    "SELECT ST_Intersects(ST_Transform(ST_TileEnvelope(%s, %s, %s), 4326), g) FROM city", item
                ).fetchone()[0]
                if hit:
                    keep.append(item)
                if len(keep) >= per_zoom:
                    break
            out += sorted(keep)
    return out


@contextlib.contextmanager
def server_for(url: str, var_dir: Path):
    """``sigkel serve`` on ``url`` with its own SIGKEL_VAR_DIR (its stale copies and secret stay there)."""
    var_dir.mkdir(parents=True, exist_ok=True)
    saved = os.environ.get("SIGKEL_VAR_DIR")
    os.environ["SIGKEL_VAR_DIR"] = str(var_dir)
    try:
        server = Server(url, log_path=var_dir / "server.log")
    finally:
        if saved is None:
            os.environ.pop("SIGKEL_VAR_DIR", None)
        else:
            os.environ["SIGKEL_VAR_DIR"] = saved
    try:
        yield server
    finally:
        server.stop()


class Client:
    """One keep-alive connection; reconnects (and counts it) when the server closed it."""

    def __init__(self, port: int):
        self.port = port
        self.reconnects = 0
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)

    def get(self, path: str) -> int:
        for attempt in (0, 1):
            try:
                self.conn.request("GET", path)
                resp = self.conn.getresponse()
                body = resp.read()
                break
            except (http.client.HTTPException, ConnectionError):
                if attempt:
                    raise
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
                self.reconnects += 1
        if resp.status != 200:
            raise RuntimeError(f"HTTP {resp.status} for {path}")
        return len(body)

    def close(self) -> None:
        self.conn.close()


def warm_up(server, items: list) -> None:
    """First requests load code and open pools in each worker: not what COLD measures. Several
    connections, so both workers see them; the ``kelurahan`` layer, so no measured tile is cached."""
    clients = [Client(server.port) for _ in range(4)]
    for client in clients:
        for _ in range(3):
            client.get("/healthz")
        for z, x, y in items:
            client.get(f"/tiles/kelurahan/{z}/{x}/{y}.pbf")
    for client in clients:
        client.close()


def bump(cluster, db: str, layer: str) -> None:
    with _pg(cluster, db, autocommit=True) as conn:
        conn.execute(
            "UPDATE layer_version SET version = version + 1 WHERE layer = ANY(%s)", (LAYER_TABLES[layer],)
        )


def http_pass(client: Client, layer: str, items: list) -> list[tuple]:
    out = []
    for z, x, y in items:
        t0 = time.perf_counter()
        n = client.get(f"/tiles/{layer}/{z}/{x}/{y}.pbf")
        out.append(((z, x, y), time.perf_counter() - t0, n))
    return out


BARE = {
    "complaints": ("complaint t", "t.geom_public", "t.ticket, t.category, t.status"),
    "rw": ("rw t", "t.geom", "t.code, t.name"),
}
BARE_SQL = """
WITH b AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS g3857,
                  ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => 64.0 / 4096), 4326) AS g4326)
SELECT ST_AsMVT(m.*, %(layer)s, 4096, 'geom') FROM (
    SELECT ST_AsMVTGeom(ST_Transform({geom}, 3857), b.g3857, 4096, 64, true) AS geom, {props}
    FROM b, {table} WHERE {geom} && b.g4326) m
WHERE m.geom IS NOT NULL"""


def raw_pass(engine, layer: str, items: list, bare: bool = False) -> list[tuple]:
    from gis.db import tiles

    out = []
    with engine.connect() as conn:
        for z, x, y in items:
            t0 = time.perf_counter()
            if bare:
                table, geom, props = BARE[layer]
                sql = BARE_SQL.format(table=table, geom=geom, props=props)
                data = conn.exec_driver_sql(sql, {"z": z, "x": x, "y": y, "layer": layer}).scalar()
                n = len(bytes(data)) if data else 0
            else:
                n = len(tiles.tile(conn, layer, z, x, y))
            conn.rollback()
            out.append(((z, x, y), time.perf_counter() - t0, n))
    return out


def stats(samples: list[tuple]) -> dict:
    lat = [s[1] for s in samples]
    sizes = [s[2] for s in samples]
    by_zoom: dict = {}
    for (z, _x, _y), dt, _n in samples:
        by_zoom.setdefault(z, []).append(dt)
    return {
        "n": len(lat),
        "p50_ms": pct(lat, 0.5) * 1000,
        "p95_ms": pct(lat, 0.95) * 1000,
        "max_ms": max(lat) * 1000 if lat else float("nan"),
        "p95_ms_by_zoom": {z: pct(v, 0.95) * 1000 for z, v in sorted(by_zoom.items())},
        "size_p95_kb": pct(sizes, 0.95) / 1024 if sizes else 0,
        "size_max_kb": max(sizes) / 1024 if sizes else 0,
    }


def measure_tiles(cluster, db: str, server, engine, layer: str, items: list, passes: int) -> dict:
    """COLD passes (counter bumped before each), then WARM passes on the same connection, then RAW
    and BARE in-process passes."""
    client = Client(server.port)
    cold, warm, first = [], [], []
    try:
        for i in range(passes):
            bump(cluster, db, layer)
            run = http_pass(client, layer, items)
            (first if i == 0 else cold).extend(run)
        cold = first + cold
        for _ in range(max(2, passes - 1)):
            warm.extend(http_pass(client, layer, items))
    finally:
        client.close()
    raw = raw_pass(engine, layer, items)
    bare = raw_pass(engine, layer, items, bare=True)
    slowest = max(raw, key=lambda s: s[1])[0] if raw else None
    return {
        "tiles": len(items),
        "cold": stats(cold),
        "cold_first_pass": stats(first),
        "warm": stats(warm),
        "raw": stats(raw),
        "bare": stats(bare),
        "reconnects": client.reconnects,
        "slowest_raw_tile": slowest,
    }


def explain_calls(conn, fn) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of every read statement ``fn(conn)`` runs (rolled back after)."""
    import sqlalchemy as sa

    captured = []

    def grab(_conn, _cursor, statement, parameters, _context, _many):
        captured.append((statement, parameters))

    sa.event.listen(conn, "before_cursor_execute", grab)
    try:
        fn(conn)
    finally:
        sa.event.remove(conn, "before_cursor_execute", grab)
        conn.rollback()
    plans = []
    for statement, parameters in captured:
        if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
            continue
        rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).all()
        plans.append("\n".join(r[0] for r in rows))
        conn.rollback()
    return plans


def explain_tile(engine, layer: str, item) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of every statement gis.db.tiles.tile runs for one tile."""
    from gis.db import tiles

    with engine.connect() as conn:
        return explain_calls(conn, lambda c: tiles.tile(c, layer, *item))


def probe_queries(engine, bbox: tuple, point: tuple) -> dict:
    """Complaint queries of the app that a growing table could hurt, through the app's own functions:
    median of 5 calls, and the plans of their statements."""
    import statistics

    from gis.auth import User
    from gis.complaints.queue import QueueFilter, work_queue
    from gis.complaints.sla import WorkCalendar
    from gis.complaints.submit import similar_open
    from gis.complaints.views import public_complaints_geojson

    calendar = WorkCalendar()
    staff = User(id=0, username="bench", full_name="bench", role="staff", kelurahan=(KEL,))
    calls = {
        "similar_open": lambda c: similar_open(c, "kebersihan", point[0], point[1], 50),
        "work_queue": lambda c: work_queue(c, staff, QueueFilter(), calendar),
        "public_map_kel_bbox": lambda c: public_complaints_geojson(c, bbox=bbox),
        "public_map_all": lambda c: public_complaints_geojson(c),
        "merge_repoint": lambda c: c.exec_driver_sql(
            "SELECT count(*) FROM complaint WHERE duplicate_of = 1"
        ).scalar(),
    }
    out = {}
    with engine.connect() as conn:
        for name, fn in calls.items():
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                fn(conn)
                times.append(time.perf_counter() - t0)
                conn.rollback()
            out[name] = {
                "median_ms": statistics.median(times) * 1000,
                "max_ms": max(times) * 1000,
                "plans": explain_calls(conn, fn),
            }
    return out


def explain_hotspot_read(engine, kelurahan: list[str] | None) -> str:
    import sqlalchemy as sa

    from gis.analysis.jobs import AnalysisParams, _scope

    where, values = _scope(AnalysisParams(kelurahan=kelurahan))
    sql = (
        "EXPLAIN (ANALYZE, BUFFERS) SELECT ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat, c.created_at, "
        f"c.rw_code, c.rt_code FROM complaint c WHERE {where}"
    )
    with engine.connect() as conn:
        return "\n".join(r[0] for r in conn.execute(sa.text(sql), values))


# -- hot spots -----------------------------------------------------------------------------------------

HOTSPOT_CHILD = r"""
import json, sys, time
from gis.analysis.jobs import AnalysisParams, run_hotspots
from gis.db.engine import make_engine
from gis.errors import DataError
url, kelurahan = sys.argv[1], json.loads(sys.argv[2])
engine = make_engine(url)
with engine.connect() as conn:
    conn.exec_driver_sql("SELECT 1")
out = {}
try:
    t0 = time.perf_counter()
    with engine.begin() as conn:
        run_id, frame = run_hotspots(conn, AnalysisParams(kelurahan=kelurahan, shape="hex"))
        timings, inputs = conn.exec_driver_sql(
            f"SELECT timings, inputs FROM analysis_run WHERE id = {run_id}").one()
    out = {"seconds": time.perf_counter() - t0, "features": len(frame), "timings": timings, "inputs": inputs,
           "hot": int((frame["gi_bin"] > 0).sum()), "cold": int((frame["gi_bin"] < 0).sum())}
except DataError as exc:
    out = {"seconds": None, "error": str(exc)}
with open("/proc/self/status") as f:
    out["peak_rss_mb"] = next(int(l.split()[1]) for l in f if l.startswith("VmHWM")) / 1024
print(json.dumps(out))
"""


HOTSPOT_MEMORY = 10 * 2**30  # address-space limit of the child: a runaway neighbour list fails alone
HOTSPOT_TIMEOUT = 900


def _limit_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (HOTSPOT_MEMORY, HOTSPOT_MEMORY))


def hotspot(url: str, kelurahan: list[str] | None) -> dict:
    """One hot spot job in a child process (memory-limited, with a timeout)."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", HOTSPOT_CHILD, url, json.dumps(kelurahan)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
            timeout=HOTSPOT_TIMEOUT,
            preexec_fn=_limit_memory,
        )
    except subprocess.TimeoutExpired:
        return {"seconds": None, "error": f"timed out after {HOTSPOT_TIMEOUT} s"}
    if done.returncode:
        return {"seconds": None, "error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def mainland(cluster) -> list[str]:
    """The 261 kelurahan of mainland DKI (all but Kepulauan Seribu, 31.01, which has no RW data)."""
    with _pg(cluster, DB_ALL) as conn:
        rows = conn.execute(
            "SELECT code FROM kelurahan WHERE code NOT LIKE '31.01.%%' ORDER BY code"
        ).fetchall()
    return [r[0] for r in rows]


# -- complaint imports ----------------------------------------------------------------------------------


def import_files(cluster, url: str, lo: int, folder: Path) -> dict[int, Path]:
    """A CSV of the first 10k and a GeoPackage of 100k points with k > lo (not part of any size)."""
    import geopandas as gpd
    import pandas as pd
    import sqlalchemy as sa

    from gis.db.engine import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        frame = gpd.read_postgis(
            sa.text(
                "SELECT 'IMP-' || k AS id, category, description, "
                "to_char(created_at AT TIME ZONE 'Asia/Jakarta', 'YYYY-MM-DD\"T\"HH24:MI:SS') || '+07:00' "
                "AS created_at, geom FROM bench_points WHERE k > :lo ORDER BY k LIMIT :n"
            ),
            conn,
            geom_col="geom",
            params={"lo": lo, "n": max(IMPORT_ROWS)},
        )
    engine.dispose()
    paths = {}
    small = frame.iloc[: IMPORT_ROWS[0]]
    csv = pd.DataFrame(small.drop(columns="geom"))
    csv["lat"], csv["lon"] = small.geometry.y.round(7), small.geometry.x.round(7)
    paths[IMPORT_ROWS[0]] = folder / f"complaints_{IMPORT_ROWS[0]}.csv"
    csv.to_csv(paths[IMPORT_ROWS[0]], index=False)
    paths[IMPORT_ROWS[1]] = folder / f"complaints_{IMPORT_ROWS[1]}.gpkg"
    frame.rename_geometry("geometry").to_file(paths[IMPORT_ROWS[1]], driver="GPKG", layer="complaints")
    return paths


def import_complaints(cluster, url: str, path: Path, data_dir: Path) -> dict:
    report, seconds = _timed_import(url, "complaints", path, data_dir, source=IMPORT_SOURCE)
    t1 = time.perf_counter()
    with _pg(cluster, DB_ALL) as conn:
        # Not the cascade: complaint.duplicate_of has no index, so every deleted row's self-FK check
        # scans the whole table. Foreign-key and user triggers are off for this cleanup (superuser),
        # so the imported rows' events go first; nothing else refers to them.
        conn.execute("SET session_replication_role = replica")
        conn.execute(
            "DELETE FROM complaint_event WHERE complaint_id IN (SELECT id FROM complaint WHERE source = %s)",
            (IMPORT_SOURCE,),
        )
        conn.execute("DELETE FROM complaint WHERE source = %s", (IMPORT_SOURCE,))
        conn.commit()
    return {
        "file": path.name,
        "seconds": seconds,
        "loaded": report.loaded,
        "errors": len(report.errors),
        "assigned": report.assigned,
        "cleanup_s": time.perf_counter() - t1,
    }


def reimport_rw(cluster, url: str, rw_path: Path, data_dir: Path) -> dict:
    """The one kelurahan's RW file imported again into the city database (then vacuumed)."""
    out = import_boundaries(url, rw_path, data_dir)
    t0 = time.perf_counter()
    with _pg(cluster, DB_ALL, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE complaint")
    out["vacuum_s"] = time.perf_counter() - t0
    return out


# -- the run ---------------------------------------------------------------------------------------------


def run(args) -> dict:
    from gis.db.engine import make_engine

    settings, cluster = _cluster()
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict = {
        "machine": machine(),
        "uptime_start": uptime(),
        "args": {k: str(v) for k, v in vars(args).items()},
        "kelurahan": KEL,
        "sizes": {},
    }
    results["machine"]["pg_settings"] = {}
    with _pg(cluster, "postgres") as conn:
        for k in (
            "shared_buffers",
            "work_mem",
            "max_wal_size",
            "synchronous_commit",
            "max_parallel_workers_per_gather",
        ):
            results["machine"]["pg_settings"][k] = conn.execute(f"SHOW {k}").fetchone()[0]
    log(f"machine: {results['machine']}")
    log(f"uptime: {results['uptime_start']}")
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="bench-scaling-"))
    load_mark("start")
    kel_one, rw_one = subset_files(tmp)
    # area: the same importer on one kelurahan and on all of Jakarta
    url_one, imp_one = make_database(cluster, settings, DB_ONE, kel_one, rw_one)
    url_all, imp_all = make_database(cluster, settings, DB_ALL, KELURAHAN_FILE, RW_FILE)
    load_mark("boundary imports")
    results["area"] = {"import": {"one": imp_one, "all": imp_all}}
    results["points"] = make_points(cluster, max(sizes) + max(IMPORT_ROWS))
    paths = import_files(cluster, url_all, max(sizes), tmp)
    items_kel = kel_tiles(cluster)
    kel_bbox, kel_point = kel_place(cluster)
    mainland_codes = mainland(cluster)
    items_city = city_tiles(cluster)
    items = sorted(set(items_kel) | set(items_city))
    results["tiles_list"] = {"kelurahan": len(items_kel), "city": len(items_city), "fixed": len(items)}
    log(f"tiles: {len(items_kel)} over {KEL}, {len(items_city)} city sample, {len(items)} in the fixed list")
    engine_all = make_engine(url_all, pool_size=2)
    engine_one = make_engine(url_one, pool_size=2)
    servers = contextlib.ExitStack()
    try:
        srv_all = servers.enter_context(server_for(url_all, tmp / "var_all"))
        srv_one = servers.enter_context(server_for(url_one, tmp / "var_one"))
        log(f"servers: all on :{srv_all.port}, one on :{srv_one.port}")
        for srv in (srv_all, srv_one):
            warm_up(srv, items_kel[:4])
        # area: rw tiles, one kelurahan's database against all of Jakarta's, same addresses
        results["area"]["rw_tiles"] = {
            "one_kel_list": measure_tiles(cluster, DB_ONE, srv_one, engine_one, "rw", items_kel, args.passes),
            "all_kel_list": measure_tiles(cluster, DB_ALL, srv_all, engine_all, "rw", items_kel, args.passes),
            "all_city_list": measure_tiles(
                cluster, DB_ALL, srv_all, engine_all, "rw", items_city, args.passes
            ),
        }
        load_mark("area tiles")
        have = 0
        for size in sizes:
            step: dict = {}
            log(f"== growing to {size:,} complaints")
            step["grow_all"] = grow(cluster, DB_ALL, have, size)
            step["grow_one"] = grow(cluster, DB_ONE, have, size)
            have = size
            log(
                f"   all: +{step['grow_all']['inserted']:,} in {step['grow_all']['insert_s']:.1f}s "
                f"(vacuum {step['grow_all']['vacuum_s']:.1f}s); one: {step['grow_one']['complaints']:,} rows"
            )
            load_mark(f"{size} grown")
            step["loadavg"] = os.getloadavg()
            step["tiles"] = {
                layer: measure_tiles(cluster, DB_ALL, srv_all, engine_all, layer, items, args.passes)
                for layer in ("complaints", "rw")
            }
            step["tiles_one"] = {
                "complaints": measure_tiles(
                    cluster, DB_ONE, srv_one, engine_one, "complaints", items_kel, args.passes
                )
            }
            for layer, m in step["tiles"].items():
                log(
                    f"   {layer} tiles: cold p50/p95 {m['cold']['p50_ms']:.1f}/{m['cold']['p95_ms']:.1f} ms, "
                    f"warm {m['warm']['p50_ms']:.1f}/{m['warm']['p95_ms']:.1f}, "
                    f"raw p95 {m['raw']['p95_ms']:.1f}, "
                    f"bare p95 {m['bare']['p95_ms']:.1f}; reconnects {m['reconnects']}"
                )
            load_mark(f"{size} tiles")
            slow = step["tiles"]["complaints"]["slowest_raw_tile"]
            step["explain"] = {
                "hotspot_read_kel": explain_hotspot_read(engine_all, [KEL]),
                "hotspot_read_all": explain_hotspot_read(engine_all, None),
                "slowest_complaint_tile": {
                    "tile": slow,
                    "plans": explain_tile(engine_all, "complaints", slow),
                },
            }
            step["queries"] = probe_queries(engine_all, kel_bbox, kel_point)
            log(
                "   app queries (median ms): "
                + ", ".join(f"{k} {v['median_ms']:.1f}" for k, v in step["queries"].items())
            )
            step["hotspots"] = {
                "one_db": hotspot(url_one, None),
                "all_db_kel": hotspot(url_all, [KEL]),
                "all_db_mainland": hotspot(url_all, mainland_codes),
                "all_db_all": hotspot(url_all, None),
            }
            for k, h in step["hotspots"].items():
                log(
                    f"   hotspots {k}: {h.get('seconds') or h.get('error')} "
                    f"({h.get('inputs', {}).get('complaints')} complaints)"
                )
            load_mark(f"{size} hotspots")
            step["imports"] = {
                n: import_complaints(cluster, url_all, p, settings.data_dir) for n, p in paths.items()
            }
            with _pg(cluster, DB_ALL, autocommit=True) as conn:
                conn.execute("VACUUM ANALYZE complaint, complaint_event")
            for n, imp in step["imports"].items():
                log(
                    f"   import {n:,}: {imp['seconds']:.2f}s "
                    f"({imp['loaded']:,} loaded, {imp['errors']} errors)"
                )
            load_mark(f"{size} imports")
            step["reimport_rw"] = reimport_rw(cluster, url_all, rw_one, settings.data_dir)
            log(
                f"   re-import of {KEL}'s RW: {step['reimport_rw']['seconds']:.2f}s "
                f"(then vacuum {step['reimport_rw']['vacuum_s']:.1f}s)"
            )
            load_mark(f"{size} reimport")
            results["sizes"][str(size)] = step
            if args.json:
                args.json.write_text(json.dumps(results, indent=1, default=str))
    finally:
        servers.close()
        engine_all.dispose()
        engine_one.dispose()
        if not args.keep:
            cluster.drop_database(DB_ALL)
            cluster.drop_database(DB_ONE)
    shutil.rmtree(tmp, ignore_errors=True)
    results["loads"] = LOADS
    results["uptime_end"] = uptime()
    results["total_s"] = time.perf_counter() - started
    results["ratios"] = compute_ratios(results)
    return results


def compute_ratios(results: dict) -> dict:
    sizes = list(results["sizes"])
    base = results["sizes"][sizes[0]]
    out: dict = {"baseline": f"{int(sizes[0]):,} complaints", "by_size": {}}

    def figures(step: dict) -> dict:
        t, h = step["tiles"], step["hotspots"]
        f = {}
        for layer in ("complaints", "rw"):
            for mode in ("cold", "warm", "raw", "bare"):
                f[f"{layer}_tile_{mode}_p95"] = t[layer][mode]["p95_ms"]
        for k in ("one_db", "all_db_kel", "all_db_mainland", "all_db_all"):
            f[f"hotspot_{k}"] = h[k].get("seconds")
        for n, imp in step["imports"].items():
            f[f"import_{n}"] = imp["seconds"]
        f["reimport_rw"] = step["reimport_rw"]["seconds"]
        for k, q in step.get("queries", {}).items():
            f[f"query_{k}"] = q["median_ms"]
        return f

    fb = figures(base)
    for n, step in results["sizes"].items():
        f = figures(step)
        out["by_size"][n] = {k: {"value": v, "ratio": ratio(v, fb[k])} for k, v in f.items()}
        h = step["hotspots"]
        out["by_size"][n]["hotspot_kel_in_city_vs_alone"] = ratio(
            h["all_db_kel"].get("seconds"), h["one_db"].get("seconds")
        )
        out["by_size"][n]["hotspot_mainland_vs_kel"] = ratio(
            h["all_db_mainland"].get("seconds"), h["all_db_kel"].get("seconds")
        )
        out["by_size"][n]["hotspot_all_vs_mainland"] = ratio(
            h["all_db_all"].get("seconds"), h["all_db_mainland"].get("seconds")
        )
        t = step["tiles"]["complaints"]
        out["by_size"][n]["complaint_tile_cold_vs_bare_p95"] = ratio(t["cold"]["p95_ms"], t["bare"]["p95_ms"])
    imp = results["area"]["import"]
    rt = results["area"]["rw_tiles"]
    out["area"] = {
        "import_kelurahan_all_vs_one": ratio(
            imp["all"]["kelurahan"]["seconds"], imp["one"]["kelurahan"]["seconds"]
        ),
        "import_rw_all_vs_one": ratio(imp["all"]["rw"]["seconds"], imp["one"]["rw"]["seconds"]),
        "import_total_all_vs_one": ratio(imp["all"]["total_s"], imp["one"]["total_s"]),
        "rw_features_all_vs_one": ratio(imp["all"]["rw"]["loaded"], imp["one"]["rw"]["loaded"]),
        "rw_tile_cold_p95_same_tiles_all_vs_one": ratio(
            rt["all_kel_list"]["cold"]["p95_ms"], rt["one_kel_list"]["cold"]["p95_ms"]
        ),
        "rw_tile_cold_p95_city_vs_one": ratio(
            rt["all_city_list"]["cold"]["p95_ms"], rt["one_kel_list"]["cold"]["p95_ms"]
        ),
        "rw_tile_warm_p95_city_vs_one": ratio(
            rt["all_city_list"]["warm"]["p95_ms"], rt["one_kel_list"]["warm"]["p95_ms"]
        ),
    }
    return out


# -- report ---------------------------------------------------------------------------------------------


def _f(v, fmt: str = "{:.1f}") -> str:
    return "–" if v is None else fmt.format(v)


def _r(v) -> str:
    return "" if v is None else f" (×{v:.2f})"


def print_report(res: dict) -> None:
    r = res["ratios"]
    base = r["baseline"]
    print(f"\n# Growth: complaints (ratios against {base} in parentheses)\n")
    print("Tiles (ms), one client, fixed list of", res["tiles_list"]["fixed"], "tiles at z12-z16:\n")
    print(
        "| complaints | layer | cold p50 | cold p95 | warm p50 | warm p95 | raw SQL p95 | bare ST_AsMVT p95 "
        "| size p95 KB |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for n, step in res["sizes"].items():
        for layer in ("complaints", "rw"):
            t = step["tiles"][layer]
            q = r["by_size"][n]
            print(
                f"| {int(n):,} | {layer} | {t['cold']['p50_ms']:.1f} | {t['cold']['p95_ms']:.1f}"
                f"{_r(q[f'{layer}_tile_cold_p95']['ratio'])} | {t['warm']['p50_ms']:.1f} | "
                f"{t['warm']['p95_ms']:.1f}{_r(q[f'{layer}_tile_warm_p95']['ratio'])} | "
                f"{t['raw']['p95_ms']:.1f} | "
                f"{t['bare']['p95_ms']:.1f} | {t['cold']['size_p95_kb']:.1f} |"
            )
    print("\nHot spots (s), Gi* + FDR, hex grid, automatic cell and band [complaints analysed]:\n")
    print(
        "| complaints | one kelurahan, own database | same kelurahan, city database | mainland DKI (261 kel) "
        "| all DKI (267 kel, with Kep. Seribu) | kel in city / alone | mainland / kel |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n, step in res["sizes"].items():
        h, q = step["hotspots"], r["by_size"][n]

        def cell(k, h=h, q=q):
            v = h[k].get("seconds")
            c = h[k].get("inputs", {}).get("complaints")
            text = f"{v:.2f} [{c:,}]" if v is not None else f"n/a ({h[k].get('error', '')[:40]})"
            return text + _r(q[f"hotspot_{k}"]["ratio"])

        print(
            f"| {int(n):,} | {cell('one_db')} | {cell('all_db_kel')} | {cell('all_db_mainland')} | "
            f"{cell('all_db_all')} | {_f(q['hotspot_kel_in_city_vs_alone'], '{:.2f}')} | "
            f"{_f(q['hotspot_mainland_vs_kel'], '{:.1f}')} |"
        )
    print()
    for n, step in res["sizes"].items():
        for k, h in step["hotspots"].items():
            i = h.get("inputs") or {}
            print(
                f"- {int(n):,} {k}: {i.get('features')} cells of {i.get('cell_size_m')} m, "
                f"band {i.get('band_m')} m / knn {i.get('knn')}; timings {h.get('timings')}; "
                f"peak RSS {h.get('peak_rss_mb', 0):.0f} MB"
            )
    print("\nImports into the table at its current size (s), and re-import of one kelurahan's RW:\n")
    print("| complaints in table | import 10k CSV | import 100k GeoPackage | re-import RW of one kelurahan |")
    print("|---:|---:|---:|---:|")
    for n, step in res["sizes"].items():
        q = r["by_size"][n]
        cells = [f"{imp['seconds']:.2f}{_r(q[f'import_{k}']['ratio'])}" for k, imp in step["imports"].items()]
        print(
            f"| {int(n):,} | {' | '.join(cells)} | "
            f"{step['reimport_rw']['seconds']:.2f}{_r(q['reimport_rw']['ratio'])} |"
        )
    print("\nApp queries on complaints (median of 5, ms), through the app's own functions:\n")
    names = list(next(iter(res["sizes"].values())).get("queries", {}))
    print("| complaints | " + " | ".join(names) + " |")
    print("|---:|" + "---:|" * len(names))
    for n, step in res["sizes"].items():
        q = r["by_size"][n]
        cells = [f"{step['queries'][k]['median_ms']:.1f}{_r(q[f'query_{k}']['ratio'])}" for k in names]
        print(f"| {int(n):,} | " + " | ".join(cells) + " |")
    a = res["area"]
    print(f"\n# Area: one kelurahan ({KEL}) against all of Jakarta\n")
    print("| figure | one kelurahan | all Jakarta | all / one |")
    print("|---|---:|---:|---:|")
    imp = a["import"]
    for k in ("kelurahan", "rw"):
        print(
            f"| import {k} ({imp['one'][k]['loaded']} vs {imp['all'][k]['loaded']} features), s | "
            f"{imp['one'][k]['seconds']:.2f} | {imp['all'][k]['seconds']:.2f} | "
            f"{imp['all'][k]['seconds'] / imp['one'][k]['seconds']:.1f} |"
        )
    rt = a["rw_tiles"]
    for mode in ("cold", "warm"):
        one, same, city = (rt[k][mode]["p95_ms"] for k in ("one_kel_list", "all_kel_list", "all_city_list"))
        print(
            f"| rw tile p95 {mode}, same {rt['one_kel_list']['tiles']} tiles, ms | {one:.1f} | {same:.1f} | "
            f"{same / one:.2f} |"
        )
        print(
            f"| rw tile p95 {mode}, each area's own tiles, ms | {one:.1f} | {city:.1f} | {city / one:.2f} |"
        )
    print(f"\nload average by phase: {[(x['phase'], x['loadavg']) for x in res['loads']]}")
    print(f"uptime at start: {res['uptime_start']}\nuptime at end:   {res['uptime_end']}")
    print(f"total run time: {res['total_s'] / 60:.1f} min")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--sizes", default="10000,100000,1000000", help="complaint totals, the first is the baseline"
    )
    ap.add_argument("--quick", action="store_true", help="10k and 100k complaints only")
    ap.add_argument(
        "--passes", type=int, default=3, help="cold passes per tile list (warm: passes - 1, at least 2)"
    )
    ap.add_argument("--json", type=Path, help="write all figures here")
    ap.add_argument("--keep", action="store_true", help=f"keep {DB_ALL} and {DB_ONE} afterwards")
    args = ap.parse_args()
    if args.quick:
        args.sizes = "10000,100000"
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
    try:
        results = run(args)
    finally:  # also when interrupted during setup
        if not args.keep:
            _, cluster = _cluster()
            cluster.drop_database(DB_ALL)
            cluster.drop_database(DB_ONE)
    print_report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
