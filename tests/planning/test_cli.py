"""sigkel analyze coverage|accessibility|deficit|siting|evidence write their files and say what is wrong."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa

from webmap.cli import cli

KEL = "31.71.05.1001"


def test_planning_commands_write_their_layers(runner, tmp_path, monkeypatch, database_url, engine):
    monkeypatch.setenv("DATABASE_URL", database_url)
    for command, extra, check in [
        (
            "deficit",
            ["--type", "sd"],
            lambda f: {"required", "existing", "gap", "land_needed_m2"} <= set(f.columns),
        ),
        ("coverage", ["--type", "posyandu"], lambda f: len(f) > 0),
        ("accessibility", ["--type", "posyandu", "--variant", "gaussian"], lambda f: len(f) > 0),
        ("siting", ["--type", "posyandu", "-k", "2"], lambda f: len(f) <= 2),
    ]:
        out = tmp_path / f"{command}.geojson"
        result = runner.invoke(cli, ["analyze", command, "--kelurahan", KEL, *extra, "--out", str(out)])
        assert result.exit_code == 0, (command, result.output)
        assert result.output.startswith("Run ")
        assert check(gpd.read_file(out)), command
    xlsx = tmp_path / "bukti.xlsx"
    result = runner.invoke(cli, ["analyze", "evidence", "--kelurahan", KEL, "--out", str(xlsx)])
    assert result.exit_code == 0, result.output
    with engine.connect() as conn:
        rws = conn.execute(sa.text("SELECT count(*) FROM rw WHERE kelurahan_code = :k"), {"k": KEL}).scalar()
    assert len(pd.read_excel(xlsx, sheet_name="Bukti per RW")) == rws
    bad = runner.invoke(cli, ["analyze", "deficit", "--type", "kapal_selam"])
    assert bad.exit_code != 0 and "kapal_selam" in bad.output
    bad = runner.invoke(cli, ["analyze", "evidence", "--out", str(tmp_path / "x.pdf")])
    assert bad.exit_code != 0 and ".csv or .xlsx" in bad.output


def test_a_type_with_no_facilities_at_all_reports_nothing_covered(conn):
    """Regression: an empty facility query came back without a CRS and the job crashed."""
    import sqlalchemy as sa

    from gis.planning.jobs import PlanningParams, run_coverage
    from gis.planning.standards import default_table

    std = default_table().standard_for(None, "puskesmas")
    conn.execute(
        sa.text("DELETE FROM facility WHERE category = ANY(:c)"), {"c": list(std.facility_categories)}
    )
    run_id, frame = run_coverage(conn, PlanningParams(facility_type="puskesmas", kelurahan=[KEL]))
    inputs = conn.execute(sa.text("SELECT inputs FROM analysis_run WHERE id = :i"), {"i": run_id}).scalar()
    assert inputs["facilities"] == 0 and len(frame) > 0
