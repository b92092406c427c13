"""Simulated residents for the load-with-faults run: each thread is a phone that submits reports with an
idempotency key and resends, with backoff, until the server acknowledges (2xx with a ticket) or refuses
the report for good (another 4xx) — as the app's offline outbox (``static/js/outbox.js``) does.

Every report and every attempt goes into a :class:`Ledger`, which the run later compares with the
database.
"""

from __future__ import annotations

import http.client
import json
import random
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

CATEGORIES = ["kebersihan", "drainase_banjir", "jalan_rusak", "penerangan_jalan", "keamanan", "sosial"]
RETRY_STATUSES = {408, 425, 429, 500, 502, 503, 504}
MAX_BACKOFF = 8.0
KEEPALIVE = 1.5  # seconds; gunicorn's keep-alive is 2 s


@dataclass
class Attempt:
    key: str
    start: float  # seconds since the run's start
    end: float
    status: int | None  # None: failed on the wire (reset, refused, timeout)
    error: str = ""
    retry_after: str | None = None

    @property
    def latency(self) -> float:
        return self.end - self.start


@dataclass
class Report:
    key: str
    payload: dict
    first: float
    outcome: str = "pending"  # acknowledged | rejected | gave_up | pending
    ticket: str | None = None
    acked_at: float | None = None
    attempts: int = 0
    replay_ticket: str | None = None  # the answer to a deliberate resend after the acknowledgement


@dataclass
class Ledger:
    t0: float = field(default_factory=time.monotonic)
    reports: dict[str, Report] = field(default_factory=dict)
    attempts: list[Attempt] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> float:
        return time.monotonic() - self.t0

    def add_report(self, report: Report) -> None:
        with self.lock:
            self.reports[report.key] = report

    def add_attempt(self, attempt: Attempt) -> None:
        with self.lock:
            self.attempts.append(attempt)


class Phone:
    """One keep-alive HTTP connection, reopened after any failure on the wire."""

    def __init__(self, port: int, timeout: float = 15.0):
        self.port, self.timeout = port, timeout
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            self.conn.request(method, path, body=body, headers=headers or {})
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return response, data

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def encode(payload: dict) -> bytes:
    return urllib.parse.urlencode(payload).encode()


def send(phone: Phone, ledger: Ledger, key: str, payload: dict) -> tuple[int | None, dict, Attempt]:
    """One attempt: POST /api/laporan with the report's key. Returns (status, body, attempt)."""
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Idempotency-Key": key,
        "Accept": "application/json",
    }
    start = ledger.now()
    try:
        response, data = phone.request("POST", "/api/laporan", encode(payload), headers)
    except (OSError, http.client.HTTPException) as exc:
        attempt = Attempt(key, start, ledger.now(), None, type(exc).__name__)
        ledger.add_attempt(attempt)
        return None, {}, attempt
    try:
        body = json.loads(data) if data else {}
    except ValueError:
        body = {}
    attempt = Attempt(key, start, ledger.now(), response.status, "", response.getheader("Retry-After"))
    ledger.add_attempt(attempt)
    return response.status, body, attempt


def backoff(tries: int, retry_after: str | None, rng: random.Random) -> float:
    """Exponential backoff with full jitter, never before the server's Retry-After."""
    wait = rng.uniform(0, min(MAX_BACKOFF, 0.25 * 2**tries))
    if retry_after and retry_after.isdigit():
        wait = max(wait, float(retry_after))
    return wait


def resident(
    index: int,
    port: int,
    ledger: Ledger,
    points: list[tuple[float, float]],
    stop_new: threading.Event,
    give_up: threading.Event,
    replay_share: float = 0.05,
    think: tuple[float, float] = (0.05, 0.4),
) -> None:
    """Submit reports until ``stop_new``; finish the one in hand unless ``give_up`` is set too."""
    rng = random.Random(1000 + index)
    phone = Phone(port)
    while not stop_new.is_set():
        key = f"rel-{index:03d}-{secrets.token_hex(8)}"
        lon, lat = points[rng.randrange(len(points))]
        payload = {
            "kategori": rng.choice(CATEGORIES),
            "uraian": f"Laporan uji keandalan {key}: saluran tersumbat dan sampah menumpuk.",
            "lat": f"{lat:.7f}",
            "lon": f"{lon:.7f}",
            "akurasi": str(rng.choice([5, 12, 30])),
            "anonimitas": rng.choice(["publik_tanpa_nama", "publik_tanpa_nama", "rahasia"]),
        }
        report = Report(key, payload, ledger.now())
        ledger.add_report(report)
        tries = 0
        while True:
            status, body, attempt = send(phone, ledger, key, payload)
            report.attempts += 1
            if status in (200, 201) and body.get("ticket"):
                report.ticket, report.acked_at = body["ticket"], attempt.end
                report.outcome = "acknowledged"  # last: a reader never sees it without its ticket
                break
            if status is not None and status not in RETRY_STATUSES:
                report.outcome = f"rejected:{status}:{body.get('error', '')}"
                break
            if give_up.is_set():
                report.outcome = "gave_up"
                break
            pause = backoff(tries, attempt.retry_after, rng)
            time.sleep(pause)
            if pause > KEEPALIVE:  # gunicorn has closed the idle connection by now; so would a phone
                phone.close()
            tries += 1
        if report.outcome == "acknowledged" and rng.random() < replay_share:
            # the answer "got lost": the phone sends the same report again and must get the same ticket
            for _ in range(20):
                status, body, attempt = send(phone, ledger, key, payload)
                if status in (200, 201):
                    report.replay_ticket = body.get("ticket")
                    break
                if give_up.is_set():
                    break
                time.sleep(backoff(2, attempt.retry_after, rng))
        time.sleep(rng.uniform(*think))
    phone.close()
