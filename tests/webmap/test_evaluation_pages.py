"""The evaluation dashboard: aggregates for staff, planners and admins of their own kelurahan only."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from gis import auth

PASSWORD = "evaluasi-kelurahan-1"


@pytest.fixture
def login(client, conn):
    kels = conn.execute(sa.text("SELECT code FROM kelurahan ORDER BY code LIMIT 2")).scalars().all()

    def as_(role: str, index: int = 0):
        name = f"{role}.{uuid.uuid4().hex[:6]}"
        auth.add_user(conn, name, name, PASSWORD, role, [kels[index]])
        token, user = auth.login(conn, name, PASSWORD, "10.1.1.1", "pytest")
        client.set_cookie("sigkel_sesi", token)
        return user, kels

    return as_


def test_dashboard_for_each_role_and_scope(client, login):
    assert client.get("/evaluasi/?periode=2026-Q3").status_code == 302  # not logged in
    for role in ("planner", "staff", "admin"):
        user, kels = login(role)
        page = client.get(f"/evaluasi/?kelurahan={kels[0]}&periode=2026-Q3")
        assert page.status_code == 200, role
        html = page.get_data(as_text=True)
        assert 'id="laporan-evaluasi"' in html and 'class="map"' in html and "Kepatuhan SLA" in html
        assert client.get(f"/evaluasi/?kelurahan={kels[1]}&periode=2026-Q3").status_code == 404
    assert client.get("/evaluasi/?periode=triwulan").status_code == 422


def test_report_downloads(client, login):
    user, kels = login("planner")
    html = client.get(f"/evaluasi/laporan.html?kelurahan={kels[0]}&periode=2026-Q3")
    assert html.status_code == 200 and "attachment" in html.headers["Content-Disposition"]
    assert b"Getis-Ord" in html.data
    pdf = client.get(f"/evaluasi/laporan.pdf?kelurahan={kels[0]}&periode=2026-09")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert client.get(f"/evaluasi/laporan.docx?kelurahan={kels[0]}").status_code == 404
