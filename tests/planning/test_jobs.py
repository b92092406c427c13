"""Planning jobs on the demo data: recorded analysis runs with stored output layers."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa

from gis.analysis.jobs import read_output
from gis.errors import DataError
from gis.planning.jobs import PlanningParams, run_accessibility, run_coverage, run_deficit, run_siting
from gis.planning.standards import load_table


def _run(conn, run_id: int) -> dict:
    return dict(
        conn.execute(
            sa.text(
                "SELECT method, status, kelurahan_code, parameters, inputs, code_version, output_layer, "
                "timings FROM analysis_run WHERE id = :i"
            ),
            {"i": run_id},
        )
        .mappings()
        .one()
    )


def _population(conn) -> int:
    return conn.execute(
        sa.text("SELECT sum(persons) FROM population WHERE year = 2026 AND rt_code IS NOT NULL")
    ).scalar()


def test_coverage_run_is_recorded(conn):
    run_id, frame = run_coverage(conn, PlanningParams(facility_type="posyandu"))
    run = _run(conn, run_id)
    assert run["method"] == "coverage" and run["status"] == "done" and run["output_layer"] == f"run:{run_id}"
    assert run["parameters"]["facility_type"] == "posyandu" and run["code_version"]
    assert run["inputs"]["population"] == _population(conn) and 0 <= run["inputs"]["share_covered"] <= 1
    assert run["inputs"]["facilities"] >= 60 and "total_s" in run["timings"]
    stored = read_output(conn, run_id)
    assert len(stored) == len(frame)
    demand = stored[stored["kind"] == "demand"]
    assert len(demand) == 290 and demand["persons"].sum() == _population(conn)
    covered = demand.loc[demand["covered"], "persons"].sum()
    assert covered / demand["persons"].sum() == pytest.approx(run["inputs"]["share_covered"], abs=1e-6)
    assert (demand["nearest_m"] >= 0).all() and (demand["density_ha"] > 0).all()


def test_coverage_on_a_grid_shows_the_uncovered_area(conn):
    params = PlanningParams(facility_type="puskesmas_pembantu", cell_size=100, kelurahan=["31.71.05.1001"])
    run_id, frame = run_coverage(conn, params)
    run = _run(conn, run_id)
    assert run["kelurahan_code"] == "31.71.05.1001" and run["inputs"]["demand"] == "grid"
    demand = frame[frame["kind"] == "demand"]
    assert demand["persons"].sum() == run["inputs"]["population"]
    holes = frame[frame["kind"] == "uncovered"]
    assert run["inputs"]["uncovered_ha"] == pytest.approx(holes["area_ha"].sum(), abs=1e-3)
    if run["inputs"]["share_covered"] < 1:  # uncovered people live in an uncovered area
        assert len(holes) > 0


def test_accessibility_run_conserves_supply(conn):
    for variant in ("catchment", "gaussian", "step"):
        run_id, frame = run_accessibility(conn, PlanningParams(facility_type="posyandu", variant=variant))
        inputs = _run(conn, run_id)["inputs"]
        assert _run(conn, run_id)["method"] == "accessibility"
        # Σ A_i P_i = Σ S_j over facilities with demand in reach (≤ Σ S_j in all)
        assert inputs["sum_access_x_population"] == pytest.approx(inputs["supply_reaching_demand"], rel=1e-9)
        assert inputs["supply_reaching_demand"] <= inputs["supply_total"]
        assert (frame["adequately_served"] == (frame["access"] >= 1)).all()
        stored = read_output(conn, run_id)
        assert np.allclose(stored["access"], frame["access"], atol=1e-6)


def test_deficit_run_per_rw_and_kelurahan(conn):
    run_id, frame = run_deficit(conn, PlanningParams(facility_type="posyandu", level="rw"))
    assert _run(conn, run_id)["method"] == "deficit" and len(frame) == 30
    assert (frame["required"] == np.ceil(frame["population"] / 1250)).all()
    assert (frame["gap"] == np.maximum(frame["required"] - frame["existing"], 0)).all()
    assert (frame["land_needed_m2"] == frame["gap"] * 60).all()
    assert frame["existing"].sum() == 60 and frame["population"].sum() == _population(conn)
    _, kel = run_deficit(conn, PlanningParams(facility_type="puskesmas_pembantu", level="kelurahan"))
    assert len(kel) == 3 and (kel["required"] == np.ceil(kel["population"] / 30_000)).all()
    stored = read_output(conn, run_id)
    assert stored["gap"].sum() == frame["gap"].sum()
    with pytest.raises(DataError, match="per 'rw' or 'kelurahan'"):
        run_deficit(conn, PlanningParams(level="rt"))


def test_deficit_uses_the_kelurahan_override(conn, tmp_path):
    path = tmp_path / "overrides.csv"
    path.write_text(
        "kelurahan_code,facility_type,population_served,radius_m,min_land_m2\n31.71.05.1001,posyandu,500,,100\n"
    )
    _, frame = run_deficit(
        conn, PlanningParams(facility_type="posyandu"), table=load_table(overrides_path=path)
    )
    mine = frame[frame["kelurahan_code"] == "31.71.05.1001"]
    other = frame[frame["kelurahan_code"] != "31.71.05.1001"]
    assert (mine["population_served"] == 500).all() and (mine["min_land_m2"] == 100).all()
    assert (other["population_served"] == 1250).all() and (other["min_land_m2"] == 60).all()


def test_siting_run_picks_in_order(conn):
    params = PlanningParams(facility_type="puskesmas_pembantu", k=3, candidate_spacing=150)
    run_id, frame = run_siting(conn, params)
    run = _run(conn, run_id)
    assert run["method"] == "siting" and run["parameters"]["k"] == 3 and 0 < len(frame) <= 3
    gains = frame["population_gained"].to_numpy()
    assert (np.diff(gains) <= 0).all() and (gains > 0).all()
    assert frame["cumulative_covered"].iloc[-1] == pytest.approx(
        run["inputs"]["covered_before"] + gains.sum()
    )
    assert frame.geometry.geom_type.eq("Point").all()
    with pytest.raises(DataError, match="no service radius"):
        run_siting(conn, PlanningParams(facility_type="kantor_kelurahan"))
