"""Response schemas (``components.schemas``) of the machine-facing API outside ``/ogc``.

Public outputs about complaints are *closed* (``additionalProperties: false``): a field added to what
the public sees must be added here too, on purpose, or the API fuzz tests fail.
"""

from __future__ import annotations

from webmap.apidoc.build import BOOL, INT, NUM, STR, array, nullable, obj, ref, string

__all__ = ["SCHEMAS"]

NSTR, NINT, NNUM, NBOOL = nullable(STR), nullable(INT), nullable(NUM), nullable(BOOL)
CODE_NAME = obj({"code": STR, "name": STR})


def _collection(feature: str, extra: dict | None = None, required=("type", "features")) -> dict:
    props = {"type": string(enum=["FeatureCollection"]), "features": array(ref(feature)), **(extra or {})}
    return obj(props, required)


def _feature(properties: dict, geometry: dict | None = None, with_id: dict | None = None) -> dict:
    props = {
        "type": string(enum=["Feature"]),
        "geometry": geometry or nullable(ref("Geometry")),
        "properties": properties,
    }
    if with_id is not None:
        props["id"] = with_id
    return obj(props, ["type", "geometry", "properties"])


_FACILITY = {
    "id": INT,
    "name": STR,
    "category": STR,
    "category_id": STR,
    "category_en": STR,
    "group": STR,
    "icon": NSTR,
    "address": NSTR,
    "hours": NSTR,
    "contact": NSTR,
    # a list of service names, or of services with their requirements
    "services": nullable(array({"anyOf": [STR, obj({"layanan": STR, "syarat": array(STR)}, ["layanan"])]})),
    "synthetic": BOOL,
    "kelurahan_code": NSTR,
    "rw_code": NSTR,
}
_NEARBY = {
    "id": INT,
    "name": STR,
    "category": STR,
    "category_id": STR,
    "category_en": STR,
    "lon": NUM,
    "lat": NUM,
    "distance_m": NUM,
}
_EVENT = obj(
    {"kind": STR, "status_from": NSTR, "status_to": NSTR, "note": NSTR, "created_at": STR}, closed=True
)
_PHOTO = obj({"stage": STR, "file": STR, "width": INT, "height": INT, "created_at": STR}, closed=True)

SCHEMAS: dict[str, dict] = {
    # -- errors ----------------------------------------------------------------------------------------
    "Error": obj({"error": STR, "message": STR, "hint": STR}, ["error", "message"], closed=True),
    "Open311Errors": array(obj({"code": INT, "description": STR}, closed=True), minItems=1),
    # -- layers -----------------------------------------------------------------------------------------
    "Geometry": obj(
        {
            "type": string(
                enum=["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"]
            ),
            "coordinates": {"type": "array"},
        }
    ),
    "Point": obj({"type": string(enum=["Point"]), "coordinates": array(NUM, minItems=2, maxItems=3)}),
    "BoundaryFeature": _feature(
        obj(
            {
                "code": STR,
                "name": STR,
                "label": STR,
                "kelurahan_code": STR,
                "kecamatan_code": STR,
                "kelurahan": STR,
                "rw_code": STR,
                "synthetic": BOOL,
            },
            ["code", "name", "label"],
        ),
        with_id=STR,
    ),
    "BoundaryCollection": _collection("BoundaryFeature"),
    "FacilityFeature": _feature(obj(_FACILITY), ref("Point"), with_id=INT),
    "FacilityCollection": _collection(
        "FacilityFeature", {"numberMatched": INT}, ["type", "features", "numberMatched"]
    ),
    "Facility": obj({**_FACILITY, "lon": NUM, "lat": NUM}),
    "FacilityCategory": obj(
        {"code": STR, "name_id": STR, "name_en": STR, "group_code": STR, "icon": NSTR, "n": INT}
    ),
    "WhatsHere": obj(
        {
            "lon": NUM,
            "lat": NUM,
            "kelurahan": nullable(CODE_NAME),
            "rw": nullable(CODE_NAME),
            "rt": nullable(obj({"code": STR, "name": STR, "synthetic": BOOL})),
            "nearest": array(obj(_NEARBY)),
        }
    ),
    "Nearest": obj({"lon": NUM, "lat": NUM, "facilities": array(obj({**_NEARBY, "address": NSTR}))}),
    # -- residents' complaints ------------------------------------------------------------------------
    "ComplaintCategories": obj(
        {
            "items": array(
                obj(
                    {
                        "code": STR,
                        "name_id": STR,
                        "name_en": STR,
                        "sla_days": INT,
                        "privacy": string(enum=["exact", "grid", "rt", "hidden"]),
                        "public": BOOL,
                    }
                )
            )
        }
    ),
    "SubmitAnswer": obj(
        {
            "ticket": STR,
            "status": string(enum=["diterima"]),
            "category": STR,
            "kelurahan_code": STR,
            "rw_code": NSTR,
            "rt_code": NSTR,
            "created_at": STR,
            "sla_due": STR,
            "secret": STR,
            "photos": INT,
            "replayed": BOOL,
            "url": STR,
        },
        closed=True,
    ),
    "Similar": obj(
        {
            "radius_m": NUM,
            "items": array(
                obj(
                    {
                        "ticket": STR,
                        "category": STR,
                        "name_id": STR,
                        "name_en": STR,
                        "status": STR,
                        "created_at": STR,
                        "supporters": INT,
                        "distance_m": NUM,
                        "lon": NUM,
                        "lat": NUM,
                        "photo": NSTR,
                    },
                    closed=True,
                )
            ),
        }
    ),
    "SupportAnswer": obj({"ticket": STR, "supporters": INT, "replayed": BOOL}, closed=True),
    "PublicComplaintFeature": _feature(
        obj(
            {
                "ticket": STR,
                "category": STR,
                "category_id": STR,
                "category_en": STR,
                "status": STR,
                "created_at": STR,
                "supporters": INT,
                "privacy": STR,
            },
            closed=True,
        ),
        ref("Point"),
    ),
    "PublicComplaintCollection": _collection("PublicComplaintFeature"),
    "PublicTicket": obj(
        {
            "ticket": STR,
            "category": STR,
            "name_id": STR,
            "name_en": STR,
            "status": STR,
            "status_reason": NSTR,
            "created_at": STR,
            "updated_at": NSTR,
            "sla_due": NSTR,
            "resolved_at": NSTR,
            "supporters": INT,
            "reopened_count": INT,
            "rating": NINT,
            "rw_code": NSTR,
            "rw_name": NSTR,
            "kelurahan": NSTR,
            "merged_into": NSTR,
            "lon": NNUM,
            "lat": NNUM,
            "confidential": BOOL,
            "events": array(_EVENT),
            "photos": array(_PHOTO),
        },
        closed=True,
    ),
    "DisputeAnswer": obj({"ticket": STR, "status": STR, "reopened": BOOL}, closed=True),
    "RatingAnswer": obj({"ticket": STR, "rating": INT}, closed=True),
    # -- staff ------------------------------------------------------------------------------------------
    "Queue": obj(
        {
            "total": INT,
            "items": array(
                obj(
                    {
                        "id": INT,
                        "ticket": STR,
                        "category": STR,
                        "name_id": STR,
                        "name_en": STR,
                        "status": STR,
                        "created_at": NSTR,
                        "sla_due": NSTR,
                        "rw_code": NSTR,
                        "rt_code": NSTR,
                        "supporters": INT,
                        "reopened_count": INT,
                        "summary": NSTR,
                        "lon": NUM,
                        "lat": NUM,
                        "overdue": NBOOL,
                        "days_left": NINT,
                    }
                )
            ),
        }
    ),
    "StatusChange": obj({"ticket": STR, "status": STR, "previous": STR, "at": STR}),
    "AfterPhoto": obj({"photo_id": INT, "file": STR, "distance_m": NUM, "source": STR}),
    "Ok": obj({"ok": BOOL}),
    "Merge": obj({"ticket": STR, "merged_into": STR}),
    "Reporter": obj(
        {"reporter": nullable(obj({"id": INT, "name": NSTR, "phone": NSTR, "email": NSTR, "anonymity": STR}))}
    ),
    # -- planners ---------------------------------------------------------------------------------------
    "RunStatus": obj(
        {
            "id": INT,
            "status": string(enum=["running", "done", "failed", "missing"]),
            "message": NSTR,
            "elapsed_s": NUM,
            "finished": NSTR,
            "stale": BOOL,
            "map_url": NSTR,
            "page_url": STR,
        }
    ),
    "Classes": obj(
        {
            "scheme": STR,
            "k_requested": INT,
            "n": INT,
            "k": INT,
            "integer": BOOL,
            "bins": array(NUM),
            "counts": array(INT),
            "min": NNUM,
            "max": NNUM,
            "field": STR,
            "layers": array(STR),
            "palette": STR,
            "colors": array(STR),
            "labels": array(STR),
            "field_label": STR,
            "scheme_label": STR,
        }
    ),
    "RunFeature": _feature(nullable({"type": "object"}), with_id=INT),
    "RunOutput": _collection("RunFeature", {"run": INT}),
    "LayerCollection": _collection("RunFeature"),
}
