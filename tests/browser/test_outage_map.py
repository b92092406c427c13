"""The residents' map in Chromium while the database is down: it opens from the last good copies with
every facility marker, and the report form still queues a report (sent once the database is back)."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from tests.browser.conftest import open_page, wait_until
from tests.outage import serve_through_relay

pytestmark = pytest.mark.browser
READY = "document.body.dataset.ready === '1'"


@pytest.fixture(scope="module")
def outage(server_url, settings, tmp_path_factory):
    with serve_through_relay(server_url, settings, tmp_path_factory.mktemp("var")) as served:
        yield served


def test_public_map_opens_from_the_stale_copies_while_the_database_is_down(browser, outage):
    port, relay, url = outage
    base = f"http://127.0.0.1:{port}"
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        public = conn.execute(sa.text("SELECT count(*) FROM facility WHERE public")).scalar()
    engine.dispose()

    first = browser.new_context()  # a resident opens the map while all is well
    open_page(first.new_page(), base + "/", READY)
    first.close()

    relay.unplug()
    try:
        context = browser.new_context()  # another resident, nothing in the browser's cache
        page = context.new_page()
        stale = []
        page.on("response", lambda r: stale.append(r.url) if r.headers.get("x-sigkel-stale") else None)
        _, failed, errors = open_page(page, base + "/", READY)
        assert page.evaluate("document.body.dataset.facilities") == str(public)
        assert page.locator("path.leaflet-interactive").count() == public
        assert failed == [] and errors == []  # the page's scripts ran under the renewed CSP nonce
        assert any(u.endswith("/") for u in stale)
        assert any("facilities.geojson" in u for u in stale)
        context.close()
    finally:
        relay.plug()


def test_a_report_made_while_the_database_is_down_is_queued_then_stored_once(browser, outage):
    from tests.browser.test_report import DS, _fill, _submit

    port, relay, url = outage
    base = f"http://127.0.0.1:{port}"
    warm = browser.new_context()
    open_page(warm.new_page(), base + "/lapor", READY)  # the form has been seen while all was well
    warm.close()
    description = f"uji-padam-{uuid.uuid4().hex[:12]} lampu jalan mati"
    context = browser.new_context(service_workers="block")  # the page alone sends: deterministic
    page = context.new_page()
    answers = []
    page.on("response", lambda r: answers.append(r.status) if r.url.endswith("/api/laporan") else None)
    relay.unplug()
    try:
        _, failed, errors = open_page(page, base + "/lapor", READY)  # the form itself from the copy
        _fill(page, "lainnya", description)
        _submit(page)
        wait_until(page, f"{DS}.queued === '1'")
        assert answers and set(answers) == {503}  # the real server's answer, not a stand-in
    finally:
        relay.plug()
    wait_until(page, "SigkelOutbox.all().then(d => d.outbox.every(i => i.notBefore <= Date.now()))")
    page.evaluate("window.SigkelReport.flush(true)")
    wait_until(page, f"{DS}.sent === '1' && {DS}.queued === '0'")
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        stored = conn.execute(
            sa.text(
                "SELECT count(*), (SELECT count(*) FROM submission s JOIN complaint c "
                "ON c.id = s.complaint_id WHERE c.description = :d) FROM complaint WHERE description = :d"
            ),
            {"d": description},
        ).one()
    engine.dispose()
    context.close()
    assert tuple(stored) == (1, 1)
    assert errors == [] or all("503" in e for e in errors), errors
