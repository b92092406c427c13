"""The notification outbox: delivered outside requests, once, retried on failure."""

from __future__ import annotations

import json

import sqlalchemy as sa

from gis.complaints import submit
from gis.complaints.outbox import LogSender, deliver_pending, message_text


class Failing:
    def send(self, to, channel, text):
        raise ConnectionError("gateway down")


def test_outbox_delivers_once_and_retries_failures(conn, make_report, calendar, tmp_path):
    conn.execute(sa.text("UPDATE notification_outbox SET sent_at = now() WHERE sent_at IS NULL"))
    answer = submit.submit_report(conn, make_report(contact="warga@example.org"), calendar, tmp_path)
    assert deliver_pending(conn, Failing()) == {"sent": 0, "failed": 1, "skipped": 0}
    error = conn.execute(
        sa.text("SELECT attempts, last_error FROM notification_outbox WHERE sent_at IS NULL")
    ).one()
    assert error == (1, "gateway down")
    log = tmp_path / "out" / "messages.jsonl"
    assert deliver_pending(conn, LogSender(log)) == {"sent": 1, "failed": 0, "skipped": 0}
    assert deliver_pending(conn, LogSender(log)) == {"sent": 0, "failed": 0, "skipped": 0}
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(lines) == 1 and lines[0]["to"] == "warga@example.org" and answer["ticket"] in lines[0]["text"]
    assert log.stat().st_mode & 0o777 == 0o600


def test_message_texts_are_indonesian():
    assert "ditolak" in message_text("status_ditolak", {"ticket": "LP-1", "reason": "x"})
    assert "Kode rahasia" in message_text("diterima", {"ticket": "LP-1", "secret": "ABC"})
