"""The evidence table per RW for Musrenbang: people, complaints per 1,000 residents, coverage,
accessibility and deficits, one row per RW, for the planners' printable page and CSV/XLSX downloads.

Complaint counts come from public categories only and are aggregated per RW, so the table holds no
personal data. Coverage and accessibility use RT population points (RW where a kelurahan has no RT
figures) and straight-line distances, like the planning jobs.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.planning import access
from gis.planning.jobs import PlanningParams, _demand, _facilities
from gis.planning.standards import StandardsTable, default_table

__all__ = ["evidence_table", "DEFAULT_TYPES", "COLUMNS_ID"]

DEFAULT_TYPES = ("posyandu", "tk", "sd", "puskesmas_pembantu", "taman_rw", "pos_kamling")
COLUMNS_ID = {
    "rw_code": "Kode RW",
    "rw": "RW",
    "kelurahan": "Kelurahan",
    "population": "Jumlah jiwa",
    "area_ha": "Luas (ha)",
    "density_ha": "Kepadatan (jiwa/ha)",
    "complaints": "Laporan warga",
    "complaints_per_1000": "Laporan per 1.000 jiwa",
    "top_category": "Kategori laporan terbanyak",
}


def evidence_table(
    conn: Connection,
    kelurahan: list[str] | None = None,
    year: int | None = None,
    types: tuple[str, ...] = DEFAULT_TYPES,
    months: int = 12,
    now: dt.datetime | None = None,
    table: StandardsTable | None = None,
) -> pd.DataFrame:
    """One row per RW: population, complaints (last ``months``), and per facility type the share of
    people within the radius, the population-weighted mean 2SFCA score and the RW's deficit."""
    table = table or default_table()
    params = PlanningParams(kelurahan=kelurahan, year=year)
    demand = _demand(conn, params)
    units = demand.frame.assign(rw_code=demand.frame["code"].str.slice(0, 19))
    now = now or dt.datetime.now(dt.UTC)
    since = now - dt.timedelta(days=round(months * 30.44))
    where = "WHERE rw.kelurahan_code = ANY(:kel)" if kelurahan else ""
    rws = pd.DataFrame(
        conn.execute(
            sa.text(f"""
            SELECT rw.code AS rw_code, rw.name AS rw, k.name AS kelurahan, rw.kelurahan_code,
                   ST_Area(rw.geom::geography) / 10000 AS area_ha
            FROM rw JOIN kelurahan k ON k.code = rw.kelurahan_code {where} ORDER BY rw.code"""),
            {"kel": list(kelurahan or [])},
        )
        .mappings()
        .all()
    )
    counts = pd.DataFrame(
        conn.execute(
            sa.text("""
            SELECT c.rw_code, count(*) AS n, mode() WITHIN GROUP (ORDER BY cat.name_id) AS top
            FROM complaint c JOIN complaint_category cat ON cat.code = c.category
            WHERE cat.public AND c.duplicate_of IS NULL AND c.rw_code IS NOT NULL
              AND c.created_at >= :since AND c.created_at < :now
              AND (CAST(:kel AS text[]) IS NULL OR c.kelurahan_code = ANY(:kel))
            GROUP BY c.rw_code"""),
            {"since": since, "now": now, "kel": list(kelurahan) if kelurahan else None},
        )
        .mappings()
        .all(),
        columns=["rw_code", "n", "top"],
    )
    out = rws.merge(units.groupby("rw_code")["persons"].sum().rename("population"), on="rw_code", how="left")
    out = out.merge(counts, on="rw_code", how="left")
    out["population"] = out["population"].fillna(0).astype(int)
    out["area_ha"] = out["area_ha"].round(2)
    out["density_ha"] = (out["population"] / out["area_ha"]).round(1)
    out["complaints"] = out.pop("n").fillna(0).astype(int)
    out["complaints_per_1000"] = np.where(
        out["population"] > 0, (1000 * out["complaints"] / out["population"].clip(lower=1)).round(2), np.nan
    )
    out["top_category"] = out.pop("top").fillna("")
    for ftype in types:
        std = table.standard_for(kelurahan[0] if kelurahan and len(kelurahan) == 1 else None, ftype)
        radius = std.radius_m or 1000.0
        fac = _facilities(conn, std, demand, radius)
        xy = fac.attrs["xy"]
        if len(xy):
            cov = access.coverage(demand.xy, demand.persons, xy, radius)
            covered = np.where(cov.covered, demand.persons, 0.0)
            score = access.accessibility(
                demand.xy, demand.persons, xy, np.full(len(xy), std.population_served, float), radius
            ).access
        else:
            covered = np.zeros(len(demand.persons))
            score = np.zeros(len(demand.persons))
        per_rw = (
            pd.DataFrame(
                {"rw_code": units["rw_code"], "p": demand.persons, "c": covered, "ap": score * demand.persons}
            )
            .groupby("rw_code")[["p", "c", "ap"]]
            .sum()
        )
        share = (per_rw["c"] / per_rw["p"].where(per_rw["p"] > 0)).round(3)
        mean_a = (per_rw["ap"] / per_rw["p"].where(per_rw["p"] > 0)).round(3)
        inside = fac[fac["kelurahan_code"].notna()]
        existing = pd.Series(0, index=out["rw_code"])
        if len(inside):
            located = conn.execute(
                sa.text(
                    "SELECT rw_code, count(*) FROM facility WHERE public AND category = ANY(:c) "
                    "AND rw_code IS NOT NULL "
                    "GROUP BY rw_code"
                ),
                {"c": list(std.facility_categories)},
            ).all()
            existing = existing.add(pd.Series(dict(located)), fill_value=0).reindex(out["rw_code"]).fillna(0)
        gap = access.deficit(
            out["population"].to_numpy(), existing.to_numpy(np.int64), std.population_served, std.min_land_m2
        )
        out[f"{ftype}_covered_share"] = out["rw_code"].map(share)
        out[f"{ftype}_access"] = out["rw_code"].map(mean_a)
        out[f"{ftype}_existing"] = gap["existing"].to_numpy()
        out[f"{ftype}_required"] = gap["required"].to_numpy()
        out[f"{ftype}_gap"] = gap["gap"].to_numpy()
    out.attrs.update({"year": demand.year, "since": since, "until": now, "types": list(types)})
    return out.drop(columns=["kelurahan_code"])


def labelled(table: pd.DataFrame, lang: str = "id") -> pd.DataFrame:
    """The table with readable column names (Bahasa Indonesia by default), for files and pages."""
    from gis.planning.standards import default_table

    names = dict(COLUMNS_ID) if lang == "id" else {k: k.replace("_", " ") for k in COLUMNS_ID}
    standards = default_table()
    for ftype in table.attrs.get("types", []):
        try:
            label = standards.standard_for(None, ftype).name_id if lang == "id" else ftype
        except Exception:  # noqa: BLE001 - an unknown type keeps its code as its label
            label = ftype
        if lang == "id":
            names.update(
                {
                    f"{ftype}_covered_share": f"{label}: porsi penduduk terjangkau",
                    f"{ftype}_access": f"{label}: indeks aksesibilitas (2SFCA)",
                    f"{ftype}_existing": f"{label}: jumlah ada",
                    f"{ftype}_required": f"{label}: kebutuhan",
                    f"{ftype}_gap": f"{label}: kekurangan",
                }
            )
    return table.rename(columns=names)


def to_csv(table: pd.DataFrame, path, lang: str = "id") -> None:
    labelled(table, lang).to_csv(path, index=False, encoding="utf-8-sig")  # BOM: Excel reads UTF-8


def to_xlsx(table: pd.DataFrame, path, lang: str = "id") -> None:
    """An Excel workbook: the table, and a sheet saying what it is and where it comes from."""
    notes = pd.DataFrame(
        {
            "keterangan": [
                "Tabel bukti per RW untuk Musrenbang (SIG Kelurahan)",
                f"Tahun penduduk: {table.attrs.get('year')}",
                f"Laporan warga: {table.attrs.get('since'):%Y-%m-%d} s.d. "
                f"{table.attrs.get('until'):%Y-%m-%d}, kategori publik saja, tanpa laporan ganda",
                "Jangkauan dan indeks aksesibilitas: jarak garis lurus, standar SNI 03-1733-2004 "
                "(data/standards; lihat kolom verified)",
                "Indeks aksesibilitas >= 1 berarti terlayani cukup menurut standar",
            ]
        }
    )
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        labelled(table, lang).to_excel(writer, sheet_name="Bukti per RW", index=False)
        notes.to_excel(writer, sheet_name="Keterangan", index=False)
