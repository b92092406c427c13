"""Planner pages (perencana): the layer catalogue, choropleth maps of a layer (two side by side),
downloads, starting an analysis from a form, and the evidence table for Musrenbang.

Viewing is public: the pages show only aggregated outputs of public data. Starting an analysis is a
write: it needs a planner or admin login and the session's CSRF token. Jobs run in a background
thread (``gis.planning.background``) with their own connection from the app's engine.

One blueprint, ``bp`` (:mod:`.blueprint`), is shared by the view modules; importing them here
registers their routes:

* :mod:`.layers` — the catalogue, the maps and their classes;
* :mod:`.downloads` — a layer's GeoJSON for the maps, and the files to keep;
* :mod:`.runs` — starting an analysis (form checked by :mod:`.forms`), a run's page and status;
* :mod:`.evidence` — the evidence table for Musrenbang, as a page, CSV and XLSX.
"""

from __future__ import annotations

from flask import Flask

from gis.planning.downloads import DOWNLOADS
from webmap.planner import downloads, evidence, layers, runs  # noqa: F401  (registers the routes)
from webmap.planner.blueprint import bp

__all__ = ["bp", "init_app", "DOWNLOADS"]


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
