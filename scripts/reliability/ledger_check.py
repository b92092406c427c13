"""Compare the residents' ledger with the database, and summarise latency and recovery."""

from __future__ import annotations

import math

from residents import Attempt, Ledger

ROWS_SQL = """
SELECT s.key, c.ticket, c.category, c.description, ST_X(c.geom), ST_Y(c.geom), c.confidential
FROM submission s JOIN complaint c ON c.id = s.complaint_id
WHERE s.key LIKE 'rel-%%' OR s.key LIKE 'probe-%%'
"""
DUPES_SQL = """
SELECT count(*) FROM (SELECT description FROM complaint WHERE description LIKE %s
                      GROUP BY description HAVING count(*) > 1) d
"""


def check(cluster, db: str, ledger: Ledger, probe_keys: list[str]) -> dict:
    import psycopg

    with psycopg.connect(host=str(cluster.socket_dir), port=5432, user="sigkel", dbname=db) as conn:
        rows = {r[0]: r for r in conn.execute(ROWS_SQL).fetchall()}
        duplicated = conn.execute(DUPES_SQL, ("Laporan uji keandalan %",)).fetchone()[0]
        marked = conn.execute(
            "SELECT count(*) FROM complaint WHERE description LIKE 'Laporan uji keandalan %'"
        ).fetchone()[0]
        probe_marked = conn.execute("SELECT count(*) FROM complaint WHERE description LIKE 'Probe probe-%'")
        probe_marked = probe_marked.fetchone()[0]
    reports = ledger.reports.values()
    acked = [r for r in reports if r.outcome == "acknowledged"]
    lost, mismatched, ticket_mismatches, examples = 0, 0, 0, []
    for r in acked:
        row = rows.get(r.key)
        if row is None:
            lost += 1
            examples.append(f"lost {r.key} ({r.ticket})")
            continue
        _, ticket, category, description, lon, lat, confidential = row
        if ticket != r.ticket:
            ticket_mismatches += 1
            examples.append(f"ticket {r.key}: acknowledged {r.ticket}, stored {ticket}")
        p = r.payload
        same = (
            category == p["kategori"]
            and description == p["uraian"]
            and math.isclose(lon, float(p["lon"]), abs_tol=1e-7)
            and math.isclose(lat, float(p["lat"]), abs_tol=1e-7)
            and confidential == (p["anonimitas"] == "rahasia")
        )
        if not same:
            mismatched += 1
            examples.append(f"payload {r.key}: sent {p}, stored {row[2:]}")
    replays = [r for r in acked if r.replay_ticket is not None]
    ours = [k for k in rows if k.startswith("rel-")]
    return {
        "attempted": len(ledger.reports),
        "acknowledged": len(acked),
        "stored": len(ours),
        "stored_marked_complaints": marked,
        "rejected": sum(1 for r in reports if r.outcome.startswith("rejected")),
        "rejections": sorted({r.outcome for r in reports if r.outcome.startswith("rejected")}),
        "gave_up": sum(1 for r in reports if r.outcome in ("gave_up", "pending")),
        "stored_unacknowledged": sum(1 for k in ours if ledger.reports[k].outcome != "acknowledged"),
        "http_attempts": len(ledger.attempts),
        "replays": len(replays),
        "lost": lost,
        "duplicated": duplicated + max(0, marked - len(ours)),
        "mismatched": mismatched,
        "ticket_mismatches": ticket_mismatches,
        "replay_mismatches": sum(1 for r in replays if r.replay_ticket != r.ticket),
        # a probe answered 503 must have stored nothing: by key, and by its text in case the key was lost
        "probe_stored": max(sum(1 for k in probe_keys if k in rows), probe_marked),
        "examples": examples[:20],
    }


def _ok(a: Attempt) -> bool:
    return a.status in (200, 201)


def _failed(a: Attempt) -> bool:
    return a.status is None or a.status >= 500 or a.status == 429


def recovery(ledger: Ledger, fault) -> dict:
    """From the fault's end to the first acknowledgement of an attempt started after it; the failed
    attempts between the fault's start and that moment."""
    after = [a for a in ledger.attempts if _ok(a) and a.start >= fault.ended]
    first = min(after, key=lambda a: a.end, default=None)
    first_ack_s = (first.end - fault.ended) if first else float("nan")
    until = first.end if first else float("inf")
    failed = sum(1 for a in ledger.attempts if _failed(a) and fault.at <= a.start <= until)
    horizon = until if first else fault.ended + 60
    last_failure = max(
        (a.end for a in ledger.attempts if _failed(a) and fault.at <= a.start <= horizon), default=None
    )
    return {
        "first_ack_s": first_ack_s,
        "failed": failed,
        "window_end": until + 2.0,
        "last_failure_s": (last_failure - fault.at) if last_failure else None,
    }


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))]


def latency_table(ledger: Ledger, faults: list, warmup: float = 5.0) -> dict:
    """p50/p95/p99 (ms) of acknowledged attempts in steady state and inside fault windows."""
    windows = [(f.at, recovery(ledger, f)["window_end"]) for f in faults]

    def in_window(a: Attempt) -> bool:
        return any(a.end >= lo and a.start <= hi for lo, hi in windows)

    phases = {"steady": [], "faults": []}
    failed = {"steady": 0, "faults": 0}
    for a in ledger.attempts:
        if a.start < warmup:
            continue
        phase = "faults" if in_window(a) else "steady"
        if _ok(a):
            phases[phase].append(a.latency * 1000)
        elif _failed(a):
            failed[phase] += 1
    table = {
        phase: {
            "n": len(v),
            "p50": _pct(v, 0.50),
            "p95": _pct(v, 0.95),
            "p99": _pct(v, 0.99),
            "failed": failed[phase],
        }
        for phase, v in phases.items()
    }
    statuses: dict[str, int] = {}
    for a in ledger.attempts:
        name = str(a.status) if a.status is not None else f"no answer ({a.error})"
        statuses[name] = statuses.get(name, 0) + 1
    table["statuses"] = dict(sorted(statuses.items()))
    return table
