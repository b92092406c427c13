"""Evaluation KPIs for the demo data, checked against SQL and arithmetic written independently here."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import holidays
import numpy as np
import pytest
import sqlalchemy as sa

from gis.errors import DataError
from gis.evaluation import evaluation, parse_period

KEL = "31.71.05.1001"
WIB = ZoneInfo("Asia/Jakarta")
START, END = dt.datetime(2026, 7, 1, tzinfo=WIB), dt.datetime(2026, 10, 1, tzinfo=WIB)


@pytest.fixture(scope="module")
def result(engine):
    with engine.connect() as conn:
        return evaluation(conn, KEL, "2026-Q3")


def _scalar(conn, sql, **params):
    return conn.execute(sa.text(sql), {"k": KEL, "a": START, "b": END, **params}).scalar()


def _working_days(a: dt.datetime, b: dt.datetime) -> float:
    """Seconds from a to b minus those on weekends and Indonesian holidays (incl. cuti bersama)."""
    off = holidays.country_holidays("ID", categories=("public", "government"))
    a, b = a.astimezone(WIB), b.astimezone(WIB)
    total = (b - a).total_seconds()
    day = a.date()
    while day <= b.date():
        if day.weekday() >= 5 or day in off:
            lo = max(a, dt.datetime.combine(day, dt.time(0), tzinfo=WIB))
            hi = min(b, dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=WIB))
            total -= max((hi - lo).total_seconds(), 0)
        day += dt.timedelta(days=1)
    return total / 86400


def test_periods_parse_and_step_back():
    q = parse_period("2026-q3")
    assert (q.start, q.end, q.previous().label) == (START, END, "2026-Q2")
    assert parse_period("2026-01").previous().label == "2025-12"
    assert parse_period("2026").previous().label == "2025"
    with pytest.raises(DataError, match="2026-Q3"):
        parse_period("kuartal tiga")


def test_volumes_rates_and_shares_match_sql(engine, result):
    o = result["overall"]
    with engine.connect() as conn:
        received = _scalar(
            conn,
            "SELECT count(*) FROM complaint WHERE kelurahan_code = :k "
            "AND created_at >= :a AND created_at < :b",
        )
        year = _scalar(conn, "SELECT max(year) FROM population WHERE kelurahan_code = :k AND year <= 2026")
        people = _scalar(
            conn,
            "SELECT sum(persons) FROM population WHERE kelurahan_code = :k "
            "AND rt_code IS NOT NULL AND year = :y",
            y=year,
        )
        duplicates = _scalar(
            conn,
            "SELECT count(*) FROM complaint WHERE kelurahan_code = :k AND created_at >= :a "
            "AND created_at < :b AND duplicate_of IS NOT NULL",
        )
        disputes = _scalar(
            conn,
            "SELECT count(*) FROM complaint_event e JOIN complaint c ON c.id = e.complaint_id "
            "WHERE e.kind = 'dispute' AND c.kelurahan_code = :k AND e.created_at >= :a "
            "AND e.created_at < :b",
        )
        known, met = conn.execute(
            sa.text("""SELECT count(*) FILTER (WHERE (status IN ('selesai', 'ditolak', 'bukan_wewenang')
                                                      AND resolved_at IS NOT NULL) OR sla_due < :b),
                              count(*) FILTER (WHERE status IN ('selesai', 'ditolak', 'bukan_wewenang')
                                                 AND resolved_at IS NOT NULL AND resolved_at <= sla_due)
                       FROM complaint WHERE kelurahan_code = :k AND created_at >= :a AND created_at < :b
                         AND duplicate_of IS NULL"""),
            {"k": KEL, "a": START, "b": END},
        ).one()
    assert received > 100 and o["received"] == received
    assert o["rate_per_1000"] == pytest.approx(1000 * received / people, abs=0.01)
    assert o["duplicates"] == duplicates and o["disputes"] == disputes
    assert (o["sla_known"], o["sla_met"]) == (known, met)
    assert o["sla_compliance"] == pytest.approx(met / known, abs=1e-4)
    assert sum(r["received"] for r in result["by_rw"]) == received
    assert sum(c["received"] for c in result["by_category"]) == received
    assert sum(m["received"] for m in result["monthly"]) == received and len(result["monthly"]) == 3


def test_times_in_working_days_match_an_independent_count(engine, result):
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT created_at, first_response_at, resolved_at, status FROM complaint "
                "WHERE kelurahan_code = :k AND created_at >= :a AND created_at < :b"
            ),
            {"k": KEL, "a": START, "b": END},
        ).all()
    first = [_working_days(r.created_at, r.first_response_at) for r in rows if r.first_response_at]
    solved = [
        _working_days(r.created_at, r.resolved_at) for r in rows if r.status == "selesai" and r.resolved_at
    ]
    o = result["overall"]
    assert o["first_response_median_days"] == pytest.approx(np.median(first), abs=0.01)
    assert o["first_response_p90_days"] == pytest.approx(np.quantile(first, 0.9), abs=0.01)
    assert o["resolution_median_days"] == pytest.approx(np.median(solved), abs=0.01)
    assert o["resolution_p90_days"] == pytest.approx(np.quantile(solved, 0.9), abs=0.01)


def test_previous_period_is_computed_the_same_way(engine, result):
    with engine.connect() as conn:
        before = _scalar(
            conn,
            "SELECT count(*) FROM complaint WHERE kelurahan_code = :k AND created_at >= :a "
            "AND created_at < :b",
            a=dt.datetime(2026, 4, 1, tzinfo=WIB),
            b=START,
        )
    assert result["previous"]["received"] == before
