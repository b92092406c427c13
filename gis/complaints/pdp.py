"""The reporter's rights under UU 27/2022 (Pelindungan Data Pribadi): access, correction, erasure.

* :func:`subject_export` — everything held about one reporter (by ticket and secret code, or by an
  officer through the phone number or e-mail address): their identity, their complaints with exact
  places, descriptions and photos, the processing trail (every status change with who and when),
  every staff read of their identity from the audit log, and the notifications queued for them.
* :func:`correct` — change a reporter's name or contact on request (audited).
* :func:`purge` — after ``retention_days`` from closure, remove what identifies people: the
  reporter's name, phone and e-mail; phone numbers and e-mail addresses written in descriptions
  and notes; unsent notifications; and the exact point of complaints whose category is not an
  infrastructure fault (kept as the centre of its 100 m cell, so the statistics stay). Idempotent;
  each run is written to the audit log.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.auth import audit
from gis.complaints.privacy import public_point_sql
from gis.complaints.submit import _EMAIL, _PHONE, hash_secret
from gis.errors import DataError, NotFound

__all__ = ["subject_export", "correct", "purge", "scrub"]

_PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\+62|62|0)[ .-]?8[0-9 .-]{7,14}\d")
_EMAIL_IN_TEXT = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}\.[A-Za-z]{2,}")
REDACTED = "[dihapus]"


def scrub(text: str | None) -> str | None:
    """Text with Indonesian mobile numbers and e-mail addresses replaced by ``[dihapus]``."""
    if text is None:
        return None
    return _EMAIL_IN_TEXT.sub(REDACTED, _PHONE_IN_TEXT.sub(REDACTED, text))


def _reporter_ids(conn: Connection, ticket: str | None, secret: str | None, contact: str | None) -> list[int]:
    if ticket:
        row = conn.execute(
            sa.text(
                "SELECT r.id, c.secret_hash FROM complaint c JOIN reporter r ON r.complaint_id = c.id "
                "WHERE c.ticket = :t"
            ),
            {"t": ticket.strip().upper()},
        ).first()
        if row is None:
            raise NotFound(f"Tiket {ticket!r} tidak punya data pelapor / no reporter data for this ticket.")
        if secret is not None and hash_secret(secret) != row.secret_hash:
            raise DataError("Kode rahasia salah / the secret code does not match this ticket.")
        return [row.id]
    contact = (contact or "").strip()
    if not (_PHONE.match(contact) or _EMAIL.match(contact)):
        raise DataError("Give a ticket, or a phone number or e-mail address the reporter used.")
    digits = re.sub(r"\D", "", contact)
    ids = (
        conn.execute(
            sa.text("""SELECT id FROM reporter WHERE lower(email) = lower(:c)
                   OR (phone IS NOT NULL AND regexp_replace(phone, '\\D', '', 'g') = :d) ORDER BY id"""),
            {"c": contact, "d": digits},
        )
        .scalars()
        .all()
    )
    if not ids:
        raise NotFound("Tidak ada data pelapor dengan kontak itu / no reporter with that contact.")
    return list(ids)


def subject_export(
    conn: Connection,
    *,
    ticket: str | None = None,
    secret: str | None = None,
    contact: str | None = None,
    user_id: int | None = None,
    reason: str | None = None,
) -> dict:
    """Everything held about one reporter, as JSON-ready data; the export itself is audited."""
    ids = _reporter_ids(conn, ticket, secret, contact)
    reporters = [
        dict(r)
        for r in conn.execute(
            sa.text(
                "SELECT id, complaint_id, name, phone, email, anonymity, created_at, anonymised_at "
                "FROM reporter WHERE id = ANY(:i) ORDER BY id"
            ),
            {"i": ids},
        ).mappings()
    ]
    cids = [r["complaint_id"] for r in reporters]
    complaints = [
        dict(c)
        for c in conn.execute(
            sa.text("""SELECT c.id, c.ticket, c.category, c.description, c.status, c.status_reason,
                          c.created_at, c.resolved_at, c.confidential, c.rating, c.kelurahan_code,
                          c.rw_code, c.rt_code,
                          ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat, c.anonymised_at
                   FROM complaint c WHERE c.id = ANY(:i) ORDER BY c.id"""),
            {"i": cids},
        ).mappings()
    ]
    trail = [
        dict(e)
        for e in conn.execute(
            sa.text("""SELECT c.ticket, e.kind, e.status_from, e.status_to, e.note, e.public, e.created_at,
                          u.full_name AS by_staff
                   FROM complaint_event e JOIN complaint c ON c.id = e.complaint_id
                   LEFT JOIN app_user u ON u.id = e.user_id
                   WHERE e.complaint_id = ANY(:i) ORDER BY e.created_at, e.id"""),
            {"i": cids},
        ).mappings()
    ]
    photos = [
        dict(p)
        for p in conn.execute(
            sa.text("""SELECT c.ticket, p.stage, p.file, p.created_at FROM complaint_photo p
                   JOIN complaint c ON c.id = p.complaint_id WHERE p.complaint_id = ANY(:i) ORDER BY p.id"""),
            {"i": cids},
        ).mappings()
    ]
    reads = [
        dict(a)
        for a in conn.execute(
            sa.text("""SELECT a.at, a.action, u.username, u.full_name, a.object_id AS complaint_id, a.reason
                   FROM audit_log a LEFT JOIN app_user u ON u.id = a.user_id
                   WHERE a.object_type = 'complaint' AND a.object_id = ANY(:i) ORDER BY a.at"""),
            {"i": [str(c) for c in cids]},
        ).mappings()
    ]
    messages = [
        dict(m)
        for m in conn.execute(
            sa.text("""SELECT template, created_at, sent_at FROM notification_outbox
                   WHERE reporter_id = ANY(:i) ORDER BY id"""),
            {"i": ids},
        ).mappings()
    ]
    for cid in cids:
        audit(conn, user_id, "export_subject_data", "complaint", str(cid), reason or "permintaan pelapor")
    return json.loads(
        json.dumps(
            {
                "generated_at": dt.datetime.now(dt.UTC),
                "legal_basis": "UU 27/2022 tentang Pelindungan Data Pribadi: hak akses subjek data",
                "reporters": reporters,
                "complaints": complaints,
                "processing_trail": trail,
                "photos": photos,
                "identity_reads": reads,
                "notifications": messages,
            },
            default=str,
        )
    )


def correct(
    conn: Connection,
    ticket: str,
    user_id: int | None,
    reason: str,
    name: str | None = None,
    phone: str | None = None,
    email: str | None = None,
) -> dict:
    """Correct a reporter's identity on their request; what changed (not the values) is audited."""
    if not (reason or "").strip():
        raise DataError("Give the reason for the correction (the reporter's request).")
    changes = {
        k: v.strip() for k, v in {"name": name, "phone": phone, "email": email}.items() if v is not None
    }
    if not changes:
        raise DataError("Nothing to correct: give --name, --phone or --email.")
    if "phone" in changes and changes["phone"] and not _PHONE.match(changes["phone"]):
        raise DataError("phone: a phone number such as 0812… or +62812…")
    if "email" in changes and changes["email"] and not _EMAIL.match(changes["email"]):
        raise DataError("email: an e-mail address")
    [rid] = _reporter_ids(conn, ticket, None, None)
    sets = ", ".join(f"{k} = :{k}" for k in changes)
    conn.execute(
        sa.text(f"UPDATE reporter SET {sets} WHERE id = :id"),
        {**{k: (v or None) for k, v in changes.items()}, "id": rid},
    )
    cid = conn.execute(sa.text("SELECT complaint_id FROM reporter WHERE id = :i"), {"i": rid}).scalar()
    audit(
        conn,
        user_id,
        "correct_subject_data",
        "complaint",
        str(cid),
        reason.strip(),
        {"fields": sorted(changes)},
    )
    return {"ticket": ticket, "corrected": sorted(changes)}


def purge(
    conn: Connection, retention_days: int, now: dt.datetime | None = None, dry_run: bool = False
) -> dict:
    """Remove personal details of complaints closed more than ``retention_days`` ago."""
    now = now or dt.datetime.now(dt.UTC)
    cutoff = now - dt.timedelta(days=retention_days)
    due = (
        conn.execute(
            sa.text("""SELECT id FROM complaint WHERE anonymised_at IS NULL AND resolved_at IS NOT NULL
                   AND resolved_at < :cutoff AND status IN ('selesai', 'ditolak', 'bukan_wewenang')
                   ORDER BY id"""),
            {"cutoff": cutoff},
        )
        .scalars()
        .all()
    )
    result = {"complaints": len(due), "cutoff": cutoff.isoformat(), "dry_run": dry_run}
    if dry_run or not due:
        return result
    ids = list(due)
    result["reporters"] = conn.execute(
        sa.text(
            "UPDATE reporter SET name = NULL, phone = NULL, email = NULL, anonymised_at = :now "
            "WHERE complaint_id = ANY(:i)"
        ),
        {"i": ids, "now": now},
    ).rowcount
    result["notifications"] = conn.execute(
        sa.text("DELETE FROM notification_outbox WHERE complaint_id = ANY(:i) AND sent_at IS NULL"),
        {"i": ids},
    ).rowcount
    for row in conn.execute(
        sa.text("SELECT id, description FROM complaint WHERE id = ANY(:i)"), {"i": ids}
    ).all():
        clean = scrub(row.description)
        if clean != row.description:
            conn.execute(
                sa.text("UPDATE complaint SET description = :d WHERE id = :i"), {"d": clean, "i": row.id}
            )
    # the exact point of complaints near homes becomes the centre of its 100 m cell
    cell = public_point_sql("c.geom", "'grid'", "true", "NULL")
    result["points_generalised"] = conn.execute(
        sa.text(f"""UPDATE complaint c SET geom = {cell}, anonymised_at = :now FROM complaint_category cat
                    WHERE cat.code = c.category AND c.id = ANY(:i) AND cat.privacy <> 'exact'"""),
        {"i": ids, "now": now},
    ).rowcount
    conn.execute(
        sa.text("UPDATE complaint SET anonymised_at = :now WHERE id = ANY(:i) AND anonymised_at IS NULL"),
        {"i": ids, "now": now},
    )
    audit(
        conn,
        None,
        "privacy_purge",
        "complaint",
        None,
        f"retensi {retention_days} hari",
        {k: v for k, v in result.items() if k != "dry_run"},
    )
    return result
