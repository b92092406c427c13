"""Paths of the public map's layer API (``/api``), vector tiles (``/tiles``) and the residents' complaint
API (``/api/laporan``, ``/api/tiket``, and the reporter's JSON answers under ``/tiket``)."""

from __future__ import annotations

from webmap.apidoc.build import (
    NUM,
    STR,
    array,
    errors,
    form_body,
    header,
    kind,
    operation,
    path,
    query,
    redirect,
    ref,
    response,
    string,
)

__all__ = ["PUBLIC_PATHS"]

GEOJSON = "application/geo+json"
LAT = query("lat", {"type": "number", "minimum": -11.5, "maximum": 6.5}, "Latitude (WGS 84)", True, "lat")
LON = query("lon", {"type": "number", "minimum": 94.5, "maximum": 141.5}, "Longitude (WGS 84)", True, "lon")
BBOX = query("bbox", string(pattern=r"^-?[0-9.]+,-?[0-9.]+,-?[0-9.]+,-?[0-9.]+$"), "W,S,E,N in degrees")
TICKET = string(minLength=1, maxLength=40)
IDEMPOTENCY = header("Idempotency-Key", string(pattern=r"^[A-Za-z0-9_.:-]{8,128}$"), "Retry-safe key")
ACCEPT_JSON = header("Accept", string(enum=["application/json"]), "Ask for the JSON answer")


def _geojson(summary: str, op_id: str, schema: str, params: list, codes=("404", "422")) -> dict:
    return {
        "get": operation(
            op_id,
            summary,
            "layers",
            {"200": response("GeoJSON", ref(schema), GEOJSON), **errors(*codes)},
            params,
        )
    }


_LAYERS = {
    "/api/layers/facilities.geojson": _geojson(
        "Public facilities, filtered and paged (numberMatched is the total)",
        "facilities",
        "FacilityCollection",
        [
            BBOX,
            query("category", STR, "Comma-separated facility categories"),
            query("q", string(maxLength=100), "Search in name, address and category"),
            query("limit", {"type": "integer", "minimum": 1, "maximum": 2000}, "Page size"),
            query("offset", {"type": "integer", "minimum": 0}, "Page start"),
        ],
        ("422",),
    ),
    "/api/layers/{layer}.geojson": _geojson(
        "A boundary layer",
        "boundaries",
        "BoundaryCollection",
        [
            path("layer", string(enum=["kecamatan", "kelurahan", "rw", "rt"]), "Boundary layer"),
            BBOX,
            query("kelurahan", STR, "Only this kelurahan code"),
            query("limit", {"type": "integer", "minimum": 1, "maximum": 5000}, "At most this many"),
        ],
    ),
    "/api/facilities/{facility_id}": {
        "get": operation(
            "facility",
            "One public facility",
            "layers",
            {"200": response("The facility", ref("Facility")), **errors("404", "422")},
            [path("facility_id", {"type": "integer", "minimum": 0}, "Facility id", "facility-id")],
        )
    },
    "/api/categories": {
        "get": operation(
            "facility_categories",
            "Facility categories that have public facilities, with counts",
            "layers",
            {"200": response("Categories", array(ref("FacilityCategory"))), **errors("422")},
        )
    },
    "/api/whats-here": {
        "get": operation(
            "whats_here",
            "Kelurahan, RW and RT at a point, and the nearest facility of each category",
            "layers",
            {"200": response("What is here", ref("WhatsHere")), **errors("422")},
            [LAT, LON],
        )
    },
    "/api/nearest": {
        "get": operation(
            "nearest",
            "The k nearest public facilities",
            "layers",
            {"200": response("Nearest first", ref("Nearest")), **errors("422")},
            [
                LAT,
                LON,
                query("category", STR, "Only this category"),
                query("k", {"type": "integer", "minimum": 1, "maximum": 20}, "How many"),
            ],
        )
    },
    "/tiles/{layer}/{z}/{x}/{y}.pbf": {
        "get": operation(
            "tile",
            "A Mapbox vector tile (aggregated complaint points below zoom 15)",
            "layers",
            {
                "200": response("The tile", None, "application/vnd.mapbox-vector-tile"),
                "304": response("Not modified (If-None-Match)"),
                **errors("404", "422"),
            },
            [
                path("layer", string(enum=["rw", "rt", "kelurahan", "facilities", "complaints"]), "Layer"),
                path("z", {"type": "integer", "minimum": 0, "maximum": 22}, "Zoom"),
                path("x", {"type": "integer", "minimum": 0}, "Column (< 2^z)"),
                path("y", {"type": "integer", "minimum": 0}, "Row (< 2^z)"),
            ],
        )
    },
}

_REPORT_FIELDS = {
    "kategori": kind(STR, "complaint-category"),
    "uraian": string(maxLength=4000),
    "lat": kind(NUM, "lat"),
    "lon": kind(NUM, "lon"),
    "akurasi": NUM,
    "lokasi_sumber": string(enum=["gps", "pin", "rt"]),
    "rt": kind(STR, "rt-code"),
    "nama": STR,
    "kontak": STR,
    "anonimitas": string(enum=["publik_tanpa_nama", "rahasia"]),
    "kunci": string(pattern=r"^[A-Za-z0-9_.:-]{8,128}$"),
}
_REPORT_BODY = form_body(_REPORT_FIELDS, ("kategori", "uraian", "kunci"))
_REPORT_BODY["content"]["multipart/form-data"] = {
    "schema": {
        "type": "object",
        "properties": {**_REPORT_FIELDS, "foto": array(string(format="binary"), maxItems=3)},
        "required": ["kategori", "uraian", "kunci"],
    }
}


def _form_answer(op_id: str, summary: str, fields: dict, answer: str) -> dict:
    return {
        "post": operation(
            op_id,
            summary,
            "complaints",
            {
                "200": response("Done (Accept: application/json)", ref(answer)),
                "303": redirect("Done: back to the ticket page (a browser's form post)"),
                **errors("400", "404", "409", "422", html=True),  # a browser's form post: an error page
            },
            [path("ticket", TICKET, "Ticket code", "ticket"), ACCEPT_JSON],
            form_body(fields, tuple(fields)),
        )
    }


def _submitted(description: str) -> dict:
    """JSON, or the ticket page for a browser's form post (Accept: text/html, no Idempotency-Key)."""
    out = response(description, ref("SubmitAnswer"))
    out["content"]["text/html"] = {}
    return out


_COMPLAINTS = {
    "/api/laporan": {
        "post": operation(
            "report",
            "Submit a report: 201 with the ticket (and its secret code); 200 with the same body on a retry",
            "complaints",
            {
                "201": _submitted("Stored"),
                "200": _submitted("A retry of a stored report"),
                **errors("400", "413", "422"),
            },
            [IDEMPOTENCY, ACCEPT_JSON],
            _REPORT_BODY,
        )
    },
    "/api/laporan/serupa": {
        "get": operation(
            "similar",
            "Open public complaints of a category near a point (the 'is it one of these?' list)",
            "complaints",
            {"200": response("Nearby open complaints", ref("Similar")), **errors("422")},
            [LAT, LON, query("kategori", STR, "Complaint category", True, "complaint-category")],
        )
    },
    "/api/laporan/{ticket}/dukung": {
        "post": operation(
            "support",
            "'Me too' on an open public complaint, once per idempotency key",
            "complaints",
            {
                "201": response("Counted", ref("SupportAnswer")),
                "200": response("A retry", ref("SupportAnswer")),
                **errors("400", "404", "422"),
            },
            [path("ticket", TICKET, "Ticket code", "ticket"), IDEMPOTENCY],
            form_body({"kunci": string(pattern=r"^[A-Za-z0-9_.:-]{8,128}$")}),
        )
    },
    "/api/laporan/kategori": {
        "get": operation(
            "complaint_categories",
            "Complaint categories with SLA days and location privacy",
            "complaints",
            {"200": response("Categories", ref("ComplaintCategories")), **errors("422")},
        )
    },
    "/api/laporan.geojson": {
        "get": operation(
            "public_complaints",
            "Public complaints at their generalised points",
            "complaints",
            {"200": response("GeoJSON", ref("PublicComplaintCollection"), GEOJSON), **errors("422")},
            [
                BBOX,
                query("kategori", STR, "Only this category"),
                query("status", STR, "A status, or 'terbuka' for the open ones"),
            ],
        )
    },
    "/api/tiket/{ticket}": {
        "get": operation(
            "ticket",
            "A ticket as anyone holding its code may see it",
            "complaints",
            {"200": response("The ticket", ref("PublicTicket")), **errors("404", "422")},
            [path("ticket", TICKET, "Ticket code", "ticket")],
        )
    },
    "/tiket/{ticket}/sanggah": _form_answer(
        "dispute",
        "The reporter disputes a closure (secret code from the submission); JSON with Accept",
        {"kode_rahasia": STR, "alasan": string(minLength=1)},
        "DisputeAnswer",
    ),
    "/tiket/{ticket}/nilai": _form_answer(
        "rate",
        "The reporter rates the handling 1–5 (secret code from the submission); JSON with Accept",
        {"kode_rahasia": STR, "nilai": {"type": "integer", "minimum": 1, "maximum": 5}},
        "RatingAnswer",
    ),
}

PUBLIC_PATHS = {**_LAYERS, **_COMPLAINTS}
