"""Periodic evaluation of complaint handling: KPIs per period, per RW and per category.

Volumes are not the score: the KPIs are rates and times.

* ``received``: complaints created in the period (duplicates included; their share is a KPI);
* ``rate_per_1000``: received per 1,000 residents (population of the latest year up to the period);
* ``first_response_days`` / ``resolution_days``: median and 90th percentile, in **working days**
  (the SLA clock's calendar), from receipt to the first status change and to ``selesai``, for the
  complaints of the period that have one;
* ``sla_compliance``: among the period's complaints whose outcome is known — closed (selesai,
  ditolak, bukan wewenang) or past their due date — the share closed by their due date;
  duplicates merged into another ticket are left out (the surviving ticket counts);
* ``disputes`` (reporters' disputes recorded in the period) and ``reopened`` (complaints of the
  period reopened at least once);
* ``duplicate_share``: complaints merged into another ticket / received;
* ``satisfaction``: mean rating (1–5) given by reporters on the ticket page, and how many rated.

Every figure is computed from ``complaint`` and ``complaint_event`` alone; no personal data.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.complaints.sla import TZ, WorkCalendar
from gis.errors import DataError

__all__ = ["Period", "parse_period", "kpis", "evaluation"]

CLOSED = ("selesai", "ditolak", "bukan_wewenang")


@dataclass(frozen=True)
class Period:
    label: str
    start: dt.datetime  # inclusive, WIB
    end: dt.datetime  # exclusive, WIB
    kind: str  # month | quarter | year

    def previous(self) -> Period:
        if self.kind == "year":
            return parse_period(str(self.start.year - 1))
        if self.kind == "quarter":
            q = (self.start.month - 1) // 3 + 1
            year, q = (self.start.year, q - 1) if q > 1 else (self.start.year - 1, 4)
            return parse_period(f"{year}-Q{q}")
        first = (self.start - dt.timedelta(days=1)).replace(day=1)
        return parse_period(f"{first:%Y-%m}")


def parse_period(text: str) -> Period:
    """``2026``, ``2026-Q3`` or ``2026-09`` as a period in WIB; say how to write it otherwise."""
    text = (text or "").strip().upper()
    if m := re.fullmatch(r"(\d{4})", text):
        y = int(m[1])
        return Period(text, _wib(y, 1), _wib(y + 1, 1), "year")
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", text):
        y, q = int(m[1]), int(m[2])
        start = _wib(y, 3 * q - 2)
        end = _wib(y + 1, 1) if q == 4 else _wib(y, 3 * q + 1)
        return Period(text, start, end, "quarter")
    if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
        y, mo = int(m[1]), int(m[2])
        if 1 <= mo <= 12:
            end = _wib(y + 1, 1) if mo == 12 else _wib(y, mo + 1)
            return Period(text, _wib(y, mo), end, "month")
    raise DataError(
        f"Periode {text!r} tidak dikenal / unknown period.", hint="Write 2026, 2026-Q3 or 2026-09."
    )


def _wib(year: int, month: int) -> dt.datetime:
    return dt.datetime(year, month, 1, tzinfo=TZ)


def _frame(conn: Connection, kelurahan: str | None, period: Period) -> pd.DataFrame:
    where = "c.created_at >= :a AND c.created_at < :b" + (" AND c.kelurahan_code = :k" if kelurahan else "")
    rows = (
        conn.execute(
            sa.text(f"""
        SELECT c.id, c.category, cat.name_id, c.rw_code, c.status, c.created_at, c.first_response_at,
               c.resolved_at, c.sla_due, c.duplicate_of IS NOT NULL AS duplicate, c.reopened_count,
               c.rating
        FROM complaint c JOIN complaint_category cat ON cat.code = c.category
        WHERE {where}"""),
            {"a": period.start, "b": period.end, "k": kelurahan},
        )
        .mappings()
        .all()
    )
    columns = [
        "id",
        "category",
        "name_id",
        "rw_code",
        "status",
        "created_at",
        "first_response_at",
        "resolved_at",
        "sla_due",
        "duplicate",
        "reopened_count",
        "rating",
    ]
    return pd.DataFrame(rows, columns=columns)


def _quantiles(values: list[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    arr = np.asarray(values, float)
    return round(float(np.median(arr)), 2), round(float(np.quantile(arr, 0.9)), 2)


def kpis(
    frame: pd.DataFrame,
    population: float | None,
    calendar: WorkCalendar,
    as_of: dt.datetime,
    disputes: int = 0,
) -> dict:
    """The KPIs of one group of complaints (see the module docstring)."""
    received = len(frame)
    first = [
        calendar.working_days_between(r.created_at, r.first_response_at)
        for r in frame.itertuples()
        if r.first_response_at is not None and not pd.isna(r.first_response_at)
    ]
    solved = [
        calendar.working_days_between(r.created_at, r.resolved_at)
        for r in frame.itertuples()
        if r.status == "selesai" and r.resolved_at is not None and not pd.isna(r.resolved_at)
    ]
    own = frame[~frame["duplicate"]] if received else frame
    known = met = 0
    for r in own.itertuples():
        closed = r.status in CLOSED and r.resolved_at is not None and not pd.isna(r.resolved_at)
        if closed:
            known += 1
            met += int(r.sla_due is None or pd.isna(r.sla_due) or r.resolved_at <= r.sla_due)
        elif r.sla_due is not None and not pd.isna(r.sla_due) and r.sla_due < as_of:
            known += 1  # still open past its due date: missed
    ratings = frame["rating"].dropna() if received else pd.Series(dtype=float)
    first_med, first_p90 = _quantiles(first)
    res_med, res_p90 = _quantiles(solved)
    return {
        "received": received,
        "population": None if population is None else int(population),
        "rate_per_1000": round(1000 * received / population, 2) if population else None,
        "first_response_median_days": first_med,
        "first_response_p90_days": first_p90,
        "resolution_median_days": res_med,
        "resolution_p90_days": res_p90,
        "resolved": len(solved),
        "sla_known": known,
        "sla_met": met,
        "sla_compliance": round(met / known, 4) if known else None,
        "disputes": disputes,
        "reopened": int((frame["reopened_count"] > 0).sum()) if received else 0,
        "duplicates": int(frame["duplicate"].sum()) if received else 0,
        "duplicate_share": round(float(frame["duplicate"].mean()), 4) if received else None,
        "satisfaction": round(float(ratings.mean()), 2) if len(ratings) else None,
        "ratings": int(len(ratings)),
    }


def _population(conn: Connection, kelurahan: str | None, year: int) -> tuple[float, dict]:
    """People in the kelurahan (or all) and per RW, from the latest year up to ``year``."""
    where = "AND kelurahan_code = :k" if kelurahan else ""
    latest = conn.execute(
        sa.text(f"SELECT max(year) FROM population WHERE year <= :y {where}"), {"y": year, "k": kelurahan}
    ).scalar()
    if latest is None:
        latest = conn.execute(
            sa.text(f"SELECT min(year) FROM population WHERE TRUE {where}"), {"k": kelurahan}
        ).scalar()
    if latest is None:
        return 0.0, {}
    rows = conn.execute(
        sa.text(f"""SELECT coalesce(rw_code, '') AS rw, rt_code IS NOT NULL AS is_rt, sum(persons) AS p
                    FROM population WHERE year = :y {where} GROUP BY 1, 2"""),
        {"y": latest, "k": kelurahan},
    ).all()
    rt_level = {r.rw: r.p for r in rows if r.is_rt}
    rw_level = {r.rw: r.p for r in rows if not r.is_rt and r.rw}
    per_rw = {**rw_level, **rt_level}  # RT sums where the RW has RT figures
    total = sum(per_rw.values())
    if not total:  # only kelurahan-level figures
        total = sum(r.p for r in rows if not r.rw)
    return float(total), {k: float(v) for k, v in per_rw.items()}


def _disputes(conn: Connection, kelurahan: str | None, period: Period) -> pd.DataFrame:
    where = " AND c.kelurahan_code = :k" if kelurahan else ""
    rows = conn.execute(
        sa.text(f"""SELECT c.rw_code, c.category FROM complaint_event e
                    JOIN complaint c ON c.id = e.complaint_id
                    WHERE e.kind = 'dispute' AND e.created_at >= :a AND e.created_at < :b {where}"""),
        {"a": period.start, "b": period.end, "k": kelurahan},
    ).all()
    return pd.DataFrame(rows, columns=["rw_code", "category"])


def evaluation(
    conn: Connection,
    kelurahan: str | None,
    period: Period | str,
    calendar: WorkCalendar | None = None,
    as_of: dt.datetime | None = None,
) -> dict:
    """KPIs for the period overall, per RW and per category, with the previous period's for trends."""
    period = parse_period(period) if isinstance(period, str) else period
    calendar = calendar or WorkCalendar()
    as_of = min(as_of or dt.datetime.now(dt.UTC), period.end)
    prev = period.previous()
    frame, before = _frame(conn, kelurahan, period), _frame(conn, kelurahan, prev)
    disputes, disputes_before = _disputes(conn, kelurahan, period), _disputes(conn, kelurahan, prev)
    population, per_rw = _population(conn, kelurahan, period.start.year)
    rws = conn.execute(
        sa.text(
            "SELECT code, name FROM rw"
            + (" WHERE kelurahan_code = :k" if kelurahan else "")
            + " ORDER BY code"
        ),
        {"k": kelurahan},
    ).all()
    by_rw = []
    for code, name in rws:
        part = frame[frame["rw_code"] == code] if len(frame) else frame
        by_rw.append(
            {
                "rw_code": code,
                "rw": name,
                **kpis(part, per_rw.get(code), calendar, as_of, int((disputes["rw_code"] == code).sum())),
            }
        )
    by_category = []
    categories = conn.execute(
        sa.text("SELECT code, name_id, name_en FROM complaint_category ORDER BY name_id")
    ).all()
    for code, name_id, name_en in categories:
        part = frame[frame["category"] == code] if len(frame) else frame
        if not len(part):
            continue
        by_category.append(
            {
                "category": code,
                "name_id": name_id,
                "name_en": name_en,
                **kpis(part, None, calendar, as_of, int((disputes["category"] == code).sum())),
            }
        )
    prev_pop, _ = _population(conn, kelurahan, prev.start.year)
    return {
        "kelurahan": kelurahan,
        "period": period,
        "previous_period": prev,
        "as_of": as_of,
        "overall": kpis(frame, population, calendar, as_of, len(disputes)),
        "previous": kpis(before, prev_pop, calendar, min(as_of, prev.end), len(disputes_before)),
        "by_rw": by_rw,
        "by_category": by_category,
        "monthly": _monthly(frame, period),
    }


def _monthly(frame: pd.DataFrame, period: Period) -> list[dict]:
    """Complaints received per month of the period (for the trend chart)."""
    months = pd.period_range(
        period.start.replace(tzinfo=None), period.end.replace(tzinfo=None) - dt.timedelta(days=1), freq="M"
    )
    if len(frame):
        local = (
            pd.to_datetime(frame["created_at"], utc=True).dt.tz_convert("Asia/Jakarta").dt.tz_localize(None)
        )
        counts = local.dt.to_period("M").value_counts()
    else:
        counts = pd.Series(dtype=int)
    return [{"month": str(m), "received": int(counts.get(m, 0))} for m in months]
