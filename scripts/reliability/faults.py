"""The faults of the load-with-faults run, and the probe that watches the server while PostgreSQL is down."""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import time
from dataclasses import dataclass

from residents import Ledger, Phone, encode


@dataclass
class Fault:
    kind: str
    at: float  # injected, seconds since the run's start
    ended: float  # the fault's cause is gone: PostgreSQL accepts connections again / the kill was sent
    detail: str = ""

    def describe(self) -> str:
        return f"{self.kind} at {self.at:.1f} s, over at {self.ended:.1f} s: {self.detail}"

    def as_dict(self) -> dict:
        return {"kind": self.kind, "at": self.at, "ended": self.ended, "detail": self.detail}


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid:
            out.append(int(entry.name))
    return sorted(out)


def kill_worker(master: int, workers: int, ledger: Ledger) -> Fault:
    """SIGKILL the newest gunicorn worker (it is serving requests); wait for its replacement."""
    before = _children(master)
    if not before:
        raise RuntimeError("gunicorn has no workers to kill")
    victim = before[-1]
    at = ledger.now()
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        now = _children(master)
        if victim not in now and len(now) >= workers:
            break
        time.sleep(0.05)
    respawned = ledger.now()
    return Fault("kill", at, at, f"worker {victim} killed; replacement running after {respawned - at:.2f} s")


class DownProbe:
    """While PostgreSQL is down: new reports must get 503 with Retry-After within 2 s (and be stored
    nowhere); public reads must be served from the stale copy."""

    def __init__(self, port: int, ledger: Ledger, public: list[str]):
        self.port, self.ledger, self.public = port, ledger, public
        self.keys: list[str] = []
        self.posts: list[tuple[int | None, float, str | None]] = []
        self.reads: list[tuple[str, int | None, bool]] = []

    def _post(self, phone: Phone) -> None:
        key = f"probe-{secrets.token_hex(8)}"
        self.keys.append(key)
        payload = {"kategori": "kebersihan", "uraian": f"Probe {key}", "lat": "-6.1786", "lon": "106.8712"}
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Idempotency-Key": key}
        started = time.monotonic()
        try:
            response, _ = phone.request("POST", "/api/laporan", encode(payload), headers)
            status, retry_after = response.status, response.getheader("Retry-After")
        except (OSError, http.client.HTTPException):
            status, retry_after = None, None
        self.posts.append((status, time.monotonic() - started, retry_after))

    def _read(self, phone: Phone, path: str) -> None:
        try:
            response, _ = phone.request("GET", path)
            self.reads.append((path, response.status, response.getheader("X-Sigkel-Stale") is not None))
        except (OSError, http.client.HTTPException):
            self.reads.append((path, None, False))

    def watch(self, seconds: float) -> None:
        """Probe every ~0.5 s for ``seconds`` (PostgreSQL is down all that time)."""
        phone = Phone(self.port, timeout=10)
        end = time.monotonic() + seconds
        time.sleep(0.3)  # let the shutdown finish terminating connections
        while time.monotonic() < end - 0.3:
            self._post(phone)
            for path in self.public:
                self._read(phone, path)
            time.sleep(0.5)
        phone.close()

    def summary(self) -> dict:
        return {
            "posts": len(self.posts),
            "posts_503": sum(1 for s, _, _ in self.posts if s == 503),
            "posts_retry_after": sum(1 for s, _, r in self.posts if s == 503 and r and r.isdigit()),
            "post_max_s": max((t for _, t, _ in self.posts), default=float("nan")),
            "reads": len(self.reads),
            "reads_stale_200": sum(1 for _, s, stale in self.reads if s == 200 and stale),
            "read_failures": sorted({f"{p} → {s}" for p, s, stale in self.reads if s != 200 or not stale}),
        }


def restart_postgres(cluster, mode: str, down: float, ledger: Ledger, probe: DownProbe) -> Fault:
    """Stop PostgreSQL (``fast`` or ``immediate``), keep it down ``down`` seconds while probing, start."""
    at = ledger.now()
    cluster.stop(mode=mode)
    stopped_in = ledger.now() - at
    probe.watch(down)
    started = ledger.now()
    cluster.start()
    ended = ledger.now()
    return Fault(
        "restart" if mode == "fast" else "crash",
        at,
        ended,
        f"pg_ctl stop -m {mode} took {stopped_in:.2f} s, down {ended - at:.1f} s, "
        f"start took {ended - started:.2f} s",
    )
