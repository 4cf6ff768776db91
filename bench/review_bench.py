"""Benchmark W2 (issue #5): a full compliance review of ~0.1 km² sites, warm, on both stores, against PostGIS.

The county (``review_county.py``: synth.py's survey, farmland and development boundary plus a red
line and a zoning, with plan editions) is in a GeoPackage and in a PostGIS schema of guotu_test.
For each size, every site is first reviewed once (the warm-up, which builds the review index of a
warm server), then, ``--repeat`` times, each site is reviewed by:

- **guotu gpkg / guotu postgis**: ``review_site`` on an open store with warm reviews enabled (what
  ``guotu serve`` does per request: five layers, overlay in EPSG:4549, rules);
- **peer, PostGIS SQL**: the same five per-layer questions over one warm psycopg connection: features
  of the editions in force whose geometry ``&&`` and ``ST_Intersects`` the site, the area of
  ``ST_Intersection`` in EPSG:4549, pieces under the sliver tolerance dropped, summed per group (the
  layer for a control line, ``zone_type``, ``land_class``).

Before any time is reported, guotu's area per (layer, group) on both stores must equal the SQL's to
1e-6 relative (or the run stops). Figures: p50 / p99 per engine, ratios guotu / PostGIS (p50 vs
p50). JSON goes to bench/results/review-<date>.json.

    .venv/bin/python bench/review_bench.py [--sizes 20000 200000] [--sites 50] [--repeat 5] [--profile]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import os
import pstats
import time
from pathlib import Path
from typing import Any

import numpy as np

import review_county as rc
from benchkit import write_results

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PG_URL = os.environ.get("GUOTU_TEST_PG", "postgresql://postgres@127.0.0.1:5432/guotu_test")
GROUP_COLUMN = {"permanent_farmland": None, "eco_redline": None, "dev_boundary": None,
                "zones": "zone_type", "survey": "land_class"}
SQL = """
SELECT grp, sum(a) FROM (
  SELECT {grp_col} AS grp,
         ST_Area(ST_Intersection(ST_Transform(t.geom, 4549), ST_GeomFromWKB(%(m)s, 4549))) AS a
  FROM "{schema}"."{layer}" t
  WHERE t.geom && ST_GeomFromWKB(%(g)s, 4490) AND ST_Intersects(t.geom, ST_GeomFromWKB(%(g)s, 4490))
    AND (t.guotu_edition IS NULL OR t.guotu_edition IN (
      SELECT id FROM "{schema}".guotu_editions WHERE layer = %(layer)s AND status <> 'draft'
        AND valid_from <= %(day)s AND (valid_to IS NULL OR %(day)s < valid_to)))
) pieces WHERE a >= %(sliver)s GROUP BY grp
"""


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def trim() -> None:
    """Collect garbage and hand freed heap back to the OS, so RSS shows what is kept (glibc only)."""
    import ctypes
    import gc

    gc.collect()
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def guotu_areas(review: Any) -> dict[tuple[str, str], float]:
    return {(name, g.group): g.area_m2 for name, res in review.layers.items() for g in res.groups}


def peer_review(conn: Any, schema: str, wkb_geo: bytes, wkb_m: bytes, sliver: float) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for layer, col in GROUP_COLUMN.items():
        query = SQL.format(grp_col=f't."{col}"' if col else f"'{layer}'::text", schema=schema, layer=layer)
        for g, area in conn.execute(query, {"m": wkb_m, "g": wkb_geo, "layer": layer, "day": rc.DATE,
                                            "sliver": sliver}):
            out[(layer, str(g))] = float(area)
    return out


def agree(ours: dict[tuple[str, str], float], theirs: dict[tuple[str, str], float]) -> list[str]:
    bad = []
    for key in sorted(set(ours) | set(theirs)):
        a, b = ours.get(key, 0.0), theirs.get(key, 0.0)
        if abs(a - b) > 1e-6 * max(abs(a), abs(b), 1.0):
            bad.append(f"{key}: guotu {a} vs PostGIS {b}")
    return bad


def pct(samples: list[float], q: float) -> float:
    return round(float(np.percentile(samples, q)) * 1000.0, 3)


def run(size: int, seed: int, n_sites: int, repeat: int, profile: bool) -> dict[str, Any]:
    import psycopg
    import shapely

    from guotu.core.crs import transform_geometries
    from guotu.core.features import FeatureBatch
    from guotu.core.policy import DEFAULT_POLICY
    from guotu.onemap.compliance import review_json, review_site
    from guotu.onemap.review_index import enable_warm_reviews
    from guotu.store.gpkg import GpkgStore
    from guotu.store.postgis import PostgisStore

    gpkg = rc.build_gpkg(size, seed)
    schema = rc.build_pg(size, seed, PG_URL)
    sites = rc.make_sites(gpkg, n_sites, seed)
    batches = [FeatureBatch(np.array([s], dtype=object), {"name": [f"地块{i + 1}"]}, epsg=rc.EPSG)
               for i, s in enumerate(sites)]
    wkb_m = [shapely.to_wkb(s) for s in sites]
    wkb_geo = [shapely.to_wkb(g) for g in transform_geometries(np.array(sites, dtype=object), rc.EPSG, 4490)]
    stores = {"gpkg": GpkgStore(gpkg), "postgis": PostgisStore(PG_URL, schema=schema)}
    conn = psycopg.connect(PG_URL, autocommit=True)
    conn.execute("SET max_parallel_workers_per_gather = 0")  # one small query: no parallel start-up
    sliver = DEFAULT_POLICY.sliver_m2
    out: dict[str, Any] = {"cells": size, "sites": n_sites, "repeat": repeat}
    try:
        # Warm-up: builds the indexes (timed, with the memory they take) and gives the answers to compare.
        for name, store in stores.items():
            trim()
            before = rss_mb()
            indexes = enable_warm_reviews(store)
            t = time.perf_counter()
            review_site(store, batches[0], date=rc.DATE)
            out[f"{name}_index_build_s"] = round(time.perf_counter() - t, 2)
            trim()
            out[f"{name}_index_rss_mb"] = round(rss_mb() - before, 1)
            out[f"{name}_index_estimate_mb"] = round(indexes.memory() / 2**20, 1)
        checked = 0
        for i, b in enumerate(batches):
            theirs = peer_review(conn, schema, wkb_geo[i], wkb_m[i], sliver)
            for name, store in stores.items():
                bad = agree(guotu_areas(review_site(store, b, date=rc.DATE)), theirs)
                if bad:
                    raise SystemExit(f"site {i + 1} ({name}) disagrees with PostGIS:\n  " + "\n  ".join(bad))
            checked += 1
        out["checked_sites"] = checked
        times: dict[str, list[float]] = {"gpkg": [], "postgis": [], "peer": [], "json": []}
        engines = ["gpkg", "postgis", "peer"]
        turn = 0
        for _ in range(repeat):
            for i, b in enumerate(batches):
                # The engines take turns going first: on a busy machine a query sent right after CPU
                # work waits longer for the scheduler than one sent right after another query.
                turn += 1
                for name in engines[turn % 3:] + engines[:turn % 3]:
                    t = time.perf_counter()
                    if name == "peer":
                        peer_review(conn, schema, wkb_geo[i], wkb_m[i], sliver)
                    else:
                        review = review_site(stores[name], b, date=rc.DATE)
                    times[name].append(time.perf_counter() - t)
                t = time.perf_counter()
                review_json(review)
                times["json"].append(time.perf_counter() - t)
        for name, samples in times.items():
            out[f"{name}_ms_p50"] = pct(samples, 50)
            out[f"{name}_ms_p99"] = pct(samples, 99)
        out["ratio_gpkg_over_peer"] = round(out["gpkg_ms_p50"] / out["peer_ms_p50"], 3)
        out["ratio_postgis_over_peer"] = round(out["postgis_ms_p50"] / out["peer_ms_p50"], 3)
        if profile:
            prof = cProfile.Profile()
            prof.enable()
            for b in batches:
                review_site(stores["gpkg"], b, date=rc.DATE)
            prof.disable()
            print(f"  cProfile, warm GeoPackage reviews of {len(batches)} sites at {size:,} cells:")
            pstats.Stats(prof).sort_stats("tottime").print_stats(15)
    finally:
        conn.close()
        for store in stores.values():
            store.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20000, 200000])
    parser.add_argument("--sites", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the warm GeoPackage reviews")
    args = parser.parse_args()
    rows = []
    for size in args.sizes:
        print(f"size {size:,}:", flush=True)
        rows.append(run(size, args.seed, args.sites, args.repeat, args.profile))
        print("  " + json.dumps(rows[-1]), flush=True)
    print()
    print(f"{'cells':>9} {'engine':<16} {'p50':>9} {'p99':>9} {'guotu/PostGIS p50':>18} {'index build':>12} "
          f"{'index RSS':>10}")
    for r in rows:
        for name, label in (("gpkg", "guotu gpkg"), ("postgis", "guotu postgis"), ("peer", "PostGIS SQL")):
            ratio = f"{r[f'ratio_{name}_over_peer']:.3f}" if name != "peer" else "1.000"
            build = f"{r[f'{name}_index_build_s']:.2f} s" if name != "peer" else "—"
            mem = f"{r[f'{name}_index_rss_mb']:.0f} MB" if name != "peer" else "—"
            print(f"{r['cells']:>9,} {label:<16} {r[f'{name}_ms_p50']:>6.2f} ms {r[f'{name}_ms_p99']:>6.2f} ms "
                  f"{ratio:>18} {build:>12} {mem:>10}")
        print(f"{'':>9} {'(review_json)':<16} {r['json_ms_p50']:>6.2f} ms {r['json_ms_p99']:>6.2f} ms")
    out = write_results("review", args.seed, rows)
    print(f"\nwritten {out}")


if __name__ == "__main__":
    main()
