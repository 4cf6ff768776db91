"""FlatGeometries: WKB in (every flavour, byte order and dimension), WKB out (bare, GeoPackage)."""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from guotu.core.flatgeom import FlatGeometries, byte_strings, flatten, parse_wkb
from guotu.store import gpkgbin

# --- strategies -----------------------------------------------------------------------------------

coord = st.floats(min_value=-1e7, max_value=1e7, allow_nan=False, allow_infinity=False)
xy = st.tuples(coord, coord)


def _ring(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    return [*points, points[0]]


points = st.one_of(st.just(shapely.Point()), xy.map(shapely.Point))
lines = st.one_of(st.just(shapely.LineString()), st.lists(xy, min_size=2, max_size=6).map(shapely.LineString))
rings = st.lists(xy, min_size=3, max_size=6).map(_ring)


def _polygon(shell: list[tuple[float, float]], holes: list[list[tuple[float, float]]]) -> shapely.Polygon:
    """A polygon whose holes lie within the shell's bounding box (GEOS takes a polygon's bounds from its
    shell alone, so a hole outside the shell would give other bounds than its coordinates)."""
    (x0, y0), (x1, y1) = np.min(shell, axis=0), np.max(shell, axis=0)
    inside = [[(min(max(x, x0), x1), min(max(y, y0), y1)) for x, y in h] for h in holes]
    return shapely.Polygon(shell, inside)


polygons = st.one_of(st.just(shapely.Polygon()), st.builds(_polygon, rings, st.lists(rings, max_size=3)))


def _multi(members: st.SearchStrategy[Any], make: Any, empty: Any) -> st.SearchStrategy[Any]:
    return st.one_of(st.just(empty), st.lists(members, min_size=1, max_size=4).map(make))


multipoints = _multi(points, shapely.multipoints, shapely.MultiPoint())
multilines = _multi(lines, shapely.multilinestrings, shapely.MultiLineString())
multipolygons = _multi(polygons, shapely.multipolygons, shapely.MultiPolygon())
geometry = st.one_of(st.none(), points, lines, polygons, multipoints, multilines, multipolygons)
geometries = st.lists(geometry, max_size=12).map(lambda gs: np.array([*gs, None], dtype=object)[:-1])


def iso_wkb(g: Any) -> list[bytes | None]:
    return shapely.to_wkb(g, output_dimension=2, byte_order=1, flavor="iso").tolist()  # type: ignore[no-any-return]


def flat(g: Any) -> FlatGeometries:
    f = flatten(g)
    assert f is not None
    return f


def same_nan(a: Any, b: Any) -> None:
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))  # NaN equals NaN here


# --- a reference WKB writer with every option (for M, ZM and mixed byte orders) --------------------

_CODES = {"Point": 1, "LineString": 2, "Polygon": 3, "MultiPoint": 4, "MultiLineString": 5, "MultiPolygon": 6}


def write_wkb(g: Any, *, little: bool, dims: str, ewkb: bool, srid: int | None = None, flip: bool = False) -> bytes:
    """WKB of ``g`` with extra Z/M values (``dims`` "", "Z", "M" or "ZM"), ISO or EWKB (with SRID on the
    outer header), ``flip`` writing the members of a Multi* in the other byte order."""
    e = "<" if little else ">"
    base = _CODES[g.geom_type]
    if ewkb:
        code = base | (0x80000000 if "Z" in dims else 0) | (0x40000000 if "M" in dims else 0)
        code |= 0x20000000 if srid is not None else 0
    else:
        code = base + {"": 0, "Z": 1000, "M": 2000, "ZM": 3000}[dims]
    out = bytes([1 if little else 0]) + struct.pack(e + "I", code)
    if ewkb and srid is not None:
        out += struct.pack(e + "I", srid)
    extra = [3.25, -4.5][: len(dims)]

    def coords(cs: Any) -> bytes:
        return b"".join(struct.pack(e + "d" * (2 + len(extra)), x, y, *extra) for x, y in cs)

    if base == 1:
        if g.is_empty:
            return out + struct.pack(e + "d" * (2 + len(extra)), *[float("nan")] * (2 + len(extra)))
        return out + coords([(g.x, g.y)])
    if base == 2:
        cs = shapely.get_coordinates(g)
        return out + struct.pack(e + "I", len(cs)) + coords(cs)
    if base == 3:
        rs = [] if g.is_empty else [g.exterior, *g.interiors]
        out += struct.pack(e + "I", len(rs))
        for r in rs:
            cs = shapely.get_coordinates(r)
            out += struct.pack(e + "I", len(cs)) + coords(cs)
        return out
    parts = list(g.geoms)
    out += struct.pack(e + "I", len(parts))
    for p in parts:
        out += write_wkb(p, little=little != flip, dims=dims, ewkb=ewkb)
    return out


def test_reference_writer_agrees_with_shapely() -> None:
    g = shapely.from_wkt("MULTIPOLYGON (((0 0, 4 0, 4 4, 0 0), (1 1, 2 1, 2 2, 1 1)), EMPTY)")
    assert write_wkb(g, little=True, dims="", ewkb=False) == shapely.to_wkb(g, output_dimension=2, byte_order=1,
                                                                             flavor="iso")
    z = shapely.force_3d(g, 3.25)
    assert write_wkb(g, little=False, dims="Z", ewkb=True, srid=4490) == shapely.to_wkb(
        shapely.set_srid(z, 4490), output_dimension=3, byte_order=0, flavor="extended", include_srid=True)


# --- encode ---------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(geometries)
def test_encode_is_shapely_iso_wkb_and_bounds_are_shapely_bounds(g: Any) -> None:
    f = flat(g)
    assert len(f) == len(g)
    assert byte_strings(*f.encode()) == iso_wkb(g)
    same_nan(f.bounds().reshape(-1, 4), shapely.bounds(g).reshape(-1, 4))


@settings(max_examples=150, deadline=None)
@given(geometries)
def test_encode_gpkg_header_is_gpkgbin(g: Any) -> None:
    assert byte_strings(*flat(g).encode(gpkg_srs_id=4490)) == gpkgbin.encode(g, 4490)


_PROMOTE = {"Point": shapely.multipoints, "LineString": shapely.multilinestrings, "Polygon": shapely.multipolygons}


def _promoted(g: Any, promote: Any) -> list[bytes | None]:
    out = []
    for geom, up in zip(g, promote, strict=True):
        if up and geom is not None:
            geom = _PROMOTE[geom.geom_type]([geom])
        out.append(None if geom is None else shapely.to_wkb(geom, output_dimension=2, byte_order=1, flavor="iso"))
    return out


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.none(), points, lines, polygons), max_size=10), st.data())
def test_promote_writes_a_single_as_its_one_member_multi(singles: list[Any], data: st.DataObject) -> None:
    g = np.array([*singles, None], dtype=object)[:-1]
    promote = np.array(data.draw(st.lists(st.booleans(), min_size=len(g), max_size=len(g))), dtype=np.bool_)
    f = flat(g)
    assert byte_strings(*f.encode(promote=promote)) == _promoted(g, promote)
    with_header = byte_strings(*f.encode(promote=promote, gpkg_srs_id=4490))
    assert with_header == gpkgbin.encode(shapely.from_wkb(_promoted(g, promote)), 4490)


def test_promote_of_every_single_kind() -> None:
    g = np.array([shapely.Point(1, 2), shapely.LineString([(0, 0), (1, 1)]), shapely.box(0, 0, 1, 1),
                  shapely.Point(), shapely.LineString(), shapely.Polygon()], dtype=object)
    got = shapely.from_wkb(byte_strings(*flat(g).encode(promote=np.ones(len(g), dtype=np.bool_))))
    assert list(shapely.get_type_id(got)) == [4, 5, 6, 4, 5, 6]
    assert shapely.equals(got[:3], g[:3]).all()


def test_promote_of_wrong_length_is_refused() -> None:
    f = flat(np.array([shapely.Point(1, 2)], dtype=object))
    with pytest.raises(ValueError):
        f.encode(promote=np.ones(2, dtype=np.bool_))


def test_gpkg_header_of_an_empty_geometry_has_the_empty_flag_and_no_envelope() -> None:
    [blob] = byte_strings(*flat(np.array([shapely.Polygon()], dtype=object)).encode(gpkg_srs_id=4490))
    assert blob is not None
    assert blob[:4] == b"GP\x00\x11" and struct.unpack("<i", blob[4:8]) == (4490,)
    assert blob[8:] == shapely.to_wkb(shapely.Polygon(), flavor="iso", byte_order=1)
    [box] = byte_strings(*flat(np.array([shapely.box(1, 2, 3, 4)], dtype=object)).encode(gpkg_srs_id=4490))
    assert box is not None and struct.unpack_from("<4d", box, 8) == (1.0, 3.0, 2.0, 4.0)  # minx maxx miny maxy


def test_all_missing_and_no_geometries_encode_to_nothing() -> None:
    buf, offsets = flat(np.array([None, None], dtype=object)).encode()
    assert len(buf) == 0 and list(offsets) == [0, 0, 0]
    f = flat(np.array([], dtype=object))
    assert len(f) == 0 and byte_strings(*f.encode()) == [] and f.bounds().shape == (0, 4)


# --- parse_wkb: the flavours ------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(geometries)
def test_big_endian_ewkb_and_3d_parse_as_the_2d_little_endian_form(g: Any) -> None:
    expected = iso_wkb(g)
    big = shapely.to_wkb(g, output_dimension=2, byte_order=0, flavor="iso").tolist()
    ewkb = shapely.to_wkb(shapely.set_srid(g, 4490), include_srid=True, flavor="extended").tolist()
    z = shapely.force_3d(g, 12.5)
    iso_z = shapely.to_wkb(z, output_dimension=3, byte_order=1, flavor="iso").tolist()
    ewkb_z_big = shapely.to_wkb(shapely.set_srid(z, 4490), output_dimension=3, byte_order=0, flavor="extended",
                                include_srid=True).tolist()
    for blobs in (big, ewkb, iso_z, ewkb_z_big):
        f = parse_wkb(blobs)
        assert f is not None
        assert byte_strings(*f.encode()) == expected
        same_nan(f.bounds().reshape(-1, 4), shapely.bounds(g).reshape(-1, 4))


@settings(max_examples=150, deadline=None)
@given(geometries, st.sampled_from(["", "Z", "M", "ZM"]), st.booleans(), st.booleans(), st.booleans(),
       st.booleans())
def test_every_dimension_flavour_and_byte_order_parses_as_2d(g: Any, dims: str, little: bool, ewkb: bool,
                                                              srid: bool, flip: bool) -> None:
    blobs = [None if x is None else write_wkb(x, little=little, dims=dims, ewkb=ewkb, srid=4490 if srid else None,
                                              flip=flip) for x in g]
    f = parse_wkb(blobs)
    assert f is not None
    assert byte_strings(*f.encode()) == iso_wkb(g)


def test_m_and_zm_from_shapely_drop_the_measures() -> None:
    for wkt in ("POINT M (1 2 4)", "POINT ZM (1 2 3 4)", "LINESTRING M (0 0 1, 5 5 2)",
                "MULTIPOLYGON ZM (((0 0 1 2, 4 0 1 2, 4 4 1 2, 0 0 1 2)))"):
        g = shapely.from_wkt(wkt)
        for flavor in ("iso", "extended"):
            f = parse_wkb([shapely.to_wkb(g, output_dimension=4, flavor=flavor)])
            assert f is not None, (wkt, flavor)
            assert byte_strings(*f.encode()) == [shapely.to_wkb(g, output_dimension=2, flavor="iso", byte_order=1)]


# --- parse_wkb: what has no flat form ----------------------------------------------------------------

BOX = shapely.to_wkb(shapely.box(0, 0, 1, 1), flavor="iso", byte_order=1)


def test_geometry_collection_has_no_flat_form() -> None:
    gc = shapely.to_wkb(shapely.from_wkt("GEOMETRYCOLLECTION (POINT (1 2))"), flavor="iso")
    assert parse_wkb([gc]) is None
    assert parse_wkb([BOX, None, gc]) is None
    assert flatten(np.array([shapely.box(0, 0, 1, 1), shapely.from_wkt("GEOMETRYCOLLECTION EMPTY")])) is None


@pytest.mark.parametrize("code", [0, 7, 8, 9, 10, 15, 17, 99, 1007, 4001, 0x20000007])
def test_unknown_type_codes_have_no_flat_form(code: int) -> None:
    blob = b"\x01" + struct.pack("<I", code) + struct.pack("<I", 0) * 5  # room for an SRID, a count or more
    assert parse_wkb([blob]) is None
    assert parse_wkb([BOX, blob]) is None


def test_bad_byte_order_and_wrong_member_type_have_no_flat_form() -> None:
    assert parse_wkb([b"\x02" + BOX[1:]]) is None
    point = shapely.to_wkb(shapely.Point(1, 2), flavor="iso", byte_order=1)
    assert parse_wkb([b"\x01" + struct.pack("<II", 6, 1) + point]) is None  # a MultiPolygon holding a Point
    assert parse_wkb([b"\x01" + struct.pack("<II", 4, 1) + point]) is not None  # the MultiPoint is fine


@settings(max_examples=100, deadline=None)
@given(geometry.filter(lambda x: x is not None), st.booleans(), st.booleans())
def test_truncated_wkb_has_no_flat_form(g: Any, big: bool, ewkb: bool) -> None:
    blob = write_wkb(g, little=not big, dims="", ewkb=ewkb, srid=4490 if ewkb else None)
    assert parse_wkb([blob]) is not None
    for cut in range(1, len(blob)):
        assert parse_wkb([blob[:cut]]) is None, cut
        assert parse_wkb([BOX, blob[:cut], None]) is None, cut


@settings(max_examples=100, deadline=None)
@given(geometry.filter(lambda x: x is not None), st.binary(min_size=1, max_size=20))
def test_trailing_bytes_have_no_flat_form(g: Any, garbage: bytes) -> None:
    blob = shapely.to_wkb(g, output_dimension=2, byte_order=1, flavor="iso")
    assert parse_wkb([blob + garbage]) is None
    assert parse_wkb([blob + garbage, BOX]) is None


# --- rows, with_xy, coordinate_rows, polygon_rings ---------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(geometries, st.data())
def test_rows_encode_as_the_slice(g: Any, data: st.DataObject) -> None:
    lo = data.draw(st.integers(0, len(g)))
    hi = data.draw(st.integers(lo, len(g)))
    part = flat(g).rows(lo, hi)
    assert len(part) == hi - lo
    assert byte_strings(*part.encode()) == iso_wkb(g[lo:hi])
    same_nan(part.bounds().reshape(-1, 4), shapely.bounds(g[lo:hi]).reshape(-1, 4))
    sub = flat(g[lo:hi])
    for name in ("kinds", "geom_parts", "part_rings", "ring_coords", "xy"):
        np.testing.assert_array_equal(getattr(part, name), getattr(sub, name), err_msg=name)


EXAMPLE = np.array([
    shapely.Polygon([(0, 0), (10, 0), (10, 10), (0, 0)], [[(1, 1), (2, 1), (2, 2), (1, 1)]]),
    shapely.LineString([(5, 5), (6, 7)]),
    None,
    shapely.from_wkt("MULTIPOLYGON (((20 20, 30 20, 30 30, 20 20)), EMPTY,"
                     " ((40 40, 50 40, 50 50, 40 40), (41 41, 42 41, 42 42, 41 41)))"),
    shapely.Point(),
    shapely.from_wkt("MULTIPOINT (EMPTY, (3 4), (5 6))"),
    shapely.Polygon(),
    shapely.box(100, 100, 101, 102),
], dtype=object)


def test_with_xy_moves_the_coordinates_and_refuses_a_wrong_shape() -> None:
    f = flat(EXAMPLE)
    moved = f.with_xy(f.xy * 2 + np.array([1.0, -3.0]))
    expected = shapely.transform(EXAMPLE, lambda c: c * 2 + np.array([1.0, -3.0]))
    assert byte_strings(*moved.encode()) == iso_wkb(expected)
    assert byte_strings(*f.encode()) == iso_wkb(EXAMPLE)  # the original is untouched
    for shape in [(len(f.xy), 3), (len(f.xy) + 1, 2), (len(f.xy) * 2,), (2, len(f.xy))]:
        with pytest.raises(ValueError):
            f.with_xy(np.zeros(shape))


def test_with_xy_takes_fortran_order_and_other_dtypes() -> None:
    f = flat(EXAMPLE)
    moved = f.with_xy(np.asfortranarray(f.xy.astype(np.float32)))
    assert moved.xy.flags.c_contiguous and moved.xy.dtype == np.float64
    assert byte_strings(*moved.encode()) == iso_wkb(EXAMPLE)  # the example's values are exact in float32


def test_coordinate_rows_are_shapely_coordinate_indices() -> None:
    f = flat(EXAMPLE)
    coords, index = shapely.get_coordinates(EXAMPLE, return_index=True)
    np.testing.assert_array_equal(f.xy, coords)
    np.testing.assert_array_equal(f.coordinate_rows(), index)


def test_polygon_rings_are_the_rings_of_polygons_and_their_parts() -> None:
    f = flat(EXAMPLE)
    rings, owner = f.polygon_rings()
    got = [(int(o), f.xy[f.ring_coords[r] : f.ring_coords[r + 1]].tolist()) for r, o in zip(rings, owner,
                                                                                               strict=True)]
    expected = []
    for i, g in enumerate(EXAMPLE):
        if g is None or g.geom_type not in ("Polygon", "MultiPolygon"):
            continue
        for ring in shapely.get_rings(shapely.get_parts(g)):
            expected.append((i, shapely.get_coordinates(ring).tolist()))
    assert got == expected
    assert len(got) == 6  # 2 of the holed polygon, 3 of the multipolygon, 1 of the box
    # single polygons agree with shapely's own index
    polys = np.array([g is not None and g.geom_type == "Polygon" for g in EXAMPLE])
    _, shapely_owner = shapely.get_rings(EXAMPLE[polys], return_index=True)
    np.testing.assert_array_equal(owner[np.isin(owner, np.flatnonzero(polys))], np.flatnonzero(polys)[shapely_owner])


def test_bounds_and_envelope_of_a_polygon_come_from_its_shell_as_in_geos() -> None:
    # Invalid (the hole lies outside the shell), but its bounds must still agree with GEOS's and the
    # GeoPackage envelope with gpkgbin's: the shell's.
    g = np.array([shapely.Polygon([(0, 0), (1, 0), (1, 1), (0, 0)], [[(5, 5), (6, 5), (6, 6), (5, 5)]]),
                  shapely.MultiPolygon([shapely.Polygon([(0, 0), (1, 0), (1, 1), (0, 0)],
                                                        [[(5, 5), (6, 5), (6, 6), (5, 5)]])])], dtype=object)
    flat = flatten(g)
    assert flat is not None
    np.testing.assert_array_equal(flat.bounds(), shapely.bounds(g))
    assert byte_strings(*flat.encode(gpkg_srs_id=4490)) == gpkgbin.encode(g, 4490)
