"""The survey's patch geometry: a Voronoi tessellation of seeded points, clipped to the county.

Generator points are denser in town cores, industrial parks and villages, and along the main rivers
and roads, so patches are small where land use is fine-grained and large in the fields. The diagram
is computed in the metric CRS (so cells are not stretched north-south), transformed to CGCS2000,
and only the cells that cross the county boundary are clipped; a clipped cell that falls apart
gives one patch per piece. Neighbouring patches share their edges exactly, so the patches form a
valid coverage that tiles the county.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

from guotu.core.crs import CGCS2000, transform_geometries
from guotu.demo.landscape import Frame, Landscape
from guotu.demo.scene import Centre, Coords, Draw, Network, sample_inside

GeomArray = npt.NDArray[Any]

# Shares of generator points: uniform background, town cores, industry, villages, main lines.
POINT_SHARES = (("uniform", 0.50), ("towns", 0.23), ("industry", 0.08), ("villages", 0.13), ("lines", 0.06))
MAIN_RIVERS = 6
MAIN_ROADS = 10


@dataclass(frozen=True, eq=False)
class Tessellation:
    """Patches in EPSG:4490 and in the metric CRS, a point inside each (metric), areas, islet flags.

    Only ``geoms`` is an exact coverage (shared edges identical); unions are therefore formed there
    (:meth:`union_m`), and ``geoms_m`` serves areas, overlaps and spatial queries.
    """

    geoms: GeomArray
    geoms_m: GeomArray
    xy: Coords
    area_m2: npt.NDArray[np.float64]
    islet: npt.NDArray[np.bool_]
    metric_epsg: int

    def __len__(self) -> int:
        return len(self.geoms)

    def union_m(self, mask: npt.NDArray[np.bool_]) -> Any:
        """The union of the selected patches, in the metric CRS."""
        union = shapely.coverage_union_all(self.geoms[mask])
        return transform_geometries(np.array([union], dtype=object), CGCS2000, self.metric_epsg)[0]


def tessellate(rng: np.random.Generator, frame: Frame, land: Landscape, count: int) -> Tessellation:
    """About ``count`` patches tiling the county (a clipped cell that falls apart gives several)."""
    points = generator_points(rng, frame, land, count)
    x0, y0, x1, y1 = shapely.bounds(frame.boundary_m)
    envelope = shapely.box(x0 - 5000.0, y0 - 5000.0, x1 + 5000.0, y1 + 5000.0)
    diagram = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=envelope, ordered=True)
    cells_m = shapely.get_parts(diagram)
    cells = transform_geometries(cells_m, frame.metric_epsg, CGCS2000)

    boundary = frame.boundary
    shapely.prepare(boundary)
    crossing = ~shapely.contains_properly(boundary, cells)
    pieces = cells.copy()
    pieces[crossing] = shapely.intersection(cells[crossing], boundary)
    parts, owner = shapely.get_parts(pieces, return_index=True)
    keep = (shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)
    parts, owner = parts[keep], owner[keep]

    clipped = crossing[owner]
    parts_m = cells_m[owner]
    parts_m[clipped] = transform_geometries(parts[clipped], CGCS2000, frame.metric_epsg)
    area = shapely.area(parts_m)
    nonzero = area > 0.0
    parts, parts_m, owner, clipped, area = (
        parts[nonzero],
        parts_m[nonzero],
        owner[nonzero],
        clipped[nonzero],
        area[nonzero],
    )
    xy = points[owner]
    xy[clipped] = shapely.get_coordinates(shapely.point_on_surface(parts_m[clipped]))
    islet = ~shapely.contains_xy(frame.mainland_m, xy[:, 0], xy[:, 1])
    return Tessellation(parts, parts_m, xy, area, islet, frame.metric_epsg)


def generator_points(rng: np.random.Generator, frame: Frame, land: Landscape, count: int) -> Coords:
    """``count`` points inside the county from the mixture in :data:`POINT_SHARES`, in a fixed order."""
    counts = [round(share * count) for _, share in POINT_SHARES[:-1]]
    counts.append(count - sum(counts))
    region = frame.boundary_m
    lines = Network(land.rivers.lines[:MAIN_RIVERS] + land.roads.lines[:MAIN_ROADS])
    draws: dict[str, Draw | None] = {
        "uniform": None,
        "towns": _around(land.towns, 0.8, lambda c: c.radius_m**2),
        "industry": _around(land.industry, 0.7, lambda c: 0.6 * c.weight * c.radius_m**2),
        "villages": _around(land.villages, 0.8, lambda c: c.radius_m**2),
        "lines": _along(lines, 30.0),
    }
    out = [sample_inside(rng, region, n, draws[name]) for (name, _), n in zip(POINT_SHARES, counts, strict=True)]
    return np.concatenate(out)


def _around(centres: tuple[Centre, ...], spread: float, weight: Callable[[Centre], float]) -> Draw:
    """Draw points around the centres: normal, sigma ``spread`` × radius, centres chosen by weight."""
    xy = np.array([(c.x, c.y) for c in centres])
    sigma = np.array([spread * c.radius_m for c in centres])
    w = np.array([float(weight(c)) for c in centres])
    p = w / w.sum()

    def draw(rng: np.random.Generator, n: int) -> Coords:
        k = rng.choice(len(centres), size=n, p=p)
        return xy[k] + rng.normal(0.0, 1.0, (n, 2)) * sigma[k, None]  # type: ignore[no-any-return]

    return draw


def _along(network: Network, sigma_m: float) -> Draw:
    """Draw points along the network (uniform by length), offset across it by a normal of ``sigma_m``."""
    a = np.concatenate([c[:-1] for c in network.lines])
    b = np.concatenate([c[1:] for c in network.lines])
    length = np.hypot(*(b - a).T)
    p = length / length.sum()
    normal = np.column_stack([-(b - a)[:, 1], (b - a)[:, 0]]) / np.maximum(length, 1e-9)[:, None]

    def draw(rng: np.random.Generator, n: int) -> Coords:
        k = rng.choice(len(a), size=n, p=p)
        t = rng.uniform(0.0, 1.0, n)
        offset = rng.normal(0.0, sigma_m, n)
        return a[k] + (b[k] - a[k]) * t[:, None] + normal[k] * offset[:, None]  # type: ignore[no-any-return]

    return draw
