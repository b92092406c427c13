"""The standards table: it loads, bad files are refused with file/line/column, overrides merge."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from gis.config import project_root
from gis.errors import DataError
from gis.planning.standards import LEVELS, load_overrides, load_standards, load_table, standard_for

STANDARDS = project_root() / "data" / "standards" / "sni_03_1733_2004.csv"
HEADER = (
    "facility_type,name_id,name_en,population_served,radius_m,min_land_m2,level,"
    "facility_categories,source,verified\n"
)
GOOD = "posyandu,Posyandu,Health post,1250,500,60,rw,posyandu,test,no\n"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_project_standards_load_and_are_consistent():
    standards = load_standards()
    assert {"posyandu", "puskesmas_pembantu", "sd", "smp", "sma", "tk", "musala", "taman_rw"} <= set(
        standards
    )
    posyandu = standards["posyandu"]
    assert posyandu.population_served == 1250 and posyandu.radius_m == 500 and posyandu.min_land_m2 == 60
    assert posyandu.facility_categories == ("posyandu",)
    for std in standards.values():
        assert std.level in LEVELS and std.population_served > 0 and std.source
    # the verified flag is data: only rows whose numbers were read in the standard's text say yes
    with STANDARDS.open(encoding="utf-8") as fh:
        flags = {row["facility_type"]: row["verified"] for row in csv.DictReader(fh)}
    assert set(flags.values()) <= {"yes", "no"}
    assert flags["pos_kamling"] == "yes" and flags["posyandu"] == "no"


def test_default_overrides_file_is_header_only():
    assert load_overrides(None, load_standards()) == {}
    assert standard_for("31.71.05.1001", "posyandu") == load_standards()["posyandu"]


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ("posyandu,Posyandu,Health post,many,500,60,rw,posyandu,test,no", "population_served"),
        ("posyandu,Posyandu,Health post,0,500,60,rw,posyandu,test,no", "population_served"),
        ("posyandu,Posyandu,Health post,1250,-5,60,rw,posyandu,test,no", "radius_m"),
        ("posyandu,Posyandu,Health post,1250,500,60,desa,posyandu,test,no", "level"),
        ("posyandu,Posyandu,Health post,1250,500,60,rw,posyandu;warung,test,no", "facility_categories"),
        ("posyandu,Posyandu,Health post,1250,500,60,rw,posyandu,test,maybe", "verified"),
        ("Posyandu!,Posyandu,Health post,1250,500,60,rw,posyandu,test,no", "facility_type"),
        ("posyandu,,Health post,1250,500,60,rw,posyandu,test,no", "name_id"),
    ],
)
def test_bad_standards_name_file_line_and_column(tmp_path, row, column):
    path = _write(tmp_path, "mine.csv", HEADER + "sd,SD,Primary,1600,1000,2000,rw,sd,test,no\n" + row + "\n")
    with pytest.raises(DataError) as err:
        load_standards(path)
    assert f"mine.csv, line 3, column {column!r}" in str(err.value)


def test_duplicates_missing_columns_and_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"line 3, column 'facility_type'.*twice"):
        load_standards(_write(tmp_path, "dup.csv", HEADER + GOOD + GOOD))
    with pytest.raises(DataError, match=r"cols.csv, line 1: missing column\(s\) verified"):
        load_standards(_write(tmp_path, "cols.csv", HEADER.replace(",verified", "") + GOOD[:-4] + "\n"))
    with pytest.raises(DataError, match="does not exist"):
        load_standards(tmp_path / "nothing.csv")


OVERRIDE_HEADER = "kelurahan_code,facility_type,population_served,radius_m,min_land_m2\n"


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ("31.71.05,posyandu,1000,,", "kelurahan_code"),
        ("31.71.05.1001,warnet,1000,,", "facility_type"),
        ("31.71.05.1001,posyandu,1000.5,,", "population_served"),
        ("31.71.05.1001,posyandu,,abc,", "radius_m"),
    ],
)
def test_bad_overrides_name_line_and_column(tmp_path, row, column):
    path = _write(tmp_path, "over.csv", OVERRIDE_HEADER + row + "\n")
    with pytest.raises(DataError) as err:
        load_overrides(path, load_standards())
    assert f"over.csv, line 2, column {column!r}" in str(err.value)


def test_overrides_win_for_their_kelurahan_only(tmp_path):
    path = _write(
        tmp_path,
        "over.csv",
        OVERRIDE_HEADER + "31.71.05.1001,posyandu,1000,400,\n31.71.05.1002,sd,,1500,\n",
    )
    table = load_table(overrides_path=path)
    mine = table.standard_for("31.71.05.1001", "posyandu")
    assert (mine.population_served, mine.radius_m, mine.min_land_m2) == (1000, 400, 60)  # blank keeps 60
    assert mine.overridden_for == "31.71.05.1001"
    other = table.standard_for("31.71.05.1002", "posyandu")
    assert (other.population_served, other.radius_m, other.overridden_for) == (1250, 500, None)
    assert table.standard_for(None, "posyandu").population_served == 1250
    assert table.standard_for("31.71.05.1002", "sd").radius_m == 1500
    assert table.standard_for("31.71.05.1002", "sd").population_served == 1600
    with pytest.raises(DataError, match="Unknown facility type"):
        table.standard_for("31.71.05.1001", "warnet")
    dup = _write(tmp_path, "dup.csv", OVERRIDE_HEADER + "31.71.05.1001,sd,1,,\n31.71.05.1001,sd,2,,\n")
    with pytest.raises(DataError, match="line 3.*twice"):
        load_overrides(dup, load_standards())
