"""The SLA clock in working days, in the office's time zone (WIB).

A complaint received on day D starts its clock on D; its due time is the end of the N-th working day
after D (so one received on Friday with a 2-day tier is due at the end of Tuesday). Working days are
Monday to Friday minus Indonesia's public holidays and *cuti bersama* (the ``holidays`` package) and
minus/plus the office's own calendar file (``data/calendar/non_working_days.csv``).
"""

from __future__ import annotations

import csv
import datetime as dt
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from gis.errors import ConfigError

__all__ = ["WorkCalendar", "TZ", "calendar_for"]

TZ = ZoneInfo("Asia/Jakarta")


class WorkCalendar:
    """Working days of an Indonesian government office.

    Parameters
    ----------
    extra_off : dict[date, str]
        Extra days off (local holidays, new decrees).
    extra_on : set[date]
        Days the office works although the national calendar lists them as off.
    """

    def __init__(self, extra_off: dict[dt.date, str] | None = None, extra_on: set[dt.date] | None = None):
        import holidays

        self._national = holidays.country_holidays("ID", categories=("public", "government"))
        self._extra_off = dict(extra_off or {})
        self._extra_on = set(extra_on or ())
        self._years: dict[int, list[int]] = {}  # per year: working days from 1 January to each day

    @classmethod
    def from_file(cls, path: str | Path) -> WorkCalendar:
        """Read ``date,name,kind`` rows (kind ``libur`` or ``kerja``); say which row is wrong."""
        off, on = {}, set()
        path = Path(path)
        if not path.exists():
            return cls()
        with path.open(newline="", encoding="utf-8") as handle:
            for number, row in enumerate(csv.DictReader(handle), start=2):
                try:
                    day = dt.date.fromisoformat((row.get("date") or "").strip())
                except ValueError:
                    raise ConfigError(
                        f"{path}, line {number}: date {row.get('date')!r} is not YYYY-MM-DD"
                    ) from None
                kind = (row.get("kind") or "libur").strip().lower()
                if kind == "libur":
                    off[day] = (row.get("name") or "libur").strip()
                elif kind == "kerja":
                    on.add(day)
                else:
                    raise ConfigError(f"{path}, line {number}: kind must be 'libur' or 'kerja', not {kind!r}")
        return cls(off, on)

    def holiday_name(self, day: dt.date) -> str | None:
        """Why ``day`` is off, or None when it is a working day."""
        if day in self._extra_on:
            return None
        if day in self._extra_off:
            return self._extra_off[day]
        if day.weekday() >= 5:
            return "akhir pekan"
        name = self._national.get(day)
        return name or None

    def is_working_day(self, day: dt.date) -> bool:
        return self.holiday_name(day) is None

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        """The N-th working day after ``day`` (N >= 0; N = 0 gives ``day`` itself)."""
        if n < 0:
            raise ValueError("n must be >= 0")
        current = day
        while n > 0:
            current += dt.timedelta(days=1)
            if self.is_working_day(current):
                n -= 1
        return current

    def due(self, received: dt.datetime, days: int) -> dt.datetime:
        """End (23:59:59 WIB) of the ``days``-th working day after the day ``received`` falls on."""
        local = _aware(received).astimezone(TZ)
        last = self.add_working_days(local.date(), days)
        return dt.datetime.combine(last, dt.time(23, 59, 59), tzinfo=TZ)

    def working_days_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Elapsed working time from ``start`` to ``end`` in working days (fractional, >= 0).

        Each working day counts 24 hours; days off count nothing. Used for "days to resolution".
        """
        a, b = _aware(start).astimezone(TZ), _aware(end).astimezone(TZ)
        if b <= a:
            return 0.0
        total = 0.0
        day = a.date()
        while day <= b.date():
            if self.is_working_day(day):
                lo = max(a, dt.datetime.combine(day, dt.time(0), tzinfo=TZ))
                hi = min(b, dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=TZ))
                total += max((hi - lo).total_seconds(), 0.0) / 86400
            day += dt.timedelta(days=1)
        return total

    def _upto(self, day: dt.date) -> int:
        """Working days from 1 January of ``day``'s year up to and including ``day`` (one table per
        year, built once: the staff queue asks this for every row)."""
        table = self._years.get(day.year)
        if table is None:
            table, count, current = [], 0, dt.date(day.year, 1, 1)
            while current.year == day.year:
                count += self.is_working_day(current)
                table.append(count)
                current += dt.timedelta(days=1)
            self._years[day.year] = table
        return table[day.timetuple().tm_yday - 1]

    def working_days_in(self, lo: dt.date, hi: dt.date) -> int:
        """Working days in the half-open range (lo, hi]; 0 when hi <= lo."""
        if hi <= lo:
            return 0
        total = self._upto(hi) - self._upto(lo)
        for year in range(lo.year, hi.year):
            total += self._upto(dt.date(year, 12, 31))
        return total

    def working_days_left(self, due: dt.datetime, now: dt.datetime) -> int:
        """Whole working days from today to the due day (negative when overdue)."""
        today, last = _aware(now).astimezone(TZ).date(), _aware(due).astimezone(TZ).date()
        if last >= today:
            return self.working_days_in(today, last)
        return -self.working_days_in(last, today)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=TZ)


@lru_cache(maxsize=8)
def _cached(path: str, mtime: float) -> WorkCalendar:
    return WorkCalendar.from_file(path)


def calendar_for(path: str | Path) -> WorkCalendar:
    """The calendar of a file, cached until the file changes."""
    path = Path(path)
    mtime = path.stat().st_mtime if path.exists() else 0.0
    return _cached(str(path), mtime)
