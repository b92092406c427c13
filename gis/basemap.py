"""Local basemaps for offices without reliable internet: an MBTiles file or a z/x/y tile folder.

``SIGKEL_BASEMAP=/srv/tiles/jakarta.mbtiles`` (or a folder) makes the app serve the tiles itself at
``/basemap/{z}/{x}/{y}``, so no page needs another host at all.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

__all__ = ["LocalTiles", "is_local_basemap"]

_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "pbf": "application/vnd.mapbox-vector-tile",
}


def is_local_basemap(value: str) -> bool:
    path = Path(value).expanduser()
    return path.suffix == ".mbtiles" and path.is_file() or path.is_dir()


class LocalTiles:
    """Read tiles from an MBTiles file (TMS rows) or a folder of ``z/x/y.<ext>`` files."""

    def __init__(self, path: str):
        self.path = Path(path).expanduser().resolve()
        self.is_mbtiles = self.path.suffix == ".mbtiles"

    def _connect(self):
        return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)

    def attribution(self) -> str:
        if self.is_mbtiles:
            with self._connect() as db:
                row = db.execute("SELECT value FROM metadata WHERE name = 'attribution'").fetchone()
            if row and row[0]:
                return str(row[0])
        return "Peta dasar lokal / local basemap"

    def get(self, z: int, x: int, y: int) -> tuple[bytes, str] | None:
        """The tile and its media type, or None when the basemap has no such tile."""
        if not (0 <= z <= 24 and 0 <= x < 2**z and 0 <= y < 2**z):
            return None
        if self.is_mbtiles:
            with self._connect() as db:
                row = db.execute(
                    "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                    (z, x, 2**z - 1 - y),
                ).fetchone()
                fmt = db.execute("SELECT value FROM metadata WHERE name = 'format'").fetchone()
            return (bytes(row[0]), _TYPES.get(fmt[0] if fmt else "png", "image/png")) if row else None
        for ext, media in _TYPES.items():
            tile = self.path / str(z) / str(x) / f"{y}.{ext}"
            if tile.is_file():
                return tile.read_bytes(), media
        return None
