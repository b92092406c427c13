"""Open311 GeoReport v2 under /open311/v2: discovery, services, requests (GET/POST), tokens, errors,
and above all what GET may not show (reporters, exact points, the resident's text, rahasia tickets)."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import xml.etree.ElementTree as ET

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from gis.complaints import open311
from gis.complaints.photos import process_photo
from gis.complaints.sla import calendar_for
from gis.complaints.submit import Report, submit_report
from gis.db import migrate
from gis.db.engine import make_engine
from gis.errors import Forbidden
from webmap.cli_apikey import apikey

BASE = "/open311/v2"
# Inside Cempaka Putih Timur, deliberately not on a 100 m grid centre.
LAT, LON = -6.17863917, 106.87127341
PUBLIC = "cat.public AND NOT c.confidential AND c.duplicate_of IS NULL"
REQUEST_KEYS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}


def _json(response, status=200):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.get_data())


def _xml(response, status=200):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    body = response.get_data()
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(body)


def _spec_error(client, method, url, status, **kwargs):
    """The error in both formats: [{"code", "description"}] and <errors><error><code/>…"""
    json_url, xml_url = url, url.replace(".json", ".xml", 1)
    data = _json(client.open(json_url, method=method, **kwargs), status)
    assert isinstance(data, list) and data[0]["code"] == status and data[0]["description"]
    root = _xml(client.open(xml_url, method=method, **kwargs), status)
    assert root.tag == "errors" and root.find("error/code").text == str(status)
    assert root.find("error/description").text
    return data[0]["description"]


def _submit(conn, settings, tmp_path, key, **fields):
    report = Report(
        key=key,
        category=fields.pop("category", "kebersihan"),
        description=fields.pop("description", "Sampah menumpuk di pinggir jalan."),
        lon=fields.pop("lon", LON),
        lat=fields.pop("lat", LAT),
        **fields,
    )
    return submit_report(conn, report, calendar_for(settings.calendar_path), tmp_path)


def _post(client, key, fmt="json", **fields):
    data = {"api_key": key, "service_code": "kebersihan", "lat": str(LAT), "long": str(LON)}
    data.update({"description": "Sampah menumpuk di pinggir jalan."})
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(f"{BASE}/requests.{fmt}", data=data)


def _count(conn, sql, **params):
    return conn.execute(sa.text(sql), params).scalar_one()


def _xml_requests(root):
    assert root.tag == "service_requests"
    return [{child.tag: child for child in request} for request in root.findall("request")]


# -- discovery and services -------------------------------------------------------------------------


def test_discovery_in_json_and_xml(client):
    response = client.get(f"{BASE}/discovery.json")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    data = _json(response)
    assert data["changeset"] and data["contact"] and data["key_service"]
    (endpoint,) = data["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://localhost/open311/v2"
    assert endpoint["type"] == "production"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    root = _xml(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert root.find("changeset").text == data["changeset"]
    xml_endpoint = root.find("endpoints/endpoint")
    assert xml_endpoint.find("specification").text == endpoint["specification"]
    assert [f.text for f in xml_endpoint.findall("formats/format")] == endpoint["formats"]


def test_services_list_only_public_categories(client, conn):
    public = set(conn.execute(sa.text("SELECT code FROM complaint_category WHERE public")).scalars())
    hidden = set(conn.execute(sa.text("SELECT code FROM complaint_category WHERE NOT public")).scalars())
    assert {"sosial", "administrasi"} <= hidden
    data = _json(client.get(f"{BASE}/services.json"))
    assert {s["service_code"] for s in data} == public
    for service in data:
        assert set(service) == {
            "service_code",
            "service_name",
            "description",
            "metadata",
            "type",
            "keywords",
            "group",
        }
        assert service["metadata"] is False and service["type"] == "realtime"
    trash = next(s for s in data if s["service_code"] == "kebersihan")
    assert trash["service_name"] == "Kebersihan dan sampah"
    assert "sampah" in trash["keywords"] and trash["group"] == "lingkungan"
    english = _json(client.get(f"{BASE}/services.json?lang=en"))
    assert next(s for s in english if s["service_code"] == "kebersihan")["service_name"] == (
        "Cleanliness and waste"
    )
    root = _xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    codes = [s.find("service_code").text for s in root.findall("service")]
    assert codes == [s["service_code"] for s in data]
    assert {s.find("metadata").text for s in root.findall("service")} == {"false"}
    for code in hidden:
        assert code not in client.get(f"{BASE}/services.xml").get_data(as_text=True)


def test_service_definition_and_404_for_unknown_or_non_public(client):
    assert _json(client.get(f"{BASE}/services/kebersihan.json")) == {
        "service_code": "kebersihan",
        "attributes": [],
    }
    root = _xml(client.get(f"{BASE}/services/kebersihan.xml"))
    assert root.tag == "service_definition" and root.find("service_code").text == "kebersihan"
    assert root.find("attributes") is not None and len(root.find("attributes")) == 0
    for code in ("tidak_ada", "sosial", "administrasi"):
        _spec_error(client, "GET", f"{BASE}/services/{code}.json", 404)


# -- API keys and POST ------------------------------------------------------------------------------------


def test_api_keys_are_stored_hashed_checked_and_disabled(conn):
    key = open311.create_api_key(conn, "test")
    row = conn.execute(sa.text("SELECT id, key_hash, last_used_at FROM api_key WHERE name = 'test'")).one()
    assert key not in row.key_hash and row.last_used_at is None
    assert open311.check_api_key(conn, key) == row.id
    assert _count(conn, "SELECT count(*) FROM api_key WHERE id = :i AND last_used_at IS NOT NULL", i=row.id)
    listed = open311.list_api_keys(conn)
    assert all("key_hash" not in k and key not in str(k) for k in listed)
    assert open311.disable_api_key(conn, row.id)["active"] is False
    for bad in (key, "", None, "sk311_nope"):
        with pytest.raises(Forbidden):
            open311.check_api_key(conn, bad)


def test_post_without_or_with_a_bad_api_key_is_403_and_stores_nothing(client, conn):
    before = _count(conn, "SELECT count(*) FROM complaint")
    description = _spec_error(
        client, "POST", f"{BASE}/requests.json", 403, data={"service_code": "kebersihan"}
    )
    assert "api_key" in description
    _spec_error(client, "POST", f"{BASE}/requests.json", 403, data={"api_key": "sk311_wrong"})
    disabled = open311.create_api_key(conn, "old")
    open311.disable_api_key(conn, conn.execute(sa.text("SELECT max(id) FROM api_key")).scalar_one())
    assert _post(client, disabled).status_code == 403
    assert _count(conn, "SELECT count(*) FROM complaint") == before


def test_post_creates_a_request_whose_token_resolves(client, conn):
    key = open311.create_api_key(conn, "test")
    created = _json(_post(client, key, idempotency_key="client-0001"), 201)
    (item,) = created
    assert set(item) == {"service_request_id", "token", "service_notice", "account_id"}
    assert re.fullmatch(r"LP-[0-9A-Z]{4}-[0-9A-Z]{4}", item["service_request_id"])
    assert item["account_id"] is None and "hari kerja" in item["service_notice"]
    row = conn.execute(
        sa.text("""SELECT c.source, c.category, s.kind FROM complaint c
                   JOIN submission s ON s.complaint_id = c.id WHERE c.ticket = :t"""),
        {"t": item["service_request_id"]},
    ).one()
    assert tuple(row) == ("open311", "kebersihan", "open311")
    assert _count(conn, "SELECT count(*) FROM api_key WHERE last_used_at IS NOT NULL") >= 1
    token = _json(client.get(f"{BASE}/tokens/{item['token']}.json"))
    assert token == [{"service_request_id": item["service_request_id"], "token": item["token"]}]
    root = _xml(client.get(f"{BASE}/tokens/{item['token']}.xml"))
    assert root.find("request/service_request_id").text == item["service_request_id"]
    assert root.find("request/token").text == item["token"]
    _spec_error(client, "GET", f"{BASE}/tokens/o311:0:nothing-here.json", 404)
    (shown,) = _json(client.get(f"{BASE}/requests/{item['service_request_id']}.json"))
    assert shown["status"] == "open" and shown["service_code"] == "kebersihan"
    xml_post = _xml(_post(client, key, fmt="xml", idempotency_key="client-0002"), 201)
    assert xml_post.find("request/service_request_id").text.startswith("LP-")
    assert xml_post.find("request/account_id").text is None


def test_post_retry_with_the_same_idempotency_key_is_stored_once(client, conn):
    key = open311.create_api_key(conn, "test")
    other = open311.create_api_key(conn, "other app")
    before = _count(conn, "SELECT count(*) FROM complaint WHERE source = 'open311'")
    first = _json(_post(client, key, idempotency_key="retry-key-01"), 201)[0]
    again = _json(_post(client, key, idempotency_key="retry-key-01"), 200)[0]
    assert again == first
    assert _count(conn, "SELECT count(*) FROM complaint WHERE source = 'open311'") == before + 1
    assert _count(conn, "SELECT count(*) FROM submission WHERE key = :k", k=first["token"]) == 1
    assert (
        _count(conn, "SELECT count(*) FROM complaint WHERE ticket = :t", t=first["service_request_id"]) == 1
    )
    changed = _post(client, key, idempotency_key="retry-key-01", description="Lain sama sekali.")
    _json(changed, 400)
    # keys are per client: another API key with the same idempotency key is another request
    theirs = _json(_post(client, other, idempotency_key="retry-key-01"), 201)[0]
    assert theirs["service_request_id"] != first["service_request_id"]
    # without an idempotency key every POST is a new request
    a = _json(_post(client, key), 201)[0]
    b = _json(_post(client, key), 201)[0]
    assert a["token"] != b["token"] and a["service_request_id"] != b["service_request_id"]


def test_post_validation_errors(client, conn):
    key = open311.create_api_key(conn, "test")
    before = _count(conn, "SELECT count(*) FROM complaint")
    no_point = {"api_key": key, "service_code": "kebersihan", "description": "x y z"}
    message = _spec_error(
        client, "POST", f"{BASE}/requests.json", 400, data={**no_point, "address_string": "Jl. Pramuka 5"}
    )
    assert "lat" in message and "long" in message
    _spec_error(client, "POST", f"{BASE}/requests.json", 400, data=no_point)
    assert _json(_post(client, key, service_code=None), 400)[0]["code"] == 400
    for code in ("sosial", "tidak_ada"):
        assert _json(_post(client, key, service_code=code), 404)[0]["code"] == 404
    for fields in (
        {"lat": "abc"},
        {"lat": "nan"},
        {"lat": "-6.3", "long": "106.9"},  # in Indonesia, outside the kelurahan
        {"idempotency_key": "short"},
        {"media_url": "javascript:alert(1)"},
        {"description": ""},
        {"phone": "not a phone"},
    ):
        assert _json(_post(client, key, **fields), 400)[0]["code"] == 400, fields
    assert _count(conn, "SELECT count(*) FROM complaint") == before


def test_posted_media_url_is_a_private_note_never_shown(client, conn):
    key = open311.create_api_key(conn, "test")
    url = "https://example.org/photos/rumah-sutarmi.jpg"
    item = _json(_post(client, key, media_url=url), 201)[0]
    note = conn.execute(
        sa.text("""SELECT e.public, e.note FROM complaint_event e JOIN complaint c ON c.id = e.complaint_id
                   WHERE c.ticket = :t AND e.kind = 'note'"""),
        {"t": item["service_request_id"]},
    ).one()
    assert note.public is False and url in note.note
    for fmt in ("json", "xml"):
        body = client.get(f"{BASE}/requests/{item['service_request_id']}.{fmt}").get_data(as_text=True)
        assert url not in body and "example.org" not in body


# -- GET requests ---------------------------------------------------------------------------------------


def test_get_requests_filters(client, conn, settings, tmp_path):
    _submit(conn, settings, tmp_path, "fresh-key-0001")  # the demo's dates are fixed: one from today
    default = _json(client.get(f"{BASE}/requests.json"))
    expected = _count(
        conn,
        f"""SELECT least(count(*), 1000) FROM complaint c JOIN complaint_category cat ON cat.code = c.category
            WHERE {PUBLIC} AND c.created_at >= now() - interval '90 days'""",
    )
    assert expected > 0 and len(default) == expected
    stamps = [dt.datetime.fromisoformat(r["requested_datetime"]) for r in default]
    assert stamps == sorted(stamps, reverse=True)
    assert all(r["requested_datetime"].endswith("+07:00") for r in default)

    start, end = "2026-08-15T00:00:00+07:00", "2026-10-31T12:00:00Z"
    window = f"start_date={start.replace('+', '%2B')}&end_date={end}"
    ranged = _json(client.get(f"{BASE}/requests.json?{window}"))
    lo, hi = dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end)
    assert all(lo <= dt.datetime.fromisoformat(r["requested_datetime"]) <= hi for r in ranged)

    def sql_count(extra=""):
        return _count(
            conn,
            f"""SELECT count(*) FROM complaint c JOIN complaint_category cat ON cat.code = c.category
                WHERE {PUBLIC} AND c.created_at >= :lo AND c.created_at <= :hi {extra}""",
            lo=lo,
            hi=hi,
        )

    assert len(ranged) == sql_count() > 100
    raw_plus = f"start_date={start}&end_date={end}"  # an unescaped '+' arrives as a space
    assert _json(client.get(f"{BASE}/requests.json?{raw_plus}")) == ranged
    opened = _json(client.get(f"{BASE}/requests.json?{window}&status=open"))
    closed = _json(client.get(f"{BASE}/requests.json?{window}&status=closed"))
    assert opened and closed
    assert {r["status"] for r in opened} == {"open"} and {r["status"] for r in closed} == {"closed"}
    assert len(opened) == sql_count("AND c.status IN ('diterima', 'verifikasi', 'ditindaklanjuti')")
    assert len(opened) + len(closed) == len(ranged)
    both = _json(client.get(f"{BASE}/requests.json?{window}&status=open,closed"))
    repeated = _json(client.get(f"{BASE}/requests.json?{window}&status=open&status=closed"))
    assert len(both) == len(repeated) == len(ranged)

    codes = _json(client.get(f"{BASE}/requests.json?{window}&service_code=kebersihan,jalan_rusak"))
    assert {r["service_code"] for r in codes} == {"kebersihan", "jalan_rusak"}
    assert len(codes) == sql_count("AND c.category IN ('kebersihan', 'jalan_rusak')")
    assert _json(client.get(f"{BASE}/requests.json?{window}&service_code=sosial")) == []

    days = _json(client.get(f"{BASE}/requests.json?start_date=2026-03-01&end_date=2026-03-31"))
    assert days and all("2026-03-01" <= r["requested_datetime"][:10] <= "2026-03-31" for r in days)

    picked = [r["service_request_id"] for r in ranged[:3]]
    by_id = _json(client.get(f"{BASE}/requests.json?service_request_id={','.join(picked)}&status=closed"))
    assert sorted(r["service_request_id"] for r in by_id) == sorted(picked)  # overrides other filters

    for query in (
        "start_date=yesterday",
        "start_date=2026-13-01",
        "start_date=2026-03-01T00:00:00",  # a time needs its zone
        "end_date=2026-03-01T25:00:00Z",
        "start_date=2026-01-01&end_date=2026-06-01",  # more than 90 days
        "start_date=2026-03-02&end_date=2026-03-01",
        "end_date=9999",
        "status=pending",
    ):
        _spec_error(client, "GET", f"{BASE}/requests.json?{query}", 400)


def test_json_and_xml_carry_the_same_requests(client):
    window = "start_date=2026-05-01&end_date=2026-05-20"
    data = _json(client.get(f"{BASE}/requests.json?{window}"))
    requests = _xml_requests(_xml(client.get(f"{BASE}/requests.xml?{window}")))
    assert len(data) == len(requests) > 10
    for item, element in zip(data, requests, strict=True):
        assert set(element) == set(item)
        for key in ("service_request_id", "status", "status_notes", "service_code", "requested_datetime"):
            assert element[key].text == item[key]
        assert float(element["lat"].text) == item["lat"] and float(element["long"].text) == item["long"]
        assert element["address_id"].text is None and item["address_id"] is None
        notes = element["notes"].findall("note")
        assert [n.find("type").text for n in notes] == [n["type"] for n in item["notes"]]
        assert (
            element["extended_attributes"].find("status_detail").text
            == (item["extended_attributes"]["status_detail"])
        )


def test_keys_cover_the_chicago_sample(client, shared_datasets):
    path = shared_datasets / "open311-chicago-sample" / "chicago_open311_georeport_v2_requests.json"
    chicago = json.loads(path.read_text(encoding="utf-8"))
    chicago_keys = {k for r in chicago for k in r}
    chicago_note_keys = {k for r in chicago for n in r.get("notes") or [] for k in n}
    ours = _json(client.get(f"{BASE}/requests.json?start_date=2026-05-01&end_date=2026-05-20"))
    assert ours
    for item in ours:
        assert set(item) >= chicago_keys | REQUEST_KEYS, chicago_keys - set(item)
        for note in item["notes"]:
            assert set(note) >= chicago_note_keys
    assert any(item["notes"] for item in ours)


def test_status_mapping_notes_and_public_point(client, conn):
    rows = conn.execute(
        sa.text(f"""SELECT DISTINCT ON (c.status) c.ticket, c.status, c.status_reason, c.sla_due,
                           ST_X(c.geom_public) AS lon, ST_Y(c.geom_public) AS lat
                    FROM complaint c JOIN complaint_category cat ON cat.code = c.category
                    WHERE {PUBLIC} ORDER BY c.status, c.created_at DESC""")
    ).all()
    expected = {
        "diterima": "open",
        "verifikasi": "open",
        "ditindaklanjuti": "open",
        "selesai": "closed",
        "ditolak": "closed",
        "bukan_wewenang": "closed",
    }
    assert {r.status for r in rows} >= {"ditindaklanjuti", "selesai", "ditolak", "bukan_wewenang"}
    for row in rows:
        (item,) = _json(client.get(f"{BASE}/requests/{row.ticket}.json"))
        assert item["status"] == expected[row.status]
        assert item["extended_attributes"]["status_detail"] == row.status
        assert item["expected_datetime"] == open311.w3c(row.sla_due)
        assert item["lat"] == round(row.lat, 6) and item["long"] == round(row.lon, 6)
        assert item["agency_responsible"].startswith("Kelurahan ")
        assert item["address"].startswith("RW ") and "Kelurahan " in item["address"]
        assert item["address_id"] is None and item["zipcode"] is None
        assert item["description"] == item["service_name"]
        assert item["notes"][0]["type"] == "opened"
        if row.status_reason:
            assert item["status_notes"].endswith(row.status_reason)
        if row.status in ("selesai", "ditolak", "bukan_wewenang"):
            assert item["notes"][-1]["type"] == "closed"
    rejected = next(r for r in rows if r.status == "ditolak")
    (item,) = _json(client.get(f"{BASE}/requests/{rejected.ticket}.json"))
    assert item["status_notes"] == f"Ditolak: {rejected.status_reason}"
    (item,) = _json(client.get(f"{BASE}/requests/{rejected.ticket.lower()}.json?lang=en"))
    assert item["status_notes"] == f"Rejected: {rejected.status_reason}"


def test_media_url_is_the_first_public_before_photo(client, conn, settings, tmp_path):
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 30, 30)).save(out, "JPEG")
    photo = process_photo(out.getvalue(), "sampah.jpg")
    answer = _submit(conn, settings, tmp_path, "photo-key-0001", photos=[photo])
    (item,) = _json(client.get(f"{BASE}/requests/{answer['ticket']}.json"))
    assert item["media_url"] == f"http://localhost/foto/{photo.file}"
    without = _submit(conn, settings, tmp_path, "photo-key-0002", description="Tanpa foto.")
    assert _json(client.get(f"{BASE}/requests/{without['ticket']}.json"))[0]["media_url"] is None


# -- privacy ---------------------------------------------------------------------------------------------


def test_confidential_merged_and_non_public_tickets_are_absent(client, conn, settings, tmp_path):
    secret = _submit(
        conn,
        settings,
        tmp_path,
        "rahasia-key-0001",
        name="Pelapor Rahasia",
        contact="081299990000",
        anonymity="rahasia",
    )
    sosial = conn.execute(
        sa.text("SELECT ticket FROM complaint WHERE category = 'sosial' LIMIT 1")
    ).scalar_one()
    pair = conn.execute(
        sa.text("""SELECT c.id, c.ticket FROM complaint c JOIN complaint_category cat ON cat.code = c.category
                   WHERE cat.public ORDER BY c.created_at DESC LIMIT 2""")
    ).all()
    conn.execute(
        sa.text("UPDATE complaint SET duplicate_of = :a WHERE id = :b"), {"a": pair[0].id, "b": pair[1].id}
    )
    hidden = [secret["ticket"], sosial, pair[1].ticket]
    for ticket in hidden:
        _spec_error(client, "GET", f"{BASE}/requests/{ticket}.json", 404)
    listed = _json(client.get(f"{BASE}/requests.json?service_request_id={','.join(hidden)}"))
    assert listed == []
    for fmt in ("json", "xml"):
        body = client.get(f"{BASE}/requests.{fmt}").get_data(as_text=True)
        assert all(ticket not in body for ticket in hidden)
    window = "start_date=2025-11-01&end_date=2026-01-29"
    for fmt in ("json", "xml"):
        body = client.get(f"{BASE}/requests.{fmt}?{window}&service_code=sosial").get_data(as_text=True)
        assert sosial not in body


def test_no_get_response_reveals_the_reporter_the_text_or_the_exact_point(client, conn, settings, tmp_path):
    key = open311.create_api_key(conn, "test")
    private_text = "Tumpukan sampah di depan rumah Bu Sutarmi nomor 17 ZQX7731"
    posted = _json(
        _post(
            client,
            key,
            first_name="Sutarmi",
            last_name="Wiryanegara",
            phone="+62 812-3456-7890",
            email="sutarmi.w@example.org",
            description=private_text,
            idempotency_key="privacy-0001",
        ),
        201,
    )[0]
    emailed = _submit(
        conn,
        settings,
        tmp_path,
        "privacy-0002",
        name="Sutarmi Wiryanegara",
        contact="sutarmi.w@example.org",
        description=private_text + " lagi",
    )
    tickets = [posted["service_request_id"], emailed["ticket"]]
    stored = conn.execute(
        sa.text("""SELECT r.name, r.phone, r.email FROM reporter r JOIN complaint c ON c.id = r.complaint_id
                   WHERE c.ticket = ANY(:t) ORDER BY c.id"""),
        {"t": tickets},
    ).all()
    assert [tuple(r) for r in stored] == [
        ("Sutarmi Wiryanegara", "+62 812-3456-7890", None),
        ("Sutarmi Wiryanegara", None, "sutarmi.w@example.org"),
    ]
    points = conn.execute(
        sa.text("""SELECT ST_Distance(geom::geography, geom_public::geography) AS moved,
                          ST_X(geom_public) AS lon, ST_Y(geom_public) AS lat
                   FROM complaint WHERE ticket = ANY(:t)"""),
        {"t": tickets},
    ).all()
    assert all(p.moved > 1 for p in points)  # kebersihan is generalised to its 100 m cell
    forbidden = [
        "Sutarmi",
        "Wiryanegara",
        "812-3456-7890",
        "81234567890",
        "sutarmi.w@example.org",
        "example.org",
        "ZQX7731",
        "Bu Sutarmi",
        f"{LAT}",
        f"{LON}",
        f"{LAT:.6f}",
        f"{LON:.6f}",
        f"{LAT:.7f}",
        f"{LON:.7f}",
    ]
    urls = [
        "discovery",
        "services",
        "services/kebersihan",
        "requests",
        f"requests?service_request_id={','.join(tickets)}",
        "requests?service_code=kebersihan&status=open",
        f"requests/{tickets[0]}",
        f"requests/{tickets[1]}",
        f"tokens/{posted['token']}",
    ]
    seen = 0
    for url in urls:
        for fmt in ("json", "xml"):
            path, _, query = url.partition("?")
            response = client.get(f"{BASE}/{path}.{fmt}" + (f"?{query}" if query else ""))
            assert response.status_code == 200, url
            body = response.get_data(as_text=True)
            leaked = [text for text in forbidden if text in body]
            assert not leaked, (url, fmt, leaked)
            seen += sum(ticket in body for ticket in tickets)
    assert seen >= 10  # the submitted tickets were really in the scanned answers
    (item,) = _json(client.get(f"{BASE}/requests/{tickets[0]}.json"))
    public = next(p for p in points if round(p.lat, 6) == item["lat"])
    assert item["long"] == round(public.lon, 6)
    assert item["description"] == "Kebersihan dan sampah"


def test_the_module_never_reads_reporters_or_exact_points():
    from pathlib import Path

    files = sorted(Path(open311.__file__).parent.glob("*.py"))
    assert len(files) > 3  # the whole package, not only its __init__
    source = "\n".join(f.read_text() for f in files)
    assert not re.search(r"\b(FROM|JOIN)\s+reporter\b", source, re.I)
    assert not re.search(r"\bc\.geom\b(?!_)", source)
    assert "c.description" not in source


# -- errors and routing ---------------------------------------------------------------------------------


def test_unknown_resources_and_methods_answer_in_the_spec_format(client):
    _spec_error(client, "GET", f"{BASE}/nothing.json", 404)
    assert _json(client.get(f"{BASE}/services.csv"), 404)[0]["code"] == 404
    assert _json(client.get(f"{BASE}/requests/LP-0000-0000.json"), 404)[0]["code"] == 404
    response = client.put(f"{BASE}/requests.json")
    assert _json(response, 405)[0]["code"] == 405
    assert response.headers["Allow"] == "GET, POST"
    response = client.delete(f"{BASE}/services.xml")
    assert response.headers["Allow"] == "GET"
    assert _xml(response, 405).find("error/code").text == "405"
    assert client.get(f"{BASE}/").status_code == 302


# -- the CLI ---------------------------------------------------------------------------------------------


def test_apikey_cli_adds_lists_and_disables(scratch_db):
    url = scratch_db()
    engine = make_engine(url)
    with engine.begin() as conn:
        migrate.upgrade(conn)
    runner = CliRunner()
    env = {"DATABASE_URL": url}
    added = runner.invoke(apikey, ["add", "Aplikasi Warga"], env=env)
    assert added.exit_code == 0, added.output
    key = added.output.splitlines()[1].strip()
    assert key.startswith("sk311_") and "#1" in added.output
    listed = runner.invoke(apikey, ["list"], env=env)
    assert listed.exit_code == 0 and "Aplikasi Warga" in listed.output and "active" in listed.output
    assert key not in listed.output
    with engine.begin() as conn:
        assert open311.check_api_key(conn, key) == 1
    disabled = runner.invoke(apikey, ["disable", "1"], env=env)
    assert disabled.exit_code == 0 and "disabled" in disabled.output
    missing = runner.invoke(apikey, ["disable", "99"], env=env)
    assert missing.exit_code == 1 and "99" in missing.output
    with engine.begin() as conn, pytest.raises(Forbidden):
        open311.check_api_key(conn, key)
    engine.dispose()
