"""Every benchmark of issue #5 in one command, then one table of the targets and where guotu stands.

Runs, one after another (never in parallel: these machines have 2 cores):

1. ``overlay_bench.py`` — W1, the county overlay, guotu against PostGIS, DuckDB, geopandas,
   dask-geopandas, and guotu's own Dask engine; at 2,000,000 cells guotu and guotu-dask only;
2. ``review_bench.py`` — W2, the warm compliance review against the same questions in PostGIS SQL;
3. ``tile_bench.py`` — W3, cold MVT tiles against ST_AsMVT on both stores, cached tiles over HTTP (wrk);
4. ``import_bench.py`` — loading the survey into each store against ogr2ogr.

Each writes its own JSON to bench/results/ and prints its own table; this script then reads those
files and prints the targets of the issue with the measured ratio and whether it is met.

    .venv/bin/python bench/run_all.py [--quick] [--no-province]

``--quick`` runs at 20,000 cells only (a smoke run, minutes); ``--no-province`` skips the
2,000,000-cell overlay (which needs ~5 GB and, the first time, ~8 minutes to build its county).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def run(script: str, *args: str) -> None:
    cmd = [sys.executable, str(HERE / script), *args]
    print(f"\n$ {' '.join(cmd[1:])}", flush=True)
    t = time.perf_counter()
    subprocess.run(cmd, check=True)
    print(f"  ({time.perf_counter() - t:.0f} s)", flush=True)


def latest(kind: str) -> dict[str, Any] | None:
    """The newest result of a benchmark: by the date in its name, then by the time it was written (a
    fresh checkout gives every file the same modification time)."""
    files = sorted(RESULTS.glob(f"{kind}-[0-9]*.json"), key=lambda p: (p.stem[len(kind) + 1 :], p.stat().st_mtime))
    return json.loads(files[-1].read_text()) if files else None


def targets(size: int) -> list[tuple[str, str, str, bool | None]]:
    """(target, needed, measured, met) rows from the newest result files."""
    rows: list[tuple[str, str, str, bool | None]] = []
    key = str(size)
    ov = latest("overlay")
    if ov and key in ov.get("sizes", {}):
        eng = ov["sizes"][key]["engines"]
        g = eng.get("guotu", {}).get("median_s")
        for peer, factor in (("duckdb", 3), ("postgis", 4)):
            p = eng.get(peer, {}).get("median_s")
            if g and p:
                rows.append((f"W1 ≥ {factor}× faster than {peer} ({size:,} cells)", f"guotu/{peer} ≤ {1 / factor:.2f}",
                             f"{g:.2f} s / {p:.2f} s = {g / p:.2f}", g / p <= 1 / factor))
        if "guotu" in eng:
            mb = eng["guotu"]["peak_rss_mb"]
            rows.append(("W1 peak memory", "< 2,048 MB", f"{mb:,.0f} MB", mb < 2048))
    pv = latest("overlay-province")
    if pv and "200000" in pv.get("sizes", {}) and "2000000" in pv["sizes"]:
        small = pv["sizes"]["200000"]["engines"]
        big = pv["sizes"]["2000000"]["engines"]
        for name in ("guotu-dask", "guotu"):
            if name in big and name in small:
                growth = big[name]["median_s"] / small[name]["median_s"]
                if name == "guotu-dask":
                    rows.append(("province: Dask engine time 200k → 2M", "≤ 11×", f"{growth:.2f}×", growth <= 11))
                else:
                    rows.append(("province: single-process time 200k → 2M (reported)", "—", f"{growth:.2f}×",
                                 None))
        if "guotu-dask" in big:
            worker = max(big["guotu-dask"].get("worker_peak_mb") or [float("nan")])
            rows.append(("province: peak memory per Dask worker at 2M", "< 4,096 MB", f"{worker:,.0f} MB",
                         worker < 4096))
    rv = latest("review")
    for r in (rv or {}).get("results", []):
        if r.get("cells") != size:
            continue
        for store in ("gpkg", "postgis"):
            p50, p99 = r[f"{store}_ms_p50"], r[f"{store}_ms_p99"]
            ratio = r[f"ratio_{store}_over_peer"]
            rows.append((f"W2 review p50, {store} store", "≤ 5 ms", f"{p50:.1f} ms", p50 <= 5))
            rows.append((f"W2 review p99, {store} store", "≤ 20 ms", f"{p99:.1f} ms", p99 <= 20))
            rows.append((f"W2 ≥ 2× faster than PostGIS SQL, {store} store", "guotu/SQL ≤ 0.50",
                         f"{ratio:.2f}", ratio <= 0.5))
    tl = latest("tiles")
    for r in (tl or {}).get("rows", []):
        if r.get("cells") != size:
            continue
        if r.get("workload") == "cold" and "guotu_over_postgis_rate" in r and r["engine"].startswith("guotu"):
            ratio = r["guotu_over_postgis_rate"]
            rows.append((f"W3 cold tiles, {r['engine']}", "rate ≥ ST_AsMVT (ratio ≥ 1)",
                         f"{r['tiles_per_s']:.0f} tiles/s, ratio {ratio:.2f}", ratio >= 1))
        if str(r.get("workload", "")).startswith("cached over HTTP"):
            rate = r["tiles_per_s"]
            rows.append((f"W3 cached tiles over HTTP, {r['engine']}", "≥ 2,000 tiles/s", f"{rate:,.0f} tiles/s",
                         rate >= 2000))
    im = latest("import")
    if im and key in im.get("sizes", {}):
        s = im["sizes"][key]
        ratios, medians = s.get("ratio_guotu_over_ogr2ogr", {}), s.get("median_s", {})
        if "guotu-postgis" in ratios:
            rows.append(("import into PostGIS", "guotu/ogr2ogr ≤ 1.00",
                         f"{medians['guotu-postgis']:.2f} s / {medians['ogr2ogr-postgis']:.2f} s = "
                         f"{ratios['guotu-postgis']:.2f}", ratios["guotu-postgis"] <= 1.0))
        if "guotu-gpkg" in ratios:
            rows.append(("import into the GeoPackage (reported)", "—",
                         f"{medians['guotu-gpkg']:.2f} s; / ogr2ogr -f GPKG {medians['ogr2ogr-gpkg']:.2f} s = "
                         f"{ratios['guotu-gpkg']:.2f}", None))
    return rows


def print_targets(size: int) -> None:
    rows = targets(size)
    print(f"\n## Issue #5 targets at {size:,} cells ({dt.date.today().isoformat()})\n")
    print("| target | needed | measured | met |")
    print("|---|---|---|---|")
    for name, needed, measured, met in rows:
        mark = "—" if met is None else ("yes" if met else "**no**")
        print(f"| {name} | {needed} | {measured} | {mark} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="20,000 cells only: a smoke run")
    ap.add_argument("--no-province", action="store_true", help="skip the 2,000,000-cell overlay")
    ap.add_argument("--summary", action="store_true", help="only print the targets from the newest results")
    a = ap.parse_args()
    size = 20_000 if a.quick else 200_000
    if not a.summary:
        run("overlay_bench.py", "--sizes", str(size), "--repeat", "3")
        if not (a.quick or a.no_province):
            run("overlay_bench.py", "--sizes", "200000", "2000000", "--repeat", "3", "--engines", "guotu", "guotu-dask",
                "--tag", "province")
        run("review_bench.py", "--sizes", str(size))
        run("tile_bench.py", "--sizes", str(size))
        run("import_bench.py", "--sizes", str(size), "--repeat", "3")
    print_targets(size)


if __name__ == "__main__":
    main()
