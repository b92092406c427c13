"""Output layers of analysis runs: one row per cell or unit, properties as JSON.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analysis_output",
        sa.Column(
            "run_id", sa.BigInteger, sa.ForeignKey("analysis_run.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("feature", sa.Integer, nullable=False),
        sa.Column("properties", JSONB, nullable=False),
        sa.Column("geom", Geometry("GEOMETRY", srid=4326, spatial_index=False), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "feature"),
    )
    op.create_index("ix_analysis_output_geom", "analysis_output", ["geom"], postgresql_using="gist")
    op.add_column(
        "analysis_run", sa.Column("timings", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb"))
    )


def downgrade() -> None:
    op.drop_column("analysis_run", "timings")
    op.drop_table("analysis_output")
