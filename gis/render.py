"""folium map builders. folium is imported here and nowhere else in ``gis``.

Every map is pointed at our own copies of Leaflet (``/static/vendor``) by setting ``default_js`` and
``default_css`` on the instance, which leaves folium's class-level lists (used by every other map)
untouched. Layers are never embedded: a small element fetches them from our API in the browser.
"""

from __future__ import annotations

import re

from jinja2.utils import htmlsafe_json_dumps

__all__ = ["base_map", "FetchGeoJson", "rw_boundary_map", "public_map", "map_parts"]

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


def _fetch_geojson_class():
    _folium()
    from branca.element import MacroElement
    from jinja2 import Template

    class _FetchGeoJson(MacroElement):
        """Fetch a GeoJSON URL in the browser and add it to the map.

        Labels are set with ``textContent``, so names from data can never become HTML.
        """

        _template = Template("""
            {% macro script(this, kwargs) %}
            (function () {
                var map = {{ this._parent.get_name() }};
                var style = {{ this.style_json }};
                var labelField = {{ this.label_json }};
                var fitBounds = {{ this.fit_json }};
                fetch({{ this.url_json }}, {headers: {"Accept": "application/geo+json"}})
                  .then(function (r) {
                      if (!r.ok) { throw new Error("HTTP " + r.status); }
                      return r.json();
                  })
                  .then(function (data) {
                      var layer = L.geoJSON(data, {
                          style: function () { return style; },
                          onEachFeature: function (feature, lyr) {
                              if (!labelField) { return; }
                              var el = document.createElement("span");
                              el.textContent = String(feature.properties[labelField] || "");
                              lyr.bindTooltip(el, {sticky: true});
                          }
                      }).addTo(map);
                      {{ this.get_name() }} = layer;
                      if (fitBounds && layer.getBounds().isValid()) {
                          map.fitBounds(layer.getBounds());
                      }
                      map.getContainer().dispatchEvent(new CustomEvent("sigkel:layer-loaded",
                          {detail: {name: {{ this.layer_name_json }},
                                    count: data.features.length}}));
                  })
                  .catch(function (err) {
                      map.getContainer().dispatchEvent(new CustomEvent("sigkel:layer-error",
                          {detail: {name: {{ this.layer_name_json }}, error: String(err)}}));
                  });
            })();
            var {{ this.get_name() }} = null;
            {% endmacro %}
        """)

        def __init__(
            self,
            url: str,
            name: str,
            style: dict | None = None,
            label: str | None = None,
            fit_bounds: bool = False,
        ):
            super().__init__()
            self._name = "FetchGeoJson"
            # htmlsafe: these go inside <script>, where "</script>" in a value would end it.
            self.url_json = htmlsafe_json_dumps(url)
            self.layer_name_json = htmlsafe_json_dumps(name)
            self.style_json = htmlsafe_json_dumps(style or {})
            self.label_json = htmlsafe_json_dumps(label)
            self.fit_json = htmlsafe_json_dumps(bool(fit_bounds))

    return _FetchGeoJson


def FetchGeoJson(url: str, name: str, **kwargs):  # noqa: N802 - reads like a folium class
    """Element that loads ``url`` (GeoJSON) in the browser; see the class docstring."""
    return _fetch_geojson_class()(url, name, **kwargs)


def rw_boundary_map(center, layer_url: str, tiles: str | None, attribution: str | None):
    """The foundation page's map: RW boundaries of the demo area, fetched from the layer API."""
    fmap = base_map(center, 14, tiles, attribution)
    FetchGeoJson(
        layer_url,
        "rw",
        label="label",
        style={"color": "#b03a2e", "weight": 2, "fillColor": "#f5b7b1", "fillOpacity": 0.25},
        fit_bounds=True,
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
