"""Benchmark: the compliance review (`guotu check`) on the demo county at 20,000 and 200,000 patches.

For each size, the seeded demo is built once (cached under bench/work/), then every demo project site
is reviewed:

- **guotu (warm)**: ``review_site`` in this process on an open store (what a server does);
- **guotu (CLI)**: the whole ``guotu check --json`` command, Python start-up included;
- **peer: geopandas**: the same per-layer questions answered the usual geopandas way — read each layer
  with a bbox filter (pyogrio), keep the editions in force, ``geopandas.overlay`` in EPSG:4549, sum
  areas per group.

Both answers are compared (total overlap per layer, 1e-6 relative) before any time is reported. The
figures are medians; the machine is noisy, so compare the ratios. Results go to bench/results/*.json.

    .venv/bin/python bench/check_bench.py [--sizes 20000 200000] [--repeat 5] [--seed 2024]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchkit import write_results

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
RESULTS = HERE / "results"
LAYERS = ("permanent_farmland", "eco_redline", "dev_boundary", "zones", "survey")
GROUP = {"zones": "zone_type", "survey": "land_class"}
DATE = dt.date(2025, 1, 1)


def demo(size: int, seed: int) -> Path:
    from guotu.demo.generate import build_demo
    from guotu.demo.save import write_demo

    path = WORK / f"demo_{seed}_{size}.gpkg"
    if not path.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        write_demo(build_demo(seed=seed, patches=size), path)
        print(f"  built {path.name} in {time.perf_counter() - t:.1f} s", flush=True)
    return path


def guotu_totals(review: Any) -> dict[str, float]:
    return {name: sum(g.area_m2 for g in res.groups) for name, res in review.layers.items()}


def peer_review(db: Path, site_gdf: Any, in_force: dict[str, list[int]], sliver: float) -> dict[str, float]:
    import geopandas as gpd

    site_m = site_gdf.to_crs(4549)
    bbox = tuple(site_gdf.total_bounds)
    out: dict[str, float] = {}
    for layer in LAYERS:
        gdf = gpd.read_file(db, layer=layer, bbox=bbox, engine="pyogrio")
        if layer in in_force:
            gdf = gdf[gdf["guotu_edition"].isin(in_force[layer])]
        if gdf.empty:
            out[layer] = 0.0
            continue
        pieces = gpd.overlay(site_m, gdf.to_crs(4549), how="intersection", keep_geom_type=True)
        areas = pieces.geometry.area
        pieces = pieces[areas >= sliver]
        key = GROUP.get(layer)
        if key is None:
            out[layer] = float(pieces.geometry.union_all().area) if len(pieces) else 0.0
        else:
            out[layer] = float(sum(g.geometry.union_all().area for _, g in pieces.groupby(key)))
    return out


def editions_in_force(db: Path) -> dict[str, list[int]]:
    con = sqlite3.connect(db)
    rows = con.execute("SELECT id, layer, status, valid_from, valid_to FROM guotu_editions").fetchall()
    con.close()
    out: dict[str, list[int]] = {}
    for eid, layer, status, start, end in rows:
        if status != "draft" and start <= DATE.isoformat() and (end is None or DATE.isoformat() < end):
            out.setdefault(layer, []).append(eid)
    return out


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000.0, 3)


def run(size: int, seed: int, repeat: int) -> dict[str, Any]:
    import geopandas as gpd

    from guotu.core.policy import DEFAULT_POLICY
    from guotu.onemap.compliance import review_site
    from guotu.onemap.review_index import enable_warm_reviews
    from guotu.store.gpkg import GpkgStore

    db = demo(size, seed)
    store = GpkgStore(db)
    enable_warm_reviews(store)  # what `guotu serve` does (docs/compliance.md); the first review builds it
    sites = store.read("sites")
    in_force = editions_in_force(db)
    warm: list[float] = []
    peer: list[float] = []
    checked = 0
    for i in range(len(sites)):
        one = sites.take([i])
        site_gdf = gpd.GeoDataFrame(geometry=list(one.geometry), crs=4490)
        review = review_site(store, one, date=DATE)  # warm-up and the answer to compare
        ours = guotu_totals(review)
        theirs = peer_review(db, site_gdf, in_force, DEFAULT_POLICY.sliver_m2)
        for layer in LAYERS:
            a, b = ours.get(layer, 0.0), theirs.get(layer, 0.0)
            if abs(a - b) > 1e-6 * max(abs(a), abs(b), 1.0):
                raise SystemExit(f"disagreement on site {one.ids} layer {layer}: guotu {a} vs geopandas {b}")
        checked += 1
        for _ in range(repeat):
            t = time.perf_counter()
            review_site(store, one, date=DATE)
            warm.append(time.perf_counter() - t)
            t = time.perf_counter()
            peer_review(db, site_gdf, in_force, DEFAULT_POLICY.sliver_m2)
            peer.append(time.perf_counter() - t)
    # The whole command, cold: one site exported to a coordinate txt.
    txt = WORK / f"site_{seed}_{size}.txt"
    from guotu.onemap.service import export_layer

    export_layer(store, "sites", txt, limit=1)
    store.close()
    cli: list[float] = []
    guotu_bin = Path(sys.executable).with_name("guotu")
    for _ in range(max(3, repeat // 2)):
        t = time.perf_counter()
        subprocess.run([str(guotu_bin), "check", str(txt), "--db", str(db), "--date", DATE.isoformat(), "--json"],
                       check=True, capture_output=True)
        cli.append(time.perf_counter() - t)
    w, p = median_ms(warm), median_ms(peer)
    return {"patches": size, "sites": checked, "guotu_warm_ms_p50": w,
            "guotu_warm_ms_p99": round(float(np.percentile(warm, 99)) * 1000, 3),
            "guotu_cli_ms_p50": median_ms(cli), "geopandas_ms_p50": p, "ratio_guotu_over_geopandas": round(w / p, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20000, 200000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    rows = []
    for size in args.sizes:
        print(f"size {size}:", flush=True)
        rows.append(run(size, args.seed, args.repeat))
        print("  " + json.dumps(rows[-1], ensure_ascii=False), flush=True)
    print()
    print(f"{'patches':>9} {'guotu warm p50':>15} {'p99':>9} {'guotu CLI p50':>14} {'geopandas p50':>14} {'ratio':>7}")
    for r in rows:
        print(f"{r['patches']:>9} {r['guotu_warm_ms_p50']:>12.1f} ms {r['guotu_warm_ms_p99']:>6.1f} ms "
              f"{r['guotu_cli_ms_p50']:>11.0f} ms {r['geopandas_ms_p50']:>11.1f} ms "
              f"{r['ratio_guotu_over_geopandas']:>7.3f}")
    out = write_results("check", args.seed, rows)
    print(f"\nwritten {out}")


if __name__ == "__main__":
    main()
