"""Public pages and the layer API over HTTP (Flask's client), on the demo data."""

from __future__ import annotations

import re

import pytest


def test_map_page_loads_assets_only_from_our_server(client):
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="id">' in html
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/static/vendor/leaflet/leaflet.js" in urls
    assert all(not u.startswith(("http:", "https:", "//")) for u in urls), urls
    assert "/api/layers/rw.geojson" in html  # fetched by the browser, not embedded
    assert "MultiPolygon" not in html
    assert "OpenStreetMap contributors (ODbL)" in html


def test_basemap_is_configurable(settings, conn):
    from dataclasses import replace

    from webmap import create_app

    def page(basemap):
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "t",
                "SIGKEL_CONNECTION": conn,
                "SIGKEL_SETTINGS": replace(settings, basemap=basemap),
            }
        )
        return app.test_client().get("/").get_data(as_text=True)

    assert "tile.openstreetmap.org" in page("osm")
    none = page("none")
    assert "tile.openstreetmap.org" not in none and "L.tileLayer" not in none
    assert "tiles.kantor.local" in page("http://tiles.kantor.local/{z}/{x}/{y}.png")


def test_rw_layer_as_geojson(client):
    response = client.get("/api/layers/rw.geojson")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    data = response.get_json()
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 30
    first = data["features"][0]
    assert first["geometry"]["type"] == "MultiPolygon"
    assert first["properties"]["label"] == "RW 001 · Cempaka Putih Timur"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kelurahan=31.71.05.1002", 13),
        ("kelurahan=31.71.05.1003", 9),
        ("limit=5", 5),
        ("bbox=106.0,-7.0,106.1,-6.9", 0),
    ],
)
def test_rw_layer_filters(client, query, expected):
    assert len(client.get(f"/api/layers/rw.geojson?{query}").get_json()["features"]) == expected


def test_bbox_selects_what_intersects(client, conn):
    import sqlalchemy as sa

    expected = conn.execute(
        sa.text(
            "SELECT count(*) FROM rt WHERE ST_Intersects(geom, "
            "ST_MakeEnvelope(106.865, -6.185, 106.87, -6.18, 4326))"
        )
    ).scalar()
    features = client.get("/api/layers/rt.geojson?bbox=106.865,-6.185,106.87,-6.18").get_json()
    assert 0 < expected == len(features["features"])


@pytest.mark.parametrize(
    ("url", "status", "words"),
    [
        ("/api/layers/complaints_private.geojson", 404, "no boundary layer"),
        ("/api/layers/rw.geojson?bbox=1,2,3", 422, "four numbers"),
        ("/api/layers/rw.geojson?bbox=107,-6,106,-7", 422, "W<E"),
        ("/api/layers/rw.geojson?limit=lots", 422, "whole number ≥ 1"),
    ],
)
def test_bad_requests_say_what_is_wrong(client, url, status, words):
    response = client.get(url)
    assert response.status_code == status
    assert words in response.get_json()["message"]


def test_html_error_page_in_bahasa_indonesia(client):
    response = client.get("/tidak-ada", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert "Tidak ditemukan" in response.get_data(as_text=True)


def test_health(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_vendor_assets_precompressed_and_cached(client):
    with (
        client.get("/static/vendor/leaflet/leaflet.js", headers={"Accept-Encoding": "gzip, br"}) as gz,
        client.get("/static/vendor/leaflet/leaflet.js") as plain,
    ):
        _ = gz.data, plain.data
    assert gz.headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in plain.headers
    assert len(gz.data) < len(plain.data) / 3
    assert "Accept-Encoding" in gz.headers["Vary"]
    assert gz.cache_control.max_age >= 86400
    import gzip

    assert gzip.decompress(gz.data) == plain.data


@pytest.mark.parametrize(
    "path",
    ["/static/../cli.py", "/static/%2e%2e/cli.py", "/static/..%2fcli.py", "/static/vendor/nothing.js"],
)
def test_static_refuses_paths_outside_and_missing_files(client, path):
    with client.get(path) as response:
        assert response.status_code == 404


@pytest.mark.parametrize(
    "url", ["/", "/api/layers/facilities.geojson", "/static/js/public-map.js", "/static/css/public.css"]
)
def test_text_responses_are_gzipped_for_clients_that_accept_it(client, url):
    import gzip

    with client.get(url, headers={"Accept-Encoding": "gzip, deflate"}) as packed, client.get(url) as plain:
        assert packed.headers["Content-Encoding"] == "gzip" and "Content-Encoding" not in plain.headers
        assert "Accept-Encoding" in packed.headers["Vary"]

        def same(body: bytes) -> bytes:  # folium names map elements at random; CSP nonces are per response
            body = re.sub(rb'nonce="[^"]+"', b"", body)
            return re.sub(rb"(map|tile_layer)_[0-9a-f]{32}", b"x", body)

        assert same(gzip.decompress(packed.data)) == same(plain.data)
        assert len(packed.data) < 0.6 * len(plain.data)
