"""The demo loader: what is in the files is in the database, once, in the right places."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely
import sqlalchemy as sa

from gis import pipelines
from gis.demo import DEMO_FILES, extract_demo_area, normalise_rw_label
from gis.demo.synthetic import make_rt

TABLE_OF_FILE = {
    "kecamatan": "kecamatan",
    "kelurahan": "kelurahan",
    "rw": "rw",
    "rt": "rt",
    "facilities": "facility",
    "population": "population",
    "complaints": "complaint",
    "complaint_events": "complaint_event",
}


@pytest.fixture(scope="module")
def demo_files(settings):
    out = {}
    for name, filename in DEMO_FILES.items():
        path = settings.data_dir / "demo" / filename
        out[name] = pd.read_csv(path) if path.suffix == ".csv" else gpd.read_file(path)
    return out


def test_feature_counts_equal_the_source_files(conn, demo_files):
    counts = pipelines.demo_counts(conn, demo_only=True)
    for name, table in TABLE_OF_FILE.items():
        assert counts[table] == len(demo_files[name]), name
    assert counts["rw"] == 30 and counts["kelurahan"] == 3


def test_loading_again_duplicates_nothing(conn, settings):
    before = pipelines.demo_counts(conn)
    read = pipelines.load_demo(conn, settings.data_dir)
    assert pipelines.demo_counts(conn) == before
    assert read["complaint_events_new"] == 0


def test_reload_restores_edited_rows(conn, settings):
    conn.execute(sa.text("UPDATE rw SET name = 'RW rusak' WHERE code = '31.71.05.1001.RW001'"))
    pipelines.load_demo(conn, settings.data_dir)
    assert (
        conn.execute(sa.text("SELECT name FROM rw WHERE code = '31.71.05.1001.RW001'")).scalar() == "RW 001"
    )


def test_every_point_is_assigned_to_its_units(conn):
    for table in ("complaint", "facility"):
        unassigned = conn.execute(
            sa.text(f"SELECT count(*) FROM {table} WHERE kelurahan_code IS NULL")
        ).scalar()
        assert unassigned == 0, table
    wrong = conn.execute(
        sa.text(
            "SELECT count(*) FROM complaint c JOIN rt ON rt.code = c.rt_code "
            "WHERE NOT ST_Intersects(rt.geom, c.geom) OR rt.rw_code <> c.rw_code"
        )
    ).scalar()
    assert wrong == 0


def test_rt_polygons_tile_their_rw(conn):
    rows = conn.execute(
        sa.text("""
        SELECT rw.code, ST_Perimeter(rw.geom::geography),
               ST_Area(ST_SymDifference(rw.geom, ST_Union(rt.geom))::geography)
        FROM rw JOIN rt ON rt.rw_code = rw.code GROUP BY rw.code, rw.geom""")
    ).all()
    assert len(rows) == 30
    for code, perimeter, mismatch in rows:
        # Both layers sit on a 1e-7 degree grid (about 1.1 cm): allow a 2 cm band along the edge.
        assert mismatch < 0.02 * perimeter, code


def test_public_points_follow_the_privacy_rule(conn):
    rows = conn.execute(
        sa.text("""
        SELECT cat.privacy, cat.public, c.geom_public IS NULL AS hidden,
               coalesce(ST_Distance(c.geom::geography, c.geom_public::geography), -1) AS moved
        FROM complaint c JOIN complaint_category cat ON cat.code = c.category""")
    ).all()
    by_rule = {}
    for privacy, public, hidden, moved in rows:
        by_rule.setdefault((privacy, public), []).append((hidden, moved))
    assert all(h for h, _ in by_rule[("hidden", False)])
    assert all(not h and m < 0.01 for h, m in by_rule[("exact", True)])
    grid = by_rule[("grid", True)]
    assert all(not h and m <= 71.0 for h, m in grid)  # within half a 100 m cell's diagonal
    assert sum(m > 1 for _, m in grid) > 0.9 * len(grid)  # and actually moved
    assert all(not h for h, _ in by_rule[("rt", True)])
    off_rule = conn.execute(
        sa.text(
            "SELECT count(*) FROM complaint c JOIN complaint_category cat ON cat.code = c.category "
            "JOIN rt ON rt.code = c.rt_code WHERE cat.privacy = 'rt' "
            "AND NOT ST_Equals(c.geom_public, ST_PointOnSurface(rt.geom))"
        )
    ).scalar()
    assert off_rule == 0


def test_synthetic_rows_are_marked(conn):
    assert conn.execute(
        sa.text("SELECT bool_and(synthetic) FROM complaint WHERE source LIKE 'synthetic-demo%'")
    ).scalar()
    assert conn.execute(sa.text("SELECT bool_and(synthetic) FROM rt")).scalar()
    surveyed = conn.execute(
        sa.text("SELECT bool_and(NOT synthetic) FROM facility WHERE source = 'hot2012-building-survey'")
    ).scalar()
    assert surveyed
    assert conn.execute(
        sa.text("SELECT bool_and(name LIKE '%(contoh)') FROM facility WHERE synthetic")
    ).scalar()


@pytest.mark.parametrize(
    ("label", "number"),
    [
        ("RW 01", 1),
        ("RW 010", 10),
        ("RW13", 13),
        ("RW 8", 8),
        ("rw 005", 5),
        (" RW 1 ", 1),
        (None, None),
        ("Kawasan Industri Pulogadung", None),
        ("RW 0", None),
        ("RW", None),
    ],
)
def test_rw_labels_as_typed_by_mappers(label, number):
    assert normalise_rw_label(label) == number


def test_extract_matches_the_committed_demo_files(shared_datasets, demo_files):
    layers = extract_demo_area(shared_datasets)
    for name in ("kecamatan", "kelurahan", "rw"):
        assert list(layers[name]["code"]) == list(demo_files[name]["code"]), name
    assert list(layers["kelurahan"]["name"]) == ["Cempaka Putih Timur", "Cempaka Putih Barat", "Rawasari"]
    surveyed = demo_files["facilities"].query("source == 'hot2012-building-survey'")
    assert len(layers["facilities_surveyed"]) == len(surveyed) == 6


def test_generator_is_reproducible_by_seed(demo_files):
    rw = demo_files["rw"]
    a, b, c = make_rt(rw, seed=7), make_rt(rw, seed=7), make_rt(rw, seed=8)
    assert list(a["code"]) == list(b["code"])
    assert all(shapely.equals_exact(a.geometry.values, b.geometry.values, 0))
    assert len(a) != len(c) or not all(shapely.equals_exact(a.geometry.values, c.geometry.values, 1e-9))


def test_demo_database_builds_a_fresh_copy(cluster, settings):
    """The helper the benchmarks use: schema and demo in a new database, dropped again here."""
    import os

    from gis.db.engine import make_engine

    if cluster is None:
        pytest.skip("SIGKEL_TEST_DATABASE_URL points at an external server: no embedded cluster to copy into")
    name = f"sigkel_democopy_{os.getpid()}"
    url, counts = pipelines.demo_database(cluster, name, settings.data_dir)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert pipelines.demo_counts(conn, demo_only=True)["complaint"] == counts["complaints"] == 2400
    finally:
        engine.dispose()
        cluster.drop_database(name)
