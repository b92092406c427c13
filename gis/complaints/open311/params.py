"""Open311 GET requests' filters: W3C datetimes, the 90-day / 1000-request window, 400 errors."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from gis.complaints.sla import TZ
from gis.errors import DataError

__all__ = [
    "MAX_REQUESTS",
    "DEFAULT_DAYS",
    "MAX_IDS",
    "BadRequest",
    "RequestQuery",
    "parse_request_query",
    "parse_w3c",
]

MAX_REQUESTS = 1000  # the spec's default volume: 90 days or 1000 requests, whichever is smaller
DEFAULT_DAYS = 90
MAX_IDS = 1000


class BadRequest(DataError):
    """A malformed Open311 request: the spec answers these with HTTP 400."""

    http_status = 400
    code = "bad-request"


_W3C = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d{1,9}))?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2}))?)?)?$"
)


def parse_w3c(value: str, name: str) -> tuple[dt.datetime, bool]:
    """A W3C datetime (http://www.w3.org/TR/NOTE-datetime) -> (aware instant, whether it had a time).

    A date without a time (YYYY, YYYY-MM, YYYY-MM-DD) starts at midnight in the office's time zone;
    a time must carry its zone (Z or ±hh:mm), as the spec requires.
    """
    text = (value or "").strip().replace(" ", "+")  # a '+' in a query string arrives as a space
    match = _W3C.match(text)
    problem = (
        f"{name} harus tanggal W3C / must be a W3C datetime such as 2026-01-31T00:00:00+07:00 or "
        f"2026-01-31T00:00:00Z, got {value[:60]!r}."
    )
    if match is None:
        raise BadRequest(problem)
    g = match.groupdict()
    try:
        if g["H"] is None:
            instant = dt.datetime(int(g["y"]), int(g["m"] or 1), int(g["d"] or 1), tzinfo=TZ)
            return instant, False
        tz = dt.UTC if g["tz"] == "Z" else _offset(g["tz"])
        micro = int((g["f"] or "0")[:6].ljust(6, "0"))
        instant = dt.datetime(
            int(g["y"]), int(g["m"]), int(g["d"]), int(g["H"]), int(g["M"]), int(g["S"] or 0), micro, tz
        )
    except ValueError:
        raise BadRequest(problem) from None
    return instant, True


def _offset(text: str) -> dt.timezone:
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 23 or minutes > 59:
        raise ValueError(text)
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


def _period_end(start: dt.datetime, text: str) -> dt.datetime:
    """The first instant after the period that a date without a time names (a day, month or year)."""
    parts = text.strip().count("-")
    if parts == 0:
        return start.replace(year=start.year + 1)
    if parts == 1:
        return start.replace(year=start.year + (start.month == 12), month=start.month % 12 + 1)
    return (start + dt.timedelta(days=1)).replace(hour=0)


@dataclass(frozen=True)
class RequestQuery:
    """A parsed GET requests query: ``start`` inclusive, ``end`` exclusive."""

    ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    limit: int = MAX_REQUESTS


def _list(args: Mapping[str, str], name: str) -> tuple[str, ...]:
    raw = args.get(name) or ""
    return tuple(dict.fromkeys(v.strip() for v in raw.split(",") if v.strip()))


def _range(args: Mapping[str, str], now: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
    window = dt.timedelta(days=DEFAULT_DAYS)
    start = end = None
    if (args.get("start_date") or "").strip():
        start, _ = parse_w3c(args["start_date"], "start_date")
    if (args.get("end_date") or "").strip():
        instant, timed = parse_w3c(args["end_date"], "end_date")
        end = instant + dt.timedelta(microseconds=1) if timed else _period_end(instant, args["end_date"])
    if start is None and end is None:
        end = now or dt.datetime.now(dt.UTC)
        start = end - window
    elif start is None:
        start = end - window
    elif end is None:
        end = start + window
    return start, end


def parse_request_query(args: Mapping[str, str], now: dt.datetime | None = None) -> RequestQuery:
    """Validate the spec's filters (comma lists already joined); an empty value counts as absent.

    ``service_request_id`` overrides every other filter. Without dates the range is the last 90 days;
    with one date it is the 90 days after ``start_date`` or before ``end_date``; two dates may not be
    more than 90 days apart. At most 1000 requests come back, newest first.
    """
    ids = tuple(i.upper() for i in _list(args, "service_request_id"))
    if len(ids) > MAX_IDS:
        raise BadRequest(f"service_request_id: paling banyak / at most {MAX_IDS} ids.")
    if ids:
        return RequestQuery(ids=ids)
    statuses = tuple(s.lower() for s in _list(args, "status"))
    wrong = [s for s in statuses if s not in ("open", "closed")]
    if wrong:
        raise BadRequest(f"status harus open atau closed / status must be open or closed, got {wrong[0]!r}.")
    try:
        start, end = _range(args, now)
    except (ValueError, OverflowError):  # e.g. year 9999 + 90 days
        raise BadRequest("start_date/end_date di luar rentang / out of range.") from None
    if end <= start:
        raise BadRequest("end_date harus sesudah start_date / end_date must be after start_date.")
    if end - start > dt.timedelta(days=DEFAULT_DAYS, microseconds=1):
        raise BadRequest(
            f"Rentang tanggal paling lama {DEFAULT_DAYS} hari / start_date and end_date may not span "
            f"more than {DEFAULT_DAYS} days."
        )
    return RequestQuery(
        service_codes=_list(args, "service_code"), statuses=statuses, start=start, end=end, limit=MAX_REQUESTS
    )
