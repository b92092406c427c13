"""GeoPackages with active content. Decision: refuse what could run while we read (views, generated
columns, virtual tables other than R*Tree) and triggers that are not the GeoPackage/GDAL standard
ones; open the rest read-only, so that even standard-named triggers, which fire only on writes,
never run. The tests prove both: refusals with reasons, and a file left bit-for-bit unchanged by an
import whose standard-named trigger would have written into it.
"""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from gis.errors import DataError
from gis.io import ImportOptions, import_file, open_source
from tests.hostile import craft
from tests.hostile.conftest import assert_explained, counts
from tests.hostile.sandbox import run_capped

JEJAK = "CREATE TABLE jejak (kapan TEXT, apa TEXT)"
FOREVER = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
    "SELECT i AS fid, (SELECT geom FROM fasilitas LIMIT 1) AS geom, 'x' AS nama FROM n"
)


def _register(table: str) -> list[str]:
    """Make ``table`` a features layer of the GeoPackage, so that GDAL would read it."""
    return [
        f"INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) "
        f"VALUES ('{table}', 'features', '{table}', 4326)",
        f"INSERT INTO gpkg_geometry_columns VALUES ('{table}', 'geom', 'POINT', 4326, 0, 0)",
    ]


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _refused(path, *english: str) -> None:
    digest = _digest(path)
    with pytest.raises(DataError) as info:
        open_source(path)
    assert_explained(str(info.value), "active content", *english)
    assert "ogr2ogr" in str(info.value)
    assert _digest(path) == digest


def test_a_custom_trigger_is_refused_and_nothing_is_written(conn, settings, tmp_path):
    path = craft.geopackage(
        tmp_path / "pemicu.gpkg",
        JEJAK,
        "CREATE TRIGGER catat_baca AFTER UPDATE ON gpkg_ogr_contents BEGIN "
        "INSERT INTO jejak VALUES (datetime('now'), 'update'); END",
    )
    before = counts(conn)
    with pytest.raises(DataError) as info:
        import_file(conn, "facilities", path, ImportOptions(source="uji-hostile"), settings.data_dir)
    assert_explained(str(info.value), "active content", "trigger 'catat_baca'")
    assert counts(conn) == before


def test_a_view_that_never_ends_is_refused_in_time(tmp_path):
    """Read by GDAL, this view would run forever; it is refused from the schema alone."""
    path = craft.geopackage(tmp_path / "tanpa-akhir.gpkg", f"CREATE VIEW tak_hingga AS {FOREVER}")
    with sqlite3.connect(path) as db:
        for sql in _register("tak_hingga"):
            db.execute(sql)
    db.close()
    outcome = run_capped("open", path, tmp_path / "tmp", layer="tak_hingga")
    assert outcome.refused and outcome.seconds < 10, outcome
    assert_explained(outcome.refused, "active content", "view 'tak_hingga'")


def test_a_generated_column_is_refused(tmp_path):
    """A column computed on every read: here 200 MB of text per row."""
    path = craft.geopackage(
        tmp_path / "kolom.gpkg",
        "ALTER TABLE fasilitas ADD COLUMN isi TEXT GENERATED ALWAYS AS (hex(zeroblob(100000000))) VIRTUAL",
    )
    outcome = run_capped("open", path, tmp_path / "tmp", layer="fasilitas")
    assert outcome.refused and outcome.seconds < 10, outcome
    assert_explained(outcome.refused, "active content", "generated column in 'fasilitas'")


def test_a_foreign_virtual_table_is_refused(tmp_path):
    path = craft.geopackage(tmp_path / "virtual.gpkg", "CREATE VIRTUAL TABLE teks USING fts5(isi)")
    _refused(path, "virtual table 'teks' (fts5)")


def test_a_gdal_written_geopackage_with_its_standard_triggers_loads(conn, settings, tmp_path):
    """Also with a column whose quoted name and default look like a generated column's "AS (…)"."""
    path = craft.geopackage(
        tmp_path / "biasa.gpkg", "ALTER TABLE fasilitas ADD COLUMN \"luas as (ha)\" TEXT DEFAULT 'as (x)'"
    )
    with sqlite3.connect(path) as db:
        triggers = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")]
    db.close()
    assert any(t.startswith("rtree_") for t in triggers) and any("feature_count" in t for t in triggers)
    report = import_file(conn, "facilities", path, ImportOptions(source="uji-hostile"), settings.data_dir)
    assert report.loaded == 3


def test_standard_named_triggers_never_run_because_the_file_is_opened_read_only(conn, settings, tmp_path):
    """A trigger under a standard name, on every kind of write GDAL could make while reading (the
    feature count it keeps in gpkg_ogr_contents, left empty here so that GDAL wants to fill it in).
    The import loads the rows; the file is bit-for-bit the same and the trigger's table stays empty."""
    path = craft.geopackage(
        tmp_path / "standar.gpkg",
        JEJAK,
        "UPDATE gpkg_ogr_contents SET feature_count = NULL",
        *[
            f"CREATE TRIGGER rtree_jejak_geom_{name} AFTER {event} ON {table} BEGIN "
            f"INSERT INTO jejak VALUES (datetime('now'), '{event} {table}'); END"
            for name, event, table in (
                ("update1", "UPDATE", "gpkg_ogr_contents"),
                ("insert", "INSERT", "gpkg_ogr_contents"),
                ("update2", "UPDATE", "fasilitas"),
                ("delete", "DELETE", "fasilitas"),
            )
        ],
    )
    digest = _digest(path)
    options = ImportOptions(source="uji-hostile", layer="fasilitas")
    assert import_file(conn, "facilities", path, options, settings.data_dir).loaded == 3
    assert _digest(path) == digest
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        assert db.execute("SELECT count(*) FROM jejak").fetchone()[0] == 0
    db.close()


@pytest.mark.parametrize("suffix", [".geojson", ".json", ".shp", ".csv"])
def test_an_sqlite_database_under_another_name_is_refused(tmp_path, suffix):
    path = craft.geopackage(tmp_path / "menyamar.gpkg", f"CREATE VIEW v AS {FOREVER}")
    disguised = path.rename(tmp_path / f"menyamar{suffix}")
    with pytest.raises(DataError) as info:
        open_source(disguised)
    assert_explained(str(info.value), "SQLite database")


def test_a_damaged_geopackage_is_refused_with_a_reason(tmp_path):
    path = craft.geopackage(tmp_path / "rusak.gpkg")
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(DataError) as info:
        open_source(path)
    assert_explained(str(info.value), "not a readable GeoPackage")
