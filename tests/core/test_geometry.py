import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from guotu.core.errors import GeometryError
from guotu.core.features import FeatureBatch
from guotu.core.geometry import MIN_CHUNK, area_m2, find_problems, overlay, repair, require_valid

E, N = 605000.0, 3398000.0


def poly(*pts: tuple[float, float]) -> shapely.Polygon:
    return shapely.Polygon([(E + x, N + y) for x, y in pts])


BOWTIE = poly((0, 0), (100, 100), (100, 0), (0, 100))
SPIKE = poly((0, 0), (100, 0), (100, 100), (50, 100), (50, 200), (50, 100), (0, 100))
DUPLICATE = poly((0, 0), (100, 0), (100, 0), (100, 100), (0, 100))
SQUARE = shapely.box(E, N, E + 100, N + 100)


def test_bowtie_is_a_self_intersection_at_its_crossing() -> None:
    [p] = find_problems(np.array([BOWTIE]), ["地块1"])
    assert p.kind == "self_intersection"
    assert p.where == (E + 50, N + 50)
    assert "地块1" in p.message("a.geojson") and "自相交" in p.message("a.geojson")
    assert "intersects itself" in p.message("a.geojson", language="en")


def test_spike_is_named_rather_than_a_generic_self_intersection() -> None:
    problems = find_problems(np.array([SPIKE]), ["x"])
    assert [p.kind for p in problems] == ["spike"]
    assert problems[0].where == (E + 50, N + 200)


def test_duplicate_points_are_fixable() -> None:
    [p] = find_problems(np.array([DUPLICATE]), ["x"])
    assert (p.kind, p.severity) == ("duplicate_points", "fixable")


def test_valid_square_has_no_problem_and_empty_geometry_has_one() -> None:
    assert find_problems(np.array([SQUARE])) == []
    assert [p.kind for p in find_problems(np.array([shapely.Polygon()]))] == ["empty"]


def test_require_valid_raises_with_source_and_record() -> None:
    batch = FeatureBatch(np.array([SQUARE, BOWTIE]), {"name": ["a", "b"]}, epsg=4549, ids=["A", "B"])
    with pytest.raises(GeometryError) as err:
        require_valid(batch, "site.geojson")
    assert "site.geojson" in err.value.message and "B" in err.value.message


def test_repair_reports_what_it_changed() -> None:
    batch = FeatureBatch(np.array([BOWTIE, SPIKE, DUPLICATE, SQUARE]), epsg=4549, ids=["b", "s", "d", "ok"])
    fixed, notes = repair(batch)
    by = {n.record: n for n in notes}
    assert set(by) == {"b", "s", "d"}  # the valid square is untouched
    assert by["b"].parts_after == 2 and by["b"].area_after_m2 == pytest.approx(5000.0)
    assert by["b"].area_before_m2 == pytest.approx(0.0)  # the bow-tie's signed halves cancel
    assert by["s"].area_after_m2 == pytest.approx(10000.0)
    assert find_problems(fixed.geometry) == []
    assert fixed.geometry[3].equals(SQUARE)


def test_area_is_computed_in_the_metric_zone_from_degrees() -> None:
    # A 0.01° × 0.01° cell at Pinghu is about 957 m × 1112 m; never computed in degrees.
    cell = shapely.box(121.0, 30.7, 121.01, 30.71)
    a = float(area_m2(np.array([cell]), 4490)[0])
    assert 1.05e6 < a < 1.08e6


def test_overlay_pairs_and_areas() -> None:
    left = np.array([SQUARE, shapely.box(E + 300, N, E + 400, N + 100)])
    right = np.array([shapely.box(E + 50, N, E + 350, N + 100), shapely.box(E - 10, N - 10, E + 500, N + 500)])
    ov = overlay(left, right)
    got = sorted(zip(ov.left.tolist(), ov.right.tolist(), ov.area_m2.tolist(), strict=True))
    assert got == [(0, 0, 5000.0), (0, 1, 10000.0), (1, 0, 5000.0), (1, 1, 10000.0)]


def test_overlay_drops_pairs_that_only_touch() -> None:
    ov = overlay(np.array([SQUARE]), np.array([shapely.box(E + 100, N, E + 200, N + 100)]))
    assert len(ov.area_m2) == 0


coordinate = st.floats(min_value=-500, max_value=500, allow_nan=False, allow_infinity=False)


@settings(max_examples=150, deadline=None)
@given(
    site=st.tuples(coordinate, coordinate, st.floats(1, 400), st.floats(1, 400)),
    cells=st.lists(st.tuples(coordinate, coordinate, st.floats(1, 600), st.floats(1, 600)), min_size=1, max_size=12),
)
def test_overlap_never_exceeds_the_site_area(
    site: tuple[float, float, float, float], cells: list[tuple[float, float, float, float]]
) -> None:
    x, y, w, h = site
    s = shapely.buffer(shapely.box(E + x, N + y, E + x + w, N + y + h), 0)
    # the overlay layer is a coverage (non-overlapping pieces), like control lines
    raw = [shapely.box(E + a, N + b, E + a + c, N + b + d) for a, b, c, d in cells]
    pieces = []
    taken = shapely.Polygon()
    for r in raw:
        piece = shapely.difference(r, taken)
        if not piece.is_empty and piece.area > 0:
            pieces.append(piece)
            taken = shapely.union(taken, r)
    if not pieces:
        return
    ov = overlay(np.array([s]), np.array(pieces))
    site_area = float(shapely.area(s))
    assert (ov.area_m2 <= site_area * (1 + 1e-12)).all()
    assert ov.area_m2.sum() <= site_area * (1 + 1e-9)


def test_overlay_on_threads_equals_one_thread_and_skips_touching_pairs() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.uniform(0, 5000, 6000), rng.uniform(0, 5000, 6000)
    left = shapely.box(E + x, N + y, E + x + rng.uniform(5, 80, 6000), N + y + rng.uniform(5, 80, 6000))
    grid = np.array([shapely.box(E + i, N + j, E + i + 250, N + j + 250)
                     for i in range(0, 5000, 250) for j in range(0, 5000, 250)])
    one = overlay(left, grid, keep_geometry=True, workers=1)
    two = overlay(left, grid, keep_geometry=True, workers=2)
    tree = shapely.STRtree(grid)
    li, ri = tree.query(left, predicate="intersects")
    assert (~shapely.covers(grid[ri], left[li])).sum() >= 2 * MIN_CHUNK  # the cut pairs fill two threads
    assert np.array_equal(one.left, two.left) and np.array_equal(one.right, two.right)
    assert np.array_equal(one.area_m2, two.area_m2)
    # the same totals as a plain intersection of every intersecting pair
    plain = shapely.area(shapely.intersection(left[li], grid[ri]))
    assert one.area_m2.sum() == pytest.approx(plain.sum(), rel=1e-12)
    # a grid cell against the block made of its neighbours only touches it: no pair
    block = shapely.union_all(grid[1:3])
    assert len(overlay(grid[:1], np.array([block])).area_m2) == 0
