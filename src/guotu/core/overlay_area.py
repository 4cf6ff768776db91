"""Intersection areas of polygon pairs without building the pieces (a compiled kernel, both cores).

A county overlay only needs the area of each (left, right) overlap. Building every piece with GEOS
costs most of the time, and on real data most pairs are trivial: a survey patch inside its farmland
block, or a neighbour that only shares an edge with it. This kernel computes the area of A ∩ B
directly from the rings by Green's theorem — the boundary of A ∩ B is made of

- the parts of A's edges inside B,
- the parts of B's edges inside A,
- the edges A and B share running the same way (interiors on the same side; edges shared in
  opposite directions separate A from B and bound nothing),

and the area is the shoelace sum over those directed pieces (rings oriented: shells counter-clockwise,
holes clockwise). Edges are split where they cross properly; each sub-edge is classified by its
midpoint (crossing number). Every orientation of input vertices is computed with Shewchuk's error
bound, and a computed point (a midpoint, a crossing) is trusted only farther than its own rounding
error (a few units in the last place of the coordinates) from every edge: when a sign is not certain
(a vertex on or within rounding of another edge, collinear partial overlaps, crossings closer than
rounding) the kernel does not guess — it flags the pair, and the caller computes it with GEOS.
Shared vertices and identical shared edges (coverages such as a survey and the farmland drawn from
it) are decided exactly.

    pair_areas(left, right, li, ri) -> (areas, exact)   # exact[k] False: compute pair k another way
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from numba import njit, prange

from guotu.core.geometry import hilbert_order

GeomArray = npt.NDArray[Any]

# Shewchuk's ccwerrboundA = (3 + 16 eps) eps with eps = 2^-53, doubled for margin.
_ERRBOUND = 2.0 * (3.0 + 16.0 * 2.0**-53) * 2.0**-53


class Rings:
    """Polygon or multipolygon geometries as flat arrays: coordinates, ring ranges, bounds.

    Rings are oriented for the kernel (shells counter-clockwise, holes clockwise) on a copy of the
    coordinates; the geometries themselves are not touched.
    """

    def __init__(self, geoms: GeomArray) -> None:
        geoms = np.asarray(geoms, dtype=object)
        bounds = shapely.bounds(geoms)
        if len(geoms) >= SPATIAL_ORDER_MIN:
            # Stored along a Hilbert curve of their boxes, so neighbours on the ground are neighbours in
            # memory: the kernel then walks pairs in that order and finds what it needs in the CPU cache
            # (−15 % time at 200,000 survey patches, more at 2 million). ``rank[i]`` is where row i went.
            order = hilbert_order(bounds)
            self.rank = np.empty(len(geoms), dtype=np.int64)
            self.rank[order] = np.arange(len(geoms))
            geoms, bounds = geoms[order], bounds[order]
        else:
            self.rank = np.arange(len(geoms), dtype=np.int64)
        types = shapely.get_type_id(geoms)
        if len(geoms) and np.all(types == 3) and not np.any(shapely.get_num_interior_rings(geoms)):
            # The common case (survey patches, blocks): one ring per geometry, read in one pass.
            xy = shapely.get_coordinates(geoms)
            ring_off = np.concatenate([[0], np.cumsum(shapely.get_num_coordinates(geoms))])
            geom_rings = np.arange(len(geoms) + 1)
            shell = np.ones(len(geoms), dtype=np.bool_)
        else:
            if np.any((types != 3) & (types != 6) & (types != -1)):
                raise TypeError("polygons expected")
            parts, part_geom = shapely.get_parts(geoms, return_index=True)
            rings, ring_part = shapely.get_rings(parts, return_index=True)
            xy = shapely.get_coordinates(rings)
            ring_off = np.concatenate([[0], np.cumsum(shapely.get_num_coordinates(rings))])
            geom_rings = np.searchsorted(part_geom[ring_part], np.arange(len(geoms) + 1))
            shell = np.r_[True, ring_part[1:] != ring_part[:-1]] if len(ring_part) else np.zeros(0, dtype=np.bool_)
        self.xy = np.ascontiguousarray(xy[:, :2], dtype=np.float64)
        self.ring_offsets = np.ascontiguousarray(ring_off, dtype=np.int64)
        self.geom_rings = np.ascontiguousarray(geom_rings, dtype=np.int64)
        self.bounds = np.ascontiguousarray(bounds, dtype=np.float64)
        _orient_rings(self.xy, self.ring_offsets, shell)
        edges = np.concatenate([[0], np.cumsum(np.diff(self.ring_offsets) - 1)])
        per_geom = edges[self.geom_rings[1:]] - edges[self.geom_rings[:-1]]
        self.max_edges = int(per_geom.max()) if len(per_geom) else 0


PARALLEL_MIN_PAIRS = 2000  # fewer pairs run on the calling thread
SPATIAL_ORDER_MIN = 5000  # fewer geometries stay in their order (they fit in the cache anyway)

_RECENT: list[tuple[weakref.ref[Any], int, Rings]] = []  # the rings of the last few arrays measured
_RECENT_LOCK = threading.Lock()
# One kernel launch at a time: numba's default thread pool (workqueue) aborts the process when two
# Python threads (e.g. two API requests) launch parallel kernels at once; each launch uses every core.
_LAUNCH_LOCK = threading.Lock()


def rings_of(geoms: GeomArray) -> Rings:
    """The :class:`Rings` of an array, reused while the same array object is measured again (a survey
    overlaid with each control line in turn is flattened once). Arrays are treated as immutable."""
    with _RECENT_LOCK:
        _RECENT[:] = [e for e in _RECENT if e[0]() is not None]
        for ref, n, rings in _RECENT:
            if ref() is geoms and n == len(geoms):
                return rings
    rings = Rings(geoms)
    with _RECENT_LOCK:
        _RECENT.insert(0, (weakref.ref(geoms), len(geoms), rings))
        del _RECENT[4:]
    return rings


def forget() -> None:
    """Drop the remembered rings (benchmarks measure each run from scratch)."""
    with _RECENT_LOCK:
        _RECENT.clear()


def pair_areas(
    left: GeomArray, right: GeomArray, li: npt.NDArray[np.intp], ri: npt.NDArray[np.intp]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Area of ``left[li[k]] ∩ right[ri[k]]`` for every k, and whether the kernel was certain of it.

    >>> import shapely, numpy as np
    >>> a = np.array([shapely.box(0, 0, 10, 10)])
    >>> b = np.array([shapely.box(5, -1, 20, 11), shapely.box(10, 0, 20, 10), shapely.box(5, 0, 20, 10)])
    >>> areas, exact = pair_areas(a, b, np.array([0, 0, 0]), np.array([0, 1, 2]))
    >>> areas.tolist(), exact.tolist()  # crossing; sharing an edge; (5, 0) on an edge: unsure
    ([50.0, 0.0, 0.0], [True, True, False])
    """
    a = rings_of(np.asarray(left, dtype=object))
    b = rings_of(np.asarray(right, dtype=object))
    la = a.rank[np.asarray(li, dtype=np.int64)]
    walk = np.argsort(la, kind="stable")  # pairs in the stored (Hilbert) order of their left geometry
    la = np.ascontiguousarray(la[walk])
    lb = np.ascontiguousarray(b.rank[np.asarray(ri, dtype=np.int64)][walk])
    walked = np.zeros(len(la))
    sure = np.ones(len(la), dtype=np.bool_)
    if len(la) >= PARALLEL_MIN_PAIRS:
        with _LAUNCH_LOCK:
            _pairs(a.xy, a.ring_offsets, a.geom_rings, a.bounds, b.xy, b.ring_offsets, b.geom_rings, b.bounds,
                   la, lb, max(a.max_edges, b.max_edges) + 2, walked, sure)
    elif len(la):
        _pairs_serial(a.xy, a.ring_offsets, a.geom_rings, a.bounds, b.xy, b.ring_offsets, b.geom_rings, b.bounds,
                      la, lb, max(a.max_edges, b.max_edges) + 2, walked, sure)
    areas = np.empty(len(la))
    exact = np.empty(len(la), dtype=np.bool_)
    areas[walk] = walked
    exact[walk] = sure
    return areas, exact


@njit(cache=True, inline="always")
def _orient(ax: float, ay: float, bx: float, by: float, cx: float, cy: float) -> tuple[float, bool]:
    """Twice the signed area of (a, b, c) (> 0: c left of a→b) and whether its sign is certain."""
    left = (ax - cx) * (by - cy)
    right = (ay - cy) * (bx - cx)
    det = left - right
    return det, abs(det) > _ERRBOUND * (abs(left) + abs(right))


@njit(cache=True)
def _orient_rings(xy: Any, ring_offsets: Any, shell: Any) -> None:
    """Reverse, in place, shells that run clockwise and holes that run counter-clockwise."""
    for r in range(len(ring_offsets) - 1):
        a, b = ring_offsets[r], ring_offsets[r + 1]
        twice = 0.0
        x0, y0 = xy[a, 0], xy[a, 1]
        for k in range(a, b - 1):
            twice += (xy[k, 0] - x0) * (xy[k + 1, 1] - y0) - (xy[k + 1, 0] - x0) * (xy[k, 1] - y0)
        if (twice < 0) == shell[r]:
            i, j = a, b - 1
            while i < j:
                for c in range(2):
                    xy[i, c], xy[j, c] = xy[j, c], xy[i, c]
                i += 1
                j -= 1


@njit(cache=True, inline="always")
def _near(ax: float, ay: float, bx: float, by: float, mx: float, my: float, eps: float) -> bool:
    """Whether a computed point may lie within ``eps`` (its rounding error) of the segment a-b."""
    if mx < min(ax, bx) - eps or mx > max(ax, bx) + eps or my < min(ay, by) - eps or my > max(ay, by) + eps:
        return False
    left = (ax - mx) * (by - my)
    right = (ay - my) * (bx - mx)
    return abs(left - right) <= _ERRBOUND * (abs(left) + abs(right)) + 2.0 * eps * (abs(bx - ax) + abs(by - ay))


@njit(cache=True)
def _inside(mx: float, my: float, xy: Any, ring_offsets: Any, r0: int, r1: int, eps: float) -> int:
    """1 if the computed point (mx, my) is inside the rings r0..r1 (crossing number), 0 if outside,
    -1 if it lies within its rounding error ``eps`` of an edge (its side is then not certain)."""
    inside = False
    for r in range(r0, r1):
        for k in range(ring_offsets[r], ring_offsets[r + 1] - 1):
            ax, ay = xy[k, 0], xy[k, 1]
            bx, by = xy[k + 1, 0], xy[k + 1, 1]
            if _near(ax, ay, bx, by, mx, my, eps):
                return -1
            if (ay > my) != (by > my):
                det, _ = _orient(ax, ay, bx, by, mx, my)
                if (by > ay and det > 0) or (by < ay and det < 0):
                    inside = not inside
    return 1 if inside else 0


@njit(cache=True)
def _side(
    xy: Any, ring_offsets: Any, r0: int, r1: int, oxy: Any, o_offsets: Any, q0: int, q1: int, obox: Any,
    count_shared: bool, ox: float, oy: float, eps: float, buf: Any,
) -> tuple[float, bool]:
    """Twice the signed area the edges of rings r0..r1 contribute to their intersection with rings q0..q1.

    Sub-edges strictly inside the other polygon count; an edge identical to one of the other polygon's
    counts when ``count_shared`` and both run the same way. Returns (sum, certain).
    """
    acc = 0.0
    for r in range(r0, r1):
        for k in range(ring_offsets[r], ring_offsets[r + 1] - 1):
            px, py = xy[k, 0], xy[k, 1]
            qx, qy = xy[k + 1, 0], xy[k + 1, 1]
            if px == qx and py == qy:
                continue
            exmin, exmax = min(px, qx), max(px, qx)
            eymin, eymax = min(py, qy), max(py, qy)
            if exmax < obox[0] or exmin > obox[2] or eymax < obox[1] or eymin > obox[3]:
                continue  # wholly outside the other polygon's box
            mx, my = 0.5 * (px + qx), 0.5 * (py + qy)
            inside = False  # crossing number of the edge's midpoint, gathered in the same pass
            mid_unsure = False
            n = 0
            shared = 0
            for s in range(q0, q1):
                for m in range(o_offsets[s], o_offsets[s + 1] - 1):
                    rx, ry = oxy[m, 0], oxy[m, 1]
                    sx, sy = oxy[m + 1, 0], oxy[m + 1, 1]
                    if _near(rx, ry, sx, sy, mx, my, eps):
                        mid_unsure = True
                    elif (ry > my) != (sy > my):
                        dm, _ = _orient(rx, ry, sx, sy, mx, my)
                        if (sy > ry) == (dm > 0):
                            inside = not inside
                    if max(rx, sx) < exmin or min(rx, sx) > exmax or max(ry, sy) < eymin or min(ry, sy) > eymax:
                        continue
                    if rx == sx and ry == sy:
                        continue
                    rp = rx == px and ry == py
                    rq = rx == qx and ry == qy
                    sp = sx == px and sy == py
                    sq = sx == qx and sy == qy
                    if rp and sq:
                        shared = 1
                        continue
                    if rq and sp:
                        shared = -1
                        continue
                    if rp or rq or sp or sq:
                        # One shared vertex: they only touch there unless they run along each other.
                        wx, wy = (sx, sy) if (rp or rq) else (rx, ry)
                        vx, vy = (qx, qy) if (rp or sp) else (px, py)
                        _, sure1 = _orient(px, py, qx, qy, wx, wy)
                        _, sure2 = _orient(rx, ry, sx, sy, vx, vy)
                        if sure1 and sure2:
                            continue
                        # (Nearly) in line: fine if they leave the shared vertex in opposite directions.
                        cx, cy = (rx, ry) if (rp or rq) else (sx, sy)
                        if (wx - cx) * (vx - cx) + (wy - cy) * (vy - cy) < 0:
                            continue
                        return acc, False
                    d1, s1 = _orient(px, py, qx, qy, rx, ry)
                    d2, s2 = _orient(px, py, qx, qy, sx, sy)
                    if s1 and s2 and ((d1 > 0) == (d2 > 0)):
                        continue  # the other edge lies on one side of this edge's line
                    d3, s3 = _orient(rx, ry, sx, sy, px, py)
                    d4, s4 = _orient(rx, ry, sx, sy, qx, qy)
                    if s3 and s4 and ((d3 > 0) == (d4 > 0)):
                        continue
                    if not (s1 and s2 and s3 and s4):
                        return acc, False
                    buf[n] = d3 / (d3 - d4)  # a proper crossing, at this fraction of the edge
                    n += 1
            if shared != 0:
                if count_shared and shared == 1:
                    acc += (px - ox) * (qy - oy) - (qx - ox) * (py - oy)
                continue
            if n == 0:
                if mid_unsure:
                    return acc, False
                if inside:
                    acc += (px - ox) * (qy - oy) - (qx - ox) * (py - oy)
                continue
            for i in range(1, n):  # insertion sort: a handful of crossings per edge
                t = buf[i]
                j = i - 1
                while j >= 0 and buf[j] > t:
                    buf[j + 1] = buf[j]
                    j -= 1
                buf[j + 1] = t
            t0 = 0.0
            for i in range(n + 1):
                t1 = buf[i] if i < n else 1.0
                if (t1 - t0) * (abs(qx - px) + abs(qy - py)) < 4.0 * eps:
                    return acc, False  # crossings closer than rounding: no midpoint to trust
                tm = 0.5 * (t0 + t1)
                where = _inside(px + tm * (qx - px), py + tm * (qy - py), oxy, o_offsets, q0, q1, eps)
                if where < 0:
                    return acc, False
                if where == 1:
                    ax = px + t0 * (qx - px) - ox
                    ay = py + t0 * (qy - py) - oy
                    bx = px + t1 * (qx - px) - ox
                    by = py + t1 * (qy - py) - oy
                    acc += ax * by - bx * ay
                t0 = t1
    return acc, True


@njit(cache=True, inline="always")
def _one_pair(
    k: int, axy: Any, a_offsets: Any, a_rings: Any, a_bounds: Any, bxy: Any, b_offsets: Any, b_rings: Any,
    b_bounds: Any, li: Any, ri: Any, buflen: int, areas: Any, exact: Any,
) -> None:
    i = li[k]
    j = ri[k]
    a0, a1 = a_rings[i], a_rings[i + 1]
    b0, b1 = b_rings[j], b_rings[j + 1]
    if a1 == a0 or b1 == b0:
        return
    ox = a_bounds[i, 0]
    oy = a_bounds[i, 1]
    # How far a computed point (a midpoint, a crossing) may be from where it should be: a few
    # units in the last place of the largest coordinate of the pair.
    big = max(abs(a_bounds[i, 0]), abs(a_bounds[i, 1]), abs(a_bounds[i, 2]), abs(a_bounds[i, 3]),
              abs(b_bounds[j, 0]), abs(b_bounds[j, 1]), abs(b_bounds[j, 2]), abs(b_bounds[j, 3]))
    eps = 8.0 * big * 2.0**-52
    buf = np.empty(buflen)
    sa, ok = _side(axy, a_offsets, a0, a1, bxy, b_offsets, b0, b1, b_bounds[j], True, ox, oy, eps, buf)
    if not ok:
        exact[k] = False
        return
    sb, ok = _side(bxy, b_offsets, b0, b1, axy, a_offsets, a0, a1, a_bounds[i], False, ox, oy, eps, buf)
    if not ok:
        exact[k] = False
        return
    areas[k] = 0.5 * (sa + sb)


@njit(cache=True, parallel=True)
def _pairs(
    axy: Any, a_offsets: Any, a_rings: Any, a_bounds: Any, bxy: Any, b_offsets: Any, b_rings: Any, b_bounds: Any,
    li: Any, ri: Any, buflen: int, areas: Any, exact: Any,
) -> None:
    for k in prange(len(li)):
        _one_pair(k, axy, a_offsets, a_rings, a_bounds, bxy, b_offsets, b_rings, b_bounds, li, ri, buflen, areas,
                  exact)


@njit(cache=True)
def _pairs_serial(
    axy: Any, a_offsets: Any, a_rings: Any, a_bounds: Any, bxy: Any, b_offsets: Any, b_rings: Any, b_bounds: Any,
    li: Any, ri: Any, buflen: int, areas: Any, exact: Any,
) -> None:
    """:func:`_pairs` on the calling thread: for a review's few dozen pairs, waking a thread pool costs
    more than the work, and its timing varies."""
    for k in range(len(li)):
        _one_pair(k, axy, a_offsets, a_rings, a_bounds, bxy, b_offsets, b_rings, b_bounds, li, ri, buflen, areas,
                  exact)
