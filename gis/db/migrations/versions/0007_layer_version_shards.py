"""Layer change counters in 16 shards: concurrent writers no longer queue on one row lock; the
submission key's foreign key is checked at commit, so a key can be claimed before its complaint.

Every complaint INSERT/UPDATE bumped the single ``layer_version`` row of its table and held that row
lock until COMMIT, so concurrent submissions serialised on it (measured by scripts/bench/bench_submit.py:
3 of 8 connections waiting). Each backend now bumps the shard ``pg_backend_pid() % 16``; a layer's
version is the sum over its shards, which still only grows, and still changes in the same
transaction as the data it describes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SHARDS = 16


FK = "fk_submission_complaint_id_complaint"


def _submission_fk(deferred: bool) -> None:
    op.drop_constraint(FK, "submission", type_="foreignkey")
    extra = {"deferrable": True, "initially": "DEFERRED"} if deferred else {}
    op.create_foreign_key(
        FK, "submission", "complaint", ["complaint_id"], ["id"], ondelete="CASCADE", **extra
    )


def upgrade() -> None:
    _submission_fk(True)
    op.add_column("layer_version", sa.Column("shard", sa.SmallInteger, nullable=False, server_default="0"))
    op.drop_constraint("pk_layer_version", "layer_version", type_="primary")
    op.create_primary_key("pk_layer_version", "layer_version", ["layer", "shard"])
    op.execute(f"""
        CREATE OR REPLACE FUNCTION bump_layer_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO layer_version (layer, shard, version, changed_at)
            VALUES (TG_TABLE_NAME, pg_backend_pid() % {SHARDS}, 1, now())
            ON CONFLICT (layer, shard) DO UPDATE
                SET version = layer_version.version + 1, changed_at = now();
            RETURN NULL;
        END $$;
    """)


def downgrade() -> None:
    _submission_fk(False)
    op.execute("""
        CREATE OR REPLACE FUNCTION bump_layer_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO layer_version (layer, version, changed_at) VALUES (TG_TABLE_NAME, 1, now())
            ON CONFLICT (layer) DO UPDATE SET version = layer_version.version + 1, changed_at = now();
            RETURN NULL;
        END $$;
    """)
    op.execute(
        "CREATE TEMP TABLE layer_totals ON COMMIT DROP AS SELECT layer, sum(version) AS version, "
        "max(changed_at) AS changed_at FROM layer_version GROUP BY layer"
    )
    op.execute("DELETE FROM layer_version")
    op.execute(
        "INSERT INTO layer_version (layer, shard, version, changed_at) "
        "SELECT layer, 0, version, changed_at FROM layer_totals"
    )
    op.drop_constraint("pk_layer_version", "layer_version", type_="primary")
    op.create_primary_key("pk_layer_version", "layer_version", ["layer"])
    op.drop_column("layer_version", "shard")
