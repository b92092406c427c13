"""Hypothesis strategies and checks shared by the geometry fuzz tests.

Every strategy mixes three kinds of input: plainly valid values (so that a test can also insist on
success), values that are valid numbers but wrong places (outside Indonesia, latitude and longitude
swapped, beyond ±180/±90) and text that is no number at all (NaN, ±inf, 1e400, decimal commas, NUL
bytes, full-width digits, random text).
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

from hypothesis import HealthCheck, currently_in_test_context, event, settings
from hypothesis import strategies as st

from gis.crs import INDONESIA_BBOX

# The demo kelurahan (W, S, E, N), checked against the database by a test in test_geometry_fuzz.
DEMO_BBOX = (106.855371, -6.196322, 106.8788948, -6.166129)
UTM = "http://www.opengis.net/def/crs/EPSG/0/32748"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"


def fuzz(max_examples: int):
    """Reproducible settings: the same examples on every run, no example database on disk."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# -- numbers as text -------------------------------------------------------------------------------

NASTY_NUMBERS = [
    "NaN",
    "nan",
    "-nan",
    "inf",
    "-inf",
    "Infinity",
    "-Infinity",
    "1e400",
    "-1e400",
    "1e-400",
    "1e309",
    "1.7976931348623157e308",
    "-6,18",
    "106,87",
    "-6,1786",
    "1,234.5",
    "",
    " ",
    "\t",
    "0x1p3",
    "1_0",
    "١٠٦",  # Arabic-Indic digits: float() reads them
    "１０６.８７",  # full-width digits
    "−6.18",  # U+2212 minus sign
    "6.18°",
    "6°10'S",
    "\x00",
    "-6.18\x00",
    "9" * 400,
    "-0",
    "+106.87",
    " 106.87 ",
    "106.87\n",
    "1e",
    ".",
    "-",
    "e5",
    "None",
    "null",
    "[]",
    "1,2",
    "0",
    "90",
    "-90",
    "180",
    "-180",
    "90.0000001",
    "-180.0000001",
]

finite = st.floats(allow_nan=False, allow_infinity=False)


def _fmt(style: str, value: float) -> str:
    if style == "repr":
        return repr(value)
    if style == "g":
        return f"{value:.17g}"
    if style == "e":
        return f"{value:e}"
    return f"{value:.6f}"


def number_text(elements=None) -> st.SearchStrategy[str]:
    """Some float written in one of several ways."""
    floats = elements if elements is not None else st.floats()
    return st.builds(_fmt, st.sampled_from(["repr", "g", "e", "f"]), floats)


def lat_in(bbox=INDONESIA_BBOX) -> st.SearchStrategy[float]:
    return st.floats(bbox[1], bbox[3])


def lon_in(bbox=INDONESIA_BBOX) -> st.SearchStrategy[float]:
    return st.floats(bbox[0], bbox[2])


coord_text = st.one_of(
    st.sampled_from(NASTY_NUMBERS),
    number_text(),
    number_text(st.floats(-200, 200)),
    st.text(max_size=12),
)


@st.composite
def latlon_text(draw, inside=DEMO_BBOX) -> tuple[str, str]:
    """(lat, lon) as text: in the demo area, elsewhere in Indonesia, swapped, abroad, or junk."""
    kind = draw(st.sampled_from(["demo", "indonesia", "swapped", "world", "junk", "half-junk"]))
    if kind == "demo":
        lat, lon = draw(lat_in(inside)), draw(lon_in(inside))
    elif kind == "indonesia":
        lat, lon = draw(lat_in()), draw(lon_in())
    elif kind == "swapped":
        lon, lat = draw(lat_in(inside)), draw(lon_in(inside))
    elif kind == "world":
        lat, lon = draw(st.floats(-1e6, 1e6)), draw(st.floats(-1e6, 1e6))
    elif kind == "junk":
        return draw(coord_text), draw(coord_text)
    else:
        good, bad = f"{draw(lat_in(inside)):.6f}", draw(coord_text)
        return (good, bad) if draw(st.booleans()) else (bad, good)
    return draw(number_text(st.just(lat))), draw(number_text(st.just(lon)))


CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # refused in any query or form field


def has_control(*texts) -> bool:
    return any(t is not None and CONTROL.search(t) for t in texts)


def as_float(text: str | None) -> float | None:
    """What a strict reader makes of ``text``: a finite float, or None."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def inside(lon: float | None, lat: float | None, bbox=INDONESIA_BBOX) -> bool:
    if lon is None or lat is None:
        return False
    west, south, east, north = bbox
    return west <= lon <= east and south <= lat <= north


@st.composite
def bbox_text(draw) -> str:
    """``W,S,E,N`` (or anything else) as text."""
    kind = draw(st.sampled_from(["demo", "world", "reversed", "count", "junk", "huge"]))
    if kind == "demo":
        w, e = sorted([draw(lon_in(DEMO_BBOX)), draw(lon_in(DEMO_BBOX))])
        s, n = sorted([draw(lat_in(DEMO_BBOX)), draw(lat_in(DEMO_BBOX))])
        parts = [f"{v:.7f}" for v in (w, s, e, n)]
    elif kind == "world":
        parts = [draw(number_text(st.floats(-200, 200))) for _ in range(4)]
    elif kind == "reversed":
        w, e = sorted([draw(lon_in()), draw(lon_in())], reverse=True)
        s, n = sorted([draw(lat_in()), draw(lat_in())], reverse=True)
        parts = [repr(v) for v in (w, s, e, n)]
    elif kind == "count":
        parts = [
            draw(number_text(st.floats(-10, 120))) for _ in range(draw(st.sampled_from([0, 1, 3, 5, 6])))
        ]
    elif kind == "huge":
        parts = [
            draw(st.sampled_from(["1e400", "-1e400", "1e308", "-1e308", "nan", "inf"])) for _ in range(4)
        ]
    else:
        parts = [draw(coord_text) for _ in range(draw(st.integers(1, 5)))]
    return draw(st.sampled_from([",", ", ", ";", " "])).join(parts) if parts else ""


# -- HTTP answers ----------------------------------------------------------------------------------


def error_message(response) -> str:
    """The human message of an error response (JSON, the Open311 JSON/XML list, or HTML)."""
    body = response.get_data(as_text=True)
    if response.mimetype in ("application/json", "application/geo+json"):
        data = response.get_json()
        if isinstance(data, list):  # Open311: [{"code": 400, "description": "..."}]
            assert data and data[0]["code"] == response.status_code, data
            return str(data[0]["description"])
        return f"{data['message']} {data.get('hint') or ''}".strip()
    if response.mimetype in ("text/xml", "application/xml"):
        root = ET.fromstring(body)
        assert root.tag == "errors", body[:300]
        return root.findtext("error/description") or ""
    assert response.mimetype == "text/html", (response.mimetype, body[:300])
    return body


def check_answer(response, names: tuple[str, ...] = ()) -> str | None:
    """No server error; a 4xx says what is wrong, naming one of ``names`` (case-insensitive).

    Returns the error message (None for a success).
    """
    status = response.status_code
    if currently_in_test_context():
        event(f"HTTP {status}")  # shown by --hypothesis-show-statistics
    body = response.get_data()[:500].decode("utf-8", "replace")
    assert status < 500, f"{status}: {body}"
    if status < 400:
        return None
    message = error_message(response)
    assert message.strip(), f"{status} without a message: {body}"
    if names:
        lowered = message.lower()
        assert any(n.lower() in lowered for n in names), f"{status}: {message!r} names none of {names}"
    return message
