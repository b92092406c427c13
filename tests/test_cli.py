"""The sigkel command, through Flask's runner and as a subprocess the way users run it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from gis.db import migrate
from gis.db.engine import make_engine
from tests.helpers import run_sigkel
from webmap.cli import cli

COMMANDS = {
    "db",
    "demo",
    "serve",
    "import",
    "export",
    "analyze",
    "routes",
    "run",
    "shell",
    "users",
    "apikey",
    "outbox",
    "report",
    "backup",
    "restore",
    "privacy",
}
DB_COMMANDS = {"start", "stop", "status", "upgrade", "downgrade", "current"}


def test_help_lists_every_command_with_a_one_line_summary(runner):
    for args, names in (([], COMMANDS), (["db"], DB_COMMANDS)):
        result = runner.invoke(cli, [*args, "--help"])
        assert result.exit_code == 0
        listing = result.output.split("Commands:")[1].strip().splitlines()
        found = {line.split()[0]: line.split(None, 1)[1] for line in listing}
        assert set(found) == names
        assert all(summary and not summary.endswith("...") for summary in found.values()), found


def test_status_reports_the_running_embedded_database(runner, cluster):
    result = runner.invoke(cli, ["db", "status"])
    assert result.exit_code == 0
    assert "running" in result.output


def test_db_commands_refuse_to_manage_a_local_server_when_database_url_is_set(runner, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://someone@db.example:5432/sigkel")
    result = runner.invoke(cli, ["db", "start"])
    assert result.exit_code == 1
    assert "DATABASE_URL is set" in result.output


@pytest.mark.slow
def test_upgrade_and_demo_on_an_existing_postgis_via_database_url(scratch_db, tmp_path):
    url = scratch_db()
    env = {"DATABASE_URL": url, "SIGKEL_VAR_DIR": str(tmp_path / "var")}
    up = run_sigkel("db", "upgrade", env=env)
    assert up.returncode == 0, up.stderr
    assert f"-> {migrate.head()}" in up.stdout
    demo = run_sigkel("demo", "--no-serve", env=env)
    assert demo.returncode == 0, demo.stderr
    accounts = tmp_path / "var" / "demo-accounts.txt"
    password = accounts.read_text().split("password: ")[1].split()[0]
    assert accounts.stat().st_mode & 0o777 == 0o600 and password in demo.stdout
    again = run_sigkel("demo", "--no-serve", env=env)
    assert again.returncode == 0, again.stderr
    assert password in again.stdout  # the same password on every run
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM rw")).scalar() == 30
        assert conn.execute(sa.text("SELECT count(*) FROM complaint")).scalar() == 2400
        from gis import auth

        token, user = auth.login(conn, "petugas.demo", password, "127.0.0.1", "test")
        assert user.role == "staff" and len(user.kelurahan) == 3
    engine.dispose()
    added = run_sigkel(
        "users",
        "add",
        "lurah.baru",
        "--role",
        "admin",
        "--kelurahan",
        "31.71.05.1001",
        env={**env, "SIGKEL_NEW_PASSWORD": "panjang-sekali-123"},
    )
    assert added.returncode == 0, added.stderr
    bad = run_sigkel(
        "users",
        "add",
        "x",
        "--role",
        "staff",
        "--kelurahan",
        "99.99.99.9999",
        env={**env, "SIGKEL_NEW_PASSWORD": "panjang-sekali-123"},
    )
    assert bad.returncode != 0 and "username" in bad.stderr
    listed = run_sigkel("users", "list", env=env)
    assert "lurah.baru" in listed.stdout and "petugas.demo" in listed.stdout
    disabled = run_sigkel("users", "disable", "lurah.baru", env=env)
    assert disabled.returncode == 0 and "disabled" in run_sigkel("users", "list", env=env).stdout
    assert not (tmp_path / "var" / "pgdata").exists()  # nothing local was started
    current = run_sigkel("db", "current", env=env)
    assert f"current: {migrate.head()}" in current.stdout
    down = run_sigkel("db", "downgrade", "base", "--yes", env=env)
    assert down.returncode == 0 and "empty" in down.stdout


def test_unreachable_database_url_is_one_clear_sentence():
    result = run_sigkel("db", "upgrade", env={"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    assert result.returncode == 1
    assert "Cannot connect to the database at" in result.stderr
    assert "Traceback" not in result.stderr


def test_database_without_postgis_and_no_right_to_enable_it(scratch_db, server_url):
    url = scratch_db(postgis=False)
    admin = make_engine(url)
    role = "sigkel_nopriv"
    with admin.begin() as conn:
        conn.execute(sa.text(f"DROP ROLE IF EXISTS {role}"))
        conn.execute(sa.text(f"CREATE ROLE {role} LOGIN"))
        conn.execute(sa.text(f"GRANT ALL ON SCHEMA public TO {role}"))
    try:
        limited = sa.engine.make_url(url).set(username=role).render_as_string(hide_password=False)
        result = run_sigkel("db", "upgrade", env={"DATABASE_URL": limited})
        assert result.returncode == 1
        assert "not enabled" in result.stderr and "CREATE EXTENSION postgis" in result.stderr
        assert "Traceback" not in result.stderr
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"REVOKE ALL ON SCHEMA public FROM {role}"))
            conn.execute(sa.text(f"DROP ROLE {role}"))
        admin.dispose()
