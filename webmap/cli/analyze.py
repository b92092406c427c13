"""``sigkel analyze`` with its complaint analyses (hot spots, KDE, emerging), and ``sigkel report``.

The options and helpers shared with the planning analyses (``webmap.cli.planning``) live here too.
"""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa

from webmap.cli.base import _database, _settings, cli

__all__ = ["analyze_group", "report_command"]


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
