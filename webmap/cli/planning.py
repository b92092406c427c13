"""The planning analyses of ``sigkel analyze``: coverage, accessibility, deficit, siting, evidence."""

from __future__ import annotations

from pathlib import Path

import click

from webmap.cli.analyze import _OUT_LAYER, _apply, _metres, _run_analysis, analyze_group
from webmap.cli.base import _database, _settings

__all__ = [
    "analyze_accessibility",
    "analyze_coverage",
    "analyze_deficit",
    "analyze_evidence",
    "analyze_siting",
]


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
