"""Natural key for imported complaints (re-importing a file updates instead of duplicating), and
the event trail closed against DELETE too (only a cascade from deleting its complaint may remove it).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("complaint", sa.Column("source_id", sa.Text))
    op.create_unique_constraint(None, "complaint", ["source", "source_id"])
    op.execute("""
        CREATE FUNCTION complaint_event_no_delete() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF pg_trigger_depth() > 1 THEN  -- fired by ON DELETE CASCADE from complaint
                RETURN OLD;
            END IF;
            RAISE EXCEPTION 'complaint_event is append-only: DELETE refused'
                USING ERRCODE = 'restrict_violation';
        END $$;
        CREATE TRIGGER complaint_event_no_delete BEFORE DELETE ON complaint_event
            FOR EACH ROW EXECUTE FUNCTION complaint_event_no_delete();
        CREATE TRIGGER complaint_event_no_truncate BEFORE TRUNCATE ON complaint_event
            FOR EACH STATEMENT EXECUTE FUNCTION complaint_event_append_only();
    """)


def downgrade() -> None:
    op.execute("DROP TRIGGER complaint_event_no_truncate ON complaint_event")
    op.execute("DROP TRIGGER complaint_event_no_delete ON complaint_event")
    op.execute("DROP FUNCTION complaint_event_no_delete()")
    op.drop_constraint("uq_complaint_source_source_id", "complaint", type_="unique")
    op.drop_column("complaint", "source_id")
