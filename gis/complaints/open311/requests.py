"""Open311 GET requests: what the public may see of a complaint, its status mapping and notes.

Every privacy decision listed in :mod:`gis.complaints.open311` is applied here, in the SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.complaints.open311.params import RequestQuery
from gis.complaints.sla import TZ
from gis.complaints.workflow import STATUS_LABELS
from gis.errors import NotFound

__all__ = [
    "OPEN",
    "CLOSED",
    "open311_status",
    "w3c",
    "service_notice",
    "find_requests",
    "get_request",
]

OPEN = ("diterima", "verifikasi", "ditindaklanjuti")
CLOSED = ("selesai", "ditolak", "bukan_wewenang")
_STATUS = {**dict.fromkeys(OPEN, "open"), **dict.fromkeys(CLOSED, "closed")}
_NOTE_KINDS = ("status", "note", "merge")  # written by staff: their public notes may be shown


def open311_status(status: str) -> str:
    """LAPOR! status -> Open311 ``open``/``closed``."""
    return _STATUS.get(status, "open")


def _label(status: str, lang: str) -> str:
    labels = STATUS_LABELS.get(status)
    if labels is None:
        return status
    return labels[1] if lang == "en" else labels[0]


def w3c(value: dt.datetime | None) -> str | None:
    """A W3C/ISO 8601 datetime with the office's offset (+07:00), to the second."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=TZ)
    return value.astimezone(TZ).isoformat(timespec="seconds")


_SELECT = """
SELECT c.id, c.ticket, c.status, c.status_reason, c.category, cat.name_id, cat.name_en, cat.sla_days,
       cat.privacy, c.created_at, c.updated_at, c.sla_due, c.supporters, c.source, c.synthetic,
       c.kelurahan_code, k.name AS kelurahan_name, kc.name AS kecamatan_name, kc.kota_name,
       rw.name AS rw_name,
       round(ST_Y(c.geom_public)::numeric, 6)::float AS lat,
       round(ST_X(c.geom_public)::numeric, 6)::float AS lon,
       (SELECT ph.file FROM complaint_photo ph
         WHERE ph.complaint_id = c.id AND ph.public AND ph.stage = 'sebelum'
         ORDER BY ph.id LIMIT 1) AS photo,
       (SELECT e.note FROM complaint_event e
         WHERE e.complaint_id = c.id AND e.public AND e.kind IN ('status', 'note', 'merge')
           AND e.note IS NOT NULL AND btrim(e.note) <> ''
         ORDER BY e.created_at DESC, e.id DESC LIMIT 1) AS last_note
FROM complaint c
JOIN complaint_category cat ON cat.code = c.category
LEFT JOIN kelurahan k ON k.code = c.kelurahan_code
LEFT JOIN kecamatan kc ON kc.code = k.kecamatan_code
LEFT JOIN rw ON rw.code = c.rw_code
WHERE cat.public AND NOT c.confidential AND c.duplicate_of IS NULL
"""


def _rows(conn: Connection, query: RequestQuery) -> list:
    where, params = [], {"limit": query.limit}
    if query.ids:
        where.append("c.ticket = ANY(:ids)")
        params["ids"] = list(query.ids)
    else:
        if query.service_codes:
            where.append("c.category = ANY(:codes)")
            params["codes"] = list(query.service_codes)
        if query.statuses and set(query.statuses) != {"open", "closed"}:
            wanted = OPEN if "open" in query.statuses else CLOSED
            where.append("c.status = ANY(:statuses)")
            params["statuses"] = list(wanted)
        if query.start is not None:
            where.append("c.created_at >= :start")
            params["start"] = query.start
        if query.end is not None:
            where.append("c.created_at < :end")
            params["end"] = query.end
    extra = "".join(f" AND {w}" for w in where)
    sql = f"{_SELECT}{extra} ORDER BY c.created_at DESC, c.id DESC LIMIT :limit"
    return conn.execute(sa.text(sql), params).all()


def _events(conn: Connection, ids: list[int]) -> dict[int, list]:
    if not ids:
        return {}
    rows = conn.execute(
        sa.text("""
        SELECT complaint_id, kind, status_from, status_to, created_at,
               CASE WHEN public AND kind IN ('status', 'note', 'merge', 'photo') THEN note END AS note
        FROM complaint_event
        WHERE complaint_id = ANY(:ids)
          AND (kind IN ('status', 'dispute', 'merge', 'photo', 'support') OR (kind = 'note' AND public))
        ORDER BY complaint_id, created_at, id"""),
        {"ids": ids},
    ).all()
    out: dict[int, list] = {}
    for row in rows:
        out.setdefault(row.complaint_id, []).append(row)
    return out


_SUMMARIES = {
    "note": ("Catatan petugas", "Staff note"),
    "photo": ("Foto sesudah perbaikan", "After photo added"),
    "dispute": ("Disanggah pelapor; dibuka kembali", "Disputed by the reporter; reopened"),
    "support": ("Warga lain melaporkan masalah yang sama", "Another resident reported the same problem"),
    "merge": ("Laporan digabung", "Reports merged"),
}


def _note(event, lang: str) -> dict:
    en = lang == "en"
    if event.kind == "status":
        kind = (
            "opened" if event.status_from is None else "closed" if event.status_to in CLOSED else "activity"
        )
        summary = f"Status: {_label(event.status_to, lang)}"
    else:
        kind = "reopened" if event.kind == "dispute" else "activity"
        summary = _SUMMARIES.get(event.kind, (event.kind, event.kind))[1 if en else 0]
    return {
        "datetime": w3c(event.created_at),
        "summary": summary,
        "description": event.note,
        "type": kind,
        "extended_attributes": {
            "kind": event.kind,
            "status_from": event.status_from,
            "status_to": event.status_to,
        },
    }


def _address(row) -> str:
    parts = [
        row.rw_name,
        row.kelurahan_name and f"Kelurahan {row.kelurahan_name}",
        row.kecamatan_name and f"Kecamatan {row.kecamatan_name}",
        row.kota_name,
    ]
    return ", ".join(p for p in parts if p)


def _status_notes(row, lang: str) -> str:
    label = _label(row.status, lang)
    detail = row.status_reason or row.last_note
    return f"{label}: {detail}" if detail else label


def _channel(source: str) -> str:
    return source if source in ("web", "open311") else "import"


def service_notice(sla_days: int, due: dt.datetime | None, lang: str = "id") -> str:
    """What the kelurahan commits to: the SLA in working days and, when known, the due date."""
    when = due.astimezone(TZ).strftime("%Y-%m-%d") if due else None
    if lang == "en":
        text = f"Target: resolved within {sla_days} working days"
        return f"{text} (by {when})." if when else f"{text}."
    text = f"Target penyelesaian {sla_days} hari kerja"
    return f"{text} (paling lambat {when})." if when else f"{text}."


def _request(row, events: list, lang: str, photo_url: Callable[[str], str]) -> dict:
    name = row.name_en if lang == "en" else row.name_id
    return {
        "service_request_id": row.ticket,
        "status": open311_status(row.status),
        "status_notes": _status_notes(row, lang),
        "service_name": name,
        "service_code": row.category,
        "description": name,  # never the resident's own words: see the package docstring
        "agency_responsible": f"Kelurahan {row.kelurahan_name}" if row.kelurahan_name else None,
        "service_notice": service_notice(row.sla_days, row.sla_due, lang),
        "requested_datetime": w3c(row.created_at),
        "updated_datetime": w3c(row.updated_at),
        "expected_datetime": w3c(row.sla_due),
        "address": _address(row),
        "address_id": None,
        "zipcode": None,
        "lat": row.lat,
        "long": row.lon,
        "media_url": photo_url(row.photo) if row.photo else None,
        "attributes": {},
        "extended_attributes": {
            "status_detail": row.status,
            "status_label": _label(row.status, lang),
            "channel": _channel(row.source),
            "kelurahan_code": row.kelurahan_code,
            "rw": row.rw_name,
            "supporters": row.supporters,
            "location_precision": row.privacy,
            "synthetic": row.synthetic,
        },
        "notes": [_note(e, lang) for e in events],
    }


def find_requests(
    conn: Connection, query: RequestQuery, photo_url: Callable[[str], str], lang: str = "id"
) -> list[dict]:
    """GET requests: public, non-confidential, unmerged complaints matching ``query``."""
    rows = _rows(conn, query)
    events = _events(conn, [r.id for r in rows])
    return [_request(r, events.get(r.id, []), lang, photo_url) for r in rows]


def get_request(
    conn: Connection, ticket: str, photo_url: Callable[[str], str], lang: str = "id"
) -> list[dict]:
    """GET request: a one-element list, or :class:`NotFound` (also for what the public may not see)."""
    found = find_requests(
        conn, RequestQuery(ids=((ticket or "").strip().upper()[:40],), limit=1), photo_url, lang
    )
    if not found:
        raise NotFound(f"service_request_id {ticket[:40]!r} tidak ditemukan / not found.")
    return found
