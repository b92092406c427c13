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
