"""The periodic evaluation report: KPIs, charts and a map as inline SVG, in Bahasa Indonesia.

One HTML document holds everything (no external files, no scripts), so it can be mailed, archived,
printed, or turned into PDF by headless Chromium (:func:`to_pdf`). The web dashboard shows the same
document (``/evaluasi``).
"""

from __future__ import annotations

import datetime as dt
import html
import shutil
import subprocess
import tempfile
from pathlib import Path

import geopandas as gpd
import sqlalchemy as sa
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy.engine import Connection

from gis.errors import ConfigError, DataError
from gis.evaluation import Period, evaluation, parse_period

__all__ = ["build_report", "render_html", "to_pdf", "bar_chart", "choropleth_svg", "SLA_CLASSES"]

SLA_CLASSES = [
    (0.0, 0.5, "#d7301f"),
    (0.5, 0.7, "#fc8d59"),
    (0.7, 0.85, "#fdcc8a"),
    (0.85, 1.0001, "#1a9850"),
]
NO_DATA = "#d9d9d9"
MONTHS_ID = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]


def _num(value, digits: int = 1) -> str:
    """Indonesian number format: 1.234,5."""
    if value is None:
        return "–"
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")


def _pct(value) -> str:
    return "–" if value is None else f"{_num(100 * value, 1)}%"


def bar_chart(
    labels: list[str],
    values: list[float],
    title: str,
    width: int = 640,
    height: int = 220,
    color: str = "#7b241c",
    fmt=lambda v: _num(v, 0),
) -> Markup:
    """A plain SVG bar chart (accessible: a title and a text value on every bar)."""
    n = max(len(values), 1)
    top = max([v for v in values if v is not None] or [1]) or 1
    left, bottom, gap = 60, 70, 6
    bar = (width - left - 8) / n - gap
    parts = [
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" class="chart"><title>{html.escape(title)}</title>'
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = left + i * (bar + gap)
        h = 0 if value is None else (height - bottom - 18) * value / top
        y = height - bottom - h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{color}"/>')
        parts.append(
            f'<text x="{x + bar / 2:.1f}" y="{y - 4:.1f}" font-size="11" text-anchor="middle">'
            f"{html.escape(fmt(value) if value is not None else '–')}</text>"
        )
        lx, ly = x + bar / 2, height - bottom + 12
        parts.append(
            f'<text x="{lx:.1f}" y="{ly:.1f}" font-size="10" text-anchor="end" '
            f'transform="rotate(-35 {lx:.1f} {ly:.1f})">{html.escape(label[:22])}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def choropleth_svg(
    frame: gpd.GeoDataFrame, values: dict, title: str, width: int = 640, max_height: int = 560
) -> Markup:
    """RW polygons coloured by SLA compliance, drawn in the local UTM zone (true shapes), with labels."""
    if frame.empty:
        return Markup("")
    from gis.crs import utm_epsg

    lon, lat = frame.union_all().centroid.coords[0]
    metric = frame.to_crs(utm_epsg(lon, lat))
    x0, y0, x1, y1 = metric.total_bounds
    scale = min((width - 20) / max(x1 - x0, 1), (max_height - 20) / max(y1 - y0, 1))  # fits one page
    width = int((x1 - x0) * scale + 20)
    height = int((y1 - y0) * scale + 20)

    def path(geom) -> str:
        out = []
        for poly in getattr(geom, "geoms", [geom]):
            for ring in [poly.exterior, *poly.interiors]:
                pts = " L".join(
                    f"{10 + (x - x0) * scale:.1f},{10 + (y1 - y) * scale:.1f}" for x, y in ring.coords
                )
                out.append(f"M{pts} Z")
        return " ".join(out)

    parts = [
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" class="map"><title>{html.escape(title)}</title>'
    ]
    for row, geom in zip(frame.itertuples(), metric.geometry, strict=True):
        value = values.get(row.code)
        color = NO_DATA if value is None else next(c for lo, hi, c in SLA_CLASSES if lo <= value < hi)
        parts.append(
            f'<path d="{path(geom)}" fill="{color}" stroke="#fff" stroke-width="1.2" '
            f'fill-rule="evenodd"><title>{html.escape(row.name)}: {_pct(value)}</title></path>'
        )
    for row, geom in zip(frame.itertuples(), metric.geometry, strict=True):
        p = geom.representative_point()
        parts.append(
            f'<text x="{10 + (p.x - x0) * scale:.1f}" y="{10 + (y1 - p.y) * scale:.1f}" font-size="10" '
            f'text-anchor="middle">{html.escape(row.name.replace("RW ", ""))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _hotspots(conn: Connection, kelurahan: str | None, period: Period, rw: gpd.GeoDataFrame) -> dict:
    """The period's hot spot summary: Gi* on hexagons over the public categories (recorded as a run),
    and the RW that the significant hot and cold cells fall in."""
    from gis.analysis.jobs import AnalysisParams, run_hotspots

    params = AnalysisParams(
        kelurahan=[kelurahan] if kelurahan else None,
        shape="hex",
        date_from=period.start.date(),
        date_to=(period.end - dt.timedelta(days=1)).date(),
    )
    try:
        with conn.begin_nested():
            run_id, frame = run_hotspots(conn, params)
    except DataError as exc:
        return {"run_id": None, "message": exc.message, "hot": {}, "cold": {}, "rw_hot": [], "rw_cold": []}

    def summary(cells: gpd.GeoDataFrame) -> tuple[dict, list[str]]:
        bins = {int(b): int(n) for b, n in cells["gi_bin"].abs().value_counts().items()}
        if cells.empty or rw.empty:
            return bins, []
        hit = gpd.sjoin(rw[["name", "geometry"]], cells[["geometry"]].to_crs(rw.crs), predicate="intersects")
        return bins, sorted(set(hit["name"]))

    hot, rw_hot = summary(frame[frame["gi_bin"] > 0])
    cold, rw_cold = summary(frame[frame["gi_bin"] < 0])
    return {
        "run_id": run_id,
        "message": "",
        "cells": len(frame),
        "hot": hot,
        "cold": cold,
        "rw_hot": rw_hot,
        "rw_cold": rw_cold,
    }


def build_report(
    conn: Connection, kelurahan: str | None, period: str | Period, hotspots: bool = True
) -> dict:
    """Everything the report shows, as data (the tests check these numbers)."""
    period = parse_period(period) if isinstance(period, str) else period
    if kelurahan:
        name = conn.execute(sa.text("SELECT name FROM kelurahan WHERE code = :k"), {"k": kelurahan}).scalar()
        if name is None:
            raise DataError(
                f"Kelurahan {kelurahan!r} tidak ada / unknown kelurahan code.", hint="sigkel export kelurahan"
            )
    else:
        name = "semua kelurahan"
    data = evaluation(conn, kelurahan, period)
    rw = gpd.read_postgis(
        sa.text(
            "SELECT code, name, geom FROM rw"
            + (" WHERE kelurahan_code = :k" if kelurahan else "")
            + " ORDER BY code"
        ),
        conn,
        geom_col="geom",
        crs=4326,
        params={"k": kelurahan},
    )
    compliance = {r["rw_code"]: r["sla_compliance"] for r in data["by_rw"]}
    data.update(
        name=name,
        rw_frame=rw,
        map_svg=choropleth_svg(rw, compliance, f"Kepatuhan SLA per RW, {period.label}"),
        monthly_svg=bar_chart(
            [MONTHS_ID[int(m["month"][5:]) - 1][:3] for m in data["monthly"]],
            [m["received"] for m in data["monthly"]],
            "Laporan diterima per bulan",
        ),
        category_svg=bar_chart(
            [c["name_id"] for c in data["by_category"]],
            [c["sla_compliance"] for c in data["by_category"]],
            "Kepatuhan SLA per kategori",
            color="#1f618d",
            fmt=_pct,
        ),
        hotspots=_hotspots(conn, kelurahan, period, rw) if hotspots else None,
        generated_at=dt.datetime.now(dt.UTC),
    )
    return data


def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"])
    )
    env.filters["num"] = _num
    env.filters["pct"] = _pct
    return env


def render_html(report: dict, embedded: bool = False) -> str:
    """The report as one standalone HTML document (or, ``embedded``, the part inside <body>)."""
    return (
        _env()
        .get_template("report.html")
        .render(r=report, classes=SLA_CLASSES, no_data=NO_DATA, embedded=embedded)
    )


def _chromium() -> str:
    import os

    for candidate in (
        os.environ.get("SIGKEL_CHROMIUM"),
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
        shutil.which("google-chrome"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    raise ConfigError(
        "PDF needs Chromium, which is not installed.",
        hint="apt-get install chromium (or set SIGKEL_CHROMIUM), or use --format html and print that.",
    )


def to_pdf(document: str, out: Path, timeout: float = 120) -> Path:
    """Print the HTML document to PDF with headless Chromium (the document is self-contained)."""
    with tempfile.TemporaryDirectory(prefix="sigkel-report-") as tmp:
        source = Path(tmp) / "laporan.html"
        source.write_text(document, encoding="utf-8")
        target = Path(tmp) / "laporan.pdf"
        command = [
            _chromium(),
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--no-pdf-header-footer",
            f"--user-data-dir={tmp}/profile",
            f"--print-to-pdf={target}",
            source.as_uri(),
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        if not target.exists() or target.stat().st_size == 0:
            raise DataError(
                f"Chromium could not print the PDF (exit {result.returncode}): {result.stderr[-500:]}"
            )
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(target, out)
    return out
