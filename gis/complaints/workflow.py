"""The status workflow (LAPOR!-compatible), proof of fix, disputes, merges and the reporter's outbox.

::

    diterima ──► verifikasi ──► ditindaklanjuti ──► selesai
       │  │          │  │              │              │
       │  └──────────┴──┴──► ditolak   └─► bukan_wewenang
       └──────────────────► bukan_wewenang    selesai ──(reporter disputes)──► ditindaklanjuti

Every change is one row in ``complaint_event`` (who, when, from, to, note) written in the same
transaction as the complaint's new state; a notification for the reporter goes into
``notification_outbox`` (a worker sends it later: no network call happens inside a request).
"""

from __future__ import annotations

import datetime as dt
import json
import math

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.complaints.photos import Photo, store_photo
from gis.complaints.submit import hash_secret
from gis.crs import check_lonlat
from gis.errors import Conflict, DataError, NotFound

__all__ = [
    "TRANSITIONS",
    "FINAL",
    "change_status",
    "add_after_photo",
    "dispute",
    "merge",
    "add_note",
    "rate",
    "STATUS_LABELS",
]

TRANSITIONS: dict[str, frozenset[str]] = {
    "diterima": frozenset({"verifikasi", "ditolak", "bukan_wewenang"}),
    "verifikasi": frozenset({"ditindaklanjuti", "ditolak", "bukan_wewenang"}),
    "ditindaklanjuti": frozenset({"selesai", "bukan_wewenang"}),
    "selesai": frozenset(),  # reopened only by the reporter's dispute
    "ditolak": frozenset(),
    "bukan_wewenang": frozenset(),
}
FINAL = frozenset({"selesai", "ditolak", "bukan_wewenang"})
NEEDS_REASON = frozenset({"ditolak", "bukan_wewenang"})
STATUS_LABELS = {
    "diterima": ("Diterima", "Received"),
    "verifikasi": ("Verifikasi", "Being verified"),
    "ditindaklanjuti": ("Ditindaklanjuti", "In progress"),
    "selesai": ("Selesai", "Resolved"),
    "ditolak": ("Ditolak", "Rejected"),
    "bukan_wewenang": ("Bukan wewenang", "Not our responsibility"),
}


def _lock(conn: Connection, complaint_id: int):
    row = conn.execute(
        sa.text("""SELECT id, ticket, status, kelurahan_code, resolved_at, first_response_at, duplicate_of,
                          secret_hash, created_at, ST_X(geom) AS lon, ST_Y(geom) AS lat
                   FROM complaint WHERE id = :i FOR UPDATE"""),
        {"i": complaint_id},
    ).first()
    if row is None:
        raise NotFound(f"Laporan {complaint_id} tidak ditemukan / no such complaint.")
    return row


def _event(conn, complaint_id, kind, user_id, status_from=None, status_to=None, note=None, public=True):
    conn.execute(
        sa.text("""INSERT INTO complaint_event (complaint_id, kind, status_from, status_to, note, public,
                                                user_id, created_at)
                   VALUES (:i, :kind, :f, :t, :note, :public, :u, clock_timestamp())"""),
        {
            "i": complaint_id,
            "kind": kind,
            "f": status_from,
            "t": status_to,
            "note": note,
            "public": public,
            "u": user_id,
        },
    )


def _notify(conn, complaint_id: int, template: str, payload: dict) -> None:
    """Queue a message for the reporter, if they left a contact (resolved at send time)."""
    conn.execute(
        sa.text("""INSERT INTO notification_outbox (complaint_id, reporter_id, template, payload)
                   SELECT :i, r.id, :t, CAST(:p AS jsonb) FROM reporter r
                   WHERE r.complaint_id = :i AND (r.phone IS NOT NULL OR r.email IS NOT NULL)"""),
        {"i": complaint_id, "t": template, "p": json.dumps(payload)},
    )


def change_status(
    conn: Connection,
    complaint_id: int,
    to: str,
    user_id: int | None,
    reason: str | None = None,
    note: str | None = None,
    proof_distance_m: float = 100.0,
    public_note: bool = False,
) -> dict:
    """Move a complaint to ``to`` if the workflow allows it; returns the new state.

    ``ditolak`` and ``bukan_wewenang`` need a reason (shown to the reporter). ``selesai`` needs an
    "after" photo taken within ``proof_distance_m`` of the complaint (see :func:`add_after_photo`).
    """
    row = _lock(conn, complaint_id)
    if to not in TRANSITIONS:
        raise DataError(f"Status {to!r} tidak dikenal / unknown status. Pilih: {', '.join(TRANSITIONS)}.")
    if row.duplicate_of is not None:
        raise Conflict("Laporan ini sudah digabung ke laporan lain / this complaint was merged.")
    if to not in TRANSITIONS[row.status]:
        allowed = ", ".join(sorted(TRANSITIONS[row.status])) or "tidak ada / none"
        raise Conflict(
            f"Status tidak dapat berubah dari {row.status} ke {to} / illegal transition. "
            f"Yang boleh / allowed: {allowed}."
        )
    reason = (reason or "").strip() or None
    note = (note or "").strip() or None
    if to in NEEDS_REASON and not reason:
        raise DataError(f"Alasan wajib diisi untuk status {to} / a reason is required for {to}.")
    if to == "selesai":
        proof = conn.execute(
            sa.text("""SELECT count(*) FROM complaint_photo WHERE complaint_id = :i AND stage = 'sesudah'
                       AND distance_m <= :d AND created_at > coalesce(
                           (SELECT max(created_at) FROM complaint_event
                            WHERE complaint_id = :i AND kind = 'dispute'), '-infinity')"""),
            {"i": complaint_id, "d": proof_distance_m},
        ).scalar_one()
        if not proof:
            raise Conflict(
                "Unggah foto sesudah perbaikan yang diambil di lokasi sebelum menutup laporan / upload an "
                f"'after' photo taken within {proof_distance_m:.0f} m of the complaint before closing it."
            )
    now = dt.datetime.now(dt.UTC)
    conn.execute(
        sa.text("""UPDATE complaint SET status = :to, status_reason = :reason, updated_at = :now,
                       first_response_at = coalesce(first_response_at, :now),
                       resolved_at = CASE WHEN :to IN ('selesai', 'ditolak', 'bukan_wewenang') THEN :now END
                   WHERE id = :i"""),
        {"to": to, "reason": reason, "now": now, "i": complaint_id},
    )
    # the reason of a rejection is public (the reporter must learn why); a note only if staff say so
    _event(conn, complaint_id, "status", user_id, row.status, to, reason)
    if note:
        _event(conn, complaint_id, "note", user_id, note=note[:4000], public=public_note)
    _notify(conn, complaint_id, f"status_{to}", {"ticket": row.ticket, "status": to, "reason": reason})
    return {"ticket": row.ticket, "status": to, "previous": row.status, "at": now.isoformat()}


def add_after_photo(
    conn: Connection,
    complaint_id: int,
    photo: Photo,
    user_id: int,
    photo_root,
    device_lon: float | None = None,
    device_lat: float | None = None,
    proof_distance_m: float = 100.0,
) -> dict:
    """Store a proof-of-fix photo with where it was taken; refuse one taken too far away.

    The position comes from the staff device (browser geolocation) or, failing that, the photo's own
    EXIF GPS (read before the metadata was stripped).
    """
    row = _lock(conn, complaint_id)
    if row.status != "ditindaklanjuti":
        raise Conflict(
            "Foto sesudah hanya untuk laporan yang sedang ditindaklanjuti / 'after' photos are for "
            f"complaints in progress (this one is {row.status})."
        )
    if device_lon is not None and device_lat is not None:
        if not (math.isfinite(device_lon) and math.isfinite(device_lat)):
            raise DataError("Lokasi perangkat tidak sah / the device location is not a finite number.")
        check_lonlat(device_lon, device_lat, "lokasi perangkat")
        lon, lat, source = device_lon, device_lat, "perangkat"
    elif photo.gps is not None:
        (lon, lat), source = photo.gps, "exif"
    else:
        raise DataError(
            "Lokasi foto tidak diketahui: izinkan lokasi di perangkat atau gunakan foto ber-GPS / "
            "the photo's location is unknown: allow location on the device or use a geotagged photo."
        )
    distance = conn.execute(
        sa.text(
            "SELECT ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography) "
            "FROM complaint WHERE id = :i"
        ),
        {"lon": lon, "lat": lat, "i": complaint_id},
    ).scalar_one()
    if distance > proof_distance_m:
        raise DataError(
            f"Foto diambil {distance:.0f} m dari lokasi laporan; batasnya {proof_distance_m:.0f} m / "
            f"the photo was taken {distance:.0f} m from the complaint (limit {proof_distance_m:.0f} m).",
            hint="Take the photo at the site of the complaint.",
        )
    store_photo(photo_root, photo)
    photo_id = conn.execute(
        sa.text("""INSERT INTO complaint_photo (complaint_id, stage, file, media_type, width, height, bytes,
                                                user_id, location_source, distance_m, public, geom,
                                                created_at)
                   SELECT :i, 'sesudah', :file, :mt, :w, :h, :b, :u, :src, :d,
                          NOT c.confidential, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), clock_timestamp()
                   FROM complaint c WHERE c.id = :i RETURNING id"""),
        {
            "i": complaint_id,
            "file": photo.file,
            "mt": photo.media_type,
            "w": photo.width,
            "h": photo.height,
            "b": len(photo.data),
            "u": user_id,
            "src": source,
            "d": distance,
            "lon": lon,
            "lat": lat,
        },
    ).scalar_one()
    _event(conn, complaint_id, "photo", user_id, note="Foto sesudah perbaikan / after photo")
    return {"photo_id": photo_id, "file": photo.file, "distance_m": round(distance, 1), "source": source}


def add_note(conn: Connection, complaint_id: int, user_id: int, note: str, public: bool) -> None:
    note = (note or "").strip()
    if not note:
        raise DataError("Catatan kosong / the note is empty.")
    _lock(conn, complaint_id)
    _event(conn, complaint_id, "note", user_id, note=note[:4000], public=public)


def _reporters_ticket(conn: Connection, ticket: str, secret: str):
    """The locked complaint of ``ticket``, if ``secret`` is the code its reporter was given."""
    cid = conn.execute(sa.text("SELECT id FROM complaint WHERE ticket = :t"), {"t": ticket}).scalar()
    if cid is None:
        raise NotFound(f"Tiket {ticket!r} tidak ditemukan / no such ticket.")
    row = _lock(conn, cid)
    if not row.secret_hash or hash_secret(secret or "") != row.secret_hash:
        raise DataError("Kode rahasia salah / the secret code does not match this ticket.")
    return row


def dispute(conn: Connection, ticket: str, secret: str, reason: str, dispute_days: int) -> dict:
    """The reporter says a closed complaint is not fixed: reopen it (within ``dispute_days``)."""
    row = _reporters_ticket(conn, ticket, secret)
    cid = row.id
    reason = (reason or "").strip()
    if not reason:
        raise DataError("Tuliskan alasan sanggahan / say why the problem is not fixed.")
    if row.status != "selesai":
        raise Conflict(f"Hanya laporan berstatus selesai yang dapat disanggah (status: {row.status}).")
    now = dt.datetime.now(dt.UTC)
    if row.resolved_at is not None and now - row.resolved_at > dt.timedelta(days=dispute_days):
        raise Conflict(
            f"Batas sanggahan {dispute_days} hari sudah lewat; buat laporan baru / the {dispute_days}-day "
            "dispute window has passed: file a new report."
        )
    conn.execute(
        sa.text("""UPDATE complaint SET status = 'ditindaklanjuti', resolved_at = NULL, status_reason = NULL,
                       reopened_count = reopened_count + 1, updated_at = :now WHERE id = :i"""),
        {"now": now, "i": cid},
    )
    # the reporter's own words may name them: staff see them, the public ticket page does not
    _event(conn, cid, "dispute", None, "selesai", "ditindaklanjuti", reason[:4000], public=False)
    return {"ticket": ticket, "status": "ditindaklanjuti", "reopened": True}


def merge(conn: Connection, duplicate_id: int, target_id: int, user_id: int) -> dict:
    """Fold a duplicate into the complaint it repeats: its supporters and reporter count move over."""
    if duplicate_id == target_id:
        raise DataError("Laporan tidak dapat digabung dengan dirinya sendiri / cannot merge into itself.")
    first, second = sorted((duplicate_id, target_id))  # lock in id order: no deadlock between merges
    rows = {first: _lock(conn, first), second: _lock(conn, second)}
    dup, target = rows[duplicate_id], rows[target_id]
    if dup.kelurahan_code != target.kelurahan_code:
        raise DataError("Hanya laporan di kelurahan yang sama yang dapat digabung / same kelurahan only.")
    if target.duplicate_of is not None:
        raise Conflict(f"Tiket {target.ticket} sendiri sudah digabung; gabungkan ke tiket induknya.")
    if dup.duplicate_of is not None:
        raise Conflict(f"Tiket {dup.ticket} sudah digabung sebelumnya / already merged.")
    if dup.status in FINAL:
        raise Conflict(f"Tiket {dup.ticket} sudah ditutup ({dup.status}) / already closed.")
    if target.status in FINAL:
        raise Conflict(
            f"Tiket {target.ticket} sudah ditutup ({target.status}); gabungkan ke laporan yang masih "
            "terbuka / merge into an open complaint."
        )
    now = dt.datetime.now(dt.UTC)
    reason = f"Laporan ganda, digabung ke tiket {target.ticket} / duplicate of {target.ticket}"
    supporters = conn.execute(
        sa.text(
            "UPDATE complaint SET duplicate_of = :t, status = 'ditolak', status_reason = :r, "
            "resolved_at = :now, first_response_at = coalesce(first_response_at, :now), updated_at = :now "
            "WHERE id = :d RETURNING supporters"
        ),
        {"t": target_id, "r": reason, "now": now, "d": duplicate_id},
    ).scalar_one()
    conn.execute(
        sa.text("UPDATE complaint SET supporters = supporters + :n, updated_at = :now WHERE id = :t"),
        {"n": supporters + 1, "now": now, "t": target_id},
    )
    # earlier duplicates of the duplicate now point at the surviving ticket: no chains
    conn.execute(
        sa.text("UPDATE complaint SET duplicate_of = :t WHERE duplicate_of = :d"),
        {"t": target_id, "d": duplicate_id},
    )
    _event(conn, duplicate_id, "merge", user_id, dup.status, "ditolak", reason)
    confidential = conn.execute(
        sa.text("SELECT confidential FROM complaint WHERE id = :d"), {"d": duplicate_id}
    ).scalar()
    merged_note = "Laporan lain digabung ke sini / another report merged in"
    if not confidential:  # a rahasia ticket's code is never named where the public can read it
        merged_note = f"Tiket {dup.ticket} digabung ke sini / merged in"
    _event(conn, target_id, "merge", user_id, note=merged_note)
    _notify(conn, duplicate_id, "merged", {"ticket": dup.ticket, "into": target.ticket})
    return {"ticket": dup.ticket, "merged_into": target.ticket}


def rate(conn: Connection, ticket: str, secret: str, rating: int | str) -> dict:
    """The reporter rates (1-5) how a closed complaint was handled; a later rating replaces it."""
    try:
        value = int(str(rating).strip())
    except ValueError:
        value = 0
    if not 1 <= value <= 5:
        raise DataError("Nilai harus 1 sampai 5 / the rating must be 1 to 5.")
    row = _reporters_ticket(conn, ticket, secret)
    cid = row.id
    if row.status not in FINAL:
        raise Conflict("Penilaian dibuka setelah laporan ditutup / rate once the complaint is closed.")
    conn.execute(
        sa.text("UPDATE complaint SET rating = :r, rated_at = now() WHERE id = :i"), {"r": value, "i": cid}
    )
    return {"ticket": ticket, "rating": value}
