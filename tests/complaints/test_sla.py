"""The SLA clock on known Indonesian holiday dates (the holidays package) and the office's own file."""

from __future__ import annotations

import datetime as dt

import pytest

from gis.complaints.sla import TZ, WorkCalendar
from gis.errors import ConfigError


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar()


def wib(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


def test_weekends_and_a_plain_week(cal):
    # Monday 2026-11-02 + 3 working days -> Thursday; Friday + 1 -> Monday
    assert cal.due(wib(2026, 11, 2, 9), 3) == wib(2026, 11, 5, 23, 59, 59)
    assert cal.due(wib(2026, 11, 6, 15), 1) == wib(2026, 11, 9, 23, 59, 59)


def test_idul_fitri_2026_with_cuti_bersama(cal):
    # 18 Mar cuti bersama Nyepi, 19 Nyepi, 20 cuti bersama, 21-22 Idul Fitri (weekend), 23-24 cuti bersama
    for day in (18, 19, 20, 23, 24):
        assert not cal.is_working_day(dt.date(2026, 3, day)), day
    assert cal.due(wib(2026, 3, 17, 10), 1) == wib(2026, 3, 25, 23, 59, 59)


def test_independence_day_and_christmas(cal):
    assert cal.holiday_name(dt.date(2026, 8, 17))
    assert cal.due(wib(2026, 8, 14, 10), 1) == wib(2026, 8, 18, 23, 59, 59)
    # 25 Dec 2025 Christmas (Thu), 26 Dec cuti bersama (Fri)
    assert cal.due(wib(2025, 12, 24, 10), 1) == wib(2025, 12, 29, 23, 59, 59)


def test_received_time_is_read_in_wib(cal):
    # 18:00 UTC Thursday is 01:00 WIB Friday: the clock starts on Friday
    received = dt.datetime(2026, 11, 5, 18, 0, tzinfo=dt.UTC)
    assert cal.due(received, 1) == wib(2026, 11, 9, 23, 59, 59)


def test_office_calendar_file_adds_and_removes_days(tmp_path):
    path = tmp_path / "days.csv"
    path.write_text("date,name,kind\n2026-11-30,Libur daerah,libur\n2026-12-24,Kantor buka,kerja\n")
    cal = WorkCalendar.from_file(path)
    assert cal.holiday_name(dt.date(2026, 11, 30)) == "Libur daerah"
    assert cal.is_working_day(dt.date(2026, 12, 24))  # cuti bersama in the package, worked here
    assert cal.due(wib(2026, 11, 27, 9), 1) == wib(2026, 12, 1, 23, 59, 59)
    assert not WorkCalendar().is_working_day(dt.date(2026, 12, 24))


def test_bad_calendar_rows_are_named(tmp_path):
    path = tmp_path / "days.csv"
    path.write_text("date,name,kind\n2026-13-01,x,libur\n")
    with pytest.raises(ConfigError, match="line 2"):
        WorkCalendar.from_file(path)
    path.write_text("date,name,kind\n2026-12-01,x,cuti\n")
    with pytest.raises(ConfigError, match="kind must be"):
        WorkCalendar.from_file(path)


def test_elapsed_and_remaining_working_days(cal):
    assert cal.working_days_between(wib(2026, 11, 6, 12), wib(2026, 11, 9, 12)) == pytest.approx(1.0)
    assert cal.working_days_between(wib(2026, 3, 17, 12), wib(2026, 3, 25, 12)) == pytest.approx(1.0)
    assert cal.working_days_between(wib(2026, 11, 9), wib(2026, 11, 2)) == 0.0
    due = cal.due(wib(2026, 11, 2, 9), 3)  # Thursday
    assert cal.working_days_left(due, wib(2026, 11, 2, 10)) == 3
    assert cal.working_days_left(due, wib(2026, 11, 10, 10)) == -3  # Fri, Mon, Tue after Thursday


def test_days_left_equals_a_day_by_day_count_across_years_and_office_days():
    """The per-year tables give the same answer as walking every day, over random spans of up to
    four years either way, with office days off and on in the calendar."""
    import random

    cal = WorkCalendar({dt.date(2026, 3, 2): "rapat"}, {dt.date(2026, 3, 21)})  # a Monday off, a Saturday on

    def walked(due, now):
        today, last = now.astimezone(TZ).date(), due.astimezone(TZ).date()
        lo, hi = sorted((today, last))
        count = sum(cal.is_working_day(lo + dt.timedelta(days=i)) for i in range(1, (hi - lo).days + 1))
        return count if last >= today else -count

    rng = random.Random(9)
    base = dt.datetime(2026, 3, 10, 9, tzinfo=TZ)
    for _ in range(400):
        due = base + dt.timedelta(days=rng.uniform(-1500, 1500), hours=rng.uniform(0, 24))
        now = base + dt.timedelta(days=rng.uniform(-1500, 1500))
        assert cal.working_days_left(due, now) == walked(due, now), (due, now)
    assert cal.working_days_left(base, base) == 0
