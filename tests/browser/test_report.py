"""The residents' report form (/lapor), its offline queue and the public complaint map, in a real
Chromium against the live server and PostGIS.

The live server shares the session's database, so every test writes real rows: each one uses its own
unique descriptions and never assumes an empty table.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlparse

import pytest
import sqlalchemy as sa
from PIL import Image

from tests.browser.conftest import open_page, screenshot, wait_until

pytestmark = pytest.mark.browser
READY = "document.body.dataset.ready === '1'"
DS = "document.body.dataset"
COUNT = f"Number({DS}.queued || 0) + Number({DS}.sent || 0) + Number({DS}.rejected || 0)"
TICKET = re.compile(r"^LP-[2-9A-Z]{4}-[2-9A-Z]{4}$")


def _open(page, live_server, path="/lapor"):
    return open_page(page, live_server + path, READY)


def _csp_violations(page) -> list[str]:
    """For tests that open their own browser context (the ``page`` fixture checks this itself)."""
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    return violations


def _photo(tmp_path, name: str, size=(640, 480), fmt="JPEG"):
    """A real image (a gradient, so it compresses like a photo rather than a flat colour)."""
    width, height = size
    img = Image.new("RGB", size)
    img.putdata(
        [
            ((x * 255) // width, (y * 255) // height, (x + y) % 256)
            for y in range(height)
            for x in range(width)
        ]
    )
    path = tmp_path / f"{name}.{'jpg' if fmt == 'JPEG' else fmt.lower()}"
    img.save(path, fmt, quality=95) if fmt == "JPEG" else img.save(path, fmt)
    return path


def _pin_map_centre(page):
    page.locator(".pick-map .folium-map").click()
    wait_until(page, "document.getElementById('lat').value !== '' && lokasi_sumber.value === 'pin'")


def _map_centre(page) -> tuple[float, float]:
    """The form map's initial centre: inside the kelurahan."""
    return page.evaluate(
        "(() => { const c = window[JSON.parse(document.getElementById('sigkel-config').textContent).map]"
        ".getCenter(); return [c.lat, c.lng]; })()"
    )


def _fill(page, category, description, photo=None, pin=True):
    page.select_option("#kategori", category)
    page.fill("#uraian", description)
    if pin:
        _pin_map_centre(page)
    if photo is not None:
        page.set_input_files("#foto", str(photo))


def _total(page) -> int:
    return page.evaluate(COUNT)


def _submit(page, done: str | None = None):
    """Submit; when "is it one of these?" appears, answer "no, a new report". Returns when ``done``
    (by default: one more report on this device) is true."""
    before = _total(page)
    done = done or f"({COUNT}) > {before}"
    page.click("#submit")
    wait_until(page, f"!document.getElementById('serupa').hidden || ({done})")
    if page.locator("#serupa").is_visible():
        page.click("#serupa-new")
    wait_until(page, done)


def _complaints(engine, pattern: str):
    with engine.connect() as conn:
        return conn.execute(
            sa.text("""
            SELECT c.id, c.ticket, c.description, c.status, c.supporters,
                   (SELECT count(*) FROM submission s WHERE s.complaint_id = c.id) AS submissions,
                   (SELECT count(*) FROM complaint_photo p WHERE p.complaint_id = c.id) AS photos,
                   (SELECT count(*) FROM complaint_photo p WHERE p.complaint_id = c.id
                      AND p.stage = 'sebelum') AS before_photos,
                   (SELECT max(p.width) FROM complaint_photo p WHERE p.complaint_id = c.id) AS width
            FROM complaint c WHERE c.description LIKE :p ORDER BY c.id"""),
            {"p": pattern},
        ).all()


def test_offline_queue_sends_every_report_exactly_once(page, live_server, engine, tmp_path):
    tag = f"uji-antrian-{uuid.uuid4().hex[:12]}"
    _open(page, live_server)
    page.context.set_offline(True)
    descriptions, codes = [], []
    for i in range(5):
        description = f"{tag} nomor {i}: sampah menumpuk di pinggir jalan"
        photo = _photo(tmp_path, f"foto{i}", fmt="JPEG" if i % 2 == 0 else "PNG")
        _fill(page, "lainnya", description, photo)
        page.click("#submit")
        wait_until(page, f"{DS}.queued === '{i + 1}'")
        codes.append(page.text_content("#provisional").strip())
        descriptions.append(description)
    assert len(set(codes)) == 5 and all(re.fullmatch(r"SEMENTARA-[0-9A-F]{8}", c) for c in codes), codes
    assert sorted(page.locator("#outbox-list .provisional").all_text_contents()) == sorted(codes)
    assert page.evaluate(f"{DS}.queued") == "5" and page.evaluate(f"{DS}.sent") == "0"
    assert "5" in page.text_content("#queue-status")
    assert _complaints(engine, f"{tag}%") == []  # nothing reached the server while offline

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_until(page, f"{DS}.sent === '5' && {DS}.queued === '0'", timeout=60)

    tickets = page.locator("#outbox-list a.ticket").all_text_contents()
    assert len(tickets) == 5 and all(TICKET.match(t) for t in tickets), tickets
    assert page.locator("#outbox-list .secret").count() == 5
    rows = _complaints(engine, f"{tag}%")
    assert sorted(r.description for r in rows) == sorted(descriptions)  # exactly five, no duplicates
    assert sorted(r.ticket for r in rows) == sorted(tickets)
    for r in rows:
        assert (r.submissions, r.photos, r.before_photos) == (1, 1, 1), r
    # the keys the page used are the ones stored, once each
    with engine.connect() as conn:
        keys = conn.execute(
            sa.text("SELECT s.key FROM submission s WHERE s.complaint_id = ANY(:ids)"),
            {"ids": [r.id for r in rows]},
        ).scalars()
        prefixes = sorted(k.replace("-", "")[:8].upper() for k in keys)
    assert prefixes == sorted(c.removeprefix("SEMENTARA-") for c in codes)


def test_online_report_shows_the_confirmed_ticket(page, live_server, engine, tmp_path):
    description = f"uji-daring-{uuid.uuid4().hex[:12]} lubang besar di jalan"
    big = _photo(tmp_path, "besar", size=(3000, 2000))
    posts = []
    page.on(
        "request",
        lambda r: posts.append(r) if r.method == "POST" and r.url.endswith("/api/laporan") else None,
    )
    _open(page, live_server)
    _fill(page, "jalan_rusak", description, big)
    page.fill("#nama", "Warga Uji")
    page.fill("#kontak", "081234567890")
    _submit(page)
    wait_until(page, f"{DS}.sent === '1' && document.getElementById('confirmed-ticket') !== null")
    ticket = page.text_content("#confirmed-ticket").strip()
    assert TICKET.match(ticket)
    assert page.get_attribute("#confirmed-ticket", "href") == f"/tiket/{ticket}"
    assert page.locator("#outbox-list .secret").count() == 1
    (row,) = _complaints(engine, description)
    assert (row.ticket, row.status, row.submissions, row.before_photos) == (ticket, "diterima", 1, 1)
    assert row.width == 1600  # downscaled in the browser (the server alone would keep 2048)
    assert len(posts) == 1 and posts[0].headers.get("idempotency-key")
    # the form is empty again, ready for the next report
    assert page.input_value("#uraian") == "" and page.input_value("#lat") == ""
    page.click("#confirmed-ticket")
    page.wait_for_url(f"**/tiket/{ticket}")
    assert ticket in page.text_content("header h1")


def test_rejected_report_is_shown_and_never_retried(page, live_server, engine):
    description = f"uji-ditolak-{uuid.uuid4().hex[:12]} lampu mati"
    posts = []
    page.on(
        "request",
        lambda r: posts.append(r.url) if r.method == "POST" and r.url.endswith("/api/laporan") else None,
    )
    _open(page, live_server)
    inside = _map_centre(page)
    _fill(page, "penerangan_jalan", description, pin=False)
    page.evaluate("window.SigkelReport.setLocation(-6.9, 107.6, 'pin')")  # Bandung: outside the kelurahan
    page.click("#submit")
    wait_until(page, f"{DS}.rejected === '1'")
    message = page.text_content("#form-message")
    assert "di luar wilayah layanan" in message
    item = page.locator("#outbox-list li[data-status=ditolak]")
    assert "di luar wilayah layanan" in item.locator(".notice.error").text_content()
    assert item.locator("button.edit").is_visible() and item.locator("button.delete").is_visible()
    assert page.evaluate(f"{DS}.queued") == "0"

    # the connection "comes back" and a send round runs: the rejected report is not sent again
    flushes = int(page.evaluate(f"{DS}.flushes"))
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_until(page, f"Number({DS}.flushes) > {flushes}")
    page.evaluate("window.SigkelReport.flush(true)")
    stored = page.evaluate(
        "SigkelOutbox.all().then(d => d.outbox.map(i => [i.status, i.attempts, i.lastStatus]))"
    )
    assert stored == [["ditolak", 1, 422]]
    assert len(posts) == 1
    assert _complaints(engine, description) == []

    # "edit and resend" puts it back in the form; a fixed location goes through under a new key
    item.locator("button.edit").click()
    assert page.input_value("#uraian") == description
    assert page.input_value("#lat").startswith("-6.9")  # the rejected location, shown to be moved
    page.evaluate(f"window.SigkelReport.setLocation({inside[0]}, {inside[1]}, 'pin')")
    _submit(page, done=f"{DS}.sent === '1' && {DS}.rejected === '0'")
    (row,) = _complaints(engine, description)
    assert row.submissions == 1


def test_me_too_supports_the_existing_complaint(page, live_server, engine):
    _open(page, live_server)
    lat, lon = _map_centre(page)
    first = f"uji-dukung-{uuid.uuid4().hex[:12]} lampu jalan mati"
    answer = page.request.post(
        live_server + "/api/laporan",
        form={
            "kategori": "penerangan_jalan",
            "uraian": first,
            "lat": str(lat),
            "lon": str(lon),
            "lokasi_sumber": "pin",
        },
        headers={"Idempotency-Key": uuid.uuid4().hex, "Accept": "application/json"},
    )
    assert answer.status == 201, answer.text()
    ticket = answer.json()["ticket"]

    page.select_option("#kategori", "penerangan_jalan")
    page.fill("#uraian", "lampu jalan di depan rumah saya juga mati")
    page.evaluate(f"window.SigkelReport.setLocation({lat}, {lon}, 'pin')")
    page.click("#submit")
    match = page.locator(f"#serupa-list li[data-ticket='{ticket}']")
    match.wait_for()
    assert "Apakah salah satu dari ini?" in page.text_content("#serupa-title")
    match.locator("button.metoo").click()
    wait_until(page, "document.getElementById('support-ticket') !== null")
    assert page.text_content("#support-ticket") == ticket
    assert page.locator("#serupa").is_hidden()
    (row,) = _complaints(engine, first)
    assert row.supporters == 1
    assert page.evaluate(f"{DS}.queued") == "0" and page.evaluate(f"{DS}.sent") == "0"  # no new report


def test_form_on_a_phone_loads_nothing_external(page, live_server, engine):
    page.set_viewport_size({"width": 360, "height": 740})
    requests, failed, errors = _open(page, live_server)
    host = urlparse(live_server).netloc
    assert [u for u in requests if urlparse(u).netloc != host] == []
    assert failed == [] and errors == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    with engine.connect() as conn:
        categories = conn.execute(sa.text("SELECT count(*) FROM complaint_category")).scalar()
    assert page.locator("#kategori option").count() == categories + 1
    for selector in ("#kategori", "#uraian", ".pick-map", "#locate", "#foto", "#submit", "#my-reports"):
        assert page.locator(selector).is_visible(), selector
    assert page.get_attribute("#foto", "capture") == "environment"
    assert page.is_checked("input[name=anonimitas][value=publik_tanpa_nama]")
    # the contact is checked like the server does, before a report can sit in the queue
    for contact, valid in (("0812 3456 7890", True), ("warga@contoh.id", True), ("besok saja", False)):
        page.fill("#kontak", contact)
        assert page.evaluate("document.getElementById('kontak').validity.valid") is valid, contact
    page.fill("#kontak", "")
    assert page.evaluate(f"{DS}.queued") == "0" and page.evaluate(f"{DS}.sent") == "0"
    assert screenshot(page, "report-form-phone").stat().st_size > 10_000
    # the RT fallback fills itself on demand
    page.click("#rt-pick summary")
    wait_until(page, "document.querySelectorAll('#rt option').length > 100")


def test_gps_location_shows_its_accuracy(browser, live_server):
    here = {"latitude": -6.1772, "longitude": 106.8686, "accuracy": 35}
    context = browser.new_context(geolocation=here, permissions=["geolocation"])
    page = context.new_page()
    csp = _csp_violations(page)
    try:
        _open(page, live_server)
        page.click("#locate")
        wait_until(page, "document.getElementById('lokasi_sumber').value === 'gps'")
        assert page.input_value("#akurasi") == "35"
        assert abs(float(page.input_value("#lat")) - here["latitude"]) < 1e-6
        assert "35 m" in page.text_content("#loc-status")
        assert page.locator(".pick-map path.accuracy-circle").count() == 1  # the accuracy circle
        page.click("#rt-pick summary")
        wait_until(page, "document.querySelectorAll('#rt option').length > 100")
        page.select_option("#rt", index=3)
        assert page.input_value("#lokasi_sumber") == "rt" and page.input_value("#lat") == ""
        assert page.locator(".pick-map path.accuracy-circle").count() == 0
        assert csp == []
    finally:
        context.close()


def test_form_without_javascript_is_a_plain_form(browser, live_server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server + "/lapor")
        form = page.locator("#report-form")
        assert form.get_attribute("method") == "post"
        assert form.get_attribute("action") == "/api/laporan"
        assert form.get_attribute("enctype") == "multipart/form-data"
        assert page.input_value("#kunci").startswith("form-")
        assert page.locator(".pick-map").is_hidden() and page.locator("#my-reports").is_hidden()
        assert page.locator("#submit").is_visible() and page.locator("#rt-pick").is_visible()
        assert "JavaScript" in page.text_content("main")
        assert page.goto(live_server + "/lapor?lang=en").ok
    finally:
        context.close()


def test_complaint_map_shows_public_complaints(page, live_server, engine):
    _, failed, errors = _open(page, live_server, "/laporan")
    with engine.connect() as conn:
        where = (
            "FROM complaint c JOIN complaint_category cat ON cat.code = c.category WHERE cat.public "
            "AND NOT c.confidential AND c.geom_public IS NOT NULL AND c.duplicate_of IS NULL"
        )
        total = conn.execute(sa.text(f"SELECT count(*) {where}")).scalar()
        lights = conn.execute(
            sa.text(f"SELECT count(*) {where} AND c.category = 'penerangan_jalan'")
        ).scalar()
        open_ = conn.execute(
            sa.text(f"SELECT count(*) {where} AND c.status IN ('diterima', 'verifikasi', 'ditindaklanjuti')")
        ).scalar()
    assert total > 0
    assert page.evaluate(f"{DS}.complaints") == str(min(total, 5000))
    assert 0 < int(page.evaluate(f"{DS}.markers")) <= total
    assert failed == [] and errors == []
    assert "Lokasi digeneralisasi untuk melindungi privasi warga" in page.text_content("#privacy-note")
    assert page.locator(".legend li").count() == 4

    page.select_option("#complaint-category", "penerangan_jalan")
    assert page.evaluate(f"{DS}.visible") == str(lights)
    page.select_option("#complaint-category", "")
    page.select_option("#complaint-status", "terbuka")
    assert page.evaluate(f"{DS}.visible") == str(open_)
    page.select_option("#complaint-status", "")

    # open the popup of one circle (drawn on a canvas: click where it is)
    x, y = page.evaluate(
        """(() => { const m = window[JSON.parse(document.getElementById('sigkel-config').textContent).map];
        let found = null; const size = m.getSize();
        m.eachLayer(l => { if (found || !(l instanceof L.CircleMarker)) return;
          const p = m.latLngToContainerPoint(l.getLatLng());
          if (p.x > 20 && p.y > 20 && p.x < size.x - 20 && p.y < size.y - 20) found = p; });
        const box = m.getContainer().getBoundingClientRect();
        return [box.left + found.x, box.top + found.y]; })()"""
    )
    page.mouse.click(x, y)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    href = popup.locator("a[href^='/tiket/']").first.get_attribute("href")
    assert re.fullmatch(r"/tiket/[A-Z0-9-]+", href), href
    screenshot(page, "complaint-map")


def test_service_worker_keeps_the_form_offline_and_sends_the_queue(page, live_server, engine, tmp_path):
    description = f"uji-sw-{uuid.uuid4().hex[:12]} selokan mampet"
    _open(page, live_server)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    wait_until(page, "navigator.serviceWorker.controller !== null")
    wait_until(page, "caches.match('/lapor').then(r => !!r)")
    wait_until(page, "caches.match('/static/vendor/leaflet/leaflet.js').then(r => !!r)")

    # no signal: the form still opens (from the service worker's cache) and takes a report
    page.context.set_offline(True)
    page.reload()
    wait_until(page, READY)
    _fill(page, "drainase_banjir", description, _photo(tmp_path, "selokan"))
    page.click("#submit")
    wait_until(page, f"{DS}.queued === '1'")

    # the page is gone; the signal is back; the service worker sends the queue on its own
    page.goto("about:blank")
    page.context.set_offline(False)
    page.goto(live_server + "/laporan")  # a page without report.js, controlled by the worker
    wait_until(page, READY)
    wait_until(page, "navigator.serviceWorker.controller !== null")
    page.evaluate("navigator.serviceWorker.controller.postMessage({type: 'flush', force: true})")
    for _ in range(300):
        rows = _complaints(engine, description)
        if rows:
            break
        page.wait_for_timeout(100)
    assert len(rows) == 1 and rows[0].submissions == 1 and rows[0].before_photos == 1

    page.goto(live_server + "/lapor")
    wait_until(page, READY)
    wait_until(page, f"{DS}.sent === '1' && {DS}.queued === '0'")
    assert page.locator("#outbox-list a.ticket").text_content() == rows[0].ticket


def test_server_errors_and_lost_answers_keep_the_report_queued(browser, live_server, engine):
    """503 (Retry-After honoured), a 200 that is not our answer (a captive portal), a dropped
    connection: the report stays queued each time and is stored exactly once in the end."""
    context = browser.new_context(service_workers="block")  # the page alone sends; routes see it all
    page = context.new_page()
    csp = _csp_violations(page)
    calls = []

    def answer(route):
        calls.append(route.request.headers.get("idempotency-key"))
        if len(calls) == 1:
            body = '{"error": "unavailable", "message": "Basis data sedang tidak tersedia"}'
            route.fulfill(
                status=503, headers={"Retry-After": "2"}, content_type="application/json", body=body
            )
        elif len(calls) == 2:
            route.fulfill(status=200, content_type="text/html", body="<html>Login Wi-Fi gratis</html>")
        elif len(calls) == 3:
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/laporan", answer)
    description = f"uji-coba-ulang-{uuid.uuid4().hex[:12]} pohon tumbang"
    state = "SigkelOutbox.all().then(d => d.outbox.map(i => [i.status, i.attempts, i.lastStatus]))"
    try:
        _open(page, live_server)
        _fill(page, "lainnya", description)
        _submit(page)
        wait_until(page, f"{state}.then(s => s.length === 1 && s[0][2] === 503)")
        assert page.evaluate(f"{DS}.queued") == "1" and "Basis data" in page.text_content("#outbox-list")
        page.evaluate("window.SigkelReport.flush(true)")  # forced, but not before Retry-After
        assert len(calls) == 1
        for _ in range(3):  # the 200 without a ticket, the reset, then the real server
            wait_until(page, "SigkelOutbox.all().then(d => d.outbox.every(i => i.notBefore <= Date.now()))")
            page.evaluate("window.SigkelReport.flush(true)")
            if page.evaluate(f"{DS}.sent") == "1":
                break
        wait_until(page, f"{DS}.sent === '1' && {DS}.queued === '0'")
        assert len(calls) == 4 and len(set(calls)) == 1  # one key for every attempt
        (row,) = _complaints(engine, description)
        assert row.submissions == 1
        assert csp == []
    finally:
        context.close()
