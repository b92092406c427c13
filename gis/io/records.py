"""Turn a mapped input frame into the canonical columns of one kind, keeping the original values.

Codes and names are normalised (``3171051001`` -> ``31.71.05.1001``, ``RW 01`` -> ``RW 001``);
categories go through the vocabulary and its synonyms; timestamps without an offset are read in the
kelurahan's time zone (Asia/Jakarta by default).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from gis.demo.extract import normalise_rw_label
from gis.io.report import Problem

__all__ = ["normalise_code", "normalise_number", "vocabulary", "canonical", "POPULATION_COUNTS"]

POPULATION_COUNTS = (
    "households",
    "persons",
    "male",
    "female",
    "age_0_4",
    "age_5_14",
    "age_15_64",
    "age_65_plus",
)

_LEVEL_DIGITS = {"kecamatan": 6, "kelurahan": 10}
_STATUS = {
    "open": "diterima",
    "opened": "diterima",
    "new": "diterima",
    "baru": "diterima",
    "diterima": "diterima",
    "verifikasi": "verifikasi",
    "in progress": "ditindaklanjuti",
    "inprogress": "ditindaklanjuti",
    "ditindaklanjuti": "ditindaklanjuti",
    "proses": "ditindaklanjuti",
    "closed": "selesai",
    "resolved": "selesai",
    "selesai": "selesai",
    "completed": "selesai",
    "ditolak": "ditolak",
    "rejected": "ditolak",
    "bukan wewenang": "bukan_wewenang",
}


def normalise_code(value, level: str) -> str | None:
    """A Kemendagri code in dotted form, from ``31.71.05.1001``, ``3171051001`` or ``31 71 05 1001``."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    digits = re.sub(r"\D", "", str(value))
    if len(digits) != _LEVEL_DIGITS[level]:
        return None
    parts = [digits[0:2], digits[2:4], digits[4:6]] + ([digits[6:10]] if level == "kelurahan" else [])
    return ".".join(parts)


def normalise_number(value, prefix: str) -> int | None:
    """An RT/RW number from ``RT 003``, ``3``, ``003``, ``RT03`` (None when it is not one)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if prefix == "RW":
        text = str(value).strip()
        return normalise_rw_label(text if text.upper().startswith("RW") else f"RW {text}")
    match = re.fullmatch(rf"\s*(?:{prefix})?\s*0*(\d{{1,3}})(?:\.0)?\s*", str(value), re.IGNORECASE)
    return int(match.group(1)) if match and int(match.group(1)) > 0 else None


def vocabulary(data_dir: Path, kind: str, known: set[str]) -> dict[str, str]:
    """Lower-cased value -> category code: the codes themselves, their names, and synonyms."""
    out = {code.lower(): code for code in known}
    out.update({code.replace("_", " "): code for code in known})
    synonyms = pd.read_csv(Path(data_dir) / "categories" / "synonyms.csv")
    for value, code in synonyms.loc[synonyms["kind"] == kind, ["value", "code"]].itertuples(index=False):
        if code in known:
            out[str(value).lower()] = code
    return out


def _numbers(labels: pd.Series, prefix: str) -> pd.Series:
    """RT/RW numbers as Python ints or None (never floats with NaN)."""
    return pd.Series([normalise_number(v, prefix) for v in labels], index=labels.index, dtype=object)


def _text(frame: pd.DataFrame, mapping: dict, field: str) -> pd.Series:
    """A column as stripped strings, None for missing or blank (never NaN)."""
    column = mapping.get(field)
    if column is None:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)

    def clean(value):
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
            return None
        text = str(value).strip()
        return text or None

    return pd.Series([clean(v) for v in frame[column]], index=frame.index, dtype=object)


def _where(geom) -> str | None:
    """A text key for a geometry of any type (None or empty too), for ids derived from content."""
    if geom is None or geom.is_empty:
        return None
    return f"{geom.x:.6f},{geom.y:.6f}" if geom.geom_type == "Point" else geom.wkt[:200]


def _stable_id(*parts) -> str:
    return hashlib.sha1("|".join("" if p is None else str(p) for p in parts).encode()).hexdigest()[:16]


def canonical(
    frame: gpd.GeoDataFrame, kind: str, mapping: dict, options: dict
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """The canonical columns for ``kind`` plus ``row`` and geometry, and the problems found."""
    return _BUILDERS[kind](frame, mapping, options)


def _kecamatan(frame, mapping, options):
    code = _text(frame, mapping, "code").map(lambda v: normalise_code(v, "kecamatan"))
    out = gpd.GeoDataFrame(
        {
            "row": frame["row"],
            "code": code,
            "name": _text(frame, mapping, "name"),
            "kota_code": _text(frame, mapping, "kota_code").fillna(code.str[:5]),
            "kota_name": _text(frame, mapping, "kota_name").fillna(""),
        },
        geometry=frame.geometry,
        crs=4326,
    )
    return out, _required(
        out, frame, mapping, {"code": "a kecamatan code such as 31.71.05", "name": "a name"}
    )


def _kelurahan(frame, mapping, options):
    code = _text(frame, mapping, "code").map(lambda v: normalise_code(v, "kelurahan"))
    kec = _text(frame, mapping, "kecamatan_code").map(lambda v: normalise_code(v, "kecamatan"))
    out = gpd.GeoDataFrame(
        {
            "row": frame["row"],
            "code": code,
            "name": _text(frame, mapping, "name"),
            "kecamatan_code": kec.fillna(code.str[:8]),
            "kecamatan_name": _text(frame, mapping, "kecamatan_name"),
            "kota_name": _text(frame, mapping, "kota_name"),
            "kind": np.where(code.str[9:10] == "2", "desa", "kelurahan"),
        },
        geometry=frame.geometry,
        crs=4326,
    )
    return out, _required(
        out, frame, mapping, {"code": "a kelurahan code such as 31.71.05.1001", "name": "a name"}
    )


def _units(frame, mapping, options, level):
    out = gpd.GeoDataFrame(
        {
            "row": frame["row"],
            "kelurahan_code": _text(frame, mapping, "kelurahan_code").map(
                lambda v: normalise_code(v, "kelurahan")
            ),
            "kelurahan_name": _text(frame, mapping, "kelurahan_name"),
            "kecamatan_name": _text(frame, mapping, "kecamatan_name"),
            "rw_label": _text(frame, mapping, "rw"),
            "source_id": _text(frame, mapping, "id"),
        },
        geometry=frame.geometry,
        crs=4326,
    )
    if options.get("kelurahan"):
        out["kelurahan_code"] = options["kelurahan"]
    out["rw_number"] = _numbers(out["rw_label"], "RW")
    problems = [
        Problem(
            "bad-rw-label",
            f"RW label {label!r} is not an RW number (expected e.g. 'RW 05', '5').",
            row=int(row),
            geometry=g.representative_point() if g is not None and not g.is_empty else None,
        )
        for row, label, num, g in zip(
            out["row"], out["rw_label"], out["rw_number"], out.geometry, strict=True
        )
        if num is None
    ]
    if level == "rt":
        out["rt_label"] = _text(frame, mapping, "rt")
        out["rt_number"] = _numbers(out["rt_label"], "RT")
        problems += [
            Problem("bad-rt-label", f"RT label {label!r} is not an RT number.", row=int(row))
            for row, label, num in zip(out["row"], out["rt_label"], out["rt_number"], strict=True)
            if num is None
        ]
    return out, problems


def _facilities(frame, mapping, options):
    vocab = options["vocabulary"]
    raw = _text(frame, mapping, "category")
    default = options.get("category")
    category = raw.map(lambda v: vocab.get(v.lower()) if v else None)
    problems = [
        Problem(
            "unknown-category",
            f"Category {v!r} is not in the vocabulary; stored as "
            "'lainnya' (map it with data/categories/synonyms.csv).",
            severity="warning",
            row=int(r),
        )
        for r, v, c in zip(frame["row"], raw, category, strict=True)
        if v and c is None and not default
    ]
    category = category.fillna(default or "lainnya")
    source = _text(frame, mapping, "source").fillna(options["source"])
    ids = _text(frame, mapping, "id")
    names = _text(frame, mapping, "name")
    unnamed = names.isna()
    labels = options.get("labels", {})
    fallback = category.map(lambda c: f"{labels.get(c, c)} (tanpa nama)")
    problems += [
        Problem("no-name", f"No name; stored as {n!r}.", severity="warning", row=int(r))
        for r, n in zip(frame["row"][unnamed], fallback[unnamed], strict=True)
    ]
    names = names.where(~unnamed, fallback)
    coords = frame.geometry.map(_where)
    source_id = ids.where(ids.notna(), [_stable_id(n, c) for n, c in zip(names, coords, strict=True)])
    out = gpd.GeoDataFrame(
        {
            "row": frame["row"],
            "category": category,
            "name": names,
            "address": _text(frame, mapping, "address"),
            "source": source,
            "source_id": source_id,
        },
        geometry=frame.geometry,
        crs=4326,
    )
    return out, problems


def _complaints(frame, mapping, options):
    vocab = options["vocabulary"]
    raw = _text(frame, mapping, "category")
    category = raw.map(lambda v: vocab.get(v.lower()) if v else None)
    default = options.get("category")
    problems = [
        Problem(
            "unknown-category",
            f"Category {v!r} is not in the vocabulary; stored as {default or 'lainnya'!r}.",
            severity="warning",
            row=int(r),
        )
        for r, v, c in zip(frame["row"], raw, category, strict=True)
        if v and c is None
    ]
    category = category.fillna(default or "lainnya")
    description = _text(frame, mapping, "description")
    problems += [
        Problem(
            "no-description", "No description; stored as '(tanpa uraian)'.", severity="warning", row=int(r)
        )
        for r, d in zip(frame["row"], description, strict=True)
        if d is None
    ]
    created = _timestamps(_text(frame, mapping, "created_at"), options.get("timezone", "Asia/Jakarta"))
    problems += [
        Problem(
            "bad-timestamp",
            f"Cannot read the time {v!r}; use ISO 8601 such as 2026-03-01T08:30:00+07:00.",
            row=int(r),
        )
        for r, v, t in zip(frame["row"], _text(frame, mapping, "created_at"), created, strict=True)
        if v is not None and t is None
    ]
    status = (
        _text(frame, mapping, "status")
        .map(lambda v: _STATUS.get(v.lower().replace("_", " ")) if v else None)
        .fillna("diterima")
    )
    source = _text(frame, mapping, "source").fillna(options["source"])
    ids = _text(frame, mapping, "id")
    coords = frame.geometry.map(_where)
    source_id = ids.where(
        ids.notna(), [_stable_id(t, c, d) for t, c, d in zip(created, coords, description, strict=True)]
    )
    out = gpd.GeoDataFrame(
        {
            "row": frame["row"],
            "category": category,
            "description": description.fillna("(tanpa uraian)"),
            "status": status,
            "status_reason": np.where(
                status.isin(["ditolak", "bukan_wewenang"]), "Status dari data impor.", None
            ),
            "created_at": created,
            "source": source,
            "source_id": source_id,
            "ticket": [f"IMP-{_stable_id(s, i).upper()}" for s, i in zip(source, source_id, strict=True)],
        },
        geometry=frame.geometry,
        crs=4326,
    )
    out["resolved_at"] = out["created_at"].where(out["status"] == "selesai", None)
    return out, problems


def _timestamps(values: pd.Series, timezone: str) -> pd.Series:
    """UTC datetimes; values without an offset are local time in ``timezone``; None if unreadable.

    ISO 8601 is parsed column-wise, offset-aware and naive values separately (real files mix
    offsets: Chicago's -05:00 and -06:00 across DST); anything else is tried value by value.
    """
    text = values.astype("string")
    aware_mask = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True, na=False)
    aware = pd.to_datetime(text.where(aware_mask), utc=True, errors="coerce", format="ISO8601")
    naive = pd.to_datetime(text.where(~aware_mask), errors="coerce", format="ISO8601")
    naive = naive.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
    parsed = aware.where(aware_mask, naive)
    out = [None if pd.isna(v) else v.to_pydatetime() for v in parsed]
    for position in [
        k for k, (v, p) in enumerate(zip(values, out, strict=True)) if v is not None and p is None
    ]:
        try:
            stamp = pd.to_datetime(values.iloc[position], dayfirst=True)  # Indonesian: 01/03 = 1 March
        except (ValueError, TypeError):
            continue
        if not pd.isna(stamp):
            stamp = stamp.tz_localize(timezone) if stamp.tzinfo is None else stamp
            out[position] = stamp.tz_convert("UTC").to_pydatetime()
    return pd.Series(out, index=values.index, dtype=object)


def _population(frame, mapping, options):
    def ints(field):
        col = mapping.get(field)
        if col is None:
            return pd.Series([None] * len(frame), index=frame.index, dtype=object)
        number = pd.to_numeric(frame[col], errors="coerce")
        whole = number.notna() & (number == np.floor(number)) & (number >= 0)
        return number.where(whole).astype("Int64")  # fractions, "3.200" and negatives become errors

    out = pd.DataFrame(
        {
            "row": frame["row"],
            "unit_code": _text(frame, mapping, "unit_code"),
            "kelurahan_code": _text(frame, mapping, "kelurahan_code").map(
                lambda v: normalise_code(v, "kelurahan")
            ),
            "rw_number": _numbers(_text(frame, mapping, "rw"), "RW"),
            "rt_number": _numbers(_text(frame, mapping, "rt"), "RT"),
        }
    )
    if options.get("kelurahan"):
        out["kelurahan_code"] = options["kelurahan"]
    for field in ("year", *POPULATION_COUNTS):
        out[field] = ints(field)
    problems = [
        Problem(
            "bad-number",
            f"{field} must be a whole number ≥ 0, got {frame[mapping[field]].iloc[i]!r}.",
            row=int(out["row"].iloc[i]),
        )
        for field in ("year", *POPULATION_COUNTS)
        if field in mapping
        for i in np.flatnonzero(
            out[field].isna().to_numpy()
            & (frame[mapping[field]].notna().to_numpy() | (field in ("year", "persons")))
        )
    ]
    problems += [
        Problem("bad-year", f"tahun {int(y)} is outside 1900–2100.", row=int(r))
        for r, y in zip(out["row"], out["year"], strict=True)
        if not pd.isna(y) and not 1900 <= int(y) <= 2100
    ]
    bad_sum = (
        out["male"].notna()
        & out["female"].notna()
        & out["persons"].notna()
        & (out["male"] + out["female"] != out["persons"])
    )
    problems += [
        Problem("sexes-do-not-add-up", f"laki-laki {m} + perempuan {f} ≠ jiwa {p}.", row=int(r))
        for r, m, f, p in out.loc[bad_sum, ["row", "male", "female", "persons"]].itertuples(index=False)
    ]
    return out, problems


def _required(out, frame, mapping, fields: dict[str, str]) -> list[Problem]:
    problems = []
    for field, what in fields.items():
        for row, value, geom in zip(out["row"], out[field], out.geometry, strict=True):
            if value is None or (isinstance(value, float) and np.isnan(value)):
                original = mapping.get(field)
                problems.append(
                    Problem(
                        f"missing-{field}",
                        f"Missing or malformed {field} (column {original}); expected {what}.",
                        row=int(row),
                        geometry=geom.representative_point()
                        if geom is not None and not geom.is_empty
                        else None,
                    )
                )
    return problems


_BUILDERS = {
    "kecamatan": _kecamatan,
    "kelurahan": _kelurahan,
    "rw": lambda f, m, o: _units(f, m, o, "rw"),
    "rt": lambda f, m, o: _units(f, m, o, "rt"),
    "facilities": _facilities,
    "complaints": _complaints,
    "population": _population,
}
