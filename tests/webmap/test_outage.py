"""While the database is down: public reads come from the last good copy, writes get a quick 503 with
Retry-After, nothing about the database leaks, and everything works again when it is back.

The outage is real: the app reaches PostgreSQL through a small TCP relay in this test, and pulling the
relay's plug drops every open connection and refuses new ones, exactly as a restart does.
"""

from __future__ import annotations

import http.client
import re
import secrets
import threading
import time
import urllib.parse

import pytest

from tests.outage import serve_through_relay

PUBLIC = [
    "/",
    "/laporan",
    "/lapor",
    "/api/layers/facilities.geojson",
    "/api/layers/rw.geojson",
    "/api/categories",
    "/api/laporan.geojson",
    "/api/laporan/kategori",
    "/tiles/rw/14/13055/8473.pbf",
]


@pytest.fixture(scope="module")
def outage_server(server_url, settings, tmp_path_factory):
    with serve_through_relay(server_url, settings, tmp_path_factory.mktemp("var")) as served:
        yield served


def _request(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.monotonic()
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response, data, time.monotonic() - started


def _report(key: str) -> tuple[bytes, dict]:
    body = urllib.parse.urlencode(
        {
            "kategori": "kebersihan",
            "uraian": f"Sampah menumpuk di gang {key}",
            "lat": "-6.1786",
            "lon": "106.8712",
        }
    ).encode()
    return body, {"Content-Type": "application/x-www-form-urlencoded", "Idempotency-Key": key}


def _nonce(response, body: bytes) -> tuple[str, list[str]]:
    header = re.search(r"'nonce-([^']+)'", response.getheader("Content-Security-Policy")).group(1)
    return header, re.findall(rb'<script[^>]*nonce="([^"]+)"', body)


def test_public_reads_are_served_stale_and_writes_get_a_quick_503(outage_server):
    port, relay, _ = outage_server
    fresh = {}
    for path in PUBLIC:
        response, body, _ = _request(port, "GET", path)
        assert response.status == 200, (path, body[:300])
        assert response.getheader("X-Sigkel-Stale") is None
        fresh[path] = body
    _, healthy, _ = _request(port, "GET", "/healthz")

    relay.unplug()
    try:
        for path in PUBLIC:
            response, body, _ = _request(port, "GET", path)
            assert response.status == 200, (path, body[:300])
            assert response.getheader("X-Sigkel-Stale") is not None, path
            if path not in ("/", "/laporan", "/lapor"):
                assert body == fresh[path], path  # the same bytes as the last good answer
        # a stale page's scripts run under this response's CSP: the cached nonce is replaced
        response, body, _ = _request(port, "GET", "/")
        header, scripts = _nonce(response, body)
        assert scripts and all(s.decode() == header for s in scripts)
        assert header.encode() not in fresh["/"]
        # two residents never share the no-JavaScript form's idempotency key
        kunci = re.compile(rb'name="kunci" id="kunci" value="(form-[^"]+)"')
        stale_form = _request(port, "GET", "/lapor")[1]
        assert kunci.search(stale_form).group(1) != kunci.search(fresh["/lapor"]).group(1)

        body, headers = _report("outage-" + secrets.token_hex(8))
        response, answer, elapsed = _request(port, "POST", "/api/laporan", body, headers)
        assert response.status == 503, answer[:300]
        assert int(response.getheader("Retry-After")) > 0
        assert elapsed < 2.0, f"the 503 took {elapsed:.2f} s"
        for leak in (b"postgresql", b"127.0.0.1", b"DATABASE_URL", b"sigkel_outage"):
            assert leak not in answer
        # what was never cached is not invented: a 503, and the health check says so
        assert _request(port, "GET", "/healthz")[0].status == 503
        assert _request(port, "GET", "/api/layers/rt.geojson?limit=3")[0].status == 503
    finally:
        relay.plug()

    # back: a resent report is stored once, and reads are fresh again
    key = "after-" + secrets.token_hex(8)
    body, headers = _report(key)
    first, answer, _ = _request(port, "POST", "/api/laporan", body, headers)
    again, answer2, _ = _request(port, "POST", "/api/laporan", body, headers)
    assert (first.status, again.status) == (201, 200), (answer, answer2)
    response, _, _ = _request(port, "GET", "/api/layers/facilities.geojson")
    assert response.status == 200 and response.getheader("X-Sigkel-Stale") is None
    assert _request(port, "GET", "/healthz")[1] == healthy


def _unplugged_during(port, relay, path: str):
    """GET ``path`` (a test route that holds its connection), pull the plug one second in, and return
    its answer once the plug is back and the app answers again."""
    assert _request(port, "GET", "/healthz")[0].status == 200
    answers = []
    worker = threading.Thread(target=lambda: answers.append(_request(port, "GET", path)))
    worker.start()
    time.sleep(1.0)
    relay.unplug()
    try:
        worker.join(timeout=30)
    finally:
        relay.plug()
    assert _request(port, "GET", "/healthz")[0].status == 200
    return answers[0]


@pytest.mark.parametrize(
    "path",
    [
        "/_test/slow",  # a query in flight: fails inside the view, not at checkout
        "/_test/late-commit",  # the work done, the commit (in after_request) fails
    ],
)
def test_a_connection_lost_mid_request_is_a_503_not_a_500(outage_server, path):
    """The answer must be a 503 with Retry-After (the phone resends), never a 500, and the error page
    goes through every response hook like any other."""
    port, relay, _ = outage_server
    response, body, _ = _unplugged_during(port, relay, path)
    assert response.status == 503, body[:300]
    assert response.getheader("Retry-After")
    assert response.getheader("Content-Security-Policy")
    assert b"postgresql" not in body and b"127.0.0.1" not in body


def test_only_outages_are_outages():
    """A statement timeout, a full disk or a syntax error is a bug to see (500), not an outage."""
    import psycopg
    import sqlalchemy as sa

    from webmap.stale import is_outage, is_retryable

    def wrapped(error):
        return sa.exc.OperationalError("SELECT 1", {}, error)

    assert is_outage(wrapped(psycopg.errors.AdminShutdown()))
    assert is_outage(wrapped(psycopg.errors.CannotConnectNow()))
    assert is_outage(wrapped(psycopg.OperationalError("server closed the connection unexpectedly")))
    assert not is_outage(wrapped(psycopg.errors.QueryCanceled()))
    assert not is_outage(wrapped(psycopg.errors.DiskFull()))
    assert not is_outage(sa.exc.ProgrammingError("SELECT", {}, psycopg.errors.SyntaxError()))
    assert not is_outage(wrapped(psycopg.errors.SerializationFailure()))
    assert is_retryable(wrapped(psycopg.errors.SerializationFailure()))
    assert not is_retryable(wrapped(psycopg.errors.QueryCanceled()))


def test_the_stale_store_forgets_copies_past_their_age(tmp_path):
    from webmap.stale import StaleStore

    store = StaleStore(tmp_path, max_entries=2, max_age=3600)
    store.put("a", 200, {"Content-Type": "application/json"}, b"{}", {})
    assert store.get("a")[1] == b"{}"
    old = StaleStore(tmp_path, max_age=0)
    time.sleep(0.01)
    assert old.get("a") is None
    for key in "bcd":
        store.put(key, 200, {}, key.encode(), {})
    assert store.prune() == 2 and store.get("a") is None and store.get("d")[1] == b"d"


def test_unknown_parameters_are_not_kept_and_keys_cannot_collide(outage_server):
    port, relay, _ = outage_server
    junk = "/api/layers/rw.geojson?junk=1"
    smuggled = "/api/laporan.geojson?kategori=a%26status%3Db"  # must not answer for ?kategori=a&status=b
    assert _request(port, "GET", junk)[0].status == 200
    assert _request(port, "GET", smuggled)[0].status == 200
    relay.unplug()
    try:
        assert _request(port, "GET", junk)[0].status == 503  # never kept: junk cannot fill the disk
        assert _request(port, "GET", "/api/laporan.geojson?kategori=a&status=b")[0].status == 503
    finally:
        relay.plug()


def test_an_unchanged_answer_is_rewritten_when_its_copy_was_pruned(tmp_path):
    from webmap.stale import StaleStore

    a, b = StaleStore(tmp_path), StaleStore(tmp_path)  # two workers sharing the folder
    a.put("k", 200, {}, b"same", {})
    b.prune()
    for path in tmp_path.glob("*/*.bin"):
        path.unlink()  # as another worker's prune would
    a.put("k", 200, {}, b"same", {})
    assert a.get("k")[1] == b"same"


def test_the_store_is_bounded_in_bytes(tmp_path):
    from webmap.stale import StaleStore

    store = StaleStore(tmp_path, max_bytes=10_000)
    for i in range(20):
        store.put(f"k{i}", 200, {}, bytes(1000), {})
    store.prune()
    assert sum(p.stat().st_size for p in tmp_path.glob("*/*.bin")) <= 10_000
    assert store.get("k19") is not None  # the newest stay


def test_answers_seen_through_a_staff_session_are_never_kept(outage_server, tmp_path):
    from webmap.security import SESSION_COOKIE

    port, relay, _ = outage_server
    path = "/api/layers/facilities.geojson?limit=7"
    headers = {"Cookie": f"{SESSION_COOKIE}=not-a-real-session"}
    assert _request(port, "GET", path, headers=headers)[0].status == 200
    relay.unplug()
    try:
        assert _request(port, "GET", path)[0].status == 503  # nothing was kept to fall back on
    finally:
        relay.plug()


def test_each_database_has_its_own_stale_copies(settings, tmp_path):
    from dataclasses import replace

    from webmap import create_app

    def store(url):
        config = {
            "DATABASE_URL": url,
            "SECRET_KEY": "x",
            "SIGKEL_SETTINGS": replace(settings, var_dir=tmp_path),
        }
        return create_app(config).extensions["sigkel.stale"].root

    a, b = store("postgresql://u@h/real"), store("postgresql://u@h/bench")
    assert a != b and a.parent == b.parent == tmp_path / "cache" / "public"
    assert store("postgresql://u@h/real") == a
