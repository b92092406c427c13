"""Submissions: stored exactly once per idempotency key, assigned to RT/RW, private by default."""

from __future__ import annotations

import threading
import uuid

import pytest
import sqlalchemy as sa

from gis.complaints import submit
from gis.complaints.photos import process_photo
from gis.errors import DataError
from tests.complaints.test_photos import jpeg_with_gps


def _count(conn, sql, **params) -> int:
    return conn.execute(sa.text(sql), params).scalar_one()


def test_report_is_stored_assigned_and_trailed(conn, make_report, inside, calendar, tmp_path):
    answer = submit.submit_report(conn, make_report(), calendar, tmp_path)
    assert answer["replayed"] is False and answer["status"] == "diterima"
    assert answer["rt_code"] == inside["rt"] and answer["rw_code"] == inside["rw"]
    assert answer["kelurahan_code"] == inside["kel"]
    row = (
        conn.execute(sa.text("SELECT * FROM complaint WHERE ticket = :t"), {"t": answer["ticket"]})
        .mappings()
        .one()
    )
    assert row["sla_due"] is not None and row["sla_due"] > row["created_at"]
    assert row["secret_hash"] == submit.hash_secret(answer["secret"])
    assert row["geom_public"] is not None  # jalan_rusak is 'exact' and public
    events = conn.execute(
        sa.text("SELECT kind, status_to FROM complaint_event WHERE complaint_id = :i"), {"i": row["id"]}
    ).all()
    assert events == [("status", "diterima")]


def test_retry_returns_first_answer_and_stores_once(conn, make_report, calendar, tmp_path):
    report = make_report()
    first = submit.submit_report(conn, report, calendar, tmp_path)
    again = submit.submit_report(
        conn, make_report(key=report.key, description=report.description), calendar, tmp_path
    )
    assert (
        again["replayed"] is True
        and again["ticket"] == first["ticket"]
        and again["secret"] == first["secret"]
    )
    assert _count(conn, "SELECT count(*) FROM complaint WHERE description = :d", d=report.description) == 1
    assert _count(conn, "SELECT count(*) FROM submission WHERE key = :k", k=report.key) == 1


def test_same_key_different_payload_is_refused(conn, make_report, calendar, tmp_path):
    report = make_report()
    submit.submit_report(conn, report, calendar, tmp_path)
    with pytest.raises(DataError, match="idempotency key was already used") as info:
        submit.submit_report(conn, make_report(key=report.key, description="lain"), calendar, tmp_path)
    assert info.value.http_status == 422


def test_concurrent_retries_with_one_key_store_one_complaint(engine, make_report, calendar, tmp_path):
    report = make_report(description=f"Balapan {uuid.uuid4().hex}")
    answers, errors = [], []
    barrier = threading.Barrier(4)

    def worker():
        try:
            with engine.begin() as c:
                barrier.wait()
                answers.append(
                    submit.submit_report(
                        c, make_report(key=report.key, description=report.description), calendar, tmp_path
                    )
                )
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        assert len({a["ticket"] for a in answers}) == 1
        assert sum(not a["replayed"] for a in answers) == 1
        with engine.connect() as c:
            assert (
                _count(c, "SELECT count(*) FROM complaint WHERE description = :d", d=report.description) == 1
            )
    finally:
        with engine.begin() as c:  # this test committed: clean up
            c.execute(sa.text("ALTER TABLE complaint_event DISABLE TRIGGER USER"))
            c.execute(sa.text("DELETE FROM complaint WHERE description = :d"), {"d": report.description})
            c.execute(sa.text("ALTER TABLE complaint_event ENABLE TRIGGER USER"))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"key": "short"}, "idempotency key"),
        ({"category": ""}, "kategori"),
        ({"description": "   "}, "uraian"),
        ({"lon": None, "lat": None}, "lokasi"),
        ({"lon": 107.6, "lat": -6.9}, "di luar wilayah"),  # Bandung
        ({"lon": -6.18, "lat": 106.87}, "lokasi|swap|Indonesia"),
        ({"anonymity": "terbuka"}, "anonimitas"),
        ({"contact": "not a contact"}, "kontak"),
        ({"category": "tidak_ada"}, "tidak dikenal"),
    ],
)
def test_bad_reports_say_what_and_where(conn, make_report, calendar, tmp_path, overrides, message):
    with pytest.raises(DataError, match=message):
        submit.submit_report(conn, make_report(**overrides), calendar, tmp_path)


def test_rahasia_report_is_never_public(conn, make_report, calendar, tmp_path):
    photo = process_photo(jpeg_with_gps())
    answer = submit.submit_report(
        conn,
        make_report(
            anonymity="rahasia", name="Siti", contact="081234567890", photos=[photo], photo_digests=["x"]
        ),
        calendar,
        tmp_path,
    )
    row = conn.execute(
        sa.text("SELECT id, confidential, geom_public FROM complaint WHERE ticket = :t"),
        {"t": answer["ticket"]},
    ).one()
    assert row.confidential and row.geom_public is None
    assert (
        conn.execute(
            sa.text("SELECT public FROM complaint_photo WHERE complaint_id = :i"), {"i": row.id}
        ).scalar()
        is False
    )
    reporter = conn.execute(
        sa.text("SELECT name, phone FROM reporter WHERE complaint_id = :i"), {"i": row.id}
    ).one()
    assert reporter == ("Siti", "081234567890")
    outbox = conn.execute(
        sa.text("SELECT template, payload::text FROM notification_outbox WHERE complaint_id = :i"),
        {"i": row.id},
    ).one()
    assert outbox.template == "diterima" and "081234567890" not in outbox[1]  # contact resolved at send time


def test_report_by_rt_picks_a_point_inside_it(conn, make_report, inside, calendar, tmp_path):
    answer = submit.submit_report(
        conn, make_report(lon=None, lat=None, location_source="rt", rt_code=inside["rt"]), calendar, tmp_path
    )
    assert answer["rt_code"] == inside["rt"]


def test_similar_open_and_me_too(conn, make_report, inside, calendar, tmp_path):
    first = submit.submit_report(conn, make_report(), calendar, tmp_path)
    near = submit.similar_open(conn, "jalan_rusak", inside["lon"], inside["lat"], 50)
    assert first["ticket"] in [n["ticket"] for n in near]
    assert all("description" not in n for n in near)
    other = submit.similar_open(conn, "penerangan_jalan", inside["lon"], inside["lat"], 50)
    assert first["ticket"] not in [n["ticket"] for n in other]
    key = "s-" + uuid.uuid4().hex
    one = submit.support(conn, first["ticket"], key)
    two = submit.support(conn, first["ticket"], key)  # a retry: counted once
    assert one["supporters"] == 1 and two["replayed"] and two["supporters"] == 1
    assert submit.support(conn, first["ticket"], "s-" + uuid.uuid4().hex)["supporters"] == 2
    # a rahasia complaint is never offered as a duplicate
    secret = submit.submit_report(conn, make_report(anonymity="rahasia"), calendar, tmp_path)
    near = submit.similar_open(conn, "jalan_rusak", inside["lon"], inside["lat"], 50)
    assert secret["ticket"] not in [n["ticket"] for n in near]


def test_tickets_are_unambiguous():
    for _ in range(200):
        ticket = submit.new_ticket()
        assert len(ticket) == 12 and not set(ticket[3:].replace("-", "")) & set("01ILOU")
