"""Paths and schemas of Open311 GeoReport v2 (``/open311/v2``): JSON (described) or XML (the same payload
in the spec's XML rendering), by the resource's extension. Errors are the spec's ``[{code, description}]``."""

from __future__ import annotations

from webmap.apidoc.build import (
    BOOL,
    INT,
    NUM,
    STR,
    array,
    errors,
    kind,
    nullable,
    obj,
    operation,
    path,
    query,
    redirect,
    ref,
    response,
    string,
)

__all__ = ["OPEN311_PATHS", "OPEN311_SCHEMAS"]

NSTR = nullable(STR)
FMT = path("fmt", string(enum=["json", "xml"]), "Response format")
LANG = query("lang", string(enum=["id", "en"]), "Language of names and notes")
_NOTE = obj(
    {
        "datetime": STR,
        "summary": STR,
        "description": NSTR,
        "type": STR,
        "extended_attributes": obj({"kind": STR, "status_from": NSTR, "status_to": NSTR}, closed=True),
    },
    closed=True,
)

OPEN311_SCHEMAS = {
    "Open311Discovery": obj(
        {
            "changeset": STR,
            "contact": STR,
            "key_service": STR,
            "endpoints": array(
                obj({"specification": STR, "url": STR, "changeset": STR, "type": STR, "formats": array(STR)})
            ),
        }
    ),
    "Open311Service": obj(
        {
            "service_code": STR,
            "service_name": STR,
            "description": STR,
            "metadata": BOOL,
            "type": STR,
            "keywords": STR,
            "group": STR,
        }
    ),
    "Open311ServiceDefinition": obj({"service_code": STR, "attributes": array({"type": "object"})}),
    "Open311Request": obj(
        {
            "service_request_id": STR,
            "status": string(enum=["open", "closed"]),
            "status_notes": STR,
            "service_name": STR,
            "service_code": STR,
            "description": STR,
            "agency_responsible": NSTR,
            "service_notice": STR,
            "requested_datetime": NSTR,
            "updated_datetime": NSTR,
            "expected_datetime": NSTR,
            "address": STR,
            "address_id": NSTR,
            "zipcode": NSTR,
            "lat": nullable(NUM),
            "long": nullable(NUM),
            "media_url": NSTR,
            "attributes": obj({}, closed=True),
            "extended_attributes": obj(
                {
                    "status_detail": STR,
                    "status_label": STR,
                    "channel": STR,
                    "kelurahan_code": NSTR,
                    "rw": NSTR,
                    "supporters": INT,
                    "location_precision": STR,
                    "synthetic": BOOL,
                },
                closed=True,
            ),
            "notes": array(_NOTE),
        },
        closed=True,
    ),
    "Open311PostAnswer": array(
        obj(
            {"service_request_id": STR, "token": STR, "service_notice": STR, "account_id": NSTR}, closed=True
        ),
        minItems=1,
        maxItems=1,
    ),
    "Open311Token": array(obj({"service_request_id": STR, "token": STR}, closed=True), maxItems=1),
}


def _answer(description: str, schema: dict) -> dict:
    out = response(description, schema, "application/json")
    out["content"]["text/xml"] = {}  # the same payload as XML: not described by JSON Schema
    return out


def _errors(*codes) -> dict:
    out = errors(*codes, schema=ref("Open311Errors"))
    for item in out.values():
        item["content"]["text/xml"] = {}
    return out


def _get(op_id: str, summary: str, schema: dict, params: list, codes=("400", "404")) -> dict:
    return {
        "get": operation(
            op_id, summary, "open311", {"200": _answer("OK", schema), **_errors(*codes)}, [*params, FMT, LANG]
        )
    }


_POST_FIELDS = {
    "api_key": STR,
    "service_code": kind(STR, "complaint-category"),
    "lat": kind(NUM, "lat"),
    "long": kind(NUM, "lon"),
    "address_string": STR,
    "address_id": STR,
    "description": string(maxLength=4000),
    "media_url": string(maxLength=2000),
    "first_name": STR,
    "last_name": STR,
    "phone": STR,
    "email": STR,
    "idempotency_key": string(pattern=r"^[A-Za-z0-9_.:-]{8,100}$"),
}
_POST_SCHEMA = {"type": "object", "properties": _POST_FIELDS, "required": ["api_key", "service_code"]}
_METHODS = ("get", "post", "put", "patch", "delete")


def _unknown(method: str) -> dict:
    return operation(
        f"open311_unknown_{method}",
        "Anything else under /open311/v2: 405 for a known resource with another method, else 404",
        "open311",
        _errors("400", "404", "405") if method != "get" else _errors("400", "404"),
        [path("rest", string(minLength=1), "Any other path")],
    )


OPEN311_PATHS = {
    "/open311/v2/": {
        "get": operation(
            "open311_root", "Redirect to discovery.json", "open311", {"302": redirect("discovery.json")}
        )
    },
    "/open311/v2/discovery.{fmt}": _get(
        "open311_discovery", "Service discovery", ref("Open311Discovery"), [], ("400", "404")
    ),
    "/open311/v2/services.{fmt}": _get(
        "open311_services",
        "Services: the public complaint categories",
        array(ref("Open311Service")),
        [],
        ("400", "404"),
    ),
    "/open311/v2/services/{service_code}.{fmt}": _get(
        "open311_service_definition",
        "A service definition (no extra attributes)",
        ref("Open311ServiceDefinition"),
        [path("service_code", STR, "Service code", "complaint-category")],
    ),
    "/open311/v2/requests.{fmt}": {
        **_get(
            "open311_requests",
            "Public service requests: 90 days or 1000 requests at most, newest first",
            array(ref("Open311Request")),
            [
                query("service_request_id", STR, "Comma-separated ids (overrides the other filters)"),
                query("service_code", STR, "Comma-separated service codes"),
                query("start_date", STR, "W3C datetime"),
                query("end_date", STR, "W3C datetime"),
                query("status", STR, "open, closed or both"),
            ],
            ("400", "404"),
        ),
        "post": operation(
            "open311_create",
            "Create a service request (needs an api_key): 201; 200 with the same answer on a retry",
            "open311",
            {
                "201": _answer("Created", ref("Open311PostAnswer")),
                "200": _answer("A retry", ref("Open311PostAnswer")),
                **_errors("400", "403", "404", "413"),
            },
            [FMT, LANG],
            {
                "required": True,
                "content": {
                    "application/x-www-form-urlencoded": {"schema": _POST_SCHEMA},
                    "multipart/form-data": {"schema": _POST_SCHEMA},
                    "application/json": {"schema": _POST_SCHEMA},
                },
            },
        ),
    },
    "/open311/v2/requests/{service_request_id}.{fmt}": _get(
        "open311_request",
        "One public service request",
        array(ref("Open311Request"), minItems=1, maxItems=1),
        [path("service_request_id", STR, "The ticket code", "ticket")],
    ),
    "/open311/v2/tokens/{token}.{fmt}": _get(
        "open311_token",
        "The request an Open311 POST created",
        ref("Open311Token"),
        [path("token", STR, "Token")],
    ),
    "/open311/v2/{rest}": {m: _unknown(m) for m in _METHODS},
}
