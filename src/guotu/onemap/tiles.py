"""Vector tiles of a layer (WebMercatorQuad, MVT) with an in-process cache that edits invalidate.

A tile is cut from the features in force on a day, read from the store by the tile's box (plus the
buffer) in CGCS2000 and moved to Web Mercator for display only. The cache key holds the layer's
revision (the id of its latest audit event), so the first request after a write builds a new tile.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import shapely

from guotu.core.crs import CGCS2000, transform_geometries
from guotu.core.tiles import WEB_MERCATOR, check_tile, tile_bounds
from guotu.formats.mvt import BUFFER, EXTENT, encode_tile
from guotu.onemap.query import as_of_day
from guotu.store.base import BBox, Store

TileKey = tuple[str, int, dt.date, int, int, int]


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0


class TileService:
    """Builds and caches the tiles of every layer of one store (LRU of ``entries`` tiles)."""

    def __init__(self, store: Store, entries: int = 2048) -> None:
        self.store = store
        self.entries = max(0, entries)
        self.stats = CacheStats()
        self._cache: OrderedDict[TileKey, bytes | None] = OrderedDict()
        self._lock = threading.Lock()

    def tile(self, layer: str, z: int, x: int, y: int, as_of: dt.date | None = None) -> bytes | None:
        """The MVT bytes of tile z/x/y of ``layer`` as of a day (default today); None for an empty tile."""
        check_tile(z, x, y)
        self.store.editions(layer)  # NotFoundError for an unknown layer (cheaper than layer(): no count)
        day = as_of_day(as_of)
        key = (layer, self.store.revision(layer), day, z, x, y)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                self.stats.hits += 1
                return self._cache[key]
        self.stats.misses += 1
        data = self._build(layer, z, x, y, day)
        if self.entries:
            with self._lock:
                self._cache[key] = data
                while len(self._cache) > self.entries:
                    self._cache.popitem(last=False)
        return data

    def _build(self, layer: str, z: int, x: int, y: int, day: dt.date) -> bytes | None:
        bounds = tile_bounds(z, x, y)
        pad = (bounds[2] - bounds[0]) * BUFFER / EXTENT
        bbox = lonlat_box((bounds[0] - pad, bounds[1] - pad, bounds[2] + pad, bounds[3] + pad))
        batch = self.store.read(layer, bbox=bbox, as_of=day)
        if len(batch) == 0:
            return None
        geoms = transform_geometries(batch.geometry, batch.epsg, WEB_MERCATOR)
        rows = list(batch.rows())
        return encode_tile(layer, geoms, rows, [int(f) for f in batch.ids or []], bounds)

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


def lonlat_box(mercator: BBox) -> BBox:
    """A Web Mercator box as the CGCS2000 lon/lat box that covers it."""
    box = shapely.segmentize(shapely.box(*mercator), (mercator[2] - mercator[0]) / 8)
    out = transform_geometries(np.array([box], dtype=object), WEB_MERCATOR, CGCS2000)[0]
    b = shapely.bounds(out)
    return (float(b[0]), float(b[1]), float(b[2]), float(b[3]))
