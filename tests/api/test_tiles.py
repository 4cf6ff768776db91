"""Vector tiles: MVT decoded and checked against the store; TileJSON; the cache sees edits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mapbox_vector_tile
import pytest
import shapely
import shapely.affinity
import shapely.geometry
from fastapi.testclient import TestClient

from guotu.core.crs import transform_geometries
from guotu.core.tiles import lonlat_to_tile, tile_bounds
from guotu.store import Store

Login = Callable[[TestClient, str], dict[str, str]]
Expect = Callable[..., dict[str, str]]
BASE = "/ogc/collections/{layer}/tiles/WebMercatorQuad"


def tile_of(store: Store, layer: str, z: int) -> tuple[int, int, int, int]:
    """The tile holding a point of the first feature of ``layer``, and that feature's id."""
    batch = store.read(layer)
    p = shapely.point_on_surface(batch.geometry[0])
    x, y = lonlat_to_tile(p.x, p.y, z)
    return z, x, y, int(batch.record_id(0))


def decode(data: bytes) -> dict[str, Any]:
    return mapbox_vector_tile.decode(data)  # type: ignore[no-any-return]


def test_mvt_holds_the_features_of_the_tile(client: TestClient, demo_store: Store) -> None:
    z, x, y, _ = tile_of(demo_store, "survey", 13)
    r = client.get(f"{BASE.format(layer='survey')}/{z}/{y}/{x}")
    assert r.status_code == 200 and r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    tile = decode(r.content)
    assert list(tile) == ["survey"] and tile["survey"]["extent"] == 4096
    got = {f["properties"]["fid"]: f for f in tile["survey"]["features"]}
    # What the tile must hold: features inside the tile; what it may hold: those meeting the buffered tile.
    b = tile_bounds(z, x, y)
    pad = (b[2] - b[0]) * 64 / 4096
    batch = demo_store.read("survey")
    merc = transform_geometries(batch.geometry, 4490, 3857)
    inner = shapely.box(b[0] + 1, b[1] + 1, b[2] - 1, b[3] - 1)
    must = {int(f) for f, g in zip(batch.ids or [], merc, strict=True)
            if shapely.contains(inner, g) and shapely.area(g) > ((b[2] - b[0]) / 4096) ** 2 * 4}
    may = {int(f) for f, g in zip(batch.ids or [], merc, strict=True)
           if shapely.intersects(shapely.box(b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad), g)}
    assert must and must <= set(got) <= may
    fid = next(iter(must))
    row = demo_store.read("survey", fids=[fid])
    props = got[fid]["properties"]
    assert props == {**{k: v[0] for k, v in row.attributes.items()}, "fid": fid}
    assert got[fid]["id"] == fid and got[fid]["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_empty_and_invalid_tiles(client: TestClient, expect_error: Expect) -> None:
    url = BASE.format(layer="sites")
    x, y = lonlat_to_tile(-40.0, 0.0, 8)  # the Atlantic
    r = client.get(f"{url}/8/{y}/{x}")
    assert r.status_code == 204 and r.content == b""
    expect_error(client.get(f"{url}/a/1/1"), 400, "tiles.bad_index")
    expect_error(client.get(f"{url}/1/-1/0"), 404, "tiles.out_of_grid")
    expect_error(client.get(f"{url}/3/8/0"), 404, "tiles.out_of_grid")
    expect_error(client.get(f"{url}/25/0/0"), 404, "tiles.bad_zoom")
    expect_error(client.get(f"{BASE.format(layer='nope')}/3/3/6"), 404, "store.unknown_layer")
    expect_error(client.get("/ogc/collections/sites/tiles/WorldCRS84Quad/3/3/6"), 404, "tiles.unknown_matrix_set")
    expect_error(client.get(f"{url}/3/3/6", params={"datetime": "soon"}), 400, "query.bad_date")


def test_tilejson_and_tileset_metadata(client: TestClient, demo_store: Store) -> None:
    doc = client.get(f"{BASE.format(layer='dev_boundary')}/tilejson.json", params={"datetime": "2024-06-27"}).json()
    assert doc["tilejson"] == "3.0.0" and doc["minzoom"] == 0 and doc["maxzoom"] >= 14
    assert doc["tiles"][0].endswith("/ogc/collections/dev_boundary/tiles/WebMercatorQuad/{z}/{y}/{x}"
                                    "?datetime=2024-06-27")
    assert doc["bounds"] == pytest.approx(list(demo_store.layer("dev_boundary").bounds or []))
    layer = doc["vector_layers"][0]
    assert layer["id"] == "dev_boundary" and set(layer["fields"]) == {"fid", *demo_store.layer("dev_boundary").fields}
    meta = client.get(BASE.format(layer="dev_boundary")).json()
    assert meta["dataType"] == "vector" and meta["tileMatrixSetURI"].endswith("WebMercatorQuad")
    assert any(link["rel"] == "item" and link["templated"] for link in meta["links"])
    assert client.get("/ogc/collections/dev_boundary/tiles").json()["tilesets"][0]["dataType"] == "vector"
    tms = client.get("/ogc/tileMatrixSets/WebMercatorQuad").json()
    assert tms["tileMatrices"][3]["matrixWidth"] == 8


def test_datetime_switches_the_edition_in_tiles(client: TestClient, demo_store: Store) -> None:
    import datetime as dt

    old = {int(f) for f in demo_store.read("dev_boundary", as_of=dt.date(2024, 6, 27)).ids or []}
    new = demo_store.read("dev_boundary", as_of=dt.date(2024, 6, 28))
    added = [i for i, f in enumerate(new.ids or []) if int(f) not in old]
    p = shapely.point_on_surface(new.geometry[added[0]] if added else new.geometry[0])
    x, y = lonlat_to_tile(p.x, p.y, 12)

    def fids(day: str) -> set[int]:
        r = client.get(f"{BASE.format(layer='dev_boundary')}/12/{y}/{x}", params={"datetime": day})
        return set() if r.status_code == 204 else {f["id"] for f in decode(r.content)["dev_boundary"]["features"]}

    before, after = fids("2024-06-27"), fids("2024-06-28")
    assert before and after and before != after
    assert before <= old and not (after & old - {int(f) for f in new.ids or []})


def test_an_edit_is_visible_in_the_next_tile(rw_client: TestClient, rw_store: Store, login_as: Login) -> None:
    z, x, y, fid = tile_of(rw_store, "sites", 14)
    url = f"{BASE.format(layer='sites')}/{z}/{y}/{x}"

    def site() -> dict[str, Any]:
        features = decode(rw_client.get(url).content)["sites"]["features"]
        return next(f for f in features if f["id"] == fid)

    before = site()
    assert rw_client.get(url).status_code == 200  # served from the cache
    tiles = rw_client.app.state.guotu.tiles  # type: ignore[attr-defined]
    assert tiles.stats.hits >= 1
    geometry = rw_store.read("sites", fids=[fid]).geometry[0]
    smaller = shapely.affinity.scale(geometry, 0.5, 0.5)
    feature = {"type": "Feature", "properties": {"name": "已调整的项目"},
               "geometry": shapely.geometry.mapping(smaller)}
    r = rw_client.put(f"/api/layers/sites/features/{fid}", json=feature, headers=login_as(rw_client, "planner"))
    assert r.status_code == 200, r.text
    after = site()
    assert before["properties"]["name"] != "已调整的项目" and after["properties"]["name"] == "已调整的项目"
    assert after["geometry"] != before["geometry"]
    rw_client.delete(f"/api/layers/sites/features/{fid}", headers=login_as(rw_client, "planner"))
    r = rw_client.get(url)
    assert r.status_code == 204 or fid not in {f["id"] for f in decode(r.content)["sites"]["features"]}

