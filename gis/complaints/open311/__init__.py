"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2): API keys, services, public requests.

Everything the ``/open311/v2`` views need lives in this package, including all of its SQL; the views
only parse the HTTP request and choose JSON or XML. Its modules:

* :mod:`~gis.complaints.open311.keys`: API keys;
* :mod:`~gis.complaints.open311.categories`: service discovery, services and service definitions;
* :mod:`~gis.complaints.open311.params`: the GET filters (W3C datetimes, the 90-day window), ``BadRequest``;
* :mod:`~gis.complaints.open311.requests`: GET requests, the status mapping and the privacy rules below;
* :mod:`~gis.complaints.open311.post`: POST requests, idempotency keys and tokens;
* :mod:`~gis.complaints.open311.formats`: JSON and the spec's XML.

Privacy decisions (what a GET may show of a complaint)
------------------------------------------------------
* Only complaints of a **public** category that are **not confidential** (*rahasia*) and **not merged**
  into another (``duplicate_of IS NULL``) exist for GET requests; any other ticket answers 404, exactly
  as a ticket that does not exist.
* ``lat``/``long`` are the generalised public point ``complaint.geom_public`` (exact, 100 m grid cell
  or RT point, by the category's rule), never ``complaint.geom``.
* ``description`` is **not** the resident's text, which may name people, houses or phone numbers: it
  is the category's name (in the language asked for). Only staff see the resident's words.
* ``address`` is "RW 007, Kelurahan X, Kecamatan Y, Kota Z": we hold no street addresses, and the RW is
  coarse enough for every privacy class. ``address_id`` and ``zipcode`` are always null.
* ``status_notes`` is the status label (Indonesian unless ``lang=en``) followed by the status reason
  (``complaint.status_reason``, written by staff for ditolak / bukan_wewenang) or else the latest
  public note written by staff (``complaint_event`` of kind status/note/merge with ``public``).
  Disputes are written by the reporter: they appear in ``notes`` only as "disputed", never their text.
* ``media_url`` is the first public "before" photo (``/foto/<file>``), else null.
* The ``reporter`` table is never read: no names, phone numbers or e-mail addresses leave through
  Open311. A POSTed ``media_url`` is never fetched; it is kept as a private note for staff.

Other decisions
---------------
* POST answers carry both ``service_request_id`` (our ticket, e.g. ``LP-7KQ2-M9XD``) and ``token``
  (the stored idempotency key), although the spec says to send one or the other: the ticket exists at
  once, and the token lets a client that lost the answer find it again (``tokens/{token}``).
* ``idempotency_key`` (our extension) is namespaced by API key (``o311:<key id>:<client key>``) so
  clients cannot collide with, or replay, each other's submissions; without it a random key is used.
* ``api_key`` is read from the POST body only (never the query string, which ends up in logs).
* ``jurisdiction_id`` is ignored: one endpoint serves one office.
* Errors: 400 for malformed input (our 422 becomes 400, as the spec asks), 403 for the API key, 404
  for what does not exist or is not public. ``start_date``/``end_date`` must be W3C datetimes with a
  zone (a bare date means that day in WIB) and may not be more than 90 days apart.

Chicago's extensions are followed (``attributes``, ``extended_attributes``, ``notes``) so that the
clients written for the best-known Open311 server read ours.

API keys are stored as the SHA-256 of the key; the plain key is shown once, when created.
"""

from gis.complaints.open311.categories import (
    SPECIFICATION,
    check_service,
    discovery,
    service_definition,
    services,
)
from gis.complaints.open311.formats import CONTENT_TYPES, FORMATS, render
from gis.complaints.open311.keys import (
    check_api_key,
    create_api_key,
    disable_api_key,
    list_api_keys,
    new_api_key,
)
from gis.complaints.open311.params import (
    DEFAULT_DAYS,
    MAX_REQUESTS,
    BadRequest,
    RequestQuery,
    parse_request_query,
    parse_w3c,
)
from gis.complaints.open311.params import MAX_IDS as MAX_IDS
from gis.complaints.open311.post import (
    check_media_url,
    note_media_url,
    post_response,
    submission_key,
    token_request,
)
from gis.complaints.open311.requests import (
    CLOSED,
    OPEN,
    find_requests,
    get_request,
    open311_status,
    service_notice,
    w3c,
)

__all__ = [
    "SPECIFICATION",
    "FORMATS",
    "CONTENT_TYPES",
    "MAX_REQUESTS",
    "DEFAULT_DAYS",
    "OPEN",
    "CLOSED",
    "BadRequest",
    "create_api_key",
    "new_api_key",
    "check_api_key",
    "list_api_keys",
    "disable_api_key",
    "open311_status",
    "discovery",
    "services",
    "service_definition",
    "check_service",
    "RequestQuery",
    "parse_request_query",
    "parse_w3c",
    "find_requests",
    "get_request",
    "token_request",
    "submission_key",
    "service_notice",
    "post_response",
    "check_media_url",
    "note_media_url",
    "render",
    "w3c",
]
