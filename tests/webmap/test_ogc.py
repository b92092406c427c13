"""OGC API – Features under /ogc: the Flask client against the standard's rules and independent SQL,
GDAL's OAPIF driver (a real client) against a live server, and a privacy scan of every response."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import threading
import urllib.request
import uuid
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest
import shapely
import sqlalchemy as sa
from werkzeug.serving import make_server

from gis import ogc
from gis.complaints import submit
from gis.complaints.sla import WorkCalendar

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
UTM = "http://www.opengis.net/def/crs/EPSG/0/32748"
STATIC = ["kecamatan", "kelurahan", "rw", "rt", "fasilitas", "laporan", "populasi"]
PUBLIC_COMPLAINTS = (
    "FROM complaint c JOIN complaint_category cat ON cat.code = c.category WHERE cat.public "
    "AND NOT c.confidential AND c.geom_public IS NOT NULL AND c.duplicate_of IS NULL"
)
BBOX = (106.860, -6.185, 106.872, -6.172)  # a part of Cempaka Putih: some features in, some out
ENVELOPE = "ST_MakeEnvelope(:w, :s, :e, :n, 4326)"
POPULATION = (
    "SELECT x.unit_code || '_' || x.year, ST_AsText(coalesce(t.geom, w.geom)) FROM population x "
    "LEFT JOIN rt t ON t.code = x.rt_code LEFT JOIN rw w ON x.rt_code IS NULL AND w.code = x.rw_code"
)


def _with_ogc(app):
    """The app with the OGC blueprint (a no-op once webmap/__init__.py registers it)."""
    from webmap import ogc as ogc_web

    if "ogc" not in app.blueprints:
        ogc_web.init_app(app)
    return app


@pytest.fixture
def client(app):
    return _with_ogc(app).test_client()


def _get(client, url: str, status: int = 200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code, response.get_data(as_text=True)[:300])
    return response


def _json(client, url: str, status: int = 200) -> dict:
    return json.loads(_get(client, url, status).get_data(as_text=True))


def _count(conn, sql: str, **params) -> int:
    return conn.execute(sa.text(sql), params).scalar_one()


def _rel(doc: dict, rel: str) -> list[dict]:
    return [link for link in doc["links"] if link["rel"] == rel]


def _path(href: str) -> str:
    parts = urlsplit(href)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _all_items(client, url: str) -> tuple[list[dict], int, int]:
    """Every feature by following next links; (features, pages, numberMatched of the first page)."""
    features, pages, matched = [], 0, None
    while url:
        page = _json(client, url)
        matched = page["numberMatched"] if matched is None else matched
        assert page["numberReturned"] == len(page["features"])
        features += page["features"]
        pages += 1
        nxt = _rel(page, "next")
        url = _path(nxt[0]["href"]) if nxt else None
        assert pages < 1000
    return features, pages, matched


def _run(conn, method="hotspots", parameters=None, status="done", rows=()) -> int:
    """An analysis run with its output rows, written directly (what the jobs store)."""
    run_id = conn.execute(
        sa.text(
            "INSERT INTO analysis_run (method, parameters, status, code_version, message, output_layer) "
            "VALUES (:m, CAST(:p AS jsonb), :s, 'test', 'uji', 'run:x') RETURNING id"
        ),
        {"m": method, "p": json.dumps(parameters or {}), "s": status},
    ).scalar_one()
    for i, (props, wkt) in enumerate(rows):
        conn.execute(
            sa.text(
                "INSERT INTO analysis_output (run_id, feature, properties, geom) "
                "VALUES (:r, :i, CAST(:p AS jsonb), ST_GeomFromText(:g, 4326))"
            ),
            {"r": run_id, "i": i, "p": json.dumps(props), "g": wkt},
        )
    return run_id


def _cells(conn, n: int = 12) -> list[tuple[dict, str]]:
    """Run output rows with mixed properties, like a coverage run: demand units, then uncovered areas
    whose properties (area_ha) appear only after the first pages."""
    wkts = conn.execute(sa.text("SELECT ST_AsText(geom) FROM rw ORDER BY code LIMIT :n"), {"n": n}).scalars()
    rows = []
    for i, wkt in enumerate(wkts):
        if i < n - 3:
            rows.append(({"kind": "demand", "code": f"u{i}", "persons": 100 + i, "covered": i % 2 == 0}, wkt))
        else:
            rows.append(({"kind": "uncovered", "area_ha": 1.25 + i}, wkt))
    return rows


# ---- landing page, conformance, collections ------------------------------------------------------------


def test_landing_page_links_resolve(client):
    page = _json(client, "/ogc")
    assert _json(client, "/ogc/") == page
    for rel, kind in [
        ("self", "application/json"),
        ("alternate", "text/html"),
        ("service-desc", "application/vnd.oai.openapi+json;version=3.0"),
        ("conformance", "application/json"),
        ("data", "application/json"),
    ]:
        (link,) = _rel(page, rel)
        assert link["type"] == kind and link["href"].startswith("http://localhost/ogc")
        response = _get(client, _path(link["href"]))
        assert response.content_type.startswith(kind.split(";")[0])


def test_conformance_lists_core_geojson_html_oas30_and_crs(client):
    classes = _json(client, "/ogc/conformance")["conformsTo"]
    base = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
    for name in ("core", "geojson", "html", "oas30"):
        assert base + name in classes
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in classes


def test_collections_describe_every_public_layer(client, conn):
    doc = _json(client, "/ogc/collections")
    assert [c["id"] for c in doc["collections"]][: len(STATIC)] == STATIC
    for c in doc["collections"]:
        assert c["title"] and c["description"] and c["itemType"] == "feature"
        assert c["crs"] == [CRS84, EPSG4326, UTM] and c["storageCrs"] == CRS84
        rels = {(link["rel"], link["type"]) for link in c["links"]}
        assert {
            ("items", "application/geo+json"),
            ("items", "text/html"),
            ("self", "application/json"),
        } <= rels
        assert ("describedby", "application/schema+json") in rels
    box = conn.execute(
        sa.text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e FROM rt) s"
        )
    ).one()
    rt = _json(client, "/ogc/collections/rt")
    assert rt["extent"]["spatial"]["bbox"] == [pytest.approx(list(box))]
    assert "temporal" not in rt["extent"]


def test_laporan_describes_its_time_span(client, conn):
    first, last = conn.execute(
        sa.text(f"SELECT min(c.created_at), max(c.created_at) {PUBLIC_COMPLAINTS}")
    ).one()
    interval = _json(client, "/ogc/collections/laporan")["extent"]["temporal"]["interval"]
    assert interval == [[first.strftime("%Y-%m-%dT%H:%M:%SZ"), last.strftime("%Y-%m-%dT%H:%M:%SZ")]]


def test_only_public_analysis_runs_become_collections(client, conn):
    rows = _cells(conn, 4)
    public = _run(
        conn, "hotspots", {"category": None, "date_from": "2026-01-01", "date_to": "2026-03-31"}, rows=rows
    )
    coverage = _run(conn, "coverage", {"facility_type": "posyandu"}, rows=rows)
    private_category = _run(
        conn, "hotspots", {"category": "sosial", "extra": {"allow_private": True}}, rows=rows
    )
    flagged = _run(conn, "kde", {"category": "kebersihan", "extra": {"allow_private": True}}, rows=rows)
    running = _run(conn, "kde", {}, status="running", rows=rows)
    ids = [c["id"] for c in _json(client, "/ogc/collections")["collections"]]
    assert f"analisis-{public}" in ids and f"analisis-{coverage}" in ids
    described = _json(client, f"/ogc/collections/analisis-{public}")
    assert "Titik panas" in described["title"]
    assert described["extent"]["temporal"]["interval"] == [["2026-01-01", "2026-03-31"]]
    assert "posyandu" in _json(client, f"/ogc/collections/analisis-{coverage}")["title"]
    api = json.dumps(_json(client, "/ogc/api"))
    for hidden in (private_category, flagged, running):
        assert f"analisis-{hidden}" not in ids and f"analisis-{hidden}/" not in api
        for suffix in ("", "/items", "/items/0", "/queryables", "/schema"):
            _get(client, f"/ogc/collections/analisis-{hidden}{suffix}", 404)


def test_a_real_hotspot_run_is_served_as_stored(client, conn):
    from gis.analysis.jobs import AnalysisParams, run_hotspots

    run_id, frame = run_hotspots(conn, AnalysisParams(shape="rw", seed=1))
    features, _, matched = _all_items(client, f"/ogc/collections/analisis-{run_id}/items?limit=7")
    assert matched == len(frame) == len(features) == 30
    stored = dict(
        conn.execute(
            sa.text("SELECT feature, properties FROM analysis_output WHERE run_id = :r"), {"r": run_id}
        ).all()
    )
    assert {f["id"]: f["properties"] for f in features} == stored
    queryables = _json(client, f"/ogc/collections/analisis-{run_id}/queryables")["properties"]
    assert {"code", "gi_bin", "count"} <= set(queryables) and "gi_z" not in queryables
    hot = _json(client, f"/ogc/collections/analisis-{run_id}/items?gi_bin=0")["numberMatched"]
    assert hot == int((frame["gi_bin"] == 0).sum())


# ---- items: paging, counts, filters ---------------------------------------------------------------------


def test_next_links_chain_through_every_feature(client, conn):
    features, pages, matched = _all_items(client, "/ogc/collections/rt/items?limit=37")
    codes = conn.execute(sa.text("SELECT code FROM rt ORDER BY code")).scalars().all()
    assert matched == _count(conn, "SELECT count(*) FROM rt") == len(codes)
    assert [f["id"] for f in features] == codes  # stable order, no duplicates, nothing skipped
    assert pages == -(-len(codes) // 37)
    second = _json(client, "/ogc/collections/rt/items?limit=37&offset=37")
    assert _path(_rel(second, "prev")[0]["href"]).endswith("offset=0") and _rel(second, "next")
    assert not _rel(_json(client, "/ogc/collections/rt/items?limit=37"), "prev")


def test_number_matched_equals_independent_counts(client, conn):
    assert _json(client, "/ogc/collections/laporan/items?limit=1")["numberMatched"] == _count(
        conn, f"SELECT count(*) {PUBLIC_COMPLAINTS}"
    )
    assert _json(client, "/ogc/collections/fasilitas/items?limit=1")["numberMatched"] == _count(
        conn, "SELECT count(*) FROM facility WHERE public"
    )
    assert _json(client, "/ogc/collections/populasi/items?limit=1")["numberMatched"] == _count(
        conn, "SELECT count(*) FROM population"
    )


def test_limit_defaults_to_100_and_is_clamped_to_10000(client, conn):
    page = _json(client, "/ogc/collections/laporan/items")
    assert page["numberReturned"] == 100 and page["timeStamp"].endswith("Z")
    everything = _json(client, "/ogc/collections/laporan/items?limit=50000")  # above the maximum: no error
    assert (
        everything["numberReturned"]
        == everything["numberMatched"]
        == _count(conn, f"SELECT count(*) {PUBLIC_COMPLAINTS}")
    )
    assert ogc.MAX_LIMIT == 10_000


def test_bbox_equals_st_intersects(client, conn):
    w, s, e, n = BBOX
    env = "ST_MakeEnvelope(:w, :s, :e, :n, 4326)"
    for collection, sql in [
        ("rt", f"SELECT count(*) FROM rt WHERE ST_Intersects(geom, {env})"),
        ("laporan", f"SELECT count(*) {PUBLIC_COMPLAINTS} AND ST_Intersects(c.geom_public, {env})"),
    ]:
        expected = _count(conn, sql, w=w, s=s, e=e, n=n)
        page = _json(client, f"/ogc/collections/{collection}/items?limit=10000&bbox={w},{s},{e},{n}")
        assert 0 < page["numberMatched"] == page["numberReturned"] == expected
        six = _json(client, f"/ogc/collections/{collection}/items?limit=1&bbox={w},{s},0,{e},{n},100")
        assert six["numberMatched"] == expected
        latlon = f"{s},{w},{n},{e}&bbox-crs={EPSG4326}"
        assert (
            _json(client, f"/ogc/collections/{collection}/items?limit=1&bbox={latlon}")["numberMatched"]
            == expected
        )
    assert _count(conn, "SELECT count(*) FROM rt") > _count(
        conn, f"SELECT count(*) FROM rt WHERE ST_Intersects(geom, {env})", w=w, s=s, e=e, n=n
    )


def test_bbox_across_the_antimeridian(client):
    # west > east: the box wraps around 180°; 100°E…170°W holds Jakarta, 170°E…170°W does not
    assert _json(client, "/ogc/collections/rt/items?limit=1&bbox=100,-7,-170,-6")["numberMatched"] == 290
    assert _json(client, "/ogc/collections/rt/items?limit=1&bbox=170,-7,-170,-6")["numberMatched"] == 0
    latlon = f"-7,100,-6,-170&bbox-crs={EPSG4326}"
    assert _json(client, f"/ogc/collections/rt/items?limit=1&bbox={latlon}")["numberMatched"] == 290


def test_datetime_parsing():
    jakarta = ogc.JAKARTA
    start, end = ogc.parse_datetime("2026-03-02")
    assert start == dt.datetime(2026, 3, 2, tzinfo=jakarta) and end < dt.datetime(2026, 3, 3, tzinfo=jakarta)
    start, end = ogc.parse_datetime("2026-03-02T01:02:03Z")
    assert end - start == dt.timedelta(seconds=1, microseconds=-1)
    start, end = ogc.parse_datetime("2026-03-02T01:02:03.250+07:00")
    assert start == end == dt.datetime(2026, 3, 1, 18, 2, 3, 250000, tzinfo=dt.UTC)
    assert ogc.parse_datetime("../2026-03-02")[0] is None and ogc.parse_datetime("2026-03-02/")[1] is None
    assert ogc.parse_datetime("2026-03-02T") == ogc.parse_datetime("2026-03-02")  # what GDAL 3.6 sends
    for bad in ("2026", "2026-13-01", "tomorrow", "2026-03-02/2026-03-01", "a/b/c", ".."):
        with pytest.raises(ogc.InvalidParameter):
            ogc.parse_datetime(bad)


def test_bbox_in_the_utm_zone(client, conn):
    x0, y0, x1, y1 = conn.execute(
        sa.text(
            "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM (SELECT ST_Transform("
            "ST_MakeEnvelope(106.860, -6.185, 106.872, -6.172, 4326), 32748)::box2d b) s"
        )
    ).one()
    expected = _count(
        conn,
        "SELECT count(*) FROM facility WHERE public AND "
        "ST_Intersects(ST_Transform(geom, 32748), ST_MakeEnvelope(:x0, :y0, :x1, :y1, 32748))",
        x0=x0, y0=y0, x1=x1, y1=y1,
    )  # fmt: skip
    page = _json(
        client, f"/ogc/collections/fasilitas/items?bbox={x0},{y0},{x1},{y1}&bbox-crs={UTM}&limit=1000"
    )
    assert 0 < page["numberMatched"] == expected


def test_datetime_instants_and_intervals_on_laporan(client, conn):
    def sql(where: str, **params) -> int:
        return _count(conn, f"SELECT count(*) {PUBLIC_COMPLAINTS} AND {where}", **params)

    day0 = "CAST(:a AS date)::timestamp AT TIME ZONE 'Asia/Jakarta'"
    day1 = "(CAST(:b AS date) + 1)::timestamp AT TIME ZONE 'Asia/Jakarta'"
    cases = {
        "2026-01-01T00:00:00Z/2026-02-15T12:00:00Z": sql(
            "c.created_at BETWEEN '2026-01-01T00:00:00Z' AND '2026-02-15T12:00:00Z'"
        ),
        "../2025-12-31T23:59:59Z": sql("c.created_at < '2026-01-01T00:00:00Z'"),
        "2026-06-01T00:00:00Z/..": sql("c.created_at >= '2026-06-01T00:00:00Z'"),
        "2026-03-01/2026-03-31": sql(
            f"c.created_at >= {day0} AND c.created_at < {day1}", a="2026-03-01", b="2026-03-31"
        ),
        "2026-03-02": sql(
            f"c.created_at >= {day0} AND c.created_at < {day1}", a="2026-03-02", b="2026-03-02"
        ),
    }
    for value, expected in cases.items():
        page = _json(client, f"/ogc/collections/laporan/items?limit=1&datetime={value}")
        assert page["numberMatched"] == expected > 0, value
    ticket, created = conn.execute(
        sa.text(f"SELECT c.ticket, c.created_at {PUBLIC_COMPLAINTS} ORDER BY c.ticket LIMIT 1")
    ).one()
    instant = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    found = _json(client, f"/ogc/collections/laporan/items?datetime={instant}")["features"]
    assert ticket in [f["id"] for f in found]
    # a collection without time: datetime matches every feature (the standard's rule)
    assert _json(client, "/ogc/collections/rw/items?limit=1&datetime=2020-01-01")["numberMatched"] == 30
    assert (
        _json(client, "/ogc/collections/populasi/items?limit=1&datetime=2026-05-01")["numberMatched"] == 320
    )
    assert (
        _json(client, "/ogc/collections/populasi/items?limit=1&datetime=../2025-12-31")["numberMatched"] == 0
    )


def test_property_filters_use_declared_queryables(client, conn):
    page = _json(client, "/ogc/collections/laporan/items?status=selesai&category=kebersihan&limit=5")
    assert page["numberMatched"] == _count(
        conn, f"SELECT count(*) {PUBLIC_COMPLAINTS} AND c.status = 'selesai' AND c.category = 'kebersihan'"
    )
    assert all(f["properties"]["status"] == "selesai" for f in page["features"])
    assert "status=selesai" in _rel(page, "next")[0]["href"]  # filters carry over to the next page
    assert _json(client, "/ogc/collections/populasi/items?level=rt&year=2026&limit=1")["numberMatched"] == 290
    assert _json(client, "/ogc/collections/rt/items?synthetic=true&limit=1")["numberMatched"] == _count(
        conn, "SELECT count(*) FROM rt WHERE synthetic"
    )
    queryables = _json(client, "/ogc/collections/laporan/queryables")
    assert set(queryables["properties"]) == {"category", "status", "kelurahan_code"}
    _get(client, "/ogc/collections/laporan/items?description=x", 400)  # not a queryable
    _get(client, "/ogc/collections/laporan/items?ticket=CP-2511-00001", 400)


def test_filters_on_analysis_runs(client, conn):
    run = _run(conn, "coverage", {"facility_type": "posyandu"}, rows=_cells(conn))
    base = f"/ogc/collections/analisis-{run}"
    assert _json(client, f"{base}/items?kind=uncovered")["numberMatched"] == 3
    assert _json(client, f"{base}/items?covered=true")["numberMatched"] == 5
    assert _json(client, f"{base}/items?persons=101")["numberMatched"] == 1
    _get(client, f"{base}/items?area_ha=1.25", 400)  # numbers are not compared for equality
    schema = _json(client, f"{base}/schema")["properties"]["properties"]["properties"]
    assert schema == {
        "kind": {"title": "kind", "type": "string"},
        "code": {"title": "code", "type": "string"},
        "persons": {"title": "persons", "type": "integer"},
        "covered": {"title": "covered", "type": "boolean"},
        "area_ha": {"title": "area_ha", "type": "number"},
    }
    feature = _json(client, f"{base}/items/11")
    assert feature["id"] == 11 and feature["properties"]["area_ha"] == 12.25


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=ten",
        "limit=-5",
        "offset=-1",
        "bbox=1,2,3",
        "bbox=a,b,c,d",
        "bbox=106.9,-6.2,106.8,-95",
        "bbox=106.8,-6.2,106.9,-6.1&bbox-crs=EPSG:4326",
        "bbox-crs=" + EPSG4326,
        "crs=EPSG:4326",
        "crs=http://www.opengis.net/def/crs/EPSG/0/3857",
        "datetime=yesterday",
        "datetime=2026-03-01/2026-01-01",
        "datetime=2026-01-01/2026-02-01/2026-03-01",
        "f=xml",
        "sort=ticket",
        "status=selesai&status=diterima",
        "supporters=3",
    ],
)
def test_invalid_parameters_are_400_in_the_app_format(client, query):
    body = _json(client, f"/ogc/collections/laporan/items?{query}", 400)
    assert body["error"] == "invalid-parameter" and body["message"]


def test_unknown_parameters_on_other_resources_are_400(client):
    for url in (
        "/ogc?x=1",
        "/ogc/collections?limit=5",
        "/ogc/collections/rt?bbox=1,2,3,4",
        "/ogc/api?f=html",
    ):
        _get(client, url, 400)
    _get(client, "/ogc/collections?lang=en")  # the site's language switch is always allowed


def test_one_item_and_404s(client, conn):
    ticket = conn.execute(sa.text(f"SELECT c.ticket {PUBLIC_COMPLAINTS} ORDER BY c.ticket LIMIT 1")).scalar()
    listed = _json(client, "/ogc/collections/laporan/items?limit=1")["features"][0]
    response = _get(client, f"/ogc/collections/laporan/items/{ticket}")
    assert response.content_type == "application/geo+json"
    assert response.headers["Content-Crs"] == f"<{CRS84}>"
    one = json.loads(response.get_data(as_text=True))
    assert {k: one[k] for k in ("id", "geometry", "properties")} == {
        k: listed[k] for k in ("id", "geometry", "properties")
    }
    assert {"self", "alternate", "collection"} <= {link["rel"] for link in one["links"]}
    assert _json(client, "/ogc/collections/rw/items/31.71.05.1001.RW001")["properties"]["name"] == "RW 001"
    assert _json(client, "/ogc/collections/fasilitas/items/1")["id"] == 1
    assert (
        _json(client, "/ogc/collections/populasi/items/31.71.05.1001.RW001_2026")["properties"]["level"]
        == "rw"
    )
    hidden = conn.execute(sa.text("UPDATE facility SET public = false WHERE id = 2 RETURNING id")).scalar()
    for url in [
        "/ogc/collections/nope",
        "/ogc/collections/nope/items",
        "/ogc/collections/analisis-999999999/items",
        "/ogc/collections/laporan/items/CP-0000-00000",
        "/ogc/collections/fasilitas/items/abc",
        f"/ogc/collections/fasilitas/items/{hidden}",
        "/ogc/collections/rt/items/31.71.05.1001.RW001",
    ]:
        assert _json(client, url, 404)["error"] == "not-found"
    assert _json(client, "/ogc/collections/fasilitas/items?limit=1")["numberMatched"] == _count(
        conn, "SELECT count(*) FROM facility WHERE public"
    )


def test_part2_crs_output_and_content_crs(client, conn):
    code = "31.71.05.1001.RW001"
    lon, lat, x, y = conn.execute(
        sa.text(
            "SELECT ST_X(p), ST_Y(p), ST_X(ST_Transform(p, 32748)), ST_Y(ST_Transform(p, 32748)) FROM "
            "(SELECT ST_PointN(ST_ExteriorRing(ST_GeometryN(geom, 1)), 1) p FROM rw WHERE code = :c) s"
        ),
        {"c": code},
    ).one()

    def first_vertex(crs: str) -> list[float]:
        response = _get(client, f"/ogc/collections/rw/items/{code}?crs={crs}")
        assert response.headers["Content-Crs"] == f"<{crs}>"
        return json.loads(response.get_data(as_text=True))["geometry"]["coordinates"][0][0][0]

    assert first_vertex(CRS84) == pytest.approx([lon, lat], abs=1e-7)
    assert first_vertex(EPSG4326) == pytest.approx([lat, lon], abs=1e-7)  # latitude first
    assert first_vertex(UTM) == pytest.approx([x, y], abs=0.01)
    page = _get(client, f"/ogc/collections/rw/items?limit=2&crs={UTM}")
    assert page.headers["Content-Crs"] == f"<{UTM}>"
    assert (
        f"crs={UTM.replace(':', '%3A').replace('/', '%2F')}" in _rel(json.loads(page.data), "next")[0]["href"]
    )
    assert _get(client, "/ogc/collections/rw/items?limit=1").headers["Content-Crs"] == f"<{CRS84}>"
    _get(client, f"/ogc/collections/rw/items/{code}?crs=EPSG:32748", 400)


# ---- formats and the API definition ---------------------------------------------------------------------


def test_html_pages_render_with_nonced_scripts(client):
    urls = [
        "/ogc/?f=html",
        "/ogc/conformance?f=html",
        "/ogc/collections?f=html",
        "/ogc/collections/laporan?f=html",
        "/ogc/collections/laporan/items?f=html&limit=5",
        "/ogc/collections/fasilitas/items/1?f=html",
        "/ogc/collections/rt/items?f=html&limit=3&crs=" + UTM,  # no map outside CRS84, still a table
    ]
    for url in urls:
        response = _get(client, url)
        assert response.content_type.startswith("text/html"), url
        html = response.get_data(as_text=True)
        nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
        inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html)
        assert all(f'nonce="{nonce}"' in s for s in inline), url
    items = _get(client, "/ogc/collections/laporan/items?f=html&limit=5").get_data(as_text=True)
    assert 'id="ogc-map"' in items and 'rel="next"' in items and "Halaman berikutnya" in items
    browser = client.get("/ogc/collections", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert browser.content_type.startswith("text/html")
    assert client.get("/ogc/collections", headers={"Accept": "*/*"}).content_type == "application/json"
    geo = client.get("/ogc/collections/rw/items", headers={"Accept": "application/geo+json"})
    assert geo.content_type == "application/geo+json"


def test_openapi_document_describes_every_endpoint(client, conn):
    run = _run(conn, "coverage", {"facility_type": "posyandu"}, rows=_cells(conn, 4))
    response = _get(client, "/ogc/api")
    assert response.content_type == "application/vnd.oai.openapi+json;version=3.0"
    doc = json.loads(response.get_data(as_text=True))
    assert doc["openapi"].startswith("3.0.") and doc["servers"] == [{"url": "http://localhost/ogc"}]
    paths = doc["paths"]
    generic = [
        "/",
        "/conformance",
        "/api",
        "/collections",
        "/collections/{collectionId}",
        "/collections/{collectionId}/items",
        "/collections/{collectionId}/items/{featureId}",
        "/collections/{collectionId}/queryables",
        "/collections/{collectionId}/schema",
    ]
    assert set(generic) <= set(paths)
    for cid in [*STATIC, f"analisis-{run}"]:
        assert f"/collections/{cid}/items" in paths and f"/collections/{cid}/items/{{featureId}}" in paths
    # every route of the blueprint has a path, and every $ref resolves
    names = {"collection_id": "{collectionId}", "feature_id": "{featureId}"}
    rules = [r.rule for r in client.application.url_map.iter_rules() if r.endpoint.startswith("ogc.")]
    routes = {re.sub(r"<(\w+)>", lambda m: names[m[1]], r.removeprefix("/ogc")) or "/" for r in rules}
    assert routes == set(generic)
    for ref in re.findall(r'"\$ref": "#/([^"]+)"', json.dumps(doc)):
        node = doc
        for part in ref.split("/"):
            node = node[part]
    ops = [op["operationId"] for path in paths.values() for op in path.values()]
    assert len(ops) == len(set(ops))
    laporan = {p.get("name") for p in paths["/collections/laporan/items"]["get"]["parameters"]}
    assert {"category", "status", "kelurahan_code"} <= laporan


# ---- privacy ---------------------------------------------------------------------------------------------

NAME, PHONE, EMAIL = "Sulastri Wibowo Handayani", "081299934567", "sulastri.handayani@example.org"


@pytest.fixture
def identified_reports(conn, settings) -> dict:
    """Reports with a name, contact and a description: grid, exact, rahasia, and a non-public category."""
    lon, lat = conn.execute(
        sa.text(
            "SELECT ST_X(p), ST_Y(p) FROM "
            "(SELECT ST_PointOnSurface(geom) p FROM rt ORDER BY code OFFSET 11 LIMIT 1) s"
        )
    ).one()
    lon, lat = lon + 0.00013579, lat - 0.00007531
    tag = uuid.uuid4().hex[:10]
    out = {"lon": lon, "lat": lat, "tag": tag}
    for label, category, anonymity, contact in [
        ("grid", "kebersihan", "publik_tanpa_nama", PHONE),
        ("exact", "jalan_rusak", "publik_tanpa_nama", EMAIL),
        ("rahasia", "kebersihan", "rahasia", PHONE),
        ("hidden", "sosial", "publik_tanpa_nama", EMAIL),
    ]:
        report = submit.Report(
            key=f"ogc-{label}-{uuid.uuid4().hex}",
            category=category,
            description=f"Keluarga {NAME} di gang buntu {tag}",
            lon=lon,
            lat=lat,
            name=NAME,
            contact=contact,
            anonymity=anonymity,
        )
        out[label] = submit.submit_report(conn, report, WorkCalendar(), settings.photo_path)["ticket"]
    return out


def _near_point(text: str, lon: float, lat: float) -> bool:
    """A lon, lat pair (either order) within ~2 m of the exact point anywhere in a text."""
    numbers = re.compile(r"(-?\d{1,3}\.\d{4,})[^0-9-]{1,12}(-?\d{1,3}\.\d{4,})")
    for a, b in numbers.findall(text):
        a, b = float(a), float(b)
        if (abs(a - lon) < 2e-5 and abs(b - lat) < 2e-5) or (abs(a - lat) < 2e-5 and abs(b - lon) < 2e-5):
            return True
    return False


def test_no_ogc_response_reveals_personal_data(client, conn, identified_reports):
    r = identified_reports
    run = _run(conn, "hotspots", {}, rows=_cells(conn, 4))
    urls = ["/ogc", "/ogc/api", "/ogc/collections", "/ogc/collections?f=html"]
    for cid in [*STATIC, f"analisis-{run}"]:
        urls += [
            f"/ogc/collections/{cid}",
            f"/ogc/collections/{cid}/items?limit=10000",
            f"/ogc/collections/{cid}/items?limit=10000&crs={EPSG4326}",
            f"/ogc/collections/{cid}/items?f=html&limit=10000",
            f"/ogc/collections/{cid}/queryables",
            f"/ogc/collections/{cid}/schema",
        ]
    urls += [f"/ogc/collections/laporan/items/{r[k]}" for k in ("grid", "exact")]
    urls += [f"/ogc/collections/laporan/items/{r[k]}?f=html" for k in ("grid", "exact")]
    bodies = {url: _get(client, url).get_data(as_text=True) for url in urls}
    laporan = json.loads(bodies["/ogc/collections/laporan/items?limit=10000"])
    tickets = {f["id"] for f in laporan["features"]}
    assert {r["grid"], r["exact"]} <= tickets
    assert r["rahasia"] not in tickets and r["hidden"] not in tickets
    for key in ("rahasia", "hidden"):
        for fmt in ("json", "html"):
            _get(client, f"/ogc/collections/laporan/items/{r[key]}?f={fmt}", 404)
    grid = next(f for f in laporan["features"] if f["id"] == r["grid"])["geometry"]["coordinates"]
    assert not _near_point(json.dumps(grid), r["lon"], r["lat"])  # generalised
    assert _near_point(
        bodies["/ogc/collections/laporan/items?limit=10000"], r["lon"], r["lat"]
    )  # the check works
    for url, text in bodies.items():
        for secret in (NAME, PHONE, EMAIL, r["tag"], "Sulastri", "gang buntu"):
            assert secret not in text, (url, secret)
        for key in ("rahasia", "hidden"):
            assert r[key] not in text, (url, key)
        if r["exact"] in url:
            continue  # its exact point is public by its category's rule
        scrubbed = text
        if url.startswith("/ogc/collections/laporan/items?") and "f=html" not in url:
            data = json.loads(text)
            data["features"] = [f for f in data["features"] if f["id"] != r["exact"]]
            scrubbed = json.dumps(data)
        elif "f=html" in url and "laporan/items" in url:
            scrubbed = re.sub(
                rf"{r['exact']}.*?</tr>",
                "",
                re.sub(r'id="ogc-features">.*?</script>', "", text, flags=re.S),
                flags=re.S,
            )
        assert not _near_point(scrubbed, r["lon"], r["lat"]), url


def test_laporan_never_reads_private_columns():
    """The collection's SQL names no private column; the query is the only way data gets out."""
    coll = ogc.STATIC["laporan"]
    sql = " ".join([coll.table, coll.where, coll.geom, coll.properties_json()])
    assert "geom_public" in sql
    for private in ("description", "reporter", "secret_hash", "x.geom ", "x.geom,", "status_reason"):
        assert private not in sql + " ", private


# ---- GDAL's OAPIF driver, a real client, against a live server -----------------------------------------


@pytest.fixture(scope="session")
def ogc_server(database_url, settings):
    """A real werkzeug server on a free loopback port against the test database (like tests/browser's
    ``live_server``, with the OGC blueprint registered if the app does not register it yet)."""
    from webmap import create_app

    app = create_app(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "ogc-tests",
            "SIGKEL_SETTINGS": replace(settings, basemap="none"),
        }
    )
    server = make_server("127.0.0.1", 0, _with_ogc(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/ogc"
    server.shutdown()
    engine = app.extensions.get("sigkel.engine")
    if engine is not None:
        engine.dispose()


def _gdal(*args: str) -> subprocess.CompletedProcess:
    tool = args[0]
    if shutil.which(tool) is None:
        pytest.fail(f"GDAL's {tool} is not installed: run scripts/setup --dev (Debian package gdal-bin).")
    env = {**os.environ, "CPL_DEBUG": "ON", "GDAL_HTTP_TIMEOUT": "60", "GDAL_HTTP_MAX_RETRY": "0"}
    done = subprocess.run(
        args, capture_output=True, text=True, timeout=600, env=env, stdin=subprocess.DEVNULL
    )
    assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-4000:])
    return done


def _fetched(stderr: str) -> list[str]:
    return re.findall(r"HTTP: Fetch\((\S+)\)", stderr)


def _ogr2ogr(tmp_path, url: str, layer: str, *extra: str) -> tuple[dict, list[str]]:
    out = tmp_path / f"{layer}-{uuid.uuid4().hex[:6]}.geojson"
    done = _gdal(
        "ogr2ogr",
        "-f",
        "GeoJSON",
        str(out),
        f"OAPIF:{url}",
        layer,
        "-oo",
        "PAGE_SIZE=7",
        "-preserve_fid",
        *extra,
    )
    return json.loads(out.read_text()), _fetched(done.stderr)


def _db_features(engine, sql: str, **params) -> dict[str, shapely.Geometry]:
    with engine.connect() as conn:
        return {str(k): shapely.from_wkt(w) for k, w in conn.execute(sa.text(sql), params)}


def _gdal_features(data: dict, key: str) -> dict[str, shapely.Geometry]:
    out = {}
    for f in data["features"]:
        ident = str(f["properties"][key]) if key != "fid" else str(f["id"])
        assert ident not in out, ident
        out[ident] = shapely.geometry.shape(f["geometry"])
    return out


def _same(a: dict, b: dict) -> None:
    assert set(a) == set(b)
    for k in a:
        assert shapely.equals_exact(a[k], b[k], tolerance=1.5e-7), k


def test_gdal_lists_the_collections(ogc_server):
    done = _gdal("ogrinfo", "-ro", "-so", f"OAPIF:{ogc_server}")
    for i, cid in enumerate(STATIC, start=1):
        assert re.search(rf"^{i}: {cid} \(title: ", done.stdout, re.M), (cid, done.stdout)
    one = _gdal("ogrinfo", "-ro", "-so", f"OAPIF:{ogc_server}", "laporan")
    assert "TEMPORAL_INTERVAL_MIN=" in one.stdout and "created_at: DateTime" in one.stdout
    assert "OAPIF: Using JSON schema" in one.stderr


@pytest.mark.parametrize(
    ("layer", "key", "sql"),
    [
        ("rw", "id", "SELECT code, ST_AsText(geom) FROM rw"),
        ("rt", "id", "SELECT code, ST_AsText(geom) FROM rt"),
        ("fasilitas", "fid", "SELECT id, ST_AsText(geom) FROM facility WHERE public"),
        ("populasi", "id", POPULATION),
        ("laporan", "id", f"SELECT c.ticket, ST_AsText(c.geom_public) {PUBLIC_COMPLAINTS}"),
    ],
)  # fmt: skip
def test_gdal_reads_every_feature_through_paging(ogc_server, engine, tmp_path, layer, key, sql):
    data, fetched = _ogr2ogr(tmp_path, ogc_server, layer)
    expected = _db_features(engine, sql)
    _same(_gdal_features(data, key), expected)
    pages = [u for u in fetched if f"/collections/{layer}/items" in u]
    assert all(parse_qs(urlsplit(u).query)["limit"] == ["7"] for u in pages)
    assert len(pages) >= -(-len(expected) // 7)  # it followed the next links to the end
    assert max(int(parse_qs(urlsplit(u).query).get("offset", ["0"])[0]) for u in pages) >= len(expected) - 7


def test_gdal_reads_the_same_properties(ogc_server, engine, tmp_path):
    data, _ = _ogr2ogr(tmp_path, ogc_server, "laporan")
    got = {f["properties"]["id"]: f["properties"] for f in data["features"]}
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(f"SELECT c.ticket, c.category, c.status, c.supporters, c.created_at {PUBLIC_COMPLAINTS}")
        ).all()
    for ticket, category, status, supporters, created in rows:
        p = got[ticket]
        assert (p["category"], p["status"], p["supporters"]) == (category, status, supporters)
        assert (
            p["created_at"]
            .replace("/", "-")
            .replace(" ", "T")
            .startswith(created.strftime("%Y-%m-%dT%H:%M:%S"))
        )


def test_gdal_bbox_is_honoured_by_the_server(ogc_server, engine, tmp_path):
    w, s, e, n = BBOX
    for layer, sql, key in [
        ("rt", "SELECT code, ST_AsText(geom) FROM rt WHERE ST_Intersects(geom, " + ENVELOPE + ")", "id"),
        ("laporan", f"SELECT c.ticket, ST_AsText(c.geom_public) {PUBLIC_COMPLAINTS} "
                    f"AND ST_Intersects(c.geom_public, {ENVELOPE})", "id"),
    ]:  # fmt: skip
        data, fetched = _ogr2ogr(tmp_path, ogc_server, layer, "-spat", str(w), str(s), str(e), str(n))
        expected = _db_features(engine, sql, w=w, s=s, e=e, n=n)
        assert expected
        _same(_gdal_features(data, key), expected)
        # the filter ran on the server: GDAL sent the bbox, and that request alone matches the SQL count
        first = next(u for u in fetched if f"/collections/{layer}/items" in u and "bbox=" in u)
        with urllib.request.urlopen(first, timeout=30) as response:
            assert json.load(response)["numberMatched"] == len(expected)


def test_gdal_attribute_filter_is_sent_as_a_query_parameter(ogc_server, engine, tmp_path):
    data, fetched = _ogr2ogr(tmp_path, ogc_server, "laporan", "-where", "status = 'ditolak'")
    assert any("status=ditolak" in u for u in fetched)
    with engine.connect() as conn:
        expected = _count(conn, f"SELECT count(*) {PUBLIC_COMPLAINTS} AND c.status = 'ditolak'")
    assert len(data["features"]) == expected > 0


def test_gdal_reads_an_analysis_run_with_every_field(ogc_server, engine, tmp_path):
    with engine.begin() as conn:
        run = _run(conn, "coverage", {"facility_type": "posyandu"}, rows=_cells(conn, 12))
    try:
        data, _ = _ogr2ogr(tmp_path, ogc_server, f"analisis-{run}")
        expected = _db_features(
            engine, "SELECT feature, ST_AsText(geom) FROM analysis_output WHERE run_id = :r", r=run
        )
        _same(_gdal_features(data, "fid"), expected)
        # area_ha first appears on the second page of 7: GDAL knows it from the describedby schema
        last = max(data["features"], key=lambda f: f["id"])["properties"]
        assert last["kind"] == "uncovered" and last["area_ha"] == pytest.approx(12.25)
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM analysis_run WHERE id = :r"), {"r": run})
