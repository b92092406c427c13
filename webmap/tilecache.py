"""A small in-process LRU cache of vector tiles, keyed by the layer's change counter."""

from __future__ import annotations

import threading
from collections import OrderedDict

__all__ = ["TileCache"]


class TileCache:
    """Thread-safe LRU of tile bytes. A key includes the layer version, so a changed layer simply
    stops hitting its old entries, which age out."""

    def __init__(self, max_tiles: int = 4096):
        self.max_tiles = max_tiles
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
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.max_tiles:
                self._data.popitem(last=False)
