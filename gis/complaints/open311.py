"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2): API keys, services, public requests.

Everything the ``/open311/v2`` views need lives here, including all of its SQL; the views only parse
the HTTP request and choose JSON or XML.

Privacy decisions (what a GET may show of a complaint)
------------------------------------------------------
* Only complaints of a **public** category that are **not confidential** (*rahasia*) and **not merged**
  into another (``duplicate_of IS NULL``) exist for GET requests; any other ticket answers 404, exactly
  as a ticket that does not exist.
* ``lat``/``long`` are the generalised public point ``complaint.geom_public`` (exact, 100 m grid cell
  or RT point, by the category's rule), never ``complaint.geom``.
* ``description`` is **not** the resident's text, which may name people, houses or phone numbers: it
  is the category's name (in the language asked for). Only staff see the resident's words.
* ``address`` is "RW 007, Kelurahan X, Kecamatan Y, Kota Z": we hold no street addresses, and the RW is
  coarse enough for every privacy class. ``address_id`` and ``zipcode`` are always null.
* ``status_notes`` is the status label (Indonesian unless ``lang=en``) followed by the status reason
  (``complaint.status_reason``, written by staff for ditolak / bukan_wewenang) or else the latest
  public note written by staff (``complaint_event`` of kind status/note/merge with ``public``).
  Disputes are written by the reporter: they appear in ``notes`` only as "disputed", never their text.
* ``media_url`` is the first public "before" photo (``/foto/<file>``), else null.
* The ``reporter`` table is never read: no names, phone numbers or e-mail addresses leave through
  Open311. A POSTed ``media_url`` is never fetched; it is kept as a private note for staff.

Other decisions
---------------
* POST answers carry both ``service_request_id`` (our ticket, e.g. ``LP-7KQ2-M9XD``) and ``token``
  (the stored idempotency key), although the spec says to send one or the other: the ticket exists at
  once, and the token lets a client that lost the answer find it again (``tokens/{token}``).
* ``idempotency_key`` (our extension) is namespaced by API key (``o311:<key id>:<client key>``) so
  clients cannot collide with, or replay, each other's submissions; without it a random key is used.
* ``api_key`` is read from the POST body only (never the query string, which ends up in logs).
* ``jurisdiction_id`` is ignored: one endpoint serves one office.
* Errors: 400 for malformed input (our 422 becomes 400, as the spec asks), 403 for the API key, 404
  for what does not exist or is not public. ``start_date``/``end_date`` must be W3C datetimes with a
  zone (a bare date means that day in WIB) and may not be more than 90 days apart.

Chicago's extensions are followed (``attributes``, ``extended_attributes``, ``notes``) so that the
clients written for the best-known Open311 server read ours.

API keys are stored as the SHA-256 of the key; the plain key is shown once, when created.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.complaints.sla import TZ
from gis.complaints.submit import KEY_PATTERN
from gis.complaints.workflow import STATUS_LABELS
from gis.errors import DataError, Forbidden, NotFound

__all__ = [
    "SPECIFICATION",
    "FORMATS",
    "CONTENT_TYPES",
    "MAX_REQUESTS",
    "DEFAULT_DAYS",
    "OPEN",
    "CLOSED",
    "BadRequest",
    "create_api_key",
    "new_api_key",
    "check_api_key",
    "list_api_keys",
    "disable_api_key",
    "open311_status",
    "discovery",
    "services",
    "service_definition",
    "check_service",
    "RequestQuery",
    "parse_request_query",
    "parse_w3c",
    "find_requests",
    "get_request",
    "token_request",
    "submission_key",
    "service_notice",
    "post_response",
    "check_media_url",
    "note_media_url",
    "render",
    "w3c",
]

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = ("json", "xml")
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
MAX_REQUESTS = 1000  # the spec's default volume: 90 days or 1000 requests, whichever is smaller
DEFAULT_DAYS = 90
MAX_IDS = 1000
OPEN = ("diterima", "verifikasi", "ditindaklanjuti")
CLOSED = ("selesai", "ditolak", "bukan_wewenang")
_STATUS = {**dict.fromkeys(OPEN, "open"), **dict.fromkeys(CLOSED, "closed")}
_NOTE_KINDS = ("status", "note", "merge")  # written by staff: their public notes may be shown
_KEY_PREFIX = "sk311_"
_MAX_MEDIA_URL = 2000

# Open311 groups: our categories have none in the database, so a fixed map (unknown codes: lainnya).
_GROUPS = {
    "kebersihan": "lingkungan",
    "kesehatan_lingkungan": "lingkungan",
    "drainase_banjir": "prasarana",
    "jalan_rusak": "prasarana",
    "penerangan_jalan": "prasarana",
    "fasilitas_umum": "prasarana",
    "ketertiban_umum": "ketertiban",
    "keamanan": "ketertiban",
    "sosial": "sosial",
    "administrasi": "layanan",
}
_GROUP_EN = {
    "lingkungan": "environment",
    "prasarana": "infrastructure",
    "ketertiban": "public order",
    "sosial": "social",
    "layanan": "services",
    "lainnya": "other",
}


class BadRequest(DataError):
    """A malformed Open311 request: the spec answers these with HTTP 400."""

    http_status = 400
    code = "bad-request"


# -- API keys -------------------------------------------------------------------------------------


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


# -- services ----------------------------------------------------------------------------------------


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


def discovery(conn: Connection, url: str) -> dict:
    """The Service Discovery document for the endpoint at ``url``."""
    changed = conn.execute(
        sa.text("SELECT max(changed_at) FROM layer_version WHERE layer = 'complaint_category'")
    ).scalar()
    changeset = (changed or dt.datetime(1970, 1, 1, tzinfo=dt.UTC)).astimezone(dt.UTC)
    changeset = changeset.strftime("%Y-%m-%dT%H:%M:%SZ")
    kelurahan = conn.execute(sa.text("SELECT name FROM kelurahan ORDER BY name")).scalars().all()
    served = ", ".join(kelurahan) or "-"
    return {
        "changeset": changeset,
        "contact": (
            f"Kantor kelurahan ({served}): hubungi petugas pengaduan / contact the kelurahan office's "
            "complaints desk."
        ),
        "key_service": (
            "Kunci API diberikan oleh administrator kelurahan (sigkel apikey add NAMA) / API keys are "
            "issued by the kelurahan administrator; only POST requests need one."
        ),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": url,
                "changeset": changeset,
                "type": "production",
                "formats": [CONTENT_TYPES["xml"].split(";")[0], CONTENT_TYPES["json"].split(";")[0]],
            }
        ],
    }


def _keywords(data_dir: str | Path | None) -> dict[str, list[str]]:
    """Complaint synonyms from ``data/categories/synonyms.csv`` (the import vocabulary), by code."""
    out: dict[str, list[str]] = {}
    if data_dir is None:
        return out
    path = Path(data_dir) / "categories" / "synonyms.csv"
    if not path.exists():
        return out
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if (row.get("kind") or "").strip() == "complaint":
                value, code = (row.get("value") or "").strip(), (row.get("code") or "").strip()
                if value and code and value not in out.setdefault(code, []):
                    out[code].append(value)
    return out


def _group(code: str, lang: str) -> str:
    group = _GROUPS.get(code, "lainnya")
    return _GROUP_EN[group] if lang == "en" else group


def _service(row, lang: str, keywords: list[str]) -> dict:
    name, other = (row.name_en, row.name_id) if lang == "en" else (row.name_id, row.name_en)
    if lang == "en":
        description = f"{name} ({other}). Target: resolved within {row.sla_days} working days."
    else:
        description = f"{name} ({other}). Target penyelesaian: {row.sla_days} hari kerja."
    return {
        "service_code": row.code,
        "service_name": name,
        "description": description,
        "metadata": False,  # no category has extra attributes (service definitions are empty)
        "type": "realtime",
        "keywords": ", ".join(keywords),
        "group": _group(row.code, lang),
    }


def services(conn: Connection, lang: str = "id", data_dir: str | Path | None = None) -> list[dict]:
    """GET services: the public complaint categories only (sosial, administrasi are not listed)."""
    rows = conn.execute(
        sa.text(
            "SELECT code, name_id, name_en, sla_days FROM complaint_category WHERE public "
            "ORDER BY code = 'lainnya', code"
        )
    ).all()
    keywords = _keywords(data_dir)
    return [_service(r, lang, keywords.get(r.code, [])) for r in rows]


def check_service(conn: Connection, code: str | None) -> str:
    """``code`` if it names a public category; 400 when missing, 404 when unknown or not public."""
    code = (code or "").strip()
    if not code:
        raise BadRequest("service_code wajib diisi / service_code was not provided.")
    found = conn.execute(
        sa.text("SELECT code FROM complaint_category WHERE code = :c AND public"), {"c": code}
    ).scalar()
    if found is None:
        raise NotFound(
            f"service_code {code[:80]!r} tidak ditemukan / service_code not found.",
            hint="GET services.json lists the service codes.",
        )
    return found


def service_definition(conn: Connection, code: str) -> dict:
    """GET service definition: our categories have no extra attributes, so the list is empty."""
    return {"service_code": check_service(conn, code), "attributes": []}


# -- GET requests --------------------------------------------------------------------------------------

_W3C = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d{1,9}))?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2}))?)?)?$"
)


def parse_w3c(value: str, name: str) -> tuple[dt.datetime, bool]:
    """A W3C datetime (http://www.w3.org/TR/NOTE-datetime) -> (aware instant, whether it had a time).

    A date without a time (YYYY, YYYY-MM, YYYY-MM-DD) starts at midnight in the office's time zone;
    a time must carry its zone (Z or ±hh:mm), as the spec requires.
    """
    text = (value or "").strip().replace(" ", "+")  # a '+' in a query string arrives as a space
    match = _W3C.match(text)
    problem = (
        f"{name} harus tanggal W3C / must be a W3C datetime such as 2026-01-31T00:00:00+07:00 or "
        f"2026-01-31T00:00:00Z, got {value[:60]!r}."
    )
    if match is None:
        raise BadRequest(problem)
    g = match.groupdict()
    try:
        if g["H"] is None:
            instant = dt.datetime(int(g["y"]), int(g["m"] or 1), int(g["d"] or 1), tzinfo=TZ)
            return instant, False
        tz = dt.UTC if g["tz"] == "Z" else _offset(g["tz"])
        micro = int((g["f"] or "0")[:6].ljust(6, "0"))
        instant = dt.datetime(
            int(g["y"]), int(g["m"]), int(g["d"]), int(g["H"]), int(g["M"]), int(g["S"] or 0), micro, tz
        )
    except ValueError:
        raise BadRequest(problem) from None
    return instant, True


def _offset(text: str) -> dt.timezone:
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 23 or minutes > 59:
        raise ValueError(text)
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


def _period_end(start: dt.datetime, text: str) -> dt.datetime:
    """The first instant after the period that a date without a time names (a day, month or year)."""
    parts = text.strip().count("-")
    if parts == 0:
        return start.replace(year=start.year + 1)
    if parts == 1:
        return start.replace(year=start.year + (start.month == 12), month=start.month % 12 + 1)
    return (start + dt.timedelta(days=1)).replace(hour=0)


@dataclass(frozen=True)
class RequestQuery:
    """A parsed GET requests query: ``start`` inclusive, ``end`` exclusive."""

    ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    limit: int = MAX_REQUESTS


def _list(args: Mapping[str, str], name: str) -> tuple[str, ...]:
    raw = args.get(name) or ""
    return tuple(dict.fromkeys(v.strip() for v in raw.split(",") if v.strip()))


def _range(args: Mapping[str, str], now: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
    window = dt.timedelta(days=DEFAULT_DAYS)
    start = end = None
    if (args.get("start_date") or "").strip():
        start, _ = parse_w3c(args["start_date"], "start_date")
    if (args.get("end_date") or "").strip():
        instant, timed = parse_w3c(args["end_date"], "end_date")
        end = instant + dt.timedelta(microseconds=1) if timed else _period_end(instant, args["end_date"])
    if start is None and end is None:
        end = now or dt.datetime.now(dt.UTC)
        start = end - window
    elif start is None:
        start = end - window
    elif end is None:
        end = start + window
    return start, end


def parse_request_query(args: Mapping[str, str], now: dt.datetime | None = None) -> RequestQuery:
    """Validate the spec's filters (comma lists already joined); an empty value counts as absent.

    ``service_request_id`` overrides every other filter. Without dates the range is the last 90 days;
    with one date it is the 90 days after ``start_date`` or before ``end_date``; two dates may not be
    more than 90 days apart. At most 1000 requests come back, newest first.
    """
    ids = tuple(i.upper() for i in _list(args, "service_request_id"))
    if len(ids) > MAX_IDS:
        raise BadRequest(f"service_request_id: paling banyak / at most {MAX_IDS} ids.")
    if ids:
        return RequestQuery(ids=ids)
    statuses = tuple(s.lower() for s in _list(args, "status"))
    wrong = [s for s in statuses if s not in ("open", "closed")]
    if wrong:
        raise BadRequest(f"status harus open atau closed / status must be open or closed, got {wrong[0]!r}.")
    try:
        start, end = _range(args, now)
    except (ValueError, OverflowError):  # e.g. year 9999 + 90 days
        raise BadRequest("start_date/end_date di luar rentang / out of range.") from None
    if end <= start:
        raise BadRequest("end_date harus sesudah start_date / end_date must be after start_date.")
    if end - start > dt.timedelta(days=DEFAULT_DAYS, microseconds=1):
        raise BadRequest(
            f"Rentang tanggal paling lama {DEFAULT_DAYS} hari / start_date and end_date may not span "
            f"more than {DEFAULT_DAYS} days."
        )
    return RequestQuery(
        service_codes=_list(args, "service_code"), statuses=statuses, start=start, end=end, limit=MAX_REQUESTS
    )


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
        "description": name,  # never the resident's own words: see the module docstring
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


# -- POST requests and tokens ----------------------------------------------------------------------


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


# -- rendering ---------------------------------------------------------------------------------------

# Spark convention (http://wiki.open311.org/JSON_and_XML_Conversion): a JSON array is an XML wrapper
# element whose children take the singular name.
_CHILD = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
    "notes": "note",
}
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def _xml_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _XML_BAD.sub("", str(value))


def _fill(element: ET.Element, value) -> None:
    if value is None:
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            tag = key if _XML_NAME.match(str(key)) and not str(key).lower().startswith("xml") else "item"
            _fill(ET.SubElement(element, tag), item)
    elif isinstance(value, list | tuple):
        child = _CHILD.get(element.tag, "item")
        for item in value:
            _fill(ET.SubElement(element, child), item)
    else:
        element.text = _xml_text(value)


def render(payload: dict | Iterable[dict], root: str, fmt: str) -> tuple[bytes, str]:
    """``(body, content type)`` of a payload in JSON or in the spec's XML under element ``root``."""
    if fmt == "xml":
        element = ET.Element(root)
        _fill(element, payload if isinstance(payload, Mapping) else list(payload))
        body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="unicode").encode()
        return body, CONTENT_TYPES["xml"]
    data = payload if isinstance(payload, Mapping) else list(payload)
    return json.dumps(data, ensure_ascii=False).encode(), CONTENT_TYPES["json"]
