"""Regressions for the findings of the security and privacy review of the complaint lifecycle."""

from __future__ import annotations

import io
import threading
import uuid

import pytest
import sqlalchemy as sa
from PIL import Image

from gis import auth
from gis.complaints import photos, submit, views, workflow
from gis.complaints.outbox import deliver_pending
from gis.errors import Conflict, DataError
from tests.complaints.test_photos import jpeg_with_gps


@pytest.fixture
def staff(conn, inside) -> int:
    return auth.add_user(
        conn, f"rev.{uuid.uuid4().hex[:6]}", "Reviu", "rahasia-sekali-1", "staff", [inside["kel"]]
    )


def _new(conn, make_report, calendar, tmp_path, **kw):
    answer = submit.submit_report(conn, make_report(**kw), calendar, tmp_path)
    cid = conn.execute(
        sa.text("SELECT id FROM complaint WHERE ticket = :t"), {"t": answer["ticket"]}
    ).scalar()
    return cid, answer


def _close(conn, cid, staff, tmp_path, inside):
    for to in ("verifikasi", "ditindaklanjuti"):
        workflow.change_status(conn, cid, to, staff)
    workflow.add_after_photo(
        conn,
        cid,
        photos.process_photo(jpeg_with_gps()),
        staff,
        tmp_path,
        device_lon=inside["lon"],
        device_lat=inside["lat"],
    )
    workflow.change_status(conn, cid, "selesai", staff)


def test_dispute_words_stay_off_the_public_ticket(conn, make_report, calendar, tmp_path, staff, inside):
    cid, answer = _new(conn, make_report, calendar, tmp_path)
    _close(conn, cid, staff, tmp_path, inside)
    workflow.dispute(conn, answer["ticket"], answer["secret"], "Saya Budi rumah no 12, HP 0812111222", 7)
    public = str(views.ticket_public(conn, answer["ticket"]))
    assert "0812111222" not in public and "Budi" not in public
    assert any(e["kind"] == "dispute" for e in views.ticket_public(conn, answer["ticket"])["events"])


def test_merged_rahasia_ticket_is_never_named_and_shows_status_only(
    conn, make_report, calendar, tmp_path, staff
):
    secret_id, secret = _new(conn, make_report, calendar, tmp_path, anonymity="rahasia")
    workflow.add_note(conn, secret_id, staff, "Bu Siti, kami ke rumah Anda besok", public=True)
    target_id, target = _new(conn, make_report, calendar, tmp_path)
    workflow.merge(conn, secret_id, target_id, staff)
    assert secret["ticket"] not in str(views.ticket_public(conn, target["ticket"]))
    hidden = views.ticket_public(conn, secret["ticket"])
    assert hidden["confidential"] and "Siti" not in str(hidden) and hidden["merged_into"] is None
    assert hidden["status_reason"] is None and all(e["note"] is None for e in hidden["events"])


def test_merge_refuses_closed_targets_and_leaves_no_chains(conn, make_report, calendar, tmp_path, staff):
    a, _ = _new(conn, make_report, calendar, tmp_path)
    b, _ = _new(conn, make_report, calendar, tmp_path)
    c, _ = _new(conn, make_report, calendar, tmp_path)
    workflow.merge(conn, a, b, staff)  # a -> b
    workflow.merge(conn, b, c, staff)  # b -> c: a follows to c
    parents = dict(
        conn.execute(
            sa.text("SELECT id, duplicate_of FROM complaint WHERE id IN (:a, :b)"), {"a": a, "b": b}
        ).all()
    )
    assert parents == {a: c, b: c}
    closed, _ = _new(conn, make_report, calendar, tmp_path)
    workflow.change_status(conn, closed, "ditolak", staff, reason="bukan masalah")
    d, _ = _new(conn, make_report, calendar, tmp_path)
    with pytest.raises(Conflict, match="terbuka"):
        workflow.merge(conn, d, closed, staff)


@pytest.mark.parametrize(("lon", "lat"), [(float("inf"), float("inf")), (float("-inf"), 0.0), (1e308, 1e308)])
def test_after_photo_refuses_non_finite_or_foreign_device_positions(
    conn, make_report, calendar, tmp_path, staff, lon, lat
):
    cid, _ = _new(conn, make_report, calendar, tmp_path)
    for to in ("verifikasi", "ditindaklanjuti"):
        workflow.change_status(conn, cid, to, staff)
    with pytest.raises(DataError):
        workflow.add_after_photo(
            conn, cid, photos.process_photo(jpeg_with_gps()), staff, tmp_path, device_lon=lon, device_lat=lat
        )


def test_mpo_jpeg_from_phones_is_accepted_as_jpeg():
    first, second = Image.new("RGB", (64, 48), (200, 0, 0)), Image.new("RGB", (64, 48), (0, 200, 0))
    out = io.BytesIO()
    first.save(out, "MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(out.getvalue())).format == "MPO"
    photo = photos.process_photo(out.getvalue(), "kamera.jpg")
    assert photo.media_type == "image/jpeg" and (photo.width, photo.height) == (64, 48)


def test_concurrent_stores_of_one_photo_do_not_collide(tmp_path):
    photo = photos.process_photo(jpeg_with_gps())
    errors = []

    def store():
        try:
            for _ in range(20):
                photos.store_photo(tmp_path, photo)
                photos.photo_file(tmp_path, photo.file).unlink(missing_ok=True)
        except Exception as exc:  # noqa: BLE001 - collected and asserted
            errors.append(exc)

    threads = [threading.Thread(target=store) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and not list(tmp_path.rglob(".upload-*"))


def test_a_retry_is_answered_even_after_the_boundary_moved(conn, make_report, calendar, tmp_path, inside):
    report = make_report()
    first = submit.submit_report(conn, report, calendar, tmp_path)
    conn.execute(
        sa.text(
            "UPDATE kelurahan SET geom = ST_Multi(ST_Buffer(ST_SetSRID(ST_Point(100, 0), 4326), "
            "0.001)) WHERE code = :k"
        ),
        {"k": inside["kel"]},
    )
    again = submit.submit_report(
        conn, make_report(key=report.key, description=report.description), calendar, tmp_path
    )
    assert again["ticket"] == first["ticket"] and again["replayed"]


def test_web_keys_cannot_take_the_open311_namespace(conn, make_report, calendar, tmp_path):
    with pytest.raises(DataError, match="o311"):
        submit.submit_report(conn, make_report(key="o311:1:" + uuid.uuid4().hex), calendar, tmp_path)


def test_concurrent_login_guesses_are_limited_per_account(engine, inside):
    name = f"tebak.{uuid.uuid4().hex[:6]}"
    with engine.begin() as conn:
        auth.add_user(conn, name, name, "kata-sandi-benar-1", "staff", [inside["kel"]])
    outcomes, barrier = [], threading.Barrier(12)

    def guess():
        with engine.connect() as conn:
            barrier.wait()
            try:
                auth.login(conn, name, "salah-salah", "10.9.9.9", "x")
            except auth.NotAuthenticated:
                conn.commit()  # the web layer records failed attempts the same way
                outcomes.append("wrong")
            except auth.RateLimited:
                conn.rollback()
                outcomes.append("limited")

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert outcomes.count("wrong") == 5 and outcomes.count("limited") == 7
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM login_attempt WHERE username = :u"), {"u": name})
            conn.execute(sa.text("DELETE FROM app_user WHERE username = :u"), {"u": name})


def test_outbox_commits_after_each_message(conn, make_report, calendar, tmp_path):
    conn.execute(sa.text("UPDATE notification_outbox SET sent_at = now() WHERE sent_at IS NULL"))
    for _ in range(3):
        submit.submit_report(conn, make_report(contact="warga@example.org"), calendar, tmp_path)
    commits, sent = [], []

    class Sender:
        def send(self, to, channel, text):
            sent.append(text)

    counts = deliver_pending(conn, Sender(), commit=lambda: commits.append(len(sent)))
    assert counts["sent"] == 3 and commits == [1, 2, 3]
