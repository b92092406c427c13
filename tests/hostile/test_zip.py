"""Zipped shapefiles: bombs (declared, lying, nested, overlapping, high ratio, many members), zip slip
(``..``, absolute, drive letters, symlinks) and a missing ``.prj``.

Bombs run in a capped child (:mod:`tests.hostile.sandbox`): if a guard were missing, unpacking would
hit the 256 MiB file-size limit or the 1.5 GiB address-space limit and the test would fail.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gis.errors import DataError
from gis.io import ImportOptions, archive, import_file, open_source
from tests.hostile import craft
from tests.hostile.conftest import assert_explained, counts
from tests.hostile.sandbox import run_capped

QUICK = 10  # seconds: every refusal below comes long before this


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def _refused_capped(tmp_path: Path, name: str, members: list[craft.Member], *english: str):
    """Write the zip, run it capped, and check: refused, explained, quick, and nothing left behind."""
    upload = tmp_path / "upload" / name
    upload.parent.mkdir()
    upload.write_bytes(craft.zip_bytes(members))
    before = _tree(tmp_path)
    outcome = run_capped("open", upload, tmp_path / "tmp")
    assert outcome.refused, f"accepted: {outcome}"
    assert_explained(outcome.refused, *english)
    assert outcome.seconds < QUICK and outcome.peak_rss_mib < 1024, outcome
    assert _tree(tmp_path) == before | {"tmp"} and not list((tmp_path / "tmp").iterdir())
    return outcome


# -- bombs -----------------------------------------------------------------------------------------


def test_members_that_declare_gigabytes_are_refused_before_unpacking(tmp_path):
    """Four members of 512 MiB of zeros each (2 GiB from a 2 MiB zip): refused on its directory."""
    members = [craft.zeros(f"bagian{i}.dbf", 512) for i in range(4)]
    _refused_capped(tmp_path, "bom.zip", members, "a zip bomb?", "compressed 1,0")


def test_many_moderate_members_over_the_total_are_refused(tmp_path):
    """24 members of 48 MiB, each compressed only 400:1 (under the ratio cap), 1.1 GiB in all."""
    members = [craft.zeros(f"bagian{i:02d}.dbf", 48, ratio=400) for i in range(24)]
    _refused_capped(tmp_path, "bom-total.zip", members, "expands to more than 1,024 MiB")


def test_a_member_with_a_huge_compression_ratio_is_refused(tmp_path):
    """One 200 MiB member at ~1000:1 next to a valid shapefile: under the total, over the ratio."""
    parts = [craft.stored(n, b) for n, b in craft.shapefile_parts(tmp_path).items()]
    _refused_capped(tmp_path, "rasio.zip", [*parts, craft.zeros("catatan.txt", 200)], "compressed", "500:1")


def test_a_member_that_inflates_beyond_its_declared_size_is_refused(tmp_path):
    """It declares 1 KiB (with a CRC matching 1 KiB of zeros) and inflates to 200 MiB."""
    parts = [craft.stored(n, b) for n, b in craft.shapefile_parts(tmp_path).items()]
    liar = craft.zeros("catatan.txt", 200, declared=1024)
    _refused_capped(tmp_path, "bohong.zip", [*parts, liar], "expands beyond its declared size")


def test_overlapping_members_are_refused(tmp_path):
    """Forty directory entries all pointing at one 64 MiB member's data (the "better zip bomb")."""
    first = craft.zeros("bagian00.dbf", 64, ratio=400)
    members = [first] + [
        craft.Member(f"bagian{i:02d}.dbf", b"", first.size, first.crc, offset_of=0) for i in range(1, 40)
    ]
    _refused_capped(tmp_path, "tumpang.zip", members, "expands to more than 1,024 MiB")


@pytest.mark.parametrize("inner_name", ["dalam.zip", "fasilitas.dbf"])
def test_a_zip_inside_the_zip_is_refused_by_name_or_content(tmp_path, inner_name):
    bomb = craft.zip_bytes([craft.zeros(f"b{i}.dbf", 256) for i in range(4)])
    parts = [craft.stored(n, b) for n, b in craft.shapefile_parts(tmp_path).items()]
    members = [p for p in parts if p.name != inner_name] + [craft.stored(inner_name, bomb)]
    _refused_capped(tmp_path, "bersarang.zip", members, "is an archive inside the archive")


def test_too_many_members_are_refused(tmp_path):
    members = [craft.stored(f"kosong{i:03d}.txt", b"") for i in range(archive.ZIP_MAX_MEMBERS + 1)]
    _refused_capped(tmp_path, "banyak.zip", members, f"more than the limit of {archive.ZIP_MAX_MEMBERS}")


def test_a_central_directory_of_millions_is_refused_before_it_is_parsed(tmp_path):
    """40,000 entries with long names (a 6 MiB directory): zipfile would build an object for each."""
    member = craft.stored("x" * 150 + ".txt", b"")
    members = [member] + [
        craft.Member(f"{i:06d}" + "x" * 144 + ".txt", b"", 0, 0, method=0, offset_of=0) for i in range(40_000)
    ]
    _refused_capped(tmp_path, "direktori.zip", members, "its directory is")


def test_encrypted_and_bzip2_members_are_refused(tmp_path):
    parts = [craft.stored(n, b) for n, b in craft.shapefile_parts(tmp_path).items()]
    locked = craft.stored("rahasia.txt", b"x")
    locked.flags = 0x1
    bz = craft.stored("catatan.txt", b"x")
    bz.method = 12
    for name, extra, english in (("sandi.zip", locked, "is encrypted"), ("bz.zip", bz, "method 12")):
        path = tmp_path / name
        path.write_bytes(craft.zip_bytes([*parts, extra]))
        with pytest.raises(DataError) as info:
            open_source(path)
        assert_explained(str(info.value), english)


# -- zip slip --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "evil",
    [
        "../../lolos.shp",
        "data/../../../lolos.shp",
        "..\\..\\lolos.shp",
        "C:/lolos.shp",
        "{abs}/lolos-absolut.shp",
    ],
)
def test_names_pointing_outside_are_refused_and_nothing_is_written_outside(tmp_path, monkeypatch, evil):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    evil = evil.format(abs=tmp_path)
    (tmp_path / "src").mkdir()
    parts = [craft.stored(n, b) for n, b in craft.shapefile_parts(tmp_path / "src").items()]
    upload = tmp_path / "up" / "slip.zip"
    upload.parent.mkdir()
    upload.write_bytes(craft.zip_bytes([craft.stored(evil, b"PWNED")] + parts))
    before = _tree(tmp_path)
    with pytest.raises(DataError) as info:
        open_source(upload)
    assert_explained(str(info.value), "points outside the archive")
    assert _tree(tmp_path) == before
    assert not list((tmp_path / "tmp").iterdir())
    assert not any("lolos" in name for name in _tree(tmp_path.parent))


@pytest.fixture
def src(tmp_path) -> Path:
    (tmp_path / "src").mkdir()
    return tmp_path / "src"


def test_symlink_members_are_refused(tmp_path, monkeypatch, src):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    parts = craft.shapefile_parts(src)
    cases = {
        "tautan-shp.zip": [craft.symlink("fasilitas.dbf", "/etc/passwd")]
        + [craft.stored(n, b) for n, b in parts.items() if n != "fasilitas.dbf"],
        "tautan-folder.zip": [craft.symlink("keluar", str(tmp_path)), craft.stored("keluar/lolos.shp", b"x")],
    }
    for name, members in cases.items():
        (tmp_path / name).write_bytes(craft.zip_bytes(members))
        with pytest.raises(DataError) as info:
            open_source(tmp_path / name)
        assert_explained(str(info.value), "is a symbolic link")
    assert not list((tmp_path / "tmp").iterdir()) and not (tmp_path / "lolos.shp").exists()


def test_duplicate_member_names_are_refused(src):
    parts = [craft.stored(n, b) for n, b in craft.shapefile_parts(src).items()]
    (src / "dua.zip").write_bytes(craft.zip_bytes(parts + [parts[0]]))
    with pytest.raises(DataError) as info:
        open_source(src / "dua.zip")
    assert_explained(str(info.value), "appears twice")


# -- a shapefile without .prj ----------------------------------------------------------------------


def test_zipped_shapefile_without_prj_is_refused_unless_crs_is_given(conn, settings, src):
    parts = [craft.deflated(n, b) for n, b in craft.shapefile_parts(src, prj=False).items()]
    upload = src / "tanpa-prj.zip"
    upload.write_bytes(craft.zip_bytes(parts))
    before = counts(conn)
    with pytest.raises(DataError) as info:
        import_file(conn, "facilities", upload, ImportOptions(source="uji-hostile"), settings.data_dir)
    assert_explained(str(info.value), "no .prj")
    assert "--crs" in str(info.value) and "Sertakan berkas .prj" in str(info.value)
    assert counts(conn) == before
    options = ImportOptions(source="uji-hostile", crs="EPSG:32748")
    assert import_file(conn, "facilities", upload, options, settings.data_dir).loaded == 3


def test_shapefile_with_an_unreadable_prj_says_so(src):
    craft.shapefile_parts(src)
    (src / "fasilitas.prj").write_text("bukan WKT sama sekali")
    with pytest.raises(DataError) as info:
        open_source(src / "fasilitas.shp")
    assert_explained(str(info.value), "fasilitas.prj cannot be read")


def test_an_honest_zip_still_loads(conn, settings, src):
    parts = [craft.deflated(n, b) for n, b in craft.shapefile_parts(src).items()]
    upload = src / "jujur.zip"
    upload.write_bytes(craft.zip_bytes([*parts, craft.deflated("BACA.txt", b"sumber: uji\n" * 50)]))
    report = import_file(conn, "facilities", upload, ImportOptions(source="uji-hostile"), settings.data_dir)
    assert report.loaded == 3 and not report.errors
    assert os.path.exists(upload)
