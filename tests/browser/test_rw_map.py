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


def test_rw_tooltip_shows_name_as_text(page, live_server):
    page.goto(live_server + "/")
    page.wait_for_function("document.getElementById('map-status').textContent.includes('dimuat')")
    page.locator("path.leaflet-interactive").first.hover(force=True)
    tooltip = page.locator(".leaflet-tooltip")
    tooltip.wait_for()
    assert "RW" in tooltip.text_content()
