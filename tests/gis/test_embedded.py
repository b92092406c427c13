"""The embedded cluster manager on its own clusters under var/test-clusters (not the session's)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import psycopg
import pytest

from gis.db.embedded import EmbeddedCluster, find_pg_bindir
from gis.errors import PostGISMissing
from tests.helpers import run_sigkel

pytestmark = pytest.mark.slow


@pytest.fixture
def var_dir(fresh_var_dir):
    return fresh_var_dir


def _query(cluster: EmbeddedCluster, sql: str):
    with psycopg.connect(
        host=str(cluster.socket_dir), port=5432, user="sigkel", dbname=cluster.db_name, autocommit=True
    ) as conn:
        cursor = conn.execute(sql)
        return cursor.fetchall() if cursor.description else None


def test_start_twice_stop_restart(var_dir):
    cluster = EmbeddedCluster(var_dir, db_name="lifecycle")
    assert cluster.start() is True
    assert cluster.start() is False  # already running: a no-op
    status = cluster.status()
    assert status.running and status.pid == cluster.pid()
    assert _query(cluster, "SELECT extname FROM pg_extension WHERE extname = 'postgis'")
    _query(cluster, "CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)")
    assert cluster.stop() is True
    assert cluster.stop() is False
    assert not cluster.status().running
    assert cluster.start() is True
    assert _query(cluster, "SELECT x FROM kept") == [(42,)]


def test_unreachable_var_dir_is_relocated_for_the_cluster_user(tmp_path):
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    cluster = EmbeddedCluster(private / "var")
    if os.geteuid() == 0:
        assert cluster.var_dir.parent == Path("/var/lib/sigkel")
        assert cluster.var_dir == EmbeddedCluster(private / "var").var_dir  # stable
    else:
        assert cluster.var_dir == private / "var"


def test_listens_on_unix_socket_only(var_dir):
    cluster = EmbeddedCluster(var_dir)
    cluster.start()
    assert _query(cluster, "SHOW listen_addresses") == [("",)]
    assert (cluster.socket_dir / ".s.PGSQL.5432").is_socket()


def test_recovers_after_kill_9(var_dir):
    cluster = EmbeddedCluster(var_dir)
    cluster.start()
    _query(cluster, "CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)")
    pid = cluster.pid()
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (cluster.data_dir / "postmaster.pid").exists()  # stale, left by the crash
    assert not cluster.running
    assert cluster.start() is True
    assert _query(cluster, "SELECT x FROM kept") == [(7,)]


def test_recovers_from_stale_pid_file_naming_a_live_process(var_dir):
    cluster = EmbeddedCluster(var_dir)
    cluster.start()
    cluster.stop()
    # A pid file naming a live process that is not our postmaster (this test process), as after a
    # power cut when the pid was reused, plus a stale socket lock.
    (cluster.data_dir / "postmaster.pid").write_text(f"{os.getpid()}\n{cluster.data_dir}\n")
    lock = cluster.socket_dir / ".s.PGSQL.5432.lock"
    lock.write_text(f"{os.getpid()}\n")
    assert not cluster.running
    assert cluster.start() is True
    assert cluster.pid() != os.getpid()


def test_interrupted_initdb_is_redone(var_dir):
    cluster = EmbeddedCluster(var_dir)
    staging = cluster.var_dir / "pgdata.initdb"
    staging.mkdir(parents=True)
    (staging / "half-written").write_text("crash")
    assert cluster.init() is True
    assert cluster.initialized and not staging.exists()
    assert cluster.init() is False


@pytest.fixture
def bindir_without_postgis(tmp_path):
    """The real server binaries, but a pg_config whose share dir has no PostGIS."""
    real = find_pg_bindir()
    fake = tmp_path / "bin"
    fake.mkdir()
    for tool in real.iterdir():
        if tool.name != "pg_config":
            (fake / tool.name).symlink_to(tool)
    share = tmp_path / "share"
    (share / "extension").mkdir(parents=True)
    (fake / "pg_config").write_text(f"#!/bin/sh\necho {share}\n")
    (fake / "pg_config").chmod(0o755)
    return fake


def test_missing_postgis_is_refused_before_anything_is_created(var_dir, bindir_without_postgis):
    cluster = EmbeddedCluster(var_dir, bindir=bindir_without_postgis)
    with pytest.raises(PostGISMissing, match="PostGIS is not installed") as info:
        cluster.start()
    assert "apt-get install" in str(info.value)
    assert not (cluster.var_dir / "pgdata").exists()
    assert not (cluster.var_dir / "pgdata.initdb").exists()


def test_cli_says_what_to_install_when_postgis_is_missing(var_dir, bindir_without_postgis):
    result = run_sigkel(
        "db", "start", env={"SIGKEL_VAR_DIR": str(var_dir), "SIGKEL_PG_BINDIR": str(bindir_without_postgis)}
    )
    assert result.returncode == 1
    assert "PostGIS is not installed" in result.stderr
    assert "scripts/setup" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (EmbeddedCluster(var_dir).var_dir / "pgdata").exists()
