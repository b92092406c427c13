"""The data model: GeoAlchemy2 tables, all geometry in EPSG:4326 with GiST indexes.

Every row that belongs to a place carries ``kelurahan_code`` so that each query can be scoped by
kelurahan (and so that a Citus deployment can distribute by it). Unit codes are natural keys:

* kecamatan ``31.71.05``, kelurahan ``31.71.05.1001`` (Kemendagri);
* RW ``31.71.05.1001.RW005`` and RT ``31.71.05.1001.RW005.RT003`` (derived, not official codes).

This module is the current shape of the schema; Alembic migrations in ``migrations/versions`` are
the history, and a test checks that the two agree.
"""

from __future__ import annotations

import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import JSONB

__all__ = [
    "metadata",
    "kecamatan",
    "kelurahan",
    "rw",
    "rt",
    "population",
    "facility_category",
    "facility",
    "complaint_category",
    "complaint",
    "complaint_event",
    "reporter",
    "analysis_run",
    "app_user",
    "app_user_kelurahan",
    "audit_log",
    "layer_version",
    "analysis_output",
    "submission",
    "complaint_photo",
    "user_session",
    "login_attempt",
    "notification_outbox",
    "api_key",
    "COMPLAINT_STATUSES",
    "ROLES",
]

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# LAPOR!-compatible workflow states.
COMPLAINT_STATUSES = (
    "diterima",
    "verifikasi",
    "ditindaklanjuti",
    "selesai",
    "ditolak",
    "bukan_wewenang",
)
ROLES = ("admin", "staff", "planner")
KODE_KECAMATAN = r"^[0-9]{2}\.[0-9]{2}\.[0-9]{2}$"
KODE_KELURAHAN = r"^[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[12][0-9]{3}$"


def _geom(kind: str) -> sa.Column:
    return sa.Column("geom", Geometry(kind, srid=4326, spatial_index=False), nullable=False)


def _valid_geom() -> sa.CheckConstraint:
    return sa.CheckConstraint("ST_IsValid(geom) AND NOT ST_IsEmpty(geom)", name="geom_valid")


def _gist(table: str, column: str = "geom") -> sa.Index:
    return sa.Index(f"ix_{table}_{column}", column, postgresql_using="gist")


def _created() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


kecamatan = sa.Table(
    "kecamatan",
    metadata,
    sa.Column("code", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kota_code", sa.Text, nullable=False),
    sa.Column("kota_name", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    _geom("MULTIPOLYGON"),
    sa.CheckConstraint(f"code ~ '{KODE_KECAMATAN}'", name="code_format"),
    _valid_geom(),
    _gist("kecamatan"),
)

kelurahan = sa.Table(
    "kelurahan",
    metadata,
    sa.Column("code", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kecamatan_code", sa.Text, sa.ForeignKey("kecamatan.code"), nullable=False),
    sa.Column("kind", sa.Text, nullable=False, server_default="kelurahan"),
    sa.Column("source", sa.Text, nullable=False),
    _geom("MULTIPOLYGON"),
    sa.CheckConstraint(f"code ~ '{KODE_KELURAHAN}'", name="code_format"),
    sa.CheckConstraint("kind IN ('kelurahan', 'desa')", name="kind"),
    sa.CheckConstraint("left(code, 8) = kecamatan_code", name="code_in_kecamatan"),
    _valid_geom(),
    _gist("kelurahan"),
)

rw = sa.Table(
    "rw",
    metadata,
    sa.Column("code", sa.Text, primary_key=True),
    sa.Column("kelurahan_code", sa.Text, sa.ForeignKey("kelurahan.code"), nullable=False),
    sa.Column("number", sa.SmallInteger, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("label_original", sa.Text),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("source_id", sa.Text),
    sa.Column("attributes", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    _geom("MULTIPOLYGON"),
    sa.UniqueConstraint("kelurahan_code", "number"),
    sa.CheckConstraint("number BETWEEN 1 AND 999", name="number_range"),
    sa.CheckConstraint("code = kelurahan_code || '.RW' || lpad(number::text, 3, '0')", name="code_derived"),
    _valid_geom(),
    _gist("rw"),
)

rt = sa.Table(
    "rt",
    metadata,
    sa.Column("code", sa.Text, primary_key=True),
    sa.Column("kelurahan_code", sa.Text, sa.ForeignKey("kelurahan.code"), nullable=False),
    sa.Column("rw_code", sa.Text, sa.ForeignKey("rw.code"), nullable=False),
    sa.Column("number", sa.SmallInteger, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("synthetic", sa.Boolean, nullable=False, server_default=sa.false()),
    _geom("MULTIPOLYGON"),
    sa.UniqueConstraint("rw_code", "number"),
    sa.CheckConstraint("number BETWEEN 1 AND 999", name="number_range"),
    sa.CheckConstraint("code = rw_code || '.RT' || lpad(number::text, 3, '0')", name="code_derived"),
    sa.CheckConstraint("left(rw_code, 13) = kelurahan_code", name="rw_in_kelurahan"),
    _valid_geom(),
    _gist("rt"),
)

population = sa.Table(
    "population",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("kelurahan_code", sa.Text, sa.ForeignKey("kelurahan.code"), nullable=False),
    sa.Column("rw_code", sa.Text, sa.ForeignKey("rw.code")),
    sa.Column("rt_code", sa.Text, sa.ForeignKey("rt.code")),
    sa.Column("unit_code", sa.Text, nullable=False),
    sa.Column("year", sa.SmallInteger, nullable=False),
    sa.Column("households", sa.Integer),  # jumlah KK
    sa.Column("persons", sa.Integer, nullable=False),  # jiwa
    sa.Column("male", sa.Integer),
    sa.Column("female", sa.Integer),
    sa.Column("age_0_4", sa.Integer),  # balita
    sa.Column("age_5_14", sa.Integer),
    sa.Column("age_15_64", sa.Integer),
    sa.Column("age_65_plus", sa.Integer),  # lansia
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("synthetic", sa.Boolean, nullable=False, server_default=sa.false()),
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

facility_category = sa.Table(
    "facility_category",
    metadata,
    sa.Column("code", sa.Text, primary_key=True),
    sa.Column("name_id", sa.Text, nullable=False),
    sa.Column("name_en", sa.Text, nullable=False),
    sa.Column("group_code", sa.Text, nullable=False),
    sa.Column("icon", sa.Text, nullable=False, server_default="circle"),
)

facility = sa.Table(
    "facility",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("category", sa.Text, sa.ForeignKey("facility_category.code"), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("address", sa.Text),
    sa.Column("attributes", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("public", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("kelurahan_code", sa.Text, sa.ForeignKey("kelurahan.code")),
    sa.Column("rw_code", sa.Text, sa.ForeignKey("rw.code")),
    sa.Column("rt_code", sa.Text, sa.ForeignKey("rt.code")),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("source_id", sa.Text, nullable=False),
    sa.Column("synthetic", sa.Boolean, nullable=False, server_default=sa.false()),
    _created(),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    _geom("POINT"),
    sa.UniqueConstraint("source", "source_id"),
    sa.CheckConstraint("length(btrim(name)) > 0", name="name_not_blank"),
    _valid_geom(),
    _gist("facility"),
    sa.Index("ix_facility_kelurahan_code_category", "kelurahan_code", "category"),
)

complaint_category = sa.Table(
    "complaint_category",
    metadata,
    sa.Column("code", sa.Text, primary_key=True),
    sa.Column("name_id", sa.Text, nullable=False),
    sa.Column("name_en", sa.Text, nullable=False),
    sa.Column("sla_days", sa.SmallInteger, nullable=False),  # working days to resolve
    # exact: shown where it is; grid: snapped to a grid cell; rt: RT centroid; hidden: never shown
    sa.Column("privacy", sa.Text, nullable=False),
    sa.Column("public", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.CheckConstraint("privacy IN ('exact', 'grid', 'rt', 'hidden')", name="privacy"),
    sa.CheckConstraint("sla_days > 0", name="sla_positive"),
)

complaint = sa.Table(
    "complaint",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("ticket", sa.Text, nullable=False, unique=True),
    sa.Column("category", sa.Text, sa.ForeignKey("complaint_category.code"), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default="diterima"),
    sa.Column("status_reason", sa.Text),
    sa.Column("kelurahan_code", sa.Text, sa.ForeignKey("kelurahan.code")),
    sa.Column("rw_code", sa.Text, sa.ForeignKey("rw.code")),
    sa.Column("rt_code", sa.Text, sa.ForeignKey("rt.code")),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("sla_due", sa.DateTime(timezone=True)),
    sa.Column("first_response_at", sa.DateTime(timezone=True)),
    sa.Column("resolved_at", sa.DateTime(timezone=True)),
    sa.Column("duplicate_of", sa.BigInteger, sa.ForeignKey("complaint.id")),
    sa.Column("supporters", sa.Integer, nullable=False, server_default="0"),
    sa.Column("source", sa.Text, nullable=False, server_default="web"),
    sa.Column("source_id", sa.Text),  # natural key of imported complaints, with source
    sa.Column("synthetic", sa.Boolean, nullable=False, server_default=sa.false()),
    # rahasia: the reporter asked that nothing of this complaint be public
    sa.Column("confidential", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("reopened_count", sa.SmallInteger, nullable=False, server_default="0"),
    # hash of the secret code given to the reporter once, which lets them dispute a closure
    sa.Column("secret_hash", sa.Text),
    # the reporter's rating (1-5) of how a closed complaint was handled
    sa.Column("rating", sa.SmallInteger),
    sa.Column("rated_at", sa.DateTime(timezone=True)),
    sa.Column("anonymised_at", sa.DateTime(timezone=True)),  # personal details removed (retention)
    _geom("POINT"),  # exact location: private
    sa.Column("geom_public", Geometry("POINT", srid=4326, spatial_index=False)),
    sa.UniqueConstraint("source", "source_id"),
    sa.CheckConstraint(f"status IN {COMPLAINT_STATUSES!r}", name="status"),
    sa.CheckConstraint(
        "status NOT IN ('ditolak', 'bukan_wewenang') OR status_reason IS NOT NULL", name="reason_required"
    ),
    sa.CheckConstraint("duplicate_of IS NULL OR duplicate_of <> id", name="not_own_duplicate"),
    sa.CheckConstraint("resolved_at IS NULL OR resolved_at >= created_at", name="resolved_after"),
    sa.CheckConstraint("length(btrim(description)) > 0", name="description_not_blank"),
    sa.CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_range"),
    _valid_geom(),
    _gist("complaint"),
    _gist("complaint", "geom_public"),
    sa.Index("ix_complaint_kelurahan_code_status", "kelurahan_code", "status"),
    sa.Index("ix_complaint_created_at", "created_at"),
    sa.Index("ix_complaint_duplicate_of", "duplicate_of"),  # merges; the FK check on every delete
)

complaint_event = sa.Table(
    "complaint_event",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column(
        "complaint_id",
        sa.BigInteger,
        sa.ForeignKey("complaint.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("status_from", sa.Text),
    sa.Column("status_to", sa.Text),
    sa.Column("note", sa.Text),
    sa.Column("public", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("photo_path", sa.Text),
    sa.Column("user_id", sa.BigInteger, sa.ForeignKey("app_user.id")),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.CheckConstraint("kind IN ('status', 'note', 'photo', 'support', 'dispute', 'merge')", name="kind"),
    sa.CheckConstraint("kind <> 'status' OR status_to IS NOT NULL", name="status_has_target"),
)

reporter = sa.Table(
    "reporter",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column(
        "complaint_id",
        sa.BigInteger,
        sa.ForeignKey("complaint.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    sa.Column("name", sa.Text),
    sa.Column("phone", sa.Text),
    sa.Column("email", sa.Text),
    sa.Column("anonymity", sa.Text, nullable=False, server_default="publik_tanpa_nama"),
    _created(),
    sa.Column("anonymised_at", sa.DateTime(timezone=True)),
    sa.CheckConstraint("anonymity IN ('publik_tanpa_nama', 'rahasia')", name="anonymity"),
)

analysis_run = sa.Table(
    "analysis_run",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("method", sa.Text, nullable=False),
    sa.Column("kelurahan_code", sa.Text, sa.ForeignKey("kelurahan.code")),
    sa.Column("parameters", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("inputs", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("status", sa.Text, nullable=False, server_default="running"),
    sa.Column("message", sa.Text),
    sa.Column("code_version", sa.Text, nullable=False),
    sa.Column("output_layer", sa.Text),
    sa.Column("timings", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.CheckConstraint("status IN ('running', 'done', 'failed')", name="status"),
)

app_user = sa.Table(
    "app_user",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("username", sa.Text, nullable=False, unique=True),
    sa.Column("full_name", sa.Text, nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    _created(),
    sa.CheckConstraint(f"role IN {ROLES!r}", name="role"),
    sa.CheckConstraint("username ~ '^[a-z0-9._-]{3,64}$'", name="username_format"),
)

app_user_kelurahan = sa.Table(
    "app_user_kelurahan",
    metadata,
    sa.Column("user_id", sa.BigInteger, sa.ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("kelurahan_code", sa.Text, sa.ForeignKey("kelurahan.code"), primary_key=True),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("user_id", sa.BigInteger, sa.ForeignKey("app_user.id")),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("object_type", sa.Text, nullable=False),
    sa.Column("object_id", sa.Text),
    sa.Column("reason", sa.Text),
    sa.Column("detail", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
)

layer_version = sa.Table(
    "layer_version",
    metadata,
    sa.Column("layer", sa.Text, primary_key=True),
    # one row per (layer, backend pid % 16): writers do not queue on one lock; version = sum
    sa.Column("shard", sa.SmallInteger, primary_key=True, server_default="0"),
    sa.Column("version", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

analysis_output = sa.Table(
    "analysis_output",
    metadata,
    sa.Column(
        "run_id", sa.BigInteger, sa.ForeignKey("analysis_run.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("feature", sa.Integer, primary_key=True),
    sa.Column("properties", JSONB, nullable=False),
    sa.Column("geom", Geometry("GEOMETRY", srid=4326, spatial_index=False), nullable=False),
    _gist("analysis_output"),
)

submission = sa.Table(
    "submission",
    metadata,
    # client-generated idempotency key, stored in the same transaction as what it created
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("payload_hash", sa.Text, nullable=False),
    sa.Column(
        "complaint_id",
        sa.BigInteger,
        # checked at commit: the key is claimed before the complaint it names is written
        sa.ForeignKey("complaint.id", ondelete="CASCADE", deferrable=True, initially="DEFERRED"),
        nullable=False,
    ),
    sa.Column("response", JSONB, nullable=False),
    _created(),
    sa.CheckConstraint("key ~ '^[A-Za-z0-9_.:-]{8,128}$'", name="key_format"),
    sa.CheckConstraint("kind IN ('report', 'support', 'open311')", name="kind"),
    sa.Index("ix_submission_complaint_id", "complaint_id"),
)

complaint_photo = sa.Table(
    "complaint_photo",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column(
        "complaint_id", sa.BigInteger, sa.ForeignKey("complaint.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("stage", sa.Text, nullable=False),  # sebelum (reported) | sesudah (proof of fix)
    sa.Column("file", sa.Text, nullable=False),  # content-addressed: <sha256>.<ext> under var/photos
    sa.Column("media_type", sa.Text, nullable=False),
    sa.Column("width", sa.Integer, nullable=False),
    sa.Column("height", sa.Integer, nullable=False),
    sa.Column("bytes", sa.Integer, nullable=False),
    sa.Column("user_id", sa.BigInteger, sa.ForeignKey("app_user.id")),
    # where an "after" photo was taken (staff device or the photo's own GPS), and how we know
    sa.Column("location_source", sa.Text),
    sa.Column("distance_m", sa.Float),
    sa.Column("public", sa.Boolean, nullable=False, server_default=sa.true()),
    _created(),
    sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=False)),
    sa.CheckConstraint("stage IN ('sebelum', 'sesudah')", name="stage"),
    sa.CheckConstraint("media_type IN ('image/jpeg', 'image/png', 'image/webp')", name="media_type"),
    sa.CheckConstraint("location_source IS NULL OR location_source IN ('perangkat', 'exif')", name="loc_src"),
    sa.Index("ix_complaint_photo_complaint_id", "complaint_id"),
    sa.Index("ix_complaint_photo_file", "file"),  # /foto/<file>
    _gist("complaint_photo"),
)

user_session = sa.Table(
    "user_session",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),  # sha256 of the cookie's token; the token is not stored
    sa.Column("user_id", sa.BigInteger, sa.ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False),
    sa.Column("csrf_token", sa.Text, nullable=False),
    _created(),
    sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
    sa.Column("ip", sa.Text),
    sa.Column("user_agent", sa.Text),
    sa.Index("ix_user_session_user_id", "user_id"),
)

login_attempt = sa.Table(
    "login_attempt",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("username", sa.Text, nullable=False),
    sa.Column("ip", sa.Text),
    sa.Column("success", sa.Boolean, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Index("ix_login_attempt_username_at", "username", "at"),
    sa.Index("ix_login_attempt_ip_at", "ip", "at"),
)

notification_outbox = sa.Table(
    "notification_outbox",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column(
        "complaint_id", sa.BigInteger, sa.ForeignKey("complaint.id", ondelete="CASCADE"), nullable=False
    ),
    # the recipient is resolved from the reporter row at send time: no contact data is copied here
    sa.Column("reporter_id", sa.BigInteger, sa.ForeignKey("reporter.id", ondelete="CASCADE")),
    sa.Column("template", sa.Text, nullable=False),
    sa.Column("payload", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    _created(),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
    sa.Column("attempts", sa.SmallInteger, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.Index("ix_notification_outbox_pending", "created_at", postgresql_where=sa.text("sent_at IS NULL")),
)

api_key = sa.Table(
    "api_key",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("key_hash", sa.Text, nullable=False, unique=True),  # sha256 of the key
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    _created(),
    sa.Column("last_used_at", sa.DateTime(timezone=True)),
)
