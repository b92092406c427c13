"""Residents' submissions: a complaint stored exactly once per idempotency key, "me too" support,
and the "is it one of these?" search for open complaints nearby.

A submission is idempotent: the client's key is inserted into ``submission`` (primary key) in the
same transaction as the complaint. A retry with the same key and the same payload gets the first
answer back; the same key with another payload is refused (422). Two racing requests with one key
serialise on the primary key: the loser rolls its savepoint back and answers with the winner's row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.complaints.photos import Photo, store_photo
from gis.complaints.privacy import public_point_sql
from gis.complaints.sla import WorkCalendar
from gis.crs import check_lonlat
from gis.errors import DataError, NotFound

__all__ = [
    "Report",
    "submit_report",
    "support",
    "similar_open",
    "new_ticket",
    "hash_secret",
    "payload_hash",
    "KEY_PATTERN",
    "OPEN_STATUSES",
]

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{8,128}$")
OPEN_STATUSES = ("diterima", "verifikasi", "ditindaklanjuti")
ANONYMITY = ("publik_tanpa_nama", "rahasia")
MAX_PHOTOS = 3
MAX_DESCRIPTION = 4000
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U: read out over the phone safely
_PHONE = re.compile(r"^\+?[0-9][0-9 .-]{6,18}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,}$")


@dataclass
class Report:
    """One resident's report as submitted (before validation)."""

    key: str
    category: str
    description: str
    lon: float | None = None
    lat: float | None = None
    accuracy_m: float | None = None
    location_source: str = "gps"  # gps | pin | rt
    rt_code: str | None = None
    name: str | None = None
    contact: str | None = None
    anonymity: str = "publik_tanpa_nama"
    photos: list[Photo] = field(default_factory=list)
    photo_digests: list[str] = field(default_factory=list)  # sha256 of the raw uploads, for the key
    source: str = "web"
    kind: str = "report"


def new_ticket(prefix: str = "LP") -> str:
    """A ticket code such as ``LP-7KQ2-M9XD``: 40 bits, unambiguous characters, easy to dictate."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"{prefix}-{chars[:4]}-{chars[4:]}"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.strip().upper().encode()).hexdigest()


def payload_hash(report: Report) -> str:
    """What makes two submissions "the same": every field the resident chose, photos by content."""
    body = {
        "category": report.category,
        "description": report.description,
        "lon": None if report.lon is None else round(report.lon, 7),
        "lat": None if report.lat is None else round(report.lat, 7),
        "accuracy_m": report.accuracy_m,
        "location_source": report.location_source,
        "rt_code": report.rt_code,
        "name": report.name,
        "contact": report.contact,
        "anonymity": report.anonymity,
        "photos": list(report.photo_digests),
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _clean(report: Report) -> Report:
    """Normalise and validate; every message says which field and how to fix it."""
    problems = []
    if not KEY_PATTERN.match(report.key or ""):
        problems.append("kunci (idempotency key) must be 8–128 characters of A–Z, a–z, 0–9, _ . : -")
    elif report.key.startswith("o311:") and report.kind != "open311":
        problems.append("kunci: the prefix o311: is reserved for Open311 clients")
    report.category = (report.category or "").strip()
    report.description = (report.description or "").strip()
    if not report.category:
        problems.append("kategori: choose a category / pilih kategori")
    if not report.description:
        problems.append("uraian: describe the problem / tuliskan uraian masalah")
    elif len(report.description) > MAX_DESCRIPTION:
        problems.append(
            f"uraian: at most {MAX_DESCRIPTION} characters / paling banyak {MAX_DESCRIPTION} karakter"
        )
    if report.anonymity not in ANONYMITY:
        problems.append("anonimitas: must be publik_tanpa_nama or rahasia")
    if report.location_source not in ("gps", "pin", "rt"):
        problems.append("lokasi_sumber: must be gps, pin or rt")
    if report.location_source == "rt":
        if not report.rt_code:
            problems.append("rt: choose your RT / pilih RT")
    elif report.lon is None or report.lat is None:
        problems.append("lokasi: give lat and lon (GPS or the pin), or choose an RT / tentukan lokasi")
    else:
        try:
            check_lonlat(report.lon, report.lat, "lokasi")
        except DataError as exc:
            problems.append(exc.message)
    if report.accuracy_m is not None and not (0 <= report.accuracy_m < 1e6):
        problems.append("akurasi: GPS accuracy must be metres >= 0")
    if len(report.photos) > MAX_PHOTOS:
        problems.append(f"foto: at most {MAX_PHOTOS} photos / paling banyak {MAX_PHOTOS} foto")
    report.name = (report.name or "").strip()[:200] or None
    report.contact = (report.contact or "").strip()[:200] or None
    if report.contact and not (_PHONE.match(report.contact) or _EMAIL.match(report.contact)):
        problems.append("kontak: a phone number (08…, +62…) or an e-mail address / nomor HP atau e-mail")
    if problems:
        raise DataError("Laporan belum lengkap / the report is incomplete: " + "; ".join(problems) + ".")
    return report


def _existing(conn: Connection, key: str, digest: str) -> dict | None:
    row = conn.execute(
        sa.text("SELECT payload_hash, response FROM submission WHERE key = :k"), {"k": key}
    ).first()
    if row is None:
        return None
    if row.payload_hash != digest:
        raise DataError(
            "Kunci pengiriman ini sudah dipakai untuk laporan lain / this idempotency key was already "
            "used for a different report.",
            hint="Generate a new key for a new report; resend the same key only with the same content.",
        )
    return {**row.response, "replayed": True}


def submit_report(
    conn: Connection, report: Report, calendar: WorkCalendar, photo_root, now: dt.datetime | None = None
) -> dict:
    """Store one report exactly once; returns the answer for the resident (same on every retry).

    The answer holds the ticket code and the secret code that lets the reporter dispute a closure
    later (a retry returns it again, since the client may never have seen the first answer).

    The idempotency key is claimed *first* (``INSERT … ON CONFLICT DO NOTHING``; its foreign key to
    the complaint is checked at commit): a concurrent request with the same key waits there for the
    first one to finish and then answers with its row, so nothing is written twice and no savepoint
    is needed. The complaint is then written once, its public point computed in the same INSERT.
    """
    report = _clean(report)
    digest = payload_hash(report)
    # a retry is answered from what was stored, before any check against reference data that may have
    # changed since (a moved boundary must not turn an acknowledged report into a refused one)
    replay = _existing(conn, report.key, digest)
    if replay is not None:
        return replay
    lon, lat = _location(conn, report)
    place = conn.execute(
        sa.text("""
        WITH p AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS g)
        SELECT nextval(pg_get_serial_sequence('complaint', 'id')) AS id, cat.sla_days,
               (SELECT code FROM kelurahan k WHERE ST_Covers(k.geom, p.g) ORDER BY code LIMIT 1) AS kel,
               (SELECT code FROM rw WHERE ST_Covers(rw.geom, p.g) ORDER BY code LIMIT 1) AS rw,
               (SELECT code FROM rt WHERE ST_Covers(rt.geom, p.g) ORDER BY code LIMIT 1) AS rt
        FROM p LEFT JOIN complaint_category cat ON cat.code = :cat"""),
        {"lon": lon, "lat": lat, "cat": report.category},
    ).one()
    if place.sla_days is None:
        raise DataError(
            f"kategori {report.category!r} tidak dikenal / unknown category.",
            hint="GET /api/laporan/kategori lists the categories.",
        )
    if place.kel is None:
        raise DataError(
            f"Lokasi ({lat:.6f}, {lon:.6f}) di luar wilayah layanan / the location is outside the "
            "kelurahan this system serves.",
            hint="Move the pin inside the kelurahan, or report to the kelurahan where the problem is.",
        )
    rw_code = place.rw if place.rw and place.rw.startswith(place.kel) else None
    rt_code = place.rt if place.rt and rw_code and place.rt.startswith(rw_code) else None
    now = now or dt.datetime.now(dt.UTC)
    due = calendar.due(now, place.sla_days)
    secret = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    response = {
        "ticket": new_ticket(),
        "status": "diterima",
        "category": report.category,
        "kelurahan_code": place.kel,
        "rw_code": rw_code,
        "rt_code": rt_code,
        "created_at": now.isoformat(),
        "sla_due": due.isoformat(),
        "secret": secret,
        "photos": len(report.photos),
    }
    claimed = conn.execute(
        sa.text("""INSERT INTO submission (key, kind, payload_hash, complaint_id, response)
                   VALUES (:k, :kind, :h, :id, CAST(:r AS jsonb))
                   ON CONFLICT (key) DO NOTHING RETURNING key"""),
        {"k": report.key, "kind": report.kind, "h": digest, "id": place.id, "r": json.dumps(response)},
    ).first()
    if claimed is None:  # stored before (or just now, by a concurrent retry that has committed)
        replay = _existing(conn, report.key, digest)
        if replay is None:  # pragma: no cover - the row that conflicted cannot vanish under us
            raise DataError("Kunci pengiriman bentrok; kirim ulang / key conflict: please resend.")
        return replay
    for photo in report.photos:
        store_photo(photo_root, photo)  # content-addressed: a rolled-back attempt leaves a reusable file
    ticket = _insert(
        conn, place.id, response["ticket"], report, place.kel, rw_code, rt_code, lon, lat, now, due, secret
    )
    if ticket != response["ticket"]:  # a 40-bit ticket collided: keep the stored answer true
        response["ticket"] = ticket
        conn.execute(
            sa.text("UPDATE submission SET response = CAST(:r AS jsonb) WHERE key = :k"),
            {"r": json.dumps(response), "k": report.key},
        )
    return {**response, "replayed": False}


def _location(conn: Connection, report: Report) -> tuple[float, float]:
    if report.location_source != "rt":
        return report.lon, report.lat
    row = conn.execute(
        sa.text(
            "SELECT ST_X(p) AS lon, ST_Y(p) AS lat FROM (SELECT ST_PointOnSurface(geom) p FROM rt "
            "WHERE code = :c) x"
        ),
        {"c": report.rt_code},
    ).first()
    if row is None:
        raise DataError(
            f"RT {report.rt_code!r} tidak dikenal / unknown RT.", hint="GET /api/layers/rt.geojson"
        )
    return row.lon, row.lat


_PUBLIC_POINT = public_point_sql(
    "p.g",
    "cat.privacy",
    "(cat.public AND NOT :confidential)",
    "(SELECT ST_PointOnSurface(rt.geom) FROM rt WHERE rt.code = :rt)",
)


def _insert(conn, complaint_id, ticket, report, kel, rw_code, rt_code, lon, lat, now, due, secret) -> str:
    """Write the complaint (one row write, public point included) and what belongs to it."""
    params = {
        "id": complaint_id,
        "cat": report.category,
        "descr": report.description,
        "kel": kel,
        "rw": rw_code,
        "rt": rt_code,
        "now": now,
        "due": due,
        "source": report.source,
        "confidential": report.anonymity == "rahasia",
        "secret": hash_secret(secret),
        "lon": lon,
        "lat": lat,
    }
    for _ in range(8):  # 40-bit tickets: a collision is rare; draw again instead of failing
        inserted = conn.execute(
            sa.text(f"""
            INSERT INTO complaint (id, ticket, category, description, status, kelurahan_code, rw_code,
                                   rt_code, created_at, updated_at, sla_due, source, source_id, confidential,
                                   secret_hash, geom, geom_public)
            SELECT :id, :ticket, :cat, :descr, 'diterima', :kel, :rw, :rt, :now, :now, :due, :source, :ticket,
                   :confidential, :secret, p.g, {_PUBLIC_POINT}
            FROM complaint_category cat, (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS g) p
            WHERE cat.code = :cat
            ON CONFLICT (ticket) DO NOTHING RETURNING id"""),
            {**params, "ticket": ticket},
        ).first()
        if inserted is not None:
            break
        ticket = new_ticket()
    else:  # pragma: no cover - 8 collisions in a row mean the ticket space is exhausted
        raise DataError("Tidak dapat membuat kode tiket; coba lagi / could not allocate a ticket.")
    reporter_id = None
    if report.name or report.contact or report.anonymity == "rahasia":
        phone = report.contact if report.contact and _PHONE.match(report.contact) else None
        email = report.contact if report.contact and not phone else None
        reporter_id = conn.execute(
            sa.text("""INSERT INTO reporter (complaint_id, name, phone, email, anonymity)
                       VALUES (:id, :name, :phone, :email, :anon) RETURNING id"""),
            {
                "id": complaint_id,
                "name": report.name,
                "phone": phone,
                "email": email,
                "anon": report.anonymity,
            },
        ).scalar_one()
    conn.execute(
        sa.text("""INSERT INTO complaint_event (complaint_id, kind, status_to, note, public, created_at)
                   VALUES (:id, 'status', 'diterima', :note, true, :now)"""),
        {"id": complaint_id, "note": "Laporan diterima / report received", "now": now},
    )
    if report.photos:
        conn.execute(
            sa.text("""INSERT INTO complaint_photo (complaint_id, stage, file, media_type, width, height,
                                                    bytes, public, created_at)
                       VALUES (:id, 'sebelum', :file, :mt, :w, :h, :b, :public, :now)"""),
            [
                {
                    "id": complaint_id,
                    "file": photo.file,
                    "mt": photo.media_type,
                    "w": photo.width,
                    "h": photo.height,
                    "b": len(photo.data),
                    "public": report.anonymity != "rahasia",
                    "now": now,
                }
                for photo in report.photos
            ],
        )
    if reporter_id is not None and report.contact:
        conn.execute(
            sa.text("""INSERT INTO notification_outbox (complaint_id, reporter_id, template, payload)
                       VALUES (:id, :rid, 'diterima', CAST(:p AS jsonb))"""),
            {"id": complaint_id, "rid": reporter_id, "p": json.dumps({"ticket": ticket, "secret": secret})},
        )
    return ticket


def support(conn: Connection, ticket: str, key: str) -> dict:
    """A resident's "me too" on an open public complaint: one more supporter, once per key."""
    if not KEY_PATTERN.match(key or ""):
        raise DataError("kunci (idempotency key) must be 8–128 characters of A–Z, a–z, 0–9, _ . : -")
    digest = hashlib.sha256(f"support:{ticket}".encode()).hexdigest()
    replay = _existing(conn, key, digest)
    if replay is not None:
        return replay
    row = conn.execute(
        sa.text("""SELECT c.id, c.status, c.duplicate_of FROM complaint c
                   JOIN complaint_category cat ON cat.code = c.category
                   WHERE c.ticket = :t AND cat.public AND NOT c.confidential FOR UPDATE OF c"""),
        {"t": ticket},
    ).first()
    if row is None:
        raise NotFound(f"Tiket {ticket!r} tidak ditemukan / no such public ticket.")
    target = row.id
    if row.duplicate_of is not None:  # support goes to the complaint it was merged into
        target = row.duplicate_of
    status = conn.execute(sa.text("SELECT status FROM complaint WHERE id = :i"), {"i": target}).scalar_one()
    if status not in OPEN_STATUSES:
        raise DataError(
            f"Tiket {ticket} sudah ditutup ({status}); buat laporan baru bila masalahnya muncul lagi / "
            "the ticket is closed: file a new report if the problem is back."
        )
    savepoint = conn.begin_nested()
    try:
        supporters = conn.execute(
            sa.text(
                "UPDATE complaint SET supporters = supporters + 1, updated_at = now() WHERE id = :i "
                "RETURNING supporters"
            ),
            {"i": target},
        ).scalar_one()
        conn.execute(
            sa.text(
                "INSERT INTO complaint_event (complaint_id, kind, note, public) "
                "VALUES (:i, 'support', 'Warga lain melaporkan masalah yang sama / me too', true)"
            ),
            {"i": target},
        )
        response = {"ticket": ticket, "supporters": supporters}
        conn.execute(
            sa.text("""INSERT INTO submission (key, kind, payload_hash, complaint_id, response)
                       VALUES (:k, 'support', :h, :id, CAST(:r AS jsonb))"""),
            {"k": key, "h": digest, "id": target, "r": json.dumps(response)},
        )
        savepoint.commit()
    except sa.exc.IntegrityError as exc:
        savepoint.rollback()
        replay = _existing(conn, key, digest) if "submission" in str(exc.orig) else None
        if replay is None:
            raise
        return replay
    return {**response, "replayed": False}


def similar_open(
    conn: Connection, category: str, lon: float, lat: float, radius_m: float, limit: int = 5
) -> list[dict]:
    """Open public complaints of ``category`` near a point: the "is it one of these?" list.

    Distances are measured to the *public* point, so the list reveals nothing the public map does not.
    """
    check_lonlat(lon, lat, "lokasi")
    rows = conn.execute(
        sa.text("""
        WITH p AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS g)
        SELECT c.ticket, c.category, cat.name_id, cat.name_en, c.status, c.created_at, c.supporters,
               round(ST_Distance(c.geom_public::geography, p.g::geography)::numeric, -1) AS distance_m,
               ST_X(c.geom_public) AS lon, ST_Y(c.geom_public) AS lat,
               (SELECT ph.file FROM complaint_photo ph WHERE ph.complaint_id = c.id AND ph.public
                  AND ph.stage = 'sebelum' ORDER BY ph.id LIMIT 1) AS photo
        FROM complaint c JOIN complaint_category cat ON cat.code = c.category, p
        WHERE c.category = :cat AND cat.public AND NOT c.confidential AND c.duplicate_of IS NULL
          AND c.status IN ('diterima', 'verifikasi', 'ditindaklanjuti') AND c.geom_public IS NOT NULL
          -- degrees first, so the GiST index on geom_public is used: in Indonesia (|lat| < 12, which
          -- check_lonlat enforces) a degree is more than 100 km, so r / 100000 degrees covers r metres
          AND ST_DWithin(c.geom_public, p.g, :r / 100000.0)
          AND ST_DWithin(c.geom_public::geography, p.g::geography, :r)
        ORDER BY distance_m, c.created_at DESC LIMIT :limit"""),
        {"lon": lon, "lat": lat, "cat": category, "r": radius_m, "limit": limit},
    ).mappings()
    return [
        {**dict(r), "created_at": r["created_at"].isoformat(), "distance_m": float(r["distance_m"])}
        for r in rows
    ]
