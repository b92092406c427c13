"""The OpenAPI description at /api/openapi.json: served, valid, complete (every route under its
prefixes is described or listed with a reason, and every described operation exists), with real
response schemas."""

from __future__ import annotations

import pytest

from webmap.apidoc import PREFIXES, UNDESCRIBED, document, openapi_path

METHODS = ("get", "post", "put", "patch", "delete")


def _routes(app) -> set[tuple[str, str]]:
    return {
        (openapi_path(rule.rule), method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(PREFIXES)
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def _described(doc: dict) -> set[tuple[str, str]]:
    return {
        (path, method.upper()) for path, item in doc["paths"].items() for method in item if method in METHODS
    }


def test_every_route_is_described_and_every_description_is_a_route(app):
    routes, described = _routes(app), _described(document())
    assert routes - described - set(UNDESCRIBED) == set(), "describe these in webmap/apidoc (or list them)"
    assert described - routes == set(), "described but not served"
    assert set(UNDESCRIBED) - routes == set(), "listed as undescribed but not served"
    assert set(UNDESCRIBED) & described == set()


def test_openapi_path():
    assert openapi_path("/api/tiket/<ticket>") == "/api/tiket/{ticket}"
    assert openapi_path("/open311/v2/requests.<any(json, xml):fmt>") == "/open311/v2/requests.{fmt}"
    assert openapi_path("/tiles/<layer>/<int:z>/<int:x>/<int:y>.pbf") == "/tiles/{layer}/{z}/{x}/{y}.pbf"


def test_served_description_loads_in_schemathesis(client):
    import schemathesis

    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    doc = response.get_json()
    assert doc["openapi"].startswith("3.0.") and doc["servers"] == [{"url": "http://localhost"}]
    schema = schemathesis.openapi.from_dict(doc)
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) == len(_described(doc))
    assert len({op["operationId"] for item in doc["paths"].values() for op in item.values()}) == len(
        operations
    )


def _resolve(doc: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


@pytest.mark.parametrize(("path", "method"), sorted(_described(document())))
def test_json_responses_have_real_schemas(path, method):
    """Every JSON body is described by a schema with a type (objects: properties and required keys),
    and every operation with a path parameter documents the 404 of a path that does not match."""
    doc = document()
    operation = doc["paths"][path][method.lower()]
    for status, answer in operation["responses"].items():
        for media, body in answer.get("content", {}).items():
            if "json" not in media:
                continue
            schema = _resolve(doc, body["schema"])
            assert "type" in schema, (status, media)
            if schema["type"] == "object":
                assert schema["properties"] and "required" in schema, (status, media)
    if "{" in path:
        assert "404" in operation["responses"], "a path that does not match the route is a 404"


def test_errors_are_the_app_error_format():
    error = document()["components"]["schemas"]["Error"]
    assert error["required"] == ["error", "message"] and set(error["properties"]) == {
        "error",
        "message",
        "hint",
    }
