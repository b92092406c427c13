"""Complaint tiles depend on the category table (public flag): its changes bump a version too.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE TRIGGER complaint_category_layer_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
        "ON complaint_category FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER complaint_category_layer_version ON complaint_category")
