"""Open311 API keys: created, checked, listed and disabled.

Keys are stored as the SHA-256 of the key; the plain key is shown once, when created.
"""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.errors import DataError, Forbidden, NotFound

__all__ = ["create_api_key", "new_api_key", "check_api_key", "list_api_keys", "disable_api_key"]

_KEY_PREFIX = "sk311_"


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.strip().encode()).hexdigest()


def new_api_key(conn: Connection, name: str) -> tuple[int, str]:
    """Create a key for ``name``; returns ``(id, key)``. Only the key's hash is stored."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise DataError("Nama kunci API wajib diisi, paling banyak 200 karakter / name the API key (≤ 200).")
    key = _KEY_PREFIX + secrets.token_urlsafe(32)
    key_id = conn.execute(
        sa.text("INSERT INTO api_key (name, key_hash) VALUES (:n, :h) RETURNING id"),
        {"n": name, "h": _hash_key(key)},
    ).scalar_one()
    return key_id, key


def create_api_key(conn: Connection, name: str) -> str:
    """Create a key for ``name`` and return it in plain text: the only time anyone sees it."""
    return new_api_key(conn, name)[1]


def check_api_key(conn: Connection, key: str | None) -> int:
    """The id of the active key ``key`` (its last use recorded), or :class:`Forbidden` (HTTP 403)."""
    if not key or not key.strip():
        raise Forbidden(
            "api_key tidak dikirim / api_key missing: POST requests need an api_key form field.",
            hint="Ask the kelurahan for a key (sigkel apikey add NAME).",
        )
    key_id = conn.execute(
        sa.text("UPDATE api_key SET last_used_at = now() WHERE key_hash = :h AND active RETURNING id"),
        {"h": _hash_key(key)},
    ).scalar()
    if key_id is None:
        raise Forbidden("api_key tidak sah / invalid api_key received: it is unknown or disabled.")
    return key_id


def list_api_keys(conn: Connection) -> list[dict]:
    """Every key (never its hash): id, name, active, created_at, last_used_at."""
    rows = conn.execute(
        sa.text("SELECT id, name, active, created_at, last_used_at FROM api_key ORDER BY id")
    ).mappings()
    return [dict(r) for r in rows]


def disable_api_key(conn: Connection, key_id: int) -> dict:
    """Disable key ``key_id`` (idempotent); :class:`NotFound` when there is no such key."""
    row = (
        conn.execute(
            sa.text("UPDATE api_key SET active = false WHERE id = :i RETURNING id, name, active"),
            {"i": key_id},
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"Tidak ada kunci API #{key_id} / no API key #{key_id}.", hint="sigkel apikey list")
    return dict(row)
