import sqlalchemy as sa


def test_probe(conn):
    q = lambda s: conn.execute(sa.text(s)).all()  # noqa: E731
    print(q("SELECT min(created_at), max(created_at), count(*) FROM complaint"))
    print(q("SELECT status, count(*) FROM complaint GROUP BY 1"))
    print(q("SELECT confidential, duplicate_of IS NULL, count(*) FROM complaint GROUP BY 1,2"))
    print(q("SELECT category, count(*) FROM complaint GROUP BY 1"))
    print(q("SELECT kind, public, count(*), max(note) FROM complaint_event GROUP BY 1,2"))
    print(q("SELECT count(*) FROM complaint_photo"))
    print(q("SELECT status, status_reason FROM complaint WHERE status_reason IS NOT NULL LIMIT 5"))
    print(q("SELECT c.ticket, c.rw_code, rw.name, rw.number, k.name, c.source FROM complaint c LEFT JOIN rw ON rw.code=c.rw_code LEFT JOIN kelurahan k ON k.code=c.kelurahan_code LIMIT 5"))
    print(q("SELECT code, name FROM kelurahan"))
    print(q("SELECT DISTINCT note FROM complaint_event LIMIT 30"))
    print(q("SELECT now()"))
    print(q("SELECT description FROM complaint LIMIT 5"))
