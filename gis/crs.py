"""Coordinate reference systems: storage in EPSG:4326, metric work in the local UTM zone.

Indonesia spans UTM zones 46 to 54, north and south of the equator; distances and areas are always
computed in the zone of the area at hand, never in degrees.
"""

from __future__ import annotations

import math

from gis.errors import DataError

__all__ = ["STORAGE_EPSG", "INDONESIA_BBOX", "utm_epsg", "check_lonlat"]

STORAGE_EPSG = 4326
# West, south, east, north: Sabang to Merauke with a margin for offshore islands.
INDONESIA_BBOX = (94.0, -11.5, 141.5, 6.5)


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the WGS 84 UTM zone containing a point.

    Examples
    --------
    >>> utm_epsg(106.87, -6.18)   # Cempaka Putih, Jakarta
    32748
    """
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise DataError(f"Coordinates out of range: lon={lon}, lat={lat}.")
    zone = min(int(math.floor((lon + 180) / 6)) + 1, 60)
    return (32600 if lat >= 0 else 32700) + zone


def check_lonlat(lon: float, lat: float, where: str = "") -> None:
    """Refuse a point outside Indonesia, saying so when latitude and longitude look swapped."""
    west, south, east, north = INDONESIA_BBOX
    inside = west <= lon <= east and south <= lat <= north
    if inside:
        return
    prefix = f"{where}: " if where else ""
    if west <= lat <= east and south <= lon <= north:
        raise DataError(
            f"{prefix}the point ({lon}, {lat}) looks like latitude and longitude are swapped.",
            "Longitude (about 95 to 141 in Indonesia) comes first; swap the columns or use --map.",
        )
    raise DataError(f"{prefix}the point ({lon}, {lat}) is outside Indonesia.")
