"""Open311 GeoReport v2 under ``/open311/v2``: discovery, services, service definitions, requests
(GET and POST) and tokens, in JSON or XML by the resource's extension (``requests.json``,
``requests.xml``).

Errors under ``/open311`` use the spec's format (``[{"code": 404, "description": "..."}]`` or
``<errors><error>…``) with HTTP 400 for a malformed request, 403 for a missing or invalid
``api_key`` and 404 for what does not exist (or is not public). What GET shows of a complaint, and
why, is described in :mod:`gis.complaints.open311`.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, redirect, request, url_for
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.exceptions import NotFound as HTTPNotFound
from werkzeug.routing import PathConverter

from gis.complaints import open311
from gis.complaints.sla import calendar_for
from gis.complaints.submit import Report, submit_report
from gis.errors import SigkelError
from webmap.db import get_conn, mark_failed
from webmap.errors import RETRY_AFTER
from webmap.stale import is_outage, is_retryable

__all__ = ["bp", "init_app"]

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")

FMT = "<any(json, xml):fmt>"
_ROOT_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def _settings():
    return current_app.config["SIGKEL_SETTINGS"]


def _lang() -> str:
    return "en" if (request.args.get("lang") or "").strip().lower() == "en" else "id"


def _respond(payload, root: str, fmt: str, status: int = 200) -> Response:
    body, content_type = open311.render(payload, root, fmt)
    response = Response(body, status=status, content_type=content_type)
    if request.method in ("GET", "HEAD") and status < 400:
        response.headers["Access-Control-Allow-Origin"] = "*"  # public data, no cookies involved
    return response


def _photo_url(file: str) -> str:
    return url_for("report.photo", file=file, _external=True)


def _args() -> dict[str, str]:
    """Query parameters, a repeated one joined by commas (the spec allows both forms)."""
    return {name: ",".join(request.args.getlist(name)) for name in request.args}


def _form() -> dict[str, str]:
    """POST fields: url-encoded or multipart as the spec says; a JSON object is accepted too."""
    if request.form:
        return {k: request.form.get(k, "") for k in request.form}
    data = request.get_json(silent=True) if request.is_json else None
    if isinstance(data, dict):
        return {k: "" if v is None else str(v) for k, v in data.items()}
    return {}


def _float(fields: dict[str, str], name: str) -> float | None:
    raw = (fields.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise open311.BadRequest(f"{name} harus angka / {name} must be a number, got {raw[:40]!r}.") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise open311.BadRequest(f"{name} harus angka / {name} must be a finite number.")
    return value


# -- resources -----------------------------------------------------------------------------------


@bp.get("/")
def root():
    return redirect(url_for("open311.discovery", fmt="json"))


@bp.get(f"/discovery.{FMT}")
def discovery(fmt: str):
    url = url_for("open311.discovery", fmt=fmt, _external=True).rsplit("/", 1)[0]
    return _respond(open311.discovery(get_conn(), url), "discovery", fmt)


@bp.get(f"/services.{FMT}")
def services(fmt: str):
    items = open311.services(get_conn(), _lang(), _settings().data_dir)
    return _respond(items, "services", fmt)


@bp.get(f"/services/<service_code>.{FMT}")
def service_definition(service_code: str, fmt: str):
    return _respond(open311.service_definition(get_conn(), service_code), "service_definition", fmt)


@bp.get(f"/requests.{FMT}")
def requests_list(fmt: str):
    query = open311.parse_request_query(_args())
    items = open311.find_requests(get_conn(), query, _photo_url, _lang())
    return _respond(items, "service_requests", fmt)


@bp.get(f"/requests/<service_request_id>.{FMT}")
def request_one(service_request_id: str, fmt: str):
    items = open311.get_request(get_conn(), service_request_id, _photo_url, _lang())
    return _respond(items, "service_requests", fmt)


@bp.get(f"/tokens/<token>.{FMT}")
def token(token: str, fmt: str):
    return _respond(open311.token_request(get_conn(), token), "service_requests", fmt)


@bp.post(f"/requests.{FMT}")
def create_request(fmt: str):
    """POST a service request: 201 the first time, 200 with the same answer on a retry."""
    conn = get_conn()
    fields = _form()
    api_key_id = open311.check_api_key(conn, fields.get("api_key"))
    code = open311.check_service(conn, fields.get("service_code"))
    lat, lon = _float(fields, "lat"), _float(fields, "long")
    if lat is None or lon is None:
        if (fields.get("address_string") or fields.get("address_id") or "").strip():
            raise open311.BadRequest(
                "lat dan long wajib: alamat tidak dapat dicari di peta / lat and long are required: this "
                "server cannot geocode address_string or address_id."
            )
        raise open311.BadRequest("lat dan long wajib diisi / lat and long are required.")
    media_url = open311.check_media_url(fields.get("media_url"))
    key = open311.submission_key(api_key_id, fields.get("idempotency_key"))
    name = f"{(fields.get('first_name') or '').strip()} {(fields.get('last_name') or '').strip()}".strip()
    contact = (fields.get("phone") or "").strip() or (fields.get("email") or "").strip()
    report = Report(
        key=key,
        category=code,
        description=fields.get("description", ""),
        lon=lon,
        lat=lat,
        location_source="gps",
        name=name or None,
        contact=contact or None,
        anonymity="publik_tanpa_nama",
        source="open311",
        kind="open311",
    )
    settings = _settings()
    answer = submit_report(conn, report, calendar_for(settings.calendar_path), settings.photo_path)
    if media_url and not answer.get("replayed"):
        open311.note_media_url(conn, answer["ticket"], media_url)
    item = open311.post_response(conn, answer, key, _lang())
    return _respond([item], "service_requests", fmt, 200 if answer.get("replayed") else 201)


class AnyRest(PathConverter):
    """Like ``path``, but across line breaks too: a path that matches no rule would otherwise miss this
    blueprint, and its error would not come in the spec's format."""

    regex = "(?s:[^/].*?)"


@bp.route("/<open311_rest:rest>", methods=_ROOT_METHODS)
def unknown(rest: str):
    """Anything else under /open311/v2: 405 for a known resource and another method, else 404."""
    adapter = current_app.create_url_adapter(request)
    allowed = []
    for method in ("GET", "POST"):
        try:
            endpoint, _ = adapter.match(request.path, method=method)
        except HTTPException:
            continue
        if endpoint != "open311.unknown":
            allowed.append(method)
    if allowed:
        raise MethodNotAllowed(
            valid_methods=allowed,
            description=f"{request.method} tidak diizinkan / not allowed here; use {' or '.join(allowed)}.",
        )
    raise HTTPNotFound(
        description=(
            "Tidak ada sumber Open311 ini / no such Open311 resource. Resources end in .json or .xml; "
            "see discovery.json."
        )
    )


# -- errors in the spec's format -------------------------------------------------------------------------


def _error_format() -> str:
    fmt = (request.view_args or {}).get("fmt")
    if fmt in open311.FORMATS:
        return fmt
    return "xml" if request.path.lower().endswith(".xml") else "json"


def _error(status: int, description: str, headers: dict | None = None) -> Response:
    mark_failed()
    response = _respond([{"code": status, "description": description}], "errors", _error_format(), status)
    response.headers.update(headers or {})
    return response


_OUTAGE = (
    "Layanan sedang tidak tersedia sebentar; kirim ulang dengan kunci yang sama / the service is briefly "
    "unavailable: send again with the same key in a few seconds."
)


def _outage(exc: BaseException):
    current_app.logger.warning("Database unavailable on %s: %s", request.path, exc)
    return _error(503, _OUTAGE, {"Retry-After": RETRY_AFTER})


def _sigkel_error(exc: SigkelError):
    if is_outage(exc):
        return _outage(exc)
    status = 400 if exc.http_status == 422 else exc.http_status  # the spec: 400 for bad input
    description = f"{exc.message} {exc.hint}" if exc.hint else exc.message
    headers = {}
    if getattr(exc, "retry_after", None):
        headers["Retry-After"] = str(exc.retry_after)
    return _error(status, description, headers)


def _http_error(exc: HTTPException):
    original = getattr(exc, "original_exception", None)
    if original is not None and is_retryable(original):  # e.g. the commit in webmap.db failed
        return _outage(original)
    headers = {}
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        headers["Allow"] = ", ".join(exc.valid_methods)
    return _error(exc.code or 500, exc.description or exc.name or "error", headers)


def _unexpected(exc: Exception):
    if is_retryable(exc):
        return _outage(exc)
    current_app.logger.exception("Unhandled error on %s", request.path)
    return _error(500, "Terjadi kesalahan di server / something went wrong on the server.")


bp.register_error_handler(SigkelError, _sigkel_error)
bp.register_error_handler(HTTPException, _http_error)
bp.register_error_handler(Exception, _unexpected)


def init_app(app: Flask) -> None:
    app.url_map.converters["open311_rest"] = AnyRest
    app.register_blueprint(bp)
