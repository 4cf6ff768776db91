"""Pinghu's nine towns and streets (乡镇街道) with approximate seats, and the derived town boundaries.

Codes and names are the 2023 statistical division codes (统计用区划代码). No town boundaries are
published in our sources, so the demo derives illustrative ones: every survey patch goes to the town
whose seat is nearest in a gently warped plane (an additively weighted nearest-seat rule, so each
town stays in one piece and the borders are not straight), and a town is the union of its patches.
The seats are approximate positions of the town governments (CGCS2000 lon/lat), good to a few
hundred metres at best; a seat that falls outside the county is moved to the nearest point inside.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from guotu.demo.scene import SmoothField

TOWN_NOTE = "由镇政府驻地推算的示意边界，非法定行政界线"
SEAT_INSET_M = 300.0  # a seat moved inside the county lies this far inside the boundary


@dataclass(frozen=True)
class Town:
    code: str
    name: str
    seat_lon: float
    seat_lat: float
    urban_radius_m: float  # extent of the built-up core around the seat
    weight_m: float  # additive weight of the nearest-seat rule: larger means a larger town


TOWNS: tuple[Town, ...] = (
    Town("330482001", "当湖街道", 121.015, 30.697, 2300.0, -1000.0),
    Town("330482002", "钟埭街道", 121.055, 30.735, 1100.0, -1000.0),
    Town("330482003", "曹桥街道", 121.005, 30.775, 1000.0, 2200.0),
    Town("330482101", "乍浦镇", 121.085, 30.600, 1300.0, 0.0),
    Town("330482102", "新埭镇", 121.030, 30.825, 1000.0, 1500.0),
    Town("330482103", "新仓镇", 121.145, 30.680, 1000.0, -2200.0),
    Town("330482106", "广陈镇", 120.960, 30.800, 900.0, 3800.0),
    Town("330482107", "林埭镇", 120.985, 30.655, 1000.0, 300.0),
    Town("330482108", "独山港镇", 121.200, 30.625, 1300.0, 0.0),
)

TOWN_CODES = tuple(t.code for t in TOWNS)
TOWN_NAMES = tuple(t.name for t in TOWNS)


def town_index(name: str) -> int:
    return TOWN_NAMES.index(name)


def assign_towns(
    points_xy: npt.NDArray[np.float64], seats_xy: npt.NDArray[np.float64], warp: tuple[SmoothField, SmoothField]
) -> npt.NDArray[np.intp]:
    """Index of the town of each point: nearest seat after a smooth warp, minus the town's weight.

    The warp moves points by at most a few hundred metres and its gradient stays below one, so it
    is a one-to-one map and the (additively weighted, hence star-shaped) regions stay connected.
    """

    def warped(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.column_stack([xy[:, 0] + warp[0](xy), xy[:, 1] + warp[1](xy)])

    p = warped(points_xy)
    s = warped(seats_xy)
    weights = np.array([t.weight_m for t in TOWNS])
    best = np.zeros(len(p), dtype=np.intp)
    best_d = np.full(len(p), np.inf)
    for k in range(len(s)):  # nine towns: a loop over towns, vectorised over points
        d = np.hypot(p[:, 0] - s[k, 0], p[:, 1] - s[k, 1]) - weights[k]
        closer = d < best_d
        best[closer] = k
        best_d[closer] = d[closer]
    return best
