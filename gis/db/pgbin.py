"""Find a PostgreSQL server installation that has PostGIS, or say exactly what to install."""

from __future__ import annotations

import glob
import re
import shutil
import subprocess
from pathlib import Path

from gis.errors import PostGISMissing

__all__ = ["find_pg_bindir", "install_hint"]


def install_hint(major: str | None = None) -> str:
    """The exact packages to install PostgreSQL with PostGIS on common systems."""
    pkg = f"postgresql-{major}-postgis-3" if major else "postgresql-postgis (e.g. postgresql-15-postgis-3)"
    return (
        f"Install it with: scripts/setup   (or: sudo apt-get install postgresql {pkg} on "
        "Debian/Ubuntu; sudo dnf install postgresql-server postgis on Fedora; "
        "brew install postgresql postgis on macOS)."
    )


def _major(bindir: Path) -> str | None:
    match = re.search(r"postgresql/(\d+)/bin", str(bindir))
    return match.group(1) if match else None


def _sharedir(bindir: Path) -> Path:
    pg_config = bindir / "pg_config"
    if pg_config.exists():
        out = subprocess.run([str(pg_config), "--sharedir"], capture_output=True, text=True)
        if out.returncode == 0 and out.stdout.strip():
            return Path(out.stdout.strip())
    major = _major(bindir)
    return Path(f"/usr/share/postgresql/{major}") if major else bindir.parent / "share"


def _has_server(bindir: Path) -> bool:
    return all((bindir / tool).exists() for tool in ("initdb", "pg_ctl", "postgres"))


def _has_postgis(bindir: Path) -> bool:
    return (_sharedir(bindir) / "extension" / "postgis.control").exists()


def find_pg_bindir(explicit: Path | None = None) -> Path:
    """Find a PostgreSQL server whose installation has PostGIS.

    Parameters
    ----------
    explicit : Path, optional
        ``SIGKEL_PG_BINDIR``; when given, only this directory is considered.

    Raises
    ------
    PostGISMissing
        No server, or no server with PostGIS, with the packages to install.
    """
    if explicit is not None:
        candidates = [explicit]
    else:
        debian = sorted(
            glob.glob("/usr/lib/postgresql/*/bin"),
            key=lambda p: int(re.search(r"/(\d+)/bin", p).group(1)),
            reverse=True,
        )
        on_path = [str(Path(p).parent) for p in (shutil.which("initdb"),) if p]
        candidates = [Path(p) for p in debian + on_path]
    servers = [c for c in candidates if _has_server(c)]
    if not servers:
        raise PostGISMissing("PostgreSQL server is not installed.", install_hint())
    for bindir in servers:
        if _has_postgis(bindir):
            return bindir
    major = _major(servers[0])
    raise PostGISMissing(
        f"PostGIS is not installed for the PostgreSQL server in {servers[0]}.", install_hint(major)
    )
