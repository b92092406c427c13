"""A small in-process LRU cache of vector tiles, keyed by the layer's change counter."""

from __future__ import annotations

import threading
from collections import OrderedDict

__all__ = ["TileCache"]


class TileCache:
    """Thread-safe LRU of tile bytes, bounded in tiles and in bytes. A key includes the layer
    version, so a changed layer simply stops hitting its old entries, which age out."""

    def __init__(self, max_tiles: int = 4096, max_bytes: int = 64 * 1024 * 1024):
        self.max_tiles = max_tiles
        self.max_bytes = max_bytes
        self.bytes = 0
        self._data: OrderedDict[tuple, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple) -> bytes | None:
        with self._lock:
            value = self._data.get(key)
            if value is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key: tuple, value: bytes) -> None:
        if len(value) > self.max_bytes // 8:  # one huge tile must not flush everything else
            return
        with self._lock:
            old = self._data.pop(key, None)
            self.bytes -= len(old) if old is not None else 0
            self._data[key] = value
            self.bytes += len(value)
            while len(self._data) > self.max_tiles or self.bytes > self.max_bytes:
                _, dropped = self._data.popitem(last=False)
                self.bytes -= len(dropped)
