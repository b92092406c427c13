from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from gis.complaints.sla import WorkCalendar
from gis.complaints.submit import Report


@pytest.fixture(scope="session")
def calendar() -> WorkCalendar:
    return WorkCalendar()


@pytest.fixture
def inside(conn) -> dict:
    """A point inside one demo RT, with its RT, RW and kelurahan codes."""
    row = (
        conn.execute(
            sa.text("""SELECT rt.code AS rt, rt.rw_code AS rw, rt.kelurahan_code AS kel,
                          ST_X(ST_PointOnSurface(rt.geom)) AS lon, ST_Y(ST_PointOnSurface(rt.geom)) AS lat
                   FROM rt ORDER BY rt.code LIMIT 1""")
        )
        .mappings()
        .one()
    )
    return dict(row)


@pytest.fixture
def make_report(inside):
    def make(**overrides) -> Report:
        fields = {
            "key": "t-" + uuid.uuid4().hex,
            "category": "jalan_rusak",
            "description": f"Lubang besar di jalan {uuid.uuid4().hex[:6]}",
            "lon": inside["lon"],
            "lat": inside["lat"],
            "accuracy_m": 8.0,
        }
        fields.update(overrides)
        return Report(**fields)

    return make
