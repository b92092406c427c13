"""KML with XML entities (XXE on /etc/passwd, parameter entities, an external DTD, billion laughs) and
XML under other names (a GDAL VRT that would read /etc/passwd as a CSV layer): refused before any
parser runs; /etc/passwd never reaches the command's output, the error or the database.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from gis.errors import DataError
from gis.io import open_source
from tests.hostile import craft
from tests.hostile.conftest import TABLES, assert_explained, counts
from tests.hostile.sandbox import run_capped
from webmap.cli import cli

PASSWD = Path("/etc/passwd")
XXE = '<!DOCTYPE kml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
VRT = (  # opened by content whatever its name, GDAL would serve /etc/passwd as a table
    "<OGRVRTDataSource><OGRVRTLayer name='passwd'><SrcDataSource>CSV:/etc/passwd</SrcDataSource>"
    "<SrcLayer>passwd</SrcLayer></OGRVRTLayer></OGRVRTDataSource>\n"
)


def _passwd_lines() -> list[str]:
    """Lines of /etc/passwd long enough to be unmistakable (user:x:uid:gid:...)."""
    return [line for line in PASSWD.read_text().splitlines() if line.count(":") >= 5 and len(line) > 15]


def _leaked(engine) -> list[str]:
    """Rows of any imported table holding a line, or a user name with its uid, of /etc/passwd."""
    needles = _passwd_lines() + [":".join(line.split(":")[:3]) for line in _passwd_lines()]
    found = []
    with engine.connect() as db:
        for table in TABLES:
            for needle in needles:
                hit = db.execute(
                    sa.text(f"SELECT count(*) FROM {table} t WHERE strpos(t::text, :n) > 0"), {"n": needle}
                ).scalar()
                if hit:
                    found.append(f"{table}: {needle}")
    return found


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(
    ("name", "doctype"),
    [
        ("xxe.kml", XXE),
        ("parameter.kml", '<!DOCTYPE kml [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>\n'),
        ("dtd.kml", '<!DOCTYPE kml SYSTEM "file:///etc/passwd">\n'),
        ("lowercase.kml", XXE.replace("DOCTYPE", "doctype")),
    ],
)
def test_xxe_through_sigkel_import_is_refused_and_passwd_goes_nowhere(
    runner, engine, database_url, monkeypatch, tmp_path, name, doctype
):
    assert _passwd_lines(), "this machine's /etc/passwd has no user lines to look for"
    path = _write(tmp_path, name, craft.kml(doctype, name="&xxe;"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    with engine.connect() as db:
        before = counts(db)
    result = runner.invoke(cli, ["import", "facilities", str(path), "--report-dir", str(tmp_path / "r")])
    assert result.exit_code == 1, result.output
    assert_explained(result.output.split("Error: ", 1)[1], "line 2 holds an XML", "DOCTYPE")
    assert not any(line in result.output for line in _passwd_lines())
    assert "root:" not in result.output
    with engine.connect() as db:
        assert counts(db) == before
    assert _leaked(engine) == []
    assert not (tmp_path / "r").exists()


def test_billion_laughs_is_refused_within_caps(tmp_path):
    path = _write(tmp_path, "tawa.kml", craft.billion_laughs())
    assert path.stat().st_size < 2048  # 10**9 "lol" once expanded
    outcome = run_capped("open", path, tmp_path / "tmp")
    assert outcome.refused and outcome.seconds < 5, outcome
    assert_explained(outcome.refused, "line 2 holds an XML DOCTYPE")


def test_a_doctype_after_a_megabyte_of_comment_is_still_found_with_its_line(tmp_path):
    """The whole file is scanned, in blocks; the declaration straddles the first block's end."""
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    pad = 1024**2 - len(head) - len("<!--") - len("-->\n") - 4
    path = _write(tmp_path, "jauh.kml", craft.kml(XXE, lead="<!--" + "x" * pad + "-->\n", name="&xxe;"))
    assert path.read_bytes().index(b"<!DOCTYPE") == 1024**2 - 4
    with pytest.raises(DataError) as info:
        open_source(path)
    assert_explained(str(info.value), "line 3 holds an XML DOCTYPE")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_kml_in_utf16_cannot_hide_its_doctype(tmp_path, encoding):
    text = craft.kml(XXE, name="&xxe;").replace('encoding="UTF-8"', f'encoding="{encoding.upper()}"')
    path = _write(tmp_path, "utf16.kml", text, encoding)
    with pytest.raises(DataError) as info:
        open_source(path)
    assert_explained(str(info.value), "not UTF-8 text")


def test_plain_kml_still_loads(conn, settings, tmp_path):
    from gis.io import ImportOptions, import_file

    path = _write(tmp_path, "biasa.kml", craft.kml())
    report = import_file(conn, "facilities", path, ImportOptions(source="uji-hostile"), settings.data_dir)
    assert report.loaded == 1


@pytest.mark.parametrize("suffix", [".geojson", ".json", ".csv", ".kml", ".zip"])
@pytest.mark.parametrize("lead", ["", '{"type": "FeatureCollection"}\n'])
def test_a_gdal_vrt_reading_passwd_under_another_name_is_refused(tmp_path, suffix, lead):
    """GDAL would open it by its content even after other text (tried: it serves /etc/passwd)."""
    path = _write(tmp_path, f"menyamar{suffix}", lead + VRT)
    if suffix == ".zip":  # as the .shp of a zipped shapefile
        path.write_bytes(craft.zip_bytes([craft.stored("fasilitas.shp", (lead + VRT).encode())]))
    with pytest.raises(DataError) as info:
        open_source(path)
    assert_explained(str(info.value), "GDAL description (<ogrvrtdatasource…)")
    assert not any(line in str(info.value) for line in _passwd_lines())


@pytest.mark.parametrize("suffix", [".geojson", ".json", ".csv"])
def test_other_xml_under_another_name_is_refused(tmp_path, suffix):
    path = _write(
        tmp_path,
        f"gpx{suffix}",
        '<?xml version="1.0"?><gpx version="1.1"><wpt lat="-6.18" lon="106.87"/></gpx>',
    )
    with pytest.raises(DataError) as info:
        open_source(path)
    assert_explained(str(info.value), "it holds XML")
