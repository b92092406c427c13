"""OGC API – Features under ``/ogc`` (issue 8): landing page, conformance, OpenAPI, collections, items.

Views parse the request, call :mod:`gis.ogc` (which builds every feature in PostGIS) and serialise:
GeoJSON/JSON or a small HTML page, chosen by ``?f=`` or else by the Accept header. Errors use the app's
JSON error format (``webmap.errors``); bad parameters are 400, unknown collections or features 404.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, current_app, render_template, request, url_for

from gis import ogc
from webmap.db import get_conn

__all__ = ["bp", "init_app"]

bp = Blueprint("ogc", __name__, url_prefix="/ogc")
GEOJSON, JSON, HTML = "application/geo+json", "application/json", "text/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA = "application/schema+json"
REL_QUERYABLES = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
PLAIN = ("f", "lang")  # parameters of every resource (lang: the site's language switch)


def _format(kind: str = JSON) -> str:
    """'json' or 'html': ``f`` wins; otherwise the Accept header (JSON for */*)."""
    wanted = request.args.get("f")
    if wanted is not None:
        if wanted not in ("json", "html"):
            raise ogc.InvalidParameter(f"f must be json or html, got {wanted!r}.")
        return wanted
    best = request.accept_mimetypes.best_match([kind, JSON, HTML], default=kind)
    return "html" if best == HTML else "json"


def _url(endpoint: str, args: dict | None = None, **values) -> str:
    """An absolute URL with the given query parameters (lists allowed), in a stable order."""
    query = urlencode(sorted((args or {}).items()), doseq=True)
    return url_for(endpoint, _external=True, **values) + (f"?{query}" if query else "")


def _pair(endpoint: str, kind: str, fmt: str, title: str, args: dict | None = None, **values) -> list[dict]:
    """The self link in the format served and the alternate in the other one."""
    args = {k: v for k, v in (args or {}).items() if k != "f"}
    as_json = {
        "href": _url(endpoint, {**args, "f": "json"}, **values),
        "type": kind,
        "title": f"{title} (JSON)",
    }
    as_html = {
        "href": _url(endpoint, {**args, "f": "html"}, **values),
        "type": HTML,
        "title": f"{title} (HTML)",
    }
    own, other = (as_json, as_html) if fmt == "json" else (as_html, as_json)
    return [{"rel": "self", **own}, {"rel": "alternate", **other}]


def _respond(body, kind: str, headers: dict | None = None, max_age: int = 60) -> Response:
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False, default=str)
    response = Response(text, content_type=kind if kind != HTML else "text/html; charset=utf-8")
    response.headers.update(headers or {})
    response.vary.add("Accept")
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    return response


def _html(template: str, **context) -> Response:
    return _respond(render_template(f"ogc/{template}", **context), HTML)


@bp.get("/", strict_slashes=False)
def landing():
    ogc.check_params(request.args.to_dict(flat=False), PLAIN)
    fmt = _format()
    page = {
        "title": "SIG Kelurahan – OGC API Features",
        "description": "Lapisan publik SIG Kelurahan (batas wilayah, fasilitas, pengaduan publik yang "
        "digeneralisasi, penduduk, hasil analisis) untuk QGIS, GDAL dan klien OGC API lain. "
        "Tanpa data pribadi.",
        "links": [
            *_pair("ogc.landing", JSON, fmt, "Halaman awal"),
            _link("service-desc", OPENAPI, "Definisi API (OpenAPI 3.0)", "ogc.openapi"),
            _link("conformance", JSON, "Kelas kesesuaian", "ogc.conformance", {"f": "json"}),
            _link("data", JSON, "Koleksi", "ogc.collections", {"f": "json"}),
        ],
    }
    return _html("landing.html", page=page) if fmt == "html" else _respond(page, JSON)


@bp.get("/conformance")
def conformance():
    ogc.check_params(request.args.to_dict(flat=False), PLAIN)
    fmt = _format()
    body = {"conformsTo": ogc.CONFORMANCE, "links": _pair("ogc.conformance", JSON, fmt, "Kelas kesesuaian")}
    return _html("conformance.html", page=body) if fmt == "html" else _respond(body, JSON)


@bp.get("/api")
def openapi():
    ogc.check_params(request.args.to_dict(flat=False), PLAIN)
    if request.args.get("f", "json") != "json":
        raise ogc.InvalidParameter("The API definition is served as JSON only (f=json).")
    conn = get_conn()
    colls = [ogc.get_collection(conn, c.id) for c in ogc.collections(conn)]  # with each run's filters
    base = url_for("ogc.landing", _external=True).rstrip("/")
    return _respond(_openapi(base, colls, ogc.supported_crs(conn)), OPENAPI)


def _link(rel: str, kind: str, title: str, endpoint: str, args: dict | None = None, **values) -> dict:
    return {"rel": rel, "type": kind, "title": title, "href": _url(endpoint, args, **values)}


def _collection_links(cid: str, fmt: str) -> list[dict]:
    return [
        *_pair("ogc.collection", JSON, fmt, "Koleksi", collection_id=cid),
        _link("items", GEOJSON, "Fitur (GeoJSON)", "ogc.items", {"f": "json"}, collection_id=cid),
        _link("items", HTML, "Fitur (HTML)", "ogc.items", {"f": "html"}, collection_id=cid),
        _link("describedby", SCHEMA, "Skema fitur", "ogc.schema", collection_id=cid),
        # the same link for GDAL up to 3.6, which looks for "describedBy" only (relation types are
        # case-insensitive, RFC 8288); with the schema it knows every field, not just the first page's
        _link("describedBy", SCHEMA, "Skema fitur", "ogc.schema", collection_id=cid),
        _link(REL_QUERYABLES, SCHEMA, "Properti yang dapat disaring", "ogc.queryables", collection_id=cid),
    ]


@bp.get("/collections")
def collections():
    ogc.check_params(request.args.to_dict(flat=False), PLAIN)
    fmt, conn = _format(), get_conn()
    crs_list = ogc.supported_crs(conn)
    described = ogc.describe(conn, ogc.collections(conn), crs_list)
    for c in described:
        c["links"] = [link for link in _collection_links(c["id"], "json") if link["rel"] != "alternate"]
    body = {
        "links": _pair("ogc.collections", JSON, fmt, "Koleksi"),
        "collections": described,
        "crs": crs_list,
    }
    return _html("collections.html", page=body) if fmt == "html" else _respond(body, JSON)


@bp.get("/collections/<collection_id>")
def collection(collection_id: str):
    ogc.check_params(request.args.to_dict(flat=False), PLAIN)
    fmt, conn = _format(), get_conn()
    coll = ogc.get_collection(conn, collection_id)
    body = ogc.describe(conn, [coll], ogc.supported_crs(conn))[0]
    body["links"] = _collection_links(coll.id, fmt)
    if fmt == "html":
        return _html("collection.html", page=body, queryables=coll.queryables)
    return _respond(body, JSON)


def _page_links(cid: str, fmt: str, q: ogc.Query, page: ogc.Page) -> list[dict]:
    args = {k: v for k, v in request.args.to_dict(flat=False).items() if k not in ("f", "offset")}
    if q.offset:
        args["offset"] = str(q.offset)
    links = _pair("ogc.items", GEOJSON, fmt, "Fitur", args, collection_id=cid)
    links.append(_link("collection", JSON, "Koleksi", "ogc.collection", {"f": "json"}, collection_id=cid))
    kind = GEOJSON if fmt == "json" else HTML
    if q.offset + page.returned < page.matched:
        href = _url("ogc.items", {**args, "offset": q.offset + q.limit, "f": fmt}, collection_id=cid)
        links.append({"rel": "next", "type": kind, "title": "Halaman berikutnya", "href": href})
    if q.offset > 0:
        href = _url("ogc.items", {**args, "offset": max(0, q.offset - q.limit), "f": fmt}, collection_id=cid)
        links.append({"rel": "prev", "type": kind, "title": "Halaman sebelumnya", "href": href})
    return links


@bp.get("/collections/<collection_id>/items")
def items(collection_id: str):
    conn = get_conn()
    coll = ogc.get_collection(conn, collection_id)
    crs_list = ogc.supported_crs(conn)
    q = ogc.parse_query(coll, request.args.to_dict(flat=False), crs_list)
    fmt = _format(GEOJSON)
    page = ogc.items(conn, coll, q)
    links = _page_links(coll.id, fmt, q, page)
    headers = {"Content-Crs": f"<{q.crs}>"}
    if fmt == "html":
        return _features_html(coll, json.loads(page.features), links, q.crs, headers, page=page, q=q)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    head = {"type": "FeatureCollection", "numberMatched": page.matched, "numberReturned": page.returned}
    tail = {"timeStamp": stamp, "links": links}
    body = json.dumps(head)[:-1] + ', "features": ' + page.features + ", " + json.dumps(tail)[1:]
    return _respond(body, GEOJSON, headers)


def _features_html(coll, features: list[dict], links, crs: str, headers: dict, page=None, q=None) -> Response:
    """Features as an HTML table, with a small Leaflet map when the coordinates are CRS84."""
    fields = list(coll.props) or list(dict.fromkeys(k for f in features for k in f.get("properties") or {}))
    tiles = current_app.config["SIGKEL_SETTINGS"].basemap_tiles()
    html = render_template(
        "ogc/items.html", coll=coll, features=features, links=links, page=page, q=q, fields=fields,
        mappable=crs == ogc.CRS84, tiles=tiles,
    )  # fmt: skip
    return _respond(html, HTML, headers)


@bp.get("/collections/<collection_id>/items/<feature_id>")
def feature(collection_id: str, feature_id: str):
    conn = get_conn()
    coll = ogc.get_collection(conn, collection_id)
    crs_list = ogc.supported_crs(conn)
    values = ogc.check_params(request.args.to_dict(flat=False), [*PLAIN, "crs"])
    crs = values.get("crs", ogc.CRS84)
    if crs not in crs_list:
        raise ogc.InvalidParameter(f"crs {crs!r} is not offered here; use one of: {', '.join(crs_list)}.")
    fmt = _format(GEOJSON)
    text = ogc.item(conn, coll, feature_id, crs)
    args = {"crs": crs} if "crs" in values else {}
    links = _pair("ogc.feature", GEOJSON, fmt, "Fitur", args, collection_id=coll.id, feature_id=feature_id)
    links.append(_link("collection", JSON, "Koleksi", "ogc.collection", {"f": "json"}, collection_id=coll.id))
    headers = {"Content-Crs": f"<{crs}>"}
    if fmt == "html":
        return _features_html(coll, [json.loads(text)], links, crs, headers)
    return _respond(text[:-1] + ', "links": ' + json.dumps(links) + "}", GEOJSON, headers)


@bp.get("/collections/<collection_id>/queryables")
def queryables(collection_id: str):
    ogc.check_params(request.args.to_dict(flat=False), PLAIN)
    coll = ogc.get_collection(get_conn(), collection_id)
    return _respond(ogc.queryables(coll, _url("ogc.queryables", collection_id=coll.id)), SCHEMA)


@bp.get("/collections/<collection_id>/schema")
def schema(collection_id: str):
    ogc.check_params(request.args.to_dict(flat=False), PLAIN)
    coll = ogc.get_collection(get_conn(), collection_id)
    return _respond(ogc.feature_schema(coll, _url("ogc.schema", collection_id=coll.id)), SCHEMA)


def _param(name: str, schema: dict, text: str, where: str = "query", **extra) -> dict:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "description": text,
        "schema": schema,
        **extra,
    }


def _op(op_id: str, summary: str, media: list[str], params: list, errors=("400", "404")) -> dict:
    ok = {"description": summary, "content": {m: {"schema": {"type": "object"}} for m in media}}
    responses = {"200": ok, **{code: {"$ref": f"#/components/responses/E{code}"} for code in errors}}
    return {"get": {"operationId": op_id, "summary": summary, "parameters": params, "responses": responses}}


def _openapi(base: str, colls: list[ogc.Collection], crs_list: list[str]) -> dict:
    """OpenAPI 3.0: generic paths, plus one items path per collection listing its property filters
    (GDAL's OAPIF driver sends a filter to the server only for parameters declared there)."""
    ref = {
        n: {"$ref": f"#/components/parameters/{n}"}
        for n in ("f", "limit", "offset", "bbox", "bbox-crs", "crs", "datetime", "collectionId", "featureId")
    }
    listing, one = [ref[n] for n in ogc.ITEM_PARAMS if n in ref], [ref["f"], ref["crs"]]
    cid, fid = ref["collectionId"], ref["featureId"]
    doc, geo = [JSON, HTML], [GEOJSON, HTML]
    paths = {
        "/": _op("getLandingPage", "Halaman awal", doc, [ref["f"]], ("400",)),
        "/conformance": _op("getConformance", "Kelas kesesuaian", doc, [ref["f"]], ("400",)),
        "/api": _op("getAPIDefinition", "Definisi API ini", [OPENAPI], [], ("400",)),
        "/collections": _op("getCollections", "Daftar koleksi", doc, [ref["f"]], ("400",)),
        "/collections/{collectionId}": _op("describeCollection", "Satu koleksi", doc, [cid, ref["f"]]),
        "/collections/{collectionId}/items": _op("getFeatures", "Fitur", geo, [cid, *listing]),
        "/collections/{collectionId}/items/{featureId}": _op("getFeature", "Fitur", geo, [cid, fid, *one]),
        "/collections/{collectionId}/queryables": _op("getQueryables", "Filter", [SCHEMA], [cid]),
        "/collections/{collectionId}/schema": _op("getSchema", "Skema fitur", [SCHEMA], [cid]),
    }  # fmt: skip
    for c in colls:
        name = re.sub(r"\W", "_", c.id)
        filters = [_param(n, ogc.json_type(c.props[n].type), f"Hanya fitur dengan {n} = nilai ini.")
                   for n in c.queryables]  # fmt: skip
        paths[f"/collections/{c.id}/items"] = _op(f"getFeatures_{name}", c.title, geo, [*listing, *filters])
        paths[f"/collections/{c.id}/items/{{featureId}}"] = _op(
            f"getFeature_{name}", c.title, geo, [fid, *one]
        )
    crs = {"type": "string", "format": "uri", "enum": crs_list, "default": ogc.CRS84}
    numbers = {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}
    limit = {"type": "integer", "minimum": 1, "maximum": ogc.MAX_LIMIT, "default": ogc.DEFAULT_LIMIT}
    parameters = {
        "f": _param("f", {"type": "string", "enum": ["json", "html"]}, "Format; tanpa f: header Accept."),
        "limit": _param("limit", limit, f"Fitur per halaman (maks. {ogc.MAX_LIMIT})."),
        "offset": _param("offset", {"type": "integer", "minimum": 0, "default": 0}, "Lewati sekian fitur."),
        "bbox": _param("bbox", numbers, "minx,miny,maxx,maxy dalam bbox-crs.", style="form", explode=False),
        "bbox-crs": _param("bbox-crs", crs, "CRS dari bbox (Part 2)."),
        "crs": _param("crs", crs, "CRS geometri keluaran (Part 2; EPSG:4326: lintang dulu)."),
        "datetime": _param("datetime", {"type": "string"}, "Instan/interval RFC 3339, mis. 2025-12-01/.."),
        "collectionId": _param("collectionId", {"type": "string"}, "Id koleksi.", "path"),
        "featureId": _param("featureId", {"type": "string"}, "Id fitur.", "path"),
    }  # fmt: skip
    error = {"type": "object", "properties": {"error": {"type": "string"}, "message": {"type": "string"}}}
    responses = {
        f"E{code}": {"description": text, "content": {JSON: {"schema": error}}}
        for code, text in (("400", "Parameter tidak valid"), ("404", "Tidak ditemukan"))
    }
    info = {"title": "SIG Kelurahan – OGC API Features", "version": "1.0.0",
            "description": "Lapisan publik SIG Kelurahan. Tanpa data pribadi."}  # fmt: skip
    components = {"parameters": parameters, "responses": responses}
    return {
        "openapi": "3.0.3",
        "info": info,
        "servers": [{"url": base}],
        "paths": paths,
        "components": components,
    }


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
