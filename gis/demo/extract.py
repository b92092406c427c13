"""Extract the demo area (Kecamatan Cempaka Putih, Jakarta Pusat) from the public datasets.

Only clearly licensed sources end up in ``data/demo``:

* RW and kelurahan polygons: HOT/BPBD participatory mapping 2012, OpenStreetMap-derived (ODbL);
* Kemendagri codes and official names: cahyadsn/wilayah_boundaries (MIT), joined by name;
* facility points: the HOT 2012 building survey (ODbL).

The DKI base-map facility set has no stated licence and is never used here.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

__all__ = ["DEMO_KECAMATAN", "extract_demo_area", "normalise_rw_label", "rw_code"]

DEMO_KECAMATAN = {
    "code": "31.71.05",
    "name": "Cempaka Putih",
    "osm_name": "CEMPAKA PUTIH",
    "kota_code": "31.71",
    "kota_name": "Kota Administrasi Jakarta Pusat",
}
SRC_RW = "jakarta-rw-kelurahan-osm2012/rw_jakarta_pusat.geojson"
SRC_KEL = "jakarta-rw-kelurahan-osm2012/kelurahan_jakarta.geojson"
SRC_CODES = "jakarta-kelurahan-kemendagri/kelurahan_dki_kemendagri.geojson"
SRC_CROSSWALK = "jakarta-kelurahan-kemendagri/crosswalk_rw_osm2012_to_kemendagri.csv"
SRC_FACILITIES = "jakarta-buildings-hot2012/facility_buildings_points_2012.geojson"
OSM_SOURCE = "HOT/BPBD participatory mapping 2012 (OSM, ODbL)"
HOT_SOURCE = "hot2012-building-survey"
_RW_LABEL = re.compile(r"^\s*RW\s*0*(\d{1,3})\s*$", re.IGNORECASE)


def normalise_rw_label(label) -> int | None:
    """The RW number in a label as typed by mappers (``RW 01``, ``RW 010``, ``RW13``), or None."""
    if not isinstance(label, str):
        return None
    match = _RW_LABEL.match(label)
    return int(match.group(1)) if match and int(match.group(1)) > 0 else None


def rw_code(kelurahan_code: str, number: int) -> str:
    """Our derived RW key, e.g. ``31.71.05.1001.RW005`` (not an official code)."""
    return f"{kelurahan_code}.RW{number:03d}"


def _multi(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    fixed = shapely.make_valid(geoms.values)
    polys = [shapely.MultiPolygon([g]) if g.geom_type == "Polygon" else g for g in fixed]
    return gpd.GeoSeries(polys, index=geoms.index, crs=geoms.crs)


def _codes(datasets: Path) -> pd.DataFrame:
    codes = gpd.read_file(datasets / SRC_CODES)
    codes = codes[codes["kode_kec"] == DEMO_KECAMATAN["code"]]
    return pd.DataFrame(
        {
            "code": codes["kode"],
            "name": codes["nama"],
            "key": codes["nama"].str.upper().str.replace(r"[^A-Z0-9]", "", regex=True),
        }
    )


def _kelurahan(datasets: Path) -> gpd.GeoDataFrame:
    osm = gpd.read_file(datasets / SRC_KEL)
    osm = osm[osm["KEC_NAME_1"].str.contains(DEMO_KECAMATAN["osm_name"], na=False)].copy()
    osm["key"] = osm["KEL_NAME2"].str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
    merged = osm.merge(_codes(datasets), on="key", how="inner", validate="one_to_one")
    if len(merged) != len(osm):
        raise ValueError("Some demo kelurahan have no Kemendagri code; check the name join.")
    return (
        gpd.GeoDataFrame(
            {
                "code": merged["code"],
                "name": merged["name"],
                "kecamatan_code": DEMO_KECAMATAN["code"],
                "kind": "kelurahan",
                "source": OSM_SOURCE + "; codes: Kemendagri via cahyadsn (MIT)",
            },
            geometry=_multi(merged.geometry),
            crs=4326,
        )
        .sort_values("code")
        .reset_index(drop=True)
    )


def _rw(datasets: Path) -> gpd.GeoDataFrame:
    rw = gpd.read_file(datasets / SRC_RW)
    rw = rw[rw["KEC_NAME"] == DEMO_KECAMATAN["osm_name"]].copy()
    crosswalk = pd.read_csv(datasets / SRC_CROSSWALK, usecols=["OBJECTID", "kode_kel"])
    rw = rw.merge(crosswalk, on="OBJECTID", how="left", validate="one_to_one")
    rw["number"] = rw["RW"].map(normalise_rw_label)
    if rw["number"].isna().any() or rw.duplicated(["kode_kel", "number"]).any():
        raise ValueError("Demo RW labels must be unique and parseable.")
    number = rw["number"].astype(int)
    flood = rw["FLOODPRONE"].astype(str).str.upper().isin(["YES", "1", "Y"])
    return (
        gpd.GeoDataFrame(
            {
                "code": [rw_code(k, n) for k, n in zip(rw["kode_kel"], number, strict=True)],
                "kelurahan_code": rw["kode_kel"],
                "number": number,
                "name": [f"RW {n:03d}" for n in number],
                "label_original": rw["RW"],
                "source": OSM_SOURCE,
                "source_id": rw["OBJECTID"].astype(str),
                "flood_prone": flood,
            },
            geometry=_multi(rw.geometry),
            crs=4326,
        )
        .sort_values("code")
        .reset_index(drop=True)
    )


def _facilities(datasets: Path, area) -> gpd.GeoDataFrame:
    pts = gpd.read_file(datasets / SRC_FACILITIES)
    pts = pts[pts.within(area)].copy()
    category = {
        "education": "sekolah",
        "medical": "klinik",
        "government": "kantor_pemerintahan",
        "place_of_worship": "masjid",
    }
    name = pts["name"].fillna("")
    cat = pts["use"].map(category).fillna("lainnya")
    cat = cat.mask(name.str.match(r"^SMA\b"), "sma").mask(
        name.str.contains("Sekolah Tinggi|Universitas|Akademi", regex=True), "perguruan_tinggi"
    )
    unnamed = "Gedung " + pts["use"].str.replace("_", " ") + " (tanpa nama, survei 2012)"
    return (
        gpd.GeoDataFrame(
            {
                "category": cat,
                "name": name.where(name != "", unnamed),
                "address": None,
                "source": HOT_SOURCE,
                "source_id": pts["src_id"].astype(str),
                "synthetic": False,
            },
            geometry=pts.geometry.values,
            crs=4326,
        )
        .sort_values("source_id")
        .reset_index(drop=True)
    )


def extract_demo_area(datasets: Path) -> dict[str, gpd.GeoDataFrame]:
    """Kecamatan, kelurahan, RW and surveyed facilities of the demo area as GeoDataFrames."""
    datasets = Path(datasets)
    kel = _kelurahan(datasets)
    kec = gpd.GeoDataFrame(
        {
            "code": [DEMO_KECAMATAN["code"]],
            "name": [DEMO_KECAMATAN["name"]],
            "kota_code": [DEMO_KECAMATAN["kota_code"]],
            "kota_name": [DEMO_KECAMATAN["kota_name"]],
            "source": ["union of its kelurahan; " + OSM_SOURCE],
        },
        geometry=_multi(gpd.GeoSeries([kel.union_all()], crs=4326)),
        crs=4326,
    )
    rw = _rw(datasets)
    facilities = _facilities(datasets, kec.geometry.iloc[0])
    return {"kecamatan": kec, "kelurahan": kel, "rw": rw, "facilities_surveyed": facilities}
