"""Regressions found by the API fuzz tests (tests/api_fuzz), one test per finding."""

from __future__ import annotations

import uuid

import pytest

from gis import auth

PASSWORD = "kata-sandi-uji-123"


@pytest.mark.parametrize("token", ["é", "🪾", ")\U0001fabe"])
def test_a_non_ascii_csrf_token_is_refused_not_a_server_error(client, conn, token):
    """hmac.compare_digest raised TypeError on str with non-ASCII characters: a 500 on any form post,
    the login form included (webmap/security.py, check_csrf)."""
    client.get("/petugas/masuk")  # the pre-login CSRF token lives in the session cookie
    answer = client.post("/petugas/masuk", data={"username": "x", "password": "y", "csrf_token": token})
    assert answer.status_code == 403
    username = f"admin.{uuid.uuid4().hex[:8]}"
    auth.add_user(conn, username, "Admin", PASSWORD, "admin", ["31.71.05.1001"])
    cookie, _ = auth.login(conn, username, PASSWORD, "10.0.0.5", "pytest")
    client.set_cookie("sigkel_sesi", cookie)
    for headers, data in (
        ({}, {"csrf_token": token}),
        ({"X-CSRF-Token": token.encode().decode("latin-1")}, {}),
    ):
        answer = client.post(
            "/admin/sesi/abc/cabut", data=data, headers={"Accept": "application/json", **headers}
        )
        assert answer.status_code == 403 and answer.get_json()["error"] == "forbidden"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/petugas/api/antrian", 401),
        ("/perencana/runs/987654321/status", 404),
        ("/perencana/runs/987654321/classes?field=x", 404),
        ("/perencana/kelas?field=", 422),
        ("/perencana/runs/987654321.geojson", 404),
        ("/perencana/lapisan/tidak-ada.geojson", 422),
    ],
)
def test_json_endpoints_answer_errors_as_json(client, path, status):
    answer = client.get(path)  # like curl or QGIS: no Accept header
    assert answer.status_code == status
    assert answer.mimetype == "application/json", answer.mimetype


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/open311/v2/a%0Ab", 404),
        ("PUT", "/open311/v2/i%1D%0Ab", 400),
        ("DELETE", "/open311/v2/x/%0A/y.json", 404),
    ],
)
def test_open311_errors_keep_the_spec_format_for_paths_with_line_breaks(client, method, path, status):
    """``<path:rest>`` does not match a line break: such a path missed the Open311 blueprint and its error
    came in the app's format ({error, message}), or as a 422, instead of [{code, description}]."""
    answer = client.open(path, method=method)
    assert answer.status_code == status
    body = answer.get_json()
    assert isinstance(body, list) and body[0]["code"] == status, body


@pytest.mark.parametrize(("path", "status"), [("/api/laporan", 422), ("/open311/v2/requests.json", 403)])
def test_a_multipart_field_name_that_does_not_parse_is_not_a_server_error(client, path, status):
    """Werkzeug gives a part whose quoted name never ends the name None; the control-character guard
    (webmap/security.py) then raised TypeError: a 500 on every form post."""
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="abc\\"\r\n\r\nvalue\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="kategori"\r\n\r\nkebersihan\r\n--XyZ--\r\n'
    )
    answer = client.post(path, data=body, content_type="multipart/form-data; boundary=XyZ")
    assert answer.status_code == status, answer.get_data(as_text=True)[:300]
