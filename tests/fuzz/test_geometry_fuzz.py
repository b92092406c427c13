"""Issue 9, geometry fuzzing: every input that takes coordinates answers junk with a clear 4xx.

Pure parsers first (many examples, no database), then every HTTP endpoint that reads coordinates,
bounding boxes or tile numbers. The rule everywhere: no 5xx, no unhandled exception, and a 4xx whose
message names the offending parameter; the plainly valid inputs must still succeed.
"""

from __future__ import annotations

import io
import itertools
import math
import struct
import uuid

import pytest
import sqlalchemy as sa
from hypothesis import example, given
from hypothesis import strategies as st
from PIL import Image

from gis.complaints.photos import process_photo
from gis.crs import check_lonlat
from gis.db.public import parse_point
from gis.db.queries import parse_bbox
from gis.errors import DataError
from tests.fuzz.strategies import (
    CRS84,
    DEMO_BBOX,
    EPSG4326,
    UTM,
    as_float,
    bbox_text,
    check_answer,
    coord_text,
    fuzz,
    has_control,
    inside,
    lat_in,
    latlon_text,
    lon_in,
    number_text,
)

_KEYS = itertools.count()


def _key(prefix: str = "fz") -> str:
    return f"{prefix}-{uuid.uuid4().hex}-{next(_KEYS)}"


def test_demo_bbox_is_the_demo_kelurahan_extent(conn):
    extent = conn.execute(
        sa.text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
            "FROM (SELECT ST_Extent(geom) e FROM kelurahan) x"
        )
    ).one()
    assert tuple(extent) == pytest.approx(DEMO_BBOX, abs=1e-6)


# -- pure functions --------------------------------------------------------------------------------


@fuzz(1000)
@given(lon=st.floats(), lat=st.floats(), where=st.sampled_from(["", "lokasi", "row 7"]))
@example(lon=float("nan"), lat=-6.18, where="")
@example(lon=-6.18, lat=106.87, where="lokasi")  # swapped
@example(lon=float("inf"), lat=float("-inf"), where="x")
@example(lon=1e308, lat=-1e308, where="")
def test_check_lonlat_accepts_exactly_the_points_inside_indonesia(lon, lat, where):
    if inside(lon, lat):
        assert check_lonlat(lon, lat, where) is None
        return
    with pytest.raises(DataError) as caught:
        check_lonlat(lon, lat, where)
    message = caught.value.message
    assert message.startswith(f"{where}: ") if where else message.startswith("the point")
    assert repr(lon) in message or str(lon) in message
    if inside(lat, lon):  # would be inside with the two swapped: the message says so
        assert "swapped" in message


@fuzz(1000)
@given(point=latlon_text())
@example(point=("NaN", "106.87"))
@example(point=("-6.18", "inf"))
@example(point=("1e400", "-1e400"))
@example(point=("-6,18", "106,87"))
@example(point=(None, "106.87"))
@example(point=("106.87", "-6.18"))
@example(point=("-6.18\x00", "106.87"))
@example(point=("１０６", "-6.18"))
def test_parse_point_returns_a_finite_point_in_indonesia_or_a_data_error(point):
    lat_text, lon_text = point
    lat, lon = as_float(lat_text), as_float(lon_text)
    if inside(lon, lat):
        assert parse_point(lat_text, lon_text) == (lon, lat)
        return
    with pytest.raises(DataError) as caught:
        parse_point(lat_text, lon_text)
    assert "lat" in caught.value.message and "lon" in caught.value.message


@fuzz(1000)
@given(text=st.one_of(bbox_text(), st.text(max_size=40), st.none()))
@example(text="nan,nan,nan,nan")
@example(text="1e400,-1e400,1e400,-1e400")
@example(text="-180,-90,180,90")
@example(text="106.87,-6.2,106.86,-6.1")
@example(text="1,2,3")
@example(text="1,2,3,4,5")
@example(text=",,,")
@example(text="106.85\x00,-6.2,106.88,-6.1")
def test_parse_bbox_returns_an_ordered_finite_box_or_a_data_error(text):
    parts = (text or "").split(",")
    values = [as_float(p) for p in parts]
    expect_ok = (
        len(values) == 4
        and None not in values
        and -180 <= values[0] < values[2] <= 180
        and -90 <= values[1] < values[3] <= 90
    )
    if not text:
        assert parse_bbox(text) is None
    elif expect_ok:
        assert parse_bbox(text) == tuple(values)
    else:
        with pytest.raises(DataError, match="bbox"):
            parse_bbox(text)


def _exif(gps: dict) -> bytes:
    """Raw EXIF (little-endian TIFF) with a GPS IFD: ``{tag: ("ascii", "S") | ("rational", [(n, d)])}``.

    Written by hand because Pillow refuses to write the malformed values a phone may (0 denominators).
    """
    entries = sorted(gps.items())
    gps_offset = 8 + 2 + 12 + 4
    data_offset = gps_offset + 2 + 12 * len(entries) + 4
    fields, blobs = b"", b""
    for tag, (kind, value) in entries:
        if kind == "ascii":
            raw, typ, count = value.encode("latin-1") + b"\0", 2, len(value) + 1
        else:
            raw, typ, count = b"".join(struct.pack("<II", n, d) for n, d in value), 5, len(value)
        if len(raw) <= 4:
            field = raw.ljust(4, b"\0")
        else:
            field, blobs = struct.pack("<I", data_offset + len(blobs)), blobs + raw
        fields += struct.pack("<HHI", tag, typ, count) + field
    tiff = b"II*\0" + struct.pack("<I", 8)
    tiff += struct.pack("<HHHII", 1, 0x8825, 4, 1, gps_offset) + struct.pack("<I", 0)
    tiff += struct.pack("<H", len(entries)) + fields + struct.pack("<I", 0) + blobs
    return b"Exif\0\0" + tiff


def _jpeg(gps: dict | None = None, size=(32, 24)) -> bytes:
    image = Image.new("RGB", size, (120, 60, 30))
    out = io.BytesIO()
    image.save(out, "JPEG", **({"exif": _exif(gps)} if gps else {}))
    return out.getvalue()


_u32 = st.integers(0, 2**32 - 1)
_rationals = st.tuples(
    st.just("rational"), st.lists(st.tuples(_u32, st.one_of(_u32, st.just(0))), max_size=4)
)
_refs = st.tuples(st.just("ascii"), st.sampled_from(["N", "S", "E", "W", "X", ""]))
_gps_tags = st.fixed_dictionaries(
    {}, optional={1: st.one_of(_refs, _rationals), 2: st.one_of(_rationals, _refs), 3: _refs, 4: _rationals}
)


@fuzz(60)
@given(gps=_gps_tags)
def test_exif_gps_of_a_photo_is_a_finite_lonlat_or_none(gps):
    """A photo's own GPS (the fallback location of an "after" photo) never leaks NaN or junk."""
    photo = process_photo(_jpeg(gps), "x.jpg")
    if photo.gps is not None:
        lon, lat = photo.gps
        assert math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90


# -- HTTP: points in query strings -----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/whats-here", "/api/nearest", "/api/laporan/serupa"])
@fuzz(100)
@given(point=latlon_text(), category=st.one_of(st.just("jalan_rusak"), st.text(max_size=10)))
@example(point=("NaN", "106.87"), category="jalan_rusak")
@example(point=("106.87", "-6.18"), category="jalan_rusak")
@example(point=("1e400", "106.87"), category="jalan_rusak")
@example(point=("-6.18", "106.87"), category="\x00")
def test_point_queries(client, path, point, category):
    lat_text, lon_text = point
    response = client.get(path, query_string={"lat": lat_text, "lon": lon_text, "kategori": category})
    check_answer(response, ("lat", "lon", "kategori"))
    if has_control(lat_text, lon_text, category):
        assert response.status_code == 422
    elif inside(as_float(lon_text), as_float(lat_text)):
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        if path != "/api/laporan/serupa":
            assert (body["lon"], body["lat"]) == (float(lon_text), float(lat_text))
    else:
        assert response.status_code == 422


@pytest.mark.parametrize(
    "path",
    [
        "/api/layers/rw.geojson",
        "/api/layers/kelurahan.geojson",
        "/api/layers/facilities.geojson",
        "/api/laporan.geojson",
    ],
)
@fuzz(80)
@given(bbox=bbox_text())
@example(bbox="nan,nan,nan,nan")
@example(bbox="-180,-90,180,90")
@example(bbox="106.87,-6.2,106.86,-6.1")
def test_bbox_queries(client, path, bbox):
    response = client.get(path, query_string={"bbox": bbox})
    check_answer(response, ("bbox",))
    values = [as_float(p) for p in bbox.split(",")]
    ok = not bbox or (
        len(values) == 4
        and None not in values
        and -180 <= values[0] < values[2] <= 180
        and -90 <= values[1] < values[3] <= 90
    )
    assert response.status_code == (200 if ok else 422)
    if ok:
        assert response.get_json()["type"] == "FeatureCollection"


_tile_number = st.one_of(
    st.integers(0, 30),
    st.integers(0, 2**70),
    st.sampled_from(["-1", "1.5", "1e3", "x", "", "%00", "00000000000000000000001", "٣"]),
)


@fuzz(150)
@given(
    layer=st.sampled_from(["rw", "rt", "kelurahan", "facilities", "complaints", "kecamatan", "x", "..%2F"]),
    z=_tile_number,
    x=_tile_number,
    y=_tile_number,
)
@example(layer="complaints", z=22, x=2**22 - 1, y=2**22 - 1)
@example(layer="rw", z=23, x=0, y=0)
@example(layer="rt", z=2**64, x=0, y=0)
@example(layer="rw", z=0, x=1, y=0)
def test_tiles_with_odd_numbers(client, layer, z, x, y):
    response = client.get(f"/tiles/{layer}/{z}/{x}/{y}.pbf")
    check_answer(response, ("tile", "not found", "layer", "url"))
    valid_numbers = all(isinstance(v, int) for v in (z, x, y)) and z <= 22 and x < 2**z and y < 2**z
    if layer in ("rw", "rt", "kelurahan", "facilities", "complaints") and valid_numbers:
        assert response.status_code == 200
        assert response.mimetype == "application/vnd.mapbox-vector-tile"


@fuzz(60)
@given(lat=lat_in(DEMO_BBOX), lon=lon_in(DEMO_BBOX), z=st.integers(0, 22))
def test_tiles_around_the_demo_area_render(client, lat, lon, z):
    """Real tiles at every zoom (aggregated complaints below z15, clipped polygons everywhere)."""
    n = 2**z
    x = min(n - 1, int((lon + 180) / 360 * n))
    y = min(n - 1, int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n))
    for layer in ("rw", "complaints"):
        response = client.get(f"/tiles/{layer}/{z}/{x}/{y}.pbf")
        check_answer(response)
        assert response.status_code == 200


# -- HTTP: OGC API Features ------------------------------------------------------------------------

_CRS_VALUES = st.sampled_from(
    [CRS84, EPSG4326, UTM, "EPSG:4326", "http://www.opengis.net/def/crs/EPSG/0/3857", "", "CRS84", "\x00"]
)


@st.composite
def _ogc_bbox(draw, crs: str, kinds=("valid", "six", "utm-huge", "numbers", "text")) -> str:
    kind = draw(st.sampled_from(kinds))
    if kind in ("valid", "six") and crs in (CRS84, EPSG4326):
        w, e = sorted([draw(lon_in(DEMO_BBOX)), draw(lon_in(DEMO_BBOX))])
        s, n = sorted([draw(lat_in(DEMO_BBOX)), draw(lat_in(DEMO_BBOX))])
        box = [w, s, e, n] if crs == CRS84 else [s, w, n, e]
        if kind == "six":
            box = [box[0], box[1], -10.0, box[2], box[3], 100.0]
        return ",".join(repr(v) for v in box)
    if kind in ("valid", "six"):  # UTM 48S around Jakarta
        x0, x1 = sorted([draw(st.floats(690_000, 720_000)), draw(st.floats(690_000, 720_000))])
        y0, y1 = sorted([draw(st.floats(9_300_000, 9_330_000)), draw(st.floats(9_300_000, 9_330_000))])
        return ",".join(repr(v) for v in (x0, y0, x1, y1))
    if kind == "utm-huge":
        big = st.sampled_from([0.0, 1e7, 1e8, -1e8, 1e12, 1e300, -1e300, 5e5, 1e10])
        x0, x1 = sorted([draw(big), draw(big)])
        y0, y1 = sorted([draw(big), draw(big)])
        return ",".join(repr(v) for v in (x0, y0, x1, y1))
    if kind == "numbers":
        count = draw(st.sampled_from([3, 4, 4, 4, 5, 6, 7]))
        return ",".join(draw(number_text(st.floats(-1e9, 1e9))) for _ in range(count))
    return ",".join(draw(coord_text) for _ in range(draw(st.integers(1, 6))))


_DATETIMES = st.one_of(
    st.sampled_from(
        ["2025-12-01", "2025-12-01/..", "../2026-01-01T00:00:00Z", "..", "/", "2025-13-45", "x/y/z"]
    ),
    st.builds(
        lambda a, b: f"{a.isoformat()}/{b.isoformat()}",
        st.datetimes(),
        st.datetimes(),
    ),
    st.datetimes().map(lambda d: d.isoformat()),
    st.dates().map(str),
    st.text(max_size=25),
)


@st.composite
def _ogc_params(draw) -> dict:
    params = {}
    bbox_crs = draw(st.one_of(st.none(), _CRS_VALUES))
    if bbox_crs is not None:
        params["bbox-crs"] = bbox_crs
    if draw(st.booleans()) or bbox_crs is not None:
        params["bbox"] = draw(_ogc_bbox(bbox_crs or CRS84))
    if draw(st.booleans()):
        params["crs"] = draw(_CRS_VALUES)
    if draw(st.booleans()):
        params["datetime"] = draw(_DATETIMES)
    if draw(st.booleans()):
        params["limit"] = draw(st.one_of(st.integers(-5, 20_000).map(str), coord_text))
    if draw(st.booleans()):
        params["offset"] = draw(st.one_of(st.integers(-5, 10**13).map(str), coord_text))
    return params


@fuzz(250)
@given(
    collection=st.sampled_from(["rw", "rt", "kelurahan", "fasilitas", "laporan", "kecamatan"]),
    params=_ogc_params(),
)
@example(collection="rw", params={"bbox": "0,0,1e8,1e8", "bbox-crs": UTM})
@example(collection="rw", params={"bbox": "1e300,1e300,1e301,1e301", "bbox-crs": UTM})
@example(collection="rw", params={"bbox": "500000,0,1e12,1e12", "bbox-crs": UTM, "crs": UTM})
@example(collection="laporan", params={"bbox": "nan,nan,nan,nan"})
@example(collection="laporan", params={"bbox": "170,-10,-170,10"})  # across the antimeridian
@example(collection="laporan", params={"datetime": "9999-12-31T23:59:59-23:59/.."})
@example(collection="rw", params={"bbox": "-6.2,106.85,-6.16,106.88", "bbox-crs": EPSG4326, "crs": EPSG4326})
def test_ogc_items(client, collection, params):
    response = client.get(f"/ogc/collections/{collection}/items", query_string={**params, "f": "json"})
    check_answer(response, tuple(params) or ("parameter",))
    if response.status_code == 200:
        body = response.get_json()
        assert body["type"] == "FeatureCollection" and body["numberReturned"] == len(body["features"])


@fuzz(40)
@given(
    crs=st.sampled_from([CRS84, EPSG4326, UTM]),
    data=st.data(),
)
def test_ogc_items_with_a_valid_bbox_succeed(client, crs, data):
    bbox = data.draw(_ogc_bbox(crs, ("valid", "six")))
    response = client.get(
        "/ogc/collections/rw/items", query_string={"bbox": bbox, "bbox-crs": crs, "crs": crs, "f": "json"}
    )
    check_answer(response)
    assert response.status_code == 200, response.get_json()


def test_ogc_utm_bbox_beyond_the_zone_is_clipped_or_refused(client):
    """A projected bbox is clipped to where the CRS can be used (it was a 500, PROJ's "Point outside of
    projection domain", or seconds of segmentising); one entirely beyond it is a 400 naming bbox."""

    def items(**params):
        return client.get("/ogc/collections/rw/items", query_string={**params, "limit": "1", "f": "json"})

    everything = items(bbox="-180,-90,180,90").get_json()["numberMatched"]
    huge = items(bbox="0,0,1e8,1e8", **{"bbox-crs": UTM})
    assert huge.status_code == 200 and huge.get_json()["numberMatched"] == everything > 0
    far = items(bbox="1e300,1e300,1e301,1e301", **{"bbox-crs": UTM})
    message = check_answer(far, ("bbox",))
    assert far.status_code == 400 and "range" in message


# -- HTTP: Open311 ---------------------------------------------------------------------------------


@fuzz(60)
@given(
    lat=coord_text,
    long=coord_text,
    radius=coord_text,
    start=st.one_of(st.none(), st.datetimes().map(lambda d: d.isoformat() + "Z"), st.text(max_size=20)),
    fmt=st.sampled_from(["json", "xml"]),
)
def test_open311_get_requests_with_location_filters(client, lat, long, radius, start, fmt):
    query = {"lat": lat, "long": long, "radius": radius}
    if start is not None:
        query["start_date"] = start
    response = client.get(f"/open311/v2/requests.{fmt}", query_string=query)
    check_answer(response, ("start_date", "end_date", "lat", "long", "radius"))


@pytest.fixture
def api_key(conn) -> str:
    from gis.complaints import open311

    return open311.create_api_key(conn, "fuzz")


@pytest.fixture
def demo_points(conn) -> list[tuple[float, float]]:
    """(lon, lat) of a point on the surface of every RT: inside the service area for sure."""
    rows = conn.execute(
        sa.text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM rt ORDER BY code) x")
    ).all()
    return [(r[0], r[1]) for r in rows]


@fuzz(100)
@given(data=st.data(), fmt=st.sampled_from(["json", "xml"]))
def test_open311_post_lat_long(client, api_key, demo_points, data, fmt):
    lat_text, long_text, valid = data.draw(_point_or_junk(demo_points))
    fields = {
        "api_key": api_key,
        "service_code": "kebersihan",
        "description": "Sampah menumpuk di pinggir jalan.",
        "lat": lat_text,
        "long": long_text,
        "idempotency_key": _key(),
    }
    response = client.post(f"/open311/v2/requests.{fmt}", data=fields)
    check_answer(response, ("lat", "long", "lokasi"))
    if valid:
        assert response.status_code == 201, response.get_data(as_text=True)
    elif as_float(lat_text) is None or as_float(long_text) is None:
        assert response.status_code == 400


@st.composite
def _point_or_junk(draw, points) -> tuple[str, str, bool]:
    """(lat, lon, surely_valid): a point inside the service area, or anything else."""
    if draw(st.booleans()):
        lon, lat = draw(st.sampled_from(points))
        return draw(number_text(st.just(lat))), draw(number_text(st.just(lon))), True
    lat, lon = draw(latlon_text())
    return lat, lon, False


# -- HTTP: residents' report -----------------------------------------------------------------------


@fuzz(150)
@given(
    data=st.data(),
    accuracy=st.one_of(st.none(), st.just("12"), coord_text),
    source=st.one_of(st.none(), st.sampled_from(["gps", "pin", "rt", "GPS", " gps ", "satelit", "\x00"])),
    rt=st.one_of(
        st.none(), st.sampled_from(["31.71.05.1001.RW001.RT001", "RT 1", "", "\x00"]), st.text(max_size=30)
    ),
    key=st.one_of(
        st.none(), st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=140)
    ),
)
def test_report_post_location_fields(client, demo_points, data, accuracy, source, rt, key):
    lat_text, lon_text, valid = data.draw(_point_or_junk(demo_points))
    form = {"kategori": "jalan_rusak", "uraian": f"Jalan berlubang {uuid.uuid4().hex[:6]}"}
    for name, value in (
        ("lat", lat_text),
        ("lon", lon_text),
        ("akurasi", accuracy),
        ("lokasi_sumber", source),
    ):
        if value is not None:
            form[name] = value
    if rt is not None:
        form["rt"] = rt
    headers = {"Idempotency-Key": key if key is not None else _key(), "Accept": "application/json"}
    response = client.post("/api/laporan", data=form, headers=headers)
    check_answer(response, ("lat", "lon", "lokasi", "akurasi", "lokasi_sumber", "rt", "kunci"))
    plain = (
        valid
        and key is None
        and source in (None, "gps", "pin")
        and accuracy in (None, "12")
        and not has_control(rt)  # control characters are refused in any field
    )
    if plain:
        assert response.status_code == 201, response.get_json()
    if response.status_code < 400:
        assert response.get_json()["ticket"].startswith("LP-")


# -- HTTP: staff "after" photo ---------------------------------------------------------------------


@pytest.fixture
def staff_case(conn, client, tmp_path):
    """A complaint in progress in kelurahan A, and a logged-in staff member of A."""
    from gis import auth
    from gis.complaints import submit, workflow
    from gis.complaints.sla import WorkCalendar

    point = conn.execute(
        sa.text(
            "SELECT ST_X(p) lon, ST_Y(p) lat, k FROM (SELECT ST_PointOnSurface(geom) p, kelurahan_code k "
            "FROM rw ORDER BY code LIMIT 1) x"
        )
    ).one()
    username = f"fuzz.{uuid.uuid4().hex[:6]}"
    auth.add_user(conn, username, "Petugas Fuzz", "kata-sandi-uji-123", "staff", [point.k])
    token, user = auth.login(conn, username, "kata-sandi-uji-123", "10.0.0.1", "pytest")
    answer = submit.submit_report(
        conn,
        submit.Report(
            key=_key("st"),
            category="jalan_rusak",
            description="Jalan berlubang uji",
            lon=point.lon,
            lat=point.lat,
        ),
        WorkCalendar(),
        tmp_path,
    )
    cid = conn.execute(
        sa.text("SELECT id FROM complaint WHERE ticket = :t"), {"t": answer["ticket"]}
    ).scalar()
    for to in ("verifikasi", "ditindaklanjuti"):
        workflow.change_status(conn, cid, to, user.id)
    client.set_cookie("sigkel_sesi", token)
    return {"id": cid, "lon": point.lon, "lat": point.lat, "csrf": user.csrf_token}


@fuzz(80)
@given(data=st.data(), exif=st.booleans())
def test_staff_after_photo_location(client, staff_case, data, exif):
    case = staff_case
    if data.draw(st.booleans()):  # within a few metres of the complaint: must be accepted
        dlat, dlon = data.draw(st.floats(-2e-4, 2e-4)), data.draw(st.floats(-2e-4, 2e-4))
        lat_text, lon_text, valid = repr(case["lat"] + dlat), repr(case["lon"] + dlon), True
    else:
        lat_text, lon_text = data.draw(latlon_text())
        lat_text = data.draw(st.sampled_from([lat_text, ""]))
        valid = False
    gps = None
    if exif:  # a photo taken about 1 km away, or with a broken (0/0) second: never a crash
        second = data.draw(st.sampled_from([(0, 0), (30, 1)]))
        gps = {
            1: ("ascii", "S"),
            2: ("rational", [(6, 1), (10, 1), second]),
            3: ("ascii", "E"),
            4: ("rational", [(106, 1), (52, 1), (1, 1)]),
        }
    form = {
        "csrf_token": case["csrf"],
        "lat": lat_text,
        "lon": lon_text,
        "foto": (io.BytesIO(_jpeg(gps)), "s.jpg"),
    }
    response = client.post(
        f"/petugas/laporan/{case['id']}/foto-sesudah",
        data=form,
        headers={"Accept": "application/json"},
        content_type="multipart/form-data",
    )
    check_answer(response, ("lat", "lon", "lokasi", "location", "foto"))
    if valid:
        assert response.status_code == 200, response.get_json()
