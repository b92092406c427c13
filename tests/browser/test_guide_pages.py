"""The pages the user guide shows, opened in Chromium as each role would: they render without errors
or CSP violations, and their screenshots refresh docs/panduan/img."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from gis import auth
from gis.complaints import submit
from gis.complaints.sla import WorkCalendar
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser
PASSWORD = "panduan-kelurahan-1"


@pytest.fixture(scope="module")
def people(engine, settings):
    with engine.begin() as conn:
        kel, lon, lat = conn.execute(
            sa.text(
                "SELECT kelurahan_code, ST_X(p), ST_Y(p) FROM (SELECT kelurahan_code, "
                "ST_PointOnSurface(geom) p FROM rt ORDER BY code OFFSET 20 LIMIT 1) x"
            )
        ).one()
        suffix = uuid.uuid4().hex[:6]
        users = {}
        for role in ("admin", "planner"):
            name = f"panduan.{role}.{suffix}"
            auth.add_user(conn, name, f"Panduan {role}", PASSWORD, role, [kel])
            users[role] = name
        answer = submit.submit_report(
            conn,
            submit.Report(
                key="g-" + uuid.uuid4().hex,
                category="drainase_banjir",
                description="Got mampet di depan pos RW, air meluap saat hujan",
                lon=lon,
                lat=lat,
            ),
            WorkCalendar(),
            settings.photo_path,
        )
    return {"kel": kel, "ticket": answer["ticket"], **users}


def _login(page, live_server, username):
    page.goto(f"{live_server}/petugas/masuk")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _no_errors(page):
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors


def test_resident_pages(page, live_server, people):
    errors = _no_errors(page)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/tiket/{people['ticket']}")
    assert page.locator("#status").inner_text().strip() == "Diterima"
    screenshot(page, "ticket-page")
    page.set_viewport_size({"width": 1100, "height": 900})
    page.goto(f"{live_server}/data-terbuka/")
    assert page.locator("section.dataset").count() == 6
    screenshot(page, "open-data")
    assert errors == []


def test_admin_and_planner_pages(page, live_server, people):
    errors = _no_errors(page)
    page.set_viewport_size({"width": 1100, "height": 900})
    page.goto(f"{live_server}/petugas/masuk")
    screenshot(page, "staff-login")
    _login(page, live_server, people["admin"])
    page.goto(f"{live_server}/admin/sesi")
    assert page.locator("#sessions tbody tr").count() >= 1
    screenshot(page, "admin-sessions")
    page.goto(f"{live_server}/evaluasi/?kelurahan={people['kel']}&periode=2026-Q3")
    assert page.locator("#laporan-evaluasi svg.map path").count() > 0
    screenshot(page, "evaluation-dashboard")
    page.context.clear_cookies()
    _login(page, live_server, people["planner"])
    assert "/perencana/" in page.url  # planners land on their own pages
    page.goto(f"{live_server}/petugas/")
    assert page.locator("text=Tidak diizinkan").count() + page.locator("text=403").count() >= 1
    assert errors == [] or all("403" in e for e in errors)
