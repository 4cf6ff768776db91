"""Benchmark W1 of issue #5: area per land class per control line, guotu against its peers.

On the synthetic county of bench/synth.py (survey of N Voronoi cells, ~20,000 farmland polygons, 8
development-boundary polygons, EPSG:4549), W1 groups the survey by ``land_class``, overlays it with each
control-line layer (farmland, dev_boundary) and sums the overlap areas in EPSG:4549:
``{(layer, land_class): m²}``. Engines, each in its own fresh process (so peak memory is its own):

- **guotu**: ``guotu.core.geometry.overlay`` on shapely arrays, grouping with ``numpy.bincount``
  (the current engine, unoptimised);
- **geopandas**: ``geopandas.overlay(how="intersection")``, ``area``, ``groupby``;
- **postgis**: the local PostgreSQL (database guotu_test), tables COPYed into a temporary schema, GiST
  indexes, ANALYZE, ``max_parallel_workers_per_gather = 2``, one SQL (ST_Intersects join,
  ST_Area(ST_Intersection) summed per group);
- **duckdb**: duckdb 1.5.5 with the pip-packaged spatial extension loaded by path, ``threads = 2``,
  the same SQL;
- **dask**: dask-geopandas, a LocalCluster of 2 single-thread workers; the survey spatially shuffled
  (Hilbert) into partitions persisted on the workers, the control layers scattered to both workers;
  per partition ``geopandas.overlay`` + groupby, partial sums added up.

Loading (COPY, index builds, scatter, persist) is set-up, timed separately and not part of W1. All
answers are compared with guotu's per group (1e-6 relative; groups under 1 m² in both are ignored)
before any time is reported; the run stops on a disagreement. Peak memory is the peak RSS (VmHWM,
reset before each repeat) of the engine's process, plus the dask workers' for dask; PostgreSQL's
server processes are not counted.

    .venv/bin/python bench/overlay_bench.py --sizes 20000 200000 [--repeat 3] [--seed 2024]
        [--engines guotu geopandas postgis duckdb dask] [--profile]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
ENGINES = ("guotu", "geopandas", "postgis", "duckdb", "dask")
CONTROL = ("farmland", "dev_boundary")
REL_TOL = 1e-6
MIN_AREA = 1.0  # m²: groups smaller than this in both answers are only touching pairs
PG_DSN = os.environ.get("GUOTU_BENCH_PG", "dbname=guotu_test")

Answer = dict[str, float]  # "layer|land_class" -> m²


# --- memory -----------------------------------------------------------------------------------------


def reset_peak() -> None:
    """Reset this process's VmHWM (Linux: writing 5 to clear_refs)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# --- the engines: each is setup(county) -> run() -> Answer ----------------------------------------------


def setup_guotu(county: Any) -> Any:
    from guotu.core.geometry import overlay

    survey = county.survey.geometry.values.to_numpy()
    classes = county.survey["land_class"].to_numpy()
    layers = {name: getattr(county, name).geometry.values.to_numpy() for name in CONTROL}

    def run() -> Answer:
        names, codes = np.unique(classes, return_inverse=True)
        out: Answer = {}
        for name, geoms in layers.items():
            o = overlay(survey, geoms)
            sums = np.bincount(codes[o.left], weights=o.area_m2, minlength=len(names))
            out.update({f"{name}|{names[k]}": float(sums[k]) for k in np.flatnonzero(sums)})
        return out

    return run


def setup_geopandas(county: Any) -> Any:
    import geopandas as gpd

    survey = county.survey[["land_class", "geometry"]]
    layers = {name: getattr(county, name)[["geometry"]] for name in CONTROL}

    def run() -> Answer:
        out: Answer = {}
        for name, layer in layers.items():
            r = gpd.overlay(survey, layer, how="intersection", keep_geom_type=True)
            sums = r.area.groupby(r["land_class"].to_numpy()).sum()
            out.update({f"{name}|{k}": float(v) for k, v in sums.items()})
        return out

    return run


W1_SQL = " UNION ALL ".join(
    f"SELECT '{name}' AS layer, s.land_class, SUM(ST_Area(ST_Intersection(s.geom, c.geom))) AS area "
    f"FROM survey s JOIN {name} c ON ST_Intersects(s.geom, c.geom) GROUP BY s.land_class"
    for name in CONTROL
)


def setup_postgis(county: Any) -> Any:
    import psycopg
    import shapely

    schema = f"bench_w1_{os.getpid()}"
    conn = psycopg.connect(PG_DSN, autocommit=True)
    conn.execute(f"CREATE SCHEMA {schema}")
    conn.execute(f"SET search_path = {schema}, public")
    tables = {"survey": county.survey, **{name: getattr(county, name) for name in CONTROL}}
    for name, gdf in tables.items():
        extra = "land_class text, " if name == "survey" else ""
        conn.execute(f"CREATE TABLE {name} (id integer, {extra}geom geometry(Polygon, 4549))"
                     if name == "survey" else f"CREATE TABLE {name} (id integer, geom geometry(Geometry, 4549))")
        geoms = shapely.set_srid(gdf.geometry.values.to_numpy(), 4549)
        hexes = shapely.to_wkb(geoms, hex=True, include_srid=True)
        buf = io.StringIO()
        if name == "survey":
            for i, (c, h) in enumerate(zip(gdf["land_class"], hexes, strict=True)):
                buf.write(f"{i}\t{c}\t{h}\n")
        else:
            for i, h in enumerate(hexes):
                buf.write(f"{i}\t{h}\n")
        cols = "id, land_class, geom" if name == "survey" else "id, geom"
        with conn.cursor().copy(f"COPY {name} ({cols}) FROM STDIN") as cp:
            cp.write(buf.getvalue())
        conn.execute(f"CREATE INDEX ON {name} USING gist (geom)")
        conn.execute(f"ANALYZE {name}")
    conn.execute("SET max_parallel_workers_per_gather = 2")

    def run() -> Answer:
        rows = conn.execute(W1_SQL).fetchall()
        return {f"{layer}|{cls}": float(a) for layer, cls, a in rows if a}

    def close() -> None:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")
        conn.close()

    run.close = close  # type: ignore[attr-defined]
    return run


def duckdb_spatial_path() -> Path:
    import duckdb_extension_spatial

    base = Path(duckdb_extension_spatial.__file__).parent
    return base / "extensions" / "v1.5.5" / "spatial.duckdb_extension"


def setup_duckdb(county: Any) -> Any:
    import duckdb
    import pandas as pd
    import shapely

    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute(f"LOAD '{duckdb_spatial_path()}'")
    tables = {"survey": county.survey, **{name: getattr(county, name) for name in CONTROL}}
    for name, gdf in tables.items():
        df = pd.DataFrame({"wkb": shapely.to_wkb(gdf.geometry.values.to_numpy())})
        if name == "survey":
            df["land_class"] = gdf["land_class"].to_numpy()
        con.register("src", df)
        extra = "land_class, " if name == "survey" else ""
        con.execute(f"CREATE TABLE {name} AS SELECT {extra}ST_GeomFromWKB(wkb) AS geom FROM src")
        con.unregister("src")

    def run() -> Answer:
        rows = con.execute(W1_SQL).fetchall()
        return {f"{layer}|{cls}": float(a) for layer, cls, a in rows if a}

    return run


def _dask_part(part: Any, layer: Any) -> Any:
    import geopandas as gpd

    r = gpd.overlay(part, layer, how="intersection", keep_geom_type=True)
    return r.area.groupby(r["land_class"].to_numpy()).sum()


def setup_dask(county: Any) -> Any:
    import dask_geopandas
    from distributed import Client, LocalCluster, wait

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    survey = county.survey[["land_class", "geometry"]]
    nparts = max(4, len(survey) // 25_000)
    ds = dask_geopandas.from_geopandas(survey, npartitions=nparts).spatial_shuffle(by="hilbert").persist()
    parts = client.futures_of(ds)
    wait(parts)
    layers = {name: client.scatter(getattr(county, name)[["geometry"]], broadcast=True) for name in CONTROL}

    def run() -> Answer:
        out: Answer = {}
        for name, lf in layers.items():
            sums = client.gather([client.submit(_dask_part, pf, lf, pure=False) for pf in parts])
            total: dict[str, float] = {}
            for s in sums:
                for k, v in s.items():
                    total[k] = total.get(k, 0.0) + float(v)
            out.update({f"{name}|{k}": v for k, v in total.items()})
        return out

    def worker_peak() -> float:
        return sum(client.run(peak_mb).values())

    def worker_reset() -> None:
        client.run(reset_peak)

    def close() -> None:
        client.close()
        cluster.close()

    run.close = close  # type: ignore[attr-defined]
    run.worker_peak = worker_peak  # type: ignore[attr-defined]
    run.worker_reset = worker_reset  # type: ignore[attr-defined]
    return run


SETUP = {
    "guotu": setup_guotu,
    "geopandas": setup_geopandas,
    "postgis": setup_postgis,
    "duckdb": setup_duckdb,
    "dask": setup_dask,
}


def worker(engine: str, size: int, seed: int, repeat: int) -> dict[str, Any]:
    """Run one engine in this (fresh) process; the result is printed as JSON on the last line."""
    from synth import make_county

    county = make_county(size, seed)
    base = peak_mb()
    t = time.perf_counter()
    run = SETUP[engine](county)
    setup_s = time.perf_counter() - t
    times, peaks, answer = [], [], {}
    try:
        for _ in range(repeat):
            reset_peak()
            if hasattr(run, "worker_reset"):
                run.worker_reset()
            t = time.perf_counter()
            answer = run()
            times.append(time.perf_counter() - t)
            peak = peak_mb() + (run.worker_peak() if hasattr(run, "worker_peak") else 0.0)
            peaks.append(peak)
    finally:
        if hasattr(run, "close"):
            run.close()
    return {"engine": engine, "size": size, "setup_s": setup_s, "times_s": times, "median_s": statistics.median(times),
            "peak_rss_mb": max(peaks), "rss_after_load_mb": base, "answer": answer}


def compare(ref: Answer, other: Answer) -> list[str]:
    bad = []
    for key in sorted(set(ref) | set(other)):
        a, b = ref.get(key, 0.0), other.get(key, 0.0)
        if max(abs(a), abs(b)) < MIN_AREA:
            continue
        if abs(a - b) > REL_TOL * max(abs(a), abs(b)):
            bad.append(f"{key}: guotu {a:.6f} vs {b:.6f} (rel {abs(a - b) / max(abs(a), abs(b)):.2e})")
    return bad


def profile_guotu(size: int, seed: int, top: int = 15) -> str:
    import cProfile
    import pstats

    from synth import make_county

    run = setup_guotu(make_county(size, seed))
    prof = cProfile.Profile()
    prof.enable()
    run()
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def machine() -> dict[str, Any]:
    import shapely

    cpu = ""
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "cpu": cpu, "shapely": shapely.__version__, "geos": shapely.geos_version_string}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[20_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    ap.add_argument("--profile", action="store_true", help="print a cProfile of the guotu run and stop")
    ap.add_argument("--worker", choices=ENGINES, help=argparse.SUPPRESS)
    a = ap.parse_args()
    sys.path.insert(0, str(HERE))

    if a.worker:
        print(json.dumps(worker(a.worker, a.sizes[0], a.seed, a.repeat)))
        return
    if a.profile:
        for size in a.sizes:
            print(profile_guotu(size, a.seed))
        return

    from synth import make_county

    report: dict[str, Any] = {"date": dt.date.today().isoformat(), "seed": a.seed, "repeat": a.repeat,
                              "machine": machine(), "sizes": {}}
    rows = []
    for size in a.sizes:
        county = make_county(size, a.seed)
        info = {"survey": len(county.survey), "farmland": len(county.farmland),
                "dev_boundary": len(county.dev_boundary)}
        del county
        results: dict[str, Any] = {}
        for engine in ["guotu", *[e for e in a.engines if e != "guotu"]]:
            print(f"[{size:,}] {engine} ...", flush=True)
            cmd = [sys.executable, __file__, "--worker", engine, "--sizes", str(size),
                   "--seed", str(a.seed), "--repeat", str(a.repeat)]
            p = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if p.returncode != 0:
                sys.exit(f"{engine} failed at {size}:\n{p.stderr[-3000:]}")
            results[engine] = json.loads(p.stdout.strip().splitlines()[-1])
            r = results[engine]
            print(f"    setup {r['setup_s']:.2f} s, median {r['median_s']:.3f} s, peak {r['peak_rss_mb']:.0f} MB",
                  flush=True)
        ref = results["guotu"]["answer"]
        for engine, r in results.items():
            bad = compare(ref, r["answer"])
            if bad:
                sys.exit(f"[{size:,}] {engine} disagrees with guotu on {len(bad)} groups:\n  " + "\n  ".join(bad[:20]))
        total = sum(ref.values())
        print(f"[{size:,}] all {len(results)} engines agree on {len(ref)} groups (total {total / 1e6:.4f} km²)")
        g = results["guotu"]["median_s"]
        for engine, r in results.items():
            rows.append((size, engine, r["median_s"], g / r["median_s"], r["peak_rss_mb"], r["setup_s"]))
        report["sizes"][str(size)] = {"layers": info, "total_m2": total, "groups": len(ref), "engines": {
            e: {k: v for k, v in r.items() if k != "answer"} for e, r in results.items()}}
        report["sizes"][str(size)]["answer"] = ref

    print("\n| cells | engine | W1 median | guotu/peer | peak RSS | set-up (load) |")
    print("|---:|---|---:|---:|---:|---:|")
    for size, engine, med, ratio, peak, setup in rows:
        print(f"| {size:,} | {engine} | {med:.3f} s | {ratio:.2f} | {peak:,.0f} MB | {setup:.1f} s |")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"overlay-{report['date']}.json"
    out.write_text(json.dumps(report, indent=1, ensure_ascii=False))
    print(f"\nwrote {out.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
