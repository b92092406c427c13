"""The Musrenbang evidence table per RW, checked against SQL written independently here."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from gis.planning.evidence import evidence_table

NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


@pytest.fixture
def table(conn):
    return evidence_table(conn, now=NOW, types=("posyandu", "sd"))


def test_one_row_per_rw_with_population_and_complaint_rates(conn, table):
    assert len(table) == conn.execute(sa.text("SELECT count(*) FROM rw")).scalar() == 30
    year = table.attrs["year"]
    people = dict(
        conn.execute(
            sa.text(
                "SELECT rw_code, sum(persons) FROM population WHERE rt_code IS NOT NULL AND year = :y "
                "GROUP BY rw_code"
            ),
            {"y": year},
        ).all()
    )
    complaints = dict(
        conn.execute(
            sa.text("""SELECT c.rw_code, count(*) FROM complaint c
                       JOIN complaint_category k ON k.code = c.category
                       WHERE k.public AND c.duplicate_of IS NULL AND c.created_at >= :a AND c.created_at < :b
                       GROUP BY c.rw_code"""),
            {"a": NOW - dt.timedelta(days=365), "b": NOW},
        ).all()
    )
    for row in table.itertuples():
        assert row.population == people[row.rw_code]
        assert row.complaints == complaints.get(row.rw_code, 0)
        assert row.complaints_per_1000 == pytest.approx(1000 * row.complaints / row.population, abs=0.01)


def test_coverage_shares_and_deficits_are_consistent(conn, table):
    for ftype in ("posyandu", "sd"):
        share = table[f"{ftype}_covered_share"]
        assert share.between(0, 1).all()
        required = -(-table["population"] // {"posyandu": 1250, "sd": 1600}[ftype])
        assert (table[f"{ftype}_required"] == required).all()
        assert (table[f"{ftype}_gap"] == (required - table[f"{ftype}_existing"]).clip(lower=0)).all()
    existing = conn.execute(
        sa.text(
            "SELECT count(*) FROM facility WHERE public AND category = 'posyandu' AND rw_code IS NOT NULL"
        )
    ).scalar()
    assert table["posyandu_existing"].sum() == existing


def test_csv_and_xlsx_downloads_carry_indonesian_headers(table, tmp_path):
    import pandas as pd

    from gis.planning.evidence import to_csv, to_xlsx

    to_csv(table, tmp_path / "bukti.csv")
    back = pd.read_csv(tmp_path / "bukti.csv", encoding="utf-8-sig")
    assert len(back) == len(table) and "Laporan per 1.000 jiwa" in back.columns
    assert any(c.startswith("Posyandu") for c in back.columns)
    to_xlsx(table, tmp_path / "bukti.xlsx")
    sheets = pd.read_excel(tmp_path / "bukti.xlsx", sheet_name=None)
    assert set(sheets) == {"Bukti per RW", "Keterangan"} and len(sheets["Bukti per RW"]) == len(table)
