"""Analysis jobs started from the web: run in a background thread with their own database connection.

The job functions (``run_hotspots``, ``run_coverage``, …) create their ``analysis_run`` row only when
they finish, inside their own transaction. A web request needs an id to redirect to at once, so:

1. :func:`start` inserts a *placeholder* row (status ``running``, message "menunggu giliran") in a
   transaction of its own, committed before the thread starts, and returns its id;
2. the thread waits for a free slot (one job at a time per process: the server has two cores), then
   runs the job in one transaction, and in that same transaction moves the job's output to the
   placeholder and deletes the job's own row (:func:`adopt`): the placeholder becomes the run, with
   the job's parameters, inputs, timings and message, and readers never see the job's own row;
3. any exception sets the placeholder to ``failed`` with a message safe to show (:func:`fail`).

A thread dies without a word only with its process (a restart, a kill, an out-of-memory). Such a row
would stay ``running``; :func:`status` reports it ``failed`` as soon as its process is known to be gone
(same host, the pid no longer exists) and in any case once it is older than ``STALE_AFTER``, and
records that (:func:`fail_stale` does it for every such row). A job that does finish after being
declared stale still stores its result and becomes ``done``.

Nothing here imports flask: the web layer passes its engine in.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import threading
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from gis.errors import SigkelError

__all__ = [
    "STALE_AFTER",
    "MAX_PARALLEL",
    "QUEUED",
    "RUNNING",
    "JOBS",
    "run_job",
    "start",
    "execute",
    "create_placeholder",
    "adopt",
    "fail",
    "fail_stale",
    "running_count",
    "status",
    "active_count",
    "wait",
]

log = logging.getLogger(__name__)

STALE_AFTER = dt.timedelta(minutes=30)  # the demo's jobs take seconds; a city's, a few minutes
MAX_PARALLEL = 1
QUEUED = "Menunggu giliran"
RUNNING = "Sedang dihitung"
STALE = "Terhenti: analisis tidak selesai (server dimulai ulang atau proses dihentikan). Jalankan lagi."

_GATE = threading.BoundedSemaphore(MAX_PARALLEL)
_THREADS: dict[int, threading.Thread] = {}
_LOCK = threading.Lock()


def _jobs() -> dict[str, Callable]:
    from gis.analysis import jobs as analysis
    from gis.planning import jobs as planning

    return {
        "hotspots": analysis.run_hotspots,
        "kde": analysis.run_kde,
        "emerging": analysis.run_emerging,
        "coverage": planning.run_coverage,
        "accessibility": planning.run_accessibility,
        "deficit": planning.run_deficit,
        "siting": planning.run_siting,
    }


JOBS = ("hotspots", "kde", "emerging", "coverage", "accessibility", "deficit", "siting")


def run_job(conn: Connection, method: str, params) -> tuple[int, object]:
    """Run one job function on ``conn``; returns what it returns (run id, output frame)."""
    jobs = _jobs()
    if method not in jobs:
        raise SigkelError(f"Unknown analysis method {method!r}.")
    return jobs[method](conn, params)


def _worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def create_placeholder(conn: Connection, method: str, params) -> int:
    """The run row a request can point to before the job has finished."""
    from gis.analysis.jobs import _code_version

    kel = params.kelurahan[0] if params.kelurahan and len(params.kelurahan) == 1 else None
    return conn.execute(
        sa.text(
            "INSERT INTO analysis_run (method, kelurahan_code, parameters, inputs, status, message, "
            "code_version) VALUES (:m, :k, CAST(:p AS jsonb), CAST(:i AS jsonb), 'running', :msg, :v) "
            "RETURNING id"
        ),
        {
            "m": method,
            "k": kel,
            "p": json.dumps(params.to_json()),
            "i": json.dumps({"background": True, "worker": _worker()}),
            "msg": QUEUED,
            "v": _code_version(),
        },
    ).scalar_one()


def adopt(conn: Connection, placeholder: int, job_run: int) -> None:
    """Make the placeholder the job's run: move the output, copy the record, drop the job's row."""
    conn.execute(
        sa.text("UPDATE analysis_output SET run_id = :p WHERE run_id = :j"), {"p": placeholder, "j": job_run}
    )
    updated = conn.execute(
        sa.text(
            "UPDATE analysis_run p SET method = j.method, kelurahan_code = j.kelurahan_code, "
            "parameters = j.parameters, inputs = j.inputs || jsonb_build_object('background', true), "
            "status = j.status, message = j.message, code_version = j.code_version, "
            "output_layer = 'run:' || p.id, finished_at = clock_timestamp(), "
            "timings = j.timings || jsonb_build_object('queued_s', "
            "  round(CAST(extract(epoch FROM j.started_at - p.started_at) AS numeric), 3)) "
            "FROM analysis_run j WHERE p.id = :p AND j.id = :j"
        ),
        {"p": placeholder, "j": job_run},
    ).rowcount
    if updated != 1:
        raise SigkelError(f"The placeholder run {placeholder} disappeared before job {job_run} finished.")
    conn.execute(sa.text("DELETE FROM analysis_run WHERE id = :j"), {"j": job_run})


def fail(conn: Connection, run_id: int, message: str) -> None:
    conn.execute(
        sa.text(
            "UPDATE analysis_run SET status = 'failed', message = :m, finished_at = clock_timestamp() "
            "WHERE id = :r AND status = 'running'"
        ),
        {"r": run_id, "m": message[:2000]},
    )


def _set_message(engine: Engine, run_id: int, message: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE analysis_run SET message = :m WHERE id = :r AND status = 'running'"),
            {"r": run_id, "m": message},
        )


def _safe_message(exc: BaseException) -> str:
    if isinstance(exc, SigkelError):
        return f"Gagal: {exc}"
    return f"Gagal karena kesalahan tak terduga ({type(exc).__name__}); rinciannya ada di log server."


def execute(engine: Engine, run_id: int, method: str, params) -> None:
    """The thread's work: wait for a slot, run the job, adopt its row; record any failure."""
    try:
        with _GATE:
            _set_message(engine, run_id, RUNNING)
            with engine.begin() as conn:
                job_run, _ = run_job(conn, method, params)
                adopt(conn, run_id, job_run)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded: a run never stays 'running'
        if not isinstance(exc, SigkelError):
            log.exception("Background analysis run %s (%s) failed", run_id, method)
        try:
            with engine.begin() as conn:
                fail(conn, run_id, _safe_message(exc))
        except Exception:  # noqa: BLE001 - the database is gone too: the stale rule will catch it
            log.exception("Could not record the failure of analysis run %s", run_id)
    finally:
        with _LOCK:
            _THREADS.pop(run_id, None)


def start(engine: Engine, method: str, params) -> int:
    """Create the placeholder (committed), start the thread, return the run id."""
    if method not in JOBS:
        raise SigkelError(f"Unknown analysis method {method!r}.")
    with engine.begin() as conn:
        run_id = create_placeholder(conn, method, params)
    thread = threading.Thread(
        target=execute, args=(engine, run_id, method, params), name=f"sigkel-run-{run_id}", daemon=True
    )
    with _LOCK:
        _THREADS[run_id] = thread
    thread.start()
    return run_id


def active_count() -> int:
    """Jobs started by this process that have not finished (queued or running)."""
    with _LOCK:
        return sum(t.is_alive() for t in _THREADS.values())


def wait(run_id: int, timeout: float | None = None) -> bool:
    """Wait for this process's thread of ``run_id``; True when it is no longer running."""
    with _LOCK:
        thread = _THREADS.get(run_id)
    if thread is not None:
        thread.join(timeout)
        return not thread.is_alive()
    return True


def _orphaned(run_id: int, worker: str | None) -> bool:
    """True when the process that ran this job is known to be gone (only knowable on this host)."""
    if not worker or ":" not in worker:
        return False
    host, _, pid_text = worker.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        with _LOCK:
            thread = _THREADS.get(run_id)
        return thread is None or not thread.is_alive()
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def fail_stale(conn: Connection, stale_after: dt.timedelta = STALE_AFTER) -> int:
    """Record as failed every run still 'running' after ``stale_after``; returns how many."""
    return conn.execute(
        sa.text(
            "UPDATE analysis_run SET status = 'failed', message = :m, finished_at = now() "
            "WHERE status = 'running' AND started_at < now() - CAST(:age AS interval)"
        ),
        {"m": STALE, "age": f"{stale_after.total_seconds()} seconds"},
    ).rowcount


def running_count(conn: Connection, stale_after: dt.timedelta = STALE_AFTER) -> int:
    """Runs queued or running, by every process, that are not yet older than ``stale_after``."""
    return conn.execute(
        sa.text(
            "SELECT count(*) FROM analysis_run WHERE status = 'running' "
            "AND started_at > now() - CAST(:age AS interval)"
        ),
        {"age": f"{stale_after.total_seconds()} seconds"},
    ).scalar_one()


def status(conn: Connection, run_id: int, stale_after: dt.timedelta = STALE_AFTER) -> dict:
    """``{id, status, message, elapsed_s, finished_at, stale}`` of a run.

    A 'running' row whose process is gone, or older than ``stale_after``, is reported failed and
    recorded so on ``conn``. An unknown id gives status 'missing' (no exception)."""
    row = (
        conn.execute(
            sa.text(
                "SELECT id, status, message, inputs->>'worker' AS worker, "
                "extract(epoch FROM coalesce(finished_at, clock_timestamp()) - started_at) AS elapsed_s, "
                "finished_at "
                "FROM analysis_run WHERE id = :r"
            ),
            {"r": run_id},
        )
        .mappings()
        .first()
    )
    if row is None:
        return {
            "id": run_id,
            "status": "missing",
            "message": None,
            "elapsed_s": 0.0,
            "finished_at": None,
            "stale": False,
        }
    out = {
        "id": run_id,
        "status": row["status"],
        "message": row["message"],
        "elapsed_s": round(float(row["elapsed_s"] or 0.0), 1),
        "finished_at": row["finished_at"],
        "stale": False,
    }
    if row["status"] == "running":
        too_old = out["elapsed_s"] > stale_after.total_seconds()
        # a few seconds' grace: the row is committed just before its thread is registered
        if too_old or (out["elapsed_s"] > 5 and _orphaned(run_id, row["worker"])):
            fail(conn, run_id, STALE)
            out.update(status="failed", message=STALE, stale=True)
    return out
