"""A live server on a free loopback port and Debian's Chromium through Playwright (no download)."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from gis.config import project_root

CHROMIUM = os.environ.get("SIGKEL_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = project_root() / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def live_server(database_url, settings):
    from dataclasses import replace

    from webmap import create_app

    app = create_app(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "browser-tests",
            "SIGKEL_SETTINGS": replace(settings, basemap="none"),
        }
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    engine = app.extensions.get("sigkel.engine")
    if engine is not None:
        engine.dispose()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: run scripts/setup.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh page; the test fails if the page broke its own Content-Security-Policy."""
    context = browser.new_context()
    page = context.new_page()
    violations = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    yield page
    context.close()
    assert not violations, f"CSP violations: {violations}"


def wait_until(page, expression: str, timeout: float = 15.0):
    """Poll a JS expression until it is truthy (via CDP, which a strict CSP does not block,
    unlike page.wait_for_function, which needs eval)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for: {expression}")
        page.wait_for_timeout(100)


# Screenshots the user guide (docs/panduan) shows, taken by these tests: `make guide-screenshots`
# (SIGKEL_GUIDE_SCREENSHOTS=1) refreshes them all; a plain test run only adds missing ones, so the
# working tree stays clean.
GUIDE = project_root() / "docs" / "panduan" / "img"
GUIDE_SHOTS = {
    "public-map-phone",
    "report-form-phone",
    "complaint-map",
    "ticket-page",
    "staff-login",
    "staff-queue",
    "staff-detail-closed",
    "admin-sessions",
    "evaluation-dashboard",
    "open-data",
    "planner-hotspots-side-by-side",
    "planner-choropleth",
}


def screenshot(page, name: str) -> Path:
    ARTIFACTS.joinpath("screenshots").mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "screenshots" / f"{name}.png"
    page.screenshot(path=str(path))
    guide = GUIDE / f"{name}.png"
    if name in GUIDE_SHOTS and (os.environ.get("SIGKEL_GUIDE_SCREENSHOTS") or not guide.exists()):
        GUIDE.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, guide)
    return path


def open_page(page, url: str, ready: str = "document.body.dataset.ready === '1'"):
    """Open ``url`` and wait until the page script says it is ready; returns the lists of requested
    URLs, failed requests and page errors (console errors included), filled as the test goes on."""
    requests, failed, errors = [], [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(url)
    wait_until(page, ready)
    return requests, failed, errors
