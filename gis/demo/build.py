"""Build ``data/demo`` from the public datasets plus the seeded synthetic layers."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd

from gis.demo.extract import extract_demo_area
from gis.demo.synthetic import make_complaints, make_facilities, make_population, make_rt

__all__ = ["build_demo_data", "DEMO_FILES"]

DEMO_FILES = {
    "kecamatan": "kecamatan.geojson",
    "kelurahan": "kelurahan.geojson",
    "rw": "rw.geojson",
    "rt": "rt.geojson",
    "facilities": "facilities.geojson",
    "population": "population.csv",
    "complaints": "complaints.geojson",
    "complaint_events": "complaint_events.csv",
}


def _write_geojson(gdf: gpd.GeoDataFrame, path: Path) -> None:
    path.unlink(missing_ok=True)
    gdf.to_file(path, driver="GeoJSON", engine="pyogrio", COORDINATE_PRECISION=7, RFC7946="YES")


def build_demo_data(datasets: Path, out: Path, data_dir: Path, seed: int = 2026) -> dict:
    """Write every demo file into ``out`` and return the feature count of each.

    Parameters
    ----------
    datasets : Path
        The shared public datasets folder (``../shared/datasets``).
    out : Path
        Destination, normally ``data/demo``.
    data_dir : Path
        The project's ``data`` folder (for the category tables).
    seed : int
        Seed of every random choice; the same seed gives the same files.
    """
    out.mkdir(parents=True, exist_ok=True)
    layers = extract_demo_area(datasets)
    rt = make_rt(layers["rw"], seed=seed)
    population = make_population(rt, seed=seed)
    synthetic = make_facilities(
        {"kecamatan": layers["kecamatan"], "kelurahan": layers["kelurahan"], "rw": layers["rw"]}, seed=seed
    )
    facilities = pd.concat(
        [
            layers["facilities_surveyed"].assign(attributes=[{}] * len(layers["facilities_surveyed"])),
            synthetic,
        ],
        ignore_index=True,
    )
    facilities["attributes"] = facilities["attributes"].map(
        lambda a: json.dumps(a, ensure_ascii=False, sort_keys=True)
    )
    categories = pd.read_csv(data_dir / "categories" / "complaint_categories.csv")
    complaints, events = make_complaints(rt, population, layers["rw"], categories, seed=seed)
    frames = {
        "kecamatan": layers["kecamatan"],
        "kelurahan": layers["kelurahan"],
        "rw": layers["rw"],
        "rt": rt,
        "facilities": gpd.GeoDataFrame(facilities, geometry="geometry", crs=4326),
        "population": population,
        "complaints": complaints,
        "complaint_events": events,
    }
    for name, frame in frames.items():
        path = out / DEMO_FILES[name]
        if isinstance(frame, gpd.GeoDataFrame):
            _write_geojson(frame, path)
        else:
            frame.to_csv(path, index=False, lineterminator="\n")
    return {name: len(frame) for name, frame in frames.items()}
