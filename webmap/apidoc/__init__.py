"""The OpenAPI 3.0 description of the machine-facing HTTP API outside ``/ogc`` (which has its own at
``/ogc/api``), served at ``/api/openapi.json``.

It covers the layer API and vector tiles, the residents' complaint API, Open311 GeoReport v2 and what
logged-in staff, admins and planners call. :data:`UNDESCRIBED` lists, with a reason, every other route
under the same prefixes; ``tests/webmap/test_apidoc.py`` fails when a route is in neither, so the
description cannot drift from the app. ``tests/api_fuzz`` runs schemathesis over every operation.
"""

from __future__ import annotations

import copy
import functools
import re

from flask import Blueprint, Flask, Response, json, url_for

from webmap.apidoc.paths_open311 import OPEN311_PATHS, OPEN311_SCHEMAS
from webmap.apidoc.paths_public import PUBLIC_PATHS
from webmap.apidoc.paths_staff import STAFF_PATHS
from webmap.apidoc.schemas import SCHEMAS

__all__ = ["bp", "init_app", "document", "openapi_path", "PREFIXES", "UNDESCRIBED"]

bp = Blueprint("apidoc", __name__)

# Every route under these prefixes is described, or listed in UNDESCRIBED.
PREFIXES = ("/api/", "/tiles/", "/open311/", "/petugas/", "/admin/", "/evaluasi/", "/perencana/", "/tiket")
_LOGIN = "the login form: fuzzing it would trip the login throttling that guards the test accounts"
UNDESCRIBED = {
    ("/petugas/masuk", "GET"): _LOGIN,
    ("/petugas/masuk", "POST"): _LOGIN,
    ("/petugas/keluar", "POST"): "logging out ends the session the fuzzing runs in",
    ("/perencana/", "GET"): "HTML page (the catalogue); its data come from the described JSON",
    ("/perencana/peta", "GET"): "HTML page (two maps side by side)",
    ("/perencana/runs/{run_id}", "GET"): "HTML page; its JSON twin is /perencana/runs/{run_id}/status",
    ("/perencana/jalankan", "GET"): "HTML form",
    ("/perencana/jalankan", "POST"): "HTML form that starts a background analysis job",
    ("/perencana/bukti", "GET"): "printable HTML page",
    ("/perencana/bukti.csv", "GET"): "file download (CSV)",
    ("/perencana/bukti.xlsx", "GET"): "file download (XLSX)",
    ("/perencana/runs/{run_id}.{fmt}", "GET"): "file downloads (GeoPackage, zipped Shapefile, CSV)",
    ("/perencana/lapisan/{key}.{fmt}", "GET"): "file downloads (GeoPackage, zipped Shapefile, CSV)",
    ("/tiket", "GET"): "HTML form to look a ticket up",
    ("/tiket/{ticket}", "GET"): "HTML page; its JSON twin is /api/tiket/{ticket}",
}


_VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def openapi_path(rule: str) -> str:
    """A Flask rule as an OpenAPI path: ``/api/tiket/<ticket>`` -> ``/api/tiket/{ticket}``."""
    return _VARIABLE.sub(r"{\1}", rule)


@functools.cache
def _static_document() -> dict:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "SIG Kelurahan API",
            "version": "1",
            "description": (
                "Layers, vector tiles, residents' complaints, Open311 GeoReport v2, and the staff, admin, "
                "evaluation and planner endpoints. Errors are JSON {error, message, hint?} (Open311: "
                "[{code, description}]). Staff and admins see only their own kelurahan: anything of "
                "another kelurahan is 404. Writes by logged-in users need the session's CSRF token in "
                "X-CSRF-Token. OGC API Features is described separately at /ogc/api."
            ),
        },
        "tags": [
            {"name": t}
            for t in ("layers", "complaints", "open311", "staff", "admin", "evaluation", "planner", "meta")
        ],
        "paths": {
            "/api/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This description",
                    "tags": ["meta"],
                    "responses": {
                        "200": {
                            "description": "OpenAPI 3.0 document",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["openapi", "info", "paths", "components"],
                                        "properties": {"openapi": {"type": "string", "pattern": "^3\\.0\\."}},
                                    }
                                }
                            },
                        }
                    },
                }
            },
            **PUBLIC_PATHS,
            **OPEN311_PATHS,
            **STAFF_PATHS,
        },
        "components": {
            "schemas": {**SCHEMAS, **OPEN311_SCHEMAS},
            "securitySchemes": {
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "sigkel_sesi",
                    "description": "Staff session, from the login form at /petugas/masuk",
                },
                "csrf": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-CSRF-Token",
                    "description": "The session's CSRF token (also accepted as form field csrf_token)",
                },
            },
        },
    }


def document(server: str | None = None) -> dict:
    """The description, with ``server`` (the site's root URL) as its only server."""
    out = copy.deepcopy(_static_document())
    if server:
        out["servers"] = [{"url": server.rstrip("/")}]
    return out


@bp.get("/api/openapi.json")
def openapi():
    body = json.dumps(document(url_for("public.index", _external=True)), ensure_ascii=False)
    response = Response(body, mimetype="application/json")
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
