"""The staff work queue: complaints of the user's kelurahan, filtered, sorted by SLA due date.

These functions return personal data (exact points, descriptions); callers check the role first and
scope every query by the user's kelurahan codes. Reading a reporter's identity is separate
(:func:`reporter_for`) and always written to ``audit_log``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.auth import User, audit, check_scope
from gis.complaints.sla import WorkCalendar
from gis.db.public import nearest_facilities
from gis.errors import DataError, NotFound

__all__ = [
    "QueueFilter",
    "work_queue",
    "complaint_detail",
    "reporter_for",
    "escalations",
    "staff_photo",
    "rw_choices",
    "ticket_in_scope",
]

OPEN = ("diterima", "verifikasi", "ditindaklanjuti")
STAFF_ROLES = ("admin", "staff")


@dataclass
class QueueFilter:
    status: list[str] | None = None  # default: open ones
    category: str | None = None
    rw_code: str | None = None
    rt_code: str | None = None
    min_age_days: int | None = None
    overdue: bool = False
    limit: int = 200
    offset: int = 0

    @classmethod
    def from_args(cls, args) -> QueueFilter:
        def number(name):
            raw = (args.get(name) or "").strip()
            if not raw:
                return None
            if not re.fullmatch(r"[0-9]{1,6}", raw):
                raise DataError(
                    f"{name} harus bilangan bulat 0–999999 / must be a whole number up to 999999, "
                    f"got {raw[:20]!r}."
                )
            return int(raw)

        statuses = [s for s in args.getlist("status") if s] or None
        if statuses == ["semua"]:
            statuses = ["diterima", "verifikasi", "ditindaklanjuti", "selesai", "ditolak", "bukan_wewenang"]
        from gis.db.tables import COMPLAINT_STATUSES

        bad = [s for s in statuses or [] if s not in COMPLAINT_STATUSES]
        if bad:
            raise DataError(f"status tidak dikenal / unknown status: {', '.join(bad)}.")
        return cls(
            status=statuses,
            category=args.get("kategori") or None,
            rw_code=args.get("rw") or None,
            rt_code=args.get("rt") or None,
            min_age_days=number("umur"),
            overdue=args.get("terlambat") in ("1", "ya", "true", "on"),
            limit=min(number("limit") or 200, 1000),
            offset=number("offset") or 0,
        )


def _where(user: User, f: QueueFilter) -> tuple[list[str], dict]:
    where = ["c.kelurahan_code = ANY(:kel)", "c.duplicate_of IS NULL"]
    params: dict = {"kel": list(user.kelurahan)}
    where.append("c.status = ANY(:status)")
    params["status"] = list(f.status or OPEN)
    if f.category:
        where.append("c.category = :cat")
        params["cat"] = f.category
    if f.rw_code:
        where.append("c.rw_code = :rw")
        params["rw"] = f.rw_code
    if f.rt_code:
        where.append("c.rt_code = :rt")
        params["rt"] = f.rt_code
    if f.min_age_days is not None:
        where.append("c.created_at <= now() - make_interval(days => :age)")
        params["age"] = f.min_age_days
    if f.overdue:
        where.append("c.sla_due < now() AND c.status IN ('diterima', 'verifikasi', 'ditindaklanjuti')")
    return where, params


def work_queue(conn: Connection, user: User, f: QueueFilter, calendar: WorkCalendar) -> dict:
    """One page of the queue and its total, each item with its exact point and SLA state."""
    check_scope(user, None, STAFF_ROLES)
    where, params = _where(user, f)
    clause = " AND ".join(where)
    total = conn.execute(sa.text(f"SELECT count(*) FROM complaint c WHERE {clause}"), params).scalar_one()
    rows = conn.execute(
        sa.text(f"""
        SELECT c.id, c.ticket, c.category, cat.name_id, cat.name_en, c.status, c.created_at, c.sla_due,
               c.rw_code, c.rt_code, c.supporters, c.reopened_count, left(c.description, 160) AS summary,
               ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat,
               c.sla_due < now() AND c.status IN ('diterima', 'verifikasi', 'ditindaklanjuti') AS overdue
        FROM complaint c JOIN complaint_category cat ON cat.code = c.category
        WHERE {clause}
        ORDER BY c.sla_due ASC NULLS LAST, c.created_at ASC
        LIMIT :limit OFFSET :offset"""),
        {**params, "limit": f.limit, "offset": f.offset},
    ).mappings()
    now = dt.datetime.now(dt.UTC)
    items = []
    for r in rows:
        item = dict(r)
        item["days_left"] = calendar.working_days_left(r["sla_due"], now) if r["sla_due"] else None
        items.append(item)
    return {"total": total, "items": items}


def complaint_detail(conn: Connection, user: User, complaint_id: int) -> dict:
    """Everything staff need to act on a complaint, except the reporter's identity."""
    row = (
        conn.execute(
            sa.text("""
        SELECT c.*, cat.name_id, cat.name_en, cat.privacy, cat.public AS category_public,
               ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat, rw.name AS rw_name, rt.name AS rt_name,
               k.name AS kelurahan_name, d.ticket AS merged_into,
               EXISTS (SELECT 1 FROM reporter r WHERE r.complaint_id = c.id
                       AND (r.name IS NOT NULL OR r.phone IS NOT NULL OR r.email IS NOT NULL)) AS has_reporter
        FROM complaint c JOIN complaint_category cat ON cat.code = c.category
        LEFT JOIN rw ON rw.code = c.rw_code LEFT JOIN rt ON rt.code = c.rt_code
        LEFT JOIN kelurahan k ON k.code = c.kelurahan_code LEFT JOIN complaint d ON d.id = c.duplicate_of
        WHERE c.id = :i"""),
            {"i": complaint_id},
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound("Laporan tidak ditemukan / no such complaint.")
    check_scope(user, row["kelurahan_code"], STAFF_ROLES)
    out = {k: v for k, v in dict(row).items() if k not in ("geom", "geom_public", "secret_hash")}
    out["events"] = [
        dict(e)
        for e in conn.execute(
            sa.text("""SELECT e.*, u.full_name AS user_name FROM complaint_event e
                       LEFT JOIN app_user u ON u.id = e.user_id WHERE e.complaint_id = :i
                       ORDER BY e.created_at, e.id"""),
            {"i": complaint_id},
        ).mappings()
    ]
    out["photos"] = [
        dict(p)
        for p in conn.execute(
            sa.text("""SELECT id, stage, file, width, height, location_source, distance_m, created_at
                       FROM complaint_photo WHERE complaint_id = :i ORDER BY stage DESC, id"""),
            {"i": complaint_id},
        ).mappings()
    ]
    out["nearest"] = nearest_facilities(conn, row["lon"], row["lat"], k=3)
    out["geo_uri"] = (
        f"geo:{row['lat']:.6f},{row['lon']:.6f}?q={row['lat']:.6f},{row['lon']:.6f}({row['ticket']})"
    )
    return out


def reporter_for(conn: Connection, user: User, complaint_id: int, reason: str) -> dict | None:
    """The reporter's identity, for staff with a stated reason; the read is written to audit_log."""
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise DataError(
            "Tuliskan alasan membuka data pelapor (minimal 5 karakter) / state why you need the reporter's "
            "data (at least 5 characters)."
        )
    kel = conn.execute(
        sa.text("SELECT kelurahan_code FROM complaint WHERE id = :i"), {"i": complaint_id}
    ).scalar()
    if kel is None:
        raise NotFound("Laporan tidak ditemukan / no such complaint.")
    check_scope(user, kel, STAFF_ROLES)
    row = (
        conn.execute(
            sa.text("SELECT id, name, phone, email, anonymity FROM reporter WHERE complaint_id = :i"),
            {"i": complaint_id},
        )
        .mappings()
        .first()
    )
    audit(
        conn,
        user.id,
        "read_reporter",
        "complaint",
        str(complaint_id),
        reason[:500],
        {"reporter_id": row["id"] if row else None},
    )
    return dict(row) if row else None


def escalations(conn: Connection, user: User, calendar: WorkCalendar) -> list[dict]:
    """Open complaints overdue or due within one working day, the most overdue first."""
    check_scope(user, None, STAFF_ROLES)
    now = dt.datetime.now(dt.UTC)
    horizon = calendar.due(now, 1)
    rows = conn.execute(
        sa.text("""SELECT c.id, c.ticket, c.category, cat.name_id, cat.name_en, c.status, c.created_at,
                          c.sla_due, c.rw_code, c.supporters, c.reopened_count
                   FROM complaint c JOIN complaint_category cat ON cat.code = c.category
                   WHERE c.kelurahan_code = ANY(:kel) AND c.duplicate_of IS NULL
                     AND c.status IN ('diterima', 'verifikasi', 'ditindaklanjuti') AND c.sla_due <= :h
                   ORDER BY c.sla_due LIMIT 500"""),
        {"kel": list(user.kelurahan), "h": horizon},
    ).mappings()
    out = []
    for r in rows:
        item = dict(r)
        item["days_left"] = calendar.working_days_left(r["sla_due"], now)
        item["overdue"] = r["sla_due"] < now
        out.append(item)
    return out


def staff_photo(conn: Connection, user: User, file: str) -> dict:
    row = (
        conn.execute(
            sa.text("""SELECT p.file, p.media_type, c.kelurahan_code FROM complaint_photo p
                   JOIN complaint c ON c.id = p.complaint_id WHERE p.file = :f
                   AND c.kelurahan_code = ANY(:kel) LIMIT 1"""),
            {"f": file, "kel": list(user.kelurahan)},
        )
        .mappings()
        .first()
    )
    if row is None or user.role not in STAFF_ROLES:
        raise NotFound("Foto tidak ditemukan / no such photo.")
    return dict(row)


def rw_choices(conn: Connection, user: User) -> list:
    """(code, name) of the RW in the user's kelurahan, for the queue's filter."""
    return conn.execute(
        sa.text("SELECT code, name FROM rw WHERE kelurahan_code = ANY(:k) ORDER BY code"),
        {"k": list(user.kelurahan)},
    ).all()


def ticket_in_scope(conn: Connection, user: User, ticket: str) -> int:
    """The id of a ticket in the user's kelurahan, or NotFound."""
    found = conn.execute(
        sa.text("SELECT id FROM complaint WHERE ticket = :t AND kelurahan_code = ANY(:k)"),
        {"t": (ticket or "").strip().upper(), "k": list(user.kelurahan)},
    ).scalar()
    if found is None:
        raise NotFound(
            f"Tiket {ticket!r} tidak ditemukan di kelurahan Anda / no such ticket in your kelurahan."
        )
    return found
