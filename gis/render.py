"""folium map builders. folium is imported here and nowhere else in ``gis``.

Every map is pointed at our own copies of Leaflet (``/static/vendor``) by setting ``default_js`` and
``default_css`` on the instance, which leaves folium's class-level lists (used by every other map)
untouched. Layers are never embedded: the page scripts (webmap/static/js) fetch them from our API.
"""

from __future__ import annotations

import re

__all__ = ["base_map", "public_map", "map_parts"]

VENDOR = "/static/vendor"
LEAFLET_JS = [("leaflet", f"{VENDOR}/leaflet/leaflet.js")]
LEAFLET_CSS = [("leaflet_css", f"{VENDOR}/leaflet/leaflet.css")]


def _folium():
    try:
        import folium
    except ImportError as exc:  # pragma: no cover - folium is a hard dependency
        raise ImportError("folium is required for maps: pip install folium") from exc
    return folium


def base_map(center, zoom: int, tiles: str | None, attribution: str | None, **kwargs):
    """A folium Map that loads nothing from another host except, optionally, basemap tiles.

    Parameters
    ----------
    center : (lat, lon)
    zoom : int
    tiles : str or None
        Tile URL template, or None for no basemap (offline offices).
    attribution : str or None
        Attribution of the tiles (required by their licence).
    """
    folium = _folium()
    fmap = folium.Map(
        location=list(center), zoom_start=zoom, tiles=None, control_scale=True, prefer_canvas=False, **kwargs
    )
    fmap.default_js = list(LEAFLET_JS)
    fmap.default_css = list(LEAFLET_CSS)
    if tiles:
        folium.TileLayer(
            tiles=tiles, attr=attribution or "", name="Peta dasar", max_zoom=19, control=False
        ).add_to(fmap)
    return fmap


def public_map(center, tiles: str | None, attribution: str | None):
    """The residents' map: an empty Leaflet map on our assets; the page script adds the layers."""
    return base_map(center, 15, tiles, attribution)


def map_parts(fmap) -> dict:
    """Header, body and script of a rendered map, to place inside our own page template.

    folium's viewport tag forbids zooming the page (user-scalable=no), which fails accessibility
    for people who need to enlarge text: it is dropped; the page template sets its own.
    """
    root = fmap.get_root()
    root.render()
    header = re.sub(r"<meta name=\"viewport\"[^>]*>", "", root.header.render(), flags=re.S)
    return {
        "header": header,
        "html": root.html.render(),
        "script": root.script.render(),
        "name": fmap.get_name(),
    }
