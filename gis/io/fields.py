"""Field mapping: recognise the columns people's files use for each field we need.

Matching ignores case and anything that is not a letter or digit (``KEL_NAME`` = ``kel name``).
``--map FIELD=COLUMN`` overrides; a dry run prints the mapping that would be used.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from gis.errors import DataError

__all__ = ["CANDIDATES", "REQUIRED", "resolve_mapping", "parse_overrides", "describe_mapping"]

# kind -> field -> column names seen in real files, most specific first.
CANDIDATES: dict[str, dict[str, list[str]]] = {
    "kecamatan": {
        "code": ["kode_kec", "kd_kec", "kode", "code", "kdcpum"],
        "name": ["nama_kec", "kec_name", "wadmkc", "nama", "name", "kecamatan"],
        "kota_code": ["kode_kab", "kode_kota", "kd_kab"],
        "kota_name": ["nama_kab", "kab_name", "wadmkk", "kota"],
    },
    "kelurahan": {
        "code": ["kode_kel", "kd_kel", "kode_desa", "kode", "code", "kdepum"],
        "name": [
            "nama_kel",
            "kel_name2",
            "kel_name",
            "wadmkd",
            "desa",
            "nama",
            "namobj",
            "name",
            "kelurahan",
        ],
        "kecamatan_code": ["kode_kec", "kecamatan_code", "kec_code", "kd_kec"],
        "kecamatan_name": ["nama_kec", "kec_name", "kec_name_1", "wadmkc", "kecamatan"],
        "kota_code": ["kode_kab", "kode_kota"],
        "kota_name": ["nama_kab", "kab_name", "kab_name_1", "wadmkk"],
    },
    "rw": {
        "rw": ["rw", "no_rw", "nomor_rw", "rw_no", "nama_rw"],
        "kelurahan_code": ["kode_kel", "kelurahan_code", "kel_code", "kode_kel_kemendagri", "kd_kel"],
        "kelurahan_name": ["kel_name", "nama_kel", "kelurahan", "desa", "wadmkd"],
        "kecamatan_name": ["kec_name", "nama_kec", "kecamatan", "wadmkc"],
        "id": ["objectid", "id", "fid", "gid"],
    },
    "rt": {
        "rt": ["rt", "no_rt", "nomor_rt", "rt_no", "nama_rt"],
        "rw": ["rw", "no_rw", "nomor_rw", "rw_no"],
        "kelurahan_code": ["kode_kel", "kelurahan_code", "kel_code", "kd_kel"],
        "kelurahan_name": ["kel_name", "nama_kel", "kelurahan", "desa"],
        "kecamatan_name": ["kec_name", "nama_kec", "kecamatan"],
    },
    "facilities": {
        "name": ["name", "nama", "namobj", "nama_bangu", "nama_fasilitas", "nama_tempat"],
        "category": ["category", "kategori", "jenis", "amenity", "use", "type", "tipe"],
        "address": ["address", "alamat", "rsalamat", "lokasi", "remark", "addr_full"],
        "id": ["source_id", "id", "fid", "objectid", "src_id", "osm_id", "kode"],
        "source": ["source", "sumber"],
        "lat": ["lat", "latitude", "lintang", "y"],
        "lon": ["lon", "lng", "long", "longitude", "bujur", "x"],
        "wkt": ["wkt", "geometry", "geom", "the_geom"],
    },
    "complaints": {
        "id": [
            "source_id",
            "ticket",
            "id",
            "report_no",
            "unique_key",
            "service_request_id",
            "ticket_id",
            "pkey",
            "no_laporan",
        ],
        "category": [
            "category",
            "kategori",
            "complaint_type",
            "service_name",
            "issue_type",
            "jenis",
            "topik",
        ],
        "description": [
            "description",
            "deskripsi",
            "text",
            "isi",
            "laporan",
            "descriptor",
            "issue_description",
            "title",
            "judul",
        ],
        "created_at": [
            "created_at",
            "created_date",
            "requested_datetime",
            "ticket_created_date_time",
            "tanggal",
            "waktu",
            "timestamp",
            "date",
        ],
        "status": ["status", "ticket_status"],
        "source": ["source", "sumber"],
        "lat": ["lat", "latitude", "lintang", "y"],
        "lon": ["lon", "lng", "long", "longitude", "bujur", "x"],
        "wkt": ["wkt", "geometry", "geom", "the_geom"],
    },
    "population": {
        "unit_code": ["unit_code", "kode_unit", "kode_rt", "kode_rw", "kode"],
        "kelurahan_code": ["kelurahan_code", "kode_kel", "kd_kel"],
        "rw": ["rw", "no_rw"],
        "rt": ["rt", "no_rt"],
        "year": ["year", "tahun"],
        "households": ["households", "jumlah_kk", "kk", "jml_kk"],
        "persons": ["persons", "jiwa", "jumlah_jiwa", "jumlah_penduduk", "penduduk", "population"],
        "male": ["male", "laki_laki", "lakilaki", "lk", "pria"],
        "female": ["female", "perempuan", "pr", "wanita"],
        "age_0_4": ["age_0_4", "balita", "umur_0_4"],
        "age_5_14": ["age_5_14", "umur_5_14", "anak"],
        "age_15_64": ["age_15_64", "umur_15_64", "usia_produktif"],
        "age_65_plus": ["age_65_plus", "lansia", "umur_65_plus"],
    },
}
REQUIRED = {
    "kecamatan": ["code", "name"],
    "kelurahan": ["code", "name"],
    "rw": ["rw"],
    "rt": ["rt", "rw"],
    "facilities": ["name"],
    "complaints": [],
    "population": ["year", "persons"],
}


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def parse_overrides(pairs: Iterable[str]) -> dict[str, str]:
    """``["name=NAMOBJ", ...]`` -> ``{"name": "NAMOBJ"}``; refuse anything else clearly."""
    out = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise DataError(f"--map takes FIELD=COLUMN, got {pair!r}.", "Example: --map name=NAMOBJ")
        out[field.strip()] = column.strip()
    return out


def resolve_mapping(
    kind: str,
    columns: Iterable[str],
    overrides: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Map each field of ``kind`` to a column of the file.

    Raises
    ------
    DataError
        An override names an unknown field or a missing column, or a required field has no column.
    """
    columns = [c for c in columns if c != "geometry"]
    by_key = {}
    for column in columns:
        by_key.setdefault(_key(column), column)
    fields = CANDIDATES[kind]
    mapping: dict[str, str] = {}
    for field, column in (overrides or {}).items():
        if field not in fields:
            raise DataError(
                f"--map {field}=…: {kind} has no field {field!r}.", f"Fields: {', '.join(fields)}"
            )
        if column not in columns:
            raise DataError(
                f"--map {field}={column}: the file has no column {column!r}.",
                f"Columns: {', '.join(columns)}",
            )
        mapping[field] = column
    used = set(mapping.values())
    for field, candidates in fields.items():
        if field in mapping:
            continue
        for candidate in candidates:
            column = by_key.get(_key(candidate))
            if column is not None and column not in used:
                mapping[field] = column
                used.add(column)
                break
    missing = [f for f in REQUIRED[kind] if f not in mapping]
    if missing:
        raise DataError(
            f"No column found for {', '.join(missing)} (file columns: {', '.join(columns)}).",
            "Name the column with --map, e.g. --map " + f"{missing[0]}=<COLUMN>.",
        )
    return mapping


def describe_mapping(mapping: Mapping[str, str], kind: str) -> str:
    """The mapping as readable lines, for dry runs."""
    lines = [f"  {field:15s} <- {mapping.get(field, '(none)')}" for field in CANDIDATES[kind]]
    return "Field mapping:\n" + "\n".join(lines)
