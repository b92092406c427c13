"""The reporter's rights (UU 27/2022): export of everything held with the processing trail,
correction, and anonymisation after the retention period."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
import sqlalchemy as sa

from gis import auth
from gis.complaints import pdp, queue, submit, workflow
from gis.errors import DataError
from webmap.cli import cli


@pytest.fixture
def reported(conn, make_report, calendar, tmp_path, inside):
    staff = auth.add_user(
        conn, f"pdp.{uuid.uuid4().hex[:6]}", "Petugas PDP", "kata-sandi-pdp-1", "staff", [inside["kel"]]
    )
    phone = "0812" + str(uuid.uuid4().int)[:7]
    answer = submit.submit_report(
        conn,
        make_report(
            category="kebersihan",
            name="Wati Suryani",
            contact=phone,
            description=f"Sampah di depan rumah saya, hubungi {phone} atau wati@example.org",
        ),
        calendar,
        tmp_path,
    )
    cid = conn.execute(
        sa.text("SELECT id FROM complaint WHERE ticket = :t"), {"t": answer["ticket"]}
    ).scalar()
    user = auth.User(staff, "pdp", "Petugas PDP", "staff", (inside["kel"],))
    queue.reporter_for(conn, user, cid, "menghubungi pelapor")
    workflow.change_status(conn, cid, "ditolak", staff, reason="Sudah diangkut")
    return {"id": cid, "phone": phone, "staff": staff, **answer}


def test_export_holds_identity_complaints_trail_and_reads(conn, reported):
    by_ticket = pdp.subject_export(conn, ticket=reported["ticket"], secret=reported["secret"])
    by_phone = pdp.subject_export(conn, contact=reported["phone"])
    for data in (by_ticket, by_phone):
        assert data["reporters"][0]["name"] == "Wati Suryani"
        assert data["complaints"][0]["ticket"] == reported["ticket"] and data["complaints"][0]["lon"]
        assert [e["status_to"] for e in data["processing_trail"] if e["kind"] == "status"] == [
            "diterima",
            "ditolak",
        ]
        assert any(
            r["action"] == "read_reporter" and r["reason"] == "menghubungi pelapor"
            for r in data["identity_reads"]
        )
    with pytest.raises(DataError, match="Kode rahasia"):
        pdp.subject_export(conn, ticket=reported["ticket"], secret="SALAH")
    exports = conn.execute(
        sa.text("SELECT count(*) FROM audit_log WHERE action = 'export_subject_data' AND object_id = :i"),
        {"i": str(reported["id"])},
    ).scalar()
    assert exports == 2


def test_correction_is_applied_and_audited(conn, reported):
    pdp.correct(conn, reported["ticket"], reported["staff"], "pelapor ganti nomor", phone="+6281300001111")
    phone = conn.execute(
        sa.text("SELECT phone FROM reporter WHERE complaint_id = :i"), {"i": reported["id"]}
    ).scalar()
    assert phone == "+6281300001111"
    with pytest.raises(DataError, match="phone"):
        pdp.correct(conn, reported["ticket"], None, "x", phone="bukan nomor")


def test_purge_after_retention_removes_identity_and_generalises_homes(conn, reported):
    before = conn.execute(
        sa.text("SELECT ST_AsText(geom) FROM complaint WHERE id = :i"), {"i": reported["id"]}
    ).scalar()
    closed = conn.execute(
        sa.text("SELECT resolved_at FROM complaint WHERE id = :i"), {"i": reported["id"]}
    ).scalar()
    pdp.purge(conn, 730, now=closed + dt.timedelta(days=700))  # not yet due
    name = conn.execute(
        sa.text("SELECT name FROM reporter WHERE complaint_id = :i"), {"i": reported["id"]}
    ).scalar()
    assert name == "Wati Suryani"
    result = pdp.purge(conn, 730, now=closed + dt.timedelta(days=731))
    assert result["complaints"] >= 1
    reporter = conn.execute(
        sa.text("SELECT name, phone, email, anonymised_at FROM reporter WHERE complaint_id = :i"),
        {"i": reported["id"]},
    ).one()
    assert reporter[:3] == (None, None, None) and reporter.anonymised_at is not None
    row = conn.execute(
        sa.text("SELECT description, ST_AsText(geom), anonymised_at FROM complaint WHERE id = :i"),
        {"i": reported["id"]},
    ).one()
    assert reported["phone"] not in row[0] and "wati@example.org" not in row[0] and "[dihapus]" in row[0]
    assert row[1] != before and row.anonymised_at is not None  # kebersihan is 'grid': the cell centre
    pdp.purge(conn, 730, now=closed + dt.timedelta(days=800))  # idempotent: already anonymised stays as it is
    later = conn.execute(
        sa.text("SELECT anonymised_at FROM complaint WHERE id = :i"), {"i": reported["id"]}
    ).scalar()
    assert later == row.anonymised_at


def test_scrub_finds_indonesian_numbers_and_addresses():
    scrubbed = pdp.scrub("HP 0812-3456-7890, wa +62 812 3456 7890, mail a.b@c.id")
    assert scrubbed == "HP [dihapus], wa [dihapus], mail [dihapus]"
    assert pdp.scrub("RT 003 RW 005, 2 hari") == "RT 003 RW 005, 2 hari"


def test_cli_export_is_owner_only(runner, tmp_path, monkeypatch, database_url, engine, make_report, calendar):
    with engine.begin() as conn:
        answer = submit.submit_report(
            conn, make_report(name="Ekspor", contact="ekspor@example.org"), calendar, tmp_path
        )
    monkeypatch.setenv("DATABASE_URL", database_url)
    out = tmp_path / "data-saya.json"
    result = runner.invoke(cli, ["privacy", "export", "--ticket", answer["ticket"], "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["reporters"][0]["email"] == "ekspor@example.org"
    assert out.stat().st_mode & 0o777 == 0o600
    dry = runner.invoke(cli, ["privacy", "purge", "--dry-run"])
    assert dry.exit_code == 0 and "would be anonymised" in dry.output
