"""Vector tiles of a layer (WebMercatorQuad, MVT) with an in-process cache that edits invalidate tile by tile.

A tile is cut from the features in force on a day, read from the store by the tile's box (plus the
buffer) in CGCS2000 and moved to Web Mercator for display only. Cached tiles are keyed by (layer,
day, z, x, y) and remember the lon/lat box they were cut from. Before answering, the service asks the
store for the layer's revision (the id of its latest audit event); when it moved, the service reads
the audit events since the revision it last saw — written by this process or any other, e.g. the
CLI — and evicts:

- for ``write``, ``update`` and ``delete`` events carrying ``boxes`` (the lon/lat boxes of the
  changed features, old and new geometry): only the tiles, of every zoom and every day, whose
  buffered box meets one of them;
- for any other event of the layer (editions added or superseded, fields added, the layer dropped or
  created) or an event without boxes: every tile of the layer.

A tile built while the service catches up with an edit is not kept; one built while an edit commits
is kept under the revision seen before the build, and evicted by the next request's catching up if
the edit touches it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from guotu.core.crs import CGCS2000, transformer
from guotu.core.tiles import WEB_MERCATOR, check_tile, lonlat_to_mercator, mercator_to_lonlat_box, tile_bounds
from guotu.formats.mvt import BUFFER, EXTENT, Project, encode_tile
from guotu.onemap.query import as_of_day
from guotu.store.base import BBox, Store

TileKey = tuple[str, dt.date, int, int, int]
PRECISE = frozenset({"write", "update", "delete"})  # feature writes whose audit detail names their boxes


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    evicted: int = 0  # tiles dropped because an edit touched them (not LRU evictions)


@dataclass(frozen=True)
class Tile:
    """A built tile: its MVT bytes (None when empty), an ETag, and the lon/lat box it was read from."""

    data: bytes | None
    etag: str
    box: BBox


class TileService:
    """Builds and caches the tiles of every layer of one store (LRU of ``entries`` tiles)."""

    def __init__(self, store: Store, entries: int = 2048) -> None:
        self.store = store
        self.entries = max(0, entries)
        self.stats = CacheStats()
        self._cache: OrderedDict[TileKey, Tile] = OrderedDict()
        self._seen: dict[str, int] = {}  # the revision of each layer the cache is up to date with
        self._lock = threading.Lock()

    def tile(self, layer: str, z: int, x: int, y: int, as_of: dt.date | None = None) -> bytes | None:
        """The MVT bytes of tile z/x/y of ``layer`` as of a day (default today); None for an empty tile."""
        return self.entry(layer, z, x, y, as_of).data

    def entry(self, layer: str, z: int, x: int, y: int, as_of: dt.date | None = None) -> Tile:
        """The tile z/x/y of ``layer`` as of a day, from the cache or built (NotFoundError: unknown layer)."""
        check_tile(z, x, y)
        day = as_of_day(as_of)
        key = (layer, day, z, x, y)
        revision = self.sync(layer)
        with self._lock:
            hit = self._hit(key)
        if hit is not None:
            return hit
        self.stats.misses += 1  # (reading an unknown layer raises NotFoundError)
        built = self._build(layer, z, x, y, day)
        if self.entries:
            with self._lock:
                # Kept only if no edit was caught up with meanwhile. An edit committed during the build
                # but not yet caught up with is seen at the next request, and evicts this tile if it
                # touches it, as any other.
                if self._seen.get(layer) == revision:
                    self._cache[key] = built
                    while len(self._cache) > self.entries:
                        self._cache.popitem(last=False)
        return built

    def cached(self, layer: str, z: int, x: int, y: int, day: dt.date) -> Tile | None:
        """The cached tile, after catching up with the store's edits; None when it is not cached."""
        self.sync(layer)
        with self._lock:
            return self._hit((layer, day, z, x, y))

    def _hit(self, key: TileKey) -> Tile | None:
        found = self._cache.get(key)
        if found is not None:
            self._cache.move_to_end(key)
            self.stats.hits += 1
        return found

    def sync(self, layer: str) -> int:
        """Evict what the edits of ``layer`` since the last call touched; the layer's revision."""
        revision = self.store.revision(layer)
        with self._lock:
            seen = self._seen.get(layer)
            if seen == revision:
                return revision
        events = [] if seen is None else [
            (e.id, e.action, e.detail) for e in self.store.audit_events(since_id=seen)
            if e.layer == layer and e.id <= revision]
        with self._lock:
            if self._seen.get(layer) != seen:  # another thread caught up first
                return revision
            if seen is not None:
                self._evict(layer, events)
            if revision:  # 0: no such layer (yet); nothing of it is cached
                self._seen[layer] = revision
        return revision

    def _evict(self, layer: str, events: list[tuple[int, str, dict[str, Any]]]) -> None:
        keys = [k for k in self._cache if k[0] == layer]
        if not keys:
            return
        boxes: list[list[float]] = []
        for _, action, detail in events:
            given = detail.get("boxes") if isinstance(detail, dict) else None
            if action not in PRECISE or not isinstance(given, list):
                self._drop(keys)
                return
            boxes.extend(given)
        if not boxes:
            return
        changed = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        tiles = np.array([self._cache[k].box for k in keys], dtype=np.float64)
        meets = ((tiles[:, None, 0] <= changed[None, :, 2]) & (tiles[:, None, 2] >= changed[None, :, 0])
                 & (tiles[:, None, 1] <= changed[None, :, 3]) & (tiles[:, None, 3] >= changed[None, :, 1]))
        touched = np.flatnonzero(meets.any(axis=1))
        self._drop([keys[i] for i in touched.tolist()])

    def _drop(self, keys: Iterable[TileKey]) -> None:
        for k in keys:
            del self._cache[k]
            self.stats.evicted += 1

    def _build(self, layer: str, z: int, x: int, y: int, day: dt.date) -> Tile:
        bounds = tile_bounds(z, x, y)
        pad = (bounds[2] - bounds[0]) * BUFFER / EXTENT
        bbox = mercator_to_lonlat_box((bounds[0] - pad, bounds[1] - pad, bounds[2] + pad, bounds[3] + pad))
        batch = self.store.read(layer, bbox=bbox, as_of=day)
        data = None
        if len(batch):
            data = encode_tile(layer, batch.geometry, batch.attributes, np.asarray(batch.ids or [], dtype=np.int64),
                               bounds, project=_to_mercator(batch.epsg))
        return Tile(data, etag(data), bbox)

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


def etag(data: bytes | None) -> str:
    """A strong ETag of a tile's bytes."""
    return '"' + hashlib.blake2b(data or b"", digest_size=12).hexdigest() + '"'


def _to_mercator(epsg: int) -> Project:
    if epsg in (CGCS2000, 4326):  # geographic: Web Mercator is a formula of lon/lat on either datum
        return lonlat_to_mercator
    to_mercator = transformer(epsg, WEB_MERCATOR)

    def project(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.column_stack(to_mercator.transform(coords[:, 0], coords[:, 1]))

    return project
