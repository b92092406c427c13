"""Import boundaries, facilities, population and complaints from GIS files.

Every import runs inside a savepoint of the caller's transaction: a dry run, or an import with
errors and no ``skip_invalid``, rolls it back, so the database is left exactly as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.complaints.privacy import refresh_public_points
from gis.db import tables as t
from gis.db.assign import assign_units
from gis.db.write import frame_rows, upsert
from gis.demo.extract import rw_code
from gis.errors import DataError
from gis.io import load, validate
from gis.io.fields import resolve_mapping
from gis.io.readers import SourceFile, open_source
from gis.io.records import POPULATION_COUNTS, canonical, vocabulary
from gis.io.report import ImportReport, Problem

__all__ = ["ImportOptions", "import_file", "KINDS", "LEVELS"]

KINDS = ("boundaries", "facilities", "population", "complaints")
LEVELS = ("kecamatan", "kelurahan", "rw", "rt")
MAX_LISTED_UNASSIGNED = 5000


@dataclass
class ImportOptions:
    """What ``sigkel import`` was told. Defaults suit a plain import."""

    layer: str | None = None
    kelurahan: str | None = None
    overrides: dict[str, str] = field(default_factory=dict)
    crs: str | None = None
    dry_run: bool = False
    skip_invalid: bool = False
    level: str | None = None
    source: str | None = None
    category: str | None = None
    timezone: str = "Asia/Jakarta"
    rejects_path: Path | None = None


def import_file(
    conn: Connection,
    kind: str,
    path: Path,
    options: ImportOptions,
    data_dir: Path,
    progress: Callable[[int, int | None], None] | None = None,
) -> ImportReport:
    """Validate and load one file; returns the report (also when nothing was loaded).

    Raises
    ------
    DataError
        The file cannot be read at all (format, layer, CRS, no usable columns).
    """
    if kind not in KINDS:
        raise DataError(f"Unknown import kind {kind!r}; use one of {', '.join(KINDS)}.")
    source = open_source(Path(path), options.layer, options.crs)
    try:
        savepoint = conn.begin_nested()
        try:

            def step(rows: int) -> None:
                if progress is not None:
                    progress(rows, source.count)

            report = _dispatch(conn, kind, source, options, Path(data_dir), step)
        except BaseException:
            savepoint.rollback()
            raise
        keep = not options.dry_run and (not report.errors or options.skip_invalid)
        (savepoint.commit if keep else savepoint.rollback)()
        report.committed = keep
        return report
    finally:
        source.close()


def _dispatch(conn, kind, source: SourceFile, options, data_dir, progress) -> ImportReport:
    if kind == "boundaries":
        level = options.level or _detect_level(source)
        return _import_boundaries(conn, level, source, options, progress)
    if kind == "population":
        return _import_population(conn, source, options, progress)
    return _import_points(conn, kind, source, options, data_dir, progress)


def _new_report(kind, source: SourceFile, options, mapping) -> ImportReport:
    return ImportReport(
        kind=kind,
        file=source.path.name,
        layer=source.layer,
        crs=source.crs.to_string() if source.crs else None,
        mapping=mapping,
        dry_run=options.dry_run,
    )


def _detect_level(source: SourceFile) -> str:
    for level in ("rt", "rw"):
        try:
            resolve_mapping(level, source.columns)
            return level
        except DataError:
            continue
    sample = source.read().drop(columns="geometry")
    for column in sample.columns:
        digits = sample[column].dropna().astype(str).str.replace(r"\D", "", regex=True)
        if len(digits) and (digits.str.len() == 10).all():
            return "kelurahan"
        if len(digits) and (digits.str.len() == 6).all() and "kec" in column.lower() + "kode":
            return "kecamatan"
    raise DataError(
        "Cannot tell which boundary level this file holds.", "Say it with --level kecamatan|kelurahan|rw|rt."
    )


def _write_rejects(report: ImportReport, raw: gpd.GeoDataFrame, path: Path | None) -> None:
    if not report.rejected_rows or path is None:
        return
    reasons: dict[int, list[str]] = {}
    for p in report.errors:
        if p.row is not None:
            reasons.setdefault(p.row, []).append(f"{p.code}: {p.message}")
    rejected = raw[raw["row"].isin(report.rejected_rows)].copy()
    rejected["_reasons"] = rejected["row"].map(lambda r: " | ".join(reasons.get(r, [])))
    for column in rejected.columns:
        if column != "geometry" and rejected[column].dtype == object:
            rejected[column] = rejected[column].map(
                lambda v: v if v is None or isinstance(v, str | int | float | bool) else str(v)
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    gpd.GeoDataFrame(rejected, geometry="geometry", crs=4326).to_file(path, driver="GeoJSON")
    report.notes.append(f"rejected rows with their reasons: {path}")


# -- boundaries -----------------------------------------------------------------------------------


def _db_units(conn, level: str) -> gpd.GeoDataFrame:
    sql = {
        "kecamatan": "SELECT code, name, geom FROM kecamatan",
        "kelurahan": "SELECT k.code, k.name, k.kecamatan_code, kc.name AS kecamatan_name, k.geom "
        "FROM kelurahan k JOIN kecamatan kc ON kc.code = k.kecamatan_code",
        "rw": "SELECT code, kelurahan_code, number, geom FROM rw",
    }[level]
    return gpd.read_postgis(sa.text(sql), conn, geom_col="geom").rename_geometry("geometry")


def _key(name) -> str:
    return re.sub(r"[^A-Z0-9]", "", str(name or "").upper())


def _resolve_kelurahan(conn, frame: gpd.GeoDataFrame) -> tuple[pd.Series, list[Problem]]:
    """Kelurahan code of each unit: given code, else the name (with kecamatan), else location."""
    kel = _db_units(conn, "kelurahan")
    known = set(kel["code"])
    by_name: dict[str, list] = {}
    for code, name, kec in zip(kel["code"], kel["name"], kel["kecamatan_name"], strict=True):
        by_name.setdefault(_key(name), []).append((code, _key(kec)))
    tree = kel.sindex
    problems, codes = [], []
    for row, code, name, kec, geom in zip(
        frame["row"],
        frame["kelurahan_code"],
        frame["kelurahan_name"],
        frame["kecamatan_name"],
        frame.geometry,
        strict=True,
    ):
        where = geom.representative_point() if geom is not None else None
        if code:
            if code not in known:
                problems.append(
                    Problem(
                        "unknown-kelurahan",
                        f"Kelurahan {code} is not in the database; import the kelurahan boundaries first.",
                        row=int(row),
                        geometry=where,
                    )
                )
            codes.append(code)
            continue
        candidates = by_name.get(_key(name), [])
        if len(candidates) > 1:
            candidates = [c for c in candidates if c[1] == _key(kec)] or candidates
        located = None
        if where is not None:
            hits = tree.query(where, predicate="intersects")
            located = kel["code"].iloc[hits[0]] if len(hits) else None
        if len(candidates) == 1:
            found = candidates[0][0]
            if located and located != found:
                problems.append(
                    Problem(
                        "kelurahan-name-location-disagree",
                        f"Named {name!r} ({found}) but lies in {located}; the name was used.",
                        severity="warning",
                        row=int(row),
                        geometry=where,
                    )
                )
        elif located:
            found = located
            if name:
                problems.append(
                    Problem(
                        "kelurahan-by-location",
                        f"Kelurahan name {name!r} not recognised; assigned by location to {located}.",
                        severity="warning",
                        row=int(row),
                        geometry=where,
                    )
                )
        else:
            found = None
            problems.append(
                Problem(
                    "unknown-kelurahan",
                    f"No kelurahan named {name!r} and none at this place; import "
                    "the kelurahan first or pass --kelurahan CODE.",
                    row=int(row),
                    geometry=where,
                )
            )
        codes.append(found)
    return pd.Series(codes, index=frame.index, dtype=object), problems


def _ensure_kecamatan(conn, frame: gpd.GeoDataFrame, report: ImportReport) -> None:
    """Create kecamatan named by kelurahan rows but missing in the database, from their union."""
    existing = set(conn.execute(sa.text("SELECT code FROM kecamatan")).scalars())
    missing = frame[~frame["kecamatan_code"].isin(existing) & frame.geometry.notna()]
    if missing.empty:
        return
    rows = []
    for code, group in missing.groupby("kecamatan_code"):
        union = shapely.make_valid(shapely.union_all(group.geometry.values))
        rows.append(
            {
                "code": code,
                "name": group["kecamatan_name"].dropna().iloc[0]
                if group["kecamatan_name"].notna().any()
                else code,
                "kota_code": code[:5],
                "kota_name": group["kota_name"].dropna().iloc[0] if group["kota_name"].notna().any() else "",
                "source": f"union of kelurahan in {report.file}",
                "geom": f"SRID=4326;{validate._polygonal(union).wkt}",
            }
        )
    upsert(conn, t.kecamatan, rows, key=["code"])
    report.notes.append(
        f"created {len(rows)} kecamatan from their kelurahan: "
        + ", ".join(r["code"] for r in rows[:10])
        + ("…" if len(rows) > 10 else "")
    )


def _import_boundaries(conn, level, source, options, progress) -> ImportReport:
    if level not in LEVELS:
        raise DataError(f"--level must be one of {', '.join(LEVELS)}.")
    mapping = resolve_mapping(level, source.columns, options.overrides)
    report = _new_report(f"boundaries ({level})", source, options, mapping)
    raw = source.read(mapping)
    report.read = len(raw)
    progress(len(raw))
    frame, problems = canonical(raw, level, mapping, {"kelurahan": options.kelurahan})
    frame, geom_problems = validate.repair_geometries(frame, "polygon")
    problems += geom_problems
    label = level.upper() if level in ("rw", "rt") else level
    if level in ("rw", "rt"):
        frame["kelurahan_code"], found = _resolve_kelurahan(conn, frame)
        problems += found
        frame["rw_code"] = [
            rw_code(k, n) if k and n else None
            for k, n in zip(frame["kelurahan_code"], frame["rw_number"], strict=True)
        ]
    if level == "rt":
        known_rw = set(conn.execute(sa.text("SELECT code FROM rw")).scalars())
        problems += [
            Problem("rt-without-rw", f"RW {c} does not exist; import the RW boundaries first.", row=int(r))
            for r, c in zip(frame["row"], frame["rw_code"], strict=True)
            if c and c not in known_rw
        ]
        frame["code"] = [
            f"{w}.RT{n:03d}" if w and n else None
            for w, n in zip(frame["rw_code"], frame["rt_number"], strict=True)
        ]
    elif level == "rw":
        frame["code"] = frame["rw_code"]
    problems += validate.check_duplicates(frame, ["code"], label)
    group = {
        "kecamatan": "kota_code",
        "kelurahan": "kecamatan_code",
        "rw": "kelurahan_code",
        "rt": "rw_code",
    }[level]
    # Overlaps and gaps matter across parents too (an RW overlapping its neighbour kelurahan's RW).
    del group
    problems += validate.check_coverage(frame, None, label)
    if level in ("rw", "rt"):
        parent_level, parent_key = ("kelurahan", "code") if level == "rw" else ("rw", "code")
        parents = _db_units(conn, parent_level)
        child_key = "kelurahan_code" if level == "rw" else "rw_code"
        problems += validate.check_containment(
            frame.dropna(subset=[child_key]), parents, child_key, parent_key, label, parent_level
        )
    report.problems = problems
    report.repaired = sum(p.code == "repaired-geometry" for p in problems)
    good = frame[~frame["row"].isin(report.rejected_rows)]
    report.rejected = len(frame) - len(good)
    if report.errors and not options.skip_invalid:
        return report
    if level == "kelurahan":
        _ensure_kecamatan(conn, good, report)
    _write_units(conn, level, good, report)
    _write_rejects(report, raw, options.rejects_path)
    _reassign_points(conn, level, good)
    return report


def _write_units(conn, level, good: gpd.GeoDataFrame, report: ImportReport) -> None:
    good = good.copy()
    source = f"import:{report.file}"
    good["source"] = source
    if level == "kecamatan":
        table, cols = t.kecamatan, ["code", "name", "kota_code", "kota_name", "source"]
    elif level == "kelurahan":
        table, cols = t.kelurahan, ["code", "name", "kecamatan_code", "kind", "source"]
    elif level == "rw":
        good["number"], good["name"] = good["rw_number"], good["rw_number"].map(lambda n: f"RW {n:03d}")
        good["label_original"] = good["rw_label"]
        table, cols = (
            t.rw,
            ["code", "kelurahan_code", "number", "name", "label_original", "source", "source_id"],
        )
    else:
        good["number"] = good["rt_number"]
        good["name"] = [
            f"RT {a:03d}/RW {b:03d}" for a, b in zip(good["rt_number"], good["rw_number"], strict=True)
        ]
        table, cols = t.rt, ["code", "kelurahan_code", "rw_code", "number", "name", "source"]
    existing = set(
        conn.execute(sa.select(table.c.code).where(table.c.code.in_(list(good["code"])))).scalars()
    )
    upsert(conn, table, frame_rows(good, cols + ["geom"]), key=["code"])
    report.loaded = len(good)
    report.updated = len(existing)
    report.inserted = report.loaded - report.updated


def _reassign_points(conn, level: str, good: gpd.GeoDataFrame) -> None:
    """Points inside changed units may now belong elsewhere (or finer): assign them again."""
    if level == "kecamatan" or good.empty:
        return
    table = {"kelurahan": "kelurahan", "rw": "rw", "rt": "rt"}[level]
    for points in ("facility", "complaint"):
        # inside a new shape (found through the GiST index), or assigned to an old one: two plain
        # lookups -- one condition with OR across both could only scan every point of the city
        found = conn.execute(
            sa.text(
                f"UPDATE {points} p SET rt_code = NULL, rw_code = NULL, kelurahan_code = NULL "
                f"WHERE p.id IN (SELECT q.id FROM {table} u JOIN {points} q ON ST_Intersects(u.geom, q.geom) "
                f"WHERE u.code = ANY(:codes) UNION SELECT q.id FROM {points} q "
                f"WHERE q.{table}_code = ANY(:codes)) RETURNING p.id"
            ),
            {"codes": list(good["code"])},
        )
        moved = found.scalars().all()
        if not moved:
            continue
        # only the points of the changed units: correcting 8 RW must not rewrite a city's complaints
        assign_units(conn, points, moved)
        if points == "complaint":
            refresh_public_points(conn, moved)


# -- facilities and complaints ----------------------------------------------------------------


def _import_points(conn, kind, source, options, data_dir, progress) -> ImportReport:
    table = "facility" if kind == "facilities" else "complaint"
    mapping = resolve_mapping(kind, source.columns, options.overrides)
    report = _new_report(kind, source, options, mapping)
    category_table = t.facility_category if table == "facility" else t.complaint_category
    labels = dict(conn.execute(sa.select(category_table.c.code, category_table.c.name_id)).all())
    known = set(labels)
    if not known:
        raise DataError("The category tables are empty.", "Run `sigkel db upgrade` first.")
    if options.category and options.category not in known:
        raise DataError(
            f"--category {options.category!r} is not a {table} category.",
            f"Known: {', '.join(sorted(known))}",
        )
    opts = {
        "vocabulary": vocabulary(data_dir, "facility" if table == "facility" else "complaint", known),
        "source": options.source or source.path.stem,
        "category": options.category,
        "timezone": options.timezone,
        "labels": labels,
    }
    load.create_staging(conn, table)
    seen: dict[tuple, int] = {}
    rejected_raw = []
    for raw in source.chunks(mapping):
        report.read += len(raw)
        frame, problems = canonical(raw, kind, mapping, opts)
        frame, geom_problems = validate.repair_geometries(frame, "point")
        problems += geom_problems + validate.check_points(frame)
        problems += _global_duplicates(frame, seen)
        report.problems += problems
        bad = {p.row for p in problems if p.severity == "error" and p.row is not None}
        if bad and options.skip_invalid:
            rejected_raw.append(raw[raw["row"].isin(bad)])
        load.copy_frame(conn, table, frame[~frame["row"].isin(bad)])
        progress(len(raw))
    report.rejected = len(report.rejected_rows)
    if report.errors and not options.skip_invalid:
        return report
    counts = load.resolve_units(conn)
    report.inserted, report.updated = load.upsert_points(conn, table)
    report.loaded = report.inserted + report.updated
    report.unassigned = counts["unassigned"]
    report.assigned = report.loaded - report.unassigned
    if table == "complaint":
        _first_events(conn, report.file)
    _list_unassigned(conn, table, report)
    if rejected_raw:
        _write_rejects(report, pd.concat(rejected_raw, ignore_index=True), options.rejects_path)
    return report


def _global_duplicates(frame, seen: dict) -> list[Problem]:
    problems = []
    for row, key, geom in zip(
        frame["row"], zip(frame["source"], frame["source_id"], strict=True), frame.geometry, strict=True
    ):
        if key in seen:
            problems.append(
                Problem(
                    "duplicate",
                    f"Id {key[1]!r} (source {key[0]!r}) repeats row {seen[key]}.",
                    row=int(row),
                    rows=(seen[key],),
                    geometry=geom,
                )
            )
        else:
            seen[key] = int(row)
    return problems


def _first_events(conn, filename: str) -> None:
    conn.execute(
        sa.text(
            f"INSERT INTO complaint_event (complaint_id, kind, status_to, note, created_at) "
            f"SELECT c.id, 'status', c.status, :note, c.created_at FROM {load.IDS} i "
            f"JOIN complaint c ON c.id = i.id WHERE i.inserted"
        ),
        {"note": f"Diimpor dari {filename}."},
    )


def _list_unassigned(conn, table: str, report: ImportReport) -> None:
    if not report.unassigned:
        return
    rows = conn.execute(
        sa.text(
            f"SELECT p.source_id, ST_AsBinary(p.geom) FROM {table} p JOIN {load.IDS} i ON i.id = p.id "
            f"WHERE p.kelurahan_code IS NULL LIMIT {MAX_LISTED_UNASSIGNED}"
        )
    ).all()
    for source_id, wkb in rows:
        report.problems.append(
            Problem(
                "outside-units",
                f"Id {source_id!r} lies outside every kelurahan in the database; loaded without a unit.",
                severity="warning",
                geometry=shapely.from_wkb(bytes(wkb)),
            )
        )


# -- population ------------------------------------------------------------------------------------


def _import_population(conn, source, options, progress) -> ImportReport:
    mapping = resolve_mapping("population", source.columns, options.overrides)
    report = _new_report("population", source, options, mapping)
    raw = pd.DataFrame(source._table) if source._table is not None else source.read(mapping)
    raw = raw.reset_index(drop=True)
    if "row" not in raw.columns:  # tables (CSV) come unnumbered; GIS files are numbered on read
        raw.insert(0, "row", range(1, len(raw) + 1))
    report.read = len(raw)
    progress(len(raw))
    frame, problems = canonical(raw, "population", mapping, {"kelurahan": options.kelurahan})
    rw_codes = set(conn.execute(sa.text("SELECT code FROM rw")).scalars())
    rt_codes = dict(conn.execute(sa.text("SELECT code, rw_code FROM rt")).all())
    kel_codes = set(conn.execute(sa.text("SELECT code FROM kelurahan")).scalars())
    units = []
    for row, unit, kel, rw_n, rt_n in frame[
        ["row", "unit_code", "kelurahan_code", "rw_number", "rt_number"]
    ].itertuples(index=False):
        code = unit or (
            f"{rw_code(kel, rw_n)}.RT{rt_n:03d}"
            if kel and rw_n and rt_n
            else rw_code(kel, rw_n)
            if kel and rw_n
            else kel
        )
        if code in rt_codes:
            units.append((code[:13], rt_codes[code], code))
        elif code in rw_codes:
            units.append((code[:13], code, None))
        elif code in kel_codes:
            units.append((code, None, None))
        else:
            problems.append(
                Problem("unknown-unit", f"No RT, RW or kelurahan {code!r} in the database.", row=int(row))
            )
            units.append((None, None, None))
    frame["kelurahan_code"], frame["rw_code"], frame["rt_code"] = (
        zip(*units, strict=True) if units else ([], [], [])
    )
    frame["unit_code"] = frame["rt_code"].fillna(frame["rw_code"]).fillna(frame["kelurahan_code"])
    frame["geometry"] = None
    problems += validate.check_duplicates(frame.assign(geometry=None), ["unit_code", "year"], "Unit and year")
    report.problems = problems
    good = frame[~frame["row"].isin(report.rejected_rows)]
    report.rejected = len(frame) - len(good)
    if report.errors and not options.skip_invalid:
        return report
    good = good.assign(source=f"import:{report.file}", synthetic=False)
    cols = [
        "kelurahan_code",
        "rw_code",
        "rt_code",
        "unit_code",
        "year",
        *POPULATION_COUNTS,
        "source",
        "synthetic",
    ]
    upsert(conn, t.population, frame_rows(pd.DataFrame(good[cols]), cols), key=["unit_code", "year"])
    report.loaded = len(good)
    return report
