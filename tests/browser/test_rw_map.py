"""The RW map in a real Chromium: renders every RW, requests nothing from other hosts."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("name", "width", "height"), [("phone", 360, 740), ("desktop", 1280, 800)])
def test_rw_map_renders_offline(page, live_server, name, width, height):
    page.set_viewport_size({"width": width, "height": height})
    requests, failed, errors = [], [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(live_server + "/")
    status = page.locator("#map-status")
    page.wait_for_function("document.getElementById('map-status').textContent.includes('dimuat')")
    assert status.text_content().startswith("30 RW")
    assert page.locator("path.leaflet-interactive").count() == 30
    host = urlparse(live_server).netloc
    assert [u for u in requests if urlparse(u).netloc != host] == []
    assert failed == [] and errors == []
    shot = screenshot(page, f"rw-map-{name}")
    assert shot.stat().st_size > 10_000


HOSTILE = '<img src=x onerror="window.__pwned=1">'


@pytest.fixture
def hostile_rw_name(engine):
    """An RW whose name is markup, committed so the live server sees it, restored afterwards."""
    import sqlalchemy as sa

    code = "31.71.05.1001.RW001"
    with engine.begin() as conn:
        before = conn.execute(sa.text("SELECT name FROM rw WHERE code = :c"), {"c": code}).scalar()
        conn.execute(sa.text("UPDATE rw SET name = :n WHERE code = :c"), {"n": HOSTILE, "c": code})
    yield
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE rw SET name = :n WHERE code = :c"), {"n": before, "c": code})


def test_rw_tooltip_shows_markup_as_text(page, live_server, hostile_rw_name):
    page.goto(live_server + "/")
    page.wait_for_function("document.getElementById('map-status').textContent.includes('dimuat')")
    found = None
    for path in page.locator("path.leaflet-interactive").all():
        path.hover(force=True)
        text = page.locator(".leaflet-tooltip").last.text_content(timeout=2000)
        if "onerror" in text:
            found = text
            break
    assert found is not None and HOSTILE in found
    assert page.locator(".leaflet-tooltip img").count() == 0
    assert page.evaluate("window.__pwned") is None
