"""The residents' HTTP API: report with photos, retries, "me too", ticket page, dispute."""

from __future__ import annotations

import io
import uuid

import pytest
import sqlalchemy as sa

from tests.complaints.test_photos import jpeg_with_gps


@pytest.fixture
def point(conn) -> tuple[float, float]:
    row = conn.execute(
        sa.text(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM rt ORDER BY code "
            "OFFSET 3 LIMIT 1) x"
        )
    ).one()
    return row[0], row[1]


def _form(point, **extra):
    lon, lat = point
    data = {
        "kategori": "jalan_rusak",
        "uraian": f"Aspal retak {uuid.uuid4().hex[:6]}",
        "lat": str(lat),
        "lon": str(lon),
        "akurasi": "12",
        "lokasi_sumber": "gps",
    }
    data.update(extra)
    return data


def _post(client, data, key, photos=()):
    payload = dict(data)
    payload["foto"] = [(io.BytesIO(raw), name) for name, raw in photos]
    return client.post(
        "/api/laporan", data=payload, headers={"Idempotency-Key": key}, content_type="multipart/form-data"
    )


def test_submit_with_photo_then_retry_then_conflict(client, conn, point):
    data, key = _form(point, nama="Ani", kontak="0812-1111-2222"), "k-" + uuid.uuid4().hex
    photo = ("jalan.jpg", jpeg_with_gps())
    first = _post(client, data, key, [photo])
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["ticket"].startswith("LP-") and body["secret"] and body["url"] == f"/tiket/{body['ticket']}"
    again = _post(client, data, key, [photo])
    assert again.status_code == 200 and again.get_json()["ticket"] == body["ticket"]
    other = _post(client, {**data, "uraian": "lain"}, key, [photo])
    assert other.status_code == 422 and "idempotency key" in other.get_json()["message"]
    stored = conn.execute(
        sa.text(
            "SELECT count(*) FROM complaint c JOIN complaint_photo p ON p.complaint_id = c.id "
            "WHERE c.ticket = :t"
        ),
        {"t": body["ticket"]},
    ).scalar()
    assert stored == 1


def test_bad_photo_and_bad_fields_are_explained(client, point):
    bad = _post(client, _form(point), "k-" + uuid.uuid4().hex, [("x.jpg", b"<html>bukan foto</html>")])
    assert bad.status_code == 422 and "x.jpg" in bad.get_json()["message"]
    missing = _post(client, _form(point, uraian="", kategori=""), "k-" + uuid.uuid4().hex)
    message = missing.get_json()["message"]
    assert missing.status_code == 422 and "kategori" in message and "uraian" in message
    nan = _post(client, _form(point, lat="NaN"), "k-" + uuid.uuid4().hex)
    assert nan.status_code == 422
    four = _post(client, _form(point), "k-" + uuid.uuid4().hex, [("a.jpg", jpeg_with_gps())] * 4)
    assert four.status_code == 422 and "3" in four.get_json()["message"]


def test_no_javascript_form_shows_the_ticket_page(client, point):
    response = client.post(
        "/api/laporan",
        data={**_form(point), "kunci": "form-" + uuid.uuid4().hex},
        headers={"Accept": "text/html"},
    )
    assert response.status_code == 201 and 'id="ticket"' in response.get_data(as_text=True)


def test_similar_and_me_too_over_http(client, point):
    created = _post(client, _form(point), "k-" + uuid.uuid4().hex).get_json()
    lon, lat = point
    near = client.get(f"/api/laporan/serupa?kategori=jalan_rusak&lat={lat}&lon={lon}").get_json()
    assert created["ticket"] in [i["ticket"] for i in near["items"]]
    key = "d-" + uuid.uuid4().hex
    one = client.post(f"/api/laporan/{created['ticket']}/dukung", headers={"Idempotency-Key": key})
    two = client.post(f"/api/laporan/{created['ticket']}/dukung", headers={"Idempotency-Key": key})
    assert one.status_code == 201 and two.status_code == 200 and two.get_json()["supporters"] == 1
    assert (
        client.post("/api/laporan/LP-ZZZZ-ZZZZ/dukung", headers={"Idempotency-Key": key + "x"}).status_code
        == 404
    )
    assert client.get("/api/laporan/serupa?kategori=jalan_rusak&lat=abc&lon=1").status_code == 422


def test_ticket_page_and_dispute_flow(client, conn, point):
    created = _post(client, _form(point, nama="Budi Rahasia"), "k-" + uuid.uuid4().hex).get_json()
    page = client.get(f"/tiket/{created['ticket']}").get_data(as_text=True)
    assert "Diterima" in page and "Budi Rahasia" not in page and "Aspal retak" not in page
    assert client.get(f"/tiket/{created['ticket'].lower()}").status_code == 200
    assert client.get("/tiket/LP-0000-0000").status_code == 404
    assert client.get("/tiket?kode=lp-abcd-efgh").status_code == 302
    conn.execute(
        sa.text("UPDATE complaint SET status = 'selesai', resolved_at = clock_timestamp() WHERE ticket = :t"),
        {"t": created["ticket"]},
    )
    page = client.get(f"/tiket/{created['ticket']}").get_data(as_text=True)
    assert 'id="dispute"' in page
    wrong = client.post(f"/tiket/{created['ticket']}/sanggah", data={"kode_rahasia": "X", "alasan": "belum"})
    assert wrong.status_code == 422
    ok = client.post(
        f"/tiket/{created['ticket']}/sanggah",
        data={"kode_rahasia": created["secret"], "alasan": "Masih berlubang"},
    )
    assert ok.status_code == 303
    assert (
        conn.execute(
            sa.text("SELECT status FROM complaint WHERE ticket = :t"), {"t": created["ticket"]}
        ).scalar()
        == "ditindaklanjuti"
    )


def test_categories_and_public_layer(client):
    cats = client.get("/api/laporan/kategori").get_json()["items"]
    assert {"jalan_rusak", "sosial"} <= {c["code"] for c in cats}
    layer = client.get("/api/laporan.geojson?status=terbuka").get_json()
    assert layer["features"] and all(
        f["properties"]["status"] in ("diterima", "verifikasi", "ditindaklanjuti") for f in layer["features"]
    )
    assert {f["properties"]["category"] for f in layer["features"]}.isdisjoint({"sosial", "administrasi"})


def test_database_down_gives_503_with_retry_after(settings):
    from webmap import create_app

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "t",
            "SIGKEL_SETTINGS": settings,
            "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        }
    )
    response = app.test_client().post(
        "/api/laporan", data={"kategori": "x"}, headers={"Idempotency-Key": "k-" + uuid.uuid4().hex}
    )
    assert response.status_code == 503 and response.headers["Retry-After"]


def test_control_characters_are_refused_with_422_not_500(client, point):
    nul = _post(client, _form(point, uraian="jalan\x00rusak"), "k-" + uuid.uuid4().hex)
    assert nul.status_code == 422 and "kendali" in nul.get_json()["message"]
    assert client.get("/api/tiket/LP%00X").status_code == 422
    assert client.get("/api/laporan.geojson?kategori=a%00b").status_code == 422
    assert client.post("/open311/v2/requests.json", data={"api_key": "x\x00"}).status_code in (400, 422)
    tab_and_newline = _post(client, _form(point, uraian="baris satu\nbaris\tdua"), "k-" + uuid.uuid4().hex)
    assert tab_and_newline.status_code == 201


def test_proxy_fix_is_configurable(settings, conn):
    from dataclasses import replace

    from webmap import create_app

    def remote(proxies):
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "t",
                "SIGKEL_CONNECTION": conn,
                "SIGKEL_SETTINGS": replace(settings, proxies=proxies),
            }
        )
        app.add_url_rule("/_ip", "ip", lambda: __import__("flask").request.remote_addr)
        return (
            app.test_client()
            .get("/_ip", headers={"X-Forwarded-For": "36.72.1.2"}, environ_base={"REMOTE_ADDR": "127.0.0.1"})
            .get_data(as_text=True)
        )

    assert remote(0) == "127.0.0.1" and remote(1) == "36.72.1.2"
