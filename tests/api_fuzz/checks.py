"""The custom check of the API fuzz tests: no success across kelurahan.

For a user of kelurahan A on an operation scoped by kelurahan (``x-sigkel-scope: kelurahan`` in the
description):

* a request that names a resource of another kelurahan (a complaint id, ticket, photo, session or
  kelurahan code, found through the parameters marked ``x-sigkel-resource``) must be refused (4xx);
* no response may carry another kelurahan's code or ticket codes, except those the request itself
  sent (an error message may quote its input).

Resources are resolved in the database at check time, so a random id that happens to be B's counts.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

import sqlalchemy as sa

__all__ = ["Scope", "marked_fields", "resource_values", "sent_text"]

KELURAHAN_CODE = re.compile(r"\b\d{2}\.\d{2}\.\d{2}\.\d{4}\b")
TICKET = re.compile(r"\b[A-Z]{2}-[0-9A-Z]{4}-[0-9A-Z]{4,5}\b")
TEXTUAL = ("json", "html", "xml", "text/")

_RESOLVE = {
    "complaint-id": "SELECT ARRAY[kelurahan_code] FROM complaint WHERE id = CAST(:v AS bigint)",
    "ticket": "SELECT ARRAY[kelurahan_code] FROM complaint WHERE ticket = upper(btrim(:v))",
    "photo": (
        "SELECT array_agg(DISTINCT c.kelurahan_code) FROM complaint_photo p "
        "JOIN complaint c ON c.id = p.complaint_id WHERE p.file = :v"
    ),
    "session": (
        "SELECT array_agg(k.kelurahan_code) FROM user_session s "
        "JOIN app_user_kelurahan k ON k.user_id = s.user_id WHERE s.id = :v"
    ),
    "kelurahan": "SELECT ARRAY[code] FROM kelurahan WHERE code = :v",
}


def marked_fields(definition: dict) -> list[tuple[str, str, str]]:
    """``(where, name, kind)`` of the parameters and form fields marked ``x-sigkel-resource``."""
    out = [
        (p["in"], p["name"], p["x-sigkel-resource"])
        for p in definition.get("parameters", [])
        if p.get("x-sigkel-resource")
    ]
    for media in definition.get("requestBody", {}).get("content", {}).values():
        for name, prop in media.get("schema", {}).get("properties", {}).items():
            if prop.get("x-sigkel-resource"):
                out.append(("body", name, prop["x-sigkel-resource"]))
    return list(dict.fromkeys(out))


def resource_values(definition: dict, case) -> list[tuple[str, object]]:
    """``(kind, value)`` of every marked parameter or form field the case sends."""
    sources = {"path": case.path_parameters or {}, "query": case.query or {}}
    sources["body"] = case.body if isinstance(case.body, dict) else {}
    out = []
    for where, name, kind in marked_fields(definition):
        value = sources.get(where, {}).get(name)
        if value is not None:
            out += [(kind, v) for v in (value if isinstance(value, list) else [value])]
    return out


class Scope:
    """Whether requests and responses of a user of ``home`` stay inside ``home``."""

    def __init__(self, engine: sa.Engine, home: str):
        self.engine, self.home = engine, home

    def kelurahan_of(self, kind: str, value) -> set[str]:
        """The kelurahan a resource belongs to (empty when unknown or not a resource of that kind)."""
        if kind not in _RESOLVE or isinstance(value, dict | list | bool) or value is None:
            return set()
        text = str(value)
        if kind == "complaint-id" and not re.fullmatch(r"[0-9]{1,18}", text):
            return set()
        if "\x00" in text or len(text) > 200:
            return set()
        with self.engine.connect() as conn:
            found = conn.execute(sa.text(_RESOLVE[kind]), {"v": text}).scalar()
        return {c for c in found or () if c}

    def foreign_references(self, definition: dict, case) -> list[tuple[str, object, set[str]]]:
        out = []
        for kind, value in resource_values(definition, case):
            owners = self.kelurahan_of(kind, value)
            if owners and self.home not in owners:
                out.append((kind, value, owners))
        return out

    def leaks(self, response, sent: str) -> list[str]:
        """Other kelurahan's codes and tickets in a textual response that the request did not send."""
        kind = (response.headers.get("content-type") or [""])[0]
        if not any(t in kind for t in TEXTUAL):
            return []
        text = response.content.decode("utf-8", "replace")
        codes = {c for c in KELURAHAN_CODE.findall(text) if c != self.home and c not in sent}
        with self.engine.connect() as conn:
            codes = set(
                conn.execute(sa.text("SELECT code FROM kelurahan WHERE code = ANY(:c)"), {"c": sorted(codes)})
                .scalars()
                .all()
            )
            tickets = sorted({t for t in TICKET.findall(text) if t not in sent})[:500]
            foreign = (
                conn.execute(
                    sa.text(
                        "SELECT ticket FROM complaint WHERE ticket = ANY(:t) AND kelurahan_code <> :home"
                    ),
                    {"t": tickets, "home": self.home},
                )
                .scalars()
                .all()
            )
        return sorted(codes) + sorted(foreign)


def sent_text(response) -> str:
    """The request as sent (URL and body, raw and decoded), to tell a quoted input from a leak."""
    request = response.request
    body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
    raw = body.decode("utf-8", "replace")
    return "\n".join([unquote(request.url), raw, unquote(raw.replace("+", " "))])
