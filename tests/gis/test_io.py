"""Import and export on real PostGIS: formats, CRS, mapping, validation, atomicity, round trips."""

from __future__ import annotations

import json
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import sqlalchemy as sa

from gis.errors import DataError
from gis.io import ImportOptions, export_layer, import_file, open_source
from gis.io import importer as importer_module

KEL = "31.71.05.1001"  # Cempaka Putih Timur, in the demo data
# Three points inside Cempaka Putih Timur (checked against the demo polygons in a test below).
POINTS = [(106.8707, -6.1841), (106.8736, -6.1849), (106.8737, -6.1793)]


def _facilities(n=3) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "nama": [f"Posyandu Uji {i}" for i in range(n)],
            "jenis": ["posyandu"] * n,
            "alamat": [f"Jl. Uji No. {i}" for i in range(n)],
            "kode": [f"T{i}" for i in range(n)],
        },
        geometry=[shapely.Point(*POINTS[i % 3]) for i in range(n)],
        crs=4326,
    )


def _count(conn, table="facility", where="source = 'uji'") -> int:
    return conn.execute(sa.text(f"SELECT count(*) FROM {table} WHERE {where}")).scalar()


def _import(conn, settings, kind, path, **options):
    options.setdefault("source", "uji")
    return import_file(conn, kind, path, ImportOptions(**options), settings.data_dir)


def test_demo_points_fall_in_the_expected_kelurahan(conn):
    for x, y in POINTS:
        found = conn.execute(
            sa.text(
                "SELECT code FROM kelurahan WHERE ST_Contains(geom, ST_SetSRID(ST_MakePoint(:x, :y), 4326))"
            ),
            {"x": x, "y": y},
        )
        assert found.scalar() == KEL


# -- formats ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fmt", ["geojson", "gpkg", "shp", "zip", "kml", "csv-latlon", "csv-wkt", "open311-json"]
)
def test_every_format_loads_the_same_facilities(conn, settings, tmp_path, fmt):
    frame = _facilities()
    if fmt == "geojson":
        path = tmp_path / "f.geojson"
        frame.to_file(path)
    elif fmt == "gpkg":
        path = tmp_path / "f.gpkg"
        frame.to_file(path, layer="posyandu")
    elif fmt in ("shp", "zip"):
        frame.to_file(tmp_path / "f.shp")
        path = tmp_path / "f.shp"
        if fmt == "zip":
            path = tmp_path / "f.zip"
            with zipfile.ZipFile(path, "w") as archive:
                for part in tmp_path.glob("f.*"):
                    if part.suffix != ".zip":
                        archive.write(part, f"data/{part.name}")
    elif fmt == "kml":
        path = tmp_path / "f.kml"
        frame.rename(columns={"nama": "Name"}).to_file(path, driver="KML")
    elif fmt == "csv-latlon":
        path = tmp_path / "f.csv"
        pd.DataFrame(frame.drop(columns="geometry")).assign(
            lat=frame.geometry.y, lon=frame.geometry.x
        ).to_csv(path, index=False)
    elif fmt == "csv-wkt":
        path = tmp_path / "f.csv"
        pd.DataFrame(frame.drop(columns="geometry")).assign(
            wkt=frame.geometry.to_wkt(rounding_precision=-1)
        ).to_csv(path, index=False)
    else:
        path = tmp_path / "f.json"
        records = [
            {"service_request_id": k, "service_name": "posyandu", "description": n, "lat": p.y, "long": p.x}
            for k, n, p in zip(frame["kode"], frame["nama"], frame.geometry, strict=True)
        ]
        path.write_text(json.dumps(records))
    kind = "complaints" if fmt == "open311-json" else "facilities"
    report = _import(conn, settings, kind, path, category=None if kind == "facilities" else "lainnya")
    assert report.committed and report.errors == [], report.summary()
    table = "facility" if kind == "facilities" else "complaint"
    assert report.loaded == 3 and _count(conn, table) == 3
    got = conn.execute(
        sa.text(
            f"SELECT ST_X(geom), ST_Y(geom), kelurahan_code FROM {table} "
            "WHERE source = 'uji' ORDER BY source_id"
        )
    ).all()
    for (x, y, kel), (ex, ey) in zip(got, POINTS, strict=True):
        assert abs(x - ex) < 1e-9 and abs(y - ey) < 1e-9 and kel == KEL
    if kind == "facilities" and fmt != "kml":
        assert (
            conn.execute(
                sa.text("SELECT count(*) FROM facility WHERE source = 'uji' AND category = 'posyandu'")
            ).scalar()
            == 3
        )


def test_geopackage_with_several_layers_needs_layer(conn, settings, tmp_path):
    path = tmp_path / "two.gpkg"
    _facilities().to_file(path, layer="a")
    _facilities().to_file(path, layer="b")
    with pytest.raises(DataError, match="2 layers"):
        _import(conn, settings, "facilities", path)
    assert _import(conn, settings, "facilities", path, layer="b").loaded == 3


def test_projected_file_is_reprojected_exactly(conn, settings, tmp_path):
    path = tmp_path / "utm.gpkg"
    _facilities().to_crs(32748).to_file(path)
    assert _import(conn, settings, "facilities", path).loaded == 3
    xs = (
        conn.execute(sa.text("SELECT ST_X(geom) FROM facility WHERE source = 'uji' ORDER BY source_id"))
        .scalars()
        .all()
    )
    assert [round(x, 7) for x in xs] == [p[0] for p in POINTS]


def test_shapefile_without_prj_is_refused_unless_crs_given(conn, settings, tmp_path):
    _facilities().to_crs(32748).to_file(tmp_path / "noprj.shp")
    (tmp_path / "noprj.prj").unlink()
    with pytest.raises(DataError, match="no .prj") as info:
        _import(conn, settings, "facilities", tmp_path / "noprj.shp")
    assert "--crs" in str(info.value)
    assert _count(conn) == 0
    report = _import(conn, settings, "facilities", tmp_path / "noprj.shp", crs="EPSG:32748")
    assert report.loaded == 3
    x = conn.execute(sa.text("SELECT min(ST_X(geom)) FROM facility WHERE source = 'uji'")).scalar()
    assert abs(x - 106.8707) < 1e-7


def test_crs_that_contradicts_the_file_is_refused(conn, settings, tmp_path):
    _facilities().to_file(tmp_path / "f.gpkg")
    with pytest.raises(DataError, match="says its CRS"):
        _import(conn, settings, "facilities", tmp_path / "f.gpkg", crs="EPSG:32748")


def test_unsupported_and_missing_files(conn, settings, tmp_path):
    (tmp_path / "x.docx").write_text("no")
    with pytest.raises(DataError, match="unsupported format"):
        _import(conn, settings, "facilities", tmp_path / "x.docx")
    with pytest.raises(DataError, match="not found"):
        _import(conn, settings, "facilities", tmp_path / "missing.geojson")


def test_hostile_zips_are_refused(tmp_path):
    escape = tmp_path / "escape.zip"
    with zipfile.ZipFile(escape, "w") as archive:
        archive.writestr("../../etc/evil.shp", b"x")
    with pytest.raises(DataError, match="outside the archive"):
        open_source(escape)
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.shp", b"\0" * (40 * 1024 * 1024))
    with pytest.raises(DataError, match="zip bomb"):
        open_source(bomb)
    assert not list(tmp_path.glob("sigkel-zip-*"))


# -- mapping ---------------------------------------------------------------------------------


def test_map_overrides_and_clear_mapping_errors(conn, settings, tmp_path):
    frame = _facilities().rename(columns={"nama": "label_fasilitas"})
    path = tmp_path / "f.geojson"
    frame.to_file(path)
    with pytest.raises(DataError, match="No column found for name") as info:
        _import(conn, settings, "facilities", path)
    assert "--map name=" in str(info.value)
    report = _import(conn, settings, "facilities", path, overrides={"name": "label_fasilitas"})
    assert report.mapping["name"] == "label_fasilitas" and report.loaded == 3
    with pytest.raises(DataError, match="no column 'nope'"):
        _import(conn, settings, "facilities", path, overrides={"name": "nope"})
    with pytest.raises(DataError, match="no field 'colour'"):
        _import(conn, settings, "facilities", path, overrides={"colour": "jenis"})


# -- validation of points --------------------------------------------------------------------


def test_swapped_and_foreign_points_are_rejected_with_reasons(conn, settings, tmp_path):
    table = pd.DataFrame(
        {
            "nama": ["ok", "tertukar", "paris", "kosong"],
            "lat": [POINTS[0][1], POINTS[0][0], 48.85, None],
            "lon": [POINTS[0][0], POINTS[0][1], 2.35, None],
        }
    )
    table.to_csv(tmp_path / "p.csv", index=False)
    report = _import(conn, settings, "facilities", tmp_path / "p.csv", category="posyandu")
    codes = {p.row: p.code for p in report.errors}
    assert codes == {2: "swapped-coordinates", 3: "outside-indonesia", 4: "missing-geometry"}
    assert not report.committed and _count(conn) == 0


def test_points_outside_every_unit_load_with_a_warning(conn, settings, tmp_path):
    frame = _facilities(1)
    frame.geometry = [shapely.Point(110.4, -7.0)]  # Semarang: in Indonesia, not in the database
    frame.to_file(tmp_path / "f.geojson")
    report = _import(conn, settings, "facilities", tmp_path / "f.geojson")
    assert report.loaded == 1 and report.unassigned == 1
    assert [p.code for p in report.problems] == ["outside-units"]


def test_duplicate_ids_in_one_file_are_rejected(conn, settings, tmp_path):
    frame = _facilities()
    frame.loc[2, "kode"] = "T0"
    frame.to_file(tmp_path / "f.geojson")
    report = _import(conn, settings, "facilities", tmp_path / "f.geojson")
    assert [(p.code, p.row, p.rows) for p in report.errors] == [("duplicate", 3, (1,))]


# -- atomicity, skip-invalid, dry run, idempotency ----------------------------------------------


def test_one_bad_row_loads_nothing_and_skip_invalid_writes_the_rejects(conn, settings, tmp_path):
    frame = _facilities()
    frame.geometry = [frame.geometry[0], frame.geometry[1], shapely.Point(2.35, 48.85)]
    frame.to_file(tmp_path / "f.geojson")
    report = _import(conn, settings, "facilities", tmp_path / "f.geojson")
    assert not report.committed and report.loaded == 0 and _count(conn) == 0
    rejects = tmp_path / "out" / "rejects.geojson"
    report = _import(
        conn, settings, "facilities", tmp_path / "f.geojson", skip_invalid=True, rejects_path=rejects
    )
    assert report.committed and report.loaded == 2 and report.rejected == 1 and _count(conn) == 2
    rejected = gpd.read_file(rejects)
    assert list(rejected["kode"]) == ["T2"]
    assert "outside-indonesia" in rejected["_reasons"].iloc[0]


def test_dry_run_writes_nothing(conn, settings, tmp_path):
    _facilities().to_file(tmp_path / "f.geojson")
    report = _import(conn, settings, "facilities", tmp_path / "f.geojson", dry_run=True)
    assert report.loaded == 3 and not report.committed and _count(conn) == 0


def test_failure_half_way_leaves_the_database_as_it_was(conn, settings, tmp_path, monkeypatch):
    _facilities().to_file(tmp_path / "f.geojson")
    before = conn.execute(sa.text("SELECT count(*), sum(hashtext(name)) FROM facility")).one()

    def crash(*args, **kwargs):
        raise RuntimeError("power cut during assignment")

    monkeypatch.setattr(importer_module.load, "upsert_points", crash)  # after COPY, before commit
    with pytest.raises(RuntimeError, match="power cut"):
        _import(conn, settings, "facilities", tmp_path / "f.geojson")
    after = conn.execute(sa.text("SELECT count(*), sum(hashtext(name)) FROM facility")).one()
    assert after == before and _count(conn) == 0


def test_reimport_updates_by_natural_key(conn, settings, tmp_path):
    frame = _facilities()
    frame.to_file(tmp_path / "f.geojson")
    first = _import(conn, settings, "facilities", tmp_path / "f.geojson")
    again = _import(conn, settings, "facilities", tmp_path / "f.geojson")
    assert (first.inserted, first.updated) == (3, 0) and (again.inserted, again.updated) == (0, 3)
    frame.loc[0, "nama"] = "Posyandu Uji Berganti"
    frame.to_file(tmp_path / "f.geojson")
    _import(conn, settings, "facilities", tmp_path / "f.geojson")
    assert _count(conn) == 3
    assert _count(conn, where="source = 'uji' AND name = 'Posyandu Uji Berganti'") == 1


def test_complaints_reimport_is_idempotent_and_keeps_one_trail(conn, settings, tmp_path):
    table = pd.DataFrame(
        {
            "id": ["A1", "A2"],
            "kategori": ["sampah", "banjir"],
            "isi": ["Sampah menumpuk", "Genangan"],
            "tanggal": ["2026-03-01 08:00", "2026-03-02T09:30+07:00"],
            "lat": [POINTS[0][1], POINTS[1][1]],
            "lon": [POINTS[0][0], POINTS[1][0]],
        }
    )
    table.to_csv(tmp_path / "c.csv", index=False)
    for _ in range(2):
        _import(conn, settings, "complaints", tmp_path / "c.csv")
    rows = conn.execute(
        sa.text(
            "SELECT source_id, category, created_at AT TIME ZONE 'Asia/Jakarta', geom_public IS NOT NULL, "
            "(SELECT count(*) FROM complaint_event e WHERE e.complaint_id = c.id) "
            "FROM complaint c WHERE source = 'uji' ORDER BY source_id"
        )
    ).all()
    assert [(r[0], r[1], str(r[2]), r[3], r[4]) for r in rows] == [
        ("A1", "kebersihan", "2026-03-01 08:00:00", True, 1),
        ("A2", "drainase_banjir", "2026-03-02 09:30:00", True, 1),
    ]


# -- boundaries ------------------------------------------------------------------------------


def _square(x, y, d=0.002):
    return shapely.box(x, y, x + d, y + d)


def test_boundary_rules_for_rw(conn, settings, tmp_path):
    x, y = 106.8700, -6.1830
    bowtie = shapely.Polygon([(x, y), (x + 0.002, y + 0.002), (x + 0.002, y), (x, y + 0.002)])
    frame = gpd.GeoDataFrame(
        {
            "RW": ["RW 041", "RW 042", "RW 042", "RW 043", "Kawasan Industri", "RW 044", "RW 045"],
            "KEL_NAME": ["CEMPAKA PUTIH TIMUR"] * 7,
        },
        geometry=[
            _square(x, y),
            _square(x + 0.001, y),  # overlap by half
            _square(x + 0.004, y),
            bowtie,
            _square(x + 0.006, y),
            shapely.box(x + 0.008, y, x + 0.00805, y + 0.00005),  # ~30 m² sliver
            _square(x, y + 0.01),
        ],
        crs=4326,
    )
    frame.to_file(tmp_path / "rw.geojson")
    report = _import(conn, settings, "boundaries", tmp_path / "rw.geojson")
    errors = sorted((p.row, p.code) for p in report.errors)
    assert errors == [(3, "duplicate"), (4, "unrepairable-geometry"), (5, "bad-rw-label")]
    warnings = {p.code for p in report.problems if p.severity == "warning"}
    assert {"overlap", "sliver"} <= warnings
    assert not report.committed
    assert conn.execute(sa.text("SELECT count(*) FROM rw WHERE number > 40")).scalar() == 0


def test_rw_with_unknown_kelurahan_and_rt_without_rw(conn, settings, tmp_path):
    far = gpd.GeoDataFrame(
        {"RW": ["RW 001"], "KEL_NAME": ["ANTAH BERANTAH"]}, geometry=[_square(110.4, -7.0)], crs=4326
    )
    far.to_file(tmp_path / "rw.geojson")
    report = _import(conn, settings, "boundaries", tmp_path / "rw.geojson")
    assert [p.code for p in report.errors] == ["unknown-kelurahan"]
    rt = gpd.GeoDataFrame(
        {"RT": ["RT 001"], "RW": ["RW 077"], "kode_kel": [KEL]},
        geometry=[_square(106.874, -6.178, 0.0005)],
        crs=4326,
    )
    rt.to_file(tmp_path / "rt.geojson")
    report = _import(conn, settings, "boundaries", tmp_path / "rt.geojson")
    assert [p.code for p in report.errors] == ["rt-without-rw"]


def test_rt_partly_outside_its_rw_is_reported(conn, settings, tmp_path):
    rw = conn.execute(
        sa.text("SELECT ST_AsText(geom) FROM rw WHERE code = :c"), {"c": f"{KEL}.RW001"}
    ).scalar()
    shape = shapely.from_wkt(rw)
    inside = shape.representative_point()
    rt = gpd.GeoDataFrame(
        {"RT": ["RT 099"], "RW": ["RW 001"], "kode_kel": [KEL]}, geometry=[inside.buffer(0.01)], crs=4326
    )  # ~1 km: far beyond the RW
    rt.to_file(tmp_path / "rt.geojson")
    report = _import(conn, settings, "boundaries", tmp_path / "rt.geojson")
    assert "outside-parent" in {p.code for p in report.problems}
    assert report.committed  # a warning, not an error


# -- export round trips ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "shp", "csv", "kml"])
def test_export_then_import_gives_back_the_same_rw(conn, settings, tmp_path, fmt):
    out = tmp_path / f"rw.{fmt}"
    assert export_layer(conn, "rw", fmt, out, kelurahan=KEL) == 8
    before = conn.execute(
        sa.text("SELECT code, ST_AsBinary(geom) FROM rw WHERE kelurahan_code = :k ORDER BY code"), {"k": KEL}
    ).all()
    level = {"level": "rw"} if fmt == "kml" else {}
    overrides = {"rw": "rw", "kelurahan_code": "kel_code"} if fmt == "kml" else {}
    report = _import(conn, settings, "boundaries", out, overrides=overrides, **level)
    assert report.errors == [], report.summary()
    assert (report.inserted, report.updated) == (0, 8)
    after = conn.execute(
        sa.text("SELECT code, ST_AsBinary(geom) FROM rw WHERE kelurahan_code = :k ORDER BY code"), {"k": KEL}
    ).all()
    assert [c for c, _ in after] == [c for c, _ in before]
    for (_, a), (_, b) in zip(before, after, strict=True):
        # KML and CSV keep the coordinates as text: equal to well under a millimetre.
        # Shapefiles store outer rings clockwise: compare normalised geometries.
        a, b = (shapely.normalize(shapely.from_wkb(bytes(g))) for g in (a, b))
        assert shapely.equals_exact(a, b, 1e-8)


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "shp", "csv"])
def test_export_then_import_gives_back_the_same_facilities(conn, settings, tmp_path, fmt):
    out = tmp_path / f"f.{fmt}"
    count = export_layer(conn, "facilities", fmt, out, kelurahan=KEL)
    before = conn.execute(
        sa.text(
            "SELECT source, source_id, name, category, ST_AsText(geom) FROM "
            "facility WHERE kelurahan_code = :k ORDER BY 1, 2"
        ),
        {"k": KEL},
    ).all()
    report = _import(conn, settings, "facilities", out, source=None)
    assert (report.inserted, report.updated) == (0, count)
    after = conn.execute(
        sa.text(
            "SELECT source, source_id, name, category, ST_AsText(geom) FROM "
            "facility WHERE kelurahan_code = :k ORDER BY 1, 2"
        ),
        {"k": KEL},
    ).all()
    assert after == before


def test_complaint_export_is_public_unless_private(conn, settings, tmp_path):
    public = export_layer(conn, "complaints", "geojson", tmp_path / "pub.geojson", kelurahan=KEL)
    frame = gpd.read_file(tmp_path / "pub.geojson")
    assert len(frame) == public and "description" not in frame.columns
    exact = conn.execute(
        sa.text(
            "SELECT count(*) FROM complaint c JOIN complaint_category cat "
            "ON cat.code = c.category WHERE c.kelurahan_code = :k AND cat.public "
            "AND cat.privacy = 'grid'"
        ),
        {"k": KEL},
    ).scalar()
    assert exact > 0
    hidden = conn.execute(
        sa.text(
            "SELECT count(*) FROM complaint c JOIN complaint_category cat ON "
            "cat.code = c.category WHERE c.kelurahan_code = :k AND (NOT cat.public OR c.confidential)"
        ),
        {"k": KEL},
    ).scalar()
    total = conn.execute(
        sa.text("SELECT count(*) FROM complaint WHERE kelurahan_code = :k"), {"k": KEL}
    ).scalar()
    assert public == total - hidden
    exact_points = set(
        conn.execute(
            sa.text(
                "SELECT round(ST_X(geom)::numeric, 6) || ' ' || round(ST_Y(geom)::numeric, 6) "
                "FROM complaint c JOIN complaint_category cat ON cat.code = c.category "
                "WHERE kelurahan_code = :k AND cat.privacy = 'grid'"
            ),
            {"k": KEL},
        ).scalars()
    )
    shown = {f"{p.x:.6f} {p.y:.6f}" for p in frame.geometry}
    assert not exact_points & shown
    private = export_layer(conn, "complaints", "gpkg", tmp_path / "all.gpkg", kelurahan=KEL, private=True)
    report = _import(conn, settings, "complaints", tmp_path / "all.gpkg", source=None)
    assert (report.inserted, report.updated) == (0, private)


# -- the real public datasets -------------------------------------------------------------------


@pytest.mark.slow
def test_real_jakarta_files_import_with_their_quirks_reported(conn, settings, shared_datasets):
    kel = _import(
        conn,
        settings,
        "boundaries",
        shared_datasets / "jakarta-kelurahan-kemendagri/kelurahan_dki_kemendagri.geojson",
        source=None,
    )
    assert kel.committed and kel.read == 267 and kel.rejected == 0
    rw = _import(
        conn,
        settings,
        "boundaries",
        shared_datasets / "jakarta-rw-kelurahan-osm2012/rw_jakarta.geojson",
        source=None,
    )
    counts = pd.Series([p.code for p in rw.problems]).value_counts().to_dict()
    assert rw.read == 2685 and not rw.committed
    assert counts["bad-rw-label"] == 36 and counts["duplicate"] == 56
    assert counts["overlap"] == 19 and counts["repaired-geometry"] == 1 and counts["sliver"] == 2
    overlap = next(p for p in rw.problems if p.code == "overlap")
    assert overlap.geometry is not None and overlap.rows
    floods = _import(
        conn,
        settings,
        "complaints",
        shared_datasets / "jakarta-flood-reports-petabencana/flood_reports_jbd_2017-02-20_22.csv",
        source=None,
        category="drainase_banjir",
    )
    assert floods.read == floods.loaded == 1204 and floods.committed
    assert floods.assigned > 1000  # the rest are in Bekasi, Tangerang and Depok
    nyc = _import(
        conn, settings, "complaints", shared_datasets / "nyc-311-sample/nyc_311_sample_3000.csv", source=None
    )
    assert nyc.read == 3000 and not nyc.committed
    assert {p.code for p in nyc.errors} <= {"outside-indonesia", "missing-geometry"}


# -- population --------------------------------------------------------------------------------


def test_population_by_rw_and_rt_numbers(conn, settings, tmp_path):
    table = pd.DataFrame(
        {
            "kode_kel": [KEL, KEL, KEL, KEL],
            "rw": ["RW 01", "1", "02", "99"],
            "rt": [None, "RT 003", None, None],
            "tahun": [2027, 2027, 2027, 2027],
            "jumlah_kk": [900, 120, 800, 10],
            "jiwa": [3200, 410, 3000, 30],
            "laki_laki": [1600, 200, 1499, 15],
            "perempuan": [1600, 210, 1500, 15],
        }
    )
    table.to_csv(tmp_path / "pop.csv", index=False)
    report = _import(conn, settings, "population", tmp_path / "pop.csv")
    assert sorted((p.row, p.code) for p in report.errors) == [
        (3, "sexes-do-not-add-up"),
        (4, "unknown-unit"),
    ]
    assert not report.committed
    report = _import(conn, settings, "population", tmp_path / "pop.csv", skip_invalid=True)
    assert report.loaded == 2
    rows = conn.execute(
        sa.text("SELECT unit_code, rw_code, rt_code, persons FROM population WHERE year = 2027 ORDER BY 1")
    ).all()
    assert rows == [
        (f"{KEL}.RW001", f"{KEL}.RW001", None, 3200),
        (f"{KEL}.RW001.RT003", f"{KEL}.RW001", f"{KEL}.RW001.RT003", 410),
    ]
    table.loc[0, ["jiwa", "laki_laki"]] = [3300, 1700]
    table.to_csv(tmp_path / "pop.csv", index=False)
    again = _import(conn, settings, "population", tmp_path / "pop.csv", skip_invalid=True)
    assert again.loaded == 2
    assert (
        conn.execute(
            sa.text("SELECT persons FROM population WHERE year = 2027 AND unit_code = :u"),
            {"u": f"{KEL}.RW001"},
        ).scalar()
        == 3300
    )
    assert conn.execute(sa.text("SELECT count(*) FROM population WHERE year = 2027")).scalar() == 2


def test_population_export_round_trip(conn, settings, tmp_path):
    count = export_layer(conn, "population", "gpkg", tmp_path / "pop.gpkg", kelurahan=KEL)
    expected = conn.execute(sa.text("SELECT count(*) FROM population WHERE kelurahan_code = :k"), {"k": KEL})
    assert count == expected.scalar() > 0
    frame = gpd.read_file(tmp_path / "pop.gpkg")
    assert frame.geometry.notna().all() and set(frame.geom_type) == {"MultiPolygon"}
    report = _import(conn, settings, "population", tmp_path / "pop.gpkg")
    assert report.errors == [] and report.loaded == count
    assert (
        conn.execute(
            sa.text("SELECT count(*) FROM population WHERE kelurahan_code = :k"), {"k": KEL}
        ).scalar()
        == count
    )


def test_large_geopackages_stream_in_chunks(conn, settings, tmp_path, monkeypatch):
    from gis.io import readers

    monkeypatch.setattr(readers, "CHUNK", 50)  # the Arrow stream path, in 3 chunks
    rng = np.random.default_rng(0)
    x0, y0 = POINTS[0]
    frame = gpd.GeoDataFrame(
        {"nama": [f"F{i}" for i in range(120)], "jenis": "posyandu", "kode": [f"C{i}" for i in range(120)]},
        geometry=gpd.points_from_xy(x0 + rng.uniform(-4e-4, 4e-4, 120), y0 + rng.uniform(-4e-4, 4e-4, 120)),
        crs=4326,
    )
    frame.to_file(tmp_path / "big.gpkg")
    report = _import(conn, settings, "facilities", tmp_path / "big.gpkg")
    assert report.read == report.loaded == 120 and report.errors == []
    assert sorted(
        conn.execute(sa.text("SELECT source_id FROM facility WHERE source = 'uji'")).scalars()
    ) == sorted(frame["kode"])


def test_imported_public_points_follow_the_same_rule_as_refresh(conn, settings, tmp_path):
    from gis.complaints.privacy import refresh_public_points

    table = pd.DataFrame(
        {
            "id": [f"P{i}" for i in range(9)],
            "kategori": ["sampah", "banjir", "keamanan"] * 3,
            "isi": ["x"] * 9,
            "lat": [p[1] for p in POINTS] * 3,
            "lon": [p[0] for p in POINTS] * 3,
        }
    )
    table.to_csv(tmp_path / "c.csv", index=False)
    _import(conn, settings, "complaints", tmp_path / "c.csv")
    before = conn.execute(
        sa.text("SELECT id, ST_AsText(geom_public) FROM complaint WHERE source = 'uji' ORDER BY id")
    ).all()
    ids = [r[0] for r in before]
    refresh_public_points(conn, ids)
    after = conn.execute(
        sa.text("SELECT id, ST_AsText(geom_public) FROM complaint WHERE source = 'uji' ORDER BY id")
    ).all()
    assert after == before and all(r[1] for r in before)


def test_timestamps_iso_mixed_offsets_naive_local_and_day_first():
    from gis.io.records import _timestamps

    values = pd.Series(
        [
            "2026-03-01 08:00",
            "2014-05-09T19:02:21-05:00",
            "2014-11-09T19:02:21-06:00",
            "01/03/2026 08:00",
            "kemarin",
            None,
        ],
        dtype=object,
    )
    got = [None if v is None else v.isoformat() for v in _timestamps(values, "Asia/Jakarta")]
    assert got == [
        "2026-03-01T01:00:00+00:00",
        "2014-05-10T00:02:21+00:00",
        "2014-11-10T01:02:21+00:00",
        "2026-03-01T01:00:00+00:00",
        None,
        None,
    ]


def test_csv_in_utm_with_crs(conn, settings, tmp_path):
    frame = _facilities().to_crs(32748)
    pd.DataFrame(frame.drop(columns="geometry")).assign(x=frame.geometry.x, y=frame.geometry.y).to_csv(
        tmp_path / "utm.csv", index=False
    )
    report = _import(
        conn,
        settings,
        "facilities",
        tmp_path / "utm.csv",
        crs="EPSG:32748",
        overrides={"lat": "y", "lon": "x"},
    )
    assert report.errors == [] and report.loaded == 3
    x = conn.execute(sa.text("SELECT min(ST_X(geom)) FROM facility WHERE source = 'uji'")).scalar()
    assert abs(x - 106.8707) < 1e-7


def test_points_leave_a_unit_that_shrank(conn, settings, tmp_path):
    code = conn.execute(
        sa.text(
            "SELECT rt_code FROM complaint WHERE rt_code LIKE :k GROUP BY rt_code "
            "ORDER BY count(*) DESC LIMIT 1"
        ),
        {"k": f"{KEL}.RW001.%"},
    ).scalar()
    shape = shapely.from_wkt(
        conn.execute(sa.text("SELECT ST_AsText(geom) FROM rt WHERE code = :c"), {"c": code}).scalar()
    )
    small = shape.representative_point().buffer(0.00005)  # about 5 m around one point
    number = int(code[-3:])
    gpd.GeoDataFrame(
        {"RT": [str(number)], "RW": ["1"], "kode_kel": [KEL]}, geometry=[small], crs=4326
    ).to_file(tmp_path / "rt.geojson")
    elsewhere = sa.text(  # a row rewritten by an UPDATE gets a new ctid
        "SELECT id, ctid::text FROM complaint WHERE rw_code IS DISTINCT FROM :w ORDER BY id"
    )
    untouched = conn.execute(elsewhere, {"w": f"{KEL}.RW001"}).all()
    report = _import(conn, settings, "boundaries", tmp_path / "rt.geojson", level="rt")
    assert report.committed
    # only the points of the changed unit are reassigned: the rest of the city is not rewritten
    assert conn.execute(elsewhere, {"w": f"{KEL}.RW001"}).all() == untouched
    stale = conn.execute(
        sa.text(
            "SELECT count(*) FROM complaint WHERE rt_code = :c AND NOT "
            "ST_Intersects(geom, (SELECT geom FROM rt WHERE code = :c))"
        ),
        {"c": code},
    ).scalar()
    assert stale == 0
    moved = conn.execute(
        sa.text("SELECT count(*) FROM complaint WHERE rt_code IS NULL AND rw_code = :w"),
        {"w": f"{KEL}.RW001"},
    ).scalar()
    assert moved > 0  # they fell back to their RW


def test_malformed_population_numbers_are_row_errors(conn, settings, tmp_path):
    pd.DataFrame(
        {
            "kode_kel": [KEL] * 4,
            "rw": ["1", "2", "3", "4"],
            "tahun": [2028, 2028, 3000, 2028],
            "jiwa": ["3.200", "12.5", "100", "-5"],
            "jumlah_kk": [1, 1, 1, 1],
        }
    ).to_csv(tmp_path / "pop.csv", index=False)
    report = _import(conn, settings, "population", tmp_path / "pop.csv")
    assert sorted((p.row, p.code) for p in report.errors) == [
        (1, "bad-number"),
        (2, "bad-number"),
        (3, "bad-year"),
        (4, "bad-number"),
    ]


def test_non_point_geometries_are_rejected_not_crashing(conn, settings, tmp_path):
    frame = gpd.GeoDataFrame(
        {"id": ["a", "b", "c"], "isi": ["x", "y", "z"]},
        geometry=[shapely.Point(*POINTS[0]), shapely.box(106.87, -6.18, 106.871, -6.179), shapely.Point()],
        crs=4326,
    )
    frame.to_file(tmp_path / "mixed.geojson")
    report = _import(conn, settings, "complaints", tmp_path / "mixed.geojson", skip_invalid=True)
    assert sorted((p.row, p.code) for p in report.errors) == [
        (2, "wrong-geometry-type"),
        (3, "missing-geometry"),
    ]
    assert report.loaded == 1


def test_a_refused_zip_leaves_no_temporary_folder(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    _facilities().to_crs(32748).to_file(tmp_path / "noprj.shp")
    with zipfile.ZipFile(tmp_path / "noprj.zip", "w") as archive:
        for part in tmp_path.glob("noprj.*"):
            if part.suffix not in (".prj", ".zip"):
                archive.write(part, part.name)
    with pytest.raises(DataError, match="no .prj"):
        open_source(tmp_path / "noprj.zip")
    assert list((tmp_path / "tmp").iterdir()) == []
