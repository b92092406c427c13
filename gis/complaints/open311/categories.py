"""Open311 service discovery, services and service definitions (services: our public complaint categories)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.complaints.open311.formats import CONTENT_TYPES
from gis.complaints.open311.params import BadRequest
from gis.errors import NotFound

__all__ = ["SPECIFICATION", "discovery", "services", "service_definition", "check_service"]

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"

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
