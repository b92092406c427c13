"""The planner's layers in Chromium: catalogue -> choropleth (scheme, field, classes as the server
computed them, opacity), two runs with shared classes, and an analysis run from the form."""

from __future__ import annotations

import re
import uuid

import pytest
import sqlalchemy as sa

from gis import auth
from gis.planning import background
from gis.planning.jobs import PlanningParams, run_coverage
from tests.browser.conftest import screenshot, wait_until

pytestmark = pytest.mark.browser
PASSWORD = "perencana-kota-123"


@pytest.fixture
def coverage_runs(engine):
    with engine.begin() as conn:
        a, frame_a = run_coverage(conn, PlanningParams(facility_type="posyandu"))
        b, frame_b = run_coverage(conn, PlanningParams(facility_type="sd", cell_size=150))
    yield (a, frame_a), (b, frame_b)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM analysis_run WHERE id IN (:a, :b)"), {"a": a, "b": b})


def _classes(page, live_server, runs, field, scheme, k):
    query = "&".join(f"run={r}" for r in runs)
    response = page.request.get(f"{live_server}/perencana/kelas?{query}&field={field}&scheme={scheme}&k={k}")
    assert response.ok, response.text()
    return response.json()


def _legend(page, index=0):
    return page.eval_on_selector_all(
        f".maps > section:nth-of-type({index + 1}) ul.legend li[data-upper]",
        "els => els.map(e => ({upper: Number(e.dataset.upper), color: e.dataset.color, "
        "label: e.querySelector('.label').textContent, count: Number(e.querySelector('.count')"
        ".textContent.replace(/[()]/g, ''))}))",
    )


def _fills(page, index=0):
    """How many features of a map are filled with each colour (Leaflet's SVG paths)."""
    return page.evaluate(
        "i => { const out = {}; document.querySelectorAll('.map-box')[i].querySelectorAll("
        "'path.leaflet-interactive').forEach(p => { const f = p.getAttribute('fill'); "
        "if (p.getAttribute('fill-opacity') !== '0') { out[f] = (out[f] || 0) + 1; } }); return out; }",
        index,
    )


def _ready(page, field, index=0, previous=None):
    expression = (
        f"(() => {{ const b = document.querySelectorAll('.map-box')[{index}]; "
        f"return b && b.dataset.state === 'ready' && b.dataset.field === '{field}'"
        + (f" && b.dataset.classes !== '{previous}'" if previous is not None else "")
        + "; })()"
    )
    wait_until(page, expression)
    return page.evaluate(f"document.querySelectorAll('.map-box')[{index}].dataset.classes")


def _check_against_server(page, server, index=0):
    legend = _legend(page, index)
    assert [item["upper"] for item in legend] == pytest.approx(server["bins"])
    assert [item["color"] for item in legend] == server["colors"]
    assert [item["label"] for item in legend] == server["labels"]
    fills = _fills(page, index)
    for item in legend:  # every feature carries its class's colour
        assert fills.get(item["color"], 0) == item["count"], (item, fills)
    return legend


def test_choropleth_of_a_coverage_run(page, live_server, coverage_runs):
    (a, frame_a), (b, frame_b) = coverage_runs
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_viewport_size({"width": 1280, "height": 860})

    page.goto(f"{live_server}/perencana/")
    row = page.locator(f"tr[data-run='{a}']")
    assert "Jangkauan layanan" in row.text_content() and "posyandu" in row.text_content()
    row.locator(f"a[href='/perencana/peta?run={a}']").click()
    page.wait_for_url(re.compile(r".*/perencana/peta\?run=.*"))
    _ready(page, "nearest_m")
    assert page.evaluate("document.querySelector('.map-box').dataset.features") == str(len(frame_a))
    server = _classes(page, live_server, [a], "nearest_m", "quantiles", 5)
    legend = _check_against_server(page, server)
    assert sum(item["count"] for item in legend) == int(frame_a["nearest_m"].notna().sum())
    assert re.fullmatch(r"[0-9.]+ – [0-9.]+", legend[-1]["label"])  # Indonesian: no decimal point here

    # natural breaks with 7 classes
    previous = page.evaluate("document.querySelector('.map-box').dataset.classes")
    page.select_option("#scheme", "fisher_jenks")
    previous = _ready(page, "nearest_m", previous=previous)
    page.select_option("#k", "7")
    _ready(page, "nearest_m", previous=previous)
    server = _classes(page, live_server, [a], "nearest_m", "fisher_jenks", 7)
    assert len(_check_against_server(page, server)) == 7
    assert "scheme=fisher_jenks" in page.url and "k=7" in page.url

    # another field: density, jiwa/ha
    page.select_option(".maps > section:nth-of-type(1) select.field-select", "density_ha")
    _ready(page, "density_ha")
    server = _classes(page, live_server, [a], "density_ha", "fisher_jenks", 7)
    _check_against_server(page, server)
    assert "Kepadatan (jiwa/ha)" in page.locator("p.legend-note").first.text_content()

    # a yes/no field has its own two-colour legend
    page.select_option(".maps > section:nth-of-type(1) select.field-select", "covered")
    _ready(page, "covered")
    assert page.locator("ul.legend li[data-value='true']").count() == 1

    # opacity
    page.select_option(".maps > section:nth-of-type(1) select.field-select", "nearest_m")
    _ready(page, "nearest_m")
    page.locator("#opacity").fill("30")
    wait_until(page, "document.getElementById('opacity-value').textContent === '30%'")
    opacities = page.eval_on_selector_all(
        ".map-box path.leaflet-interactive",
        "els => [...new Set(els.map(e => e.getAttribute('fill-opacity')))]",
    )
    assert "0.3" in opacities and "0.75" not in opacities

    # two runs side by side: the same field gets one classification over both
    page.goto(f"{live_server}/perencana/peta?run={a}&run={b}&scheme=quantiles&k=5")
    _ready(page, "nearest_m", 0)
    _ready(page, "nearest_m", 1)
    server = _classes(page, live_server, [a, b], "nearest_m", "quantiles", 5)
    left, right = _legend(page, 0), _legend(page, 1)
    assert [i["upper"] for i in left] == [i["upper"] for i in right] == pytest.approx(server["bins"])
    counts = [x["count"] + y["count"] for x, y in zip(left, right, strict=True)]
    assert counts == server["counts"]
    for index in (0, 1):
        fills = _fills(page, index)
        legend = _legend(page, index)
        assert all(fills.get(i["color"], 0) == i["count"] for i in legend)
    assert "kedua peta" in page.locator("p.legend-note").nth(1).text_content()
    assert page.evaluate("document.querySelectorAll('.map-box')[1].dataset.features") == str(len(frame_b))
    # different fields: each map classifies its own
    page.select_option(".maps > section:nth-of-type(2) select.field-select", "persons")
    _ready(page, "persons", 1)
    own = _classes(page, live_server, [b], "persons", "quantiles", 5)
    _check_against_server(page, own, 1)
    assert "peta ini saja" in page.locator("p.legend-note").nth(1).text_content()
    page.select_option(".maps > section:nth-of-type(2) select.field-select", "nearest_m")
    _ready(page, "nearest_m", 1)
    assert errors == []
    screenshot(page, "planner-choropleth")


@pytest.fixture
def planner_account(engine):
    username = f"perencana.{uuid.uuid4().hex[:6]}"
    with engine.begin() as conn:
        kel = conn.execute(sa.text("SELECT code FROM kelurahan ORDER BY code LIMIT 1")).scalar()
        auth.add_user(conn, username, "Perencana Kelurahan", PASSWORD, "planner", [kel])
    made: list[int] = []
    yield {"username": username, "kelurahan": kel, "runs": made}
    for run_id in made:
        background.wait(run_id, 60)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM analysis_run WHERE id = ANY(:ids)"), {"ids": made})


def test_planner_runs_a_deficit_analysis_from_the_form(page, live_server, planner_account):
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_viewport_size({"width": 1100, "height": 900})
    page.goto(f"{live_server}/perencana/jalankan")
    assert "/petugas/masuk" in page.url
    page.fill("#username", planner_account["username"])
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/perencana/jalankan")

    page.check("input[name=method][value=deficit]")
    assert page.locator("#f-complaints").is_hidden() and page.locator("#k").is_hidden()
    assert page.locator("#level").is_visible()
    page.select_option("#facility_type", "posyandu")
    page.select_option("#level", "rw")
    page.select_option("#kelurahan", planner_account["kelurahan"])
    page.click("#run-submit")
    page.wait_for_url(re.compile(r".*/perencana/runs/[0-9]+$"))
    run_id = int(page.url.rsplit("/", 1)[1])
    planner_account["runs"].append(run_id)
    wait_until(page, "document.getElementById('run').dataset.status === 'done'", timeout=60)
    assert page.locator("#run-done").is_visible() and "posyandu per rw" in page.text_content("#run-message")
    screenshot(page, "planner-run-done")
    page.click("#run-map")
    _ready(page, "gap")
    assert page.evaluate("document.querySelector('.map-box').dataset.features") == "8"
    assert errors == []
