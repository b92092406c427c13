"""Small builders for the OpenAPI 3.0 document: schemas, parameters, responses and operations.

Every helper returns plain dicts, so the document is data that a test can walk (and compare with the
app's URL map) without a running server.
"""

from __future__ import annotations

__all__ = [
    "STR",
    "INT",
    "NUM",
    "BOOL",
    "string",
    "nullable",
    "ref",
    "kind",
    "obj",
    "array",
    "query",
    "path",
    "header",
    "content",
    "response",
    "errors",
    "form_body",
    "operation",
    "redirect",
]

STR = {"type": "string"}
INT = {"type": "integer"}
NUM = {"type": "number"}
BOOL = {"type": "boolean"}

# Described once: every error the app's JSON handler writes (webmap/errors.py).
ERROR_TEXT = {
    "400": "Malformed request",
    "401": "Not logged in",
    "403": "Role not allowed, or the CSRF token is missing or wrong",
    "404": "Not found (also: not in the caller's kelurahan, or not public)",
    "405": "Method not allowed on this resource",
    "409": "Not possible in the object's current state",
    "413": "Request body too large",
    "422": "Invalid data (the message says which field and why)",
    "429": "Too many attempts",
}


def string(**constraints) -> dict:
    return {"type": "string", **constraints}


def nullable(schema: dict) -> dict:
    """``schema`` or null (OpenAPI 3.0: ``nullable``; a ``$ref`` is wrapped in ``allOf``)."""
    if "$ref" in schema:
        return {"allOf": [schema], "nullable": True}
    return {**schema, "nullable": True}


def kind(schema: dict, resource: str) -> dict:
    """A form field's schema marked with the kind of real value it takes (``x-sigkel-resource``):
    a complaint id, ticket, photo, session or kelurahan code names something scoped by kelurahan;
    the others (a category, a point) only help the fuzz tests past the first check."""
    return {**schema, "x-sigkel-resource": resource}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict, required: list[str] | tuple[str, ...] | None = None, closed: bool = False) -> dict:
    """An object with these properties; ``required`` defaults to all of them. ``closed`` forbids
    any other property (used for public outputs, so a new field cannot leak unnoticed)."""
    out = {
        "type": "object",
        "properties": properties,
        "required": list(properties if required is None else required),
    }
    if closed:
        out["additionalProperties"] = False
    return out


def array(items: dict, **constraints) -> dict:
    return {"type": "array", "items": items, **constraints}


def _param(where: str, name: str, schema: dict, description: str, required: bool, resource: str | None):
    out = {"name": name, "in": where, "required": required, "description": description, "schema": schema}
    if resource:
        out["x-sigkel-resource"] = resource  # the fuzz tests feed real values of this kind
    return out


def query(
    name: str, schema: dict, description: str, required: bool = False, resource: str | None = None
) -> dict:
    return _param("query", name, schema, description, required, resource)


def path(name: str, schema: dict, description: str, resource: str | None = None) -> dict:
    return _param("path", name, schema, description, True, resource)


def header(name: str, schema: dict, description: str) -> dict:
    return _param("header", name, schema, description, False, None)


def content(schema: dict | None, *media_types: str) -> dict:
    """A content map; ``schema`` None for bodies no JSON Schema describes (HTML, images, PDF)."""
    return {
        m: ({"schema": schema} if schema is not None else {}) for m in media_types or ("application/json",)
    }


def response(description: str, schema: dict | None = None, *media_types: str, headers=None) -> dict:
    out: dict = {"description": description}
    if schema is not None or media_types:
        out["content"] = content(schema, *media_types)
    if headers:
        out["headers"] = headers
    return out


def errors(
    *codes: str | int, schema: dict | None = None, media: str = "application/json", html=False
) -> dict:
    """Error responses in the app's format ``{error, message, hint?}`` (or ``schema``); ``html`` adds
    the error page a browser gets (pages outside /api answer JSON only to ``Accept: application/json``)."""
    body = schema or ref("Error")
    out = {str(c): response(ERROR_TEXT[str(c)], body, media) for c in codes}
    if html:
        for item in out.values():
            item["content"]["text/html"] = {}
    return out


def form_body(properties: dict, required: tuple[str, ...] = (), multipart: bool = False) -> dict:
    schema = {"type": "object", "properties": properties, "required": list(required)}
    media = ["application/x-www-form-urlencoded"]
    if multipart:
        media.insert(0, "multipart/form-data")
    return {"required": True, "content": {m: {"schema": schema} for m in media}}


def redirect(description: str) -> dict:
    return response(description, headers={"Location": {"schema": STR, "description": "Where to go"}})


def operation(
    op_id: str,
    summary: str,
    tag: str,
    responses: dict,
    params: list | None = None,
    body: dict | None = None,
    scope: str | None = None,
    security: list | None = None,
) -> dict:
    """One operation. ``scope='kelurahan'`` marks what only users of the object's kelurahan may get."""
    out: dict = {"operationId": op_id, "summary": summary, "tags": [tag], "responses": responses}
    if params:
        out["parameters"] = params
    if body:
        out["requestBody"] = body
    if scope:
        out["x-sigkel-scope"] = scope
    if security is not None:
        out["security"] = security
    return out
