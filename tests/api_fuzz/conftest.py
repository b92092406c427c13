"""The world the API fuzz tests run in: a database of its own (the demo: three kelurahan with
complaints in each, plus photos, analysis runs and sessions), the app behind a real HTTP server on a
loopback port, and one logged-in ``requests`` session per role, each made through the login form.

Kelurahan A (``31.71.05.1001``) is the home of the staff, planner and admin accounts; B and C are the
others. The database is dropped afterwards: the fuzzer's writes never reach the session's test
database that other tests read.
"""

from __future__ import annotations

import hashlib
import re
import threading
import uuid
from dataclasses import dataclass, field, replace

import pytest
import requests
import sqlalchemy as sa
from werkzeug.serving import make_server

from gis import auth
from gis.complaints import submit
from gis.complaints.open311 import create_api_key
from gis.complaints.photos import process_photo
from gis.complaints.sla import WorkCalendar
from gis.db import migrate
from gis.db.engine import make_engine
from gis.planning import catalogue as cat
from tests.complaints.test_photos import jpeg_with_gps
from tests.conftest import _drop, _recreate

HOME = "31.71.05.1001"
PASSWORD = "kata-sandi-fuzz-123"
ROLE_ACCOUNTS = {"staff_a": "staff", "planner_a": "planner", "admin_a": "admin"}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class World:
    """Everything a fuzz test needs: where the server is, who is logged in, and real resources."""

    base_url: str
    app: object
    engine: sa.Engine
    home: str
    others: tuple[str, ...]
    api_key: str
    sessions: dict[str, requests.Session] = field(default_factory=dict)
    pools: dict[str, list] = field(default_factory=dict)  # resource kind -> values of every kelurahan
    foreign: dict[str, list] = field(default_factory=dict)  # resource kind -> values of B and C only


def _submit(conn, photo_root, lon, lat, category, photos=()) -> dict:
    return submit.submit_report(
        conn,
        submit.Report(
            key="fz-" + uuid.uuid4().hex,
            category=category,
            description="Laporan uji fuzzing API",
            lon=lon,
            lat=lat,
            name="Warga Uji",
            contact="081200000000",
            photos=list(photos),
            photo_digests=[p.sha256 for p in photos],
        ),
        WorkCalendar(),
        photo_root,
    )


def _seed(conn, data_dir, photo_root) -> dict:
    """Demo data, then per kelurahan: a complaint with a photo, and a coverage run."""
    from gis import pipelines
    from gis.planning.jobs import PlanningParams, run_coverage

    migrate.upgrade(conn)
    pipelines.load_demo(conn, data_dir)
    codes = conn.execute(sa.text("SELECT code FROM kelurahan ORDER BY code")).scalars().all()
    assert HOME in codes and len(codes) >= 2, codes
    photos, runs = {}, {}
    for code in codes:
        point = conn.execute(
            sa.text(
                "SELECT ST_X(p) lon, ST_Y(p) lat FROM (SELECT ST_PointOnSurface(geom) p FROM rw "
                "WHERE kelurahan_code = :k ORDER BY code LIMIT 1) x"
            ),
            {"k": code},
        ).one()
        photo = process_photo(jpeg_with_gps(lat=point.lat, lon=point.lon, width=320 + len(photos)))
        answer = _submit(conn, photo_root, point.lon, point.lat, "kebersihan", [photo])
        assert answer["kelurahan_code"] == code, answer
        photos[code] = photo.file
        runs[code], _ = run_coverage(conn, PlanningParams(facility_type="posyandu", kelurahan=[code]))
    return {"codes": codes, "photos": photos, "runs": runs}


def _accounts(conn, codes) -> tuple[dict, dict]:
    """The fuzzed roles' accounts in A, and sessions of other users (revocable: nobody fuzzes with them)."""
    for name, role in ROLE_ACCOUNTS.items():
        auth.add_user(conn, name.replace("_", "."), f"Fuzz {name}", PASSWORD, role, [HOME])
    spare = {}
    for code in codes:
        username = f"spare.{code.replace('.', '')}"
        auth.add_user(conn, username, "Spare", PASSWORD, "staff", [code])
        token, _ = auth.login(conn, username, PASSWORD, "127.0.0.2", "fuzz-seed")
        spare[code] = hashlib.sha256(token.encode()).hexdigest()
    return {name.replace("_", "."): role for name, role in ROLE_ACCOUNTS.items()}, spare


def _pools(conn, seeded: dict, spare_sessions: dict) -> dict[str, dict[str, list]]:
    """Per resource kind and kelurahan, a few real values for the fuzzer to aim at."""
    out: dict[str, dict[str, list]] = {}
    for code in seeded["codes"]:
        units = conn.execute(
            sa.text(
                "SELECT code AS rt, rw_code AS rw, ST_X(ST_PointOnSurface(geom)) AS lon, "
                "ST_Y(ST_PointOnSurface(geom)) AS lat FROM rt WHERE kelurahan_code = :k ORDER BY code LIMIT 3"
            ),
            {"k": code},
        ).all()
        rows = conn.execute(
            sa.text(
                "SELECT id, ticket FROM complaint WHERE kelurahan_code = :k "
                "ORDER BY status IN ('diterima', 'verifikasi', 'ditindaklanjuti') DESC, id LIMIT 4"
            ),
            {"k": code},
        ).all()
        kinds = {
            "complaint-id": [r.id for r in rows],
            "ticket": [r.ticket for r in rows],
            "photo": [seeded["photos"][code]],
            "run-id": [seeded["runs"][code]],
            "session": [spare_sessions[code]],
            "kelurahan": [code],
            "rt-code": [u.rt for u in units],
            "rw-code": sorted({u.rw for u in units}),
            "lat": [u.lat for u in units],
            "lon": [u.lon for u in units],
        }
        for kind, values in kinds.items():
            out.setdefault(kind, {})[code] = values
    facilities = conn.execute(sa.text("SELECT id FROM facility ORDER BY id LIMIT 3")).scalars().all()
    categories = conn.execute(sa.text("SELECT code FROM complaint_category ORDER BY code")).scalars().all()
    runs = [str(r) for r in seeded["runs"].values()]
    fields = {f.name for r in seeded["runs"].values() for f in cat.layer_fields(conn, cat.LayerRef(run=r))}
    fields |= {f.name for f in cat.layer_fields(conn, cat.parse_ref("penduduk"))}
    # not scoped by kelurahan: these only help the fuzzer past the first check
    out["facility-id"] = {HOME: list(facilities)}
    out["complaint-category"] = {HOME: list(categories)}
    out["layer"] = {HOME: ["penduduk", "rw", "fasilitas", "fasilitas:posyandu", *runs]}
    out["layer-field"] = {HOME: sorted(fields)}
    return out


def _login(base_url: str, username: str) -> requests.Session:
    """Log in through the form, as a browser does; the session then sends its CSRF token on writes."""
    session = requests.Session()
    form = session.get(f"{base_url}/petugas/masuk", timeout=30)
    token = _CSRF.search(form.text).group(1)
    answer = session.post(
        f"{base_url}/petugas/masuk",
        data={"username": username, "password": PASSWORD, "csrf_token": token, "next": ""},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 303 and session.cookies.get("sigkel_sesi"), answer.text[:300]
    landing = session.get(base_url + answer.headers["Location"], timeout=30)
    session.headers["X-CSRF-Token"] = _CSRF.search(landing.text).group(1)
    return session


@pytest.fixture(scope="session")
def fuzz_world(server_url, settings, tmp_path_factory):
    from webmap import create_app

    url = _recreate(server_url, f"sigkel_fuzz_{uuid.uuid4().hex[:8]}")
    name = sa.engine.make_url(url).database
    photo_root = tmp_path_factory.mktemp("fuzz-photos")
    engine = make_engine(url)
    with engine.begin() as conn:
        seeded = _seed(conn, settings.data_dir, photo_root)
        users, spare = _accounts(conn, seeded["codes"])
        pools = _pools(conn, seeded, spare)
        api_key = create_api_key(conn, "api-fuzz")
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "api-fuzz",
            "SIGKEL_SETTINGS": replace(settings, basemap="none", photo_dir=photo_root),
        }
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    world = World(base, app, engine, HOME, tuple(c for c in seeded["codes"] if c != HOME), api_key)
    world.sessions = {"anonymous": requests.Session(), "open311_client": requests.Session()}
    for username, role in users.items():
        world.sessions[f"{role}_a"] = _login(base, username)
    world.pools = {kind: [v for values in by_kel.values() for v in values] for kind, by_kel in pools.items()}
    world.foreign = {
        kind: [v for code, values in by_kel.items() if code != HOME for v in values]
        for kind, by_kel in pools.items()
    }
    try:
        yield world
    finally:
        server.shutdown()
        thread.join(10)
        for session in world.sessions.values():
            session.close()
        served = app.extensions.get("sigkel.engine")
        if served is not None:
            served.dispose()
        engine.dispose()
        _drop(server_url, name)
