"""Open311 POST requests and tokens: idempotency keys, the POST answer and a POSTed media_url."""

from __future__ import annotations

import datetime as dt
import re
import secrets

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.complaints.open311.params import BadRequest
from gis.complaints.open311.requests import service_notice
from gis.complaints.submit import KEY_PATTERN
from gis.errors import NotFound

__all__ = ["submission_key", "token_request", "post_response", "check_media_url", "note_media_url"]

_MAX_MEDIA_URL = 2000


def submission_key(api_key_id: int, client_key: str | None) -> str:
    """The idempotency key stored for an Open311 POST (and returned as its ``token``).

    Keys are namespaced by API key, so two clients can never collide on (or replay) each other's
    keys. Without ``idempotency_key`` a random one is made: that POST is then not retry-safe.
    """
    prefix = f"o311:{api_key_id}:"
    client_key = (client_key or "").strip() or secrets.token_urlsafe(24)
    key = prefix + client_key
    if not KEY_PATTERN.match(client_key) or not KEY_PATTERN.match(key):
        raise BadRequest(
            f"idempotency_key harus 8–{128 - len(prefix)} karakter A–Z, a–z, 0–9, _ . : - / "
            f"idempotency_key must be 8–{128 - len(prefix)} characters of A–Z, a–z, 0–9, _ . : -"
        )
    return key


def token_request(conn: Connection, token: str) -> list[dict]:
    """GET tokens/{token}: the ticket an Open311 submission created, or :class:`NotFound`."""
    row = conn.execute(
        sa.text("""SELECT s.key, c.ticket FROM submission s JOIN complaint c ON c.id = s.complaint_id
                   WHERE s.key = :k AND s.kind = 'open311'"""),
        {"k": (token or "")[:200]},
    ).first()
    if row is None:
        raise NotFound("token tidak ditemukan / token not found.")
    return [{"service_request_id": row.ticket, "token": row.key}]


def post_response(conn: Connection, answer: dict, key: str, lang: str = "id") -> dict:
    """The POST answer for ``submit_report``'s ``answer``: ticket, token (the key) and the SLA notice."""
    sla_days = conn.execute(
        sa.text("SELECT sla_days FROM complaint_category WHERE code = :c"), {"c": answer["category"]}
    ).scalar_one()
    due = dt.datetime.fromisoformat(answer["sla_due"]) if answer.get("sla_due") else None
    return {
        "service_request_id": answer["ticket"],
        "token": key,
        "service_notice": service_notice(sla_days, due, lang),
        "account_id": None,
    }


def check_media_url(url: str | None) -> str | None:
    """A POSTed media_url, if it is an http(s) URL (never fetched); 400 otherwise."""
    url = (url or "").strip()
    if not url:
        return None
    if len(url) > _MAX_MEDIA_URL or not re.match(r"^https?://[^\s/?#]+[^\s]*$", url):
        raise BadRequest("media_url harus URL http(s) / media_url must be an http(s) URL.")
    return url


def note_media_url(conn: Connection, ticket: str, url: str) -> None:
    """Keep a POSTed media_url as a private staff note: we never download it."""
    conn.execute(
        sa.text("""INSERT INTO complaint_event (complaint_id, kind, note, public)
                   SELECT id, 'note', :note, false FROM complaint WHERE ticket = :t"""),
        {"t": ticket, "note": f"Open311 media_url (tidak diunduh / not fetched): {url}"},
    )
