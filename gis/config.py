"""Settings, read once from the environment and validated.

Defaults live here; the environment overrides them (``DATABASE_URL`` and ``SIGKEL_*``). Nothing reads
``os.environ`` anywhere else.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from gis.basemap import LocalTiles, is_local_basemap
from gis.errors import ConfigError

__all__ = ["Settings", "project_root", "BASEMAPS"]

BASEMAPS = {
    "osm": (
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
    ),
    "none": (None, None),
}
_DB_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def project_root() -> Path:
    """The checkout this package runs from, or the working directory for a plain install."""
    here = Path(__file__).resolve().parents[1]
    return here if (here / "pyproject.toml").exists() else Path.cwd()


def _env_path(env, name: str, default: Path) -> Path:
    value = env.get(name)
    return Path(value).expanduser().resolve() if value else default


@dataclass(frozen=True)
class Settings:
    """Every setting of the system.

    Build one with :meth:`from_env`; pass it around rather than reading the environment again.
    """

    database_url: str | None = None
    var_dir: Path = field(default_factory=lambda: project_root() / "var")
    data_dir: Path = field(default_factory=lambda: project_root() / "data")
    db_name: str = "sigkel"
    cluster_user: str = "sigkel"
    pg_bindir: Path | None = None
    basemap: str = "osm"
    host: str = "127.0.0.1"
    port: int = 5000
    secret_key: str | None = None
    # complaint lifecycle (SIGKEL_<NAME> in upper case)
    calendar_file: Path | None = None  # default data/calendar/non_working_days.csv
    duplicate_radius_m: float = 50.0  # "is it one of these?" search radius on submit
    proof_distance_m: float = 100.0  # an "after" photo must be taken this close to the complaint
    dispute_days: int = 7  # days after closure in which the reporter may dispute it
    session_hours: float = 12.0  # staff session lifetime
    login_max_failures: int = 5  # per account per window, then the account waits
    login_ip_max_failures: int = 200  # per IP per window: many phones share one carrier IP
    login_window_minutes: int = 15
    photo_dir: Path | None = None  # default var/photos
    retention_days: int = 730  # closed complaints' personal details are removed after this many days
    proxies: int = 0  # reverse proxies in front (nginx: 1): trust that many X-Forwarded-* hops
    db_connect_timeout: int = 2  # seconds the web app waits for a connection before answering 503
    stale_max_age: int = 7 * 86400  # seconds a public answer may be served stale while the DB is down

    @classmethod
    def from_env(cls, env=None) -> Settings:
        """Read and validate settings from ``env`` (default ``os.environ``)."""
        env = os.environ if env is None else env
        root = project_root()
        port = env.get("SIGKEL_PORT", "5000")
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"SIGKEL_PORT must be a port number, got {port!r}.")
        settings = cls(
            database_url=env.get("DATABASE_URL") or None,
            var_dir=_env_path(env, "SIGKEL_VAR_DIR", root / "var"),
            data_dir=_env_path(env, "SIGKEL_DATA_DIR", root / "data"),
            db_name=env.get("SIGKEL_DB_NAME", "sigkel"),
            cluster_user=env.get("SIGKEL_CLUSTER_USER", "sigkel"),
            pg_bindir=_env_path(env, "SIGKEL_PG_BINDIR", None) if env.get("SIGKEL_PG_BINDIR") else None,
            basemap=env.get("SIGKEL_BASEMAP", "osm"),
            host=env.get("SIGKEL_HOST", "127.0.0.1"),
            port=int(port),
            secret_key=env.get("SIGKEL_SECRET_KEY") or None,
            calendar_file=_env_path(env, "SIGKEL_CALENDAR", None) if env.get("SIGKEL_CALENDAR") else None,
            photo_dir=_env_path(env, "SIGKEL_PHOTO_DIR", None) if env.get("SIGKEL_PHOTO_DIR") else None,
            **_numbers(env),
        )
        settings.validate()
        return settings

    @property
    def calendar_path(self) -> Path:
        return self.calendar_file or self.data_dir / "calendar" / "non_working_days.csv"

    @property
    def photo_path(self) -> Path:
        return self.photo_dir or self.var_dir / "photos"

    def validate(self) -> None:
        """Raise :class:`ConfigError` naming the first bad setting."""
        if not _DB_NAME.match(self.db_name):
            raise ConfigError(
                f"SIGKEL_DB_NAME must be lower-case letters, digits and _, got {self.db_name!r}."
            )
        if self.database_url and not self.database_url.startswith(("postgresql", "postgres:")):
            raise ConfigError(
                "DATABASE_URL must be a PostgreSQL URL such as postgresql://user:password@host:5432/dbname."
            )
        if self.basemap not in BASEMAPS and "{z}" not in self.basemap and not is_local_basemap(self.basemap):
            raise ConfigError(
                f"SIGKEL_BASEMAP must be osm, none, a tile URL template with {{z}}/{{x}}/{{y}}, an "
                f".mbtiles file or a tile folder; got {self.basemap!r}."
            )

    def basemap_tiles(self) -> tuple[str | None, str | None]:
        """Tile URL template and attribution of the configured basemap (``(None, None)`` for none)."""
        if self.basemap in BASEMAPS:
            return BASEMAPS[self.basemap]
        if is_local_basemap(self.basemap):
            return "/basemap/{z}/{x}/{y}", LocalTiles(self.basemap).attribution()
        return self.basemap, "Basemap: configured tile source"


_NUMBERS = {
    "duplicate_radius_m": (float, 0, 5000),
    "proof_distance_m": (float, 1, 5000),
    "dispute_days": (int, 0, 365),
    "session_hours": (float, 0.1, 24 * 30),
    "login_max_failures": (int, 1, 1000),
    "login_ip_max_failures": (int, 1, 100000),
    "login_window_minutes": (int, 1, 24 * 60),
    "proxies": (int, 0, 5),
    "retention_days": (int, 30, 3650),
    "db_connect_timeout": (int, 1, 60),
    "stale_max_age": (int, 0, 365 * 86400),
}


def _numbers(env) -> dict:
    """Numeric settings from SIGKEL_<NAME>, each checked against its range."""
    out = {}
    for name, (kind, lo, hi) in _NUMBERS.items():
        key = f"SIGKEL_{name.upper()}"
        if key not in env:
            continue
        try:
            value = kind(env[key])
        except ValueError:
            raise ConfigError(
                f"{key} must be a {'whole ' if kind is int else ''}number, got {env[key]!r}."
            ) from None
        if not lo <= value <= hi:
            raise ConfigError(f"{key} must be between {lo} and {hi}, got {value}.")
        out[name] = value
    return out
