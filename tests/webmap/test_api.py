"""The public API over HTTP: facilities, what's here, nearest, vector tiles, local basemap, languages."""

from __future__ import annotations

import math
import sqlite3
from dataclasses import replace

import pytest
import sqlalchemy as sa

from webmap import create_app

CENTER = (-6.1786, 106.8712)
# A 1x1 PNG, enough to prove tiles come from the local file.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def _tile(lat, lon, z):
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def test_facilities_filter_search_and_paging(client, conn):
    total = conn.execute(sa.text("SELECT count(*) FROM facility WHERE public")).scalar()
    data = client.get("/api/layers/facilities.geojson").get_json()
    assert data["numberMatched"] == total == len(data["features"])
    page = client.get("/api/layers/facilities.geojson?limit=10&offset=10").get_json()
    assert len(page["features"]) == 10 and page["numberMatched"] == total
    assert [f["id"] for f in page["features"]] == [f["id"] for f in data["features"][10:20]]
    posyandu = client.get("/api/layers/facilities.geojson?category=posyandu").get_json()
    assert {f["properties"]["category"] for f in posyandu["features"]} == {"posyandu"}
    found = client.get("/api/layers/facilities.geojson?q=rawasari").get_json()
    assert found["features"] and all(
        "rawasari" in (f["properties"]["name"] + (f["properties"]["address"] or "")).lower()
        for f in found["features"]
    )
    assert client.get("/api/layers/facilities.geojson?q=%25").get_json()["numberMatched"] == 0


def test_whats_here_matches_the_units_at_the_point(client, conn):
    lat, lon = CENTER
    data = client.get(f"/api/whats-here?lat={lat}&lon={lon}").get_json()
    expected = conn.execute(
        sa.text(
            "SELECT rt.code, rt.rw_code, rt.kelurahan_code FROM rt WHERE ST_Intersects(rt.geom, "
            "ST_SetSRID(ST_MakePoint(:x, :y), 4326))"
        ),
        {"x": lon, "y": lat},
    ).one()
    assert (data["rt"]["code"], data["rw"]["code"], data["kelurahan"]["code"]) == tuple(expected)
    categories = conn.execute(sa.text("SELECT count(DISTINCT category) FROM facility WHERE public")).scalar()
    assert len(data["nearest"]) == categories
    distances = [n["distance_m"] for n in data["nearest"]]
    assert distances == sorted(distances)


@pytest.mark.parametrize("category", ["posyandu", "sd", "masjid", None])
def test_nearest_matches_postgis(client, conn, category):
    lat, lon = -6.1745, 106.8650
    url = f"/api/nearest?lat={lat}&lon={lon}&k=3" + (f"&category={category}" if category else "")
    got = [f["id"] for f in client.get(url).get_json()["facilities"]]
    expected = (
        conn.execute(
            sa.text(
                "SELECT id FROM facility WHERE public AND (CAST(:c AS text) IS NULL OR category = :c) "
                "ORDER BY ST_Distance(geom::geography, "
                "ST_SetSRID(ST_MakePoint(:x, :y), 4326)::geography), id LIMIT 3"
            ),
            {"x": lon, "y": lat, "c": category},
        )
        .scalars()
        .all()
    )
    assert got == expected


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("lat=abc&lon=106.8", "must be numbers"),
        ("lat=106.87&lon=-6.18", "swapped"),
        ("lat=48.85&lon=2.35", "outside Indonesia"),
        ("lat=nan&lon=nan", "NaN"),
        ("", "must be numbers"),
    ],
)
def test_bad_points_get_clear_errors(client, query, words):
    response = client.get(f"/api/whats-here?{query}")
    assert response.status_code == 422 and words in response.get_json()["message"]


def test_tiles_etag_cache_and_invalidation(client, conn, app):
    x, y = _tile(*CENTER, 15)
    first = client.get(f"/tiles/rw/15/{x}/{y}.pbf")
    assert first.status_code == 200 and first.mimetype == "application/vnd.mapbox-vector-tile"
    assert len(first.data) > 100 and first.headers["ETag"]
    cache = app.extensions["sigkel.tiles"]
    hits = cache.hits
    again = client.get(f"/tiles/rw/15/{x}/{y}.pbf")
    assert again.data == first.data and cache.hits == hits + 1
    assert (
        client.get(f"/tiles/rw/15/{x}/{y}.pbf", headers={"If-None-Match": first.headers["ETag"]}).status_code
        == 304
    )
    conn.execute(sa.text("UPDATE rw SET name = 'RW Baru' WHERE code = '31.71.05.1001.RW001'"))
    changed = client.get(f"/tiles/rw/15/{x}/{y}.pbf", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]


def test_complaint_tiles_hold_public_fields_and_aggregate_at_low_zoom(client):
    # MVT stores each property key once per layer as field 3: b"\x1a" + length + key.
    x, y = _tile(*CENTER, 17)
    points = client.get(f"/tiles/complaints/17/{x}/{y}.pbf").data
    assert b"\x1a\x06ticket" in points and b"\x1a\x08category" in points
    assert b"description" not in points and b"reporter" not in points
    x, y = _tile(*CENTER, 12)
    cells = client.get(f"/tiles/complaints/12/{x}/{y}.pbf").data
    assert b"\x1a\x01n" in cells and b"\x1a\x06ticket" not in cells


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/tiles/secrets/1/0/0.pbf", 404),
        ("/tiles/rw/3/9/0.pbf", 422),
        ("/tiles/rw/30/0/0.pbf", 422),
    ],
)
def test_impossible_tiles(client, url, status):
    assert client.get(url).status_code == status


def test_local_mbtiles_basemap_is_served_by_us(settings, conn, tmp_path):
    path = tmp_path / "jakarta.mbtiles"
    with sqlite3.connect(path) as db:
        db.executescript(
            "CREATE TABLE metadata (name text, value text);"
            "CREATE TABLE tiles (zoom_level int, tile_column int, tile_row int, tile_data blob);"
        )
        db.executemany("INSERT INTO metadata VALUES (?, ?)", [("format", "png"), ("attribution", "Uji")])
        db.execute("INSERT INTO tiles VALUES (1, 1, 0, ?)", (PNG,))  # TMS row 0 = XYZ y 1 at z1
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "t",
            "SIGKEL_CONNECTION": conn,
            "SIGKEL_SETTINGS": replace(settings, basemap=str(path)),
        }
    )
    client = app.test_client()
    tile = client.get("/basemap/1/1/1")
    assert tile.status_code == 200 and tile.data == PNG and tile.mimetype == "image/png"
    assert client.get("/basemap/1/0/0").status_code == 404
    page = client.get("/").get_data(as_text=True)
    assert "/basemap/{z}/{x}/{y}" in page and "tile.openstreetmap.org" not in page


def test_english_catalog_is_complete_and_compiled():
    from pathlib import Path

    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po

    folder = Path(__file__).resolve().parents[2] / "webmap" / "translations" / "en" / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as handle:
        po = read_po(handle)
    with open(folder / "messages.mo", "rb") as handle:
        mo = read_mo(handle)
    untranslated = [m.id for m in po if m.id and not m.string]
    assert untranslated == []
    assert {m.id: m.string for m in po if m.id} == {m.id: m.string for m in mo if m.id}


def test_every_template_string_is_in_the_catalog():
    import subprocess
    import sys
    from pathlib import Path

    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parents[2]
    out = root / "test-artifacts" / "messages.pot"
    out.parent.mkdir(exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_",
            "-k",
            "gettext",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(out),
            ".",
        ],
        cwd=root,
        check=True,
        capture_output=True,
    )
    with open(out, "rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    with open(root / "webmap/translations/en/LC_MESSAGES/messages.po", "rb") as handle:
        have = {m.id for m in read_po(handle) if m.id}
    assert wanted - have == set()


def test_dense_tiles_are_aggregated_at_any_zoom(client, conn):
    lat, lon = CENTER
    conn.execute(
        sa.text(
            "INSERT INTO complaint (ticket, category, description, source, source_id, geom, geom_public) "
            "SELECT 'D-' || n, 'jalan_rusak', 'padat', 'dense', n::text, p, p "
            "FROM generate_series(1, 4500) n, LATERAL (SELECT ST_SetSRID(ST_MakePoint("
            ":lon + (n % 67) * 2e-6, :lat + (n / 67) * 2e-6), 4326) p) g"
        ),
        {"lon": lon, "lat": lat},
    )
    x, y = _tile(lat, lon, 17)
    dense = client.get(f"/tiles/complaints/17/{x}/{y}.pbf").data
    assert b"\x1a\x01n" in dense and b"\x1a\x06ticket" not in dense
    assert len(dense) < 500 * 1024


def test_tile_cache_is_bounded_in_bytes():
    from webmap.tilecache import TileCache

    cache = TileCache(max_tiles=100, max_bytes=1000)
    for i in range(10):
        cache.put(("t", i), b"x" * 100)
    assert cache.bytes == 1000 and cache.get(("t", 0)) is not None
    cache.put(("t", 10), b"x" * 100)
    assert cache.bytes <= 1000 and cache.get(("t", 1)) is None  # least recently used went first
    cache.put(("huge",), b"x" * 900)  # over an eighth of the budget: not cached
    assert cache.get(("huge",)) is None and cache.bytes <= 1000


def test_category_rule_change_moves_public_points_and_tiles(client, conn, settings):
    from gis.pipelines import seed_reference

    x, y = _tile(*CENTER, 15)
    before = client.get(f"/tiles/complaints/15/{x}/{y}.pbf").headers["ETag"]
    conn.execute(sa.text("UPDATE complaint_category SET public = false WHERE code = 'kebersihan'"))
    assert client.get(f"/tiles/complaints/15/{x}/{y}.pbf").headers["ETag"] != before
    seed_reference(conn, settings.data_dir)  # restores public = true from data/categories
    assert (
        conn.execute(
            sa.text("SELECT count(*) FROM complaint WHERE category = 'kebersihan' AND geom_public IS NULL")
        ).scalar()
        == 0
    )


@pytest.mark.parametrize("query", ["limit=²", "offset=99999999999999999999", "limit=-1", "offset=1e3"])
def test_odd_integers_are_clear_errors(client, query):
    response = client.get(f"/api/layers/facilities.geojson?{query}")
    assert response.status_code == 422 and "whole number" in response.get_json()["message"]
