"""Complaint lifecycle: idempotent submissions, photos, staff sessions, login attempts, the
notification outbox, Open311 API keys; confidential (rahasia) complaints and dispute secrets.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import JSONB

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _created() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def upgrade() -> None:
    op.add_column(
        "complaint", sa.Column("confidential", sa.Boolean, nullable=False, server_default=sa.false())
    )
    op.add_column(
        "complaint", sa.Column("reopened_count", sa.SmallInteger, nullable=False, server_default="0")
    )
    op.add_column("complaint", sa.Column("secret_hash", sa.Text))
    op.drop_constraint(op.f("ck_complaint_event_kind"), "complaint_event", type_="check")
    op.create_check_constraint(
        op.f("ck_complaint_event_kind"),
        "complaint_event",
        "kind IN ('status', 'note', 'photo', 'support', 'dispute', 'merge')",
    )
    op.create_table(
        "submission",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("payload_hash", sa.Text, nullable=False),
        sa.Column(
            "complaint_id", sa.BigInteger, sa.ForeignKey("complaint.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("response", JSONB, nullable=False),
        _created(),
        sa.CheckConstraint("key ~ '^[A-Za-z0-9_.:-]{8,128}$'", name="key_format"),
        sa.CheckConstraint("kind IN ('report', 'support', 'open311')", name="kind"),
    )
    op.create_index("ix_submission_complaint_id", "submission", ["complaint_id"])
    op.create_table(
        "complaint_photo",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "complaint_id", sa.BigInteger, sa.ForeignKey("complaint.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("stage", sa.Text, nullable=False),
        sa.Column("file", sa.Text, nullable=False),
        sa.Column("media_type", sa.Text, nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("bytes", sa.Integer, nullable=False),
        sa.Column("user_id", sa.BigInteger, sa.ForeignKey("app_user.id")),
        sa.Column("location_source", sa.Text),
        sa.Column("distance_m", sa.Float),
        sa.Column("public", sa.Boolean, nullable=False, server_default=sa.true()),
        _created(),
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=False)),
        sa.CheckConstraint("stage IN ('sebelum', 'sesudah')", name="stage"),
        sa.CheckConstraint("media_type IN ('image/jpeg', 'image/png', 'image/webp')", name="media_type"),
        sa.CheckConstraint(
            "location_source IS NULL OR location_source IN ('perangkat', 'exif')", name="loc_src"
        ),
    )
    op.create_index("ix_complaint_photo_complaint_id", "complaint_photo", ["complaint_id"])
    op.create_index("ix_complaint_photo_geom", "complaint_photo", ["geom"], postgresql_using="gist")
    op.create_table(
        "user_session",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("user_id", sa.BigInteger, sa.ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False),
        sa.Column("csrf_token", sa.Text, nullable=False),
        _created(),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("ip", sa.Text),
        sa.Column("user_agent", sa.Text),
    )
    op.create_index("ix_user_session_user_id", "user_session", ["user_id"])
    op.create_table(
        "login_attempt",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("username", sa.Text, nullable=False),
        sa.Column("ip", sa.Text),
        sa.Column("success", sa.Boolean, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_login_attempt_username_at", "login_attempt", ["username", "at"])
    op.create_index("ix_login_attempt_ip_at", "login_attempt", ["ip", "at"])
    op.create_table(
        "notification_outbox",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "complaint_id", sa.BigInteger, sa.ForeignKey("complaint.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("reporter_id", sa.BigInteger, sa.ForeignKey("reporter.id", ondelete="CASCADE")),
        sa.Column("template", sa.Text, nullable=False),
        sa.Column("payload", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        _created(),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.SmallInteger, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
    )
    op.create_index(
        "ix_notification_outbox_pending",
        "notification_outbox",
        ["created_at"],
        postgresql_where=sa.text("sent_at IS NULL"),
    )
    op.create_table(
        "api_key",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("key_hash", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        _created(),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("key_hash"),
    )


def downgrade() -> None:
    for table in ("api_key", "notification_outbox", "login_attempt", "user_session", "complaint_photo"):
        op.drop_table(table)
    op.drop_table("submission")
    op.drop_constraint(op.f("ck_complaint_event_kind"), "complaint_event", type_="check")
    op.create_check_constraint(
        op.f("ck_complaint_event_kind"),
        "complaint_event",
        "kind IN ('status', 'note', 'photo', 'support', 'dispute')",
    )
    for column in ("secret_hash", "reopened_count", "confidential"):
        op.drop_column("complaint", column)
