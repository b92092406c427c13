"""The ``sigkel`` command: Flask's click group, so it also knows the app (``sigkel routes``).

Commands parse arguments and call ``gis``; expected errors print one clear message and exit 1.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import FlaskGroup

from gis.config import Settings
from gis.db import migrate
from gis.db.embedded import EmbeddedCluster
from gis.db.engine import describe_url, ensure_database, make_engine
from gis.errors import SigkelError

__all__ = ["cli", "main"]


def _create_app():
    from webmap import create_app

    return create_app()


class SigkelGroup(FlaskGroup):
    """Turns expected errors into a message and exit status 1, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except SigkelError as exc:
            raise click.ClickException(str(exc)) from exc
        except sa.exc.OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise click.ClickException(
                f"Lost the connection to the database: {reason}. Check that it is running "
                "(sigkel db status) and try again."
            ) from exc
        except sa.exc.DBAPIError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            hint = ""
            if "permission denied" in reason:
                hint = (
                    " The database user may lack rights on schema public (PostgreSQL 15+): "
                    "GRANT CREATE ON SCHEMA public TO <user>;"
                )
            raise click.ClickException(f"The database refused the operation: {reason}.{hint}") from exc


@click.group(
    cls=SigkelGroup, create_app=_create_app, add_version_option=False, load_dotenv=False, set_debug_flag=False
)
def cli():
    """SIG Kelurahan: maps, complaints and planning layers for a kelurahan office.

    Without DATABASE_URL, sigkel runs its own PostGIS database under var/.
    """


def _settings() -> Settings:
    return Settings.from_env()


@contextlib.contextmanager
def _database(settings: Settings, announce: bool = True):
    """An engine on a usable database; stops the embedded one afterwards if we started it."""
    started = False
    if settings.database_url:
        url = ensure_database(settings)
    else:
        cluster = EmbeddedCluster.from_settings(settings)
        started = cluster.start()
        url = cluster.url()
        if announce and started:
            click.echo(f"Embedded PostGIS started ({cluster.data_dir}).")
    engine = make_engine(url)
    try:
        yield engine, started
    finally:
        engine.dispose()


# -- sigkel db ------------------------------------------------------------------------------------


@cli.group("db")
def db_group():
    """Manage the database server and its schema."""


def _cluster_or_explain(settings: Settings) -> EmbeddedCluster:
    if settings.database_url:
        raise click.ClickException(
            f"DATABASE_URL is set ({describe_url(settings.database_url)}), so sigkel uses that "
            "server and runs no local database. Unset DATABASE_URL to use the embedded one."
        )
    return EmbeddedCluster.from_settings(settings)


@db_group.command("start", with_appcontext=False)
def db_start():
    """Start the embedded database (created on first use)."""
    cluster = _cluster_or_explain(_settings())
    started = cluster.start()
    click.echo("Started." if started else "Already running.")
    click.echo(cluster.status().describe())


@db_group.command("stop", with_appcontext=False)
def db_stop():
    """Stop the embedded database."""
    cluster = _cluster_or_explain(_settings())
    click.echo("Stopped." if cluster.stop() else "It was not running.")


@db_group.command("status", with_appcontext=False)
def db_status():
    """Show whether the embedded database runs."""
    settings = _settings()
    if settings.database_url:
        click.echo(f"Using DATABASE_URL: {describe_url(settings.database_url)}")
        return
    click.echo(EmbeddedCluster.from_settings(settings).status().describe())


@db_group.command("upgrade", with_appcontext=False)
@click.argument("revision", default="head")
def db_upgrade(revision):
    """Bring the tables to the newest schema.

    Also brings the category tables up to date from data/categories.
    """
    from gis import pipelines

    settings = _settings()
    with _database(settings) as (engine, _), engine.begin() as conn:
        before = migrate.current(conn)
        after = migrate.upgrade(conn, revision)
        if after == migrate.head():
            seeded = pipelines.seed_reference(conn, settings.data_dir)
    click.echo(f"Schema: {before or 'empty'} -> {after}")
    if after == migrate.head():
        click.echo("Categories: " + ", ".join(f"{n} {t}" for t, n in seeded.items()))


@db_group.command("downgrade", with_appcontext=False)
@click.argument("revision", default="-1")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def db_downgrade(revision, yes):
    """Undo the last schema change, or back to REVISION.

    'base' removes every table.
    """
    if not yes:
        click.confirm(f"Downgrade the schema to {revision}? Data in removed tables is lost", abort=True)
    with _database(_settings()) as (engine, _), engine.begin() as conn:
        after = migrate.downgrade(conn, revision)
    click.echo(f"Schema now at: {after or 'empty'}")


@db_group.command("current", with_appcontext=False)
def db_current():
    """Show the schema version of the database."""
    with _database(_settings(), announce=False) as (engine, _), engine.connect() as conn:
        now = migrate.current(conn)
    click.echo(f"current: {now or 'empty'}\nhead:    {migrate.head()}")


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


# -- sigkel analyze ------------------------------------------------------------------------------


@cli.group("analyze")
def analyze_group():
    """Run an analysis and store its output layer."""


_OUT_LAYER = click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the output layer (.geojson or .gpkg).",
)


def _apply(command, options):
    """Decorate ``command`` with ``options`` in the order they are listed (as --help shows them)."""
    for option in reversed(options):
        command = option(command)
    return command


def _analysis_options(command):
    options = [
        click.option(
            "--kelurahan", "kelurahan", multiple=True, help="Kelurahan code (repeatable; default all)."
        ),
        click.option("--category", help="Only this complaint category."),
        click.option(
            "--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), help="First day (YYYY-MM-DD)."
        ),
        click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), help="Last day (YYYY-MM-DD)."),
        click.option("--cell-size", default="auto", show_default=True, help="Cell size in metres, or auto."),
        _OUT_LAYER,
    ]
    return _apply(command, options)


def _metres(value: str, name: str) -> float | None:
    if value == "auto":
        return None
    try:
        number = float(value)
    except ValueError:
        raise click.BadParameter(f"{name} must be a number of metres or auto, got {value!r}.") from None
    if number <= 0:
        raise click.BadParameter(f"{name} must be positive.")
    return number


def _run_analysis(job, params, out: Path | None) -> None:
    with _database(_settings(), announce=False) as (engine, _), engine.begin() as conn:
        run_id, frame = job(conn, params)
        message = conn.execute(
            sa.text("SELECT message FROM analysis_run WHERE id = :i"), {"i": run_id}
        ).scalar()
    click.echo(f"Run {run_id}: {len(frame)} features. {message}")
    if out:
        from gis.io.export import FORMATS

        driver = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG"}.get(out.suffix.lower())
        if driver is None:
            raise click.BadParameter(f"--out must end in .geojson or .gpkg (formats: {', '.join(FORMATS)}).")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.unlink(missing_ok=True)
        frame.to_file(out, driver=driver, engine="pyogrio")
        click.echo(f"Wrote {out}")


def _params(kelurahan, category, date_from, date_to, cell_size, **extra):
    from gis.analysis.jobs import AnalysisParams

    return AnalysisParams(
        kelurahan=list(kelurahan) or None,
        category=category,
        date_from=date_from.date() if date_from else None,
        date_to=date_to.date() if date_to else None,
        cell_size=_metres(cell_size, "--cell-size"),
        **extra,
    )


@analyze_group.command("hotspots", with_appcontext=False)
@_analysis_options
@click.option("--shape", type=click.Choice(["hex", "square", "rw", "rt"]), default="hex", show_default=True)
@click.option("--band", default="auto", show_default=True, help="Neighbourhood distance in metres, or auto.")
@click.option(
    "--permutations",
    type=click.IntRange(0, 99_999),
    default=0,
    show_default=True,
    help="Conditional permutations.",
)
@click.option("--seed", type=int, help="Seed for the permutations.")
@click.option("--fdr/--no-fdr", default=True, show_default=True, help="False discovery rate correction.")
@click.option("--rate", is_flag=True, help="RW/RT: complaints per 1,000 residents (EB smoothed).")
@click.option("--lisa", is_flag=True, help="Also Local Moran's I clusters and outliers.")
@click.option(
    "--knn", type=click.IntRange(1, 500), help="Grids: k nearest neighbours instead of a distance band."
)
@click.option(
    "--private",
    "allow_private",
    is_flag=True,
    help="Allow a non-public category; the run is never shown on planner pages.",
)
def analyze_hotspots(
    kelurahan,
    category,
    date_from,
    date_to,
    cell_size,
    out,
    shape,
    band,
    permutations,
    seed,
    fdr,
    rate,
    lisa,
    knn,
    allow_private,
):
    """Getis-Ord Gi* hot spots of complaints."""
    from gis.analysis.jobs import run_hotspots

    params = _params(
        kelurahan,
        category,
        date_from,
        date_to,
        cell_size,
        shape=shape,
        band=_metres(band, "--band"),
        permutations=permutations,
        seed=seed,
        fdr=fdr,
        rate=rate,
        lisa=lisa,
        knn=knn,
        extra={"allow_private": allow_private},
    )
    _run_analysis(run_hotspots, params, out)


@analyze_group.command("kde", with_appcontext=False)
@_analysis_options
@click.option("--bandwidth", default="auto", show_default=True, help="Search radius in metres, or auto.")
def analyze_kde(kelurahan, category, date_from, date_to, cell_size, out, bandwidth):
    """Kernel density of complaints (per km²)."""
    from gis.analysis.jobs import run_kde

    params = _params(
        kelurahan, category, date_from, date_to, cell_size, bandwidth=_metres(bandwidth, "--bandwidth")
    )
    _run_analysis(run_kde, params, out)


@analyze_group.command("emerging", with_appcontext=False)
@_analysis_options
@click.option("--step", type=click.Choice(["week", "month"]), default="month", show_default=True)
@click.option("--band", default="auto", show_default=True, help="Neighbourhood distance in metres, or auto.")
def analyze_emerging(kelurahan, category, date_from, date_to, cell_size, out, step, band):
    """Emerging hot spots over time (17 categories)."""
    from gis.analysis.jobs import run_emerging

    params = _params(
        kelurahan, category, date_from, date_to, cell_size, step=step, band=_metres(band, "--band")
    )
    _run_analysis(run_emerging, params, out)


# -- sigkel demo / serve ----------------------------------------------------------------------


def _serve(settings: Settings, host: str, port: int, workers: int, threads: int, started: bool) -> None:
    """Serve until interrupted; then stop the embedded database if this command started it.

    gunicorn forks its workers from this process and they leave through SystemExit, unwinding this
    same stack: only the process that started the database may stop it.
    """
    from webmap.serve import run_gunicorn

    owner = os.getpid()
    click.echo(f"Serving on http://{host}:{port}  (Ctrl-C to stop)")
    try:
        run_gunicorn(host, port, workers, threads)
    finally:
        if started and os.getpid() == owner:
            cluster = EmbeddedCluster.from_settings(settings)
            others = cluster.client_count()
            if others:
                click.echo(f"Embedded PostGIS left running: {others} other connection(s) use it.")
            else:
                cluster.stop()
                click.echo("Embedded PostGIS stopped.")


_host = click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
_port = click.option("--port", type=int, default=None, help="Port (default 5000).")


@cli.command("demo", with_appcontext=False)
@click.option("--no-serve", is_flag=True, help="Load the data and exit without serving.")
@click.option("--yes", is_flag=True, help="Load even into a database that holds other areas.")
@_host
@_port
def demo(no_serve, yes, host, port):
    """Load the Cempaka Putih demo and serve its map.

    Safe to repeat: loading again updates rows in place and duplicates nothing.
    """
    settings = _settings()
    with _database(settings) as (engine, started):
        t0 = time.monotonic()
        from gis import pipelines

        with engine.begin() as conn:
            migrate.upgrade(conn)
            others = pipelines.non_demo_kelurahan(conn)
            if others and not yes:
                raise click.ClickException(
                    f"This database already holds {len(others)} kelurahan outside the demo area "
                    f"(e.g. {others[0]}); the demo would add synthetic complaints to it. "
                    "Use --yes if that is really what you want."
                )
            read = pipelines.load_demo(conn, settings.data_dir)
            counts = pipelines.demo_counts(conn)
            users, password = pipelines.ensure_demo_accounts(conn, settings.var_dir)
        click.echo(
            f"Demo loaded in {time.monotonic() - t0:.1f} s: " + ", ".join(f"{counts[k]} {k}" for k in counts)
        )
        click.echo(
            f"(files: {read['rw']} RW, {read['rt']} RT synthetic, {read['facilities']} "
            f"facilities, {read['complaints']} complaints synthetic)"
        )
        click.echo(
            f"Staff login at /petugas/masuk: {', '.join(users)} with password {password} "
            f"(kept in {settings.var_dir / 'demo-accounts.txt'})."
        )
    if not no_serve:  # after the engine is disposed: forked workers must not inherit its pool
        _serve(settings, host or settings.host, port or settings.port, 2, 4, started)


@cli.command("serve", with_appcontext=False)
@_host
@_port
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True, help="Worker processes.")
@click.option(
    "--threads", type=click.IntRange(1, 64), default=4, show_default=True, help="Threads per worker."
)
def serve(host, port, workers, threads):
    """Serve the web app with gunicorn.

    The database must have its tables: run `sigkel db upgrade` first.
    """
    settings = _settings()
    with _database(settings) as (engine, started), engine.connect() as conn:
        if migrate.current(conn) is None:
            raise click.ClickException(
                "The database has no tables yet: run `sigkel db "
                "upgrade` (or `sigkel demo` for the demo area)."
            )
    _serve(settings, host or settings.host, port or settings.port, workers, threads, started)


def _planning_options(command):
    options = [
        click.option(
            "--kelurahan", "kelurahan", multiple=True, help="Kelurahan code (repeatable; default all)."
        ),
        click.option(
            "--type",
            "facility_type",
            default="posyandu",
            show_default=True,
            help="Facility type (data/standards), e.g. posyandu, sd, puskesmas_pembantu.",
        ),
        click.option(
            "--year", type=click.IntRange(1900, 2100), help="Population year (default: the latest)."
        ),
        click.option(
            "--cell-size",
            default="none",
            show_default=True,
            help="Grid cells of this many metres as demand, or none for RT/RW units.",
        ),
        _OUT_LAYER,
    ]
    return _apply(command, options)


def _planning_params(kelurahan, facility_type, year, cell_size, **extra):
    from gis.planning.jobs import PlanningParams

    return PlanningParams(
        facility_type=facility_type,
        kelurahan=list(kelurahan) or None,
        year=year,
        cell_size=None if cell_size == "none" else _metres(cell_size, "--cell-size"),
        **extra,
    )


@analyze_group.command("coverage", with_appcontext=False)
@_planning_options
def analyze_coverage(kelurahan, facility_type, year, cell_size, out):
    """Share of people within the service radius, and the uncovered area."""
    from gis.planning.jobs import run_coverage

    _run_analysis(run_coverage, _planning_params(kelurahan, facility_type, year, cell_size), out)


@analyze_group.command("accessibility", with_appcontext=False)
@_planning_options
@click.option(
    "--variant",
    type=click.Choice(["catchment", "gaussian", "step"]),
    default="catchment",
    show_default=True,
    help="2SFCA (Luo & Wang 2003), Gaussian decay, or enhanced (stepped) 2SFCA.",
)
def analyze_accessibility(kelurahan, facility_type, year, cell_size, out, variant):
    """2SFCA accessibility: A >= 1 reads as adequately served."""
    from gis.planning.jobs import run_accessibility

    params = _planning_params(kelurahan, facility_type, year, cell_size, variant=variant)
    _run_analysis(run_accessibility, params, out)


@analyze_group.command("deficit", with_appcontext=False)
@_planning_options
@click.option("--level", type=click.Choice(["rw", "kelurahan"]), default="rw", show_default=True)
def analyze_deficit(kelurahan, facility_type, year, cell_size, out, level):
    """Required units against existing ones, and the land needed, per RW or kelurahan."""
    from gis.planning.jobs import run_deficit

    _run_analysis(run_deficit, _planning_params(kelurahan, facility_type, year, cell_size, level=level), out)


@analyze_group.command("siting", with_appcontext=False)
@_planning_options
@click.option(
    "-k",
    "--count",
    "k",
    type=click.IntRange(1, 100),
    default=3,
    show_default=True,
    help="How many new facilities to place.",
)
@click.option(
    "--spacing", type=float, help="Candidate grid spacing in metres (default: the cell size or 100)."
)
def analyze_siting(kelurahan, facility_type, year, cell_size, out, k, spacing):
    """Greedy maximal covering: where the next K facilities would reach the most people now unserved."""
    from gis.planning.jobs import run_siting

    params = _planning_params(kelurahan, facility_type, year, cell_size, k=k, candidate_spacing=spacing)
    _run_analysis(run_siting, params, out)


@analyze_group.command("evidence", with_appcontext=False)
@click.option("--kelurahan", "kelurahan", multiple=True, help="Kelurahan code (repeatable; default all).")
@click.option("--year", type=click.IntRange(1900, 2100), help="Population year (default: the latest).")
@click.option(
    "--months",
    type=click.IntRange(1, 120),
    default=12,
    show_default=True,
    help="Complaints of the last N months.",
)
@click.option(
    "--types",
    default=",".join(("posyandu", "tk", "sd", "puskesmas_pembantu", "taman_rw", "pos_kamling")),
    show_default=True,
    help="Facility types, comma-separated.",
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="A .csv or .xlsx file."
)
def analyze_evidence(kelurahan, year, months, types, out):
    """The evidence table per RW for Musrenbang (CSV or XLSX)."""
    from gis.planning.evidence import evidence_table, to_csv, to_xlsx

    writer = {".csv": to_csv, ".xlsx": to_xlsx}.get(out.suffix.lower())
    if writer is None:
        raise click.BadParameter("--out must end in .csv or .xlsx.")
    with _database(_settings(), announce=False) as (engine, _), engine.connect() as conn:
        table = evidence_table(
            conn, list(kelurahan) or None, year, tuple(t for t in types.split(",") if t), months
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    writer(table, out)
    click.echo(f"Wrote {len(table)} RW to {out} (population year {table.attrs['year']}).")


# -- sigkel report --------------------------------------------------------------------------------


@cli.command("report", with_appcontext=False)
@click.option("--kelurahan", help="Kelurahan code (default: every kelurahan together).")
@click.option("--period", required=True, help="2026, 2026-Q3 or 2026-09.")
@click.option("--format", "fmt", type=click.Choice(["html", "pdf"]), default="pdf", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--no-hotspots", is_flag=True, help="Leave out the period's hot spot analysis.")
def report_command(kelurahan, period, fmt, out, no_hotspots):
    """Write the evaluation report of a period (HTML or PDF)."""
    from gis.reports import build_report, render_html, to_pdf

    with _database(_settings(), announce=False) as (engine, _), engine.begin() as conn:
        data = build_report(conn, kelurahan, period, hotspots=not no_hotspots)
    document = render_html(data)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "html":
        out.write_text(document, encoding="utf-8")
    else:
        to_pdf(document, out)
    o = data["overall"]
    sla = "–" if o["sla_compliance"] is None else f"{100 * o['sla_compliance']:.1f}%"
    click.echo(f"{data['name']} {data['period'].label}: {o['received']} complaints, SLA {sla}. Wrote {out}")


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


# -- sigkel users ---------------------------------------------------------------------------------


@cli.group("users")
def users_group():
    """Manage staff accounts and their kelurahan.

    Roles: admin, staff (petugas) and planner (perencana); each user is scoped to one or more kelurahan.
    """


@users_group.command("add", with_appcontext=False)
@click.argument("username")
@click.option("--name", "full_name", help="Full name shown in the trail (default: the username).")
@click.option("--role", type=click.Choice(["admin", "staff", "planner"]), required=True)
@click.option("--kelurahan", "kelurahan", multiple=True, required=True, help="Kelurahan code (repeatable).")
@click.option(
    "--password",
    envvar="SIGKEL_NEW_PASSWORD",
    help="The password (default: asked twice; or SIGKEL_NEW_PASSWORD).",
)
def users_add(username, full_name, role, kelurahan, password):
    """Add a user."""
    from gis import auth

    if not password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _database(_settings(), announce=False) as (engine, _), engine.begin() as conn:
        user_id = auth.add_user(conn, username, full_name or username, password, role, list(kelurahan))
    click.echo(f"User {username} ({role}) added with id {user_id}.")


@users_group.command("list", with_appcontext=False)
def users_list():
    """List users with their role, kelurahan and live sessions."""
    from gis import auth

    with _database(_settings(), announce=False) as (engine, _), engine.connect() as conn:
        rows = auth.list_users(conn)
    if not rows:
        click.echo("No users yet: sigkel users add NAME --role admin --kelurahan CODE")
    for r in rows:
        state = "active" if r["active"] else "disabled"
        click.echo(
            f"{r['username']:<20} {r['role']:<8} {state:<8} sessions={r['sessions']:<3} "
            f"{','.join(k for k in r['kelurahan'] if k)}  {r['full_name']}"
        )


@users_group.command("disable", with_appcontext=False)
@click.argument("username")
def users_disable(username):
    """Disable a user and revoke every session they have."""
    from gis import auth

    with _database(_settings(), announce=False) as (engine, _), engine.begin() as conn:
        auth.set_active(conn, username, False)
    click.echo(f"User {username} disabled; their sessions are revoked.")


@users_group.command("enable", with_appcontext=False)
@click.argument("username")
def users_enable(username):
    """Enable a disabled user again."""
    from gis import auth

    with _database(_settings(), announce=False) as (engine, _), engine.begin() as conn:
        auth.set_active(conn, username, True)
    click.echo(f"User {username} enabled.")


@cli.group("outbox")
def outbox_group():
    """Deliver notifications queued for reporters.

    The web app only queues them; run `sigkel outbox send` from cron or a systemd timer.
    """


@outbox_group.command("send", with_appcontext=False)
@click.option("--limit", type=click.IntRange(1, 10000), default=100, show_default=True)
@click.option(
    "--smtp",
    envvar="SIGKEL_SMTP_URL",
    help="smtp://user:password@host:587/?from=ADDRESS (default: append to var/outbox/messages.jsonl).",
)
def outbox_send(limit, smtp):
    """Deliver pending notifications once."""
    from gis.complaints.outbox import LogSender, SmtpSender, deliver_pending

    settings = _settings()
    sender = SmtpSender(smtp) if smtp else LogSender(settings.var_dir / "outbox" / "messages.jsonl")
    with _database(settings, announce=False) as (engine, _), engine.connect() as conn:
        counts = deliver_pending(conn, sender, limit, commit=conn.commit)
    click.echo(
        f"sent {counts['sent']}, failed {counts['failed']} (retried next run), skipped {counts['skipped']}"
    )


def _register_plugins() -> None:
    from webmap.cli_apikey import apikey

    cli.add_command(apikey)


_register_plugins()


def main() -> None:
    cli(prog_name="sigkel")
