"""Twelve project sites (项目用地红线), each placed to show one case of the compliance review.

The ``demo_case`` attribute says what the site was placed to show; every case is checked while the
site is placed (overlap areas in the metric CRS against the patches of each line):

- ``inside_dev_boundary``: wholly inside the development boundary of both editions (a pass);
- ``crosses_permanent_farmland``: overlaps permanent farmland;
- ``crosses_eco_redline``: overlaps the eco red line;
- ``crosses_dev_boundary_edge``: partly inside, partly outside the development boundary;
- ``inside_edition_b_addition``: outside the boundary of edition A, inside that of edition B, so
  the verdict depends on the review date;
- ``outside_dev_boundary``: clear of all three lines, outside the development boundary (入库上图).

Names and applicants are invented (marked 示例).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

from guotu.core.crs import CGCS2000, transform_geometries
from guotu.core.features import FeatureBatch
from guotu.demo.landscape import Frame, Landscape
from guotu.demo.landuse import LandUse
from guotu.demo.plans import ControlLines
from guotu.demo.survey import Tessellation
from guotu.demo.towns import TOWN_CODES, town_index

Mask = npt.NDArray[np.bool_]
MARGIN_M = 3.0  # a site "inside" keeps this clearance from the line, so reprojection cannot matter
MIN_HECTARES = 1.5


@dataclass(frozen=True)
class SiteSpec:
    name: str
    applicant: str
    use: str
    demo_case: str
    town: str
    hectares: float
    road_width_m: float = 0.0  # a road site: a strip this wide; otherwise a block


# Each use's planned land class in the 2023 land/sea-use classification (code, name), written to the
# site's ``land_use``/``land_class_code`` so exported coordinate files carry 地块用途 and 地类编码.
USE_CLASSES: dict[str, tuple[str, str]] = {
    "industrial": ("1001", "工业用地"),
    "logistics": ("1101", "物流仓储用地"),
    "residential": ("0701", "城镇住宅用地"),
    "public": ("08", "公共管理与公共服务用地"),
    "road": ("1202", "公路用地"),
}

SITES: tuple[SiteSpec, ...] = (
    SiteSpec("独山港镇新材料产业园二期项目", "浙江平港新材料科技有限公司（示例）", "industrial",
             "inside_dev_boundary", "独山港镇", 24.0),
    SiteSpec("乍浦镇港区仓储物流项目", "平湖乍浦港通物流有限公司（示例）", "logistics",
             "inside_dev_boundary", "乍浦镇", 12.0),
    SiteSpec("当湖街道城市更新安置房项目", "平湖市城市发展投资集团有限公司（示例）", "residential",
             "inside_dev_boundary", "当湖街道", 6.5),
    SiteSpec("钟埭街道中心小学迁建工程", "平湖市教育局（示例）", "public",
             "inside_dev_boundary", "钟埭街道", 4.0),
    SiteSpec("新仓镇农村道路提升工程", "平湖市新仓镇人民政府（示例）", "road",
             "crosses_permanent_farmland", "新仓镇", 2.6, road_width_m=12.0),
    SiteSpec("广陈镇农产品精深加工园项目", "平湖市广陈农业开发有限公司（示例）", "industrial",
             "crosses_permanent_farmland", "广陈镇", 8.0),
    SiteSpec("新埭镇冷链物流中心项目", "平湖新埭冷链物流有限公司（示例）", "logistics",
             "crosses_permanent_farmland", "新埭镇", 10.0),
    SiteSpec("乍浦镇滨海大道延伸段工程", "平湖市交通运输局（示例）", "road",
             "crosses_eco_redline", "乍浦镇", 3.8, road_width_m=30.0),
    SiteSpec("九龙山旅游服务配套设施项目", "平湖九龙山旅游开发有限公司（示例）", "public",
             "crosses_eco_redline", "独山港镇", 5.0),
    SiteSpec("曹桥街道工业功能区扩建项目", "平湖市曹桥街道办事处（示例）", "industrial",
             "crosses_dev_boundary_edge", "曹桥街道", 10.0),
    SiteSpec("林埭镇智能制造产业园项目", "浙江林埭智能装备有限公司（示例）", "industrial",
             "inside_edition_b_addition", "林埭镇", 12.0),
    SiteSpec("新埭镇农村文化礼堂项目", "平湖市新埭镇人民政府（示例）", "public",
             "outside_dev_boundary", "新埭镇", 2.0),
)  # fmt: skip


class _Overlaps:
    """Overlap areas (m²) of a metric geometry with the patches selected by a mask."""

    def __init__(self, tess: Tessellation) -> None:
        self.geoms = tess.geoms_m
        self.tree = shapely.STRtree(tess.geoms_m)

    def __call__(self, geom: Any, mask: Mask) -> float:
        idx = self.tree.query(geom, predicate="intersects")
        idx = idx[mask[idx]]
        if len(idx) == 0:
            return 0.0
        return float(shapely.area(shapely.intersection(self.geoms[idx], geom)).sum())


def _block(centre: npt.NDArray[np.float64], hectares: float, aspect: float, angle: float, chamfer: float) -> Any:
    """A rectangle of ``hectares`` with one corner cut off, rotated by ``angle`` around ``centre``."""
    area = hectares * 10_000.0 / (1.0 - chamfer**2 / 2.0)
    w = math.sqrt(area * aspect)
    h = area / w
    local = np.array(
        [(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2 - chamfer * h), (w / 2 - chamfer * w, h / 2), (-w / 2, h / 2)]
    )
    return _place(local, centre, angle)


def _road(centre: npt.NDArray[np.float64], hectares: float, width: float, angle: float) -> Any:
    length = hectares * 10_000.0 / width
    local = np.array(
        [(-length / 2, -width / 2), (length / 2, -width / 2), (length / 2, width / 2), (-length / 2, width / 2)]
    )
    return _place(local, centre, angle)


def _place(local: npt.NDArray[np.float64], centre: npt.NDArray[np.float64], angle: float) -> Any:
    c, s = math.cos(angle), math.sin(angle)
    xy = local @ np.array([[c, s], [-s, c]]) + centre
    return shapely.polygons(np.vstack([xy, xy[:1]]))


def make_sites(
    rng: np.random.Generator, frame: Frame, land: Landscape, tess: Tessellation, use: LandUse, lines: ControlLines
) -> FeatureBatch:
    overlap = _Overlaps(tess)
    xy = tess.xy
    mainland = frame.mainland_m
    shapely.prepare(mainland)
    eco = lines.eco >= 0
    dev_both = lines.dev_a & lines.dev_b
    anything = lines.dev_b | lines.farmland | eco

    def inside(g: Any, mask: Mask) -> bool:
        grown = shapely.buffer(g, MARGIN_M)
        return overlap(grown, mask) >= float(shapely.area(grown)) * (1.0 - 1e-9)

    def clear(g: Any, mask: Mask) -> bool:
        return overlap(shapely.buffer(g, MARGIN_M), mask) == 0.0

    def share(g: Any, mask: Mask) -> float:
        return overlap(g, mask) / float(shapely.area(g))

    def fits(spec: SiteSpec, g: Any) -> bool:
        """Whether ``g`` lies in the county and shows the site's case."""
        if not shapely.contains(mainland, g):
            return False
        case = spec.demo_case
        if case == "inside_dev_boundary":
            return inside(g, dev_both)
        if case == "crosses_permanent_farmland":
            in_fields = not spec.road_width_m or clear(g, lines.dev_b)  # a rural road stays in the fields
            return share(g, lines.farmland) >= 0.15 and clear(g, eco) and in_fields
        if case == "crosses_eco_redline":
            return share(g, eco) >= 0.1 and overlap(g, eco) >= 1000.0
        if case == "crosses_dev_boundary_edge":
            return 0.25 <= share(g, lines.dev_a) <= 0.75 and clear(g, lines.added) and clear(g, eco)
        if case == "inside_edition_b_addition":
            return inside(g, lines.dev_b) and clear(g, lines.dev_a)
        return clear(g, anything)

    def nearest_first(points: npt.NDArray[np.float64], target: Any) -> npt.NDArray[np.float64]:
        d = np.hypot(points[:, 0] - target[0], points[:, 1] - target[1])
        return points[np.argsort(d, kind="stable")]

    def on_edge(mask: Mask) -> npt.NDArray[np.float64]:
        """Points every 50 m along the boundary of the selected patches."""
        edge = shapely.boundary(tess.union_m(mask))
        return shapely.get_coordinates(shapely.segmentize(edge, 50.0))  # type: ignore[no-any-return]

    def candidates(spec: SiteSpec) -> npt.NDArray[np.float64]:
        """Points that may centre the site, best first."""
        k = town_index(spec.town)
        town = use.town == k
        seat = frame.seats[k]
        if spec.demo_case == "inside_dev_boundary":
            target = seat
            if spec.use in ("industrial", "logistics"):  # in the industrial park nearest the seat
                target = min(((c.x, c.y) for c in land.industry), key=lambda p: math.dist(p, seat))
            return nearest_first(xy[dev_both & town & (lines.dev_kind == "城镇集中建设区")], target)
        if spec.demo_case == "crosses_permanent_farmland" and spec.road_width_m:  # far enough from the towns
            fields = xy[lines.farmland & town]
            _, d = shapely.STRtree(shapely.points(xy[lines.dev_b])).query_nearest(
                shapely.points(fields), return_distance=True, all_matches=False
            )
            reach = spec.hectares * 10_000.0 / spec.road_width_m / 2.0 + 300.0
            return np.vstack([nearest_first(fields[d > reach], seat), nearest_first(fields, seat)])
        if spec.demo_case == "crosses_permanent_farmland":
            return nearest_first(xy[lines.farmland & town], seat)
        if spec.demo_case == "crosses_eco_redline" and spec.road_width_m:
            return nearest_first(xy[(lines.eco == 0) & town], seat)
        if spec.demo_case == "crosses_eco_redline":  # on the edge of the 九龙山 red line, landward
            return nearest_first(on_edge(lines.eco == 1), seat)
        if spec.demo_case == "crosses_dev_boundary_edge":  # on the edge, where it is not a town border
            points = on_edge(lines.dev_a & town)
            near, patch = overlap.tree.query(shapely.buffer(shapely.points(points), 60.0), predicate="intersects")
            outside = np.bincount(near[~lines.dev_a[patch]], minlength=len(points)) > 0
            return nearest_first(points[outside], seat)
        if spec.demo_case == "inside_edition_b_addition":
            parts = shapely.get_parts(tess.union_m(lines.added))
            circles = shapely.maximum_inscribed_circle(parts)
            widest = np.argsort(-shapely.length(circles), kind="stable")
            centres = shapely.get_coordinates(shapely.get_point(circles[widest], 0))
            return np.vstack([centres, xy[lines.added]])
        rural = town & ~anything
        return np.vstack([nearest_first(xy[rural & (use.code == "0702")], seat), nearest_first(xy[rural], seat)])

    geoms: list[Any] = []
    for spec in SITES:
        points = candidates(spec)
        angle = rng.uniform(0.0, math.pi)
        aspect = rng.uniform(1.0, 1.8)
        chamfer = rng.uniform(0.0, 0.3)
        found = None
        for scale in (1.0, 0.7, 0.5, 0.35):
            hectares = max(MIN_HECTARES, spec.hectares * scale)
            for centre in points[:400]:
                if spec.road_width_m:
                    heading = angle
                    if spec.demo_case == "crosses_eco_redline":  # from the land out onto the flats
                        seat = frame.seats[town_index(spec.town)]
                        heading = math.atan2(centre[1] - seat[1], centre[0] - seat[0])
                    g = _road(centre, hectares, spec.road_width_m, heading)
                else:
                    g = _block(centre, hectares, aspect, angle, chamfer)
                if fits(spec, g):
                    found = g
                    break
            if found is not None:
                break
        if found is None:
            raise RuntimeError(f"no place found for the demo site {spec.name}")
        geoms.append(found)

    return FeatureBatch(
        transform_geometries(np.array(geoms, dtype=object), frame.metric_epsg, CGCS2000),
        {
            "site_no": [f"330482-XM-{k + 1:03d}" for k in range(len(SITES))],
            "name": [s.name for s in SITES],
            "applicant": [s.applicant for s in SITES],
            "use": [s.use for s in SITES],
            "land_use": [USE_CLASSES[s.use][1] for s in SITES],
            "land_class_code": [USE_CLASSES[s.use][0] for s in SITES],
            "land_class_edition": ["ydyh-2023"] * len(SITES),
            "demo_case": [s.demo_case for s in SITES],
            "town_code": [TOWN_CODES[town_index(s.town)] for s in SITES],
        },
    )
