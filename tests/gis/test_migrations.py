"""Migrations up and down on an empty database, and agreement with gis.db.tables."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from geoalchemy2 import alembic_helpers

from gis.db import migrate
from gis.db.engine import make_engine
from gis.db.tables import metadata

OUR_TABLES = set(metadata.tables)


def _tables(conn) -> set[str]:
    return set(sa.inspect(conn).get_table_names()) - {"spatial_ref_sys", "alembic_version"}


def test_upgrade_downgrade_upgrade(scratch_db):
    engine = make_engine(scratch_db())
    with engine.begin() as conn:
        assert migrate.current(conn) is None
        assert migrate.upgrade(conn) == migrate.head()
        assert _tables(conn) == OUR_TABLES
    with engine.begin() as conn:
        assert migrate.downgrade(conn, "base") is None
        assert _tables(conn) == set()
        assert (
            conn.execute(
                sa.text("SELECT count(*) FROM pg_proc WHERE proname = 'complaint_event_append_only'")
            ).scalar()
            == 0
        )
    with engine.begin() as conn:
        assert migrate.upgrade(conn) == migrate.head()
        assert _tables(conn) == OUR_TABLES
    engine.dispose()


def test_schema_matches_table_definitions(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "include_object": alembic_helpers.include_object,
                "compare_type": True,
                "target_metadata": metadata,
            },
        )
        assert compare_metadata(context, metadata) == []
        inspector = sa.inspect(conn)
        for name, table in metadata.tables.items():
            declared = {c.name for c in table.constraints if isinstance(c, sa.CheckConstraint)}
            in_db = {c["name"] for c in inspector.get_check_constraints(name)}
            assert declared == in_db, name


def test_every_geometry_column_has_a_gist_index_and_srid_4326(engine):
    with engine.connect() as conn:
        columns = conn.execute(
            sa.text(
                "SELECT f_table_name, f_geometry_column, srid FROM geometry_columns "
                "WHERE f_table_schema = 'public'"
            )
        ).all()
        assert {(t, c) for t, c, _ in columns} >= {
            ("rw", "geom"),
            ("rt", "geom"),
            ("complaint", "geom_public"),
        }
        for table, column, srid in columns:
            assert srid == 4326, table
            indexed = conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_indexes WHERE tablename = :t AND indexdef ILIKE "
                    "'%USING gist (' || :c || ')%'"
                ),
                {"t": table, "c": column},
            ).scalar()
            assert indexed == 1, f"{table}.{column} has no GiST index"
