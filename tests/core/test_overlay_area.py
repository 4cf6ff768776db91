"""The compiled overlay-area kernel against GEOS: every area it certifies equals GEOS's intersection area."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from guotu.core.geometry import overlay
from guotu.core.overlay_area import pair_areas

E, N = 600_000.0, 3_400_000.0  # a place in EPSG:4549


def geos_areas(left: Any, right: Any, li: Any, ri: Any) -> Any:
    """GEOS's areas, computed near the origin: at projected coordinates (600 km, 3,400 km) GEOS's
    overlay of free-hand curves loses up to 1e-4 relative (measured), the kernel does not."""
    def near_origin(g: Any) -> Any:
        return shapely.transform(g, lambda c: c - [E, N]) if shapely.total_bounds(g)[0] > E / 2 else g
    return shapely.area(shapely.intersection(near_origin(left)[li], near_origin(right)[ri]))


def check_pairs(left: list[Any], right: list[Any]) -> tuple[Any, Any]:
    """All pairs of the two lists: certified areas equal GEOS's; returns (areas, exact)."""
    a = np.array(left, dtype=object)
    b = np.array(right, dtype=object)
    li, ri = (x.ravel() for x in np.meshgrid(np.arange(len(a)), np.arange(len(b)), indexing="ij"))
    areas, exact = pair_areas(a, b, li, ri)
    expected = geos_areas(a, b, li, ri)
    scale = np.maximum(shapely.area(a[li]), shapely.area(b[ri]))
    bad = exact & (np.abs(areas - expected) > 1e-9 * scale + 1e-9)
    assert not bad.any(), [(a[li[k]].wkt, b[ri[k]].wkt, areas[k], expected[k]) for k in np.flatnonzero(bad)[:3]]
    return areas, exact


def test_plain_cases_are_exact() -> None:
    sq = shapely.box(0, 0, 10, 10)
    cases = [
        (sq, shapely.box(-5, -5, 20, 20), 100.0),  # covered
        (shapely.box(2, 2, 4, 4), sq, 4.0),  # inside, no shared edge
        (sq, shapely.box(10, 0, 20, 10), 0.0),  # a shared edge, running the other way: touching
        (sq, shapely.box(10, 10, 20, 20), 0.0),  # a shared corner
        (sq, sq, 100.0),  # identical: every edge shared the same way
        (sq, shapely.Polygon([(5, -3), (13, 5), (5, 13), (-3, 5)]), 100.0 - 4 * 2.0),  # crossings only
        (sq, shapely.box(0, 0, 10, 10).difference(shapely.box(2, 2, 8, 8)), 64.0),  # a hole
        (sq, shapely.box(20, 20, 30, 30), 0.0),  # far apart
    ]
    for a, b, area in cases:
        areas, exact = pair_areas(np.array([a]), np.array([b]), np.array([0]), np.array([0]))
        assert exact[0], (a.wkt, b.wkt)
        assert areas[0] == pytest.approx(area, abs=1e-12)


def test_orientation_of_the_input_does_not_matter() -> None:
    cw = shapely.Polygon([(0, 0), (0, 10), (10, 10), (10, 0)])
    ccw = shapely.Polygon([(0, 0), (10, 0), (10, 10), (0, 10)])
    other = shapely.Polygon([(5, 5), (5, 20), (20, 20), (20, 5)])
    for a in (cw, ccw):
        areas, exact = pair_areas(np.array([a]), np.array([other]), np.array([0]), np.array([0]))
        assert exact[0] and areas[0] == pytest.approx(25.0)
    assert list(cw.exterior.coords) == [(0, 0), (0, 10), (10, 10), (10, 0), (0, 0)]  # the input is not touched


def test_a_vertex_on_an_edge_is_handed_back_not_guessed() -> None:
    # (5, 0) lies inside the edge (0, 0)-(10, 0): a T-junction, which float arithmetic cannot certify
    _, exact = pair_areas(np.array([shapely.box(0, 0, 10, 10)]), np.array([shapely.box(5, 0, 20, 10)]),
                          np.array([0]), np.array([0]))
    assert not exact[0]


def test_overlay_hands_uncertain_pairs_to_geos() -> None:
    rng = np.random.default_rng(11)
    n = 3000
    left = shapely.box(E + rng.integers(0, 400, n), N, E + 1000, N + 10)  # vertices on the right's edges
    right = np.array([shapely.box(E + 100 * i, N, E + 100 * i + 100, N + 10) for i in range(10)])
    li, ri = shapely.STRtree(right).query(left)
    _, exact = pair_areas(left, right, li, ri)
    assert (~exact).sum() > 0  # the fallback is exercised
    ov = overlay(left, right)
    plain = overlay(left, right, keep_geometry=True)  # the GEOS path
    assert np.array_equal(ov.left, plain.left) and np.array_equal(ov.right, plain.right)
    np.testing.assert_allclose(ov.area_m2, plain.area_m2, rtol=1e-12, atol=1e-9)


def voronoi_coverage(n: int, seed: int) -> Any:
    rng = np.random.default_rng(seed)
    box = shapely.box(E, N, E + 2000, N + 2000)
    pts = shapely.multipoints(np.column_stack([rng.uniform(E, E + 2000, n), rng.uniform(N, N + 2000, n)]))
    cells = shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=box))
    cells = shapely.intersection(cells, box)
    cells = shapely.segmentize(cells, 40.0)
    return shapely.set_precision(cells, 0.001)


def test_a_coverage_against_unions_of_its_cells_is_all_certified_and_equal_to_geos() -> None:
    # the survey / permanent-farmland case: blocks drawn from the patches share their vertices exactly
    cells = voronoi_coverage(3000, 5)
    rng = np.random.default_rng(6)
    seeds = rng.integers(0, 60, len(cells))
    blocks = [shapely.union_all(cells[seeds == k]) for k in range(0, 60, 2)]
    blocks = [b for b in blocks if not b.is_empty]
    # and a few free-hand blobs cutting across cells, like a development boundary
    blobs = [shapely.Point(E + 300 + 500 * i, N + 700 + 300 * (i % 2)).buffer(250 + 40 * i, 7) for i in range(3)]
    right = np.array([*blocks, *blobs], dtype=object)
    li, ri = shapely.STRtree(right).query(cells)
    areas, exact = pair_areas(cells, right, li, ri)
    assert exact.all()
    expected = geos_areas(cells, right, li, ri)
    np.testing.assert_allclose(areas, expected, rtol=1e-9, atol=1e-6)
    assert (areas == 0).sum() > len(li) // 4  # many pairs only touch, and they measure exactly zero


# Random polygons on a coarse integer grid: shared vertices, shared and collinear edges, T-junctions,
# holes and multipolygons come up all the time.
coord = st.integers(0, 6)


@st.composite
def grid_polygon(draw: Any) -> Any:
    kind = draw(st.sampled_from(["boxes", "hull", "triangle"]))
    if kind == "boxes":
        boxes = draw(st.lists(st.tuples(coord, coord, st.integers(1, 3), st.integers(1, 3)), min_size=1, max_size=4))
        g = shapely.union_all([shapely.box(x, y, x + w, y + h) for x, y, w, h in boxes])
        cut = draw(st.booleans())
        if cut:
            x, y = draw(coord), draw(coord)
            g = shapely.difference(g, shapely.box(x + 0.25, y + 0.25, x + 0.75, y + 0.75))
    elif kind == "hull":
        pts = draw(st.lists(st.tuples(coord, coord), min_size=3, max_size=7))
        g = shapely.convex_hull(shapely.multipoints(pts))
    else:
        pts = draw(st.lists(st.tuples(coord, coord), min_size=3, max_size=3))
        g = shapely.Polygon(pts)
    if g.geom_type not in ("Polygon", "MultiPolygon") or g.is_empty or not g.is_valid or g.area == 0:
        g = shapely.box(0, 0, 1, 1)
    return g


@settings(max_examples=300, deadline=None)
@given(st.lists(grid_polygon(), min_size=1, max_size=4), st.lists(grid_polygon(), min_size=1, max_size=4))
def test_certified_areas_equal_geos_on_degenerate_grid_polygons(left: list[Any], right: list[Any]) -> None:
    check_pairs(left, right)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**31))
def test_certified_areas_equal_geos_on_random_floating_polygons(seed: int) -> None:
    rng = np.random.default_rng(seed)
    polys = []
    for _ in range(6):
        c = rng.uniform(0, 100, 2)
        r = rng.uniform(5, 40, 8)
        ang = np.sort(rng.uniform(0, 2 * np.pi, 8))
        polys.append(shapely.make_valid(shapely.Polygon(np.column_stack([c[0] + r * np.cos(ang),
                                                                          c[1] + r * np.sin(ang)]))))
    polys = [p for p in polys if p.geom_type in ("Polygon", "MultiPolygon") and p.area > 0]
    if polys:
        _, exact = check_pairs(polys, polys)
        assert exact.mean() > 0.9  # general position: the kernel decides nearly every pair itself


def test_kernel_launches_from_two_threads_at_once_are_safe() -> None:
    # an API server measures on several threads; numba's default pool must not see two launches at once
    from concurrent.futures import ThreadPoolExecutor

    cells = voronoi_coverage(1500, 8)
    blocks = np.array([shapely.union_all(cells[k::7]) for k in range(7)], dtype=object)
    li, ri = shapely.STRtree(blocks).query(cells)
    expected, _ = pair_areas(cells, blocks, li, ri)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: pair_areas(cells, blocks, li, ri)[0], range(8)))
    for r in results:
        assert np.array_equal(r, expected)


# Two parcels of the demo ledger whose common boundary was cut at different points: a vertex of one
# lies a rounding error (1e-10 m) off the other's edge. A midpoint there is no more precise than the
# coordinates, so its side cannot be trusted; before the kernel knew that, it reported 16.64 m² of
# overlap where GEOS finds 1.6e-6.
NEAR_A = (
    "MULTIPOLYGON (((616647.7423731202 3396944.7820692547, 616641.7477707532 3396964.6332437624, 616629.2"
    "75577612 3397005.934933557, 616616.8033844716 3397047.2366233515, 616604.3311913323 3397088.53831314"
    "76, 616599.9099648786 3397103.1791774966, 616618.395289228 3397137.146195785, 616619.5951294184 3397"
    "109.4070787756, 616665.6823624321 3397111.4005553476, 616711.7695954469 3397113.3940319195, 616709.8"
    "404389553 3397157.9942474463, 616709.5213442559 3397165.3713954003, 616723.50736329 3397169.59488571"
    "57, 616735.979556431 3397128.2931959215, 616748.4517495731 3397086.9915061267, 616760.9239427116 339"
    "7045.6898163315, 616773.3961358536 3397004.3881265377, 616785.868328994 3396963.0864367434, 616741.9"
    "855406277 3396949.8348091505, 616698.1027522609 3396936.5831815605, 616692.6048813164 3396934.922934"
    "9424, 616654.2199638931 3396923.331553968, 616647.7423731202 3396944.7820692547)))"
)
NEAR_B = (
    "MULTIPOLYGON (((616677.6165261691 3397245.9677174343, 616705.9821259726 3397247.1946784994, 616707.9"
    "11282463 3397202.594462972, 616709.8404389553 3397157.9942474463, 616711.7695954469 3397113.39403191"
    "95, 616665.6823624321 3397111.4005553476, 616619.5951294184 3397109.4070787756, 616618.395289228 339"
    "7137.1461957856, 616677.6165261691 3397245.9677174343)))"
)


def test_points_within_rounding_of_an_edge_are_handed_back() -> None:
    a, b = shapely.from_wkt(NEAR_A), shapely.from_wkt(NEAR_B)
    _, exact = pair_areas(np.array([a, b]), np.array([b, a]), np.array([0, 1]), np.array([0, 1]))
    assert not exact.any()
    assert overlay(np.array([a]), np.array([b])).area_m2.sum() < 1e-3  # GEOS measures the pair instead


@st.composite
def cut_boundaries(draw: Any) -> tuple[Any, Any]:
    """Two neighbours at projected coordinates sharing a boundary that each cut at its own points."""
    x0, y0 = E + draw(st.floats(0, 1000)), N + draw(st.floats(0, 1000))
    w = draw(st.floats(5, 400))
    h = draw(st.floats(5, 400))
    skew = draw(st.floats(-50, 50))
    left = shapely.Polygon([(x0, y0), (x0 + w, y0 + skew), (x0 + w + skew, y0 + h), (x0, y0 + h)])
    right = shapely.Polygon([(x0 + w, y0 + skew), (x0 + 2 * w, y0), (x0 + 2 * w, y0 + h), (x0 + w + skew, y0 + h)])
    left = shapely.segmentize(left, draw(st.floats(1, 200)))
    if draw(st.booleans()):
        right = shapely.segmentize(right, draw(st.floats(1, 200)))
    return left, right


@settings(max_examples=200, deadline=None)
@given(cut_boundaries())
def test_certified_areas_equal_geos_where_boundaries_are_cut_differently(pair: tuple[Any, Any]) -> None:
    left, right = pair
    assume(left.is_valid and right.is_valid)
    check_pairs([left, right], [right, left])
