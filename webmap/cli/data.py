"""``sigkel import`` / ``export`` (GIS files) and ``sigkel backup`` / ``restore`` (the whole database)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from webmap.cli.base import _database, _settings, cli

__all__ = ["backup_command", "export_command", "import_command", "restore_command"]


# -- sigkel import / export ----------------------------------------------------------------


class _ProgressLine:
    """Rows read so far (of how many, when the format says) on one rewritten stderr line."""

    def __init__(self):
        self.done = 0

    def __call__(self, rows: int, total: int | None) -> None:
        self.done += rows
        of = f" / {total:,}" if total else ""
        pct = f" ({100 * self.done / total:.0f}%)" if total else ""
        click.echo(f"\rMembaca / reading: {self.done:,}{of} rows{pct}", err=True, nl=False)
        if total is None or self.done >= total:
            click.echo("", err=True)


@cli.command("import", with_appcontext=False)
@click.argument("kind", type=click.Choice(["boundaries", "facilities", "population", "complaints"]))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--layer", help="Layer of a GeoPackage or other multi-layer file.")
@click.option(
    "--level",
    type=click.Choice(["kecamatan", "kelurahan", "rw", "rt"]),
    help="Boundary level (detected from the columns when omitted).",
)
@click.option("--kelurahan", "kelurahan", help="Kelurahan code every row belongs to.")
@click.option("--map", "maps", multiple=True, metavar="FIELD=COLUMN", help="Use COLUMN for FIELD.")
@click.option("--crs", help="CRS of a file that does not say (e.g. EPSG:32748).")
@click.option("--source", help="Source name for the natural key (default: the file name).")
@click.option("--category", help="Category for rows without one.")
@click.option("--dry-run", is_flag=True, help="Validate and report; write nothing.")
@click.option("--skip-invalid", is_flag=True, help="Load the good rows; write the rejects to a file.")
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the reports go (default var/reports).",
)
def import_command(
    kind, file, layer, level, kelurahan, maps, crs, source, category, dry_run, skip_invalid, report_dir
):
    """Import a GIS file, with validation and a report."""
    from gis import pipelines
    from gis.io import ImportOptions
    from gis.io.fields import describe_mapping, parse_overrides

    settings = _settings()
    stem = (report_dir or settings.var_dir / "reports") / f"{file.stem}-{time.strftime('%Y%m%d-%H%M%S')}"
    options = ImportOptions(
        layer=layer,
        kelurahan=kelurahan,
        overrides=parse_overrides(maps),
        crs=crs,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        level=level,
        source=source,
        category=category,
        rejects_path=stem.with_name(stem.name + ".rejects.geojson"),
    )
    with _database(settings, announce=False) as (engine, _), engine.begin() as conn:
        report = pipelines.import_file(conn, kind, file, options, settings.data_dir, _ProgressLine())
    if dry_run:
        base = kind if kind != "boundaries" else f"{level or report.kind.split('(')[1][:-1]}"
        click.echo(describe_mapping(report.mapping, base))
    click.echo(report.summary())
    for path in report.write(stem):
        click.echo(f"  report: {path}")
    if report.errors and not (skip_invalid and not dry_run):
        raise click.ClickException(
            f"{len(report.errors)} problem(s) must be fixed first; nothing was loaded. Fix the file, "
            "or load the good rows with --skip-invalid."
        )


@cli.command("export", with_appcontext=False)
@click.argument(
    "layer",
    type=click.Choice(
        ["kecamatan", "kelurahan", "rw", "rt", "facilities", "population", "complaints", "analysis"]
    ),
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["geojson", "gpkg", "shp", "csv", "kml"]),
    default="geojson",
    show_default=True,
)
@click.option("--kelurahan", help="Only this kelurahan code.")
@click.option("--bbox", help="Only features in W,S,E,N (degrees).")
@click.option("--private", is_flag=True, help="Complaints: exact points and descriptions (staff only).")
@click.option("--run", "run", type=int, help="analysis: the run id to export.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
def export_command(layer, fmt, kelurahan, bbox, private, run, out):
    """Export a stored layer to a file."""
    from gis.db.queries import parse_bbox
    from gis.io import export_layer

    with _database(_settings(), announce=False) as (engine, _), engine.connect() as conn:
        count = export_layer(conn, layer, fmt, out, kelurahan, parse_bbox(bbox), private, run)
    click.echo(f"Exported {count} {layer} to {out}")


# -- sigkel backup / restore ---------------------------------------------------------------------


@cli.command("backup", with_appcontext=False)
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="A new, empty folder."
)
def backup_command(out):
    """Back up the database and the stored photos, with checksums."""
    from gis.backup import backup

    settings = _settings()
    with _database(settings, announce=False) as (engine, _):
        manifest = backup(engine, settings.photo_path, out, settings.pg_bindir)
    rows, photos = sum(manifest["tables"].values()), len(manifest["photos"])
    click.echo(f"Backed up {len(manifest['tables'])} tables ({rows} rows) and {photos} photos to {out}")


@cli.command("restore", with_appcontext=False)
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace a database that already holds tables.")
def restore_command(folder, yes):
    """Restore a backup folder into the configured database.

    The checksums are verified first; a database that holds tables needs --yes.
    """
    from gis.backup import restore

    settings = _settings()
    with _database(settings, announce=False) as (engine, _):
        manifest = restore(engine, settings.photo_path, folder, replace=yes, pg_bindir=settings.pg_bindir)
    click.echo(
        f"Restored {len(manifest['tables'])} tables and {len(manifest['photos'])} photos "
        f"(schema {manifest['schema_revision']}, backup of {manifest['created_at']})."
    )
