"""A change counter per layer, bumped by statement triggers, so tile caches know when to drop.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ("kelurahan", "rw", "rt", "facility", "complaint")


def upgrade() -> None:
    op.create_table(
        "layer_version",
        sa.Column("layer", sa.Text, primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.execute("""
        CREATE FUNCTION bump_layer_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO layer_version (layer, version, changed_at) VALUES (TG_TABLE_NAME, 1, now())
            ON CONFLICT (layer) DO UPDATE SET version = layer_version.version + 1, changed_at = now();
            RETURN NULL;
        END $$;
    """)
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_layer_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version()"
        )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_layer_version ON {table}")
    op.execute("DROP FUNCTION bump_layer_version()")
    op.drop_table("layer_version")
