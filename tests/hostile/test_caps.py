"""The remaining caps (file size, features, what GDAL may open a name as) and the table of caps in
docs/security.md, which must name every cap and only tests that exist."""

from __future__ import annotations

import re
import sqlite3

import pytest

from gis.config import project_root
from gis.errors import DataError
from gis.io import ImportOptions, archive, guards, import_file, open_source
from tests.hostile import craft
from tests.hostile.conftest import assert_explained, counts


def test_a_file_over_the_size_cap_is_refused_before_it_is_read(monkeypatch, tmp_path):
    monkeypatch.setattr(guards, "MAX_FILE_BYTES", 1000)
    path = tmp_path / "besar.geojson"
    craft.facilities(30).to_file(path)
    with pytest.raises(DataError) as info:
        open_source(path)
    assert_explained(str(info.value), "the file is 0 MiB, more than the limit of")
    path.with_suffix(".zip").write_bytes(craft.zip_bytes([craft.stored("x.shp", bytes(2000))]))
    with pytest.raises(DataError, match="more than the limit"):
        open_source(path.with_suffix(".zip"))


def test_a_device_or_fifo_is_refused(tmp_path):
    import os

    os.mkfifo(tmp_path / "pipa.geojson")
    for path in (tmp_path / "pipa.geojson", "/dev/zero"):
        with pytest.raises(DataError) as info:
            open_source(path)
        assert_explained(str(info.value), "not a regular file")


def test_more_features_than_the_cap_are_refused(monkeypatch, tmp_path):
    monkeypatch.setattr(guards, "MAX_FEATURES", 2)
    path = tmp_path / "banyak.geojson"
    craft.facilities(3).to_file(path)
    with pytest.raises(DataError) as info:
        open_source(path)
    assert_explained(str(info.value), "more than 2 features (3)")


def test_a_geopackage_that_understates_its_features_is_refused_while_reading(
    conn, settings, monkeypatch, tmp_path
):
    """gpkg_ogr_contents says 1; the table holds 3. Nothing is written."""
    path = craft.geopackage(tmp_path / "bohong.gpkg", "UPDATE gpkg_ogr_contents SET feature_count = 1")
    monkeypatch.setattr(guards, "MAX_FEATURES", 2)
    assert open_source(path).count == 1
    before = counts(conn)
    with pytest.raises(DataError) as info:
        import_file(conn, "facilities", path, ImportOptions(source="uji-hostile"), settings.data_dir)
    assert_explained(str(info.value), "more than 2 features (3)")
    assert counts(conn) == before


def test_a_file_gdal_reads_as_another_format_is_refused(tmp_path):
    path = tmp_path / "palsu.fgb"
    craft.facilities().to_file(path.with_suffix(".geojson"))
    path.with_suffix(".geojson").rename(path)
    with pytest.raises(DataError) as info:
        open_source(path)
    assert_explained(str(info.value), "GDAL reads it as GeoJSON, which is not what .fgb should hold")


def test_the_ratio_cap_leaves_room_for_real_shapefiles():
    """Real .dbf files compress ~50:1 (the Jakarta RBI facilities), a wide sparse one ~250:1;
    Deflate's own ceiling, where bombs sit, is ~1030:1."""
    assert 250 < archive.ZIP_MAX_RATIO < 1000


# -- the documentation -----------------------------------------------------------------------------

CAPS = {
    "gis.io.guards": ("MAX_FILE_BYTES", "MAX_FEATURES"),
    "gis.io.archive": (
        "ZIP_MAX_BYTES",
        "ZIP_MAX_MEMBERS",
        "ZIP_MAX_DIRECTORY_BYTES",
        "ZIP_MAX_RATIO",
        "ZIP_RATIO_FLOOR",
    ),
    "gis.complaints.photos": ("MAX_BYTES", "MAX_PIXELS", "MAX_JPEG_SCANS", "DECODE_SECONDS"),
}


def _section() -> str:
    text = (project_root() / "docs" / "security.md").read_text()
    return text.split("## Hostile files", 1)[1].split("\n## ", 1)[0]


def test_docs_name_every_cap_and_only_tests_that_exist():
    section = _section()
    for module, names in CAPS.items():
        for name in names:
            assert f"{module.rsplit('.', 1)[1]}.{name}" in section, f"{module}.{name} missing"
    root = project_root() / "tests"
    sources = {p.stem: p.read_text() for p in root.rglob("test_*.py")}
    named = re.findall(r"`(test_\w+)::(test_\w+)`", section)
    assert len(named) >= 20
    for module, test in named:
        assert f"def {test}(" in sources.get(module, ""), f"{module}::{test} does not exist"


def test_the_geopackage_guard_reads_the_schema_even_of_a_locked_file(tmp_path):
    """It opens the file immutable: no lock taken, no journal replayed, nothing written."""
    path = craft.geopackage(tmp_path / "f.gpkg")
    with sqlite3.connect(path) as db:
        db.execute("BEGIN EXCLUSIVE")
        guards.screen(path, ".gpkg")
        db.rollback()
    db.close()
