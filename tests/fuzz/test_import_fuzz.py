"""Issue 9, geometry fuzzing of the importers: every file imports (repaired and reported), or its bad
rows are rejected with reasons, or the whole file is refused with a DataError. Never anything else.

Boundaries come as GeoJSON written by hand (so NaN, Infinity, rings of two points and unclosed rings
reach the reader as they would from a careless tool) or as CSV with a WKT column; points come as CSV
with latitude and longitude as text.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import shapely
import sqlalchemy as sa
from hypothesis import currently_in_test_context, event, example, given
from hypothesis import strategies as st

from gis.crs import INDONESIA_BBOX
from gis.errors import DataError
from gis.io import ImportOptions, import_file
from tests.fuzz.strategies import coord_text, fuzz, inside, latlon_text

# Warnings the libraries give about the malformed input itself, each harmless (outside pytest they are
# printed and the import goes on; the rows are rejected by validation): shapely reading a NaN vertex,
# GDAL closing an unclosed ring, and GDAL writing a NaN geometry into the rejects file as null.
pytestmark = [
    pytest.mark.filterwarnings("ignore:invalid value encountered in from_wk[bt]:RuntimeWarning"),
    pytest.mark.filterwarnings("ignore:Non closed ring detected:RuntimeWarning"),
    pytest.mark.filterwarnings("ignore:Infinite or NaN coordinate encountered:RuntimeWarning"),
]

KEL = "31.71.05.1001"  # Cempaka Putih Timur in the demo data
ORIGIN = (106.8700, -6.1830)  # inside it
# POLYGON((0 0,0 0.5,1 0,0 1,0 0.5,1 0,0 0)): make_valid may return an invalid geometry for it
MAKE_VALID_CASE = [(0, 0), (0, 0.5), (1, 0), (0, 1), (0, 0.5), (1, 0), (0, 0)]

# Rings in a unit square; placed (scaled and moved) by _place.
RINGS = {
    "square": [(0, 0), (1, 0), (1, 1), (0, 1), (0, 0)],
    "bowtie": [(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)],
    "zero-area": [(0, 0), (1, 1), (0.5, 0.5), (0, 0)],
    "one-point": [(0.3, 0.3)] * 4,
    "duplicates": [(0, 0), (0, 0), (1, 0), (1, 0), (1, 1), (0, 1), (0, 1), (0, 0)],
    "three-points": [(0, 0), (1, 0), (0, 0)],
    "two-points": [(0, 0), (1, 1)],
    "unclosed": [(0, 0), (1, 0), (1, 1), (0, 1)],
    "spike": [(0, 0), (1, 0), (1, 1), (1, 2), (1, 1), (0, 1), (0, 0)],
    "make-valid-case": MAKE_VALID_CASE,
    "empty": [],
}
HOLES = {
    "inside": [(0.25, 0.25), (0.75, 0.25), (0.75, 0.75), (0.25, 0.75), (0.25, 0.25)],
    "outside": [(2, 2), (3, 2), (3, 3), (2, 3), (2, 2)],
    "same-as-shell": [(0, 0), (1, 0), (1, 1), (0, 1), (0, 0)],
    "crossing": [(0.5, 0.5), (1.5, 0.5), (1.5, 1.5), (0.5, 1.5), (0.5, 0.5)],
}
NASTY = [float("nan"), float("inf"), float("-inf"), 1e308, -1e308, 1e300]


@st.composite
def placement(draw):
    """How unit coordinates become degrees: in the demo kelurahan, at (0, 0), huge, or off the globe."""
    kind = draw(st.sampled_from(["demo", "demo", "demo", "raw", "huge", "off-globe", "swapped", "tiny"]))
    event(f"placement {kind}")
    if kind == "demo":
        return ORIGIN, draw(st.floats(1e-5, 0.003))
    if kind == "tiny":  # a polygon a few nanometres wide: zero area in practice
        return ORIGIN, draw(st.floats(1e-12, 1e-9))
    if kind == "raw":
        return (0.0, 0.0), 1.0
    if kind == "swapped":  # latitude first
        return (ORIGIN[1], ORIGIN[0]), 0.002
    if kind == "huge":
        return (0.0, 0.0), draw(st.sampled_from([1e12, 1e100, 1e300, 1e307]))
    return (
        draw(st.sampled_from([400.0, -1000.0, 106.87])),
        draw(st.sampled_from([-6.18, 95.0, -200.0])),
    ), 0.002


def _place(ring, where, poison=None):
    (x0, y0), scale = where
    out = [[x0 + u * scale, y0 + v * scale] for u, v in ring]
    if poison is not None and out:
        i, axis, value = poison
        out[i % len(out)][axis] = value
    return out


@st.composite
def polygon_geometry(draw):
    """(GeoJSON geometry or None, expected: 'good' | 'bad' | 'maybe')."""
    where = draw(placement())
    poison = None
    if draw(st.integers(0, 5)) == 0:
        poison = (draw(st.integers(0, 8)), draw(st.integers(0, 1)), draw(st.sampled_from(NASTY)))
    kind = draw(st.sampled_from(["polygon", "polygon", "multipolygon", "other", "null"]))
    event(f"geometry {kind}")
    if kind == "null":
        return None, "bad"
    if kind == "other":
        other = draw(st.sampled_from(["Point", "LineString", "GeometryCollection", "MultiPoint"]))
        ring = _place(RINGS["square"], where, poison)
        coords = {
            "Point": ring[0] if ring else [],
            "LineString": ring,
            "MultiPoint": ring,
        }
        if other == "GeometryCollection":
            geometry = {
                "type": "GeometryCollection",
                "geometries": [{"type": "LineString", "coordinates": ring}],
            }
        else:
            geometry = {"type": other, "coordinates": coords[other]}
        return geometry, "bad"
    shape = draw(st.one_of(st.just("square"), st.sampled_from(sorted(RINGS))))
    shell = _place(RINGS[shape], where, poison)
    event(f"ring {shape}")
    if kind == "polygon":
        rings = [shell]
        hole = draw(st.one_of(st.none(), st.sampled_from(sorted(HOLES))))
        if hole is not None:
            rings.append(_place(HOLES[hole], where))
        good = shape == "square" and hole in (None, "inside") and where[0] == ORIGIN and where[1] > 1e-5
        geometry = {"type": "Polygon", "coordinates": rings if shell else []}
    else:
        offset = draw(st.sampled_from([0.0, 0.5, 1.0, 3.0]))  # identical, overlapping, touching, apart
        second = _place([(u + offset, v) for u, v in RINGS["square"]], where)
        geometry = {"type": "MultiPolygon", "coordinates": [[shell], [second]]}
        good = shape == "square" and offset == 3.0 and where[0] == ORIGIN and where[1] > 1e-5
    poisoned = poison is not None and bool(RINGS[shape])
    good = good and not poisoned
    degenerate = shape in ("empty", "two-points") and kind == "polygon"  # no polygon at all
    off_globe = where[1] >= 1e12 or abs(where[0][0]) > 180 or abs(where[0][1]) > 90
    if off_globe or poisoned or degenerate:
        return geometry, "bad"
    return geometry, "good" if good else "maybe"


def _wkt(geometry) -> str:
    """WKT written naively from a GeoJSON dict (nan and inf as Python spells them)."""
    if geometry is None:
        return ""

    def ring(coords):
        return "(" + ", ".join(f"{x!r} {y!r}" for x, y in coords) + ")"

    kind, coords = geometry["type"], geometry.get("coordinates")
    if kind == "Polygon":
        return "POLYGON " + ("(" + ", ".join(ring(r) for r in coords) + ")" if coords else "EMPTY")
    if kind == "MultiPolygon":
        return "MULTIPOLYGON (" + ", ".join("(" + ", ".join(ring(r) for r in p) + ")" for p in coords) + ")"
    if kind == "Point":
        return f"POINT ({coords[0]!r} {coords[1]!r})" if coords else "POINT EMPTY"
    if kind in ("LineString", "MultiPoint"):
        return kind.upper() + " " + ring(coords)
    return "GEOMETRYCOLLECTION (" + ", ".join(_wkt(g) for g in geometry["geometries"]) + ")"


def _polygon(ring, where, poison=None) -> dict:
    return {"type": "Polygon", "coordinates": [_place(ring, where, poison)]}


_SQUARE = _polygon(RINGS["square"], ((ORIGIN[0] + 0.003, ORIGIN[1]), 0.001))

LEVELS = {
    "rw": lambda i: {"RW": f"RW {41 + i:03d}", "KEL_NAME": "CEMPAKA PUTIH TIMUR"},
    "rt": lambda i: {"RT": f"RT {41 + i:03d}", "RW": "RW 001", "kode_kel": KEL},
    "kelurahan": lambda i: {"kode_kel": f"31.71.05.{1041 + i}", "nama_kel": f"Kelurahan Uji {i}"},
    "kelurahan-new-kecamatan": lambda i: {"kode_kel": f"31.71.41.{1001 + i}", "nama_kel": f"Uji {i}"},
    "kecamatan": lambda i: {"kode_kec": f"31.71.{41 + i}", "nama_kec": f"Kecamatan Uji {i}"},
}


def _check_report(report, n_rows: int, expected: list[str], tmp_path, conn, level: str):
    """What every import report must hold, whatever the input."""
    assert report.read == n_rows, report.summary()
    for problem in report.problems:
        assert problem.message.strip() and problem.code
        if problem.severity == "error":
            assert problem.row is None or 1 <= problem.row <= n_rows
    rejected = report.rejected_rows
    for row, what in enumerate(expected, start=1):
        if what == "bad":  # NaN, ±inf, huge, null, no ring, not a polygon: never loaded
            assert row in rejected, (row, report.summary())
        if what == "good" and report.committed:
            assert row not in rejected, (row, report.summary())
    if report.committed:
        assert report.loaded == n_rows - len(rejected)
        table = "kelurahan" if level.startswith("kelurahan") else level
        invalid = conn.execute(
            sa.text(f"SELECT count(*) FROM {table} WHERE source = :s AND NOT ST_IsValid(geom)"),
            {"s": f"import:{report.file}"},
        ).scalar()
        assert invalid == 0
    else:
        assert report.dry_run or (report.errors and report.loaded == 0), report.summary()
    repaired = {p.row for p in report.problems if p.code == "repaired-geometry"}
    assert report.repaired == len(repaired)
    # the report as the CLI shows and writes it
    assert report.summary()
    json.dumps(report.to_json(), allow_nan=False, default=str)
    for path in report.write(tmp_path / "report" / "fuzz"):
        assert path.stat().st_size > 0


def _import(conn, settings, kind, path, **options):
    try:
        report = import_file(conn, kind, path, ImportOptions(**options), settings.data_dir)
    except DataError as exc:  # refusing the whole file is allowed, with a message
        assert exc.message.strip()
        if currently_in_test_context():
            event(f"refused: {exc.message[:60]}")
        return None
    if currently_in_test_context():
        event("committed" if report.committed else "not committed")
    return report


@fuzz(120)
@given(
    geometries=st.lists(polygon_geometry(), min_size=1, max_size=4),
    level=st.sampled_from(sorted(LEVELS)),
    skip_invalid=st.booleans(),
    dry_run=st.sampled_from([False, False, True]),
    fmt=st.sampled_from(["geojson", "geojson", "csv-wkt"]),
)
@example(
    geometries=[({"type": "Polygon", "coordinates": [_place(MAKE_VALID_CASE, (ORIGIN, 0.002))]}, "maybe")],
    level="rw",
    skip_invalid=False,
    dry_run=False,
    fmt="geojson",
)
@example(
    geometries=[({"type": "Polygon", "coordinates": [_place(MAKE_VALID_CASE, ((0.0, 0.0), 1.0))]}, "maybe")],
    level="kelurahan",
    skip_invalid=True,
    dry_run=False,
    fmt="csv-wkt",
)
@example(
    geometries=[
        ({"type": "Polygon", "coordinates": [_place(RINGS["square"], (ORIGIN, 0.002))]}, "good"),
        ({"type": "Polygon", "coordinates": [_place(RINGS["square"], ((0.0, 0.0), 1e300))]}, "bad"),
    ],
    level="rw",
    skip_invalid=True,
    dry_run=False,
    fmt="geojson",
)
@example(
    geometries=[
        (
            {"type": "Polygon", "coordinates": [_place(RINGS["square"], (ORIGIN, 0.002), (1, 0, math.nan))]},
            "bad",
        )
    ],
    level="rt",
    skip_invalid=False,
    dry_run=True,
    fmt="geojson",
)
@example(  # found by this test: NaN as the first vertex leaves the ring unclosable (GEOSException on read)
    geometries=[(_polygon(RINGS["square"], (ORIGIN, 0.002), (0, 0, math.nan)), "bad"), (_SQUARE, "good")],
    level="kecamatan",
    skip_invalid=True,
    dry_run=False,
    fmt="geojson",
)
@example(  # found by this test: make_valid raised "Overlay input is mixed-dimension"
    geometries=[
        (
            {
                "type": "MultiPolygon",
                "coordinates": [
                    [_place(RINGS["one-point"], (ORIGIN, 0.002))],
                    [_place(RINGS["square"], (ORIGIN, 0.002))],
                ],
            },
            "maybe",
        )
    ],
    level="kecamatan",
    skip_invalid=False,
    dry_run=False,
    fmt="geojson",
)
@example(  # found by this test: an empty WKT cell is NaN in pandas 3, and from_wkt raised TypeError
    geometries=[(None, "bad"), (_SQUARE, "good")], level="rw", skip_invalid=True, dry_run=False, fmt="csv-wkt"
)
@example(  # latitude first: every vertex is beyond ±90° latitude
    geometries=[(_polygon(RINGS["square"], ((ORIGIN[1], ORIGIN[0]), 0.002)), "bad")],
    level="kelurahan",
    skip_invalid=False,
    dry_run=False,
    fmt="geojson",
)
def test_boundary_files(conn, settings, tmp_path, geometries, level, skip_invalid, dry_run, fmt):
    props = [LEVELS[level](i) for i in range(len(geometries))]
    if fmt == "geojson":
        path = tmp_path / "batas.geojson"
        features = [
            {"type": "Feature", "properties": p, "geometry": g}
            for p, (g, _) in zip(props, geometries, strict=True)
        ]
        path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))  # NaN as NaN
    else:
        path = tmp_path / "batas.csv"
        rows = [{**p, "wkt": _wkt(g)} for p, (g, _) in zip(props, geometries, strict=True)]
        pd.DataFrame(rows).to_csv(path, index=False)
    report = _import(
        conn,
        settings,
        "boundaries",
        path,
        level=level.split("-")[0],
        skip_invalid=skip_invalid,
        dry_run=dry_run,
        rejects_path=tmp_path / "rejects.geojson",
    )
    if report is None:
        return
    _check_report(report, len(geometries), [e for _, e in geometries], tmp_path, conn, level.split("-")[0])


def _write_features(path, geometries, level="rw"):
    features = [
        {"type": "Feature", "properties": LEVELS[level](i), "geometry": g} for i, g in enumerate(geometries)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_make_valid_case_is_repaired_or_refused_never_stored_invalid(conn, settings, tmp_path):
    ring = _place(MAKE_VALID_CASE, (ORIGIN, 0.002))
    path = _write_features(tmp_path / "mv.geojson", [{"type": "Polygon", "coordinates": [ring]}])
    report = _import(conn, settings, "boundaries", path, level="rw")
    assert report is not None
    (problem,) = [p for p in report.problems if p.row == 1 and "geometry" in p.code]
    assert problem.code in ("repaired-geometry", "unrepairable-geometry")
    assert "Self-intersection" in problem.message
    if report.committed:
        valid = conn.execute(
            sa.text("SELECT bool_and(ST_IsValid(geom)) FROM rw WHERE code = :c"), {"c": f"{KEL}.RW041"}
        ).scalar()
        assert valid is True


def test_make_valid_returning_an_invalid_geometry_is_refused(conn, settings, tmp_path, monkeypatch):
    """Where make_valid leaves the case invalid (GEOS versions differ; its "structure" method does
    here), the row is refused with a reason: never written, never an IntegrityError."""
    original = shapely.make_valid
    structure = original(shapely.Polygon(MAKE_VALID_CASE), method="structure")
    assert not structure.is_valid  # the premise: an invalid result for a valid call
    monkeypatch.setattr(shapely, "make_valid", lambda geom: original(geom, method="structure"))
    ring = _place(MAKE_VALID_CASE, ((0.0, 0.0), 1.0))
    square = _place(RINGS["square"], (ORIGIN, 0.002))
    path = _write_features(
        tmp_path / "mv.geojson",
        [{"type": "Polygon", "coordinates": [ring]}, {"type": "Polygon", "coordinates": [square]}],
        level="kelurahan",
    )
    report = _import(conn, settings, "boundaries", path, level="kelurahan", skip_invalid=True)
    assert [(p.row, p.code) for p in report.errors] == [(1, "unrepairable-geometry")]
    assert "make_valid cannot repair" in report.errors[0].message
    assert report.committed and report.loaded == 1 and report.rejected == 1


# -- points from CSV -------------------------------------------------------------------------------


@st.composite
def point_rows(draw):
    return draw(st.lists(st.one_of(latlon_text(), st.tuples(coord_text, coord_text)), min_size=1, max_size=6))


def _reader_float(text: str) -> float:
    """What the CSV reader makes of a cell: pandas' to_numeric, NaN when unreadable."""
    value = pd.to_numeric(pd.Series([text], dtype=object), errors="coerce").iloc[0]
    return float(value) if value is not None and not pd.isna(value) else math.nan


@fuzz(40)
@given(
    rows=point_rows(),
    kind=st.sampled_from(["facilities", "complaints"]),
    swap_columns=st.booleans(),
    skip_invalid=st.booleans(),
)
@example(
    rows=[("NaN", "106.87"), ("inf", "-inf"), ("1e400", "106.87"), ("-6,18", "106,87"), ("106.87", "-6.18")],
    kind="facilities",
    swap_columns=False,
    skip_invalid=True,
)
@example(
    rows=[("-6.18\x00", "106.87"), ("", ""), ("-6.18", "106.87")],
    kind="complaints",
    swap_columns=True,
    skip_invalid=False,
)
def test_point_csv_files(conn, settings, tmp_path, rows, kind, swap_columns, skip_invalid):
    lat_name, lon_name = ("lintang", "bujur") if swap_columns else ("lat", "lon")
    table = pd.DataFrame(
        {
            "nama": [f"Titik Uji {i}" for i in range(len(rows))],
            "id": [f"FZ{i}" for i in range(len(rows))],
            "jenis": ["posyandu" if kind == "facilities" else "jalan_rusak"] * len(rows),
            lat_name: [r[0] for r in rows],
            lon_name: [r[1] for r in rows],
        }
    )
    path = tmp_path / "titik.csv"
    table.to_csv(path, index=False)
    report = _import(
        conn,
        settings,
        kind,
        path,
        source="fuzz",
        skip_invalid=skip_invalid,
        rejects_path=tmp_path / "rejects.geojson",
    )
    if report is None:
        return
    # what the reader saw in each row (pandas reads the text back the way we compare it)
    seen = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    assert report.read == len(seen)
    west, south, east, north = INDONESIA_BBOX
    errors = {}
    for p in report.errors:
        errors.setdefault(p.row, set()).add(p.code)
    for row, (lat_text, lon_text) in enumerate(zip(seen[lat_name], seen[lon_name], strict=True), start=1):
        lat, lon = _reader_float(lat_text), _reader_float(lon_text)
        finite = math.isfinite(lat) and math.isfinite(lon)
        codes = errors.get(row, set())
        if not finite:
            assert "missing-geometry" in codes, (row, lat_text, lon_text, report.summary())
        elif inside(lon, lat):
            assert not codes, (row, codes)
        elif inside(lat, lon):
            assert "swapped-coordinates" in codes, (row, codes)
        else:
            assert "outside-indonesia" in codes, (row, codes)
    if report.committed:
        table_name = "facility" if kind == "facilities" else "complaint"
        stored = conn.execute(
            sa.text(f"SELECT source_id, ST_X(geom), ST_Y(geom) FROM {table_name} WHERE source = 'fuzz'")
        ).all()
        for source_id, x, y in stored:
            assert np.isfinite([x, y]).all() and inside(x, y), (source_id, x, y)
        assert report.loaded == len(seen) - len(report.rejected_rows)
    json.dumps(report.to_json(), allow_nan=False, default=str)
    assert report.summary()


@fuzz(30)
@given(
    coords=st.lists(
        st.tuples(
            st.one_of(st.floats(), st.floats(94, 141.5)), st.one_of(st.floats(), st.floats(-11.5, 6.5))
        ),
        min_size=1,
        max_size=5,
    ),
    kind=st.sampled_from(["facilities", "complaints"]),
)
@example(coords=[(math.nan, -6.18), (math.inf, -6.18), (1e308, -1e308), (-6.18, 106.87)], kind="facilities")
def test_point_geojson_files(conn, settings, tmp_path, coords, kind):
    features = [
        {
            "type": "Feature",
            "properties": {"nama": f"Titik {i}", "id": f"G{i}", "jenis": "posyandu"},
            "geometry": {"type": "Point", "coordinates": [x, y]},
        }
        for i, (x, y) in enumerate(coords)
    ]
    path = tmp_path / "titik.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    report = _import(conn, settings, kind, path, source="fuzz", skip_invalid=True)
    if report is None:
        return
    assert report.read == len(coords)
    rejected = report.rejected_rows
    for row, (x, y) in enumerate(coords, start=1):
        if not inside(x, y):
            assert row in rejected, (row, x, y, report.summary())
    json.dumps(report.to_json(), allow_nan=False, default=str)


_json_scalar = st.one_of(
    st.floats(),
    st.floats(-200, 200),
    st.integers(),
    st.sampled_from([10**400, -(10**400), 10**20, True, False, None, 106.87, -6.18]),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
)


def _json_number(value) -> float | None:
    """A JSON value as the reader reads a coordinate: numbers and numeric text; else None."""
    if isinstance(value, int) and abs(value) > 1e308:
        return None
    if isinstance(value, int | float):  # bool too: True reads as 1
        value = float(value)
    elif isinstance(value, str):
        value = _reader_float(value)
    else:
        return None
    return value if math.isfinite(value) else None


@fuzz(40)
@given(values=st.lists(st.tuples(_json_scalar, _json_scalar), min_size=1, max_size=5))
@example(values=[(10**400, 106.87), (-6.18, -(10**400))])
@example(values=[(-6.18, 106.87), (True, [1, 2])])
def test_open311_json_arrays(conn, settings, tmp_path, values):
    """Open311-style JSON (a list of requests with lat and long): any JSON value in the coordinates."""
    records = [
        {
            "service_request_id": f"J{i}",
            "service_name": "jalan_rusak",
            "description": "uji",
            "lat": a,
            "long": b,
        }
        for i, (a, b) in enumerate(values)
    ]
    path = tmp_path / "open311.json"
    path.write_text(json.dumps(records))  # NaN and Infinity as JSON5-style tokens, as some servers do
    report = _import(conn, settings, "complaints", path, source="fuzz", skip_invalid=True)
    if report is None:
        return
    assert report.read == len(values)
    for row, (lat, lon) in enumerate(values, start=1):
        point = [_json_number(lon), _json_number(lat)]
        if not inside(*point):  # not two numbers, or a place outside Indonesia: rejected
            assert row in report.rejected_rows, (row, lat, lon, report.summary())
        else:
            assert row not in report.rejected_rows, (row, lat, lon, report.summary())
    json.dumps(report.to_json(), allow_nan=False, default=str)
