"""Indexes the scaling run found missing: ``complaint.duplicate_of`` (every merge, and the foreign-key
check of every deleted complaint, scanned the table: 215 ms per merge at 1M complaints) and
``complaint_photo.file`` (every public photo request).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_complaint_duplicate_of", "complaint", ["duplicate_of"])
    op.create_index("ix_complaint_photo_file", "complaint_photo", ["file"])


def downgrade() -> None:
    op.drop_index("ix_complaint_photo_file", table_name="complaint_photo")
    op.drop_index("ix_complaint_duplicate_of", table_name="complaint")
