"""OGC API – Features over the public layers: collections, request parameters and queries.

Part 1 (Core, GeoJSON, HTML, OpenAPI 3.0) and Part 2 (CRS by reference: CRS84, EPSG:4326 with its
latitude-first axis order, and the local UTM zone). Only what the public map shows is served:
boundaries, public facilities, public complaints at their generalised point (``geom_public``; never
``geom``, ``description`` or the ``reporter`` table; no confidential complaints, no non-public
categories, no merged duplicates), population figures and the analysis runs the planner pages may show.

Features are assembled in PostGIS with ``json_build_object``; the web layer adds links and formats.
No Flask here. The modules:

* :mod:`~gis.ogc.catalog`: the collections (fixed layers and analysis runs) and the conformance classes;
* :mod:`~gis.ogc.params`: the CRS on offer and the parsing of request parameters;
* :mod:`~gis.ogc.queries`: the SQL that builds pages of features and single features;
* :mod:`~gis.ogc.schemas`: collection descriptions (extents) and JSON Schemas.
"""

from gis.ogc.catalog import CONFORMANCE, Collection, collections, get_collection
from gis.ogc.catalog import STATIC as STATIC
from gis.ogc.catalog import Prop as Prop
from gis.ogc.params import (
    CRS84,
    DEFAULT_LIMIT,
    ITEM_PARAMS,
    MAX_LIMIT,
    InvalidParameter,
    Query,
    check_params,
    parse_datetime,
    parse_query,
    supported_crs,
)
from gis.ogc.params import EPSG as EPSG
from gis.ogc.params import JAKARTA as JAKARTA
from gis.ogc.queries import Page, item, items
from gis.ogc.schemas import TRS as TRS
from gis.ogc.schemas import describe, feature_schema, json_type, queryables

__all__ = [
    "CRS84",
    "ITEM_PARAMS",
    "CONFORMANCE",
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "Collection",
    "InvalidParameter",
    "Page",
    "Query",
    "check_params",
    "collections",
    "describe",
    "feature_schema",
    "get_collection",
    "item",
    "items",
    "json_type",
    "parse_datetime",
    "parse_query",
    "queryables",
    "supported_crs",
]
