"""A project-local PostGIS cluster under ``var/``, started and stopped by ``sigkel`` itself.

The cluster listens on a unix socket only (``listen_addresses=''``), so it never collides with a
server already on port 5432. It is built from the machine's PostgreSQL and PostGIS packages.
``initdb`` refuses to run as root, so when we are root the cluster belongs to an unprivileged OS user
(``SIGKEL_CLUSTER_USER``, default ``sigkel``) and every server command runs as that user.

Guarantees:

* initdb writes into a temporary directory that is renamed into place only when complete, so a crash
  never leaves a half-created cluster;
* start and stop are idempotent and serialised by a file lock, so two ``sigkel`` processes can ask at
  once;
* a stale ``postmaster.pid`` or socket lock left by ``kill -9`` or a power cut is recognised and
  removed (after checking that no live postmaster owns it) before starting.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from gis.db.pgbin import find_pg_bindir, install_hint
from gis.errors import ClusterError

__all__ = ["EmbeddedCluster", "ClusterStatus", "find_pg_bindir", "install_hint"]

_PORT = 5432  # only names the socket file; there is no TCP listener
_SOCKET_MAX = 100  # unix socket paths are limited to ~107 bytes


def _world_traversable(path: Path) -> bool:
    """True when every existing ancestor of ``path`` lets other users pass through."""
    for folder in [path, *path.parents]:
        if folder.exists() and not folder.stat().st_mode & stat.S_IXOTH:
            return False
    return True


def _reachable_var_dir(var_dir: Path) -> Path:
    """``var_dir``, or a stable folder under /var/lib/sigkel when we are root and the cluster's
    unprivileged OS user could not reach ``var_dir`` (a checkout under /root, for instance)."""
    if os.geteuid() != 0 or _world_traversable(var_dir):
        return var_dir
    digest = hashlib.sha1(str(var_dir).encode()).hexdigest()[:12]
    return Path("/var/lib/sigkel") / f"{var_dir.parent.name}-{digest}"


@dataclass(frozen=True)
class ClusterStatus:
    """What ``sigkel db status`` shows."""

    initialized: bool
    running: bool
    pid: int | None
    data_dir: Path
    socket_dir: Path
    url: str

    def describe(self) -> str:
        state = "running" if self.running else ("stopped" if self.initialized else "not created yet")
        lines = [f"Embedded PostGIS: {state}", f"  data:   {self.data_dir}"]
        if self.running:
            lines += [f"  pid:    {self.pid}", f"  socket: {self.socket_dir}", f"  url:    {self.url}"]
        return "\n".join(lines)


class EmbeddedCluster:
    """Manage the project-local cluster.

    Parameters
    ----------
    var_dir : Path
        Where the cluster lives (``pgdata/``, ``run/``, ``log/``).
    db_name : str
        The application database created on start.
    os_user : str
        The OS user that owns the cluster when we run as root.
    bindir : Path, optional
        PostgreSQL binaries; found automatically when omitted.
    """

    def __init__(
        self, var_dir: Path, db_name: str = "sigkel", os_user: str = "sigkel", bindir: Path | None = None
    ):
        self.requested_var_dir = Path(var_dir).resolve()
        self.var_dir = _reachable_var_dir(self.requested_var_dir)
        self.data_dir = self.var_dir / "pgdata"
        self.log_file = self.var_dir / "log" / "postgres.log"
        self.db_name = db_name
        self._os_user = os_user
        self._bindir = bindir
        self._bindir_checked = False

    @classmethod
    def from_settings(cls, settings) -> EmbeddedCluster:
        return cls(settings.var_dir, settings.db_name, settings.cluster_user, settings.pg_bindir)

    # -- paths and identity -------------------------------------------------------------------

    @property
    def socket_dir(self) -> Path:
        """``var/run``, or a short directory under the system temp dir when that path is too long."""
        local = self.var_dir / "run"
        if len(str(local / f".s.PGSQL.{_PORT}")) <= _SOCKET_MAX:
            return local
        digest = hashlib.sha1(str(self.var_dir).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"sigkel-{digest}"

    @property
    def db_role(self) -> str:
        return "sigkel"

    def url(self, db_name: str | None = None) -> str:
        """SQLAlchemy URL of a database in this cluster (socket connection, trust auth)."""
        return (
            f"postgresql+psycopg://{self.db_role}@/{db_name or self.db_name}"
            f"?host={self.socket_dir}&port={_PORT}"
        )

    def _run_as(self) -> pwd.struct_passwd | None:
        """The OS user server commands run as: None means ourselves (not root)."""
        if os.geteuid() != 0:
            return None
        try:
            return pwd.getpwnam(self._os_user)
        except KeyError:
            self._create_os_user()
            return pwd.getpwnam(self._os_user)

    def _create_os_user(self) -> None:
        cmd = [
            "useradd",
            "--system",
            "--no-create-home",
            "--shell",
            "/usr/sbin/nologin",
            "--user-group",
            self._os_user,
        ]
        try:
            out = subprocess.run(cmd, capture_output=True, text=True)
        except FileNotFoundError:
            raise ClusterError(
                "useradd is not available to create the OS user that owns the embedded database.",
                "Run as root with a full PATH (su -), or set SIGKEL_CLUSTER_USER to an existing user.",
            ) from None
        if out.returncode not in (0, 9):  # 9: already exists (race with another process)
            raise ClusterError(
                f"Could not create the OS user {self._os_user!r} that owns the embedded database "
                f"(initdb refuses to run as root): {out.stderr.strip()}",
                "Create it yourself (useradd --system sigkel) or set SIGKEL_CLUSTER_USER.",
            )

    def _bin(self, tool: str) -> str:
        if not self._bindir_checked:
            self._bindir = find_pg_bindir(self._bindir)
            self._bindir_checked = True
        return str(self._bindir / tool)

    def _cmd(self, args: list[str], check: bool = True, timeout: float = 120):
        user = self._run_as()
        kwargs = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []} if user else {}
        env = {**os.environ, "LC_ALL": "C.UTF-8", "PGTZ": "UTC"}
        try:
            out = subprocess.run(
                args, capture_output=True, text=True, env=env, timeout=timeout, cwd="/", **kwargs
            )
        except subprocess.TimeoutExpired:
            raise ClusterError(
                f"{Path(args[0]).name} did not finish within {timeout:.0f} s.",
                f"See {self.log_file}; the machine may be overloaded.",
            ) from None
        if check and out.returncode != 0:
            raise ClusterError(
                f"{Path(args[0]).name} failed: {(out.stderr or out.stdout).strip()[-800:]}",
                f"See {self.log_file} for the server log.",
            )
        return out

    def _own(self, *paths: Path) -> None:
        user = self._run_as()
        uid = user.pw_uid if user else os.geteuid()
        for path in paths:
            path.mkdir(parents=True, exist_ok=True)
            if user:
                os.chown(path, user.pw_uid, user.pw_gid)
            info = path.stat()
            if info.st_uid != uid:
                raise ClusterError(
                    f"{path} belongs to another user; refusing to use it for the database socket or files.",
                    "Remove it, or set SIGKEL_VAR_DIR.",
                )
            path.chmod(0o700)
        if user:
            self._check_reachable(user)

    def _check_reachable(self, user) -> None:
        probe = subprocess.run(
            ["test", "-w", str(self.var_dir / "run")],
            user=user.pw_uid,
            group=user.pw_gid,
            extra_groups=[],
            cwd="/",
        )
        if probe.returncode != 0:
            raise ClusterError(
                f"The OS user {user.pw_name!r} that runs the embedded database cannot reach "
                f"{self.var_dir} (a parent folder is not readable by other users).",
                "Set SIGKEL_VAR_DIR to a folder that user can reach, e.g. /var/lib/sigkel.",
            )

    @contextlib.contextmanager
    def _locked(self):
        self.var_dir.mkdir(parents=True, exist_ok=True)
        with open(self.var_dir / "cluster.lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # -- life cycle -----------------------------------------------------------------------------

    @property
    def initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def init(self) -> bool:
        """Create the cluster if it does not exist yet. Returns True when it was created."""
        with self._locked():
            return self._init_unlocked()

    def _init_unlocked(self) -> bool:
        if self.initialized:
            return False
        self._bin("initdb")  # raises PostGISMissing before anything is created
        staging = self.var_dir / "pgdata.initdb"
        shutil.rmtree(staging, ignore_errors=True)  # left by a crash during an earlier initdb
        self._own(self.var_dir / "run", self.log_file.parent, staging)
        staging.chmod(0o700)
        self._cmd(
            [
                self._bin("initdb"),
                "-D",
                str(staging),
                "-U",
                self.db_role,
                "-E",
                "UTF8",
                "--no-locale",
                "--auth=trust",
                "--no-instructions",
            ]
        )
        with open(staging / "postgresql.conf", "a") as conf:
            conf.write(
                "\n# sigkel embedded cluster: unix socket only, modest memory for a 2-core box\n"
                "listen_addresses = ''\nunix_socket_permissions = 0700\n"
                "max_connections = 60\nshared_buffers = 256MB\n"
                "work_mem = 32MB\nmaintenance_work_mem = 256MB\ntimezone = 'UTC'\n"
            )
        staging.rename(self.data_dir)
        return True

    def pid(self) -> int | None:
        """PID of the live postmaster that owns this data directory, or None."""
        pidfile = self.data_dir / "postmaster.pid"
        try:
            lines = pidfile.read_text().splitlines()
            pid = int(lines[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if self._is_our_postmaster(pid) else None

    def _is_our_postmaster(self, pid: int) -> bool:
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return False
        names = [Path(a.decode(errors="replace")).name for a in argv[:1]]
        return names == ["postgres"] and str(self.data_dir).encode() in argv

    def _clear_stale(self) -> list[Path]:
        """Remove a pid file and socket lock that no live postmaster of ours owns."""
        if self.pid() is not None:
            return []
        removed = []
        for path in (
            self.data_dir / "postmaster.pid",
            self.socket_dir / f".s.PGSQL.{_PORT}.lock",
            self.socket_dir / f".s.PGSQL.{_PORT}",
        ):
            if path.exists() or path.is_symlink():
                path.unlink()
                removed.append(path)
        return removed

    @property
    def running(self) -> bool:
        return self.pid() is not None

    def start(self, timeout: float = 60) -> bool:
        """Create if needed, then start and wait until the database accepts connections.

        Returns True when this call started the server, False when it was already running.
        """
        with self._locked():
            self._init_unlocked()
            if self.running:
                self._ensure_database()
                return False
            self._own(self.var_dir / "run", self.socket_dir, self.log_file.parent)
            self._start_postmaster(timeout)
            self._ensure_database()
            return True

    def _start_postmaster(self, timeout: float) -> None:
        # Trust auth is safe only because nobody but the owner (and root) can reach the socket.
        options = f"-k '{self.socket_dir}' -p {_PORT} -c listen_addresses='' -c unix_socket_permissions=0700"
        deadline = time.monotonic() + timeout
        while True:
            self._clear_stale()
            out = self._cmd(
                [
                    self._bin("pg_ctl"),
                    "start",
                    "-D",
                    str(self.data_dir),
                    "-w",
                    "-t",
                    str(int(timeout)),
                    "-l",
                    str(self.log_file),
                    "-o",
                    options,
                ],
                check=False,
                timeout=timeout + 30,
            )
            if out.returncode == 0:
                return
            log_tail = self._log_tail()
            # After kill -9 the old children take a moment to notice and release shared memory.
            if "still in use" in log_tail and time.monotonic() < deadline:
                time.sleep(0.5)
                continue
            raise ClusterError(
                "The embedded PostGIS server did not start.",
                f"Last lines of {self.log_file}:\n{log_tail}",
            )

    def _log_tail(self, lines: int = 8) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 60, mode: str = "fast") -> bool:
        """Stop the server (``fast`` shutdown; ``immediate`` is a crash, as on power loss, which the
        reliability run uses). Returns True when it was running."""
        with self._locked():
            if not self.running:
                self._clear_stale()
                return False
            self._cmd(
                [
                    self._bin("pg_ctl"),
                    "stop",
                    "-D",
                    str(self.data_dir),
                    "-m",
                    mode,
                    "-w",
                    "-t",
                    str(int(timeout)),
                ]
            )
            return True

    def status(self) -> ClusterStatus:
        pid = self.pid()
        return ClusterStatus(
            self.initialized, pid is not None, pid, self.data_dir, self.socket_dir, self.url()
        )

    # -- databases --------------------------------------------------------------------------------

    def _psycopg(self, db_name: str):
        import psycopg

        try:
            return psycopg.connect(
                host=str(self.socket_dir),
                port=_PORT,
                user=self.db_role,
                dbname=db_name,
                autocommit=True,
                connect_timeout=10,
            )
        except psycopg.OperationalError as exc:
            raise ClusterError(
                f"Cannot connect to the embedded database: {str(exc).strip()}",
                f"See {self.log_file}, or run `sigkel db stop` and start it again.",
            ) from None

    def client_count(self) -> int:
        """Client connections other than the one asking (0 when the server is not running)."""
        if not self.running:
            return 0
        with self._psycopg("postgres") as conn:
            return conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = "
                "'client backend' AND pid <> pg_backend_pid()"
            ).fetchone()[0]

    def _ensure_database(self) -> None:
        self.create_database(self.db_name, exist_ok=True)

    def create_database(self, name: str, exist_ok: bool = False, postgis: bool = True) -> str:
        """Create a database (with PostGIS enabled) and return its URL."""
        from psycopg import sql

        with self._psycopg("postgres") as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if exists and not exist_ok:
                raise ClusterError(f"Database {name!r} already exists in the embedded cluster.")
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        if postgis:
            with self._psycopg(name) as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, disconnecting its sessions first."""
        from psycopg import sql

        with self._psycopg("postgres") as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
