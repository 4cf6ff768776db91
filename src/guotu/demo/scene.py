"""Building blocks of the demo landscape: smooth random fields, centres, polyline networks, sampling.

Coordinates are metric (the county's Gauss-Krüger zone, EPSG:4549 for Pinghu). Every function draws
from the generator it is given, in a fixed order, so its output depends on the seed alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

from guotu.core.crs import CGCS2000, transformer

Coords = npt.NDArray[np.float64]


@dataclass(frozen=True)
class SmoothField:
    """A smooth random field: a sum of plane waves with random directions, wavelengths and phases.

    Values have mean 0 and standard deviation ``amplitude``.
    """

    kx: npt.NDArray[np.float64]
    ky: npt.NDArray[np.float64]
    phase: npt.NDArray[np.float64]
    amplitude: float

    @classmethod
    def random(
        cls,
        rng: np.random.Generator,
        wavelength_m: tuple[float, float],
        amplitude: float = 1.0,
        components: int = 8,
    ) -> SmoothField:
        angle = rng.uniform(0.0, math.pi, components)
        k = 2.0 * math.pi / rng.uniform(wavelength_m[0], wavelength_m[1], components)
        phase = rng.uniform(0.0, 2.0 * math.pi, components)
        return cls(k * np.cos(angle), k * np.sin(angle), phase, amplitude)

    def __call__(self, xy: Coords) -> npt.NDArray[np.float64]:
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        arg = np.outer(xy[:, 0], self.kx) + np.outer(xy[:, 1], self.ky) + self.phase
        scale = self.amplitude * math.sqrt(2.0 / len(self.kx))
        return scale * np.cos(arg).sum(axis=1)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Centre:
    """A place that attracts a land use: position (metric), radius of influence and strength."""

    x: float
    y: float
    radius_m: float
    weight: float = 1.0


@dataclass(frozen=True)
class Network:
    """Polylines of one kind, in rank order (the first ones are kept at every survey resolution)."""

    lines: tuple[Coords, ...]

    def segments(self) -> tuple[Any, npt.NDArray[np.intp]]:
        """Every line cut into its segments (an array of LineStrings) and each segment's rank.

        Ranks follow the lines' order and, within a line, the order along it.
        """
        starts = [c[:-1] for c in self.lines if len(c) >= 2]
        ends = [c[1:] for c in self.lines if len(c) >= 2]
        if not starts:
            return np.empty(0, dtype=object), np.empty(0, dtype=np.intp)
        a = np.concatenate(starts)
        b = np.concatenate(ends)
        coords = np.stack([a, b], axis=1).reshape(-1, 2)
        idx = np.repeat(np.arange(len(a)), 2)
        return shapely.linestrings(coords, indices=idx), np.arange(len(a), dtype=np.intp)


def to_metric_xy(lonlat: Coords, metric_epsg: int) -> Coords:
    """CGCS2000 lon/lat pairs to metric x, y."""
    x, y = transformer(CGCS2000, metric_epsg).transform(lonlat[:, 0], lonlat[:, 1])
    return np.column_stack([x, y])


def densify(coords: Coords, step_m: float) -> Coords:
    """Insert points so that no segment is longer than ``step_m``."""
    line = shapely.linestrings(coords)
    return shapely.get_coordinates(shapely.segmentize(line, step_m))  # type: ignore[no-any-return]


def meander(
    rng: np.random.Generator,
    start: Coords,
    heading: float,
    length_m: float,
    step_m: float = 120.0,
    swing: float = 0.45,
    jitter: float = 0.12,
) -> Coords:
    """A meandering polyline from ``start``: the heading swings around ``heading`` (radians)."""
    n = max(2, int(length_m / step_m))
    wavelength = rng.uniform(1500.0, 4500.0)
    phase = rng.uniform(0.0, 2.0 * math.pi)
    s = np.arange(n) * step_m
    drift = np.zeros(n)
    shocks = rng.normal(0.0, jitter, n)
    for i in range(1, n):  # a mean-reverting wander of the heading; one line, a few hundred steps
        drift[i] = 0.85 * drift[i - 1] + shocks[i]
    theta = heading + swing * np.sin(2.0 * math.pi * s / wavelength + phase) + drift
    steps = np.column_stack([np.cos(theta), np.sin(theta)]) * step_m
    return np.vstack([start, start + np.cumsum(steps, axis=0)])


def through(rng: np.random.Generator, point: Coords, heading: float, half_length_m: float, **kw: Any) -> Coords:
    """A meandering polyline passing through ``point`` in both directions."""
    forward = meander(rng, point, heading, half_length_m, **kw)
    backward = meander(rng, point, heading + math.pi, half_length_m, **kw)
    return np.vstack([backward[::-1], forward[1:]])


def nearest_inside(xy: Coords, region: Any, inset_m: float) -> Coords:
    """The points, those outside ``region`` moved to the nearest point ``inset_m`` inside it."""
    inner = shapely.buffer(region, -inset_m)
    out = np.array(xy, dtype=np.float64, copy=True)
    pts = shapely.points(out)
    for i in np.flatnonzero(~shapely.contains(region, pts)):  # a handful of named places
        out[i] = shapely.get_coordinates(shapely.shortest_line(inner, pts[i]))[0]
    return out


Draw = Callable[[np.random.Generator, int], Coords]


def sample_inside(rng: np.random.Generator, region: Any, count: int, draw: Draw | None = None) -> Coords:
    """``count`` random points inside ``region`` (prepared here): uniform, or from ``draw(rng, n)``.

    Candidates outside the region are rejected and drawn again, in the order drawn (deterministic).
    """
    shapely.prepare(region)
    x0, y0, x1, y1 = shapely.bounds(region)
    parts: list[Coords] = []
    have = 0
    while have < count:
        want = int((count - have) * 1.6) + 16
        xy = rng.uniform([x0, y0], [x1, y1], size=(want, 2)) if draw is None else draw(rng, want)
        xy = xy[shapely.contains_xy(region, xy[:, 0], xy[:, 1])][: count - have]
        parts.append(xy)
        have += len(xy)
    return np.concatenate(parts) if parts else np.empty((0, 2))


def minimum_spanning_edges(xy: Coords) -> list[tuple[int, int]]:
    """Edges of the Euclidean minimum spanning tree of a few points (Prim), in the order found."""
    n = len(xy)
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    in_tree = np.zeros(n, dtype=bool)
    in_tree[0] = True
    edges: list[tuple[int, int]] = []
    for _ in range(n - 1):
        masked = np.where(in_tree[:, None] & ~in_tree[None, :], d, np.inf)
        i, j = np.unravel_index(int(np.argmin(masked)), masked.shape)
        edges.append((int(i), int(j)))
        in_tree[j] = True
    return edges


def grid_lines(centre: Coords, half_extent_m: float, spacing_m: float, angle: float) -> list[tuple[float, Coords]]:
    """A square street grid around ``centre``: (offset from the centre, polyline) for every line."""
    u = np.array([math.cos(angle), math.sin(angle)])
    v = np.array([-u[1], u[0]])
    out: list[tuple[float, Coords]] = []
    k_max = int(half_extent_m // spacing_m)
    for k in range(-k_max, k_max + 1):
        offset = k * spacing_m
        for along, across in ((u, v), (v, u)):
            a = centre + across * offset - along * half_extent_m
            b = centre + across * offset + along * half_extent_m
            out.append((abs(offset), densify(np.vstack([a, b]), 150.0)))
    return out
