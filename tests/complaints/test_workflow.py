"""The status machine, proof of fix, disputes, merges: every change attributed in complaint_event."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

import pytest
import sqlalchemy as sa

from gis import auth
from gis.complaints import submit, workflow
from gis.complaints.photos import process_photo
from gis.db.tables import COMPLAINT_STATUSES
from gis.errors import Conflict, DataError
from tests.complaints.test_photos import jpeg_with_gps


@pytest.fixture
def staff(conn, inside) -> int:
    return auth.add_user(
        conn, f"petugas{uuid.uuid4().hex[:6]}", "Petugas Uji", "rahasia-sekali-1", "staff", [inside["kel"]]
    )


@pytest.fixture
def new(conn, make_report, calendar, tmp_path):
    def make(**kw):
        answer = submit.submit_report(conn, make_report(**kw), calendar, tmp_path)
        cid = conn.execute(
            sa.text("SELECT id FROM complaint WHERE ticket = :t"), {"t": answer["ticket"]}
        ).scalar()
        return cid, answer

    return make


def _status(conn, cid) -> str:
    return conn.execute(sa.text("SELECT status FROM complaint WHERE id = :i"), {"i": cid}).scalar()


def _fix_photo(conn, cid, staff, tmp_path, inside, metres_north=0.0):
    lat = inside["lat"] + metres_north / 111_320
    return workflow.add_after_photo(
        conn, cid, process_photo(jpeg_with_gps()), staff, tmp_path, device_lon=inside["lon"], device_lat=lat
    )


def test_every_pair_of_statuses_is_allowed_only_if_listed(conn, new, staff, tmp_path, inside):
    """The full matrix: for each (from, to), the transition succeeds iff TRANSITIONS allows it."""
    for source, target in itertools.product(COMPLAINT_STATUSES, COMPLAINT_STATUSES):
        cid, _ = new()
        conn.execute(
            sa.text(
                "UPDATE complaint SET status = :s, status_reason = CASE WHEN :s IN ('ditolak', "
                "'bukan_wewenang') THEN 'x' END, resolved_at = NULL WHERE id = :i"
            ),
            {"s": source, "i": cid},
        )
        if target == "selesai" and source == "ditindaklanjuti":
            _fix_photo(conn, cid, staff, tmp_path, inside)
        allowed = target in workflow.TRANSITIONS[source]
        savepoint = conn.begin_nested()
        try:
            workflow.change_status(conn, cid, target, staff, reason="alasan uji")
            savepoint.commit()
            assert allowed, f"{source} -> {target} should be refused"
        except Conflict:
            savepoint.rollback()
            assert not allowed, f"{source} -> {target} should be allowed"


def test_changes_are_attributed_and_timed(conn, new, staff):
    cid, _ = new()
    workflow.change_status(conn, cid, "verifikasi", staff, note="Dicek petugas")
    events = conn.execute(
        sa.text(
            "SELECT kind, status_from, status_to, user_id, note, public FROM complaint_event "
            "WHERE complaint_id = :i ORDER BY id DESC LIMIT 2"
        ),
        {"i": cid},
    ).all()
    # the status change is public; the staff note is private unless staff publish it
    assert [tuple(e) for e in events] == [
        ("note", None, None, staff, "Dicek petugas", False),
        ("status", "diterima", "verifikasi", staff, None, True),
    ]
    workflow.change_status(
        conn, cid, "ditolak", staff, reason="Lokasi di luar wilayah", note="x", public_note=True
    )
    shown = (
        conn.execute(
            sa.text(
                "SELECT note FROM complaint_event WHERE complaint_id = :i AND public AND note IS NOT NULL "
                "ORDER BY id"
            ),
            {"i": cid},
        )
        .scalars()
        .all()
    )
    assert shown[-2:] == ["Lokasi di luar wilayah", "x"]
    first = conn.execute(
        sa.text("SELECT first_response_at FROM complaint WHERE id = :i"), {"i": cid}
    ).scalar()
    assert first is not None


def test_rejection_needs_a_reason(conn, new, staff):
    cid, _ = new()
    with pytest.raises(DataError, match="Alasan wajib"):
        workflow.change_status(conn, cid, "ditolak", staff)
    workflow.change_status(conn, cid, "bukan_wewenang", staff, reason="Jalan nasional: wewenang PUPR")
    assert _status(conn, cid) == "bukan_wewenang"


def test_closing_needs_an_after_photo_taken_on_site(conn, new, staff, tmp_path, inside):
    cid, _ = new()
    workflow.change_status(conn, cid, "verifikasi", staff)
    workflow.change_status(conn, cid, "ditindaklanjuti", staff)
    with pytest.raises(Conflict, match="foto sesudah"):
        workflow.change_status(conn, cid, "selesai", staff)
    with pytest.raises(DataError, match="dari lokasi laporan"):
        _fix_photo(conn, cid, staff, tmp_path, inside, metres_north=500)
    with pytest.raises(DataError, match="tidak diketahui"):  # no device position, no EXIF GPS
        import io

        from PIL import Image

        out = io.BytesIO()
        Image.new("RGB", (20, 20)).save(out, "JPEG")
        workflow.add_after_photo(conn, cid, process_photo(out.getvalue()), staff, tmp_path)
    shot = _fix_photo(conn, cid, staff, tmp_path, inside, metres_north=30)
    assert shot["source"] == "perangkat" and 25 < shot["distance_m"] < 35
    workflow.change_status(conn, cid, "selesai", staff)
    assert _status(conn, cid) == "selesai"


def test_exif_gps_proves_the_place_when_the_device_gives_none(conn, new, staff, tmp_path, inside):
    cid, _ = new()
    workflow.change_status(conn, cid, "verifikasi", staff)
    workflow.change_status(conn, cid, "ditindaklanjuti", staff)
    photo = process_photo(jpeg_with_gps(lat=inside["lat"], lon=inside["lon"]))
    shot = workflow.add_after_photo(conn, cid, photo, staff, tmp_path)
    assert shot["source"] == "exif" and shot["distance_m"] < 5


def test_dispute_reopens_within_the_window_with_the_secret(conn, new, staff, tmp_path, inside):
    cid, answer = new()
    for to in ("verifikasi", "ditindaklanjuti"):
        workflow.change_status(conn, cid, to, staff)
    _fix_photo(conn, cid, staff, tmp_path, inside)
    workflow.change_status(conn, cid, "selesai", staff)
    with pytest.raises(DataError, match="Kode rahasia salah"):
        workflow.dispute(conn, answer["ticket"], "SALAH", "belum diperbaiki", 7)
    out = workflow.dispute(conn, answer["ticket"], answer["secret"].lower(), "Lubangnya masih ada", 7)
    assert out["reopened"] and _status(conn, cid) == "ditindaklanjuti"
    row = conn.execute(
        sa.text("SELECT reopened_count, resolved_at FROM complaint WHERE id = :i"), {"i": cid}
    ).one()
    assert row == (1, None)
    # the old after photo predates the dispute: closing again needs a new one
    with pytest.raises(Conflict):
        workflow.change_status(conn, cid, "selesai", staff)
    _fix_photo(conn, cid, staff, tmp_path, inside)
    workflow.change_status(conn, cid, "selesai", staff)
    conn.execute(
        sa.text(
            "UPDATE complaint SET created_at = now() - interval '20 days', "
            "resolved_at = now() - interval '8 days' WHERE id = :i"
        ),
        {"i": cid},
    )
    with pytest.raises(Conflict, match="7 hari"):
        workflow.dispute(conn, answer["ticket"], answer["secret"], "masih rusak", 7)


def test_merge_moves_support_and_closes_the_duplicate(conn, new, staff):
    target, t_answer = new()
    dup, d_answer = new()
    conn.execute(sa.text("UPDATE complaint SET supporters = 2 WHERE id = :i"), {"i": dup})
    out = workflow.merge(conn, dup, target, staff)
    assert out["merged_into"] == t_answer["ticket"]
    rows = conn.execute(
        sa.text(
            "SELECT id, status, duplicate_of, supporters FROM complaint WHERE id IN (:a, :b) ORDER BY id"
        ),
        {"a": target, "b": dup},
    ).all()
    by_id = {r.id: r for r in rows}
    assert (
        by_id[target].supporters == 3 and by_id[dup].duplicate_of == target and by_id[dup].status == "ditolak"
    )
    with pytest.raises(Conflict):
        workflow.merge(conn, dup, target, staff)
    with pytest.raises(Conflict, match="digabung"):
        workflow.change_status(conn, dup, "verifikasi", staff)


def test_notifications_go_to_the_outbox_only(conn, new, staff):
    cid, _ = new(contact="warga@example.org", name="Warga")
    workflow.change_status(conn, cid, "verifikasi", staff)
    templates = (
        conn.execute(
            sa.text("SELECT template FROM notification_outbox WHERE complaint_id = :i ORDER BY id"),
            {"i": cid},
        )
        .scalars()
        .all()
    )
    assert templates == ["diterima", "status_verifikasi"]


def test_event_trail_cannot_be_rewritten(conn, new, staff):
    cid, _ = new()
    with pytest.raises(sa.exc.DBAPIError), conn.begin_nested():
        conn.execute(sa.text("UPDATE complaint_event SET note = 'x' WHERE complaint_id = :i"), {"i": cid})


def test_sla_due_follows_the_category_tier(conn, new, calendar):
    cid, answer = new(category="keamanan")  # 2 working days
    due = dt.datetime.fromisoformat(answer["sla_due"])
    created = dt.datetime.fromisoformat(answer["created_at"])
    assert due == calendar.due(created, 2)
