"""The printable evaluation report: its numbers are the evaluation's, which tests/test_evaluation.py
checks against SQL; here: the HTML carries them, the map and charts are there, PDF prints."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from gis.reports import build_report, render_html, to_pdf
from webmap.cli import cli

KEL = "31.71.05.1001"


@pytest.fixture(scope="module")
def report(engine):
    with engine.connect() as conn, conn.begin() as tx:
        data = build_report(conn, KEL, "2026-Q3")
        tx.rollback()  # the hot spot run it records is not kept
    return data


def test_report_html_shows_the_kpis_map_and_charts(report, engine):
    html = render_html(report)
    o = report["overall"]
    with engine.connect() as conn:
        received = conn.execute(
            sa.text(
                "SELECT count(*) FROM complaint WHERE kelurahan_code = :k AND created_at >= :a "
                "AND created_at < :b"
            ),
            {"k": KEL, "a": report["period"].start, "b": report["period"].end},
        ).scalar()
        rws = conn.execute(sa.text("SELECT count(*) FROM rw WHERE kelurahan_code = :k"), {"k": KEL}).scalar()
    assert o["received"] == received
    assert f'id="kpi-received">{received}<' in html.replace(".", "")
    assert html.count("<path ") == rws and 'class="map"' in html and html.count('class="chart"') == 2
    assert len(re.findall(r'<tr data-rw="', html)) == rws
    assert "Laporan evaluasi pelayanan pengaduan warga" in html
    assert "Titik panas periode ini" in html and "Getis-Ord" in html
    fetched = html.replace('xmlns="http://www.w3.org/2000/svg"', "")  # a namespace, not a download
    assert "http://" not in fetched and "https://" not in fetched and "<script" not in html  # self-contained


def test_report_has_no_personal_data(report, engine):
    html = render_html(report)
    with engine.connect() as conn:
        descriptions = (
            conn.execute(
                sa.text("SELECT description FROM complaint WHERE kelurahan_code = :k LIMIT 50"), {"k": KEL}
            )
            .scalars()
            .all()
        )
    assert not [d for d in descriptions if d in html]


def test_pdf_is_printed_by_headless_chromium(report, tmp_path):
    out = to_pdf(render_html(report), tmp_path / "laporan.pdf")
    data = out.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 20_000
    assert len(re.findall(rb"/Type\s*/Page[^s]", data)) >= 2


def test_cli_report_html_and_errors(runner, tmp_path, monkeypatch, database_url):
    monkeypatch.setenv("DATABASE_URL", database_url)
    out = tmp_path / "laporan.html"
    result = runner.invoke(
        cli,
        [
            "report",
            "--kelurahan",
            KEL,
            "--period",
            "2026-Q3",
            "--format",
            "html",
            "--out",
            str(out),
            "--no-hotspots",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (
        "SLA" in result.output
        and out.read_text().startswith("<!doctype html>")
        or "<!doctype html>" in out.read_text()
    )
    bad = runner.invoke(cli, ["report", "--period", "Q3", "--out", str(out)])
    assert bad.exit_code != 0 and "2026-Q3" in bad.output
    bad = runner.invoke(
        cli, ["report", "--kelurahan", "99.99.99.9999", "--period", "2026", "--out", str(out)]
    )
    assert bad.exit_code != 0 and "unknown kelurahan" in bad.output
