"""Load with faults: simulated residents submit complaints while the run breaks the server under them,
then the clients' ledger is compared with the database.

    .venv/bin/python scripts/reliability/load_with_faults.py [--clients 24] [--seconds 150] [--down 6]
        [--workers 2] [--threads 4] [--json out.json] [--keep]

What one run does, all on this machine (only 127.0.0.1 and a unix socket are used):

1. starts a throwaway PostGIS cluster of its own under ``var/reliability/`` (the project's embedded
   cluster code, ``fsync`` on, the default ``synchronous_commit``), loads the demo into database
   ``reliability`` and serves the app with ``sigkel serve`` (gunicorn gthread, ``--workers`` ×
   ``--threads``) on a free loopback port, with its own ``SIGKEL_VAR_DIR`` for the stale-copy store;
2. reads the public pages and layers once (the copies the public map falls back on);
3. ``--clients`` threads, each a resident's phone (``residents.py``), submit reports to
   ``POST /api/laporan`` with an idempotency key, resending with exponential backoff and full jitter,
   never before Retry-After, until the report is acknowledged (2xx with a ticket) or refused for good;
   5 % of acknowledged reports are sent again ("the answer got lost") and must get the same ticket;
4. during ``--seconds`` the run injects, at 20 %, 45 % and 70 % of the time:
   ``kill``    SIGKILL to one gunicorn worker (gunicorn starts another);
   ``restart`` a fast shutdown of PostgreSQL, ``--down`` seconds down, start;
   ``crash``   an immediate shutdown (as on power loss: crash recovery on start), ``--down`` s down;
   while PostgreSQL is down a probe sends new reports (each must answer 503 with Retry-After within
   2 s and store nothing) and reads the public map page, the facility and complaint layers and a tile
   (each must answer 200 from the stale copy);
5. stops new reports at the deadline, lets reports in hand finish (up to 60 s), then compares:
   every acknowledged key has exactly one ``submission`` row naming a complaint with the same ticket;
   the stored category, description, point and confidentiality equal what was sent; no description
   is stored twice; no probe report was stored; every resend got the first ticket.

Prints attempted / acknowledged / stored counts, latency p50/p95/p99 of the attempts in steady state
and during the fault windows, each fault's recovery time (from the fault's end to the first
acknowledgement of an attempt started after it) and the probe's results; exits 1 when anything was
lost, duplicated or changed, or a probe expectation failed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "scripts" / "bench"))
sys.path.insert(0, str(ROOT))

from bench_tiles import Server, log  # noqa: E402
from faults import DownProbe, Fault, kill_worker, restart_postgres  # noqa: E402
from ledger_check import check, latency_table, recovery  # noqa: E402
from residents import Ledger, Phone, resident  # noqa: E402

DB = "reliability"
VAR = ROOT / "var" / "reliability"
PUBLIC = [
    "/",
    "/laporan",
    "/api/layers/facilities.geojson",
    "/api/laporan.geojson",
    "/tiles/rw/14/13055/8473.pbf",
]
POINTS_SQL = """
SELECT ST_X(p), ST_Y(p) FROM (
    SELECT (ST_Dump(ST_GeneratePoints(ST_Union(geom), %(n)s, 7))).geom AS p FROM rt) pts
"""


def setup(args) -> tuple:
    import psycopg

    from gis import pipelines
    from gis.config import Settings
    from gis.db.embedded import EmbeddedCluster

    settings = Settings.from_env()
    cluster = EmbeddedCluster(VAR, db_name=DB)
    cluster.start()
    url, counts = pipelines.demo_database(cluster, DB, settings.data_dir)
    with psycopg.connect(host=str(cluster.socket_dir), port=5432, user="sigkel", dbname=DB) as conn:
        points = [tuple(r) for r in conn.execute(POINTS_SQL, {"n": 2000}).fetchall()]
        pg_version = conn.execute("SHOW server_version").fetchone()[0]
        fsync = conn.execute("SHOW fsync").fetchone()[0]
        sync_commit = conn.execute("SHOW synchronous_commit").fetchone()[0]
    log(f"cluster under {cluster.var_dir}, demo loaded: {counts}")
    server = Server(
        url,
        workers=args.workers,
        threads=args.threads,
        log_path=VAR / "server.log",
        env={"SIGKEL_VAR_DIR": str(VAR / "app")},
    )
    log(f"gunicorn on 127.0.0.1:{server.port} ({args.workers} workers × {args.threads} threads)")
    env = {"postgresql": pg_version, "fsync": fsync, "synchronous_commit": sync_commit}
    return cluster, server, points, env


def warm(port: int) -> None:
    phone = Phone(port)
    for path in PUBLIC:
        response, _ = phone.request("GET", path)
        if response.status != 200:
            raise RuntimeError(f"GET {path} answered {response.status} before any fault")
    phone.close()


def run(args) -> dict:
    cluster, server, points, env = setup(args)
    try:
        warm(server.port)
        ledger = Ledger()
        stop_new, give_up = threading.Event(), threading.Event()
        threads = [
            threading.Thread(
                target=resident, args=(i, server.port, ledger, points, stop_new, give_up), daemon=True
            )
            for i in range(args.clients)
        ]
        for t in threads:
            t.start()
        faults: list[Fault] = []
        probe = DownProbe(server.port, ledger, PUBLIC)
        schedule = [(0.20, "kill"), (0.45, "restart"), (0.70, "crash")]
        for share, kind in schedule:
            wait = share * args.seconds - ledger.now()
            if wait > 0:
                time.sleep(wait)
            log(f"fault: {kind}")
            if kind == "kill":
                faults.append(kill_worker(server.proc.pid, args.workers, ledger))
            else:
                mode = "fast" if kind == "restart" else "immediate"
                faults.append(restart_postgres(cluster, mode, args.down, ledger, probe))
            log(f"  {faults[-1].describe()}")
        time.sleep(max(0.0, args.seconds - ledger.now()))
        stop_new.set()
        log("deadline: no new reports; letting reports in hand finish (≤ 60 s)")
        deadline = time.monotonic() + 60
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        give_up.set()
        for t in threads:
            t.join(30)
        stuck = sum(t.is_alive() for t in threads)
        if stuck:  # the ledger would still be changing under the comparison
            raise RuntimeError(f"{stuck} resident threads did not finish; see {VAR / 'server.log'}")
        integrity = check(cluster, DB, ledger, probe.keys)
        return {
            "settings": {
                "clients": args.clients,
                "seconds": args.seconds,
                "down_s": args.down,
                "workers": args.workers,
                "threads": args.threads,
                **env,
                "cpus": os.cpu_count(),
                "load_before": os.getloadavg(),
            },
            "integrity": integrity,
            "latency": latency_table(ledger, faults),
            "faults": [f.as_dict() | recovery(ledger, f) for f in faults],
            "probe": probe.summary(),
        }
    finally:
        server.stop()
        cluster.stop()
        if not args.keep:
            shutil.rmtree(VAR, ignore_errors=True)


def report(result: dict) -> bool:
    s, i, p = result["settings"], result["integrity"], result["probe"]
    print()
    print(
        f"Load with faults: {s['clients']} residents, {s['seconds']} s, "
        f"gunicorn {s['workers']}×{s['threads']}, "
        f"PostgreSQL {s['postgresql']} (fsync {s['fsync']}, synchronous_commit {s['synchronous_commit']})"
    )
    print(
        f"  reports attempted {i['attempted']}, acknowledged {i['acknowledged']}, stored {i['stored']}, "
        f"rejected {i['rejected']}, gave up {i['gave_up']} (of which stored {i['stored_unacknowledged']}); "
        f"HTTP attempts {i['http_attempts']}, resends after a lost answer {i['replays']}"
    )
    print(
        f"  LOST {i['lost']}  DUPLICATED {i['duplicated']}  PAYLOAD MISMATCHES {i['mismatched']}  "
        f"TICKET MISMATCHES {i['ticket_mismatches']}  RESEND MISMATCHES {i['replay_mismatches']}  "
        f"PROBE REPORTS STORED {i['probe_stored']}"
    )
    print("  latency of acknowledged attempts (ms):")
    for phase, row in result["latency"].items():
        if phase == "statuses":
            continue
        print(
            f"    {phase:<8} n={row['n']:>6}  p50={row['p50']:>7.1f}  p95={row['p95']:>7.1f}  "
            f"p99={row['p99']:>7.1f}  failed attempts={row['failed']}"
        )
    print(f"  every HTTP attempt by status: {result['latency']['statuses']}")
    print("  faults:")
    for f in result["faults"]:
        print(
            f"    {f['kind']:<8} at {f['at']:6.1f} s  {f['detail']}; first acknowledgement "
            f"{f['first_ack_s']:.2f} s after it ended; failed attempts in its window {f['failed']}"
        )
    print(
        f"  while PostgreSQL was down: {p['posts']} new reports → {p['posts_503']} × 503, "
        f"{p['posts_retry_after']} with Retry-After, slowest answer {p['post_max_s'] * 1000:.0f} ms; "
        f"{p['reads']} public reads → {p['reads_stale_200']} × 200 from the stale copy"
    )
    ok = (
        i["lost"] == i["duplicated"] == i["mismatched"] == i["ticket_mismatches"] == 0
        and i["replay_mismatches"] == i["probe_stored"] == 0
        and p["posts"] > 0
        and p["posts_503"] == p["posts_retry_after"] == p["posts"]
        and p["post_max_s"] < 2.0
        and p["reads"] > 0
        and p["reads_stale_200"] == p["reads"]
    )
    print("RESULT: " + ("PASS" if ok else "FAIL"))
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=24)
    ap.add_argument("--seconds", type=float, default=150)
    ap.add_argument("--down", type=float, default=6, help="seconds PostgreSQL stays down per restart")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--keep", action="store_true", help="keep var/reliability (cluster, logs)")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    result = run(args)
    ok = report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
