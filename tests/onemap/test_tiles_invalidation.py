"""The tile cache on both stores: an edit evicts exactly the tiles it touches (every zoom and day),
whoever makes it (this store handle or another one, as the CLI would); edition changes drop the layer."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import mapbox_vector_tile
import numpy as np
import shapely
import shapely.affinity

from guotu.core.features import FeatureBatch
from guotu.core.tiles import lonlat_to_tile
from guotu.onemap.tiles import TileService
from guotu.store import Store, open_store
from pgtest import PG_URL

LAYER = "parcels"
ORIGIN = (121.0, 30.7)
STEP = 0.004  # degrees between parcels (~400 m): a z14 tile (~2.4 km) holds several, z16 (~600 m) one or two


def grid(store: Store) -> list[int]:
    """A 12 × 12 grid of square parcels near Pinghu; their fids, row by row."""
    boxes = [shapely.box(ORIGIN[0] + i * STEP, ORIGIN[1] + j * STEP,
                         ORIGIN[0] + i * STEP + STEP / 2, ORIGIN[1] + j * STEP + STEP / 2)
             for j in range(12) for i in range(12)]
    batch = FeatureBatch(np.array(boxes, dtype=object), {"name": [f"p{k}" for k in range(len(boxes))]},
                         {"name": "TEXT"}, 4490)
    with store.transaction("test") as tx:
        tx.create_layer(LAYER, "POLYGON", {"name": "TEXT"})
        return tx.write(LAYER, batch)


def centre(i: int, j: int) -> tuple[float, float]:
    return ORIGIN[0] + i * STEP + STEP / 4, ORIGIN[1] + j * STEP + STEP / 4


def names(tiles: TileService, z: int, lon: float, lat: float, day: dt.date | None = None) -> dict[int, str]:
    x, y = lonlat_to_tile(lon, lat, z)
    data = tiles.tile(LAYER, z, x, y, day)
    if data is None:
        return {}
    return {f["id"]: f["properties"]["name"] for f in mapbox_vector_tile.decode(data)[LAYER]["features"]}


def rename(store: Store, fid: int, name: str) -> None:
    row = store.read(LAYER, fids=[fid])
    with store.transaction("test") as tx:
        tx.update(LAYER, [fid], FeatureBatch(row.geometry, {"name": [name]}, {"name": "TEXT"}, 4490))


def test_an_edit_evicts_only_the_tiles_it_touches(store: Store) -> None:
    fids = grid(store)
    tiles = TileService(store)
    near, far = centre(0, 0), centre(11, 11)  # ~6 km apart
    edited = fids[0]
    views: list[tuple[int, tuple[float, float], dt.date | None]] = [
        (z, p, d) for z in (14, 16) for p in (near, far) for d in (None, dt.date(2020, 1, 1))]
    before = {v: names(tiles, v[0], *v[1], v[2]) for v in views}
    assert before[(16, near, None)][edited] == "p0" and edited not in before[(16, far, None)]
    misses = tiles.stats.misses
    rename(store, edited, "改名")
    hits = tiles.stats.hits
    after = {v: names(tiles, v[0], *v[1], v[2]) for v in views}
    far_views = [v for v in views if v[1] == far]
    near_views = [v for v in views if v[1] == near]
    # the far tiles come from the cache, the near ones (both zooms, both days) are rebuilt with the edit
    assert tiles.stats.hits - hits == len(far_views)
    assert tiles.stats.misses - misses == len(near_views) and tiles.stats.evicted == len(near_views)
    assert all(after[v] == before[v] for v in far_views)
    assert all(after[v][edited] == "改名" for v in near_views)


def test_moves_deletes_and_other_writers_are_seen(store: Store) -> None:
    fids = grid(store)
    tiles = TileService(store)
    old, new, far = centre(0, 0), centre(5, 0), centre(11, 11)
    for p in (old, new, far):
        names(tiles, 16, *p)
    # a move, by another handle on the same store (as `guotu` on the command line would)
    other = open_store(store.location if not hasattr(store, "schema") else _pg_location(store))
    try:
        moved = shapely.affinity.translate(store.read(LAYER, fids=[fids[0]]).geometry[0], 5 * STEP, 0)
        with other.transaction("cli") as tx:
            tx.update(LAYER, [fids[0]], FeatureBatch(np.array([moved], dtype=object), {}, {}, 4490))
    finally:
        other.close()
    # Another process's commit reaches a PostGIS store by notification (store/pgnotify.py), within
    # milliseconds rather than at once: wait for it, as the next request of a real client would.
    newest = max(e.id for e in store.audit_events() if e.layer == LAYER)
    deadline = time.monotonic() + 5.0
    while store.revision(LAYER) < newest and time.monotonic() < deadline:
        time.sleep(0.01)
    hits = tiles.stats.hits
    assert fids[0] not in names(tiles, 16, *old) and fids[0] in names(tiles, 16, *new)
    assert names(tiles, 16, *far) and tiles.stats.hits == hits + 1  # only the far tile was still cached
    with store.transaction("test") as tx:
        tx.delete(LAYER, [fids[0]])
    assert fids[0] not in names(tiles, 16, *new)
    assert tiles.stats.hits == hits + 1  # the old place was rebuilt, not served
    with store.transaction("test") as tx:
        tx.write(LAYER, FeatureBatch(np.array([shapely.box(*old, old[0] + 0.001, old[1] + 0.001)], dtype=object),
                                     {"name": ["新地块"]}, {"name": "TEXT"}, 4490))
    assert "新地块" in names(tiles, 16, *old).values()
    names(tiles, 16, *far)
    assert tiles.stats.hits == hits + 2


def test_an_edition_change_drops_the_whole_layer(store: Store) -> None:
    grid(store)
    tiles = TileService(store)
    far = centre(11, 11)
    names(tiles, 16, *far)
    with store.transaction("test") as tx:
        tx.add_edition(LAYER, "2030", valid_from=dt.date(2030, 1, 1))
    misses = tiles.stats.misses
    names(tiles, 16, *far)
    assert tiles.stats.misses == misses + 1


def _pg_location(store: Any) -> str:
    return f"{PG_URL}?schema={store.schema}"
