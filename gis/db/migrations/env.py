"""Alembic environment: runs on the connection that gis.db.migrate hands over."""

from alembic import context
from geoalchemy2 import alembic_helpers

from gis.db.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    include_object=alembic_helpers.include_object,
    process_revision_directives=alembic_helpers.writer,
    render_item=alembic_helpers.render_item,
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
