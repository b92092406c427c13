"""Vector-tile benchmark (issue 4): our /tiles endpoint against raw tile SQL, the cache and /healthz.

    .venv/bin/python scripts/bench/bench_tiles.py [--sizes 10000,100000,1000000] [--clients 8]
        [--passes 3] [--seconds 10] [--json out.json] [--reuse]

One run, in a throwaway database ``bench_tiles`` of the embedded cluster (dropped and recreated,
unless ``--reuse`` finds it already loaded with fewer complaints than the first size):

1. loads the demo kecamatan (3 kelurahan), then steps the complaint table up to each ``--sizes``
   total with synthetic public complaints (uniform random points inside the union of the demo
   kelurahan, category cycling over 6 public categories, ``source='bench'``), assigns them to
   RT/RW/kelurahan, computes ``geom_public`` (gis.complaints.privacy) and runs VACUUM ANALYZE;
2. serves the app with ``sigkel serve --workers 2 --threads 4`` (gunicorn gthread, basemap none)
   on a free 127.0.0.1 port, once for the whole run (the server is never restarted);
3. at each size, with ``--clients`` threads (each with its own keep-alive HTTPConnection, or its own
   database connection for RAW) working through the same tile list:
   OURS      ``GET /tiles/{layer}/{z}/{x}/{y}.pbf``, uncached: before each pass the layer's change
             counter is bumped (``UPDATE layer_version SET version = version + 1``), so every
             request of the pass misses the in-process cache of both workers;
   RAW       ``gis.db.tiles.tile(conn, ...)`` -- the same SQL -- on a SQLAlchemy/psycopg
             connection per thread (no HTTP, no layer-version lookup, no transaction per tile);
   OURS and RAW passes alternate (OURS, RAW, OURS, RAW, ...) ``--passes`` times each, so any
   background load hits both alike;
   CACHED    both tile lists again after warm-up passes (both workers hold every tile), and
   TRIVIAL   ``GET /healthz`` (one ``SELECT 1``), each cycled for ``--seconds`` in all, in 10
             interleaved slices (typical, complaints, healthz, typical, ...);
   The tile lists: every tile covering the demo kecamatan's bbox at z12..17, for
   ``complaints`` ("heavy" at 1M) and for ``rw`` + ``facilities`` ("typical");
4. prints the machine, throughput, latency and tile-size tables and the ratios against the goals.

Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

DB = "bench_tiles"
ROOT = Path(__file__).resolve().parents[2]
BBOX = (106.858, -6.191, 106.882, -6.163)  # demo kecamatan, lon/lat
ZOOMS = range(12, 18)
CATEGORIES = [
    "kebersihan",
    "drainase_banjir",
    "jalan_rusak",
    "penerangan_jalan",
    "ketertiban_umum",
    "keamanan",
]
LAYER_TABLE = {
    "rw": "rw",
    "rt": "rt",
    "kelurahan": "kelurahan",
    "facilities": "facility",
    "complaints": "complaint",
}
GOALS = {"typical": 0.6, "heavy": 0.9, "cached_vs_trivial": 0.8, "max_tile_kb": 500}


# -- setup -------------------------------------------------------------------------------------------


def _cluster():
    from gis.config import Settings
    from gis.db.embedded import EmbeddedCluster

    settings = Settings.from_env()
    return settings, EmbeddedCluster.from_settings(settings)


def _pg(cluster, autocommit: bool = False, dbname: str | None = None):
    import psycopg

    return psycopg.connect(
        host=str(cluster.socket_dir), port=5432, user="sigkel", dbname=dbname or DB, autocommit=autocommit
    )


def setup_database(settings, cluster, reuse: bool) -> str:
    from gis import pipelines

    if reuse:
        try:
            with _pg(cluster) as conn:
                n = conn.execute("SELECT count(*) FROM complaint").fetchone()[0]
            log(f"reusing database {DB} ({n} complaints)")
            return cluster.url(DB)
        except Exception as exc:  # noqa: BLE001 - any failure: build it afresh
            log(f"cannot reuse {DB} ({exc.__class__.__name__}); recreating")
    url, counts = pipelines.demo_database(cluster, DB, settings.data_dir)
    log(f"created {DB}, demo loaded: {counts}")
    return url


def complaint_count(cluster) -> int:
    with _pg(cluster) as conn:
        return conn.execute("SELECT count(*) FROM complaint").fetchone()[0]


GROW_SQL = """
WITH area AS (SELECT ST_Union(geom) AS g FROM kelurahan),
ext AS (SELECT g, ST_XMin(g) AS x0, ST_XMax(g) AS x1, ST_YMin(g) AS y0, ST_YMax(g) AS y1 FROM area),
cand AS (
    SELECT ST_SetSRID(ST_MakePoint(x0 + random() * (x1 - x0), y0 + random() * (y1 - y0)), 4326) AS p, g
    FROM ext, generate_series(1, %(m)s)),
pts AS (SELECT p, row_number() OVER () AS k FROM cand WHERE ST_Intersects(p, g) LIMIT %(n)s),
ins AS (
    INSERT INTO complaint (ticket, category, description, source, source_id, synthetic, geom)
    SELECT 'B-' || (%(start)s + k), (%(cats)s::text[])[1 + ((%(start)s + k) %% 6)], 'bench', 'bench',
           (%(start)s + k)::text, true, p
    FROM pts
    RETURNING id)
INSERT INTO bench_new_ids SELECT id FROM ins
"""


def grow_to(settings, cluster, url: str, target: int, seed: float = 0.42) -> dict:
    """Insert synthetic complaints until the table holds ``target`` rows; returns timings."""
    from gis.complaints.privacy import refresh_public_points
    from gis.db.assign import assign_units
    from gis.db.engine import make_engine

    have = complaint_count(cluster)
    need = target - have
    timings: dict = {"before": have, "target": target}
    if need <= 0:
        log(f"already {have} complaints (target {target})")
        return timings
    engine = make_engine(url)
    with engine.begin() as conn:
        import sqlalchemy as sa

        ratio = conn.execute(
            sa.text("SELECT ST_Area(ST_Union(geom)) / ST_Area(ST_Envelope(ST_Union(geom))) FROM kelurahan")
        ).scalar()
        start = conn.execute(
            sa.text("SELECT coalesce(max(source_id::bigint), 0) FROM complaint WHERE source = 'bench'")
        ).scalar()
        conn.execute(sa.text("SELECT setseed(:s)"), {"s": seed * (1 + start % 7) / 8})
        conn.execute(sa.text("CREATE TEMP TABLE bench_new_ids (id bigint PRIMARY KEY) ON COMMIT DROP"))
        t0 = time.perf_counter()
        inserted = 0
        raw = conn.connection.driver_connection  # psycopg: %(x)s parameters in GROW_SQL
        while inserted < need:
            n = need - inserted
            m = int(n / ratio * 1.15) + 1000
            with raw.cursor() as cur:
                cur.execute(
                    GROW_SQL,
                    {"m": m, "n": n, "start": start + inserted, "cats": CATEGORIES},
                )
                inserted += cur.rowcount
        timings["insert_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        timings["assigned"] = assign_units(conn, "complaint", "bench_new_ids")
        timings["assign_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        timings["public_points"] = refresh_public_points(conn, "bench_new_ids")
        timings["public_points_s"] = time.perf_counter() - t0
    engine.dispose()
    t0 = time.perf_counter()
    with _pg(cluster, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE complaint")
    timings["vacuum_analyze_s"] = time.perf_counter() - t0
    timings["after"] = complaint_count(cluster)
    log(f"grew complaints {have} -> {timings['after']}: {fmt_timings(timings)}")
    return timings


def fmt_timings(t: dict) -> str:
    return ", ".join(f"{k} {v:.1f}s" for k, v in t.items() if k.endswith("_s"))


# -- tiles ------------------------------------------------------------------------------------------


def lonlat_to_tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    lat_r = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(lat_r)) / math.pi) / 2.0 * n)
    return x, y


def tile_list(layers: list[str], zooms=ZOOMS, bbox=BBOX) -> list[tuple[str, int, int, int]]:
    out = []
    for layer in layers:
        for z in zooms:
            x0, y0 = lonlat_to_tile(bbox[0], bbox[3], z)  # north-west
            x1, y1 = lonlat_to_tile(bbox[2], bbox[1], z)  # south-east
            out += [(layer, z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    return out


# -- server -----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``sigkel serve`` in its own process group; stopped by that group id only."""

    def __init__(
        self,
        url: str,
        workers: int = 2,
        threads: int = 4,
        log_path: Path | None = None,
        env: dict | None = None,
    ):
        self.port = free_port()
        env = dict(os.environ, DATABASE_URL=url, SIGKEL_BASEMAP="none", **(env or {}))
        self.log_path = log_path or Path(tempfile.gettempdir()) / f"bench_tiles_server_{self.port}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/sigkel"),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
                "--threads",
                str(threads),
            ],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited ({self.proc.returncode}); see {self.log_path}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"server did not answer /healthz in 60 s; see {self.log_path}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()


# -- load generation -------------------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_of(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime
    except (OSError, IndexError, ValueError):
        return 0.0


class CpuMeter:
    """CPU seconds used by this process (HTTP clients, and RAW's SQLAlchemy threads), by the
    server's process group (gunicorn arbiter + workers) and by the PostgreSQL backends connected to
    the bench database -- read from /proc, so other databases' work is not counted."""

    def __init__(self, server_pgid: int):
        self.server_pgid = server_pgid

    def snapshot(self) -> dict:
        t = os.times()
        out = {"bench": t.user + t.system, "server": 0.0, "postgres": 0.0}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            try:
                if os.getpgid(pid) == self.server_pgid:
                    out["server"] += _cpu_of(pid)
                    continue
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read()
            except OSError:
                continue
            if cmd.startswith(f"postgres: sigkel {DB} ".encode()):
                out["postgres"] += _cpu_of(pid)
        return out


METER: CpuMeter | None = None


def run_clients(make_worker, items: list, clients: int, seconds: float | None = None) -> dict:
    """Threads take items in order (cycling until ``seconds`` pass when given, else one pass).

    ``make_worker()`` returns (fetch(item) -> bytes length, close()). Returns wall time, per-request
    latencies and sizes.
    """
    lock = threading.Lock()
    state = {"i": 0}
    lat: list[float] = []
    sizes: list[int] = []
    errors: list[str] = []
    barrier = threading.Barrier(clients + 1)
    deadline_box = {}

    def next_item():
        with lock:
            i = state["i"]
            if seconds is None:
                if i >= len(items):
                    return None
            elif time.perf_counter() >= deadline_box["t"]:
                return None
            state["i"] = i + 1
            return items[i % len(items)]

    def body():
        fetch, close = make_worker()
        barrier.wait()
        try:
            while (item := next_item()) is not None:
                t0 = time.perf_counter()
                try:
                    n = fetch(item)
                except Exception as exc:  # noqa: BLE001 - recorded, the run goes on
                    errors.append(f"{item}: {exc!r}")
                    continue
                dt = time.perf_counter() - t0
                with lock:
                    lat.append(dt)
                    sizes.append(n)
        finally:
            close()

    threads = [threading.Thread(target=body, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    cpu0 = METER.snapshot() if METER else {}
    barrier.wait()
    t0 = time.perf_counter()
    deadline_box["t"] = t0 + (seconds or 0)
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    cpu1 = METER.snapshot() if METER else {}
    cpu = {k: cpu1[k] - cpu0[k] for k in cpu0}
    return {"wall": wall, "lat": lat, "sizes": sizes, "errors": errors, "cpu": cpu}


def http_worker(port: int):
    def make():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

        def fetch(item) -> int:
            path = item if isinstance(item, str) else "/tiles/{}/{}/{}/{}.pbf".format(*item)
            conn.request("GET", path)
            resp = conn.getresponse()
            body = resp.read()
            if resp.status != 200:
                raise RuntimeError(f"HTTP {resp.status} for {path}")
            return len(body)

        return fetch, conn.close

    return make


def sql_worker(engine):
    from gis.db import tiles

    def make():
        conn = engine.connect()

        def fetch(item) -> int:
            data = tiles.tile(conn, *item)
            conn.commit()
            return len(data)

        return fetch, conn.close

    return make


def bump(cluster, layers: list[str]) -> None:
    tables = sorted({LAYER_TABLE[layer] for layer in layers})
    with _pg(cluster, autocommit=True) as conn:
        conn.execute("UPDATE layer_version SET version = version + 1 WHERE layer = ANY(%s)", (tables,))


def merge(runs: list[dict]) -> dict:
    return {
        "wall": sum(r["wall"] for r in runs),
        "lat": [x for r in runs for x in r["lat"]],
        "sizes": [x for r in runs for x in r["sizes"]],
        "errors": [x for r in runs for x in r["errors"]],
        "passes": len(runs),
        "cpu": {k: sum(r["cpu"].get(k, 0.0) for r in runs) for k in runs[0]["cpu"]},
    }


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))]


def summary(run: dict) -> dict:
    n = len(run["lat"])
    return {
        "requests": n,
        "errors": len(run["errors"]),
        "wall_s": run["wall"],
        "per_s": n / run["wall"] if run["wall"] else float("nan"),
        "mb_per_s": sum(run["sizes"]) / run["wall"] / 1e6 if run["wall"] else float("nan"),
        "p50_ms": pct(run["lat"], 0.50) * 1000,
        "p95_ms": pct(run["lat"], 0.95) * 1000,
        "max_ms": max(run["lat"]) * 1000 if run["lat"] else float("nan"),
        "passes": run.get("passes", 1),
        # CPU milliseconds per request: bench process / gunicorn / PostgreSQL backends
        "cpu_ms": {k: v * 1000 / n for k, v in run.get("cpu", {}).items()} if n else {},
    }


def measure_tiles(
    cluster, server: Server, engine, items: list, clients: int, passes: int, seconds: float, label: str
) -> dict:
    """OURS uncached and RAW passes alternated; then every tile's size, fetched once (one thread)."""
    layers = sorted({i[0] for i in items})
    ours, raw = [], []
    # at least `passes` pairs, and more (up to 50) until OURS has run `seconds` in all
    while len(ours) < passes or (sum(r["wall"] for r in ours) < seconds and len(ours) < 50):
        bump(cluster, layers)
        ours.append(run_clients(http_worker(server.port), items, clients))
        raw.append(run_clients(sql_worker(engine), items, clients))
        log(f"  {label} pass {len(ours)}: ours {ours[-1]['wall']:.2f}s raw {raw[-1]['wall']:.2f}s")
    sizes = {}
    with engine.connect() as conn:
        from gis.db import tiles

        for item in items:
            sizes[item] = len(tiles.tile(conn, *item))
            conn.rollback()
    return {"ours": merge(ours), "raw": merge(raw), "tile_sizes": sizes}


def warm(server: Server, items: list, clients: int, label: str) -> None:
    """Fill both workers' caches. Each worker has its own cache and a keep-alive connection sticks
    to one worker, so passes on fresh connections repeat until two in a row have no request slower
    than 100 ms (a hit takes milliseconds; a miss at 1M complaints far longer); 4 to 12 passes."""
    calm = 0
    for n in range(1, 13):
        w = run_clients(http_worker(server.port), items, clients)
        calm = calm + 1 if max(w["lat"]) < 0.1 else 0
        if n >= 4 and calm >= 2:
            break
    log(f"  {label} cache warmed in {n} passes (last max {max(w['lat']) * 1000:.0f} ms)")


def measure_cached(server: Server, lists: dict, clients: int, seconds: float, slices: int = 10) -> dict:
    """CACHED (each tile list) and TRIVIAL (/healthz), each cycled for ``seconds`` in all, in
    ``slices`` interleaved slices (A B C A B C ...), so a burst of background load hits all alike."""
    for label, items in lists.items():
        warm(server, items, clients, label)
    runs: dict[str, list] = {label: [] for label in lists} | {"trivial": []}
    for _ in range(slices):
        for label, items in lists.items():
            runs[label].append(
                run_clients(http_worker(server.port), items, clients, seconds=seconds / slices)
            )
        runs["trivial"].append(
            run_clients(http_worker(server.port), ["/healthz"], clients, seconds=seconds / slices)
        )
    return {label: merge(r) for label, r in runs.items()}


def size_stats(sizes: dict, nonempty_only: bool = True) -> dict:
    vals = [v for v in sizes.values() if v or not nonempty_only]
    by_zoom = {}
    for (_layer, z, _x, _y), v in sizes.items():
        by_zoom.setdefault(z, []).append(v)
    return {
        "tiles": len(sizes),
        "nonempty": sum(1 for v in sizes.values() if v),
        "p50_kb": pct(vals, 0.5) / 1024 if vals else 0,
        "p95_kb": pct(vals, 0.95) / 1024 if vals else 0,
        "max_kb": max(vals) / 1024 if vals else 0,
        "over_500kb": sum(1 for v in vals if v > GOALS["max_tile_kb"] * 1024),
        "max_kb_by_zoom": {z: max(v) / 1024 for z, v in sorted(by_zoom.items())},
        "biggest": max(sizes, key=sizes.get) if sizes else None,
    }


def profile_app(url: str, cluster, items: list, rounds: int = 3, top: int = 25) -> None:
    """Where the app's CPU goes on uncached tile requests: cProfile of Flask's test client (one
    thread, in-process, no gunicorn) over ``rounds`` passes of ``items``, layer bumped per pass."""
    import cProfile
    import pstats

    os.environ["DATABASE_URL"] = url
    os.environ["SIGKEL_BASEMAP"] = "none"
    from webmap import create_app

    client = create_app().test_client()
    client.get("/healthz")
    layers = sorted({i[0] for i in items})
    prof = cProfile.Profile()
    n, t0 = 0, time.perf_counter()
    for _ in range(rounds):
        bump(cluster, layers)
        prof.enable()
        for item in items:
            assert client.get("/tiles/{}/{}/{}/{}.pbf".format(*item)).status_code == 200
            n += 1
        prof.disable()
    log(f"profiled {n} uncached tile requests in {time.perf_counter() - t0:.2f}s")
    stats = pstats.Stats(prof)
    total = stats.total_tt
    print(f"\nprofile: {total * 1000 / n:.2f} ms of Python per request; top by cumulative time:")
    stats.sort_stats("cumulative").print_stats(top)


# -- report ------------------------------------------------------------------------------------------


def machine() -> dict:
    def out(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout.strip()
        except Exception:  # noqa: BLE001
            return "?"

    _, cluster = _cluster()
    with _pg(cluster, dbname="postgres") as conn:
        pg = conn.execute("SELECT version()").fetchone()[0].split(" on ")[0]
        postgis = conn.execute(
            "SELECT default_version FROM pg_available_extensions WHERE name = 'postgis'"
        ).fetchone()[0]
    with open("/proc/cpuinfo") as f:
        cpu = next((line.split(":", 1)[1].strip() for line in f if "model name" in line), "?")
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "mem_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "postgres": pg,
        "postgis": postgis,
        "gunicorn": out([str(ROOT / ".venv/bin/gunicorn"), "--version"]),
        "loadavg_start": os.getloadavg(),
    }


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def main() -> int:
    global DB, METER
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument(
        "--passes",
        type=int,
        default=3,
        help="minimum uncached OURS/RAW pass pairs per list (more until OURS ran --seconds)",
    )
    ap.add_argument(
        "--seconds",
        type=float,
        default=10.0,
        help="duration of CACHED and TRIVIAL, and minimum total of uncached OURS passes",
    )
    ap.add_argument("--json", type=Path)
    ap.add_argument("--reuse", action="store_true", help="keep an existing bench_tiles database")
    ap.add_argument("--drop", action="store_true", help="drop the database at the end")
    ap.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="instead: cProfile N passes of uncached typical tiles through the app (in-process)",
    )
    ap.add_argument("--db", default=DB, help="name of the throwaway database (must start with bench_)")
    args = ap.parse_args()
    if not args.db.startswith("bench_"):
        ap.error("--db must start with bench_")
    DB = args.db
    sizes = [int(s) for s in args.sizes.split(",")]

    from gis.db.engine import make_engine

    settings, cluster = _cluster()
    info = machine()
    log(f"machine: {info}")
    url = setup_database(settings, cluster, args.reuse)
    typical_items = tile_list(["rw", "facilities"])
    heavy_items = tile_list(["complaints"])
    if args.profile:
        profile_app(url, cluster, typical_items, rounds=args.profile)
        return 0
    log(
        f"tile lists: typical {len(typical_items)} (rw+facilities), complaints {len(heavy_items)}; "
        f"z{ZOOMS.start}..{ZOOMS.stop - 1}"
    )
    engine = make_engine(url, pool_size=args.clients + 2, max_overflow=0)
    server = Server(url)
    METER = CpuMeter(os.getpgid(server.proc.pid))
    log(f"server on 127.0.0.1:{server.port}, log {server.log_path}")
    results: dict = {"machine": info, "args": vars(args) | {"json": str(args.json)}, "sizes": {}}
    try:
        for target in sizes:
            grow = grow_to(settings, cluster, url, target)
            step = {"grow": grow, "n_complaints": complaint_count(cluster), "loadavg": os.getloadavg()}
            log(f"== {step['n_complaints']} complaints (load {step['loadavg']})")
            for label, items in (("typical", typical_items), ("complaints", heavy_items)):
                m = measure_tiles(
                    cluster, server, engine, items, args.clients, args.passes, args.seconds, label
                )
                step[label] = {
                    "ours": summary(m["ours"]),
                    "raw": summary(m["raw"]),
                    "size": size_stats(m["tile_sizes"]),
                    "errors": (m["ours"]["errors"] + m["raw"]["errors"])[:5],
                }
                s = step[label]
                s["ratio_ours_raw"] = s["ours"]["per_s"] / s["raw"]["per_s"]
                log(
                    f"  {label}: ours {s['ours']['per_s']:.1f}/s raw {s['raw']['per_s']:.1f}/s "
                    f"ratio {s['ratio_ours_raw']:.2f}; "
                    f"size p95 {s['size']['p95_kb']:.1f} KB max {s['size']['max_kb']:.1f} KB"
                )
            c = measure_cached(
                server, {"typical": typical_items, "complaints": heavy_items}, args.clients, args.seconds
            )
            for label in ("typical", "complaints"):
                step[label]["cached"] = summary(c[label])
                step[label]["errors"] += c[label]["errors"][:5]
            step["trivial"] = summary(c["trivial"])
            step["ratio_cached_trivial"] = {
                k: step[k]["cached"]["per_s"] / step["trivial"]["per_s"] for k in ("typical", "complaints")
            }
            log(
                f"  cached typical {step['typical']['cached']['per_s']:.0f}/s, complaints "
                f"{step['complaints']['cached']['per_s']:.0f}/s "
                f"({step['complaints']['cached']['mb_per_s']:.0f} MB/s); "
                f"/healthz {step['trivial']['per_s']:.0f}/s; cached/trivial {step['ratio_cached_trivial']}"
            )
            results["sizes"][str(step["n_complaints"])] = step
            if args.json:
                args.json.write_text(json.dumps(results, indent=1, default=str))
    finally:
        server.stop()
        engine.dispose()
        if args.drop:
            cluster.drop_database(DB)
    results["loadavg_end"] = os.getloadavg()
    print_report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
    return 0


def print_report(results: dict) -> None:
    print("\n## Throughput (tiles/s, {} clients)\n".format(results["args"]["clients"]))
    print(
        "| complaints | list | ours uncached | raw SQL | ours/raw | cached | cached MB/s | /healthz "
        "| cached/healthz |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for n, st in results["sizes"].items():
        for label in ("typical", "complaints"):
            s = st[label]
            print(
                f"| {int(n):,} | {label} | {s['ours']['per_s']:.1f} | {s['raw']['per_s']:.1f} | "
                f"{s['ratio_ours_raw']:.2f} | {s['cached']['per_s']:.0f} | {s['cached']['mb_per_s']:.1f} | "
                f"{st['trivial']['per_s']:.0f} | "
                f"{st['ratio_cached_trivial'][label]:.2f} |"
            )
    print("\n## CPU ms per request (bench process / gunicorn / PostgreSQL)\n")
    print("| complaints | list | ours uncached | raw SQL | cached | /healthz |")
    print("|---:|---|---|---|---|---|")

    def cpu(s):
        c = s.get("cpu_ms") or {}
        return " / ".join(f"{c.get(k, float('nan')):.2f}" for k in ("bench", "server", "postgres"))

    for n, st in results["sizes"].items():
        for label in ("typical", "complaints"):
            s = st[label]
            print(
                f"| {int(n):,} | {label} | {cpu(s['ours'])} | {cpu(s['raw'])} | {cpu(s['cached'])} | "
                f"{cpu(st['trivial'])} |"
            )
    print("\n## Latency and size, complaints layer, uncached (our server)\n")
    print(
        "| complaints | p50 ms | p95 ms | max ms | raw p95 ms | tile p50 KB | tile p95 KB | tile max KB "
        "| tiles > 500 KB | max KB by zoom |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for n, st in results["sizes"].items():
        s = st["complaints"]
        zooms = ", ".join(f"z{z} {v:.0f}" for z, v in s["size"]["max_kb_by_zoom"].items())
        print(
            f"| {int(n):,} | {s['ours']['p50_ms']:.0f} | {s['ours']['p95_ms']:.0f} | "
            f"{s['ours']['max_ms']:.0f} | "
            f"{s['raw']['p95_ms']:.0f} | {s['size']['p50_kb']:.1f} | {s['size']['p95_kb']:.1f} | "
            f"{s['size']['max_kb']:.1f} | {s['size']['over_500kb']} / {s['size']['nonempty']} | {zooms} |"
        )
    last = list(results["sizes"].values())[-1]
    t = last["typical"]
    print(
        f"\ntypical tiles (rw+facilities): size p50 {t['size']['p50_kb']:.1f} KB, "
        f"p95 {t['size']['p95_kb']:.1f} KB, "
        f"max {t['size']['max_kb']:.1f} KB; latency uncached p95 {t['ours']['p95_ms']:.0f} ms"
    )
    print("\n## Ratios against goals (largest size)\n")
    h = last["complaints"]
    rows = [
        ("ours/raw, typical", t["ratio_ours_raw"], GOALS["typical"]),
        ("ours/raw, heavy", h["ratio_ours_raw"], GOALS["heavy"]),
        (
            "cached/trivial (complaints tiles)",
            last["ratio_cached_trivial"]["complaints"],
            GOALS["cached_vs_trivial"],
        ),
        (
            "cached/trivial (typical tiles)",
            last["ratio_cached_trivial"]["typical"],
            GOALS["cached_vs_trivial"],
        ),
    ]
    for name, value, goal in rows:
        print(f"- {name}: {value:.2f} (goal >= {goal}) {'MET' if value >= goal else 'MISSED'}")
    over = {n: st["complaints"]["size"]["over_500kb"] for n, st in results["sizes"].items()}
    print(f"- tiles > 500 KB per size: {over}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
