"""Paths for logged-in users: staff (``/petugas``), admins (``/admin``), the evaluation dashboard
(``/evaluasi``), and the planners' JSON (``/perencana``, public aggregates).

Staff, admin and evaluation operations are scoped by kelurahan (``x-sigkel-scope: kelurahan``): an
object of another kelurahan is 404, never 2xx. Writes need the session's CSRF token
(``X-CSRF-Token`` header or ``csrf_token`` field). Pages answer errors as HTML unless the client
sends ``Accept: application/json``.
"""

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

__all__ = ["STAFF_PATHS"]

SESSION = [{"session": []}]
WRITE = [{"session": [], "csrf": []}]
COMPLAINT = path("complaint_id", {"type": "integer", "minimum": 0}, "Complaint id", "complaint-id")
ACCEPT_JSON = header("Accept", string(enum=["application/json"]), "Ask for the JSON answer")
LOGIN = {"302": redirect("Not logged in: to the login page")}
HTML = "text/html"


def _page(op_id: str, summary: str, params: list | None = None, codes=("403", "422"), media=HTML) -> dict:
    """A staff page (GET): HTML for a logged-in user of the right role, the login page otherwise."""
    return {
        "get": operation(
            op_id,
            summary,
            "staff",
            {"200": response("The page", None, *media.split(",")), **LOGIN, **errors(*codes, html=True)},
            params,
            scope="kelurahan",
            security=SESSION,
        )
    }


def _action(op_id: str, summary: str, fields: dict, answer: str, multipart=False, html_answer=False) -> dict:
    """A form post on a complaint, answered as JSON with ``Accept: application/json``."""
    ok = response("Done", ref(answer))
    if html_answer:
        ok["content"][HTML] = {}
    return {
        "post": operation(
            op_id,
            summary,
            "staff",
            {
                "200": ok,
                "303": redirect("Done: back to the complaint page (a browser's form post)"),
                **errors("400", "401", "403", "404", "409", "413", "422", html=True),
            },
            [COMPLAINT, ACCEPT_JSON],
            form_body(
                fields,
                tuple(k for k in fields if k not in ("lat", "lon", "catatan_publik", "publik")),
                multipart=multipart,
            ),
            scope="kelurahan",
            security=WRITE,
        )
    }


_STAFF = {
    "/petugas/api/antrian": {
        "get": operation(
            "queue",
            "The work queue of the user's kelurahan, sorted by SLA due date",
            "staff",
            {"200": response("One page and the total", ref("Queue")), **errors("401", "403", "422")},
            [
                query("status", array(STR), "Statuses, or 'semua' (default: the open ones)"),
                query("kategori", STR, "Category", resource="complaint-category"),
                query("rw", STR, "RW code", resource="rw-code"),
                query("rt", STR, "RT code", resource="rt-code"),
                query(
                    "umur",
                    {"type": "integer", "minimum": 0, "maximum": 999999},
                    "At least this many days old",
                ),
                query("terlambat", string(enum=["1", "ya", "true", "on"]), "Overdue only"),
                query("limit", {"type": "integer", "minimum": 0, "maximum": 999999}, "Page size (max 1000)"),
                query("offset", {"type": "integer", "minimum": 0, "maximum": 999999}, "Page start"),
            ],
            scope="kelurahan",
            security=SESSION,
        )
    },
    "/petugas/": _page(
        "queue_page",
        "The work queue page (map and list)",
        [query("status", array(STR), "Statuses"), query("kategori", STR, "Category"), query("rw", STR, "RW")],
    ),
    "/petugas/eskalasi": _page("escalations_page", "Overdue or almost overdue complaints", codes=("403",)),
    "/petugas/laporan/{complaint_id}": _page(
        "complaint_page", "A complaint's detail page", [COMPLAINT], codes=("403", "404", "422")
    ),
    "/petugas/foto/{file}": _page(
        "staff_photo",
        "A complaint photo (private ones too) of the user's kelurahan",
        [path("file", STR, "Photo file name", "photo")],
        codes=("403", "404", "422"),
        media="image/jpeg,image/png,image/webp",
    ),
    "/petugas/laporan/{complaint_id}/status": _action(
        "change_status",
        "Change a complaint's status (diterima → verifikasi → ditindaklanjuti → selesai, or a refusal)",
        {
            "status": string(enum=["verifikasi", "ditindaklanjuti", "selesai", "ditolak", "bukan_wewenang"]),
            "alasan": STR,
            "catatan": STR,
            "catatan_publik": string(enum=["1"]),
        },
        "StatusChange",
    ),
    "/petugas/laporan/{complaint_id}/catatan": _action(
        "add_note",
        "Add a note (public with publik=1)",
        {"catatan": string(minLength=1), "publik": string(enum=["1"])},
        "Ok",
    ),
    "/petugas/laporan/{complaint_id}/gabung": _action(
        "merge",
        "Merge this complaint into another ticket of the same kelurahan",
        {"tiket": kind(STR, "ticket")},
        "Merge",
    ),
    "/petugas/laporan/{complaint_id}/pelapor": _action(
        "reporter",
        "The reporter's identity, for a stated reason (written to the audit log)",
        {"alasan": string(minLength=5)},
        "Reporter",
        html_answer=True,
    ),
    "/petugas/laporan/{complaint_id}/foto-sesudah": _action(
        "after_photo",
        "Upload the proof-of-fix photo, taken within the proof distance",
        {"foto": string(format="binary"), "lat": kind(NUM, "lat"), "lon": kind(NUM, "lon")},
        "AfterPhoto",
        multipart=True,
    ),
    "/admin/sesi": {
        "get": {
            **_page("sessions_page", "Live sessions and users of the admin's kelurahan", codes=("403",))[
                "get"
            ],
            "tags": ["admin"],
        }
    },
    "/admin/sesi/{sid}/cabut": {
        "post": operation(
            "revoke_session",
            "Revoke a session of a user who shares a kelurahan with the admin",
            "admin",
            {
                "303": redirect("Done: back to the sessions page"),
                **errors("401", "403", "404", "422", html=True),
            },
            [path("sid", STR, "Session id", "session")],
            form_body({"csrf_token": STR}),
            scope="kelurahan",
            security=WRITE,
        )
    },
}

_PERIOD = query("periode", string(pattern=r"^[0-9]{4}(-Q[1-4]|-[0-9]{2})?$"), "2026-Q3, 2026-07 or 2026")
_KEL = query("kelurahan", STR, "Kelurahan code (one of the user's)", resource="kelurahan")
_EVALUATION = {
    "/evaluasi/": _page(
        "evaluation_dashboard", "KPIs of a kelurahan for a period", [_KEL, _PERIOD], codes=("404", "422")
    ),
    "/evaluasi/laporan.{fmt}": _page(
        "evaluation_report",
        "The evaluation report as HTML or PDF (with a hot spot analysis)",
        [path("fmt", string(enum=["html", "pdf"]), "Format"), _KEL, _PERIOD],
        codes=("404", "422"),
        media="text/html,application/pdf",
    ),
}
for _item in _EVALUATION.values():
    _item["get"]["tags"] = ["evaluation"]

RUN = path("run_id", {"type": "integer", "minimum": 0}, "Analysis run id", "run-id")
_CLASS_ARGS = [
    query("field", string(minLength=1), "Property to classify", True, "layer-field"),
    query("scheme", string(enum=["quantiles", "fisher_jenks", "equal_interval"]), "Classification"),
    query("k", {"type": "integer", "minimum": 3, "maximum": 7}, "Number of classes"),
]
_LAYER = {"200": response("GeoJSON", ref("LayerCollection"), "application/geo+json")}


def _planner(op_id: str, summary: str, responses: dict, params: list) -> dict:
    return {"get": operation(op_id, summary, "planner", responses, params)}


_PLANNER = {
    "/perencana/runs/{run_id}/status": _planner(
        "run_status",
        "A run's status, polled by its page",
        {"200": response("Status", ref("RunStatus")), **errors("404")},
        [RUN],
    ),
    "/perencana/runs/{run_id}/classes": _planner(
        "run_classes",
        "Classes of one run's field",
        {"200": response("Classes", ref("Classes")), **errors("404", "422")},
        [RUN, *_CLASS_ARGS],
    ),
    "/perencana/kelas": _planner(
        "pooled_classes",
        "One classification over one or two layers (same colours mean the same values)",
        {"200": response("Classes", ref("Classes")), **errors("404", "422")},
        [
            query(
                "run",
                array(STR, maxItems=2),
                "Layer refs: a run id, penduduk, rw, fasilitas[:KATEGORI]",
                False,
                "layer",
            ),
            *_CLASS_ARGS,
        ],
    ),
    "/perencana/runs/{run_id}.geojson": _planner(
        "run_output",
        "A run's output layer (?unduh=1: the file to keep)",
        {"200": response("GeoJSON", ref("RunOutput"), "application/geo+json"), **errors("404", "422")},
        [RUN],
    ),
    "/perencana/lapisan/{ref}.geojson": _planner(
        "base_layer",
        "A base layer (penduduk, rw, fasilitas[:KATEGORI]); a run number redirects to the run's layer",
        {**_LAYER, "302": redirect("A run's layer"), **errors("404", "422")},
        [
            path(
                "ref",
                string(pattern=r"^([0-9]{1,12}|penduduk|rw|fasilitas(:[a-z][a-z0-9_]{0,40})?)$"),
                "Layer reference",
            )
        ],
    ),
}

STAFF_PATHS = {**_STAFF, **_EVALUATION, **_PLANNER}
