"""The demo county's frame (boundary, coast, seats) and its seeded landscape (centres, networks, fields).

All coordinates are metric (the county's 3° Gauss-Krüger zone). Real places are approximate
(CGCS2000 lon/lat below): the town seats (see :mod:`guotu.demo.towns`), the ports of 乍浦 and
独山港, the 九龙山 coastal hills, and the shore of Hangzhou Bay, taken as the part of the
boundary between two anchor points. Rivers, roads, villages and industrial parks are invented.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import shapely

from guotu.core.crs import CGCS2000, metric_epsg_for, transform_geometries
from guotu.demo.boundary import load_boundary
from guotu.demo.scene import (
    Centre,
    Coords,
    Network,
    SmoothField,
    densify,
    grid_lines,
    meander,
    minimum_spanning_edges,
    nearest_inside,
    sample_inside,
    through,
    to_metric_xy,
)
from guotu.demo.towns import SEAT_INSET_M, TOWNS

# The bay shore: the mainland's outer ring from the Shanghai border to the 乍浦 jetty (lon, lat).
COAST_FROM = (121.2703, 30.6797)
COAST_TO = (121.0431, 30.5729)
PORTS = (("乍浦港区", 121.075, 30.583), ("独山港区", 121.232, 30.650))
JIULONGSHAN = (121.135, 30.607)
# Large industrial areas (lon, lat, radius m, strength): the ports' industry and the city's zone.
INDUSTRY = (
    ("独山港经济开发区", 121.215, 30.660, 2300.0, 1.15),
    ("乍浦港区产业园", 121.100, 30.603, 1500.0, 1.1),
    ("平湖经济技术开发区", 121.050, 30.690, 1700.0, 1.0),
)
# Main rivers pass through these towns' seats, heading (degrees from east) roughly downstream.
RIVER_TOWNS = (("当湖街道", 15.0), ("新埭镇", -5.0), ("新仓镇", 30.0), ("广陈镇", -15.0),
               ("林埭镇", 20.0), ("钟埭街道", 40.0))  # fmt: skip
# Two expressway-like roads (lon, lat way points).
HIGHWAYS = (
    ((120.930, 30.640), (121.050, 30.705), (121.170, 30.745), (121.290, 30.790)),
    ((121.075, 30.880), (121.060, 30.755), (121.080, 30.660), (121.095, 30.585)),
)


@dataclass(frozen=True)
class Frame:
    """The county in both CRSs, its mainland, its coast line and the town seats (metric)."""

    boundary: Any  # EPSG:4490
    metric_epsg: int
    boundary_m: Any
    mainland_m: Any
    coast_m: Any
    seats: Coords


@cache
def load_frame() -> Frame:
    """The packaged county in the metric zone, its bay shore and its (adjusted) town seats."""
    boundary = load_boundary()
    epsg = metric_epsg_for(float(shapely.centroid(boundary).x))
    boundary_m = transform_geometries(np.array([boundary], dtype=object), CGCS2000, epsg)[0]
    parts = shapely.get_parts(boundary_m)
    mainland_m = parts[int(np.argmax(shapely.area(parts)))]
    ring = shapely.get_coordinates(shapely.get_exterior_ring(mainland_m))[:-1]
    anchors = to_metric_xy(np.array([COAST_FROM, COAST_TO]), epsg)
    i, j = (int(np.argmin(np.hypot(*(ring - a).T))) for a in anchors)
    coast = ring[i : j + 1] if i <= j else np.vstack([ring[i:], ring[: j + 1]])
    lonlat = np.array([[t.seat_lon, t.seat_lat] for t in TOWNS])
    seats = nearest_inside(to_metric_xy(lonlat, epsg), mainland_m, SEAT_INSET_M)
    return Frame(boundary, epsg, boundary_m, mainland_m, shapely.linestrings(coast), seats)


@dataclass(frozen=True)
class Landscape:
    """Where each land use wants to be; independent of the survey's resolution."""

    towns: tuple[Centre, ...]  # built-up cores, one per town, in TOWNS order
    industry: tuple[Centre, ...]
    ports: tuple[Centre, ...]
    jiulongshan: Centre
    villages: tuple[Centre, ...]
    rivers: Network
    roads: Network
    streets: Network
    ditches: Network
    rural_roads: Network
    noise: dict[str, SmoothField]
    warp: tuple[SmoothField, SmoothField]


def make_landscape(rng: np.random.Generator, frame: Frame) -> Landscape:
    """Draw the landscape from ``rng``: the same seed gives the same county at every resolution."""
    epsg = frame.metric_epsg
    region = frame.mainland_m
    seats = frame.seats
    noise = {
        name: SmoothField.random(rng, wavelength)
        for name, wavelength in (
            ("urban", (1200.0, 3500.0)), ("industry", (1000.0, 3000.0)), ("village", (600.0, 1500.0)),
            ("pond", (1500.0, 5000.0)), ("garden", (2500.0, 7000.0)), ("forest", (1500.0, 4000.0)),
            ("paddy", (4000.0, 12000.0)), ("quality", (5000.0, 15000.0)), ("farmland", (800.0, 2500.0)),
            ("grid", (6000.0, 15000.0)), ("elastic", (800.0, 2000.0)),
        )
    }  # fmt: skip
    warp = (
        SmoothField.random(rng, (12000.0, 25000.0), 380.0, 6),
        SmoothField.random(rng, (12000.0, 25000.0), 380.0, 6),
    )

    towns = tuple(Centre(float(x), float(y), t.urban_radius_m) for (x, y), t in zip(seats, TOWNS, strict=True))
    big_xy = to_metric_xy(np.array([(lon, lat) for _, lon, lat, _, _ in INDUSTRY]), epsg)
    big_xy = nearest_inside(big_xy, region, 400.0)
    industry = [Centre(float(x), float(y), r, w) for (x, y), (*_, r, w) in zip(big_xy, INDUSTRY, strict=True)]
    for k, t in enumerate(TOWNS):  # a smaller industrial park beside each of the other towns
        if t.name in ("当湖街道", "乍浦镇", "独山港镇"):
            continue
        angle = rng.uniform(0.0, 2.0 * math.pi)
        dist = rng.uniform(1200.0, 2000.0)
        xy = seats[k] + dist * np.array([math.cos(angle), math.sin(angle)])
        xy = nearest_inside(xy[None, :], region, 500.0)[0]
        industry.append(Centre(float(xy[0]), float(xy[1]), rng.uniform(550.0, 800.0), 0.95))
    port_xy = to_metric_xy(np.array([(lon, lat) for _, lon, lat in PORTS]), epsg)
    ports = tuple(Centre(float(x), float(y), 1800.0) for x, y in port_xy)
    jx, jy = to_metric_xy(np.array([JIULONGSHAN]), epsg)[0]
    jiulongshan = Centre(float(jx), float(jy), 1000.0)

    # Villages: scattered hamlets away from the town cores.
    candidates = sample_inside(rng, region, 1400)
    near_core = np.zeros(len(candidates), dtype=bool)
    for c in (*towns, *industry):
        near_core |= np.hypot(candidates[:, 0] - c.x, candidates[:, 1] - c.y) < 1.1 * c.radius_m
    coast_d = shapely.distance(frame.coast_m, shapely.points(candidates))
    keep = candidates[~near_core & (coast_d > 1200.0)][:720]
    radii = rng.uniform(110.0, 230.0, len(keep))
    villages = tuple(Centre(float(x), float(y), float(r)) for (x, y), r in zip(keep, radii, strict=True))

    rivers = _rivers(rng, seats)
    roads = _roads(rng, epsg, seats, keep)
    streets = _streets(rng, towns)
    grid_angle = rng.uniform(0.0, math.pi / 2)
    ditches = _field_lines(rng, region, 260, grid_angle, noise["grid"], (1000.0, 3500.0))
    rural_roads = _field_lines(rng, region, 220, grid_angle, noise["grid"], (1000.0, 3500.0))
    return Landscape(
        towns,
        tuple(industry),
        ports,
        jiulongshan,
        villages,
        rivers,
        roads,
        streets,
        ditches,
        rural_roads,
        noise,
        warp,
    )


def _rivers(rng: np.random.Generator, seats: Coords) -> Network:
    """Six main rivers through town seats, then many branches (kept as the resolution grows)."""
    names = [t.name for t in TOWNS]
    main: list[Coords] = []
    for name, heading_deg in RIVER_TOWNS:
        start = seats[names.index(name)] + rng.normal(0.0, 250.0, 2)
        heading = math.radians(heading_deg + rng.normal(0.0, 10.0))
        main.append(through(rng, start, heading, 26000.0, swing=0.4))
    branches: list[Coords] = []
    for _ in range(260):
        parent = main[int(rng.integers(len(main)))]
        k = int(rng.integers(len(parent) - 1))
        step = parent[k + 1] - parent[k]
        base = math.atan2(step[1], step[0]) + rng.choice([-1.0, 1.0]) * rng.uniform(1.0, 2.1)
        at = parent[k]
        branches.append(meander(rng, at, base, rng.uniform(2500.0, 8000.0), swing=0.5))
    return Network((*main, *branches))


def _roads(rng: np.random.Generator, epsg: int, seats: Coords, villages: Coords) -> Network:
    """Expressways, then roads linking the seats (a spanning tree), then roads between villages."""
    lines: list[Coords] = []
    for way in HIGHWAYS:
        pts = densify(to_metric_xy(np.array(way), epsg), 120.0)
        lines.append(pts + rng.normal(0.0, 8.0, pts.shape).cumsum(axis=0) * 0.2)
    for i, j in minimum_spanning_edges(seats):
        lines.append(_wobbly(rng, seats[i], seats[j]))
    order = rng.permutation(len(villages))
    for i in order[:120]:
        d = np.hypot(*(villages - villages[i]).T)
        options = np.flatnonzero((d > 2500.0) & (d < 7000.0))
        if len(options):
            lines.append(_wobbly(rng, villages[i], villages[options[int(rng.integers(len(options)))]]))
    return Network(tuple(lines))


def _wobbly(rng: np.random.Generator, a: Coords, b: Coords) -> Coords:
    pts = densify(np.vstack([a, b]), 150.0)
    direction = (b - a) / max(1e-9, float(np.hypot(*(b - a))))
    normal = np.array([-direction[1], direction[0]])
    t = np.linspace(0.0, 1.0, len(pts))
    bend = rng.normal(0.0, 250.0) * np.sin(math.pi * t) + rng.normal(0.0, 80.0) * np.sin(2 * math.pi * t)
    return pts + normal * bend[:, None]


def _streets(rng: np.random.Generator, towns: tuple[Centre, ...]) -> Network:
    """A street grid per town, central streets of every town first."""
    ranked: list[tuple[float, int, Coords]] = []
    for k, c in enumerate(towns):
        spacing = 320.0 if k == 0 else 280.0
        angle = rng.uniform(0.0, math.pi / 2)
        for offset, line in grid_lines(np.array([c.x, c.y]), 1.7 * c.radius_m, spacing, angle):
            ranked.append((offset / c.radius_m, len(ranked), line))
    ranked.sort(key=lambda item: (item[0], item[1]))
    return Network(tuple(line for _, _, line in ranked))


def _field_lines(
    rng: np.random.Generator,
    region: Any,
    count: int,
    grid_angle: float,
    bend: SmoothField,
    length_m: tuple[float, float],
) -> Network:
    """Straight field ditches or roads, each along or across the local field grid."""
    origins = sample_inside(rng, region, count)
    angle = grid_angle + 0.35 * bend(origins) + np.where(rng.random(count) < 0.5, math.pi / 2, 0.0)
    half = 0.5 * rng.uniform(*length_m, count)[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    return Network(tuple(densify(np.vstack([o - h, o + h]), 150.0) for o, h in zip(origins, half, strict=True)))
