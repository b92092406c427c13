"""Privacy by default (no reporter identity or exact location in any public output) and the security
headers on every route, found by walking the app's URL map."""

from __future__ import annotations

import json
import re
import uuid

import pytest
import sqlalchemy as sa

from gis.complaints import submit
from gis.complaints.photos import process_photo
from gis.complaints.sla import WorkCalendar
from gis.io.export import read_layer
from tests.complaints.test_photos import jpeg_with_gps

NAME, PHONE, EMAIL = "Dewi Lestari Kusuma", "081377712345", "dewi.kusuma@example.org"


@pytest.fixture
def private_reports(conn, settings) -> dict:
    """Three reports with identity: grid-generalised, exact (infrastructure) and rahasia."""
    point = conn.execute(
        sa.text(
            "SELECT ST_X(p) lon, ST_Y(p) lat FROM (SELECT ST_PointOnSurface(geom) p FROM rt "
            "ORDER BY code OFFSET 7 LIMIT 1) x"
        )
    ).one()
    lon, lat = point.lon + 0.00012345, point.lat - 0.00006789  # digits we can search for
    tag = uuid.uuid4().hex[:8]
    out = {"lon": lon, "lat": lat}
    for width, (label, category, anonymity) in enumerate(
        [
            ("grid", "kebersihan", "publik_tanpa_nama"),
            ("exact", "jalan_rusak", "publik_tanpa_nama"),
            ("rahasia", "kebersihan", "rahasia"),
        ]
    ):
        photo = process_photo(jpeg_with_gps(width=300 + width, lat=lat, lon=lon))  # one file each
        answer = submit.submit_report(
            conn,
            submit.Report(
                key=f"p-{label}-{uuid.uuid4().hex}",
                category=category,
                description=f"Rumah {NAME} di gang sempit {tag}",
                lon=lon,
                lat=lat,
                name=NAME,
                contact=PHONE if label != "exact" else EMAIL,
                anonymity=anonymity,
                photos=[photo],
                photo_digests=[photo.sha256],
            ),
            WorkCalendar(),
            settings.photo_path,
        )
        out[label] = answer
    out["tag"] = tag
    return out


def _tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    import math

    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def _secrets(reports) -> list[str]:
    return [NAME, PHONE, EMAIL, reports["tag"], "Dewi", f"{reports['lat']:.5f}", f"{reports['lon']:.5f}"]


def _public_bodies(client, reports) -> dict[str, bytes]:
    lon, lat = reports["lon"], reports["lat"]
    bbox = f"{lon - 0.01},{lat - 0.01},{lon + 0.01},{lat + 0.01}"
    urls = [
        "/",
        "/laporan",
        "/lapor",
        "/fasilitas",
        "/api/laporan.geojson",
        f"/api/laporan.geojson?bbox={bbox}",
        f"/api/laporan/serupa?kategori=kebersihan&lat={lat}&lon={lon}",
        f"/api/laporan/serupa?kategori=jalan_rusak&lat={lat}&lon={lon}",
        "/api/laporan/kategori",
        "/api/layers/rw.geojson",
        "/api/layers/rt.geojson",
        f"/api/whats-here?lat={lat}&lon={lon}",
        f"/api/nearest?lat={lat}&lon={lon}",
    ]
    for label in ("grid", "exact", "rahasia"):
        ticket = reports[label]["ticket"]
        urls += [f"/tiket/{ticket}", f"/api/tiket/{ticket}"]
    for z in (13, 15, 17):
        x, y = _tile(lon, lat, z)
        urls.append(f"/tiles/complaints/{z}/{x}/{y}.pbf")
    bodies = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        bodies[url] = response.get_data()
    return bodies


def _without_exact(text: str, exact_ticket: str) -> str:
    """A GeoJSON body minus the 'exact' category's own feature (its point is public by rule)."""
    try:
        data = json.loads(text)
    except ValueError:
        return text
    if isinstance(data, dict) and isinstance(data.get("features"), list):
        data["features"] = [
            f for f in data["features"] if f.get("properties", {}).get("ticket") != exact_ticket
        ]
    elif isinstance(data, dict) and isinstance(data.get("items"), list):
        data["items"] = [i for i in data["items"] if i.get("ticket") != exact_ticket]
    elif isinstance(data, dict) and data.get("ticket") == exact_ticket:
        return ""
    return json.dumps(data)


def test_no_public_output_reveals_identity_description_or_exact_point(client, conn, private_reports):
    bodies = _public_bodies(client, private_reports)
    lon, lat = private_reports["lon"], private_reports["lat"]

    class pair:  # noqa: N801 - reads like the regex it wraps
        """Finds a lon, lat number pair within ~2 m of the exact point anywhere in a text."""

        numbers = re.compile(r"(-?\d{2,3}\.\d{4,})[^0-9-]{1,12}(-?\d{1,2}\.\d{4,})")

        @classmethod
        def search(cls, text: str) -> bool:
            return any(
                abs(float(a) - lon) < 2e-5 and abs(float(b) - lat) < 2e-5
                for a, b in cls.numbers.findall(text)
            )

    # the check can see an exact point: the 'exact' category's own feature shows it, by rule
    assert pair.search(bodies["/api/laporan.geojson"].decode())
    for url, body in bodies.items():
        text = body.decode("utf-8", "replace")
        for secret in [NAME, PHONE, EMAIL, private_reports["tag"]]:
            assert secret not in text, (url, secret)
        if "tiles" not in url and not url.startswith("/tiket/" + private_reports["exact"]["ticket"]):
            assert not pair.search(_without_exact(text, private_reports["exact"]["ticket"])), url
    assert private_reports["rahasia"]["ticket"] not in bodies["/api/laporan.geojson"].decode()
    geo = json.loads(bodies["/api/laporan.geojson"])
    props = {f["properties"]["ticket"]: f for f in geo["features"]}
    grid = props[private_reports["grid"]["ticket"]]["geometry"]["coordinates"]
    assert (round(grid[0], 5), round(grid[1], 5)) != (
        round(private_reports["lon"], 5),
        round(private_reports["lat"], 5),
    )
    ticket = json.loads(bodies[f"/api/tiket/{private_reports['rahasia']['ticket']}"])
    assert ticket["confidential"] and ticket["lon"] is None and ticket["photos"] == []


def test_public_exports_hold_no_identity(conn, private_reports):
    frame = read_layer(conn, "complaints")
    text = frame.drop(columns="geometry").to_csv()
    for secret in [NAME, PHONE, EMAIL, private_reports["tag"]]:
        assert secret not in text
    assert private_reports["rahasia"]["ticket"] not in set(frame["ticket"])


def test_photos_of_rahasia_reports_are_not_served(client, conn, private_reports):
    files = dict(
        conn.execute(
            sa.text(
                "SELECT c.ticket, p.file FROM complaint_photo p JOIN complaint c ON c.id = p.complaint_id "
                "WHERE c.ticket = ANY(:t)"
            ),
            {"t": [private_reports["grid"]["ticket"], private_reports["rahasia"]["ticket"]]},
        ).all()
    )
    public = client.get(f"/foto/{files[private_reports['grid']['ticket']]}")
    assert public.status_code == 200 and public.mimetype == "image/jpeg"
    assert b"GPS" not in public.get_data() and NAME.encode() not in public.get_data()
    public.close()
    assert client.get(f"/foto/{files[private_reports['rahasia']['ticket']]}").status_code == 404
    assert client.get("/foto/..%2F..%2Fsecret_key").status_code == 404


def _routes(app) -> list[str]:
    out = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        path = rule.rule
        for arg in rule.arguments:
            value = {
                "z": "15",
                "x": "26144",
                "y": "16955",
                "layer": "rw",
                "ticket": "LP-2345-6789",
                "complaint_id": "1",
                "run_id": "1",
                "facility_id": "1",
                "filename": "js/public-map.js",
                "file": "0" * 64 + ".jpg",
                "sid": "x",
                "fmt": "json",
                "service_code": "kebersihan",
                "token": "tidak-ada-token",
                "service_request_id": "LP-2345-6789",
                "request_id": "LP-2345-6789",
            }.get(arg, "1")
            path = path.replace(f"<{arg}>", value)
            for conv in ("int:", "path:", "string:"):
                path = path.replace(f"<{conv}{arg}>", value)
        out.append(path)
    return sorted(set(out))


def test_every_route_sends_csp_and_security_headers(app, client):
    routes = _routes(app)
    assert len(routes) > 25
    for path in [*routes, "/tidak-ada-halaman"]:
        response = client.get(path)
        response.close()
        assert response.status_code < 500, (path, response.status_code)
        csp = response.headers.get("Content-Security-Policy", "")
        assert (
            "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        ), path
        assert (
            "'unsafe-eval'" not in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        )
        assert response.headers.get("X-Content-Type-Options") == "nosniff", path
        assert response.headers.get("Referrer-Policy") == "same-origin", path


def test_inline_scripts_carry_the_response_nonce(client):
    import re

    response = client.get("/")
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    html = response.get_data(as_text=True)
    scripts = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html)
    assert scripts and all(f'nonce="{nonce}"' in s for s in scripts)
    assert nonce != re.search(r"'nonce-([^']+)'", client.get("/").headers["Content-Security-Policy"]).group(1)


@pytest.mark.parametrize(
    ("basemap", "expected"),
    [
        ("none", "img-src 'self' data: blob:;"),
        ("osm", "img-src 'self' data: blob: https://tile.openstreetmap.org;"),
        (
            "https://{s}.tiles.example.id/{z}/{x}/{y}.png",
            "img-src 'self' data: blob: https://*.tiles.example.id;",
        ),
    ],
)
def test_csp_allows_only_the_configured_basemap_host(settings, conn, basemap, expected):
    from dataclasses import replace

    from webmap import create_app

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "t",
            "SIGKEL_SETTINGS": replace(settings, basemap=basemap),
            "SIGKEL_CONNECTION": conn,
        }
    )
    csp = app.test_client().get("/healthz").headers["Content-Security-Policy"]
    assert expected in csp
