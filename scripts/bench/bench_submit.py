"""Complaint-submission benchmark (issue 5): POST /api/laporan through the full stack against a raw
single-row INSERT, in the same run, plus an integrity check of every acknowledged submission.

    .venv/bin/python scripts/bench/bench_submit.py [--clients 8] [--passes 2] [--seconds 20]
        [--phases 200] [--json out.json] [--keep] [--py-spy BIN] [--disable-layer-trigger]

One run, in a throwaway database ``bench_submit`` of the embedded cluster (dropped and recreated;
dropped again at the end unless ``--keep``):

1. loads the demo kecamatan (3 kelurahan) and precomputes a pool of points: ``ST_GeneratePoints``
   (seeded) over the union of the demo RT polygons, each with the kelurahan/RW/RT codes the app
   would assign (the same ``ST_Covers ... ORDER BY code LIMIT 1`` rule and prefix checks as
   ``gis/complaints/submit.py``) -- the codes are for RAW only;
2. serves the app with ``sigkel serve --workers 2 --threads 4`` (gunicorn gthread, basemap none)
   on a free 127.0.0.1 port, once for the whole run;
3. ``--clients`` threads, for ``--seconds`` per pass:
   OURS   ``POST /api/laporan`` (url-encoded ``kategori``, ``uraian``, ``lat``, ``lon``, ``akurasi``,
          header ``Idempotency-Key``, no photo) on a keep-alive HTTPConnection per thread: HTTP,
          validation, category lookup, RT/RW/kelurahan assignment, public point, event trail,
          submission row and the commit. The category cycles over all 11 categories. Every
          ``--replay-every``-th acknowledged key is sent again with the same payload (a client whose
          answer was lost): it must answer 200 with the same ticket. Every ``--conflict-every``-th
          is sent again with another ``uraian``: it must answer 422. Neither counts in "stored/s".
          A request that fails on the wire (or answers 503) is resent with the same key on a new
          connection, up to 3 times, as the app's outbox does;
   RAW    the same threads, each with its own psycopg 3 connection (autocommit, the server's
          default ``synchronous_commit``, so each INSERT is one durable commit, as the app's):
          ``INSERT INTO complaint (ticket, category, description, status, kelurahan_code, rw_code,
          rt_code, sla_due, source, geom) VALUES (...)`` with the units and ``sla_due``
          precomputed, ``source='bench_raw'``, unique tickets; the table's own triggers (the
          statement-level ``complaint_layer_version`` bump), constraints and indexes apply;
   after a short warm-up of both, OURS and RAW passes alternate (OURS, RAW, OURS, RAW, ...)
   ``--passes`` times each, so any background load hits both alike;
4. while every pass runs, a sampler polls ``pg_stat_activity`` every 100 ms and counts the bench
   backends by what they are doing (running, waiting for a lock, flushing WAL, idle in a
   transaction, idle); CPU seconds of the bench process, the gunicorn process group and the
   PostgreSQL backends of the bench database are read from /proc (as in bench_tiles.py);
5. a race probe (untimed): ``--race`` keys each POSTed by two threads at the same instant; exactly
   one may answer 201 and both must carry the same ticket;
6. ``--phases`` sequential requests (one thread, no concurrency) of each: RAW; ``submit_report``
   called in-process on a SQLAlchemy connection (each statement timed through SQLAlchemy's cursor
   events -- psycopg, the round trip and the server -- the pool checkout with its pre-ping and the
   commit timed apart); ``POST /api/laporan`` and ``GET /healthz`` (the HTTP + Flask floor) over
   HTTP to the gunicorn server -- where the time of one request goes;
7. the integrity check: for every acknowledged key exactly one ``submission`` row with that key and
   ticket, exactly one complaint with that ticket, the stored category and description equal to what
   was sent; the number of ``source='web'`` complaints created equals the number of distinct
   acknowledged keys; one ``diterima`` event per new complaint; RAW rows equal RAW acknowledgements.

Prints the machine, the gunicorn and PostgreSQL settings both paths ran with, the tables and the
ratio against the goal (OURS stored/s >= 0.5 x RAW inserts/s); exits 1 if the integrity check fails.
``--py-spy BIN`` adds one OURS pass (not counted) sampled by py-spy on the gunicorn workers;
``--disable-layer-trigger`` is a diagnostic that runs both paths without the complaint table's
``complaint_layer_version`` trigger (not the shipped schema). Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import http.client
import json
import os
import random
import secrets
import statistics
import sys
import threading
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from bench_tiles import Server, _cpu_of, log, machine, pct  # noqa: E402

DB = "bench_submit"
GOAL = 0.5
DESCRIPTIONS = [
    "Jalan berlubang cukup dalam di depan rumah, membahayakan pengendara motor pada malam hari.",
    "Sampah menumpuk di pinggir jalan sejak tiga hari, belum diangkut petugas.",
    "Saluran air tersumbat sehingga air menggenang setiap kali hujan deras.",
    "Lampu jalan mati di gang dekat musala, lingkungan gelap sekali.",
    "Ada keributan hampir setiap malam di pos ronda, warga terganggu.",
    "Trotoar rusak dan ubinnya terlepas, sulit dilewati pejalan kaki dan kursi roda.",
]
PG_SETTINGS = (
    "synchronous_commit",
    "fsync",
    "wal_sync_method",
    "shared_buffers",
    "commit_delay",
    "full_page_writes",
    "wal_level",
    "max_connections",
    "default_transaction_isolation",
)
RAW_SQL = (
    "INSERT INTO complaint (ticket, category, description, status, kelurahan_code, rw_code, rt_code, "
    "sla_due, source, geom) VALUES (%s, %s, %s, 'diterima', %s, %s, %s, %s, 'bench_raw', "
    "ST_SetSRID(ST_MakePoint(%s, %s), 4326))"
)
POINTS_SQL = """
WITH area AS (SELECT ST_Union(geom) AS g FROM rt),
pts AS (SELECT (ST_Dump(ST_GeneratePoints(g, %(n)s, %(seed)s))).geom AS p FROM area)
SELECT ST_X(p), ST_Y(p), u.kel, u.rw, u.rt
FROM pts CROSS JOIN LATERAL (
    SELECT (SELECT code FROM kelurahan k WHERE ST_Covers(k.geom, p) ORDER BY code LIMIT 1) AS kel,
           (SELECT code FROM rw WHERE ST_Covers(rw.geom, p) ORDER BY code LIMIT 1) AS rw,
           (SELECT code FROM rt WHERE ST_Covers(rt.geom, p) ORDER BY code LIMIT 1) AS rt) u
"""


# -- setup -------------------------------------------------------------------------------------------


def _cluster():
    from gis.config import Settings
    from gis.db.embedded import EmbeddedCluster

    settings = Settings.from_env()
    cluster = EmbeddedCluster.from_settings(settings)
    cluster.start()
    return settings, cluster


def _pg(cluster, autocommit: bool = True, dbname: str | None = None):
    import psycopg

    return psycopg.connect(
        host=str(cluster.socket_dir), port=5432, user="sigkel", dbname=dbname or DB, autocommit=autocommit
    )


def setup_database(settings, cluster) -> str:
    from gis import pipelines

    url, counts = pipelines.demo_database(cluster, DB, settings.data_dir)
    with _pg(cluster) as conn:
        conn.execute("VACUUM ANALYZE")
    log(f"created {DB}, demo loaded: {counts}")
    return url


def make_points(cluster, n: int, seed: int = 42) -> list[tuple]:
    """``n`` points uniform over the demo RTs, with the units the app would assign (RAW uses them)."""
    with _pg(cluster) as conn:
        rows = conn.execute(POINTS_SQL, {"n": n, "seed": seed}).fetchall()
    out = []
    for lon, lat, kel, rw, rt in rows:
        rw = rw if rw and kel and rw.startswith(kel) else None  # submit.py's consistency rules
        rt = rt if rt and rw and rt.startswith(rw) else None
        out.append((round(lon, 7), round(lat, 7), kel, rw, rt))
    missing = sum(1 for p in out if p[2] is None)
    if missing:
        raise RuntimeError(f"{missing} generated points fall outside every kelurahan")
    return out


def categories(cluster) -> dict[str, int]:
    with _pg(cluster) as conn:
        return dict(conn.execute("SELECT code, sla_days FROM complaint_category ORDER BY code").fetchall())


def settings_report(cluster, url: str, server: Server) -> dict:
    """PostgreSQL settings as seen by a RAW connection and by an engine built like the app's, any
    per-database/role overrides, and the gunicorn configuration from the server's log."""
    import sqlalchemy as sa

    from gis.db.engine import make_engine

    out: dict = {}
    with _pg(cluster) as conn:
        out["raw"] = {k: conn.execute(f"SHOW {k}").fetchone()[0] for k in PG_SETTINGS}
        out["overrides"] = [r[0] for r in conn.execute("SELECT setconfig FROM pg_db_role_setting").fetchall()]
    engine = make_engine(url)
    with engine.connect() as conn:
        out["app"] = {k: conn.execute(sa.text(f"SHOW {k}")).scalar() for k in PG_SETTINGS}
    engine.dispose()
    text = server.log_path.read_text(errors="replace")
    out["gunicorn"] = {
        "command": "sigkel serve --workers 2 --threads 4 (webmap/serve.py: gthread, timeout 60, accesslog -)",
        "worker_class": next(
            (ln.split("Using worker:")[1].strip() for ln in text.splitlines() if "Using worker:" in ln), "?"
        ),
        "workers_booted": text.count("Booting worker"),
        "app_pool": "webmap/db.py: pool_size=5, max_overflow=5, pool_pre_ping=True (per worker)",
    }
    return out


# -- measurement helpers ----------------------------------------------------------------------------


class CpuMeter:
    """CPU seconds of this process, of the server's process group, and of the PostgreSQL backends of
    the bench database (read from /proc). Counted per process: a process that exits during a pass
    (a backend whose client closed before it) contributes nothing, never a negative amount."""

    def __init__(self, server_pgid: int):
        self.server_pgid = server_pgid

    def snapshot(self) -> dict:
        t = os.times()
        out = {("bench", 0): t.user + t.system}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            try:
                if os.getpgid(pid) == self.server_pgid:
                    out[("server", pid)] = _cpu_of(pid)
                    continue
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read()
            except OSError:
                continue
            if cmd.startswith(f"postgres: sigkel {DB} ".encode()):
                out[("postgres", pid)] = _cpu_of(pid)
        return out

    @staticmethod
    def delta(c0: dict, c1: dict) -> dict:
        out = {"bench": 0.0, "server": 0.0, "postgres": 0.0}
        for (group, pid), v in c1.items():
            out[group] += v - c0.get((group, pid), 0.0)
        return out


WAIT_SQL = """
SELECT CASE WHEN state = 'idle' THEN 'idle'
            WHEN state LIKE 'idle in transaction%%' THEN 'idle in transaction'
            WHEN wait_event_type = 'Lock' THEN 'lock: ' || wait_event
            WHEN wait_event IN ('WALSync', 'WALWrite', 'WALInsert') OR wait_event_type = 'IO'
                THEN 'wal/io: ' || wait_event
            WHEN wait_event_type IS NULL THEN 'running'
            ELSE wait_event_type || ': ' || wait_event END, count(*)
FROM pg_stat_activity
WHERE datname = %s AND backend_type = 'client backend' AND pid <> pg_backend_pid()
GROUP BY 1
"""


class WaitSampler:
    """Polls pg_stat_activity every ``interval`` s while running; mean backends per state."""

    def __init__(self, cluster, interval: float = 0.1):
        self.cluster, self.interval = cluster, interval
        self.counts: dict[str, int] = {}
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with _pg(self.cluster) as conn:
            while not self._stop.is_set():
                for state, n in conn.execute(WAIT_SQL, (DB,)).fetchall():
                    self.counts[state] = self.counts.get(state, 0) + n
                self.samples += 1
                self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def mean(self) -> dict:
        return {k: v / max(self.samples, 1) for k, v in sorted(self.counts.items())}


def db_counters(cluster) -> dict:
    with _pg(cluster) as conn:
        commits, rollbacks = conn.execute(
            "SELECT xact_commit, xact_rollback FROM pg_stat_database WHERE datname = %s", (DB,)
        ).fetchone()
        lsn = conn.execute("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn").fetchone()[0]
    return {"commits": commits, "rollbacks": rollbacks, "wal": int(lsn)}


class Ledger:
    """What the clients were told: key -> (ticket, category, description), plus probe outcomes."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acked: dict[str, tuple[str, str, str]] = {}
        self.conflicts: list[str] = []  # ticket/key disagreements seen by clients
        self.raw_acked = 0

    def ack(self, key: str, ticket: str, category: str, description: str) -> None:
        with self.lock:
            old = self.acked.get(key)
            if old is not None and old[0] != ticket:
                self.conflicts.append(f"{key}: {old[0]} then {ticket}")
            self.acked[key] = (ticket, category, description)


class Payloads:
    """Reports cycling over the point pool and every category; keys unique within the run."""

    def __init__(self, points: list[tuple], cats: list[str], run: str):
        self.points, self.cats, self.run = points, cats, run
        self.lock = threading.Lock()
        self.i = 0

    def next(self) -> tuple[int, tuple]:
        with self.lock:
            self.i += 1
            i = self.i
        return i, self.points[i % len(self.points)]

    def report(self, tag: str) -> tuple[str, dict, tuple]:
        i, point = self.next()
        lon, lat = point[0], point[1]
        category = self.cats[i % len(self.cats)]
        key = f"bench-{self.run}-{tag}-{i}"
        form = {
            "kategori": category,
            "uraian": f"{DESCRIPTIONS[i % len(DESCRIPTIONS)]} (#{i})",
            "lat": f"{lat:.7f}",
            "lon": f"{lon:.7f}",
            "akurasi": str(5 + i % 26),
        }
        return key, form, point


# -- OURS -----------------------------------------------------------------------------------------


class Poster:
    """One client: a keep-alive connection; resends the same key on a new connection when a request
    fails on the wire or answers 503 (up to 3 tries in all)."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.resent = 0

    def post(self, key: str, form: dict) -> tuple[int, dict | None]:
        body = urllib.parse.urlencode(form)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
            "Idempotency-Key": key,
        }
        for attempt in range(3):
            try:
                self.conn.request("POST", "/api/laporan", body=body, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
                if resp.status == 503 and attempt < 2:
                    self.resent += 1
                    time.sleep(0.1)
                    continue
                try:
                    return resp.status, json.loads(data)
                except ValueError:
                    return resp.status, None
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    raise
                self.resent += 1
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()


def run_threads(make_worker, clients: int, seconds: float, meter: CpuMeter | None, cluster) -> dict:
    """``clients`` threads each make a worker ``(run(deadline, stats), close())``, then run it after a
    common start; returns the merged stats with wall time, CPU and pg_stat_activity samples."""
    barrier = threading.Barrier(clients + 1)
    box: dict = {}
    per_thread = [
        dict(
            lat=[],
            replay_lat=[],
            stored=0,
            replayed_new=0,
            replay_ok=0,
            replay_bad=[],
            conflict_ok=0,
            conflict_bad=[],
            errors=[],
            resent=0,
            ok=0,
        )
        for _ in range(clients)
    ]

    closers: list = []

    def target(stats):
        run, close = make_worker()  # connections opened before the start, closed after the snapshot
        closers.append(close)
        barrier.wait()
        try:
            run(box["deadline"], stats)
        except Exception as exc:  # noqa: BLE001 - recorded, the others go on
            stats["errors"].append(repr(exc))

    threads = [threading.Thread(target=target, args=(s,), daemon=True) for s in per_thread]
    for t in threads:
        t.start()
    c0, d0 = (meter.snapshot() if meter else {}), db_counters(cluster)
    with WaitSampler(cluster) as sampler:
        box["deadline"] = time.perf_counter() + seconds
        t0 = time.perf_counter()
        barrier.wait()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
    c1, d1 = (meter.snapshot() if meter else {}), db_counters(cluster)
    for close in closers:
        close()
    out = {
        k: [x for s in per_thread for x in s[k]]
        if isinstance(per_thread[0][k], list)
        else sum(s[k] for s in per_thread)
        for k in per_thread[0]
    }
    out.update(
        wall=wall,
        cpu=CpuMeter.delta(c0, c1) if meter else {},
        db={k: d1[k] - d0[k] for k in d0},
        waits=sampler.mean(),
    )
    return out


def ours_body(
    port: int, payloads: Payloads, ledger: Ledger, replay_every: int, conflict_every: int, tag: str
):
    def make():
        poster = Poster(port)
        poster.conn.connect()
        return functools.partial(body, poster), poster.close

    def body(poster: Poster, deadline: float, stats: dict) -> None:
        n = 0
        try:
            while time.perf_counter() < deadline:
                key, form, _ = payloads.report(tag)
                t0 = time.perf_counter()
                try:
                    status, answer = poster.post(key, form)
                except Exception as exc:  # noqa: BLE001 - after 3 tries: not acknowledged
                    stats["errors"].append(f"{key}: {exc!r}")
                    continue
                dt_ = time.perf_counter() - t0
                if status not in (200, 201) or not answer or "ticket" not in answer:
                    stats["errors"].append(f"{key}: HTTP {status} {str(answer)[:200]}")
                    continue
                ledger.ack(key, answer["ticket"], form["kategori"], form["uraian"])
                stats["lat"].append(dt_)
                stats["ok"] += 1
                if status == 201:
                    stats["stored"] += 1
                else:  # a resend after a lost answer found the first attempt stored
                    stats["replayed_new"] += 1
                n += 1
                if replay_every and n % replay_every == 0:
                    t0 = time.perf_counter()
                    status2, again = poster.post(key, form)
                    stats["replay_lat"].append(time.perf_counter() - t0)
                    if status2 == 200 and again and again.get("ticket") == answer["ticket"]:
                        stats["replay_ok"] += 1
                    else:
                        stats["replay_bad"].append(f"{key}: HTTP {status2} {str(again)[:200]}")
                if conflict_every and n % conflict_every == 0:
                    other = dict(form, uraian=form["uraian"] + " (diubah)")
                    status3, refused = poster.post(key, other)
                    if status3 == 422:
                        stats["conflict_ok"] += 1
                    else:
                        stats["conflict_bad"].append(f"{key}: HTTP {status3} {str(refused)[:200]}")
        finally:
            stats["resent"] += poster.resent

    return make


# -- RAW ------------------------------------------------------------------------------------------


def raw_body(cluster, payloads: Payloads, ledger: Ledger, sla_due: dict, tag: str):
    def make():
        conn = _pg(cluster)  # autocommit: one INSERT, one durable commit
        return functools.partial(body, conn), conn.close

    def body(conn, deadline: float, stats: dict) -> None:
        try:
            while time.perf_counter() < deadline:
                i, (lon, lat, kel, rw, rt) = payloads.next()
                category = payloads.cats[i % len(payloads.cats)]
                params = (
                    f"BR-{payloads.run}-{tag}-{i}",
                    category,
                    f"{DESCRIPTIONS[i % len(DESCRIPTIONS)]} (#{i})",
                    kel,
                    rw,
                    rt,
                    sla_due[category],
                    lon,
                    lat,
                )
                t0 = time.perf_counter()
                try:
                    conn.execute(RAW_SQL, params)
                except Exception as exc:  # noqa: BLE001
                    stats["errors"].append(repr(exc))
                    continue
                stats["lat"].append(time.perf_counter() - t0)
                stats["stored"] += 1
                stats["ok"] += 1
        finally:
            with ledger.lock:
                ledger.raw_acked += stats["stored"]

    return make


# -- probes ---------------------------------------------------------------------------------------


def race_probe(port: int, payloads: Payloads, ledger: Ledger, n: int) -> dict:
    """``n`` keys, each POSTed by two threads released by one barrier."""
    out = {"keys": n, "ok": 0, "bad": []}
    for _ in range(n):
        key, form, _ = payloads.report("race")
        barrier = threading.Barrier(2)
        results: list = [None, None]

        def go(j, key=key, form=form, barrier=barrier, results=results):
            p = Poster(port)
            barrier.wait()
            try:
                results[j] = p.post(key, form)
            except Exception as exc:  # noqa: BLE001
                results[j] = (0, {"error": repr(exc)})
            p.close()

        ts = [threading.Thread(target=go, args=(j,)) for j in range(2)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        statuses = sorted(r[0] for r in results)
        tickets = {(r[1] or {}).get("ticket") for r in results}
        if statuses == [200, 201] and len(tickets) == 1 and None not in tickets:
            out["ok"] += 1
            ledger.ack(key, tickets.pop(), form["kategori"], form["uraian"])
        else:
            out["bad"].append(f"{key}: {results}")
            for status, answer in results:
                if status in (200, 201) and answer and "ticket" in answer:
                    ledger.ack(key, answer["ticket"], form["kategori"], form["uraian"])
    return out


def phases(
    url: str, cluster, server: Server, payloads: Payloads, ledger: Ledger, sla_due: dict, n: int, settings
) -> dict:
    """Sequential, one thread: where one request's time goes."""
    import sqlalchemy as sa

    from gis.complaints import submit
    from gis.complaints.sla import calendar_for
    from gis.db.engine import make_engine

    out: dict = {}
    # RAW, one connection
    conn = _pg(cluster)
    lat = []
    for _ in range(n):
        i, (lon, lat_, kel, rw, rt) = payloads.next()
        category = payloads.cats[i % len(payloads.cats)]
        t0 = time.perf_counter()
        conn.execute(
            RAW_SQL,
            (
                f"BR-{payloads.run}-seq-{i}",
                category,
                f"{DESCRIPTIONS[0]} (#{i})",
                kel,
                rw,
                rt,
                sla_due[category],
                lon,
                lat_,
            ),
        )
        lat.append(time.perf_counter() - t0)
    conn.close()
    ledger.raw_acked += n
    out["raw"] = {"ms": _ms(lat)}

    # submit_report in-process, statements timed by SQLAlchemy's cursor events
    engine = make_engine(url, pool_size=5, max_overflow=5, pool_timeout=5)
    stmt_time: dict[str, list[float]] = {}
    local = threading.local()

    def before(conn, cursor, statement, parameters, context, executemany):
        local.t0 = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        label = " ".join(statement.split()[:4])[:60]
        stmt_time.setdefault(label, []).append(time.perf_counter() - local.t0)

    calendar = calendar_for(settings.calendar_path)
    with engine.connect() as warm:
        warm.execute(sa.text("SELECT 1"))
    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", after)
    parts = {"checkout+ping": [], "submit_report": [], "commit": [], "total": []}
    for _ in range(n):
        key, form, _p = payloads.report("direct")
        report = submit.Report(
            key=key,
            category=form["kategori"],
            description=form["uraian"],
            lon=float(form["lon"]),
            lat=float(form["lat"]),
            accuracy_m=float(form["akurasi"]),
        )
        t0 = time.perf_counter()
        c = engine.connect()
        t1 = time.perf_counter()
        tx = c.begin()
        answer = submit.submit_report(c, report, calendar, settings.photo_path)
        t2 = time.perf_counter()
        tx.commit()
        t3 = time.perf_counter()
        c.close()
        parts["checkout+ping"].append(t1 - t0)
        parts["submit_report"].append(t2 - t1)
        parts["commit"].append(t3 - t2)
        parts["total"].append(time.perf_counter() - t0)
        ledger.ack(key, answer["ticket"], form["kategori"], form["uraian"])
    sa.event.remove(engine, "before_cursor_execute", before)
    sa.event.remove(engine, "after_cursor_execute", after)
    engine.dispose()
    statements = {
        k: {"n_per_req": len(v) / n, "ms": statistics.fmean(v) * 1000} for k, v in stmt_time.items()
    }
    sql_in_submit = sum(sum(v) for v in stmt_time.values()) / n
    out["direct"] = {k: _ms(v) for k, v in parts.items()}
    out["direct"]["statements"] = statements
    out["direct"]["python_in_submit_ms"] = (
        statistics.fmean(parts["submit_report"]) * 1000 - sql_in_submit * 1000
    )

    # the HTTP + Flask floor: GET /healthz (one SELECT 1), one keep-alive client
    conn_h = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    lat = []
    for _ in range(n):
        t0 = time.perf_counter()
        conn_h.request("GET", "/healthz")
        resp = conn_h.getresponse()
        resp.read()
        lat.append(time.perf_counter() - t0)
    conn_h.close()
    out["healthz"] = {"ms": _ms(lat)}

    # HTTP, one keep-alive client against gunicorn
    poster = Poster(server.port)
    lat = []
    for _ in range(n):
        key, form, _p = payloads.report("seq")
        t0 = time.perf_counter()
        status, answer = poster.post(key, form)
        lat.append(time.perf_counter() - t0)
        if status == 201:
            ledger.ack(key, answer["ticket"], form["kategori"], form["uraian"])
    poster.close()
    out["http"] = {"ms": _ms(lat)}
    return out


def worker_pids(arbiter: int) -> list[int]:
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == arbiter:
                pids.append(int(entry.name))
    return sorted(pids)


def py_spy_pass(
    py_spy: str, server: Server, make_worker, clients: int, seconds: float, cluster, top: int = 40
):
    """One extra OURS pass (not counted) with ``py-spy record --gil --nonblocking`` (100 Hz) on every
    gunicorn worker; returns the pass and the functions by share of the samples, i.e. of the time a
    worker thread held the GIL (the workers' Python CPU time)."""
    import subprocess
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="bench_submit_pyspy_"))
    procs = []
    for pid in worker_pids(server.proc.pid):
        out = tmp / f"{pid}.txt"
        procs.append(
            (
                out,
                subprocess.Popen(
                    [
                        py_spy,
                        "record",
                        "--gil",
                        "--nonblocking",
                        "--format",
                        "raw",
                        "--rate",
                        "100",
                        "--duration",
                        str(int(seconds) + 1),
                        "--pid",
                        str(pid),
                        "--output",
                        str(out),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                ),
            )
        )
    time.sleep(0.5)
    run = run_threads(make_worker, clients, seconds, None, cluster)
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for out, proc in procs:
        proc.wait(timeout=seconds + 60)
        if not out.exists():
            continue
        for line in out.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            n = int(count)
            total += n
            frames = [f.split(" (")[0] + " (" + f.split(" (")[-1].split("/")[-1] for f in stack.split(";")]
            frames = [f.split(":")[0] + ")" if ":" in f else f for f in frames]
            for f in set(frames):
                inclusive[f] = inclusive.get(f, 0) + n
            own[frames[-1]] = own.get(frames[-1], 0) + n
    pcts = lambda d: [(k, 100 * v / max(total, 1)) for k, v in sorted(d.items(), key=lambda kv: -kv[1])[:top]]  # noqa: E731
    return {
        "stored_per_s": run["stored"] / run["wall"],
        "samples": total,
        "inclusive": pcts(inclusive),
        "self": pcts(own),
        "dir": str(tmp),
    }


def _ms(values: list[float]) -> dict:
    return {
        "mean": statistics.fmean(values) * 1000,
        "p50": pct(values, 0.5) * 1000,
        "p95": pct(values, 0.95) * 1000,
    }


# -- integrity --------------------------------------------------------------------------------------


INTEGRITY_SQL = {
    "acknowledged keys": "SELECT count(*) FROM ledger",
    "lost: no submission row for the key": (
        "SELECT count(*) FROM ledger l WHERE NOT EXISTS (SELECT 1 FROM submission s WHERE s.key = l.key)"
    ),
    "submission answers another ticket": (
        "SELECT count(*) FROM ledger l JOIN submission s ON s.key = l.key "
        "WHERE s.response->>'ticket' IS DISTINCT FROM l.ticket"
    ),
    "lost: no complaint with the ticket": (
        "SELECT count(*) FROM ledger l WHERE NOT EXISTS (SELECT 1 FROM complaint c WHERE c.ticket = l.ticket)"
    ),
    "tickets with more than one complaint": (
        "SELECT count(*) FROM (SELECT ticket FROM complaint GROUP BY ticket HAVING count(*) > 1) d"
    ),
    "submission points at another complaint": (
        "SELECT count(*) FROM ledger l JOIN submission s ON s.key = l.key JOIN complaint c ON c.id = "
        "s.complaint_id WHERE c.ticket <> l.ticket"
    ),
    "payload mismatch (category or description)": (
        "SELECT count(*) FROM ledger l JOIN complaint c ON c.ticket = l.ticket "
        "WHERE c.category <> l.category OR c.description <> l.description OR c.source <> 'web'"
    ),
    "web complaints created in the run": (
        "SELECT count(*) FROM complaint WHERE source = 'web' AND id > %(max_id)s"
    ),
    "distinct acknowledged tickets": "SELECT count(DISTINCT ticket) FROM ledger",
    "web complaints without a submission row": (
        "SELECT count(*) FROM complaint c WHERE c.source = 'web' AND c.id > %(max_id)s "
        "AND NOT EXISTS (SELECT 1 FROM submission s WHERE s.complaint_id = c.id)"
    ),
    "stored but never acknowledged": (
        "SELECT count(*) FROM submission s WHERE s.kind = 'report' AND NOT EXISTS "
        "(SELECT 1 FROM ledger l WHERE l.key = s.key)"
    ),
    "new web complaints without exactly one 'diterima' event": (
        "SELECT count(*) FROM complaint c WHERE c.source = 'web' AND c.id > %(max_id)s AND (SELECT count(*) "
        "FROM complaint_event e WHERE e.complaint_id = c.id AND e.status_to = 'diterima') <> 1"
    ),
    "new web complaints without RT/RW/kelurahan": (
        "SELECT count(*) FROM complaint c WHERE c.source = 'web' AND c.id > %(max_id)s "
        "AND (c.kelurahan_code IS NULL OR c.rw_code IS NULL OR c.rt_code IS NULL)"
    ),
    "RAW rows (source bench_raw)": "SELECT count(*) FROM complaint WHERE source = 'bench_raw'",
}


def integrity(cluster, ledger: Ledger, max_id: int) -> dict:
    with _pg(cluster) as conn:
        conn.execute(
            "CREATE TEMP TABLE ledger (key text PRIMARY KEY, ticket text, category text, description text)"
        )
        with conn.cursor().copy("COPY ledger FROM STDIN") as copy:
            for key, (ticket, category, description) in ledger.acked.items():
                copy.write_row((key, ticket, category, description))
        conn.execute("ANALYZE ledger")
        out = {
            name: conn.execute(sql, {"max_id": max_id}).fetchone()[0] for name, sql in INTEGRITY_SQL.items()
        }
    out["RAW acknowledged inserts"] = ledger.raw_acked
    out["client-side ticket conflicts"] = len(ledger.conflicts)
    out["lost"] = out["lost: no submission row for the key"] + out["lost: no complaint with the ticket"]
    out["duplicated"] = (
        out["tickets with more than one complaint"]
        + out["web complaints without a submission row"]
        + max(0, out["web complaints created in the run"] - out["acknowledged keys"])
        + out["client-side ticket conflicts"]
    )
    out["ok"] = (
        out["lost"] == 0
        and out["duplicated"] == 0
        and out["web complaints created in the run"] == out["acknowledged keys"]
        and out["distinct acknowledged tickets"] == out["acknowledged keys"]
        and out["payload mismatch (category or description)"] == 0
        and out["submission answers another ticket"] == 0
        and out["submission points at another complaint"] == 0
        and out["stored but never acknowledged"] == 0
        and out["new web complaints without exactly one 'diterima' event"] == 0
        and out["RAW rows (source bench_raw)"] == ledger.raw_acked
    )
    return out


# -- report ----------------------------------------------------------------------------------------


def summary(runs: list[dict]) -> dict:
    rates = [r["stored"] / r["wall"] for r in runs]
    req_rates = [r["ok"] / r["wall"] for r in runs]
    lat = [x for r in runs for x in r["lat"]]
    stored = sum(r["stored"] for r in runs)
    n_ok = sum(r["ok"] for r in runs)
    cpu = {k: sum(r["cpu"].get(k, 0.0) for r in runs) for k in runs[0]["cpu"]}
    waits: dict[str, float] = {}
    for r in runs:
        for k, v in r["waits"].items():
            waits[k] = waits.get(k, 0.0) + v / len(runs)
    db = {k: sum(r["db"][k] for r in runs) for k in runs[0]["db"]}
    return {
        "passes": [round(x, 1) for x in rates],
        "stored_per_s": statistics.median(rates),
        "acked_per_s": statistics.median(req_rates),
        "stored": stored,
        "wall_s": sum(r["wall"] for r in runs),
        "p50_ms": pct(lat, 0.5) * 1000,
        "p95_ms": pct(lat, 0.95) * 1000,
        "p99_ms": pct(lat, 0.99) * 1000,
        "max_ms": max(lat) * 1000 if lat else float("nan"),
        "replay_p50_ms": pct([x for r in runs for x in r["replay_lat"]], 0.5) * 1000,
        "replay_ok": sum(r["replay_ok"] for r in runs),
        "replay_bad": [x for r in runs for x in r["replay_bad"]],
        "replayed_new": sum(r["replayed_new"] for r in runs),
        "conflict_ok": sum(r["conflict_ok"] for r in runs),
        "conflict_bad": [x for r in runs for x in r["conflict_bad"]],
        "errors": [x for r in runs for x in r["errors"]],
        "resent": sum(r["resent"] for r in runs),
        "cpu_ms_per_stored": {k: v * 1000 / max(n_ok, 1) for k, v in cpu.items()},
        "commits_per_stored": db["commits"] / max(n_ok, 1),
        "wal_bytes_per_stored_cluster_wide": db["wal"] / max(n_ok, 1),  # other databases too
        "waits": waits,
    }


def print_report(res: dict) -> None:
    o, r = res["ours"], res["raw"]
    print(f"\n## Settings (both paths, one PostgreSQL server)\n\nPostgreSQL seen by RAW: {res['pg']['raw']}")
    print(f"PostgreSQL seen by the app's engine: {res['pg']['app']}")
    print(f"per-database/role overrides: {res['pg']['overrides'] or 'none'}")
    print(f"gunicorn: {res['pg']['gunicorn']}")
    print(
        f"\n## Throughput ({res['args']['clients']} clients, {res['args']['passes']} passes of "
        f"{res['args']['seconds']:.0f} s each, median of passes)\n"
    )
    print(
        "| path | stored/s | per pass | acked req/s | p50 ms | p95 ms | p99 ms | max ms | commits/stored "
        "| CPU ms/stored bench / gunicorn / postgres |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---|")
    for name, s in (("OURS POST /api/laporan", o), ("RAW INSERT", r)):
        cpu = " / ".join(
            f"{s['cpu_ms_per_stored'].get(k, float('nan')):.2f}" for k in ("bench", "server", "postgres")
        )
        print(
            f"| {name} | {s['stored_per_s']:.1f} | {s['passes']} | {s['acked_per_s']:.1f} | "
            f"{s['p50_ms']:.1f} | {s['p95_ms']:.1f} | {s['p99_ms']:.1f} | {s['max_ms']:.0f} | "
            f"{s['commits_per_stored']:.2f} | {cpu} |"
        )
    ratio = res["ratio"]
    print(f"\nOURS/RAW = {ratio:.2f} (goal >= {GOAL}) {'MET' if ratio >= GOAL else 'MISSED'}")
    print("\n## Backends of the bench database, mean count per 100 ms sample\n")
    states = sorted(set(o["waits"]) | set(r["waits"]))
    print("| state | OURS | RAW |\n|---|---:|---:|")
    for st in states:
        print(f"| {st} | {o['waits'].get(st, 0):.2f} | {r['waits'].get(st, 0):.2f} |")
    print(
        f"\nidempotency: replays {o['replay_ok']} ok / {len(o['replay_bad'])} bad (p50 "
        f"{o['replay_p50_ms']:.1f} ms); same key other payload -> 422: {o['conflict_ok']} ok / "
        f"{len(o['conflict_bad'])} bad; resent after wire errors/503: {o['resent']}; errors OURS "
        f"{len(o['errors'])}, RAW {len(r['errors'])}; race probe {res['race']['ok']}/{res['race']['keys']} ok"
    )
    for what in (
        o["errors"][:5],
        r["errors"][:5],
        o["replay_bad"][:5],
        o["conflict_bad"][:5],
        res["race"]["bad"][:5],
    ):
        for line in what:
            print(f"  ! {line}")
    if res.get("phases"):
        p = res["phases"]
        print(f"\n## One request at a time ({res['args']['phases']} each, ms)\n")
        print("| path | mean | p50 | p95 |\n|---|---:|---:|---:|")
        rows = [
            ("RAW INSERT (autocommit)", p["raw"]["ms"]),
            ("submit_report in-process: total", p["direct"]["total"]),
            ("  pool checkout + pre-ping", p["direct"]["checkout+ping"]),
            ("  submit_report (statements + Python)", p["direct"]["submit_report"]),
            ("  COMMIT", p["direct"]["commit"]),
            ("POST /api/laporan over HTTP, 1 client", p["http"]["ms"]),
            ("GET /healthz over HTTP, 1 client (floor)", p["healthz"]["ms"]),
        ]
        for name, m in rows:
            print(f"| {name} | {m['mean']:.2f} | {m['p50']:.2f} | {m['p95']:.2f} |")
        print(
            f"\nstatements inside submit_report (Python between them: "
            f"{p['direct']['python_in_submit_ms']:.2f} ms):\n"
        )
        print("| statement (psycopg + round trip + server) | per request | mean ms |\n|---|---:|---:|")
        for k, v in p["direct"]["statements"].items():
            print(f"| `{k}` | {v['n_per_req']:.2f} | {v['ms']:.3f} |")
    if res.get("py_spy"):
        sp = res["py_spy"]
        print(
            f"\n## py-spy, gunicorn workers, extra OURS pass ({sp['stored_per_s']:.1f} stored/s while "
            f"sampled, {sp['samples']} samples of active threads)\n"
        )
        print("| function (file) | inclusive % | | function (file) | self % |\n|---|---:|---|---|---:|")
        for (fi, vi), (fs, vs) in zip(sp["inclusive"], sp["self"], strict=False):
            print(f"| `{fi}` | {vi:.1f} | | `{fs}` | {vs:.1f} |")
    if res["args"].get("disable_layer_trigger"):
        print("\n**DIAGNOSTIC RUN: complaint_layer_version trigger disabled; not the shipped schema.**")
    print("\n## Integrity\n")
    for k, v in res["integrity"].items():
        print(f"- {k}: {v}")


def main() -> int:
    global DB
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--passes", type=int, default=2, help="OURS/RAW pass pairs")
    ap.add_argument("--seconds", type=float, default=20.0, help="length of each pass")
    ap.add_argument("--warmup", type=float, default=3.0, help="seconds of each path before the passes")
    ap.add_argument("--replay-every", type=int, default=20, help="resend every N-th acknowledged key (5%%)")
    ap.add_argument("--conflict-every", type=int, default=100, help="same key, other payload, every N-th")
    ap.add_argument("--race", type=int, default=50, help="keys sent by two threads at once")
    ap.add_argument("--phases", type=int, default=200, help="sequential requests per path for the breakdown")
    ap.add_argument("--points", type=int, default=20000, help="size of the precomputed point pool")
    ap.add_argument(
        "--py-spy",
        metavar="BIN",
        help="path to py-spy: after the measured passes, one more OURS pass (not counted) sampled by "
        "py-spy on every gunicorn worker",
    )
    ap.add_argument(
        "--disable-layer-trigger",
        action="store_true",
        help="DIAGNOSTIC ONLY, not the shipped schema: disable the complaint_layer_version statement "
        "trigger for both paths, to measure what its row lock costs",
    )
    ap.add_argument("--json", type=Path)
    ap.add_argument("--keep", action="store_true", help="keep the database at the end")
    ap.add_argument("--db", default=DB, help="name of the throwaway database (must start with bench_)")
    args = ap.parse_args()
    if not args.db.startswith("bench_"):
        ap.error("--db must start with bench_")
    DB = args.db

    from gis.complaints.sla import calendar_for

    settings, cluster = _cluster()
    info = machine()
    log(f"machine: {info}")
    url = setup_database(settings, cluster)
    if args.disable_layer_trigger:
        with _pg(cluster) as conn:
            conn.execute("ALTER TABLE complaint DISABLE TRIGGER complaint_layer_version")
        log("DIAGNOSTIC: trigger complaint_layer_version disabled (not the shipped schema)")
    points = make_points(cluster, args.points)
    cats = categories(cluster)
    now = dt.datetime.now(dt.UTC)
    calendar = calendar_for(settings.calendar_path)
    sla_due = {c: calendar.due(now, days) for c, days in cats.items()}
    with _pg(cluster) as conn:
        max_id = conn.execute("SELECT coalesce(max(id), 0) FROM complaint").fetchone()[0]
        web_before = conn.execute("SELECT count(*) FROM complaint WHERE source = 'web'").fetchone()[0]
    log(
        f"{len(points)} points over the demo RTs; {len(cats)} categories; {max_id} complaints loaded "
        f"({web_before} with source 'web')"
    )
    run = secrets.token_hex(3)
    payloads = Payloads(points, sorted(cats), run)
    random.Random(1).shuffle(payloads.points)
    ledger = Ledger()
    server = Server(url, log_path=Path(os.environ.get("TMPDIR", "/tmp")) / f"bench_submit_server_{run}.log")
    meter = CpuMeter(os.getpgid(server.proc.pid))
    log(f"server on 127.0.0.1:{server.port}, log {server.log_path}")
    res: dict = {"machine": info, "args": vars(args) | {"json": str(args.json)}}
    try:
        res["pg"] = settings_report(cluster, url, server)
        log(f"settings: {res['pg']}")
        ours_runs, raw_runs = [], []
        run_threads(
            ours_body(server.port, payloads, ledger, args.replay_every, args.conflict_every, "w"),
            args.clients,
            args.warmup,
            None,
            cluster,
        )
        run_threads(
            raw_body(cluster, payloads, ledger, sla_due, "w"), args.clients, args.warmup, None, cluster
        )
        log("warmed up")
        for p in range(args.passes):
            ours_runs.append(
                run_threads(
                    ours_body(server.port, payloads, ledger, args.replay_every, args.conflict_every, f"p{p}"),
                    args.clients,
                    args.seconds,
                    meter,
                    cluster,
                )
            )
            raw_runs.append(
                run_threads(
                    raw_body(cluster, payloads, ledger, sla_due, f"p{p}"),
                    args.clients,
                    args.seconds,
                    meter,
                    cluster,
                )
            )
            o, r = ours_runs[-1], raw_runs[-1]
            log(
                f"pass {p + 1}: ours {o['stored'] / o['wall']:.1f} stored/s ({len(o['errors'])} errors), "
                f"raw {r['stored'] / r['wall']:.1f}/s ({len(r['errors'])} errors); load {os.getloadavg()}"
            )
        res["ours"], res["raw"] = summary(ours_runs), summary(raw_runs)
        res["ratio"] = res["ours"]["stored_per_s"] / res["raw"]["stored_per_s"]
        res["race"] = race_probe(server.port, payloads, ledger, args.race)
        log(f"race probe: {res['race']['ok']}/{args.race} ok")
        if args.phases:
            res["phases"] = phases(url, cluster, server, payloads, ledger, sla_due, args.phases, settings)
            log("phases done")
        if args.py_spy:
            res["py_spy"] = py_spy_pass(
                args.py_spy,
                server,
                ours_body(server.port, payloads, ledger, args.replay_every, args.conflict_every, "spy"),
                args.clients,
                args.seconds,
                cluster,
            )
            log(
                f"py-spy pass: {res['py_spy']['stored_per_s']:.1f} stored/s, "
                f"{res['py_spy']['samples']} samples"
            )
    finally:
        server.stop()
    res["integrity"] = integrity(cluster, ledger, max_id)
    res["loadavg_end"] = os.getloadavg()
    if not args.keep:
        cluster.drop_database(DB)
    print_report(res)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(res, indent=1, default=str))
    return 0 if res["integrity"]["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
