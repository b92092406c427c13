"""The planner's hot spot maps, two side by side, in Chromium."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from gis.analysis.jobs import AnalysisParams, run_hotspots
from tests.browser.conftest import screenshot, wait_until

pytestmark = pytest.mark.browser


@pytest.fixture
def two_runs(engine):
    with engine.begin() as conn:
        a, frame_a = run_hotspots(conn, AnalysisParams(shape="rw"))
        b, frame_b = run_hotspots(conn, AnalysisParams(category="kebersihan"))
    yield (a, len(frame_a)), (b, len(frame_b))
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM analysis_run WHERE id IN (:a, :b)"), {"a": a, "b": b})


def test_two_runs_side_by_side(page, live_server, two_runs):
    (a, na), (b, nb) = two_runs
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server}/perencana/peta?run={a}&run={b}")
    wait_until(page, "document.querySelectorAll('.map-box[data-features]').length === 2")
    counts = page.eval_on_selector_all(".map-box", "els => els.map(e => e.dataset.features)")
    assert counts == [str(na), str(nb)]
    assert page.locator(".map-box").nth(0).locator("path.leaflet-interactive").count() == na
    page.locator(".map-box").nth(0).locator("path.leaflet-interactive").first.click(force=True)
    popup = page.locator(".leaflet-popup-content").first
    popup.wait_for()
    assert "gi_z" in popup.text_content() and "gi_bin" in popup.text_content()
    assert errors == []
    screenshot(page, "planner-hotspots-side-by-side")
