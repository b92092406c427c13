"""A field officer's day in a real Chromium: log in, find the complaint in the queue, work it
through the LAPOR! statuses, upload the "after" photo from the site, close it, log out."""

from __future__ import annotations

import io
import uuid

import pytest
import sqlalchemy as sa
from PIL import Image

from gis import auth
from gis.complaints import submit
from gis.complaints.sla import WorkCalendar
from tests.browser.conftest import screenshot, wait_until

pytestmark = pytest.mark.browser
PASSWORD = "petugas-lapangan-123"


@pytest.fixture
def officer_and_complaint(engine, settings):
    with engine.begin() as conn:
        point = conn.execute(
            sa.text(
                "SELECT rt.kelurahan_code kel, ST_X(p) lon, ST_Y(p) lat FROM (SELECT kelurahan_code, "
                "ST_PointOnSurface(geom) p FROM rt ORDER BY code OFFSET 11 LIMIT 1) rt"
            )
        ).one()
        username = f"lapangan.{uuid.uuid4().hex[:6]}"
        auth.add_user(conn, username, "Petugas Lapangan", PASSWORD, "staff", [point.kel])
        description = f"Lampu jalan mati di depan musala {uuid.uuid4().hex[:6]}"
        answer = submit.submit_report(
            conn,
            submit.Report(
                key="b-" + uuid.uuid4().hex,
                category="penerangan_jalan",
                description=description,
                lon=point.lon,
                lat=point.lat,
                name="Pak RT",
                contact="081200000001",
            ),
            WorkCalendar(),
            settings.photo_path,
        )
        cid = conn.execute(
            sa.text("SELECT id FROM complaint WHERE ticket = :t"), {"t": answer["ticket"]}
        ).scalar()
    return {"username": username, "id": cid, "lon": point.lon, "lat": point.lat, **answer}


def test_officer_works_a_complaint_to_closure(browser, live_server, engine, officer_and_complaint, tmp_path):
    c = officer_and_complaint
    context = browser.new_context(
        geolocation={"latitude": c["lat"] + 0.0002, "longitude": c["lon"]},  # ~22 m away: on site
        permissions=["geolocation"],
        viewport={"width": 1280, "height": 800},
    )
    page = context.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{live_server}/petugas/")
    assert "/petugas/masuk" in page.url  # not logged in: sent to the login page
    page.fill("#username", c["username"])
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/petugas/")
    wait_until(page, "document.body.dataset.ready === '1'")
    assert int(page.evaluate("document.body.dataset.markers")) > 0
    assert page.locator(f"#queue a:has-text('{c['ticket']}')").count() == 1
    screenshot(page, "staff-queue")

    page.click(f"#queue a:has-text('{c['ticket']}')")
    assert page.locator("#navigate").get_attribute("href").startswith("geo:")
    assert "Pak RT" not in page.content()
    for status in ("verifikasi", "ditindaklanjuti"):
        page.select_option("#status-form select[name=status]", status)
        page.click("#status-form button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("#detail").get_attribute("data-status") == status
    # proof of fix: the device position is filled in, then the photo goes up
    wait_until(page, "document.getElementById('after-lat').value !== ''")
    photo = tmp_path / "sesudah.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (240, 240, 200)).save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())
    page.set_input_files("#after-form input[type=file]", str(photo))
    page.click("#after-form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("figcaption:has-text('perangkat')").count() == 1
    page.select_option("#status-form select[name=status]", "selesai")
    page.click("#status-form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#detail").get_attribute("data-status") == "selesai"
    screenshot(page, "staff-detail-closed")

    # the public ticket page shows before/after and the history, and no personal data
    page.goto(f"{live_server}/tiket/{c['ticket']}")
    assert page.locator("#status").inner_text().strip() == "Selesai"
    assert "Pak RT" not in page.content() and "081200000001" not in page.content()
    page.goto(f"{live_server}/petugas/")
    page.click("header form button[type=submit]")  # log out
    page.wait_for_url("**/petugas/masuk")
    page.goto(f"{live_server}/petugas/")
    assert "/petugas/masuk" in page.url
    context.close()
    with engine.connect() as conn:
        events = conn.execute(
            sa.text(
                "SELECT status_to, user_id IS NOT NULL FROM complaint_event WHERE complaint_id = :i "
                "AND kind = 'status' ORDER BY id"
            ),
            {"i": c["id"]},
        ).all()
    assert events == [("diterima", False), ("verifikasi", True), ("ditindaklanjuti", True), ("selesai", True)]
    assert problems == []
