"""Staff accounts: argon2id passwords, server-side sessions, per-account login throttling, scopes.

Sessions live in ``user_session``; the browser holds only a random token whose SHA-256 is the row's
key, so a database dump gives no usable cookie. Logging out or an admin's revoke sets ``revoked_at``
and the session stops working on the next request. Each user has one role (admin, staff, planner)
and one or more kelurahan; every query for complaints is scoped to them.

Failed logins are throttled *per account* (``login_max_failures`` per window) and only very loosely
per IP (``login_ip_max_failures``), because many phones share one carrier IP address.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.errors import DataError, Forbidden, NotAuthenticated, NotFound, RateLimited

__all__ = [
    "User",
    "hash_password",
    "verify_password",
    "add_user",
    "list_users",
    "set_active",
    "login",
    "session_user",
    "logout",
    "revoke_sessions",
    "list_sessions",
    "session_owner",
    "audit",
    "check_scope",
    "ROLES",
    "DataError",
    "NotAuthenticated",
    "RateLimited",
]

ROLES = ("admin", "staff", "planner")
MIN_PASSWORD = 10


def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()  # argon2id, RFC 9106 low-memory profile


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        return _hasher().verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# a valid argon2id hash of a random password: unknown usernames cost the same time as wrong passwords
_DUMMY_HASH = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_hex(16))
    return _DUMMY_HASH


@dataclass(frozen=True)
class User:
    id: int
    username: str
    full_name: str
    role: str
    kelurahan: tuple[str, ...]
    session_id: str | None = None
    csrf_token: str | None = None

    @property
    def sees_personal_data(self) -> bool:
        """Planners never see reporters or exact locations."""
        return self.role in ("admin", "staff")


def add_user(
    conn: Connection, username: str, full_name: str, password: str, role: str, kelurahan: list[str]
) -> int:
    """Create a user; say exactly what is wrong with any argument."""
    username = (username or "").strip().lower()
    import re

    if not re.fullmatch(r"[a-z0-9._-]{3,64}", username):
        raise DataError("username: 3–64 characters of a–z, 0–9, '.', '_' or '-'.")
    if role not in ROLES:
        raise DataError(f"role must be one of {', '.join(ROLES)}, not {role!r}.")
    if len(password or "") < MIN_PASSWORD:
        raise DataError(
            f"password: at least {MIN_PASSWORD} characters / kata sandi minimal {MIN_PASSWORD} karakter."
        )
    if not kelurahan:
        raise DataError("Give at least one kelurahan code (--kelurahan 31.71.05.1001).")
    known = set(
        conn.execute(
            sa.text("SELECT code FROM kelurahan WHERE code = ANY(:c)"), {"c": list(kelurahan)}
        ).scalars()
    )
    unknown = sorted(set(kelurahan) - known)
    if unknown:
        raise DataError(f"Unknown kelurahan code(s): {', '.join(unknown)}.", hint="sigkel export kelurahan")
    if conn.execute(sa.text("SELECT 1 FROM app_user WHERE username = :u"), {"u": username}).first():
        raise DataError(f"User {username!r} already exists.")
    user_id = conn.execute(
        sa.text("""INSERT INTO app_user (username, full_name, password_hash, role)
                   VALUES (:u, :n, :h, :r) RETURNING id"""),
        {"u": username, "n": (full_name or username).strip(), "h": hash_password(password), "r": role},
    ).scalar_one()
    conn.execute(
        sa.text(
            "INSERT INTO app_user_kelurahan (user_id, kelurahan_code) SELECT :i, unnest(CAST(:c AS text[]))"
        ),
        {"i": user_id, "c": sorted(set(kelurahan))},
    )
    return user_id


def list_users(conn: Connection) -> list[dict]:
    rows = conn.execute(
        sa.text("""SELECT u.id, u.username, u.full_name, u.role, u.active, u.created_at,
                          array_agg(k.kelurahan_code ORDER BY k.kelurahan_code) AS kelurahan,
                          (SELECT count(*) FROM user_session s WHERE s.user_id = u.id AND s.revoked_at IS NULL
                             AND s.expires_at > now()) AS sessions
                   FROM app_user u LEFT JOIN app_user_kelurahan k ON k.user_id = u.id
                   GROUP BY u.id ORDER BY u.username""")
    ).mappings()
    return [dict(r) for r in rows]


def set_active(conn: Connection, username: str, active: bool) -> None:
    user_id = conn.execute(
        sa.text("UPDATE app_user SET active = :a WHERE username = :u RETURNING id"),
        {"a": active, "u": username},
    ).scalar()
    if user_id is None:
        raise NotFound(f"No user {username!r}.", hint="sigkel users list")
    if not active:
        revoke_sessions(conn, user_id)


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login(
    conn: Connection,
    username: str,
    password: str,
    ip: str | None,
    user_agent: str | None,
    *,
    session_hours: float = 12.0,
    max_failures: int = 5,
    ip_max_failures: int = 200,
    window_minutes: int = 15,
) -> tuple[str, User]:
    """Check a password and open a session; returns (cookie token, user).

    Raises :class:`RateLimited` when the account (or, far more loosely, the IP) had too many recent
    failures, and :class:`NotAuthenticated` with the same message for unknown users and wrong passwords.
    """
    username = (username or "").strip().lower()[:64]
    window = dt.timedelta(minutes=window_minutes)
    # one login attempt per account at a time: concurrent guesses cannot all pass the count below
    conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('login:' || :u))"), {"u": username})
    counts = conn.execute(
        sa.text("""
            WITH last_ok AS (SELECT coalesce(max(at), '-infinity') AS ok_at FROM login_attempt
                             WHERE username = :u AND success),
                 fails AS (SELECT a.at FROM login_attempt a, last_ok
                           WHERE a.username = :u AND NOT a.success AND a.at > now() - :w
                             AND a.at > last_ok.ok_at)
            SELECT (SELECT count(*) FROM fails) AS account,
                   (SELECT count(*) FROM login_attempt
                    WHERE ip = :ip AND NOT success AND at > now() - :w) AS by_ip,
                   (SELECT min(at) FROM (SELECT at FROM fails ORDER BY at DESC LIMIT :n) x) AS oldest"""),
        {"u": username, "ip": ip, "w": window, "n": max_failures},
    ).first()
    if counts.account >= max_failures or counts.by_ip >= ip_max_failures:
        wait = window_minutes * 60
        if counts.account >= max_failures and counts.oldest is not None:
            wait = int((counts.oldest + window - dt.datetime.now(dt.UTC)).total_seconds()) + 1
        raise RateLimited(
            f"Terlalu banyak percobaan masuk; coba lagi dalam {max(1, wait // 60)} menit / too many failed "
            "logins: try again later.",
            retry_after=wait,
        )
    row = conn.execute(
        sa.text(
            "SELECT id, username, full_name, role, password_hash, active FROM app_user WHERE username = :u"
        ),
        {"u": username},
    ).first()
    ok = verify_password(row.password_hash if row else _dummy_hash(), password or "")
    ok = ok and row is not None and row.active
    conn.execute(
        sa.text("INSERT INTO login_attempt (username, ip, success) VALUES (:u, :ip, :ok)"),
        {"u": username, "ip": ip, "ok": ok},
    )
    if not ok:
        raise NotAuthenticated("Nama pengguna atau kata sandi salah / wrong username or password.")
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    conn.execute(
        sa.text("""INSERT INTO user_session (id, user_id, csrf_token, expires_at, ip, user_agent)
                   VALUES (:id, :u, :csrf, now() + :life, :ip, :ua)"""),
        {
            "id": _token_id(token),
            "u": row.id,
            "csrf": csrf,
            "life": dt.timedelta(hours=session_hours),
            "ip": ip,
            "ua": (user_agent or "")[:300],
        },
    )
    audit(conn, row.id, "login", "app_user", str(row.id))
    return token, session_user(conn, token)


def session_user(conn: Connection, token: str | None) -> User | None:
    """The user of a live session token, or None (expired, revoked, unknown or disabled)."""
    if not token or len(token) > 200:
        return None
    row = conn.execute(
        sa.text("""SELECT u.id, u.username, u.full_name, u.role, s.id AS sid, s.csrf_token,
                          s.last_seen_at < now() - interval '1 minute' AS stale,
                          ARRAY(SELECT kelurahan_code FROM app_user_kelurahan k WHERE k.user_id = u.id
                                ORDER BY 1) AS kelurahan
                   FROM user_session s JOIN app_user u ON u.id = s.user_id
                   WHERE s.id = :id AND s.revoked_at IS NULL AND s.expires_at > now() AND u.active"""),
        {"id": _token_id(token)},
    ).first()
    if row is None:
        return None
    if row.stale:
        conn.execute(sa.text("UPDATE user_session SET last_seen_at = now() WHERE id = :id"), {"id": row.sid})
    return User(row.id, row.username, row.full_name, row.role, tuple(row.kelurahan), row.sid, row.csrf_token)


def logout(conn: Connection, token: str | None) -> None:
    if token:
        conn.execute(
            sa.text("UPDATE user_session SET revoked_at = now() WHERE id = :id AND revoked_at IS NULL"),
            {"id": _token_id(token)},
        )


def revoke_sessions(conn: Connection, user_id: int, session_id: str | None = None) -> int:
    """Revoke one session (by id) or every session of a user; returns how many."""
    where = "user_id = :u" + (" AND id = :s" if session_id else "")
    return conn.execute(
        sa.text(f"UPDATE user_session SET revoked_at = now() WHERE {where} AND revoked_at IS NULL"),
        {"u": user_id, "s": session_id},
    ).rowcount


def list_sessions(conn: Connection, kelurahan: tuple[str, ...]) -> list[dict]:
    """Live sessions of users who share a kelurahan with the caller (for an admin)."""
    rows = conn.execute(
        sa.text("""SELECT s.id, u.username, u.role, s.created_at, s.last_seen_at, s.ip, s.user_agent
                   FROM user_session s JOIN app_user u ON u.id = s.user_id
                   WHERE s.revoked_at IS NULL AND s.expires_at > now() AND EXISTS (
                       SELECT 1 FROM app_user_kelurahan k WHERE k.user_id = u.id
                       AND k.kelurahan_code = ANY(:kel))
                   ORDER BY s.last_seen_at DESC"""),
        {"kel": list(kelurahan)},
    ).mappings()
    return [dict(r) for r in rows]


def session_owner(conn: Connection, session_id: str, kelurahan: tuple[str, ...]) -> int:
    """The user of a live or past session, if that user shares a kelurahan with the caller."""
    owner = conn.execute(
        sa.text("""SELECT s.user_id FROM user_session s WHERE s.id = :s AND EXISTS (
                   SELECT 1 FROM app_user_kelurahan k
                   WHERE k.user_id = s.user_id AND k.kelurahan_code = ANY(:k))"""),
        {"s": session_id, "k": list(kelurahan)},
    ).scalar()
    if owner is None:
        raise NotFound("Sesi tidak ditemukan / no such session.")
    return owner


def audit(
    conn: Connection,
    user_id: int | None,
    action: str,
    object_type: str,
    object_id: str | None,
    reason: str | None = None,
    detail: dict | None = None,
) -> None:
    import json

    conn.execute(
        sa.text("""INSERT INTO audit_log (user_id, action, object_type, object_id, reason, detail)
                   VALUES (:u, :a, :t, :o, :r, CAST(:d AS jsonb))"""),
        {
            "u": user_id,
            "a": action,
            "t": object_type,
            "o": object_id,
            "r": reason,
            "d": json.dumps(detail or {}),
        },
    )


def check_scope(user: User, kelurahan_code: str | None, roles: tuple[str, ...] = ROLES) -> None:
    """Raise Forbidden unless the user's role is in ``roles`` and the object is in their kelurahan."""
    if user.role not in roles:
        raise Forbidden("Peran Anda tidak mengizinkan tindakan ini / your role does not allow this.")
    if kelurahan_code is not None and kelurahan_code not in user.kelurahan:
        raise NotFound("Tidak ditemukan / not found.")  # 404, not 403: do not confirm it exists
