"""A synthetic county for the overlay benchmarks (issue #5): seeded, in EPSG:4549, cached as GeoParquet.

- **survey**: ``n_cells`` Voronoi cells of uniform random seeds in a 537 km² rectangle (26.0 km ×
  20.654 km) centred near Pinghu (x 597,700, y 3,398,000 in CGCS2000 3° GK CM 120°E). Edges are
  segmentized (≤ 0.35 × the mean seed spacing) and every cell snapped to a 1 mm grid, so cells have
  about 5–30 vertices and neighbours share exactly the same vertices (a clean coverage). Each cell has
  a GB/T 21010 ``land_class``.
- **farmland**: ``min(20_000, n_cells // 8)`` polygons, each the union of a cluster of neighbouring
  cells (cells grouped to the nearest of ``2.5 × n_farm`` coarse seeds; 40 % of the clusters are kept),
  so farmland boundaries follow survey boundaries, as permanent farmland drawn from the survey does.
  Cells inside farmland are mostly cultivated (0101/0102/0103).
- **dev_boundary**: 8 disjoint irregular blobs (unions of discs), ~10 % of the area, cutting across
  cells.

    make_county(n_cells, seed) -> County(survey, farmland, dev_boundary)   # GeoDataFrames, EPSG:4549

Files: ``bench/work/county_<seed>_<n>_{survey,farmland,dev_boundary}.parquet``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
EPSG = 4549
CENTRE = (597_700.0, 3_398_000.0)
WIDTH = 26_000.0
HEIGHT = 537e6 / WIDTH  # 20,653.8 m: 537 km² in all
LAYERS = ("survey", "farmland", "dev_boundary")

# GB/T 21010-2017 classes and rough Pinghu shares (outside farmland); cultivated classes inside it.
OTHER_CLASSES = ("0201", "0301", "0404", "0601", "0602", "0701", "0702", "1003", "1004", "1101", "1104", "1107")
OTHER_WEIGHTS = (0.05, 0.04, 0.03, 0.10, 0.04, 0.22, 0.14, 0.06, 0.05, 0.12, 0.08, 0.07)
FARM_CLASSES = ("0101", "0102", "0103", "0201", "1104", "1107")
FARM_WEIGHTS = (0.70, 0.12, 0.08, 0.04, 0.03, 0.03)


@dataclass(frozen=True)
class County:
    survey: Any  # GeoDataFrame: land_class, geometry
    farmland: Any  # GeoDataFrame: geometry
    dev_boundary: Any  # GeoDataFrame: geometry


def region() -> shapely.Polygon:
    x, y = CENTRE
    return shapely.box(x - WIDTH / 2, y - HEIGHT / 2, x + WIDTH / 2, y + HEIGHT / 2)


def paths(n_cells: int, seed: int) -> dict[str, Path]:
    return {name: WORK / f"county_{seed}_{n_cells}_{name}.parquet" for name in LAYERS}


def make_county(n_cells: int, seed: int = 2024) -> County:
    """The county for (n_cells, seed), read from bench/work/ if already built."""
    import geopandas as gpd

    files = paths(n_cells, seed)
    if all(p.exists() for p in files.values()):
        return County(*(gpd.read_parquet(files[name]) for name in LAYERS))
    t = time.perf_counter()
    county = _build(n_cells, seed)
    WORK.mkdir(parents=True, exist_ok=True)
    for name in LAYERS:
        getattr(county, name).to_parquet(files[name])
    print(f"  built county {seed}/{n_cells:,} in {time.perf_counter() - t:.1f} s", flush=True)
    return county


def _build(n_cells: int, seed: int) -> County:
    import geopandas as gpd

    rng = np.random.default_rng([seed, n_cells])
    box = region()
    x0, y0, x1, y1 = box.bounds
    pts = np.column_stack([rng.uniform(x0, x1, n_cells), rng.uniform(y0, y1, n_cells)])
    seeds = shapely.points(pts)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=box, ordered=True))
    cells = shapely.intersection(cells, box)
    spacing = float(np.sqrt(box.area / n_cells))
    cells = shapely.segmentize(cells, 0.35 * spacing)
    cells = shapely.set_precision(cells, 0.001)
    cells = np.array([_largest_polygon(c) for c in cells], dtype=object)

    # Farmland: clusters of neighbouring cells, 40 % of them kept.
    n_farm = min(20_000, n_cells // 8)
    n_clusters = int(n_farm * 2.5)
    coarse = shapely.points(np.column_stack([rng.uniform(x0, x1, n_clusters), rng.uniform(y0, y1, n_clusters)]))
    cluster = shapely.STRtree(coarse).query_nearest(seeds, all_matches=False)[1]
    kept = np.sort(rng.choice(n_clusters, n_farm, replace=False))
    in_farm = np.isin(cluster, kept)
    order = np.argsort(cluster[in_farm], kind="stable")
    farm_cells = np.flatnonzero(in_farm)[order]
    bounds = np.flatnonzero(np.diff(cluster[farm_cells])) + 1
    farmland = [shapely.union_all(cells[g]) for g in np.split(farm_cells, bounds)]

    land = np.empty(n_cells, dtype=object)
    land[in_farm] = rng.choice(FARM_CLASSES, int(in_farm.sum()), p=FARM_WEIGHTS)
    land[~in_farm] = rng.choice(OTHER_CLASSES, int((~in_farm).sum()), p=OTHER_WEIGHTS)

    # Development boundaries: 8 disjoint blobs.
    dev: list[Any] = []
    taken = shapely.Polygon()
    for _ in range(8):
        cx, cy = rng.uniform(x0 + 3000, x1 - 3000), rng.uniform(y0 + 3000, y1 - 3000)
        k = int(rng.integers(3, 6))
        centres = shapely.points(cx + rng.normal(0, 900, k), cy + rng.normal(0, 900, k))
        discs = shapely.buffer(centres, rng.uniform(700, 1500, k), quad_segs=16)
        blob = shapely.difference(shapely.intersection(shapely.union_all(discs), box), taken)
        blob = shapely.set_precision(blob, 0.001)
        if blob.is_empty:
            continue
        dev.append(blob)
        taken = shapely.union(taken, blob)

    crs = f"EPSG:{EPSG}"
    survey = gpd.GeoDataFrame({"land_class": land.astype(str)}, geometry=cells, crs=crs)
    return County(
        survey,
        gpd.GeoDataFrame(geometry=np.array(farmland, dtype=object), crs=crs),
        gpd.GeoDataFrame(geometry=np.array(dev, dtype=object), crs=crs),
    )


def _largest_polygon(g: Any) -> Any:
    if shapely.get_type_id(g) == 3:
        return g
    parts = [p for p in shapely.get_parts(g) if shapely.get_type_id(p) == 3]
    return max(parts, key=lambda p: p.area)


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[20_000])
    ap.add_argument("--seed", type=int, default=2024)
    a = ap.parse_args()
    for n in a.sizes:
        c = make_county(n, a.seed)
        nv = shapely.get_num_coordinates(c.survey.geometry.values)
        print(
            f"{n:,} cells: survey {c.survey.area.sum() / 1e6:.2f} km², vertices p1/p50/p99 "
            f"{np.percentile(nv, [1, 50, 99]).tolist()}; farmland {len(c.farmland):,} polygons "
            f"{c.farmland.area.sum() / 1e6:.1f} km²; dev {len(c.dev_boundary)} polygons "
            f"{c.dev_boundary.area.sum() / 1e6:.1f} km²"
        )
