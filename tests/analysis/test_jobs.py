"""Analysis jobs on the demo data in PostGIS: recorded runs, stored outputs, the CLI, the planner map."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import shapely
import sqlalchemy as sa

from gis.analysis.emerging import CATEGORIES
from gis.analysis.jobs import AnalysisParams, list_runs, read_output, run_emerging, run_hotspots, run_kde
from gis.errors import DataError
from webmap.cli import cli


def test_hotspot_run_is_recorded_and_reproducible(conn):
    params = AnalysisParams(category="kebersihan", permutations=99, seed=3)
    run_id, frame = run_hotspots(conn, params)
    run = (
        conn.execute(
            sa.text(
                "SELECT method, status, parameters, inputs, code_version, output_layer "
                "FROM analysis_run WHERE id = :i"
            ),
            {"i": run_id},
        )
        .mappings()
        .one()
    )
    assert run["method"] == "hotspots" and run["status"] == "done" and run["output_layer"] == f"run:{run_id}"
    assert run["parameters"]["category"] == "kebersihan" and run["parameters"]["seed"] == 3
    expected = conn.execute(
        sa.text(
            "SELECT count(*) FROM complaint WHERE category = 'kebersihan' "
            "AND duplicate_of IS NULL AND status <> 'ditolak'"
        )
    ).scalar()
    assert run["inputs"]["complaints"] == expected
    stored = read_output(conn, run_id)
    assert len(stored) == len(frame) and stored["count"].sum() == expected
    assert {"count", "gi_z", "gi_p", "gi_bin", "n_neighbors", "gi_p_sim"} <= set(stored.columns)
    again_id, again = run_hotspots(conn, params)
    assert again_id != run_id and np.array_equal(again["gi_z"], frame["gi_z"])
    assert np.array_equal(again["gi_p_sim"], frame["gi_p_sim"])


def test_default_runs_leave_out_non_public_categories(conn):
    _, frame = run_hotspots(conn, AnalysisParams(shape="rw"))
    public = conn.execute(
        sa.text(
            "SELECT count(*) FROM complaint c JOIN complaint_category k ON k.code = c.category "
            "WHERE k.public AND c.status <> 'ditolak' AND c.duplicate_of IS NULL"
        )
    ).scalar()
    assert frame["count"].sum() == public
    assert public < conn.execute(sa.text("SELECT count(*) FROM complaint")).scalar()


def test_rates_per_1000_on_rt(conn):
    _, frame = run_hotspots(conn, AnalysisParams(shape="rt", rate=True))
    assert len(frame) == 290 and (frame["rate_per_1000"] >= 0).all()


def test_lisa_columns_on_request(conn):
    _, frame = run_hotspots(conn, AnalysisParams(shape="rw", lisa=True, permutations=199, seed=1))
    assert set(frame["lisa_cluster"]) <= {"HH", "LL", "HL", "LH", "ns"}
    assert frame["lisa_p_sim"].between(0, 1).all() and frame["lisa_i"].notna().all()


def test_period_filter_and_refusals(conn):
    early = AnalysisParams(date_from=dt.date(2025, 11, 1), date_to=dt.date(2025, 11, 3))
    with pytest.raises(DataError, match="needs at least 30"):
        run_hotspots(conn, early)
    with pytest.raises(DataError, match="hex, square, rw or rt"):
        run_hotspots(conn, AnalysisParams(shape="circle"))


def test_kde_run_integrates_to_the_count(conn):
    run_id, frame = run_kde(conn, AnalysisParams(category="jalan_rusak"))
    inputs = conn.execute(sa.text("SELECT inputs FROM analysis_run WHERE id = :i"), {"i": run_id}).scalar()
    assert inputs["integral"] == pytest.approx(inputs["complaints"], rel=1e-3)


def test_emerging_run_drops_the_incomplete_last_month(conn):
    run_id, frame = run_emerging(conn, AnalysisParams())
    inputs = conn.execute(sa.text("SELECT inputs FROM analysis_run WHERE id = :i"), {"i": run_id}).scalar()
    assert inputs["steps"] == 12 and inputs["last"] == "2026-10"
    assert set(frame["category"]) <= set(CATEGORIES)
    assert run_id in [r["id"] for r in list_runs(conn)]


def test_cli_writes_the_output_file(runner, tmp_path, monkeypatch, database_url):
    import geopandas as gpd

    monkeypatch.setenv("DATABASE_URL", database_url)
    out = tmp_path / "hot.geojson"
    result = runner.invoke(
        cli, ["analyze", "hotspots", "--shape", "rw", "--category", "kebersihan", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    frame = gpd.read_file(out)
    assert len(frame) == 30 and {"count", "gi_z", "gi_p", "gi_bin", "n_neighbors"} <= set(frame.columns)
    bad = runner.invoke(cli, ["analyze", "hotspots", "--band", "far"])
    assert bad.exit_code != 0 and "number of metres" in bad.output


def test_planner_pages(client, conn):
    run_id, _ = run_hotspots(conn, AnalysisParams(shape="rw"))
    page = client.get("/perencana/").get_data(as_text=True)
    assert f'value="{run_id}"' in page
    assert client.get(f"/perencana/runs/{run_id}.geojson").get_json()["run"] == run_id
    assert client.get("/perencana/runs/987654.geojson").status_code == 404
    compare = client.get(f"/perencana/peta?run={run_id}&run={run_id}").get_data(as_text=True)
    assert compare.count('class="map-box"') == 2 and "Titik panas, kepercayaan 99%" in compare


def test_analysis_output_exports_like_any_layer(conn, tmp_path):
    import geopandas as gpd

    from gis.io import export_layer

    run_id, frame = run_hotspots(conn, AnalysisParams(shape="rw"))
    assert export_layer(conn, "analysis", "gpkg", tmp_path / "run.gpkg", run=run_id) == len(frame)
    back = gpd.read_file(tmp_path / "run.gpkg")
    assert list(back["gi_bin"]) == list(frame["gi_bin"]) and np.allclose(back["gi_z"], frame["gi_z"])
    with pytest.raises(DataError, match="--run"):
        export_layer(conn, "analysis", "gpkg", tmp_path / "x.gpkg")


def test_catalogue_filters_by_analysed_period(client, conn):
    early, _ = run_hotspots(
        conn, AnalysisParams(date_from=dt.date(2025, 11, 1), date_to=dt.date(2026, 3, 31))
    )
    late, _ = run_hotspots(conn, AnalysisParams(date_from=dt.date(2026, 5, 1), date_to=dt.date(2026, 10, 31)))
    ids = [r["id"] for r in list_runs(conn, period_from=dt.date(2026, 6, 1), period_to=dt.date(2026, 6, 30))]
    assert late in ids and early not in ids
    page = client.get("/perencana/?from=2025-12-01&to=2026-01-31").get_data(as_text=True)
    assert f'value="{early}"' in page and f'value="{late}"' not in page
    assert client.get("/perencana/?from=kemarin").status_code == 422


def test_knn_weights_option(conn):
    run_id, frame = run_hotspots(conn, AnalysisParams(category="kebersihan", knn=8))
    assert (frame["n_neighbors"] == 9).all()  # eight neighbours and the cell itself


def test_private_categories_only_on_purpose_and_never_served(client, conn):
    with pytest.raises(DataError, match="not public"):
        run_hotspots(conn, AnalysisParams(category="sosial", shape="rw"))
    run_id, _ = run_hotspots(
        conn, AnalysisParams(category="sosial", shape="rw", extra={"allow_private": True})
    )
    assert client.get(f"/perencana/runs/{run_id}.geojson").status_code == 404
    assert f'value="{run_id}"' not in client.get("/perencana/").get_data(as_text=True)


def test_units_without_population_are_not_false_zeros(conn):
    conn.execute(sa.text("DELETE FROM population WHERE rt_code IS NULL AND rw_code = '31.71.05.1001.RW001'"))
    _, frame = run_hotspots(conn, AnalysisParams(shape="rw", rate=True))
    assert frame["rate_per_1000"].min() > 0


def test_automatic_cells_are_capped_for_very_dense_data():
    from gis.analysis.jobs import MAX_AUTO_CELLS, _capped

    area = shapely.box(0, 0, 3000, 3000)
    notes = {}
    assert _capped(2.0, area, notes) == pytest.approx(np.sqrt(9e6 / MAX_AUTO_CELLS))
    assert "enlarged" in notes["cell_size_rule"]
    assert _capped(50.0, area, {}) == 50.0
