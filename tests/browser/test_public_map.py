"""The residents' map in a real Chromium (Debian's, through Playwright), basemap off."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
import sqlalchemy as sa

from tests.browser.conftest import open_page, screenshot, wait_until

pytestmark = pytest.mark.browser
READY = "document.body.dataset.ready === '1'"
HOSTILE = '<img src=x onerror="window.__pwned=1">'


def _open(page, live_server, path="/"):
    return open_page(page, live_server + path, READY)


@pytest.mark.parametrize(("name", "width", "height"), [("phone", 360, 740), ("desktop", 1280, 800)])
def test_map_renders_with_no_external_or_failed_requests(page, live_server, engine, name, width, height):
    page.set_viewport_size({"width": width, "height": height})
    requests, failed, errors = _open(page, live_server)
    with engine.connect() as conn:
        public = conn.execute(sa.text("SELECT count(*) FROM facility WHERE public")).scalar()
    assert page.evaluate("document.body.dataset.facilities") == str(public)
    assert page.locator("path.leaflet-interactive").count() == public  # one marker each
    host = urlparse(live_server).netloc
    assert [u for u in requests if urlparse(u).netloc != host] == []
    assert failed == [] and errors == []
    assert screenshot(page, f"public-map-{name}").stat().st_size > 10_000


def test_category_toggle_hides_and_shows_markers(page, live_server, engine):
    _open(page, live_server)
    with engine.connect() as conn:
        posyandu = conn.execute(
            sa.text("SELECT count(*) FROM facility WHERE public AND category = 'posyandu'")
        ).scalar()
    before = page.locator("path.leaflet-interactive").count()
    page.locator("details.layers summary").click()
    box = page.locator("input[data-category='posyandu']")
    box.uncheck()
    assert page.locator("path.leaflet-interactive").count() == before - posyandu
    box.check()
    assert page.locator("path.leaflet-interactive").count() == before


def test_search_finds_a_facility_and_opens_it(page, live_server):
    _open(page, live_server)
    page.fill("#search", "Kantor Kelurahan Rawasari")
    page.press("#search", "Enter")
    result = page.locator("#panel li").first
    result.wait_for()
    assert "Kantor Kelurahan Rawasari" in result.text_content()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.text_content()
    assert "Kantor Kelurahan Rawasari" in text and "Akta kelahiran" in text and "Syarat" in text


def test_tap_shows_whats_here(page, live_server, engine):
    _open(page, live_server)
    box = page.locator("#map-wrap .folium-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    wait_until(page, "document.querySelector('#panel .units') !== null")
    units = page.locator("#panel .units").text_content()
    lat, lon = page.evaluate(f"""(() => {{ const m = window[JSON.parse(
        document.getElementById('sigkel-config').textContent).map];
        const c = m.containerPointToLatLng([{box["width"] / 2}, {box["height"] / 2}]);
        return [c.lat, c.lng]; }})()""")
    with engine.connect() as conn:
        kel, rw = conn.execute(
            sa.text(
                "SELECT k.name, w.name FROM kelurahan k JOIN rw w ON w.kelurahan_code = k.code "
                "WHERE ST_Intersects(w.geom, ST_SetSRID(ST_MakePoint(:x, :y), 4326))"
            ),
            {"x": lon, "y": lat},
        ).one()
    assert kel in units and rw in units
    assert page.locator("#panel ul.nearest li").count() >= 10


def test_nearest_facility_matches_postgis(browser, live_server, engine):
    here = {"latitude": -6.1772, "longitude": 106.8686}
    context = browser.new_context(geolocation=here, permissions=["geolocation"])
    page = context.new_page()
    try:
        _open(page, live_server)
        page.select_option("#nearest-category", "posyandu")
        page.click("#locate")
        first = page.locator("#panel ul.nearest li").first
        first.wait_for()
        with engine.connect() as conn:
            expected = conn.execute(
                sa.text(
                    "SELECT id, name FROM facility WHERE public AND category = 'posyandu' ORDER BY "
                    "ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(:x, :y), 4326)::geography), id "
                    "LIMIT 1"
                ),
                {"x": here["longitude"], "y": here["latitude"]},
            ).one()
        assert first.get_attribute("data-facility") == str(expected.id)
        assert expected.name in first.text_content()
        assert "openstreetmap.org/directions" in first.locator("a").get_attribute("href")
    finally:
        context.close()


def test_language_switch(page, live_server):
    _open(page, live_server)
    assert page.locator("header h1").text_content().startswith("Peta Fasilitas Publik")
    page.click("text=English")
    wait_until(page, READY)
    assert page.locator("header h1").text_content().startswith("Public Facilities Map")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.goto(live_server + "/")  # the choice is remembered
    assert page.locator("header h1").text_content().startswith("Public Facilities Map")
    page.click("text=Bahasa Indonesia")
    assert page.locator("header h1").text_content().startswith("Peta Fasilitas Publik")


@pytest.fixture
def hostile_facility(engine):
    with engine.begin() as conn:
        fid, before = conn.execute(
            sa.text("SELECT id, name FROM facility WHERE category = 'pos_kamling' ORDER BY id LIMIT 1")
        ).one()
        conn.execute(sa.text("UPDATE facility SET name = :n WHERE id = :i"), {"n": HOSTILE, "i": fid})
    yield fid
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE facility SET name = :n WHERE id = :i"), {"n": before, "i": fid})


def test_markup_in_a_facility_name_renders_as_text(page, live_server, hostile_facility):
    _open(page, live_server)
    page.fill("#search", "onerror")
    page.press("#search", "Enter")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert HOSTILE in popup.text_content()
    assert page.locator(".leaflet-popup-content img, #panel img").count() == 0
    assert page.evaluate("window.__pwned") is None
    page.goto(live_server + "/fasilitas")
    assert HOSTILE in page.locator("main").text_content()
    assert page.locator("main img").count() == 0


def test_facility_list_for_people_who_cannot_use_a_map(page, live_server, engine):
    page.goto(live_server + "/fasilitas")
    with engine.connect() as conn:
        public = conn.execute(sa.text("SELECT count(*) FROM facility WHERE public")).scalar()
    assert page.locator("main li").count() == public
    assert page.locator("h2", has_text="Posyandu").count() == 1
