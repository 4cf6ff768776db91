"""The county of the review benchmark (issue #5, W2), in a GeoPackage and in a PostGIS schema.

From ``synth.py``'s county (seeded, EPSG:4549): the survey (``land_class``), the farmland as
``permanent_farmland`` and ``dev_boundary``; generated here, seeded: ``eco_redline`` (a few irregular
blobs) and ``zones`` (a zoning of the whole county: Voronoi regions with a zone type each). Plan
layers carry editions the way :mod:`guotu.demo` stores them: edition A (2022, superseded on
2024-06-28) and edition B (approved 2024-06-28, in force) each hold their own copy of the features;
edition B's development boundary adds one blob; zones exist in edition B only; the survey is
unversioned. Stored in CGCS2000 (EPSG:4490) like every guotu layer.

Sites: ``make_sites`` gives ~0.1 km² irregular polygons (7–14 vertices), a third of them centred on
a random point of a control line's boundary so that they cross it.

Files: ``bench/work/review_<seed>_<n>.gpkg``; PostGIS schema ``bench_review_<seed>_<n>`` of guotu_test
(a ``guotu copy`` of the GeoPackage, then ANALYZE).
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from synth import WORK, make_county, region

EPSG = 4549
DATE = dt.date(2025, 1, 1)
ZONE_TYPES = (
    ("ecological_protection", "生态保护区", 0.08),
    ("ecological_control", "生态控制区", 0.07),
    ("farmland_protection", "农田保护区", 0.40),
    ("urban_development", "城镇发展区", 0.20),
    ("rural_development", "乡村发展区", 0.25),
)


def eco_blobs(seed: int, count: int = 6) -> list[Any]:
    """``count`` disjoint irregular blobs (unions of discs), 1–4 km² each."""
    rng = np.random.default_rng([seed, 7001])
    x0, y0, x1, y1 = region().bounds
    out: list[Any] = []
    taken = shapely.Polygon()
    while len(out) < count:
        cx, cy = rng.uniform(x0 + 1500, x1 - 1500), rng.uniform(y0 + 1500, y1 - 1500)
        k = int(rng.integers(2, 5))
        discs = shapely.buffer(shapely.points(cx + rng.normal(0, 500, k), cy + rng.normal(0, 500, k)),
                               rng.uniform(300, 800, k), quad_segs=12)
        blob = shapely.set_precision(shapely.difference(shapely.union_all(discs), taken), 0.001)
        if blob.is_empty or blob.area < 2e5:
            continue
        out.append(blob)
        taken = shapely.union(taken, blob)
    return out


def zoning(seed: int, count: int = 60) -> tuple[list[Any], list[str], list[str]]:
    """A zoning of the county: ``count`` Voronoi regions (edges every 50 m), each with a zone type."""
    rng = np.random.default_rng([seed, 7002])
    box = region()
    x0, y0, x1, y1 = box.bounds
    seeds = shapely.multipoints(np.column_stack([rng.uniform(x0, x1, count), rng.uniform(y0, y1, count)]))
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=box))
    cells = shapely.set_precision(shapely.segmentize(shapely.intersection(cells, box), 50.0), 0.001)
    weights = np.array([z[2] for z in ZONE_TYPES])
    kinds = rng.choice(len(ZONE_TYPES), len(cells), p=weights / weights.sum())
    return list(cells), [ZONE_TYPES[k][0] for k in kinds], [ZONE_TYPES[k][1] for k in kinds]


def extra_dev_blob(dev: list[Any], seed: int) -> Any:
    """Edition B's addition to the development boundary: a disc outside edition A's polygons."""
    rng = np.random.default_rng([seed, 7003])
    x0, y0, x1, y1 = region().bounds
    taken = shapely.union_all(dev)
    while True:
        disc = shapely.Point(rng.uniform(x0 + 2000, x1 - 2000), rng.uniform(y0 + 2000, y1 - 2000)).buffer(600, 16)
        blob = shapely.set_precision(shapely.difference(disc, taken), 0.001)
        if blob.area > 5e5:
            return blob


def gpkg_path(n_cells: int, seed: int) -> Path:
    return WORK / f"review_{seed}_{n_cells}.gpkg"


def pg_schema(n_cells: int, seed: int) -> str:
    return f"bench_review_{seed}_{n_cells}"


def build_gpkg(n_cells: int, seed: int) -> Path:
    """The county as a guotu GeoPackage (built once, cached in bench/work/)."""
    from guotu.core.crs import transform_geometries
    from guotu.core.features import FeatureBatch
    from guotu.demo.plans import EDITION_A, EDITION_B
    from guotu.store.gpkg import GpkgStore

    out = gpkg_path(n_cells, seed)
    if out.exists():
        return out
    t = time.perf_counter()
    county = make_county(n_cells, seed)

    def geo(geoms: Any) -> Any:
        return transform_geometries(np.asarray(geoms, dtype=object), EPSG, 4490)

    farm = geo(county.farmland.geometry.values)
    dev = list(county.dev_boundary.geometry.values)
    dev_b = geo(np.asarray([*dev, extra_dev_blob(dev, seed)], dtype=object))
    eco = geo(eco_blobs(seed))
    zones, zone_types, zone_names = zoning(seed)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.unlink(missing_ok=True)
    store = GpkgStore(tmp, create=True)
    with store, store.transaction("bench") as tx:
        tx.create_layer("survey", "MULTIPOLYGON", {"land_class": "TEXT"})
        tx.write("survey", FeatureBatch(geo(county.survey.geometry.values),
                                        {"land_class": county.survey["land_class"].astype(str).tolist()}))
        plans: dict[str, tuple[dict[str, str], dict[str, FeatureBatch]]] = {
            "permanent_farmland": ({"block_no": "TEXT"}, {
                e.name: FeatureBatch(farm, {"block_no": [f"PF-{i + 1:05d}" for i in range(len(farm))]})
                for e in (EDITION_A, EDITION_B)}),
            "eco_redline": ({"name": "TEXT"}, {
                e.name: FeatureBatch(eco, {"name": [f"红线区{i + 1}" for i in range(len(eco))]})
                for e in (EDITION_A, EDITION_B)}),
            "dev_boundary": ({"name": "TEXT"}, {
                EDITION_A.name: FeatureBatch(dev_b[:-1], {"name": [f"开发边界{i + 1}" for i in range(len(dev))]}),
                EDITION_B.name: FeatureBatch(dev_b, {"name": [f"开发边界{i + 1}" for i in range(len(dev_b))]})}),
            "zones": ({"zone_type": "TEXT", "zone_name": "TEXT"}, {
                EDITION_B.name: FeatureBatch(geo(zones), {"zone_type": zone_types, "zone_name": zone_names})}),
        }
        for layer, (fields, by_edition) in plans.items():
            tx.create_layer(layer, "MULTIPOLYGON", fields, versioned=True)
            for e in (EDITION_A, EDITION_B):
                if e.name not in by_edition:
                    continue
                tx.add_edition(layer, e.name, valid_from=e.valid_from, valid_to=e.valid_to, status=e.status,
                               approved_on=e.approved_on, document=e.document)
                tx.write(layer, by_edition[e.name], edition=e.name)
    tmp.rename(out)
    print(f"  built {out.name} in {time.perf_counter() - t:.1f} s", flush=True)
    return out


def build_pg(n_cells: int, seed: int, url: str) -> str:
    """The same county in schema ``bench_review_<seed>_<n>`` of ``url`` (a verified ``guotu copy``)."""
    import psycopg

    from guotu.store.copy import copy_store
    from guotu.store.gpkg import GpkgStore
    from guotu.store.postgis import PostgisStore

    schema = pg_schema(n_cells, seed)
    source = build_gpkg(n_cells, seed)
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT to_regclass(%s)", (f'"{schema}".survey',)).fetchone()
        if row is not None and row[0] is not None:
            return schema
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    t = time.perf_counter()
    target = PostgisStore(url, schema=schema, create=True)
    src = GpkgStore(source)
    try:
        copy_store(src, target, "bench")
    finally:
        src.close()
        target.close()
    with psycopg.connect(url, autocommit=True) as conn:
        for layer in ("survey", "permanent_farmland", "eco_redline", "dev_boundary", "zones", "guotu_editions"):
            conn.execute(f'ANALYZE "{schema}"."{layer}"')
    print(f"  copied to PostGIS schema {schema} in {time.perf_counter() - t:.1f} s", flush=True)
    return schema


def make_sites(gpkg: Path, count: int, seed: int) -> list[Any]:
    """``count`` irregular ~0.1 km² polygons (EPSG:4549); every third is centred on a control line."""
    from guotu.core.crs import transform_geometries
    from guotu.store.gpkg import GpkgStore

    rng = np.random.default_rng([seed, 7004])
    store = GpkgStore(gpkg)
    try:
        lines = [transform_geometries(store.read(name, as_of=DATE).geometry, 4490, EPSG)
                 for name in ("dev_boundary", "eco_redline", "permanent_farmland")]
    finally:
        store.close()
    x0, y0, x1, y1 = region().bounds
    sites: list[Any] = []
    for i in range(count):
        if i % 3 == 2:
            ring = shapely.boundary(lines[i % len(lines)][rng.integers(len(lines[i % len(lines)]))])
            c = shapely.line_interpolate_point(ring, rng.uniform(0, 1), normalized=True)
            cx, cy = c.x, c.y
        else:
            cx, cy = rng.uniform(x0 + 500, x1 - 500), rng.uniform(y0 + 500, y1 - 500)
        k = int(rng.integers(7, 15))
        angles = (np.arange(k) + rng.uniform(-0.35, 0.35, k)) * (2 * np.pi / k)  # star-shaped: simple
        radii = rng.uniform(0.6, 1.4, k)
        poly = shapely.Polygon(np.column_stack([np.cos(angles) * radii, np.sin(angles) * radii]))
        scale = float(np.sqrt(rng.uniform(0.08e6, 0.12e6) / poly.area))
        coords = shapely.get_coordinates(poly) * scale + (cx, cy)
        # Rounded with numpy, not set_precision: a geometry from set_precision keeps a fixed precision
        # model, and GEOS then snap-rounds every overlay that takes it as first operand to that grid.
        sites.append(shapely.Polygon(np.round(coords, 3)))
    return sites
