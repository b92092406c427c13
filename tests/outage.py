"""A database outage for tests: the app reaches PostgreSQL through a TCP relay whose plug can be pulled."""

from __future__ import annotations

import contextlib
import secrets
import socket
import threading
from dataclasses import replace

import sqlalchemy as sa
from werkzeug.serving import make_server

from gis import pipelines
from gis.db import migrate
from gis.db.engine import make_engine


class Relay:
    """127.0.0.1:<port> → the cluster's unix socket; ``unplug`` closes everything, ``plug`` reopens."""

    def __init__(self, target: str):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = threading.Event()
        self.up.set()
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:  # unplug() takes the lock too: no connection slips past it
                if not self.up.is_set():
                    client.close()  # refused, as by a server that is not there
                    continue
                server = socket.socket(socket.AF_UNIX)
                server.connect(self.target)
                self.sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
            src.close()

    def unplug(self):
        with self.lock:
            self.up.clear()
            for s in self.sockets:  # the pipe threads close them (closing here could free an fd
                with contextlib.suppress(OSError):  # that a new connection then reuses)
                    s.shutdown(socket.SHUT_RDWR)
            self.sockets.clear()

    def plug(self):
        self.up.set()

    def close(self):
        self.unplug()
        self.listener.close()


@contextlib.contextmanager
def serve_through_relay(server_url, settings, var_dir):
    """A fresh demo database, and the app on a real HTTP server reaching it through a :class:`Relay`;
    yields ``(port, relay, database_url)``. A ``/_test/slow`` route keeps a query running 3 s."""
    from tests.conftest import _drop, _recreate
    from webmap import create_app

    name = f"sigkel_outage_{secrets.token_hex(4)}"
    url = _recreate(server_url, name)
    engine = make_engine(url)
    with engine.begin() as conn:
        migrate.upgrade(conn)
        pipelines.load_demo(conn, settings.data_dir)
    engine.dispose()
    parsed = sa.engine.make_url(url)
    relay = Relay(f"{parsed.query['host']}/.s.PGSQL.{parsed.query.get('port', '5432')}")
    app = create_app(
        {
            "DATABASE_URL": f"postgresql+psycopg://{parsed.username}@127.0.0.1:{relay.port}/{name}",
            "SECRET_KEY": "outage-tests",
            "SIGKEL_SETTINGS": replace(settings, basemap="none", var_dir=var_dir),
        }
    )

    @app.get("/_test/slow")
    def slow():  # a query still running when the plug is pulled
        from webmap.db import get_conn

        get_conn().execute(sa.text("SELECT pg_sleep(3)"))
        return "done"

    @app.get("/_test/late-commit")
    def late_commit():  # the connection drops after the work, before the commit
        import time

        from webmap.db import get_conn

        get_conn().execute(sa.text("SELECT 1"))
        time.sleep(2)
        return "done"

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_port, relay, url
    finally:
        server.shutdown()
        if (engine := app.extensions.get("sigkel.engine")) is not None:
            engine.dispose()
        relay.close()
        _drop(server_url, name)
