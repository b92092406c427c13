"""What the public may see of complaints: the ticket page, the complaint map layer, categories.

Nothing here reads ``reporter``, ``complaint.geom`` (the exact point) or ``complaint.description``.
Confidential (*rahasia*) complaints and non-public categories show only their ticket's status.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.db.queries import MAX_FEATURES
from gis.errors import NotFound

__all__ = ["complaint_categories", "ticket_public", "public_complaints_geojson", "public_photo", "rt_choices"]


def complaint_categories(conn: Connection, public_only: bool = False) -> list[dict]:
    where = "WHERE public" if public_only else ""
    rows = conn.execute(
        sa.text(
            f"SELECT code, name_id, name_en, sla_days, privacy, public FROM complaint_category {where} "
            "ORDER BY code = 'lainnya', name_id"
        )
    ).mappings()
    return [dict(r) for r in rows]


def ticket_public(conn: Connection, ticket: str) -> dict:
    """A ticket as anyone holding its code may see it: status, history, public notes, photos.

    For a confidential (*rahasia*) complaint or a non-public category: the status and its dates only.
    Disputes appear as events without the reporter's words.
    """
    row = (
        conn.execute(
            sa.text("""
        SELECT c.id, c.ticket, c.category, cat.name_id, cat.name_en, c.status, c.status_reason,
               c.created_at, c.updated_at, c.sla_due, c.resolved_at, c.supporters, c.reopened_count, c.rating,
               (cat.public AND NOT c.confidential) AS shown, c.rw_code, rw.name AS rw_name,
               k.name AS kelurahan,
               CASE WHEN dcat.public AND NOT d.confidential THEN d.ticket END AS merged_into,
               ST_X(c.geom_public) AS lon, ST_Y(c.geom_public) AS lat
        FROM complaint c JOIN complaint_category cat ON cat.code = c.category
        LEFT JOIN rw ON rw.code = c.rw_code LEFT JOIN kelurahan k ON k.code = c.kelurahan_code
        LEFT JOIN complaint d ON d.id = c.duplicate_of
        LEFT JOIN complaint_category dcat ON dcat.code = d.category
        WHERE c.ticket = :t"""),
            {"t": (ticket or "").strip().upper()[:40]},
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"Tiket {ticket!r} tidak ditemukan / no such ticket.", hint="Periksa kode tiket Anda.")
    events = conn.execute(
        sa.text("""SELECT kind, status_from, status_to, CASE WHEN public THEN note END AS note, created_at
                   FROM complaint_event WHERE complaint_id = :i
                     AND (kind IN ('status', 'dispute', 'merge') OR (kind = 'note' AND public))
                   ORDER BY created_at, id"""),
        {"i": row["id"]},
    ).mappings()
    photos = conn.execute(
        sa.text("""SELECT stage, file, width, height, created_at FROM complaint_photo
                   WHERE complaint_id = :i AND public ORDER BY stage DESC, id"""),
        {"i": row["id"]},
    ).mappings()
    out = {k: v for k, v in dict(row).items() if k != "id"}
    shown = out.pop("shown")
    out["confidential"] = not shown
    out["events"] = [dict(e) for e in events]
    if not shown:  # rahasia or a sensitive category: status and dates only, no words, no place
        for key in ("lon", "lat", "rw_code", "rw_name", "status_reason", "merged_into"):
            out[key] = None
        out["events"] = [{**e, "note": None} for e in out["events"] if e["kind"] in ("status", "dispute")]
    out["photos"] = [dict(p) for p in photos] if shown else []
    return out


def public_complaints_geojson(
    conn: Connection,
    bbox: tuple[float, float, float, float] | None = None,
    category: str | None = None,
    status: str | None = None,
    limit: int = MAX_FEATURES,
) -> str:
    """Public complaints at their generalised points, as a GeoJSON string."""
    where = ["cat.public", "NOT c.confidential", "c.geom_public IS NOT NULL", "c.duplicate_of IS NULL"]
    params: dict = {"limit": max(1, min(limit, MAX_FEATURES))}
    if bbox:
        where.append("c.geom_public && ST_MakeEnvelope(:w, :s, :e, :n, 4326)")
        params.update(dict(zip("wsen", bbox, strict=True)))
    if category:
        where.append("c.category = :cat")
        params["cat"] = category
    if status == "terbuka":
        where.append("c.status IN ('diterima', 'verifikasi', 'ditindaklanjuti')")
    elif status:
        where.append("c.status = :status")
        params["status"] = status
    sql = f"""
    WITH picked AS (
        SELECT c.ticket, c.category, c.status, c.created_at, c.supporters, c.geom_public,
               cat.name_id, cat.name_en, cat.privacy
        FROM complaint c JOIN complaint_category cat ON cat.code = c.category
        WHERE {" AND ".join(where)}
        ORDER BY c.created_at DESC LIMIT :limit)
    SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
        'type', 'Feature', 'geometry', ST_AsGeoJSON(geom_public, 6)::json,
        'properties', json_build_object('ticket', ticket, 'category', category, 'category_id', name_id,
            'category_en', name_en, 'status', status, 'created_at', created_at, 'supporters', supporters,
            'privacy', privacy)) ORDER BY created_at DESC), '[]'::json))::text
    FROM picked"""
    return conn.execute(sa.text(sql), params).scalar_one()


def public_photo(conn: Connection, file: str) -> dict:
    """A stored photo, if it belongs to a complaint the public may see."""
    row = (
        conn.execute(
            sa.text("""SELECT p.file, p.media_type FROM complaint_photo p
                   JOIN complaint c ON c.id = p.complaint_id
                   JOIN complaint_category cat ON cat.code = c.category
                   WHERE p.file = :f AND p.public AND cat.public AND NOT c.confidential LIMIT 1"""),
            {"f": file},
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound("Foto tidak ditemukan / no such photo.")
    return dict(row)


def rt_choices(conn: Connection) -> list[dict]:
    """Every RT as ``{code, label}`` ("RW 005 / RT 003 — Kelurahan"), for choosing a place by RT."""
    rows = conn.execute(
        sa.text(
            "SELECT rt.code, rw.name AS rw, rt.name AS rt, k.name AS kel FROM rt "
            "JOIN rw ON rw.code = rt.rw_code JOIN kelurahan k ON k.code = rt.kelurahan_code "
            "ORDER BY k.name, rw.number, rt.number"
        )
    )
    return [{"code": r.code, "label": f"{r.rw} / {r.rt} — {r.kel}"} for r in rows]
