"""sigkel backup / restore: a backup restored into an empty database equals the original, table by
table (every row's content, not only counts) and file by file; damage and non-empty targets are refused."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest
import sqlalchemy as sa

from gis.backup import backup, restore, table_fingerprints
from gis.complaints import submit
from gis.complaints.photos import process_photo
from gis.complaints.sla import WorkCalendar
from gis.db.engine import make_engine
from gis.errors import DataError
from tests.complaints.test_photos import jpeg_with_gps
from webmap.cli import cli


@pytest.mark.slow
def test_backup_restores_every_table_and_photo(
    engine, database_url, scratch_db, tmp_path, runner, monkeypatch
):
    photos = tmp_path / "photos"
    with engine.begin() as conn:  # a complaint with a photo, so that there is a file to carry
        point = conn.execute(
            sa.text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM rt LIMIT 1) x")
        ).one()
        photo = process_photo(jpeg_with_gps(width=333))
        submit.submit_report(
            conn,
            submit.Report(
                key="bk-" + uuid.uuid4().hex,
                category="jalan_rusak",
                description="cadangan uji",
                lon=point[0],
                lat=point[1],
                photos=[photo],
                photo_digests=[photo.sha256],
            ),
            WorkCalendar(),
            photos,
        )
    folder = tmp_path / "cadangan"
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SIGKEL_PHOTO_DIR", str(photos))
    result = runner.invoke(cli, ["backup", "--out", str(folder)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["photos"] and manifest["tables"]["complaint"] > 2400

    empty = scratch_db(postgis=False)
    restored_photos = tmp_path / "restored-photos"
    monkeypatch.setenv("DATABASE_URL", empty)
    monkeypatch.setenv("SIGKEL_PHOTO_DIR", str(restored_photos))
    result = runner.invoke(cli, ["restore", str(folder)])
    assert result.exit_code == 0, result.output
    target = make_engine(empty)
    try:
        assert table_fingerprints(target) == table_fingerprints(engine)
        for name in manifest["photos"]:
            assert (restored_photos / name).read_bytes() == (photos / name).read_bytes()
        # a second restore without --yes refuses to overwrite
        again = runner.invoke(cli, ["restore", str(folder)])
        assert again.exit_code != 0 and "--yes" in again.output
        with target.begin() as conn:
            conn.execute(sa.text("UPDATE rw SET name = 'diubah' WHERE code = (SELECT min(code) FROM rw)"))
        assert runner.invoke(cli, ["restore", str(folder), "--yes"]).exit_code == 0
        assert table_fingerprints(target) == table_fingerprints(engine)
    finally:
        target.dispose()


def test_damaged_backups_and_busy_folders_are_refused(engine, tmp_path, settings):
    folder = tmp_path / "cadangan"
    backup(engine, tmp_path / "no-photos", folder, settings.pg_bindir)
    with pytest.raises(DataError, match="not empty"):
        backup(engine, tmp_path / "no-photos", folder, settings.pg_bindir)
    dump = folder / "database.dump"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    assert (
        hashlib.sha256(bytes(data)).hexdigest()
        != json.loads((folder / "manifest.json").read_text())["dump_sha256"]
    )
    with pytest.raises(DataError, match="damaged"):
        restore(engine, tmp_path / "p", folder)
    with pytest.raises(DataError, match="not a SIG Kelurahan backup"):
        restore(engine, tmp_path / "p", tmp_path)
