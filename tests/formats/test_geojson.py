"""GeoJSON import and export: good files, RFC 7946 round trip, and every refusal naming file and feature."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely

from guotu.core.crs import transform_geometries
from guotu.core.errors import CRSError, EncodingError, FormatError, GeometryError
from guotu.core.geometry import area_m2
from guotu.onemap.service import export_layer, import_file
from guotu.store import Store
from guotu.store.gpkg import GpkgStore

# Pinghu, lon/lat (CGCS2000) and EPSG:4549 metres (3° GK, CM 120°E, no zone prefix).
LON, LAT = 121.02, 30.70
EAST, NORTH = 605_000.0, 3_398_000.0


def ring(x: float, y: float, side: float = 0.001, *, clockwise: bool = False) -> list[list[float]]:
    pts = [[x, y], [x + side, y], [x + side, y + side], [x, y + side], [x, y]]
    return pts[::-1] if clockwise else pts


def feature(fid: Any, rings: list[list[list[float]]], **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "id": fid, "properties": props, "geometry": {"type": "Polygon", "coordinates": rings}}


def write(path: Path, features: list[dict[str, Any]], **extra: Any) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", **extra, "features": features}, ensure_ascii=False),
                    encoding="utf-8")
    return path


def polygon(f: dict[str, Any]) -> shapely.Geometry:
    return shapely.from_geojson(json.dumps(f["geometry"]))


def assert_same_shape(stored: shapely.Geometry, expected: shapely.Geometry, tol: float = 1e-9) -> None:
    """Stored MultiPolygon of one part == the input Polygon, vertex by vertex within ``tol``."""
    parts = shapely.get_parts(stored)
    assert len(parts) == 1, stored.wkt
    assert shapely.equals_exact(parts[0], expected, tolerance=tol), f"{parts[0].wkt} != {expected.wkt}"


GOOD = [
    feature("DK-001", [ring(LON, LAT)], dlmc="水田", zldwmc="平湖市当湖街道", bsm=1, mj=1.25),
    feature("DK-002", [ring(LON + 0.002, LAT), ring(LON + 0.0023, LAT + 0.0003, 0.0002, clockwise=True)],
            dlmc="旱地", zldwmc="平湖市乍浦镇", bsm=2, mj=None),
    feature("DK-003", [ring(LON + 0.004, LAT + 0.01, 0.0005)], dlmc="水田", zldwmc="平湖市当湖街道", bsm=3, mj=0.5),
]

BOWTIE = feature("BT-7", [[[121.05, 30.70], [121.051, 30.701], [121.051, 30.70], [121.05, 30.701], [121.05, 30.70]]],
                 dlmc="水田", zldwmc="平湖市当湖街道", bsm=7, mj=1.0)


def test_good_feature_collection_into_a_new_store(tmp_path: Path) -> None:
    src = write(tmp_path / "good.geojson", GOOD)
    store = GpkgStore(tmp_path / "new.gpkg", create=True)
    try:
        result = import_file(store, src, "dltb")
        assert (result.layer, result.count, result.created) == ("dltb", 3, True)
        assert (result.source, result.source_epsg, result.encoding) == (str(src), 4490, "utf-8")
        assert result.repairs == []

        info = store.layer("dltb")
        assert info.geometry_type == "MULTIPOLYGON"
        assert info.fields == {"dlmc": "TEXT", "zldwmc": "TEXT", "bsm": "INTEGER", "mj": "REAL"}
        assert info.count == 3

        batch = store.read("dltb")
        assert batch.epsg == 4490
        assert batch.attributes == {
            "dlmc": ["水田", "旱地", "水田"],
            "zldwmc": ["平湖市当湖街道", "平湖市乍浦镇", "平湖市当湖街道"],
            "bsm": [1, 2, 3],
            "mj": [1.25, None, 0.5],
        }
        for stored, f in zip(batch.geometry, GOOD, strict=True):
            assert_same_shape(stored, polygon(f))
        assert shapely.get_num_interior_rings(shapely.get_parts(batch.geometry[1])[0]) == 1

        imports = [e for e in store.audit_events() if e.action == "import"]
        assert len(imports) == 1
        assert imports[0].layer == "dltb"
        assert imports[0].detail["source"] == str(src) and imports[0].detail["count"] == 3
    finally:
        store.close()


def test_rfc7946_round_trip(seeded: Store, tmp_path: Path) -> None:
    # A clockwise exterior with a counterclockwise hole: legal input, but RFC 7946 output must be reoriented.
    cw = feature("CW", [ring(LON, LAT, clockwise=True), ring(LON + 0.0003, LAT + 0.0003, 0.0002)],
                 dlmc="水田", bsm=10, mj=2.5)
    src = write(tmp_path / "in.geojson", [cw, *GOOD[:1]])
    import_file(seeded, src, "parcels")
    out = tmp_path / "out" / "parcels.geojson"
    assert export_layer(seeded, "parcels", out) == 2

    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection"
    assert "crs" not in doc  # RFC 7946: always lon/lat WGS84-compatible, no crs member
    assert [f["properties"]["dlmc"] for f in doc["features"]] == ["水田", "水田"]
    for f in doc["features"]:
        assert f["type"] == "Feature"
        polygons = f["geometry"]["coordinates"] if f["geometry"]["type"] == "MultiPolygon" else [
            f["geometry"]["coordinates"]]
        for poly in polygons:
            exterior, *holes = poly
            assert all(121.0 < x < 121.1 and 30.65 < y < 30.75 for x, y in exterior), "lon, lat order"
            assert shapely.is_ccw(shapely.linearrings(exterior)), f"exterior of {f['id']} is not counterclockwise"
            for hole in holes:
                assert not shapely.is_ccw(shapely.linearrings(hole)), f"hole of {f['id']} is not clockwise"

    result = import_file(seeded, out, "again")
    assert result.count == 2
    first, again = seeded.read("parcels"), seeded.read("again")
    assert again.attributes == first.attributes
    assert again.fields == first.fields
    for a, b in zip(first.geometry, again.geometry, strict=True):
        assert shapely.equals_exact(shapely.normalize(a), shapely.normalize(b), tolerance=1e-9)
    # and the original input, not only the stored copy
    for f, b in zip([cw, GOOD[0]], again.geometry, strict=True):
        assert shapely.equals_exact(shapely.normalize(shapely.multipolygons([polygon(f)])), shapely.normalize(b),
                                    tolerance=1e-9)


def test_bowtie_is_refused_naming_the_feature(tmp_path: Path, refused: Any) -> None:
    src = write(tmp_path / "bow.geojson", [*GOOD, BOWTIE])
    exc = refused(src, GeometryError)
    assert exc.key == "geometry.problem"
    assert exc.params["record"] == "BT-7"
    assert str(src) in exc.message
    assert "BT-7" in exc.message
    assert "自相交" in exc.message
    assert "121.0505" in exc.params["where"]  # where the edges cross


def test_bowtie_with_repair_becomes_two_parts(seeded: Store, tmp_path: Path) -> None:
    src = write(tmp_path / "bow.geojson", [*GOOD, BOWTIE])
    result = import_file(seeded, src, "bow", allow_repair=True)
    assert result.count == 4
    assert [n.record for n in result.repairs] == ["BT-7"]
    note = result.repairs[0]
    assert "self_intersection" in note.fixed
    assert (note.parts_before, note.parts_after) == (1, 2)
    # The two triangles of a bow-tie drawn on a square cover half of the square.
    half = float(area_m2(np.array([shapely.box(121.05, 30.70, 121.051, 30.701)]), 4490)[0]) / 2
    assert note.area_after_m2 == pytest.approx(half, rel=1e-4)

    batch = seeded.read("bow")
    repaired = batch.geometry[3]
    assert repaired.geom_type == "MultiPolygon"
    assert shapely.get_num_geometries(repaired) == 2
    assert shapely.is_valid(repaired)
    assert float(area_m2(np.array([repaired]), 4490)[0]) == pytest.approx(half, rel=1e-4)
    for stored, f in zip(batch.geometry[:3], GOOD, strict=True):
        assert_same_shape(stored, polygon(f))  # the valid features are not touched
    assert batch.attributes["bsm"] == [1, 2, 3, 7]
    audit = [e for e in seeded.audit_events() if e.action == "import"][-1]
    assert audit.detail["repaired"] == ["BT-7"]


def test_unclosed_ring_names_feature_and_ring(tmp_path: Path, refused: Any) -> None:
    hole = ring(LON + 0.0023, LAT + 0.0003, 0.0002)[:-1]  # the hole is not closed
    bad = feature("U-3", [ring(LON + 0.002, LAT), hole], dlmc="水田")
    src = write(tmp_path / "unclosed.geojson", [GOOD[0], bad, GOOD[2]])
    exc = refused(src, FormatError)
    assert exc.key == "geojson.unclosed_ring"
    assert (exc.params["record"], exc.params["part"], exc.params["ring"]) == ("U-3", 1, 2)
    assert str(src) in exc.message
    assert "要素 U-3" in exc.message and "第 2 个环" in exc.message


def test_malformed_json_gives_line_and_column(tmp_path: Path, refused: Any) -> None:
    lines = [
        "{",
        '  "type": "FeatureCollection",',
        '  "features": [',
        '    {"type": "Feature", "properties": {"dlmc": "水田"},, "geometry": null}',
        "  ]",
        "}",
    ]
    src = tmp_path / "broken.geojson"
    src.write_text("\n".join(lines), encoding="utf-8")
    exc = refused(src, FormatError)
    assert exc.key == "geojson.bad_json"
    assert exc.params["line"] == 4
    assert exc.params["column"] == lines[3].index(",,") + 2  # the second comma, 1-based
    assert str(src) in exc.message
    assert f"第 4 行第 {exc.params['column']} 列" in exc.message


def test_not_utf8_is_an_encoding_error(tmp_path: Path, refused: Any) -> None:
    src = tmp_path / "gbk.geojson"
    text = json.dumps({"type": "FeatureCollection", "features": [GOOD[0]]}, ensure_ascii=False)
    src.write_bytes(text.encode("gbk"))
    exc = refused(src, EncodingError)
    assert exc.key == "geojson.not_utf8"
    start = text.encode("gbk").index("水田".encode("gbk"))
    assert start <= exc.params["offset"] < start + 4  # the first undecodable byte is inside 水田
    assert str(src) in exc.message


def test_swapped_axes_are_refused(tmp_path: Path, refused: Any) -> None:
    swapped = feature("SW-2", [[[y, x] for x, y in ring(LON + 0.002, LAT)]], dlmc="水田")
    src = write(tmp_path / "swapped.geojson", [GOOD[0], swapped])
    exc = refused(src, CRSError)
    assert exc.key == "crs.axes_swapped_geographic"
    assert exc.params["record"] == "SW-2"
    assert str(src) in exc.message and "SW-2" in exc.message
    assert "(30.700000, 121.022000)" in exc.message


def test_metres_without_crs_member_are_refused(tmp_path: Path, refused: Any) -> None:
    src = write(tmp_path / "metres.geojson", [feature("M-1", [ring(EAST, NORTH, 100.0)], dlmc="水田")])
    exc = refused(src, CRSError)
    assert exc.key == "crs.metres_for_degrees"
    assert exc.params["record"] == "M-1" and exc.params["epsg"] == 4490
    assert str(src) in exc.message and "M-1" in exc.message and "--crs" in exc.message


@pytest.mark.parametrize("name", ["urn:ogc:def:crs:EPSG::4549", "EPSG:4549"])
def test_legacy_crs_member_with_metres(seeded: Store, tmp_path: Path, name: str) -> None:
    metric = [
        feature("P-1", [ring(EAST, NORTH, 100.0)], dlmc="水田"),
        feature("P-2", [ring(EAST + 300, NORTH, 60.0), ring(EAST + 310, NORTH + 10, 20.0, clockwise=True)],
                dlmc="旱地"),
    ]
    src = write(tmp_path / "gk.geojson", metric, crs={"type": "name", "properties": {"name": name}})
    result = import_file(seeded, src, "gk")
    assert result.source_epsg == 4549
    batch = seeded.read("gk")
    assert batch.epsg == 4490
    lon0, lat0, lon1, lat1 = batch.bounds()
    assert 121.0 < lon0 < lon1 < 121.2 and 30.6 < lat0 < lat1 < 30.8  # stored as lon/lat near Pinghu
    expected = np.array([100.0 * 100.0, 60.0 * 60.0 - 20.0 * 20.0])
    assert shapely.area(np.array([polygon(f) for f in metric])) == pytest.approx(expected)
    np.testing.assert_allclose(area_m2(batch.geometry, 4490), expected, rtol=1e-6, atol=0)
    back = transform_geometries(batch.geometry, 4490, 4549)
    for g, f in zip(back, metric, strict=True):
        assert_same_shape(g, polygon(f), tol=1e-5)  # 0.01 mm after 4549 → 4490 → 4549


def test_zone_prefixed_easting_declared_as_4549(seeded: Store, tmp_path: Path, refused: Any) -> None:
    prefixed = [feature("Z-1", [ring(40_000_000 + EAST, NORTH, 100.0)], dlmc="水田")]
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4549"}}
    src = write(tmp_path / "prefixed.geojson", prefixed, crs=crs)
    exc = refused(src, CRSError)
    assert exc.key == "crs.zone_prefix_unexpected"
    assert (exc.params["record"], exc.params["found"], exc.params["suggested"]) == ("Z-1", 40, 4528)
    assert str(src) in exc.message and "Z-1" in exc.message and "EPSG:4528" in exc.message
    # With the CRS the message suggests, the same file goes in (the argument overrides the crs member).
    result = import_file(seeded, src, "prefixed", crs=4528)
    assert result.source_epsg == 4528
    assert float(area_m2(seeded.read("prefixed").geometry, 4490)[0]) == pytest.approx(10_000.0, rel=1e-6)


def test_degrees_declared_as_metres(tmp_path: Path, refused: Any) -> None:
    src = write(tmp_path / "degrees.geojson", GOOD)
    exc = refused(src, CRSError, crs=4549)
    assert exc.key == "crs.degrees_for_metres"
    assert exc.params["record"] == "DK-001" and exc.params["epsg"] == 4549
    assert str(src) in exc.message and "DK-001" in exc.message


@pytest.mark.parametrize("content", [b"", b" \n\t\r\n"], ids=["zero-bytes", "whitespace"])
def test_empty_file(tmp_path: Path, refused: Any, content: bytes) -> None:
    src = tmp_path / "empty.geojson"
    src.write_bytes(content)
    exc = refused(src, FormatError)
    assert exc.key == "formats.empty_file"
    assert exc.params["path"] == str(src)
    assert str(src) in exc.message


def test_feature_collection_without_features(tmp_path: Path, refused: Any) -> None:
    src = write(tmp_path / "none.geojson", [])
    exc = refused(src, FormatError)
    assert exc.key == "formats.no_features"
    assert str(src) in exc.message


@pytest.mark.parametrize("name", ["urn:foo:bar", "EPSG:999999", "urn:ogc:def:crs:EPSG::999999"])
def test_crs_member_that_cannot_be_used_is_refused_naming_the_file(tmp_path: Path, refused: Any, name: str) -> None:
    src = write(tmp_path / "odd.geojson", [feature("P-1", [ring(EAST, NORTH, 100.0)])],
                crs={"type": "name", "properties": {"name": name}})
    exc = refused(src, CRSError)
    assert exc.key == "geojson.bad_crs"
    assert str(src) in exc.message and name in exc.message and "--crs" in exc.message


@pytest.mark.parametrize("name", ["urn:ogc:def:crs:OGC:1.3:CRS84", "CRS:84", "EPSG:4326"])
def test_crs_member_naming_lon_lat(seeded: Store, tmp_path: Path, name: str) -> None:
    src = write(tmp_path / "crs84.geojson", GOOD, crs={"type": "name", "properties": {"name": name}})
    result = import_file(seeded, src, "lonlat")
    assert result.source_epsg == 4490
    for stored, f in zip(seeded.read("lonlat").geometry, GOOD, strict=True):
        assert_same_shape(stored, polygon(f))
