"""Open311 JSON and XML: the formats offered and the spec's XML rendering of a payload."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping

__all__ = ["FORMATS", "CONTENT_TYPES", "render"]

FORMATS = ("json", "xml")
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}

# Spark convention (http://wiki.open311.org/JSON_and_XML_Conversion): a JSON array is an XML wrapper
# element whose children take the singular name.
_CHILD = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
    "notes": "note",
}
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def _xml_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _XML_BAD.sub("", str(value))


def _fill(element: ET.Element, value) -> None:
    if value is None:
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            tag = key if _XML_NAME.match(str(key)) and not str(key).lower().startswith("xml") else "item"
            _fill(ET.SubElement(element, tag), item)
    elif isinstance(value, list | tuple):
        child = _CHILD.get(element.tag, "item")
        for item in value:
            _fill(ET.SubElement(element, child), item)
    else:
        element.text = _xml_text(value)


def render(payload: dict | Iterable[dict], root: str, fmt: str) -> tuple[bytes, str]:
    """``(body, content type)`` of a payload in JSON or in the spec's XML under element ``root``."""
    if fmt == "xml":
        element = ET.Element(root)
        _fill(element, payload if isinstance(payload, Mapping) else list(payload))
        body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="unicode").encode()
        return body, CONTENT_TYPES["xml"]
    data = payload if isinstance(payload, Mapping) else list(payload)
    return json.dumps(data, ensure_ascii=False).encode(), CONTENT_TYPES["json"]
