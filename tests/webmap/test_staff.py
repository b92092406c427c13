"""Roles x endpoints: no unexpected allow; staff of kelurahan A never see B's complaints or reporters."""

from __future__ import annotations

import re
import uuid

import pytest
import sqlalchemy as sa

from gis import auth
from gis.complaints import submit
from gis.complaints.sla import WorkCalendar

PASSWORD = "kata-sandi-uji-123"


@pytest.fixture
def kels(conn) -> tuple[str, str]:
    codes = (
        conn.execute(sa.text("SELECT DISTINCT kelurahan_code FROM complaint ORDER BY 1 LIMIT 2"))
        .scalars()
        .all()
    )
    assert len(codes) == 2
    return codes[0], codes[1]


@pytest.fixture
def users(conn, kels) -> dict:
    a, b = kels
    suffix = uuid.uuid4().hex[:6]
    made = {}
    for name, role, kel in [
        ("admin_a", "admin", [a]),
        ("staff_a", "staff", [a]),
        ("planner_a", "planner", [a]),
        ("staff_b", "staff", [b]),
    ]:
        username = f"{name.replace('_', '.')}.{suffix}"
        auth.add_user(conn, username, name, PASSWORD, role, kel)
        token, user = auth.login(conn, username, PASSWORD, "10.0.0.1", "pytest")
        made[name] = (token, user)
    return made


@pytest.fixture
def complaint_a(conn, kels, settings, tmp_path) -> dict:
    """A fresh complaint in kelurahan A with a reporter who left a name and phone."""
    a, _ = kels
    point = conn.execute(
        sa.text(
            "SELECT ST_X(p) lon, ST_Y(p) lat FROM (SELECT ST_PointOnSurface(geom) p FROM rw "
            "WHERE kelurahan_code = :k ORDER BY code LIMIT 1) x"
        ),
        {"k": a},
    ).one()
    answer = submit.submit_report(
        conn,
        submit.Report(
            key="m-" + uuid.uuid4().hex,
            category="jalan_rusak",
            description="Jalan berlubang uji",
            lon=point.lon,
            lat=point.lat,
            name="Rahmat Hidayat",
            contact="081298765432",
        ),
        WorkCalendar(),
        settings.photo_path,
    )
    cid = conn.execute(
        sa.text("SELECT id FROM complaint WHERE ticket = :t"), {"t": answer["ticket"]}
    ).scalar()
    return {"id": cid, **answer}


def _as(client, users, who):
    client.delete_cookie("sigkel_sesi")
    if who is None:
        return None
    token, user = users[who]
    client.set_cookie("sigkel_sesi", token)
    return user


def _post(client, url, user, data=None, csrf=True):
    data = dict(data or {})
    if csrf and user is not None:
        data["csrf_token"] = user.csrf_token
    return client.post(url, data=data, headers={"Accept": "application/json"})


EXPECT_GET = {
    # path template: {who: status}
    "/petugas/": {"admin_a": 200, "staff_a": 200, "planner_a": 403, "staff_b": 200, None: 302},
    "/petugas/api/antrian": {"admin_a": 200, "staff_a": 200, "planner_a": 403, "staff_b": 200, None: 401},
    "/petugas/eskalasi": {"admin_a": 200, "staff_a": 200, "planner_a": 403, "staff_b": 200, None: 302},
    "/petugas/laporan/{id}": {"admin_a": 200, "staff_a": 200, "planner_a": 403, "staff_b": 404, None: 302},
    "/admin/sesi": {"admin_a": 200, "staff_a": 403, "planner_a": 403, "staff_b": 403, None: 302},
}


@pytest.mark.parametrize("path", list(EXPECT_GET))
def test_role_matrix_reads(client, users, complaint_a, path):
    for who, status in EXPECT_GET[path].items():
        _as(client, users, who)
        response = client.get(path.format(id=complaint_a["id"]))
        assert response.status_code == status, (who, path, response.status_code)


WRITES = [
    ("/petugas/laporan/{id}/status", {"status": "verifikasi"}),
    ("/petugas/laporan/{id}/catatan", {"catatan": "dicek", "publik": "1"}),
    ("/petugas/laporan/{id}/pelapor", {"alasan": "menghubungi pelapor untuk detail"}),
    ("/petugas/laporan/{id}/gabung", {"tiket": "LP-XXXX-XXXX"}),
]


@pytest.mark.parametrize(("path", "data"), WRITES)
def test_role_matrix_writes(client, users, complaint_a, path, data):
    url = path.format(id=complaint_a["id"])
    expect = {None: 401, "planner_a": 403, "staff_b": 404}
    for who, status in expect.items():
        user = _as(client, users, who)
        assert _post(client, url, user, data).status_code == status, (who, url)
    user = _as(client, users, "staff_a")
    assert _post(client, url, user, data, csrf=False).status_code == 403  # no CSRF token
    response = _post(client, url, user, data)
    assert response.status_code in (200, 404), response.get_json()  # 404 only for the unknown merge ticket


def test_queue_of_b_never_holds_a(client, users, kels):
    a, b = kels
    _as(client, users, "staff_b")
    data = client.get("/petugas/api/antrian?status=semua&limit=1000").get_json()
    assert data["items"] and data["total"] > 0
    codes = {i["rw_code"][:13] for i in data["items"] if i["rw_code"]}
    assert codes == {b}


def test_queue_filters_and_sorting(client, users, kels):
    _as(client, users, "staff_a")
    data = client.get("/petugas/api/antrian?limit=1000").get_json()
    dues = [i["sla_due"] for i in data["items"] if i["sla_due"]]
    assert dues == sorted(dues)
    assert {i["status"] for i in data["items"]} <= {"diterima", "verifikasi", "ditindaklanjuti"}
    overdue = client.get("/petugas/api/antrian?terlambat=1&limit=1000").get_json()
    assert overdue["items"] and all(i["overdue"] for i in overdue["items"])
    cat = client.get("/petugas/api/antrian?kategori=kebersihan&status=semua&limit=1000").get_json()
    assert cat["items"] and {i["category"] for i in cat["items"]} == {"kebersihan"}
    old = client.get("/petugas/api/antrian?umur=30&status=semua&limit=1000").get_json()
    assert old["total"] < client.get("/petugas/api/antrian?status=semua&limit=1000").get_json()["total"]
    assert client.get("/petugas/api/antrian?umur=abc").status_code == 422
    for odd in ("umur=%C2%B2", "umur=99999999999", "offset=99999999999999999999"):
        assert client.get(f"/petugas/api/antrian?{odd}").status_code == 422, odd
    assert client.get("/petugas/api/antrian?status=hilang").status_code == 422


def test_reporter_read_is_audited_and_needs_a_reason(client, conn, users, complaint_a):
    user = _as(client, users, "staff_a")
    url = f"/petugas/laporan/{complaint_a['id']}/pelapor"
    assert _post(client, url, user, {"alasan": ""}).status_code == 422
    response = _post(client, url, user, {"alasan": "menghubungi pelapor untuk lokasi"})
    assert response.get_json()["reporter"]["name"] == "Rahmat Hidayat"
    row = conn.execute(
        sa.text(
            "SELECT user_id, action, object_id, reason FROM audit_log WHERE action = 'read_reporter' "
            "ORDER BY id DESC LIMIT 1"
        )
    ).one()
    assert row == (user.id, "read_reporter", str(complaint_a["id"]), "menghubungi pelapor untuk lokasi")


def test_detail_page_has_exact_location_navigation_and_no_reporter_until_asked(client, users, complaint_a):
    _as(client, users, "staff_a")
    html = client.get(f"/petugas/laporan/{complaint_a['id']}").get_data(as_text=True)
    assert 'href="geo:' in html and "Rahmat" not in html and "081298765432" not in html
    assert "Fasilitas terdekat" in html


def test_login_logout_and_revocation(client, conn, users, kels):
    username = f"petugas.{uuid.uuid4().hex[:6]}"
    auth.add_user(conn, username, "Petugas", PASSWORD, "staff", [kels[0]])
    client.delete_cookie("sigkel_sesi")
    page = client.get("/petugas/masuk").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/petugas/masuk", data={"username": username, "password": PASSWORD}).status_code == 403
    response = client.post(
        "/petugas/masuk", data={"username": username, "password": PASSWORD, "csrf_token": csrf}
    )
    assert response.status_code == 303
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/petugas/").status_code == 200
    token = client.get_cookie("sigkel_sesi").value
    user = auth.session_user(conn, token)
    assert client.post("/petugas/keluar", data={"csrf_token": user.csrf_token}).status_code == 303
    client.set_cookie("sigkel_sesi", token)  # the old cookie no longer works
    assert client.get("/petugas/").status_code == 302
    # an admin revokes a session: it stops at once
    token2, user2 = auth.login(conn, username, PASSWORD, "10.0.0.2", "pytest")
    admin = _as(client, users, "admin_a")
    assert _post(client, f"/admin/sesi/{user2.session_id}/cabut", admin).status_code in (200, 303)
    assert auth.session_user(conn, token2) is None


def test_login_is_rate_limited_per_account_not_per_shared_ip(conn, kels):
    victim = f"korban.{uuid.uuid4().hex[:6]}"
    other = f"lain.{uuid.uuid4().hex[:6]}"
    for name in (victim, other):
        auth.add_user(conn, name, name, PASSWORD, "staff", [kels[0]])
    carrier_ip = "114.124.0.1"  # many phones behind one carrier NAT
    for _ in range(5):
        with pytest.raises(auth.NotAuthenticated):
            auth.login(conn, victim, "salah-salah", carrier_ip, "x")
    with pytest.raises(auth.RateLimited) as info:
        auth.login(conn, victim, PASSWORD, carrier_ip, "x")  # even the right password waits
    assert 0 < info.value.retry_after <= 15 * 60
    token, user = auth.login(conn, other, PASSWORD, carrier_ip, "x")  # same IP, other account: fine
    assert user.username == other
    # unknown users fail the same way as wrong passwords
    with pytest.raises(auth.NotAuthenticated, match="salah"):
        auth.login(conn, "tidak.ada", "x", "1.2.3.4", "x")


def test_login_form_shows_rate_limit_with_retry_after(client, conn, kels):
    name = f"kunci.{uuid.uuid4().hex[:6]}"
    auth.add_user(conn, name, name, PASSWORD, "staff", [kels[0]])
    page = client.get("/petugas/masuk").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    statuses = [
        client.post(
            "/petugas/masuk", data={"username": name, "password": "salah", "csrf_token": csrf}
        ).status_code
        for _ in range(6)
    ]
    assert statuses == [401] * 5 + [429]
    last = client.post("/petugas/masuk", data={"username": name, "password": PASSWORD, "csrf_token": csrf})
    assert last.status_code == 429 and int(last.headers["Retry-After"]) > 0


def test_passwords_are_argon2id(conn, kels):
    name = f"hash.{uuid.uuid4().hex[:6]}"
    auth.add_user(conn, name, name, PASSWORD, "staff", [kels[0]])
    stored = conn.execute(
        sa.text("SELECT password_hash FROM app_user WHERE username = :u"), {"u": name}
    ).scalar()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    with pytest.raises(auth.DataError, match="at least"):
        auth.add_user(conn, "pendek.x", "x", "short", "staff", [kels[0]])


def test_disabling_a_user_revokes_sessions(conn, users):
    token, user = users["staff_a"]
    auth.set_active(conn, user.username, False)
    assert auth.session_user(conn, token) is None
