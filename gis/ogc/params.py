"""OGC API Features request parameters: the CRS on offer, limit/offset, bbox, datetime and filters."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.crs import utm_epsg
from gis.errors import DataError
from gis.ogc.catalog import Collection

__all__ = [
    "CRS84",
    "EPSG",
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "JAKARTA",
    "ITEM_PARAMS",
    "InvalidParameter",
    "Query",
    "check_params",
    "parse_datetime",
    "parse_query",
    "supported_crs",
]

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
DEFAULT_LIMIT, MAX_LIMIT = 100, 10_000
JAKARTA = ZoneInfo("Asia/Jakarta")
ITEM_PARAMS = ("f", "lang", "limit", "offset", "bbox", "bbox-crs", "crs", "datetime")


class InvalidParameter(DataError):
    """A query parameter the API does not know or cannot read (HTTP 400, as the standard asks)."""

    http_status = 400
    code = "invalid-parameter"


# ---- CRS ---------------------------------------------------------------------------------------------


def supported_crs(conn: Connection) -> list[str]:
    """CRS84 (storage), EPSG:4326 (latitude first) and the UTM zone of the area's centre."""
    centre = conn.execute(
        sa.text(
            "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Extent(geom)::geometry) c FROM kelurahan) e"
        )
    ).first()
    out = [CRS84, f"{EPSG}4326"]
    if centre and centre[0] is not None:
        out.append(f"{EPSG}{utm_epsg(centre[0], centre[1])}")
    return out


def _epsg(crs: str) -> int:
    return 4326 if crs == CRS84 else int(crs.removeprefix(EPSG))


def _geom_out(geom: str, crs: str) -> tuple[str, int]:
    """The geometry expression in the output CRS, and its number of decimals (≈1 cm)."""
    epsg = _epsg(crs)
    if crs == CRS84:
        return geom, 7
    if epsg == 4326:
        return f"ST_FlipCoordinates({geom})", 7
    return f"ST_Transform({geom}, {epsg})", 2


# ---- parameters --------------------------------------------------------------------------------------


@dataclass
class Query:
    """Parsed parameters of an items request."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0
    bbox: tuple[float, float, float, float] | None = None  # minx, miny, maxx, maxy in bbox_crs axis order
    bbox_crs: str = CRS84
    crs: str = CRS84
    interval: tuple[dt.datetime | None, dt.datetime | None] | None = None
    filters: dict[str, object] = field(default_factory=dict)


def check_params(args: dict[str, list[str]], allowed) -> dict[str, str]:
    """The single value of each parameter; 400 for unknown or repeated parameters."""
    unknown = sorted(set(args) - set(allowed))
    if unknown:
        raise InvalidParameter(
            f"Parameter tidak dikenal / unknown parameter: {', '.join(unknown)}.",
            f"Allowed here: {', '.join(allowed)}.",
        )
    repeated = sorted(k for k, v in args.items() if len(v) > 1)
    if repeated:
        raise InvalidParameter(f"Parameter {', '.join(repeated)} must be given once.")
    return {k: v[0] for k, v in args.items()}


def _int(name: str, raw: str, minimum: int) -> int:
    if not re.fullmatch(r"[0-9]{1,12}", raw.strip()) or int(raw) < minimum:
        raise InvalidParameter(f"{name} must be a whole number ≥ {minimum}, got {raw!r}.")
    return int(raw)


def _instant(text: str, name: str) -> tuple[dt.datetime, dt.datetime]:
    """An RFC 3339 date or date-time as the (first, last) instant it covers: a whole day for a date
    (in WIB, the kelurahan's day), a whole second for a date-time without fractions. A date-time
    without offset is read as WIB."""
    value = text.strip().removesuffix("T")  # GDAL up to 3.7 sends a date filter as 'YYYY-MM-DDT'
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            start = dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), JAKARTA)
            return start, start + dt.timedelta(days=1, microseconds=-1)
        if not re.fullmatch(
            r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?", value
        ):
            raise ValueError(value)
        start = dt.datetime.fromisoformat(value.upper().replace(" ", "T"))
    except ValueError:
        raise InvalidParameter(
            f"{name}: {text!r} is not an RFC 3339 date or date-time, e.g. 2025-12-01 or 2025-12-01T08:00:00Z."
        ) from None
    start = start if start.tzinfo else start.replace(tzinfo=JAKARTA)
    return start, start if "." in value else start + dt.timedelta(seconds=1, microseconds=-1)


def parse_datetime(text: str) -> tuple[dt.datetime | None, dt.datetime | None]:
    """``datetime``: an instant, a closed interval ``a/b`` or a half-bounded one with ``..``."""
    parts = text.split("/")
    if len(parts) == 1:
        return _instant(parts[0], "datetime")
    if len(parts) != 2:
        raise InvalidParameter(f"datetime must be an instant or an interval a/b, got {text!r}.")
    start = None if parts[0].strip() in ("", "..") else _instant(parts[0], "datetime")[0]
    end = None if parts[1].strip() in ("", "..") else _instant(parts[1], "datetime")[1]
    if start and end and start > end:
        raise InvalidParameter(f"datetime {text!r}: the interval ends before it starts.")
    return start, end


def _bbox(text: str, crs: str) -> tuple[float, float, float, float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) not in (4, 6) or not all(math.isfinite(v) for v in values):
        raise InvalidParameter(
            f"bbox must be 4 (or 6, with heights) numbers separated by commas, got {text!r}."
        )
    box = (values[0], values[1], values[3], values[4]) if len(values) == 6 else tuple(values)
    geographic = _epsg(crs) == 4326
    lon0, lat0, lon1, lat1 = (box[1], box[0], box[3], box[2]) if crs != CRS84 and geographic else box
    if geographic and not (max(abs(lon0), abs(lon1)) <= 180 and -90 <= lat0 <= lat1 <= 90):
        raise InvalidParameter(f"bbox {text!r} is outside the range of {crs} (axis order matters).")
    if not geographic and (box[0] > box[2] or box[1] > box[3]):
        raise InvalidParameter(f"bbox {text!r}: the lower corner must come first.")
    if not geographic:  # beyond its range PROJ fails, and a huge box is cut into millions of segments
        x0, y0, x1, y1 = _projected_range(_epsg(crs))
        box = (max(box[0], x0), max(box[1], y0), min(box[2], x1), min(box[3], y1))
        if box[0] > box[2] or box[1] > box[3]:
            raise InvalidParameter(
                f"bbox {text!r} lies outside the range of {crs}: "
                f"x {x0:.0f} to {x1:.0f}, y {y0:.0f} to {y1:.0f}."
            )
    return box  # west > east in degrees is a box across the antimeridian (allowed by the standard)


@lru_cache(maxsize=16)
def _projected_range(epsg: int) -> tuple[float, float, float, float]:
    """(minx, miny, maxx, maxy) where a projected CRS can be used, in its own units: its EPSG area of
    use widened by 3° on every side. A bbox is clipped to it: the UTM zone on offer is the one of the
    area's centre, so the data lies well inside."""
    from pyproj import CRS, Transformer

    crs = CRS.from_epsg(epsg)
    w, s, e, n = crs.area_of_use.bounds if crs.area_of_use else (-180.0, -90.0, 180.0, 90.0)
    w, s, e, n = max(w - 3, -180.0), max(s - 3, -89.0), min(e + 3, 180.0), min(n + 3, 89.0)
    return Transformer.from_crs(4326, crs, always_xy=True).transform_bounds(w, s, e, n, densify_pts=21)


def _filter_value(coll: Collection, name: str, raw: str):
    kind = coll.props[name].type
    if kind == "integer":
        if not re.fullmatch(r"-?[0-9]{1,12}", raw.strip()):
            raise InvalidParameter(f"{name} must be a whole number, got {raw!r}.")
        value = int(raw)
    elif kind == "boolean":
        if raw.lower() not in ("true", "false"):
            raise InvalidParameter(f"{name} must be true or false, got {raw!r}.")
        value = raw.lower() == "true"
    else:
        value = raw
    if coll.run_id:  # run outputs are compared as the text of their JSON value
        return str(value).lower() if isinstance(value, bool) else str(value)
    return value


def parse_query(coll: Collection, args: dict[str, list[str]], crs_list: list[str]) -> Query:
    """Validate an items request's parameters (400 for anything unknown or malformed).

    ``limit`` above MAX_LIMIT is lowered to MAX_LIMIT, as the standard asks (no error).
    """
    values = check_params(args, [*ITEM_PARAMS, *coll.queryables])
    q = Query()
    if "limit" in values:
        q.limit = min(_int("limit", values["limit"], 1), MAX_LIMIT)
    if "offset" in values:
        q.offset = _int("offset", values["offset"], 0)
    for name in ("crs", "bbox-crs"):
        if name in values and values[name] not in crs_list:
            raise InvalidParameter(
                f"{name} {values[name]!r} is not offered here; use one of: {', '.join(crs_list)}."
            )
    q.crs, q.bbox_crs = values.get("crs", CRS84), values.get("bbox-crs", CRS84)
    if "bbox" in values:
        q.bbox = _bbox(values["bbox"], q.bbox_crs)
    elif "bbox-crs" in values:
        raise InvalidParameter("bbox-crs needs a bbox.")
    if "datetime" in values:
        q.interval = parse_datetime(values["datetime"])
    q.filters = {n: _filter_value(coll, n, values[n]) for n in coll.queryables if n in values}
    return q
