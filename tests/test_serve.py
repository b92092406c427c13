"""`sigkel serve` under gunicorn: real processes, real HTTP, real signals."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from gis.db.embedded import EmbeddedCluster
from tests.helpers import run_sigkel

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except OSError:
        return 0


def _wait(predicate, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def var_dir(fresh_var_dir):
    return fresh_var_dir


def test_worker_reload_keeps_the_database_and_ctrl_c_stops_it(var_dir):
    env = {"SIGKEL_VAR_DIR": str(var_dir), "SIGKEL_BASEMAP": "none"}
    assert run_sigkel("db", "upgrade", env=env).returncode == 0
    assert run_sigkel("db", "stop", env=env).returncode == 0
    cluster = EmbeddedCluster(var_dir)
    assert not cluster.running
    port = _free_port()
    full_env = {**{k: v for k, v in os.environ.items() if k != "DATABASE_URL"}, **env}
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("sigkel")), "serve", "--port", str(port)],
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    health = f"http://127.0.0.1:{port}/healthz"
    try:
        assert _wait(lambda: _get(health) == 200), "server did not come up"
        assert cluster.running
        proc.send_signal(signal.SIGHUP)  # gunicorn replaces every worker
        time.sleep(3)
        assert cluster.running, "a worker leaving stopped the database"
        assert _wait(lambda: _get(health) == 200)
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output
    assert output.count("Embedded PostGIS stopped.") == 1
    assert not cluster.running
