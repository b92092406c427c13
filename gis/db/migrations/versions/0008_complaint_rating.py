"""Reporters rate how their closed complaint was handled (1-5), for the evaluation's satisfaction KPI.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("complaint", sa.Column("rating", sa.SmallInteger))
    op.add_column("complaint", sa.Column("rated_at", sa.DateTime(timezone=True)))
    op.create_check_constraint("rating_range", "complaint", "rating IS NULL OR rating BETWEEN 1 AND 5")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_complaint_rating_range"), "complaint", type_="check")
    op.drop_column("complaint", "rated_at")
    op.drop_column("complaint", "rating")
