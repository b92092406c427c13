"""Backup and restore: the database in pg_dump's custom format plus the stored photos, with checksums.

A backup folder holds:

* ``database.dump`` — ``pg_dump --format=custom`` (schema, data, the PostGIS extension, no owners);
* ``photos/`` — every stored photo (content-addressed, so its name is its SHA-256);
* ``manifest.json`` — when, the schema revision, the row count of every table, and the SHA-256 of
  the dump and of every photo. :func:`restore` checks all of it before it writes anything, and the
  row counts again afterwards.

The client tools come from the same PostgreSQL installation as the embedded server
(:func:`gis.db.embedded.find_pg_bindir`), so ``pg_dump`` is never older than the server.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gis.db.embedded import find_pg_bindir
from gis.errors import DataError

__all__ = ["backup", "restore", "table_counts", "table_fingerprints", "verify"]

MANIFEST = "manifest.json"
DUMP = "database.dump"


def _libpq(engine: Engine) -> str:
    """The engine's URL as libpq understands it (no SQLAlchemy driver suffix)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows per table of the public schema (PostGIS's own spatial_ref_sys left out)."""
    with engine.connect() as conn:
        tables = (
            conn.execute(
                sa.text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'spatial_ref_sys' "
                    "ORDER BY 1"
                )
            )
            .scalars()
            .all()
        )
        return {t: conn.execute(sa.text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in tables}


def table_fingerprints(engine: Engine) -> dict[str, tuple[int, str]]:
    """Per table of the public schema: the row count and the md5 of every row's text in a canonical
    order -- two databases with equal fingerprints hold the same rows (the restore drill compares them)."""
    out = {}
    with engine.connect() as conn:
        tables = (
            conn.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"))
            .scalars()
            .all()
        )
        for t in tables:
            row = conn.execute(
                sa.text(
                    f"SELECT count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) "
                    f'FROM "{t}" x'
                )
            ).one()
            out[t] = (row[0], row[1])
    return out


def _run(args: list[str], what: str, timeout: float = 3600) -> None:
    env = {**os.environ, "PGTZ": "UTC"}
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    if result.returncode != 0:
        raise DataError(f"{what} failed (exit {result.returncode}): {result.stderr.strip()[-800:]}")


def backup(engine: Engine, photo_root: Path, out: Path, pg_bindir: Path | None = None) -> dict:
    """Write a backup folder (it must not exist yet, or be empty); returns the manifest."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise DataError(f"{out} is not empty; choose a new folder for the backup.")
    out.mkdir(parents=True, exist_ok=True)
    bindir = find_pg_bindir(pg_bindir)
    with engine.connect() as conn:
        revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    counts = table_counts(engine)
    _run(
        [
            str(bindir / "pg_dump"),
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            "--file",
            str(out / DUMP),
            "--dbname",
            _libpq(engine),
        ],
        "pg_dump",
    )
    photos = {}
    root = Path(photo_root)
    if root.is_dir():
        for path in sorted(root.glob("??/*.*")):
            if path.name.startswith("."):
                continue  # an upload still being written
            target = out / "photos" / path.parent.name / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            photos[f"{path.parent.name}/{path.name}"] = _sha256(target)
    manifest = {
        "format": 1,
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "schema_revision": revision,
        "tables": counts,
        "dump_sha256": _sha256(out / DUMP),
        "photos": photos,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return manifest


def verify(folder: Path) -> dict:
    """Check a backup folder against its manifest; returns the manifest or says what is wrong."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise DataError(f"{folder} is not a SIG Kelurahan backup ({MANIFEST}: {exc}).") from None
    if not (folder / DUMP).is_file() or _sha256(folder / DUMP) != manifest["dump_sha256"]:
        raise DataError(f"{folder / DUMP} is missing or damaged (checksum differs); use another backup.")
    bad = [
        name
        for name, digest in manifest["photos"].items()
        if not (folder / "photos" / name).is_file() or _sha256(folder / "photos" / name) != digest
    ]
    if bad:
        raise DataError(f"{len(bad)} photo(s) in the backup are missing or damaged, e.g. {bad[0]}.")
    return manifest


def restore(
    engine: Engine, photo_root: Path, folder: Path, replace: bool = False, pg_bindir: Path | None = None
) -> dict:
    """Restore a verified backup into the engine's database and the photo folder.

    Refuses a database that already holds tables unless ``replace`` (then its public schema is
    dropped first). Returns the manifest; raises if the restored row counts differ from it.
    """
    manifest = verify(folder)
    existing = table_counts(engine)
    if existing and not replace:
        raise DataError(
            f"The target database already has {len(existing)} tables; restoring would replace them.",
            hint="Restore into an empty database, or confirm with --yes.",
        )
    if existing:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    bindir = find_pg_bindir(pg_bindir)
    _run(
        [
            str(bindir / "pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            "--dbname",
            _libpq(engine),
            str(Path(folder) / DUMP),
        ],
        "pg_restore",
    )
    root = Path(photo_root)
    for name, digest in manifest["photos"].items():
        target = root / name
        if target.exists() and _sha256(target) == digest:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(folder) / "photos" / name, target)
    restored = table_counts(engine)
    if restored != manifest["tables"]:
        diff = {
            t: (manifest["tables"].get(t), restored.get(t))
            for t in set(restored) | set(manifest["tables"])
            if manifest["tables"].get(t) != restored.get(t)
        }
        raise DataError(f"Restored row counts differ from the backup's: {diff}")
    return manifest
