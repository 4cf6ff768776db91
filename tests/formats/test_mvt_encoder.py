"""The numpy MVT encoder: tiles decoded by ``mapbox_vector_tile`` (an independent decoder) hold the
source geometry and attributes; rings follow MVT 2.1's winding order; polygons stay valid."""

from __future__ import annotations

from typing import Any

import mapbox_vector_tile
import numpy as np
import shapely
from mapbox_vector_tile.Mapbox import vector_tile_pb2

from guotu.formats.mvt import encode_tile, to_tile_pixels, varints

BOUNDS = (0.0, 0.0, 4096.0, 4096.0)  # 1 unit = 1 pixel; y flips (row 0 at the top)


def decode(data: bytes) -> dict[str, Any]:
    return mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})  # type: ignore[no-any-return]


def pixels_of(g: Any) -> Any:
    """The source geometry in tile pixels (y down), as the decoder returns it."""
    return shapely.transform(g, lambda c: np.column_stack([c[:, 0], 4096 - c[:, 1]]))


def test_varints_match_protobuf() -> None:
    values = [0, 1, 127, 128, 255, 300, 16383, 16384, 2**31, 2**40 + 5]
    flat, n = varints(values)
    expected = b"".join(vector_tile_pb2.tile.feature(id=v).SerializeToString()[1:] for v in values)
    assert bytes(flat) == expected and n.tolist() == [1, 1, 1, 2, 2, 2, 2, 3, 5, 6]


def test_geometry_and_attributes_survive_a_decode() -> None:
    shapes = [
        shapely.box(100, 100, 500, 400),
        shapely.Polygon([(1000, 1000), (3000, 1000), (3000, 3000), (1000, 3000)],
                        [[(1500, 1500), (1500, 2000), (2000, 2000), (2000, 1500)]]),
        shapely.MultiPolygon([shapely.box(3500, 100, 3600, 200), shapely.box(3700, 300, 3900, 600)]),
        shapely.LineString([(10, 10), (300, 700), (600, 20)]),
        shapely.MultiPoint([(5, 5), (70, 90)]),
        shapely.Point(2048, 2048),
    ]
    rows: list[dict[str, Any]] = [{"name": "耕地", "n": 1, "x": 0.5, "ok": True},
            {"name": "林地", "n": -7, "x": None, "ok": False},
            {"name": "耕地", "n": None, "x": 2.25, "ok": None},
            {"name": None, "n": 3, "x": float("nan"), "ok": True},
            {"name": "水域", "n": 2**40, "x": 1.0, "ok": False},
            {"name": "", "n": 0, "x": -1.5, "ok": True}]
    fids = [11, 12, 13, 14, 15, 16]
    data = encode_tile("layer", np.array(shapes, dtype=object), rows, fids, BOUNDS)
    assert data is not None
    layer = decode(data)["layer"]
    assert layer["extent"] == 4096 and layer["version"] == 2
    got = {f["id"]: f for f in layer["features"]}
    assert sorted(got) == fids
    for fid, shape, row in zip(fids, shapes, rows, strict=True):
        feature = got[fid]
        expect = {k: v for k, v in row.items() if v is not None and v == v}
        assert feature["properties"] == {**expect, "fid": fid}
        decoded = shapely.geometry.shape(feature["geometry"])
        assert decoded.geom_type == shape.geom_type
        assert shapely.equals(decoded, pixels_of(shape)), (fid, decoded.wkt)


def test_clipping_and_snapping_to_the_grid() -> None:
    g = np.array([shapely.box(-1000, 10.4, 100.6, 50.2), shapely.box(9000, 9000, 9100, 9100),
                  shapely.box(10.1, 10.1, 10.3, 10.3)], dtype=object)
    px = to_tile_pixels(g, BOUNDS)
    assert shapely.equals(px[0], shapely.box(-64, 4096 - 50, 101, 4096 - 10))  # cut at the buffer, rounded
    assert px[1] is None and px[2] is None  # outside the buffered tile; smaller than a pixel


def _rings(data: bytes) -> list[list[list[tuple[int, int]]]]:
    """The rings of each feature, read from the raw geometry commands (cursor kept across rings)."""
    tile = vector_tile_pb2.tile()
    tile.ParseFromString(data)
    out = []
    for feature in tile.layers[0].features:
        cmds, i, x, y, rings = list(feature.geometry), 0, 0, 0, []
        ring: list[tuple[int, int]] = []
        while i < len(cmds):
            cid, count = cmds[i] & 7, cmds[i] >> 3
            i += 1
            if cid == 7:
                rings.append(ring)
                ring = []
                continue
            for _ in range(count):
                dx, dy = cmds[i], cmds[i + 1]
                x += (dx >> 1) ^ -(dx & 1)
                y += (dy >> 1) ^ -(dy & 1)
                i += 2
                if cid == 1:
                    ring = [(x, y)]
                else:
                    ring.append((x, y))
        out.append(rings)
    return out


def _shoelace(ring: list[tuple[int, int]]) -> float:
    xy = np.array(ring, dtype=float)
    x, y = xy[:, 0], xy[:, 1]
    return float((x * np.roll(y, -1) - np.roll(x, -1) * y).sum() / 2)


def test_winding_order_and_validity_of_random_cells() -> None:
    """A seeded Voronoi coverage, with holes and parts cut by the tile edge: exterior rings have a
    positive area in tile coordinates (clockwise on screen, y down), holes a negative one; rings are
    not closed by a repeated point; every decoded polygon is valid and close to its source."""
    rng = np.random.default_rng(7)
    seeds = shapely.multipoints(rng.uniform(-400, 4500, size=(400, 2)))
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=shapely.box(-500, -500, 4600, 4600)))
    holes = shapely.buffer(shapely.centroid(cells), 5)
    cells = shapely.difference(cells, holes[:40].tolist() + [shapely.Point()] * (len(cells) - 40))
    data = encode_tile("cells", cells, [{"k": i} for i in range(len(cells))], list(range(1, len(cells) + 1)), BOUNDS)
    assert data is not None
    for rings in _rings(data):
        areas = [_shoelace(r) for r in rings]
        assert areas[0] > 0 and all(r[0] != r[-1] for r in rings)
    layer = decode(data)["cells"]
    by_id = {f["id"]: shapely.geometry.shape(f["geometry"]) for f in layer["features"]}
    assert any(len(g.interiors) for g in by_id.values() if g.geom_type == "Polygon")
    visible = shapely.box(0, 0, 4096, 4096)
    for fid, got in by_id.items():
        assert got.is_valid
        want = pixels_of(cells[fid - 1]).intersection(visible)
        # inside the tile, snapping moves each vertex by at most half a pixel diagonal: the shapes differ
        # by at most a band of that width along the boundary
        differ = shapely.symmetric_difference(got.intersection(visible), want).area
        assert differ <= 0.71 * want.boundary.length, (fid, differ)
    inside = {i + 1 for i, c in enumerate(cells) if shapely.intersects(c, shapely.box(0, 0, 4096, 4096))}
    assert inside <= set(by_id)


def test_an_empty_tile_is_none() -> None:
    assert encode_tile("x", np.array([shapely.box(9000, 9000, 9100, 9100)], dtype=object), [{}], [1], BOUNDS) is None
