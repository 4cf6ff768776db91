"""Geometry validation, the one repair policy, areas in the metric zone, and vectorised overlay.

All functions work on numpy arrays of shapely geometries. Validation explains what is wrong and
where; repair applies one documented policy and reports what it changed; areas are computed only in
the county's projected CGCS2000 zone; overlay is an STRtree query followed by array intersection.
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import shapely

from guotu.core.crs import transform_geometries
from guotu.core.errors import GeometryError
from guotu.core.features import FeatureBatch
from guotu.core.messages import Text, tr
from guotu.core.policy import DEFAULT_POLICY, GeometryPolicy

if TYPE_CHECKING:
    from guotu.core.flatgeom import FlatGeometries

GeomArray = npt.NDArray[Any]

# Problems that make a geometry unusable (refused unless repaired) and those that repair fixes silently.
ERROR = "error"
FIXABLE = "fixable"

_REASON = re.compile(r"^(?P<text>[^\[]+)(\[(?P<x>[-+0-9.eE]+) (?P<y>[-+0-9.eE]+)\])?")
_GEOS_KINDS = {
    "Self-intersection": "self_intersection",
    "Ring Self-intersection": "ring_self_intersection",
    "Too few points in geometry component": "too_few_points",
    "Hole lies outside shell": "hole_outside_shell",
    "Holes are nested": "nested_holes",
    "Interior is disconnected": "disconnected_interior",
    "Nested shells": "nested_shells",
    "Duplicate Rings": "duplicate_rings",
    "Invalid Coordinate": "invalid_coordinate",
    "Ring is not closed": "unclosed_ring",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one record's geometry, with its place when known."""

    record: Any
    kind: str
    where: tuple[float, float] | None = None
    severity: str = ERROR

    def message(self, source: str = "", language: str | None = None) -> str:
        where = "" if self.where is None else f"({self.where[0]:.6f}, {self.where[1]:.6f})"
        return tr(
            "geometry.problem",
            language=language,
            source=source,
            record=self.record,
            problem=tr(f"geometry.kind.{self.kind}", language=language),
            where=where or "—",
        )


_THREADED = 5000  # geometries from which find_problems runs GEOS validity on a thread of its own
_CHUNK = 25_000  # geometries checked at a time


def find_problems(
    geoms: GeomArray, ids: list[Any] | None = None, policy: GeometryPolicy = DEFAULT_POLICY,
    flat: FlatGeometries | None = None,
) -> list[Problem]:
    """Every problem of every geometry, in record order: GEOS validity, duplicate points, spikes.

    ``flat`` is the same geometries as flat arrays, when the caller has them: the ring checks then
    read their coordinates from it instead of from the geometries.

    >>> import shapely, numpy as np
    >>> bowtie = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)])
    >>> [p.kind for p in find_problems(np.array([bowtie]), ["A1"])]
    ['self_intersection']
    """
    geoms = np.asarray(geoms, dtype=object)
    ids = list(range(1, len(geoms) + 1)) if ids is None else ids
    if len(geoms) > _CHUNK:  # each record is checked on its own: chunks keep the arrays in cache
        return [p for lo in range(0, len(geoms), _CHUNK)
                for p in _find_problems(geoms[lo : lo + _CHUNK], ids[lo : lo + _CHUNK], policy,
                                        None if flat is None else flat.rows(lo, min(len(geoms), lo + _CHUNK)))]
    return _find_problems(geoms, ids, policy, flat)


def _find_problems(
    geoms: GeomArray, ids: list[Any], policy: GeometryPolicy, flat: FlatGeometries | None
) -> list[Problem]:
    found: dict[int, list[Problem]] = {}
    missing = shapely.is_missing(geoms)
    for row in np.flatnonzero(missing).tolist():
        found.setdefault(row, []).append(Problem(ids[row], "empty"))
    present = ~missing
    empty = np.zeros(len(geoms), dtype=bool)
    empty[present] = shapely.is_empty(geoms[present])
    for row in np.flatnonzero(empty).tolist():
        found.setdefault(row, []).append(Problem(ids[row], "empty"))
    ok = present & ~empty
    # GEOS validity on both cores (it releases the GIL): half on a second thread, half on this one
    # after the ring checks; the reason is asked only of the invalid geometries (a few, if any).
    checked = geoms[ok]
    half = len(checked) // 2 if len(checked) >= _THREADED else len(checked)  # small: all on this thread
    with ThreadPoolExecutor(1) as executor:
        second = executor.submit(shapely.is_valid, checked[half:]) if half < len(checked) else None
        # Spikes and duplicate points first: they explain many GEOS self-intersections more precisely.
        for row, kind, where, severity in _ring_defects(geoms, ok, policy, flat):
            found.setdefault(row, []).append(Problem(ids[row], kind, where, severity))
        valid = shapely.is_valid(checked[:half])
        if second is not None:
            valid = np.concatenate([valid, second.result()])
    reasons = np.full(len(geoms), "Valid Geometry", dtype=object)
    bad = np.flatnonzero(ok)[~valid]
    reasons[bad] = shapely.is_valid_reason(geoms[bad])
    for row in np.flatnonzero(reasons != "Valid Geometry").tolist():
        reason_kind, at = _parse_reason(str(reasons[row]))
        if any(p.kind == "spike" for p in found.get(row, [])) and reason_kind in (
            "self_intersection", "ring_self_intersection"):
            continue  # the spike is the precise explanation
        found.setdefault(row, []).append(Problem(ids[row], reason_kind, at))
    return [p for i in sorted(found) for p in found[i]]


def _parse_reason(reason: str) -> tuple[str, tuple[float, float] | None]:
    m = _REASON.match(reason)
    if not m:
        return "invalid", None
    text = m.group("text").strip()
    where = (float(m.group("x")), float(m.group("y"))) if m.group("x") else None
    return _GEOS_KINDS.get(text, "invalid"), where


def _ring_coordinates(
    polys: GeomArray, rows: npt.NDArray[np.intp]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Every ring's coordinates (closed), the ring of each coordinate and the row of each ring.

    A polygon without holes (the usual case) is its one ring: its coordinates are read directly,
    without building part and ring geometries; other polygons and multipolygons are split.
    """
    simple = (shapely.get_type_id(polys) == 3) & (shapely.get_num_interior_rings(polys) == 0)
    coords, ring_of = shapely.get_coordinates(polys[simple], return_index=True)
    ring_row = rows[simple]
    if not simple.all():
        parts, part_geom = shapely.get_parts(polys[~simple], return_index=True)
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        more, more_ring = shapely.get_coordinates(rings, return_index=True)
        coords = np.concatenate([coords, more])
        ring_of = np.concatenate([ring_of, more_ring + len(ring_row)])
        ring_row = np.concatenate([ring_row, rows[~simple][part_geom[ring_part]]])
    return coords, ring_of, ring_row


def _ring_defects(
    geoms: GeomArray, mask: npt.NDArray[np.bool_], policy: GeometryPolicy, flat: FlatGeometries | None = None
) -> list[tuple[int, str, tuple[float, float], str]]:
    """Duplicate consecutive points and spikes of the polygons under ``mask``, found on all rings at
    once (:mod:`guotu.core.ring_checks`), read from ``flat`` when given."""
    from guotu.core.ring_checks import ring_defects  # compiled (numba): loaded when geometries are checked

    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return []
    if flat is not None:
        rings, ring_row = flat.polygon_rings()
        keep = mask[ring_row]
        rings, ring_row = rings[keep], ring_row[keep]
        coords, starts, ends = flat.xy, flat.ring_coords[rings], flat.ring_coords[rings + 1]
    else:
        polys = geoms[idx]
        is_poly = np.isin(shapely.get_type_id(polys), (3, 6))
        polys, idx = polys[is_poly], idx[is_poly]
        if idx.size == 0:
            return []
        coords, ring_of, ring_row = _ring_coordinates(polys, idx)
        order = np.arange(len(ring_row))
        starts, ends = np.searchsorted(ring_of, order), np.searchsorted(ring_of, order, side="right")
    dup_ring, dup_at, spike_ring, spike_at = ring_defects(coords, starts, ends, policy.spike_angle_deg)
    out: list[tuple[int, str, tuple[float, float], str]] = []
    for r, k in zip(dup_ring.tolist(), dup_at.tolist(), strict=True):
        out.append((int(ring_row[r]), "duplicate_points", (float(coords[k, 0]), float(coords[k, 1])), FIXABLE))
    for r, k in zip(spike_ring.tolist(), spike_at.tolist(), strict=True):
        out.append((int(ring_row[r]), "spike", (float(coords[k, 0]), float(coords[k, 1])), ERROR))
    return out


def require_valid(batch: FeatureBatch, source: str = "", policy: GeometryPolicy = DEFAULT_POLICY) -> None:
    """Raise GeometryError for the first error-level problem, naming source, record and place."""
    for problem in find_problems(batch.geometry, batch.ids, policy, batch.flat):
        if problem.severity == ERROR:
            raise GeometryError(
                "geometry.problem",
                source=source,
                record=problem.record,
                problem=Text(f"geometry.kind.{problem.kind}"),
                where="—" if problem.where is None else f"({problem.where[0]:.6f}, {problem.where[1]:.6f})",
            )


@dataclass(frozen=True)
class RepairNote:
    """What repair changed in one record."""

    record: Any
    fixed: tuple[str, ...]
    area_before_m2: float
    area_after_m2: float
    parts_before: int
    parts_after: int


def repair(
    batch: FeatureBatch, policy: GeometryPolicy = DEFAULT_POLICY
) -> tuple[FeatureBatch, list[RepairNote]]:
    """The single repair policy; returns the repaired batch and a note per changed record.

    Steps, in order: drop repeated consecutive points; snap to the policy's precision grid (in the
    metric zone); rebuild with GEOS make_valid (method "structure": the area enclosed by the rings,
    so a bow-tie becomes two triangles and a spike disappears); keep only polygonal parts. A record
    whose repair leaves nothing is refused.
    """
    problems = find_problems(batch.geometry, batch.ids, policy, batch.flat)
    by_record: dict[Any, list[str]] = {}
    for p in problems:
        by_record.setdefault(p.record, []).append(p.kind)
    if not by_record:
        return batch, []
    assert batch.ids is not None
    rows = np.array([i for i, rid in enumerate(batch.ids) if rid in by_record], dtype=np.intp)
    original = batch.geometry[rows]
    metric = transform_geometries(original, batch.epsg, policy.metric_epsg)
    fixed = shapely.remove_repeated_points(metric, 0.0)
    fixed = shapely.make_valid(fixed, method="structure", keep_collapsed=False)
    fixed = shapely.set_precision(fixed, policy.grid_m)
    fixed = shapely.make_valid(fixed, method="structure", keep_collapsed=False)
    fixed = _polygonal(fixed)
    notes: list[RepairNote] = []
    for k, row in enumerate(rows):
        rid = batch.ids[row]
        if fixed[k] is None or shapely.is_empty(fixed[k]):
            raise GeometryError("geometry.unrepairable", record=rid, problems=", ".join(by_record[rid]))
        notes.append(
            RepairNote(
                rid,
                tuple(dict.fromkeys(by_record[rid])),
                float(shapely.area(metric[k])),
                float(shapely.area(fixed[k])),
                int(shapely.get_num_geometries(metric[k])),
                int(shapely.get_num_geometries(fixed[k])),
            )
        )
    geometry = batch.geometry.copy()
    geometry[rows] = transform_geometries(fixed, policy.metric_epsg, batch.epsg)
    return FeatureBatch(geometry, batch.attributes, batch.fields, batch.epsg, batch.ids), notes


def _polygonal(geoms: GeomArray) -> GeomArray:
    """Keep only the polygonal parts of each geometry (lines and points from collapses dropped)."""
    out = np.empty(len(geoms), dtype=object)
    for i, g in enumerate(geoms):
        if g is None:
            out[i] = None
            continue
        tid = shapely.get_type_id(g)
        if tid in (3, 6):
            out[i] = g
            continue
        parts = shapely.get_parts(g)
        polys = [p for p in parts if shapely.get_type_id(p) in (3, 6)]
        out[i] = shapely.multipolygons(polys) if len(polys) > 1 else (polys[0] if polys else None)
    return out


MIN_CHUNK = 1000  # pairs per thread below which threads cost more than they save


def _map_chunks(fn: Any, n: int, workers: int | None, dtype: Any) -> npt.NDArray[Any]:
    """``fn`` applied to index chunks of ``range(n)`` on worker threads, results concatenated in order."""
    if n == 0:
        return np.empty(0, dtype=dtype)
    count = max(1, min(workers or os.cpu_count() or 1, 8, n // MIN_CHUNK))
    chunks = np.array_split(np.arange(n), count)
    if count == 1:
        return np.asarray(fn(chunks[0]), dtype=dtype)
    with ThreadPoolExecutor(count) as executor:
        return np.concatenate([np.asarray(r, dtype=dtype) for r in executor.map(fn, chunks)])


def to_metric(geoms: GeomArray, epsg: int, policy: GeometryPolicy = DEFAULT_POLICY) -> GeomArray:
    """Geometries in the county's metric zone (the only place areas are computed)."""
    return transform_geometries(np.asarray(geoms, dtype=object), epsg, policy.metric_epsg)


def area_m2(geoms: GeomArray, epsg: int, policy: GeometryPolicy = DEFAULT_POLICY) -> npt.NDArray[np.float64]:
    """Planar area in m² in the metric zone, whatever CRS the geometries come in.

    >>> import shapely, numpy as np
    >>> sq = shapely.box(605000, 3398000, 605100, 3398100)
    >>> float(area_m2(np.array([sq]), 4549)[0])
    10000.0
    """
    return shapely.area(to_metric(geoms, epsg, policy))  # type: ignore[no-any-return]


def hilbert_order(bounds: npt.NDArray[np.float64], order: int = 16) -> npt.NDArray[np.intp]:
    """Row indices sorted along a Hilbert curve through the centres of boxes (n × 4; a 2^order grid):
    neighbours on the ground become neighbours in the order (Dask partitions, the area kernel's memory).

    >>> import shapely, numpy as np
    >>> boxes = shapely.bounds(np.array([shapely.box(x, y, x + 1, y + 1) for x, y in [(9, 9), (0, 0), (0, 9), (9, 0)]]))
    >>> hilbert_order(boxes, order=1).tolist()
    [1, 2, 0, 3]
    """
    b = np.asarray(bounds, dtype=np.float64).reshape(-1, 4)
    if len(b) == 0:
        return np.empty(0, dtype=np.intp)
    cx, cy = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
    n = 1 << order
    x0, x1, y0, y1 = np.nanmin(cx), np.nanmax(cx), np.nanmin(cy), np.nanmax(cy)
    x = np.nan_to_num((cx - x0) / max(x1 - x0, 1e-9) * (n - 1)).astype(np.int64)
    y = np.nan_to_num((cy - y0) / max(y1 - y0, 1e-9) * (n - 1)).astype(np.int64)
    d = np.zeros(len(x), dtype=np.int64)
    s = n // 2
    while s > 0:
        rx = (x & s) > 0
        ry = (y & s) > 0
        d += s * s * ((3 * rx.astype(np.int64)) ^ ry.astype(np.int64))
        flip = ~ry & rx
        x = np.where(flip, n - 1 - x, x)
        y = np.where(flip, n - 1 - y, y)
        x, y = np.where(~ry, y, x), np.where(~ry, x, y)
        s //= 2
    return np.argsort(d, kind="stable").astype(np.intp)


@dataclass(frozen=True)
class Overlay:
    """Pairwise overlaps of two geometry arrays (both in the metric zone)."""

    left: npt.NDArray[np.intp]
    right: npt.NDArray[np.intp]
    area_m2: npt.NDArray[np.float64]
    geometry: GeomArray | None


def _polygonal_only(geoms: GeomArray) -> bool:
    types = shapely.get_type_id(geoms)
    return bool(np.all((types == 3) | (types == 6)))


def _overlay_areas(
    left: GeomArray, right: GeomArray, li: npt.NDArray[np.intp], ri: npt.NDArray[np.intp], workers: int | None
) -> Overlay:
    """Areas only: the compiled kernel of :mod:`guotu.core.overlay_area`, GEOS for the pairs it is unsure of."""
    from guotu.core.overlay_area import pair_areas  # compiled on first use; cached on disk after

    areas, exact = pair_areas(left, right, li, ri)
    unsure = np.flatnonzero(~exact)
    areas[unsure] = _map_chunks(
        lambda ix: shapely.area(shapely.intersection(left[li[unsure[ix]]], right[ri[unsure[ix]]])),
        len(unsure), workers, np.float64)
    keep = areas > 0
    return Overlay(li[keep].astype(np.intp), ri[keep].astype(np.intp), areas[keep], None)


def overlay(
    left: GeomArray, right: GeomArray, keep_geometry: bool = False, workers: int | None = None
) -> Overlay:
    """Every intersecting (left, right) pair with its overlap area: STRtree query, then arrays.

    When only areas are wanted (``keep_geometry=False``, polygons on both sides), the pairs of the
    tree's box query go to the compiled kernel of :mod:`guotu.core.overlay_area`, which
    measures each overlap from the rings on all cores and hands back to GEOS only the pairs whose
    arithmetic it cannot certify. Otherwise pairs are sorted out with prepared predicates before any
    overlay: a left geometry covered by the right one takes its own area; pairs that only touch (shared
    edges, as between a survey patch and the farmland block made of its neighbours) are dropped; only
    the rest are intersected, in chunks
    on ``workers`` threads (GEOS releases the GIL). Pairs with zero overlap area are dropped.

    >>> import shapely, numpy as np
    >>> a = np.array([shapely.box(0, 0, 10, 10)]); b = np.array([shapely.box(5, 0, 20, 10), shapely.box(30, 0, 40, 1)])
    >>> o = overlay(a, b); (o.left.tolist(), o.right.tolist(), o.area_m2.tolist())
    ([0], [0], [50.0])
    """
    left = np.asarray(left, dtype=object)
    right = np.asarray(right, dtype=object)
    empty_i = np.empty(0, dtype=np.intp)
    if len(left) == 0 or len(right) == 0:
        return Overlay(empty_i, empty_i, np.empty(0), np.empty(0, dtype=object) if keep_geometry else None)
    tree = shapely.STRtree(right)
    if not keep_geometry and _polygonal_only(left) and _polygonal_only(right):
        li, ri = tree.query(left)
        return _overlay_areas(left, right, li, ri, workers)
    li, ri = tree.query(left, predicate="intersects")
    shapely.prepare(right)
    # Prepared predicates stay on this thread: GEOS builds a prepared geometry's index lazily, on
    # first use, and two threads doing that at once crash.
    covered = np.asarray(shapely.covers(right[ri], left[li]), dtype=bool)
    rest = np.flatnonzero(~covered)
    touching = np.asarray(shapely.touches(right[ri[rest]], left[li[rest]]), dtype=bool)
    cut = rest[~touching]
    pieces = np.empty(len(li), dtype=object)
    pieces[covered] = left[li[covered]]
    pieces[cut] = _map_chunks(lambda ix: shapely.intersection(left[li[cut[ix]]], right[ri[cut[ix]]]), len(cut),
                              workers, object)
    areas = np.zeros(len(li))
    done = np.flatnonzero(covered)
    areas[done] = shapely.area(pieces[done])
    areas[cut] = shapely.area(pieces[cut])
    keep = areas > 0
    return Overlay(
        li[keep].astype(np.intp),
        ri[keep].astype(np.intp),
        areas[keep],
        pieces[keep] if keep_geometry else None,
    )
