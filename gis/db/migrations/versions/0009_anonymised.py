"""When a reporter's identity and a complaint's personal details were removed after the retention
period (UU 27/2022: personal data kept no longer than needed).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("reporter", sa.Column("anonymised_at", sa.DateTime(timezone=True)))
    op.add_column("complaint", sa.Column("anonymised_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("complaint", "anonymised_at")
    op.drop_column("reporter", "anonymised_at")
