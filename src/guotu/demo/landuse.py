"""Land use of the survey patches (GB/T 21010-2017 codes), by quota and by where each use wants to be.

Each step gives a land use to the free patches that suit it best until the use reaches its share of
the county's area (:data:`SHARES`), so the shares hold at every resolution. Area-like uses rank
patches by a score (distance to the coast, to a town core, to a village...); linear uses (rivers,
roads, ditches) take the patches their polylines cross, line by line in rank order, so a coarse
survey shows the main rivers and a fine one shows smaller channels too. The order of the steps is
the order of precedence: coast and rivers first, farmland (whatever is left) last.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

from guotu.demo.landscape import Frame, Landscape
from guotu.demo.scene import Centre, Coords, Network
from guotu.demo.survey import Tessellation
from guotu.demo.towns import assign_towns

EDITION = "gbt21010-2017"

# Target share of the county's area per step (a Hangzhou Bay plain county: ~46 % farmland, ~30 %
# construction, ~10.5 % rivers, ponds and ditches, ~5.5 % tidal flats).
SHARES: dict[str, float] = {
    "jiulongshan": 0.004,  # 0301 on the 九龙山 coastal hills
    "coast": 0.063,  # 1105 tidal flats and 1008 port land along the bay
    "port": 0.008,  # 1008, part of "coast"
    "seawall": 0.004,  # 0404 grass behind the shore
    "1101": 0.050,
    "1003": 0.025,
    "urban": 0.195,  # town cores: the uses below and 0701 for the rest
    "1004": 0.022,
    "0601": 0.080,
    "0604": 0.010,
    "commercial": 0.011,  # 0505 / 0501
    "public": 0.015,  # 08xx
    "0702": 0.070,
    "1202": 0.012,
    "1107": 0.017,
    "1006": 0.013,
    "1104": 0.038,
    "0201": 0.026,
    "0204": 0.004,
    "0301": 0.010,
    "0307": 0.006,
}
PUBLIC = (("0803", 0.30), ("0810", 0.27), ("0809", 0.20), ("0805", 0.13), ("0801", 0.10))
FARMLAND_SPLIT = (("0101", 0.65), ("0102", 0.32), ("0103", 0.03))
URBAN_CODES = ("0701", "0505", "0501", "0601", "0604", "0801", "0803", "0805", "0809", "0810", "1004")


@dataclass(frozen=True, eq=False)
class LandUse:
    """Per patch: GB/T 21010 code, town index, nearest village and its distance, and flags."""

    code: npt.NDArray[np.str_]
    town: npt.NDArray[np.intp]
    village: npt.NDArray[np.intp]
    village_d: npt.NDArray[np.float64]
    coast_d: npt.NDArray[np.float64]
    urban: npt.NDArray[np.bool_]  # the town cores (all URBAN_CODES patches)
    jiulongshan: npt.NDArray[np.bool_]


def fill_by_score(
    score: npt.NDArray[np.float64], free: npt.NDArray[np.bool_], area: npt.NDArray[np.float64], target: float
) -> npt.NDArray[np.bool_]:
    """The free patches of highest score whose area adds up to ``target`` (nearest to it)."""
    chosen = np.zeros(len(free), dtype=bool)
    idx = np.flatnonzero(free)
    if target <= 0 or len(idx) == 0:
        return chosen
    order = idx[np.argsort(-score[idx], kind="stable")]
    cum = np.cumsum(area[order])
    k = int(np.searchsorted(cum, target))
    if k < len(cum) and cum[k] - target < target - (cum[k - 1] if k else 0.0):
        k += 1
    chosen[order[:k]] = True
    return chosen


def fill_by_lines(
    network: Network,
    tree: Any,
    points: Any,
    free: npt.NDArray[np.bool_],
    area: npt.NDArray[np.float64],
    target: float,
) -> npt.NDArray[np.bool_]:
    """The free patches crossed by the network's polylines, taken in line rank order up to ``target``.

    Should every line together fall short, the nearest free patches to the lines make up the rest.
    """
    chosen = np.zeros(len(free), dtype=bool)
    segments, rank = network.segments()
    if target <= 0 or len(segments) == 0:
        return chosen
    seg, cell = tree.query(segments, predicate="intersects")
    ok = free[cell]
    seg, cell = seg[ok], cell[ok]
    none = len(rank)
    cell_rank = np.full(len(free), none, dtype=np.intp)
    np.minimum.at(cell_rank, cell, rank[seg])
    hit = cell_rank < none
    cum = np.cumsum(np.bincount(cell_rank[hit], weights=area[hit], minlength=none))
    if cum[-1] >= target:
        last = int(np.searchsorted(cum, target))
        chosen[hit & (cell_rank <= last)] = True
        return chosen
    chosen[hit] = True
    rest = free & ~chosen
    distance = np.full(len(free), np.inf)
    idx = np.flatnonzero(rest)
    _, distance[idx] = shapely.STRtree(segments).query_nearest(points[idx], return_distance=True, all_matches=False)
    return chosen | fill_by_score(-distance, rest, area, target - cum[-1])


def _gauss(xy: Coords, centres: tuple[Centre, ...]) -> npt.NDArray[np.float64]:
    """max over centres of weight · exp(-(d / radius)²)."""
    out = np.zeros(len(xy))
    for c in centres:  # a handful of centres: loop over centres, vectorised over patches
        d2 = (xy[:, 0] - c.x) ** 2 + (xy[:, 1] - c.y) ** 2
        np.maximum(out, c.weight * np.exp(-d2 / c.radius_m**2), out=out)
    return out


def classify(rng: np.random.Generator, frame: Frame, land: Landscape, tess: Tessellation) -> LandUse:
    """Give every patch its land use, step by step in order of precedence, and its town and village."""
    n = len(tess)
    xy = tess.xy
    area = tess.area_m2
    total = float(area.sum())
    points = shapely.points(xy)
    tree = shapely.STRtree(tess.geoms_m)
    noise = {
        name: land.noise[name](xy)
        for name in ("forest", "farmland", "urban", "industry", "village", "pond", "garden", "paddy")
    }
    rand = rng.random((6, n))
    code = np.full(n, "", dtype="<U4")

    def free() -> npt.NDArray[np.bool_]:
        empty: npt.NDArray[np.bool_] = code == ""
        return empty

    def quota(key: str) -> float:
        return SHARES[key] * total

    def take(mask: npt.NDArray[np.bool_], value: str) -> None:
        code[mask & (code == "")] = value

    take(tess.islet, "0301")
    j = land.jiulongshan
    d_j = np.hypot(xy[:, 0] - j.x, xy[:, 1] - j.y)
    hills = free() & (d_j < 2.5 * j.radius_m)
    jiulongshan = fill_by_score(-d_j * (1.0 + 0.25 * noise["forest"]), hills, area, quota("jiulongshan"))
    take(jiulongshan, "0301")

    coast_d = shapely.distance(frame.coast_m, points)
    coast = fill_by_score(-coast_d - 120.0 * noise["farmland"], free(), area, quota("coast"))
    port_d = np.min([np.hypot(xy[:, 0] - p.x, xy[:, 1] - p.y) for p in land.ports], axis=0)
    take(fill_by_score(-port_d, coast, area, quota("port")), "1008")
    take(coast, "1105")
    take(fill_by_score(-coast_d + 400.0 * rand[0], free() & (coast_d < 3000.0), area, quota("seawall")), "0404")

    take(fill_by_lines(land.rivers, tree, points, free(), area, quota("1101")), "1101")
    take(fill_by_lines(land.roads, tree, points, free(), area, quota("1003")), "1003")

    s_town = _gauss(xy, land.towns) * (1.0 + 0.35 * noise["urban"])
    s_industry = _gauss(xy, land.industry) * (1.0 + 0.35 * noise["industry"])
    urban = fill_by_score(np.maximum(s_town, s_industry), free(), area, quota("urban"))
    take(fill_by_lines(land.streets, tree, points, urban & free(), area, quota("1004")), "1004")
    industrial = s_industry - s_town
    take(fill_by_score(industrial, urban & free(), area, quota("0601")), "0601")
    take(fill_by_score(industrial, urban & free(), area, quota("0604")), "0604")
    commercial = fill_by_score(s_town, urban & free(), area, quota("commercial"))
    take(commercial & (rand[1] < 0.55), "0505")
    take(commercial, "0501")
    public = fill_by_score(rand[2], urban & free(), area, quota("public"))
    _split(code, public, rand[3], area, PUBLIC)
    take(urban, "0701")

    near = shapely.STRtree(shapely.points([(v.x, v.y) for v in land.villages]))
    village, village_d = near.query_nearest(points, return_distance=True, all_matches=False)
    village = village[1]
    radius = np.array([v.radius_m for v in land.villages])[village]
    s_village = np.exp(-((village_d / radius) ** 2)) * (1.0 + 0.3 * noise["village"])
    take(fill_by_score(s_village, free(), area, quota("0702")), "0702")
    take(fill_by_score(s_village * rand[4], free(), area, quota("1202")), "1202")

    take(fill_by_lines(land.ditches, tree, points, free(), area, quota("1107")), "1107")
    take(fill_by_lines(land.rural_roads, tree, points, free(), area, quota("1006")), "1006")
    take(fill_by_score(noise["pond"] + 0.6 * rand[5], free(), area, quota("1104")), "1104")
    garden = noise["garden"] + 0.3 * rand[0]
    take(fill_by_score(garden, free(), area, quota("0201")), "0201")
    take(fill_by_score(garden, free(), area, quota("0204")), "0204")
    forest = noise["forest"] + 0.8 * rand[1]
    take(fill_by_score(forest, free(), area, quota("0301")), "0301")
    take(fill_by_score(forest, free(), area, quota("0307")), "0307")

    farmland = free()
    _split(code, farmland, -(noise["paddy"] + 0.3 * rand[2]), area, FARMLAND_SPLIT)

    town = assign_towns(xy, frame.seats, land.warp)
    return LandUse(code, town, village.astype(np.intp), village_d, coast_d, urban, jiulongshan)


def _split(
    code: npt.NDArray[np.str_],
    mask: npt.NDArray[np.bool_],
    order_key: npt.NDArray[np.float64],
    area: npt.NDArray[np.float64],
    shares: tuple[tuple[str, float], ...],
) -> None:
    """Give the patches in ``mask`` the codes of ``shares`` by area, in ascending ``order_key``."""
    idx = np.flatnonzero(mask)
    idx = idx[np.argsort(order_key[idx], kind="stable")]
    cum = np.cumsum(area[idx]) / max(float(area[idx].sum()), 1e-12)
    bounds = np.cumsum([s for _, s in shares])
    which = np.minimum(np.searchsorted(bounds, cum - 1e-12), len(shares) - 1)
    names = np.array([c for c, _ in shares], dtype="<U4")
    code[idx] = names[which]
