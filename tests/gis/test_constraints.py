"""The schema refuses bad rows by itself, whatever code writes them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

BOWTIE = "MULTIPOLYGON(((106.86 -6.18, 106.87 -6.17, 106.87 -6.18, 106.86 -6.17, 106.86 -6.18)))"
SQUARE = "MULTIPOLYGON(((106.86 -6.18, 106.861 -6.18, 106.861 -6.179, 106.86 -6.179, 106.86 -6.18)))"


def _refused(conn, sql: str, params: dict | None = None, match: str = ""):
    with pytest.raises(sa.exc.DBAPIError, match=match), conn.begin_nested():
        conn.execute(sa.text(sql), params or {})


def _rw(code="31.71.05.1001.RW099", kel="31.71.05.1001", number=99, wkt=SQUARE):
    return (
        "INSERT INTO rw (code, kelurahan_code, number, name, source, geom) VALUES "
        "(:code, :kel, :n, 'RW 099', 'test', ST_GeomFromText(:wkt, 4326))",
        {"code": code, "kel": kel, "n": number, "wkt": wkt},
    )


def test_valid_rw_is_accepted(conn):
    conn.execute(sa.text(_rw()[0]), _rw()[1])
    assert conn.execute(sa.text("SELECT name FROM rw WHERE number = 99")).scalar() == "RW 099"


def test_invalid_geometry_refused(conn):
    _refused(conn, *_rw(wkt=BOWTIE), match="geom_valid")


def test_empty_geometry_refused(conn):
    _refused(conn, *_rw(wkt="MULTIPOLYGON EMPTY"), match="geom_valid")


def test_wrong_srid_refused(conn):
    sql, params = _rw()
    _refused(conn, sql.replace("4326)", "3857)"), params, match="SRID")


def test_wrong_geometry_type_refused(conn):
    _refused(conn, *_rw(wkt="POINT(106.86 -6.18)"), match="type")


def test_duplicate_rw_number_refused(conn):
    _refused(conn, *_rw(code="31.71.05.1001.RW001", number=1), match="pk_rw|uq_rw")


def test_rw_code_must_derive_from_kelurahan_and_number(conn):
    _refused(conn, *_rw(code="31.71.05.1001.RW098"), match="code_derived")


def test_duplicate_kelurahan_code_refused(conn):
    _refused(
        conn,
        "INSERT INTO kelurahan (code, name, kecamatan_code, source, geom) "
        "SELECT code, 'Copy', kecamatan_code, 'test', geom FROM kelurahan LIMIT 1",
        match="pk_kelurahan",
    )


def test_malformed_kelurahan_code_refused(conn):
    _refused(
        conn,
        "INSERT INTO kelurahan (code, name, kecamatan_code, source, geom) "
        "SELECT '31.71.5.1', 'Bad', '31.71.05', 'test', geom FROM kelurahan LIMIT 1",
        match="code_format",
    )


def test_rt_without_its_rw_refused(conn):
    insert = (
        "INSERT INTO rt (code, kelurahan_code, rw_code, number, name, source, geom) "
        "VALUES (:code, '31.71.05.1001', :rw, 1, 'RT 001', 'test', "
        "ST_GeomFromText(:wkt, 4326))"
    )
    _refused(
        conn,
        insert,
        {"code": "31.71.05.1001.RW098.RT001", "rw": "31.71.05.1001.RW098", "wkt": SQUARE},
        match="fk_rt_rw_code_rw",
    )
    _refused(conn, insert.replace(":code", "'x'"), {"rw": None, "wkt": SQUARE}, match="null")


def test_rt_of_an_rw_in_another_kelurahan_refused(conn):
    _refused(
        conn,
        "INSERT INTO rt (code, kelurahan_code, rw_code, number, name, source, geom) "
        "VALUES ('31.71.05.1002.RW001.RT099', '31.71.05.1001', '31.71.05.1002.RW001', 99, "
        "'RT 099', 'test', ST_GeomFromText(:wkt, 4326))",
        {"wkt": SQUARE},
        match="rw_in_kelurahan",
    )


def test_complaint_status_and_reason_rules(conn):
    update = (
        "UPDATE complaint SET status = :s, status_reason = NULL WHERE id = (SELECT min(id) FROM complaint)"
    )
    _refused(conn, update, {"s": "beres"}, match="ck_complaint_status")
    _refused(conn, update, {"s": "ditolak"}, match="reason_required")


def test_complaint_event_trail_is_append_only(conn):
    _refused(
        conn,
        "UPDATE complaint_event SET note = 'rewritten' WHERE id = (SELECT min(id) FROM complaint_event)",
        match="append-only",
    )


def test_population_sexes_must_add_up(conn):
    _refused(
        conn,
        "UPDATE population SET male = persons + 1 WHERE id = (SELECT min(id) FROM population)",
        match="sexes_sum",
    )


def test_unknown_category_refused(conn):
    _refused(
        conn,
        "UPDATE facility SET category = 'kasino' WHERE id = (SELECT min(id) FROM facility)",
        match="fk_facility_category",
    )
