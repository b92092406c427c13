"""Initial schema: boundaries, population, facilities, complaints, reporters, runs, users, audit.

Constraint and index names come from the naming convention of gis.db.tables.metadata, which
Alembic applies to op.create_table.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

STATUSES = "('diterima', 'verifikasi', 'ditindaklanjuti', 'selesai', 'ditolak', 'bukan_wewenang')"
JSON_EMPTY = sa.text("'{}'::jsonb")


def _geom(kind, name="geom", nullable=False):
    return sa.Column(name, Geometry(kind, srid=4326, spatial_index=False), nullable=nullable)


def _valid(_table):
    return sa.CheckConstraint("ST_IsValid(geom) AND NOT ST_IsEmpty(geom)", name="geom_valid")


def _ts(name, nullable=False, default=True):
    return sa.Column(
        name, sa.DateTime(timezone=True), nullable=nullable, server_default=sa.func.now() if default else None
    )


def _gist(table, column="geom"):
    op.create_index(f"ix_{table}_{column}", table, [column], postgresql_using="gist")


def _fk(column, target, ondelete=None, **kw):
    table = target.split(".")[0]
    return sa.Column(
        column,
        sa.Text if table not in ("complaint", "app_user") else sa.BigInteger,
        sa.ForeignKey(target, ondelete=ondelete),
        **kw,
    )


def upgrade() -> None:
    op.create_table(
        "kecamatan",
        sa.Column("code", sa.Text),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kota_code", sa.Text, nullable=False),
        sa.Column("kota_name", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        _geom("MULTIPOLYGON"),
        sa.PrimaryKeyConstraint("code"),
        sa.CheckConstraint(r"code ~ '^[0-9]{2}\.[0-9]{2}\.[0-9]{2}$'", name="code_format"),
        _valid("kecamatan"),
    )
    _gist("kecamatan")
    op.create_table(
        "kelurahan",
        sa.Column("code", sa.Text),
        sa.Column("name", sa.Text, nullable=False),
        _fk("kecamatan_code", "kecamatan.code", nullable=False),
        sa.Column("kind", sa.Text, nullable=False, server_default="kelurahan"),
        sa.Column("source", sa.Text, nullable=False),
        _geom("MULTIPOLYGON"),
        sa.PrimaryKeyConstraint("code"),
        sa.CheckConstraint(r"code ~ '^[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[12][0-9]{3}$'", name="code_format"),
        sa.CheckConstraint("kind IN ('kelurahan', 'desa')", name="kind"),
        sa.CheckConstraint("left(code, 8) = kecamatan_code", name="code_in_kecamatan"),
        _valid("kelurahan"),
    )
    _gist("kelurahan")
    op.create_table(
        "rw",
        sa.Column("code", sa.Text),
        _fk("kelurahan_code", "kelurahan.code", nullable=False),
        sa.Column("number", sa.SmallInteger, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("label_original", sa.Text),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("source_id", sa.Text),
        sa.Column("attributes", JSONB, nullable=False, server_default=JSON_EMPTY),
        _geom("MULTIPOLYGON"),
        sa.PrimaryKeyConstraint("code"),
        sa.UniqueConstraint("kelurahan_code", "number"),
        sa.CheckConstraint("number BETWEEN 1 AND 999", name="number_range"),
        sa.CheckConstraint(
            "code = kelurahan_code || '.RW' || lpad(number::text, 3, '0')", name="code_derived"
        ),
        _valid("rw"),
    )
    _gist("rw")
    op.create_table(
        "rt",
        sa.Column("code", sa.Text),
        _fk("kelurahan_code", "kelurahan.code", nullable=False),
        _fk("rw_code", "rw.code", nullable=False),
        sa.Column("number", sa.SmallInteger, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("synthetic", sa.Boolean, nullable=False, server_default=sa.false()),
        _geom("MULTIPOLYGON"),
        sa.PrimaryKeyConstraint("code"),
        sa.UniqueConstraint("rw_code", "number"),
        sa.CheckConstraint("number BETWEEN 1 AND 999", name="number_range"),
        sa.CheckConstraint("code = rw_code || '.RT' || lpad(number::text, 3, '0')", name="code_derived"),
        sa.CheckConstraint("left(rw_code, 13) = kelurahan_code", name="rw_in_kelurahan"),
        _valid("rt"),
    )
    _gist("rt")
    op.create_table(
        "population",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        _fk("kelurahan_code", "kelurahan.code", nullable=False),
        _fk("rw_code", "rw.code"),
        _fk("rt_code", "rt.code"),
        sa.Column("unit_code", sa.Text, nullable=False),
        sa.Column("year", sa.SmallInteger, nullable=False),
        *(sa.Column(c, sa.Integer) for c in ("households",)),
        sa.Column("persons", sa.Integer, nullable=False),
        *(
            sa.Column(c, sa.Integer)
            for c in ("male", "female", "age_0_4", "age_5_14", "age_15_64", "age_65_plus")
        ),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("synthetic", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("unit_code", "year"),
        sa.CheckConstraint("unit_code = coalesce(rt_code, rw_code, kelurahan_code)", name="unit_code"),
        sa.CheckConstraint("rt_code IS NULL OR rw_code IS NOT NULL", name="rt_has_rw"),
        sa.CheckConstraint("year BETWEEN 1900 AND 2100", name="year_range"),
        sa.CheckConstraint(
            "persons >= 0 AND coalesce(households, 0) >= 0 AND coalesce(male, 0) >= 0 "
            "AND coalesce(female, 0) >= 0",
            name="non_negative",
        ),
        sa.CheckConstraint("male IS NULL OR female IS NULL OR male + female = persons", name="sexes_sum"),
    )
    op.create_table(
        "facility_category",
        sa.Column("code", sa.Text),
        sa.Column("name_id", sa.Text, nullable=False),
        sa.Column("name_en", sa.Text, nullable=False),
        sa.Column("group_code", sa.Text, nullable=False),
        sa.Column("icon", sa.Text, nullable=False, server_default="circle"),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "facility",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        _fk("category", "facility_category.code", nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("address", sa.Text),
        sa.Column("attributes", JSONB, nullable=False, server_default=JSON_EMPTY),
        sa.Column("public", sa.Boolean, nullable=False, server_default=sa.true()),
        _fk("kelurahan_code", "kelurahan.code"),
        _fk("rw_code", "rw.code"),
        _fk("rt_code", "rt.code"),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("source_id", sa.Text, nullable=False),
        sa.Column("synthetic", sa.Boolean, nullable=False, server_default=sa.false()),
        _ts("created_at"),
        _ts("updated_at"),
        _geom("POINT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "source_id"),
        sa.CheckConstraint("length(btrim(name)) > 0", name="name_not_blank"),
        _valid("facility"),
    )
    _gist("facility")
    op.create_index("ix_facility_kelurahan_code_category", "facility", ["kelurahan_code", "category"])
    op.create_table(
        "complaint_category",
        sa.Column("code", sa.Text),
        sa.Column("name_id", sa.Text, nullable=False),
        sa.Column("name_en", sa.Text, nullable=False),
        sa.Column("sla_days", sa.SmallInteger, nullable=False),
        sa.Column("privacy", sa.Text, nullable=False),
        sa.Column("public", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.PrimaryKeyConstraint("code"),
        sa.CheckConstraint("privacy IN ('exact', 'grid', 'rt', 'hidden')", name="privacy"),
        sa.CheckConstraint("sla_days > 0", name="sla_positive"),
    )
    op.create_table(
        "app_user",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("username", sa.Text, nullable=False),
        sa.Column("full_name", sa.Text, nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
        sa.CheckConstraint("role IN ('admin', 'staff', 'planner')", name="role"),
        sa.CheckConstraint("username ~ '^[a-z0-9._-]{3,64}$'", name="username_format"),
    )
    op.create_table(
        "app_user_kelurahan",
        _fk("user_id", "app_user.id", ondelete="CASCADE", nullable=False),
        _fk("kelurahan_code", "kelurahan.code", nullable=False),
        sa.PrimaryKeyConstraint("user_id", "kelurahan_code"),
    )
    op.create_table(
        "complaint",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("ticket", sa.Text, nullable=False),
        _fk("category", "complaint_category.code", nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="diterima"),
        sa.Column("status_reason", sa.Text),
        _fk("kelurahan_code", "kelurahan.code"),
        _fk("rw_code", "rw.code"),
        _fk("rt_code", "rt.code"),
        _ts("created_at"),
        _ts("updated_at"),
        _ts("sla_due", nullable=True, default=False),
        _ts("first_response_at", nullable=True, default=False),
        _ts("resolved_at", nullable=True, default=False),
        _fk("duplicate_of", "complaint.id"),
        sa.Column("supporters", sa.Integer, nullable=False, server_default="0"),
        sa.Column("source", sa.Text, nullable=False, server_default="web"),
        sa.Column("synthetic", sa.Boolean, nullable=False, server_default=sa.false()),
        _geom("POINT"),
        _geom("POINT", "geom_public", nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket"),
        sa.CheckConstraint(f"status IN {STATUSES}", name="status"),
        sa.CheckConstraint(
            "status NOT IN ('ditolak', 'bukan_wewenang') OR status_reason IS NOT NULL", name="reason_required"
        ),
        sa.CheckConstraint("duplicate_of IS NULL OR duplicate_of <> id", name="not_own_duplicate"),
        sa.CheckConstraint("resolved_at IS NULL OR resolved_at >= created_at", name="resolved_after"),
        sa.CheckConstraint("length(btrim(description)) > 0", name="description_not_blank"),
        _valid("complaint"),
    )
    _gist("complaint")
    _gist("complaint", "geom_public")
    op.create_index("ix_complaint_kelurahan_code_status", "complaint", ["kelurahan_code", "status"])
    op.create_index("ix_complaint_created_at", "complaint", ["created_at"])
    op.create_table(
        "complaint_event",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        _fk("complaint_id", "complaint.id", ondelete="CASCADE", nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("status_from", sa.Text),
        sa.Column("status_to", sa.Text),
        sa.Column("note", sa.Text),
        sa.Column("public", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("photo_path", sa.Text),
        _fk("user_id", "app_user.id"),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint("kind IN ('status', 'note', 'photo', 'support', 'dispute')", name="kind"),
        sa.CheckConstraint("kind <> 'status' OR status_to IS NOT NULL", name="status_has_target"),
    )
    op.create_index("ix_complaint_event_complaint_id", "complaint_event", ["complaint_id"])
    # The trail is append-only: corrections are new events, never edits.
    op.execute("""
        CREATE FUNCTION complaint_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'complaint_event is append-only: % refused', TG_OP
                USING ERRCODE = 'restrict_violation';
        END $$;
        CREATE TRIGGER complaint_event_append_only BEFORE UPDATE ON complaint_event
            FOR EACH ROW EXECUTE FUNCTION complaint_event_append_only();
    """)
    op.create_table(
        "reporter",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        _fk("complaint_id", "complaint.id", ondelete="CASCADE", nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("phone", sa.Text),
        sa.Column("email", sa.Text),
        sa.Column("anonymity", sa.Text, nullable=False, server_default="publik_tanpa_nama"),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("complaint_id"),
        sa.CheckConstraint("anonymity IN ('publik_tanpa_nama', 'rahasia')", name="anonymity"),
    )
    op.create_table(
        "analysis_run",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("method", sa.Text, nullable=False),
        _fk("kelurahan_code", "kelurahan.code"),
        sa.Column("parameters", JSONB, nullable=False, server_default=JSON_EMPTY),
        sa.Column("inputs", JSONB, nullable=False, server_default=JSON_EMPTY),
        sa.Column("status", sa.Text, nullable=False, server_default="running"),
        sa.Column("message", sa.Text),
        sa.Column("code_version", sa.Text, nullable=False),
        sa.Column("output_layer", sa.Text),
        _ts("started_at"),
        _ts("finished_at", nullable=True, default=False),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint("status IN ('running', 'done', 'failed')", name="status"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        _ts("at"),
        _fk("user_id", "app_user.id"),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("object_type", sa.Text, nullable=False),
        sa.Column("object_id", sa.Text),
        sa.Column("reason", sa.Text),
        sa.Column("detail", JSONB, nullable=False, server_default=JSON_EMPTY),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    for table in ("audit_log", "analysis_run", "reporter"):
        op.drop_table(table)
    op.execute("DROP TRIGGER complaint_event_append_only ON complaint_event")
    op.execute("DROP FUNCTION complaint_event_append_only()")
    for table in (
        "complaint_event",
        "complaint",
        "app_user_kelurahan",
        "app_user",
        "complaint_category",
        "facility",
        "facility_category",
        "population",
        "rt",
        "rw",
        "kelurahan",
        "kecamatan",
    ):
        op.drop_table(table)
