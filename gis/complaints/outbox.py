"""Delivering the reporter notifications queued in ``notification_outbox``.

Requests only ever insert rows; this runs outside them (``sigkel outbox send``, e.g. from cron or a
systemd timer). Rows are claimed with ``FOR UPDATE SKIP LOCKED`` so two senders never send one twice;
a failed delivery is retried on the next run (``attempts``, ``last_error``), up to ``max_attempts``.
The contact is read from ``reporter`` at send time, so an anonymised reporter gets nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import smtplib
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote, urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Connection

__all__ = ["deliver_pending", "LogSender", "SmtpSender", "message_text"]

_STATUS = {
    "diterima": "diterima",
    "verifikasi": "sedang diverifikasi",
    "ditindaklanjuti": "sedang ditindaklanjuti",
    "selesai": "selesai ditangani",
    "ditolak": "ditolak",
    "bukan_wewenang": "bukan wewenang kelurahan",
}


def message_text(template: str, payload: dict) -> str:
    ticket = payload.get("ticket", "")
    if template == "diterima":
        return (
            f"Laporan Anda diterima dengan tiket {ticket}. Kode rahasia untuk sanggahan: "
            f"{payload.get('secret', '-')}. Cek status di /tiket/{ticket}."
        )
    if template == "merged":
        return f"Laporan {ticket} digabung dengan laporan yang sama, tiket {payload.get('into')}."
    status = template.removeprefix("status_")
    text = f"Status laporan {ticket}: {_STATUS.get(status, status)}."
    if payload.get("reason"):
        text += f" Alasan: {payload['reason']}"
    return text


class LogSender:
    """Appends messages as JSON lines to a file: for offices without e-mail or SMS gateways yet."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def send(self, to: str, channel: str, text: str) -> None:
        import os

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)  # it holds contacts
        with os.fdopen(fd, "a", encoding="utf-8") as handle:
            record = {"at": dt.datetime.now(dt.UTC).isoformat(), "to": to, "channel": channel, "text": text}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


class SmtpSender:
    """E-mail through an SMTP server: ``smtp://user:password@host:587/?from=lapor@kelurahan.go.id``."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port or 587
        self.user, self.password = unquote(parts.username or ""), unquote(parts.password or "")
        self.sender = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p).get("from", self.user)

    def send(self, to: str, channel: str, text: str) -> None:
        if channel != "email":
            raise RuntimeError("no SMS gateway configured")
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, "Laporan warga / SIG Kelurahan"
        message.set_content(text)
        with smtplib.SMTP(self.host, self.port, timeout=20) as smtp:
            smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password)
            smtp.send_message(message)


def deliver_pending(conn: Connection, sender, limit: int = 100, max_attempts: int = 5, commit=None) -> dict:
    """Send up to ``limit`` pending messages; returns counts of sent, failed and skipped.

    Each message is claimed, sent and marked on its own: pass ``commit`` (e.g. ``conn.commit``) so that
    a crash mid-batch re-sends at most the one message in flight, not every message already sent.
    """
    counts = {"sent": 0, "failed": 0, "skipped": 0}
    seen: list[int] = []  # a failed message is retried on the next run, not again in this one
    for _ in range(limit):
        row = conn.execute(
            sa.text("""SELECT o.id, o.template, o.payload, r.phone, r.email
                       FROM notification_outbox o LEFT JOIN reporter r ON r.id = o.reporter_id
                       WHERE o.sent_at IS NULL AND o.attempts < :max AND NOT (o.id = ANY(:seen))
                       ORDER BY o.created_at, o.id LIMIT 1 FOR UPDATE OF o SKIP LOCKED"""),
            {"max": max_attempts, "seen": seen},
        ).first()
        if row is None:
            break
        seen.append(row.id)
        counts[_deliver_one(conn, sender, row)] += 1
        if commit is not None:
            commit()
    return counts


def _deliver_one(conn: Connection, sender, row) -> str:
    to, channel = (row.email, "email") if row.email else (row.phone, "sms")
    if not to:  # reporter anonymised or removed since: nothing to send, ever
        conn.execute(
            sa.text(
                "UPDATE notification_outbox SET sent_at = now(), last_error = 'no contact' WHERE id = :i"
            ),
            {"i": row.id},
        )
        return "skipped"
    try:
        sender.send(to, channel, message_text(row.template, row.payload))
    except Exception as exc:  # noqa: BLE001 - any delivery failure is recorded and retried later
        conn.execute(
            sa.text("UPDATE notification_outbox SET attempts = attempts + 1, last_error = :e WHERE id = :i"),
            {"e": str(exc)[:500], "i": row.id},
        )
        return "failed"
    conn.execute(
        sa.text(
            "UPDATE notification_outbox SET attempts = attempts + 1, sent_at = now(), last_error = NULL "
            "WHERE id = :i"
        ),
        {"i": row.id},
    )
    return "sent"
