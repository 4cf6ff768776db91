"""Benchmark W1 of issue #5: area per land class per control line, guotu against its peers.

On the synthetic county of bench/synth.py (survey of N Voronoi cells, ~20,000 farmland polygons, 8
development-boundary polygons, EPSG:4549), W1 groups the survey by ``land_class``, overlays it with each
control-line layer (farmland, dev_boundary) and sums the overlap areas in EPSG:4549:
``{(layer, land_class): m²}``. Engines, each in its own fresh process (so peak memory is its own):

- **guotu**: ``guotu.core.grouped_overlay.grouped_areas`` (``guotu.core.geometry.overlay`` on shapely
  arrays, grouping with ``numpy.bincount``), the single-process engine of ``guotu overlay``;
- **guotu-dask**: guotu's Dask engine (``guotu.core.overlay_dask``, what ``guotu overlay --engine dask``
  runs): a LocalCluster of 2 single-thread worker processes, the survey cut into Hilbert-ordered
  partitions of ≤ 25,000 cells spread over the workers, each control layer sent to every worker once,
  guotu's own kernel per partition, per-group sums added up. Its answer must equal guotu's to 1e-9;
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
reset before each repeat) of the engine's process, plus the dask workers' for dask and guotu-dask
(whose largest worker is also reported alone); PostgreSQL's server processes are not counted.

    .venv/bin/python bench/overlay_bench.py --sizes 20000 200000 [--repeat 3] [--seed 2024]
        [--engines guotu guotu-dask geopandas postgis duckdb dask] [--profile]

Without ``--engines``, engines are skipped at sizes beyond ``MAX_CELLS`` (they would not finish in
reasonable time or memory on this machine); naming them in ``--engines`` runs them anyway.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import itertools
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchkit import machine, save_report

HERE = Path(__file__).resolve().parent
ENGINES = ("guotu", "guotu-dask", "geopandas", "postgis", "duckdb", "dask")
# Largest survey each peer runs at unless named in --engines: dask-geopandas needed 3.6 GB at 200k
# (≈ 36 GB at 2M); geopandas.overlay, PostGIS and DuckDB would take minutes per repeat at 2M.
MAX_CELLS = {"dask": 200_000, "geopandas": 200_000, "postgis": 200_000, "duckdb": 200_000}
EXACT_TOL = 1e-9  # guotu-dask against guotu: the same kernel, only the order of the sums differs
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


def watch_workers(run: Any, client: Any) -> None:
    """Give an engine on a Dask cluster its workers' peak memory (VmHWM, read on each worker)."""

    def worker_peaks() -> list[float]:
        return [float(v) for v in client.run(peak_mb).values()]

    run.worker_peaks = worker_peaks
    run.worker_peak = lambda: sum(worker_peaks())
    run.worker_reset = lambda: client.run(reset_peak)


# --- the engines: each is setup(county) -> run() -> Answer ----------------------------------------------


def setup_guotu(county: Any) -> Any:
    from guotu.core.grouped_overlay import encode_groups, grouped_areas
    from guotu.core.overlay_area import forget

    survey = county.survey.geometry.values.to_numpy()
    classes = county.survey["land_class"].to_numpy()
    layers = {name: getattr(county, name).geometry.values.to_numpy() for name in CONTROL}

    def run() -> Answer:
        forget()  # each run flattens the survey's rings afresh (once for both control layers)
        names, codes = encode_groups(classes)
        out: Answer = {}
        for name, geoms in layers.items():
            sums = grouped_areas(survey, geoms, codes, np.zeros(len(geoms), dtype=np.intp), (len(names), 1))[:, 0]
            out.update({f"{name}|{names[k]}": float(sums[k]) for k in np.flatnonzero(sums)})
        return out

    return run


def setup_guotu_dask(county: Any) -> Any:
    from guotu.core.grouped_overlay import encode_groups
    from guotu.core.overlay_dask import DaskOverlay, dask_client

    stack = contextlib.ExitStack()
    client = stack.enter_context(dask_client(None))  # a LocalCluster of 2 single-thread worker processes
    names, codes = encode_groups(county.survey["land_class"].to_numpy())
    job = DaskOverlay(client, county.survey.geometry.values.to_numpy(), codes, len(names))
    handles = {}
    for name in CONTROL:
        geoms = getattr(county, name).geometry.values.to_numpy()
        handles[name] = job.load(geoms, np.zeros(len(geoms), dtype=np.intp), 1)
    client.run(lambda: None)  # every worker has its data

    def run() -> Answer:
        out: Answer = {}
        for name, handle in handles.items():
            sums = job.run(handle)[:, 0]
            out.update({f"{name}|{names[k]}": float(sums[k]) for k in np.flatnonzero(sums)})
        return out

    watch_workers(run, client)
    run.close = stack.close  # type: ignore[attr-defined]
    run.partitions = job.info.partitions  # type: ignore[attr-defined]
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

    watch_workers(run, client)
    def close() -> None:
        client.close()
        cluster.close()

    run.close = close  # type: ignore[attr-defined]
    return run


SETUP = {
    "guotu": setup_guotu,
    "guotu-dask": setup_guotu_dask,
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
    per_worker: list[float] = []
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
            if hasattr(run, "worker_peaks"):
                per_worker = [max(a, b) for a, b in zip(per_worker or run.worker_peaks(), run.worker_peaks(),
                                                         strict=True)]
    finally:
        if hasattr(run, "close"):
            run.close()
    return {"engine": engine, "size": size, "setup_s": setup_s, "times_s": times, "median_s": statistics.median(times),
            "peak_rss_mb": max(peaks), "rss_after_load_mb": base, "worker_peak_mb": per_worker,
            "partitions": getattr(run, "partitions", None), "answer": answer}


def compare(ref: Answer, other: Answer, tol: float = REL_TOL) -> list[str]:
    bad = []
    for key in sorted(set(ref) | set(other)):
        a, b = ref.get(key, 0.0), other.get(key, 0.0)
        if max(abs(a), abs(b)) < MIN_AREA:
            continue
        if abs(a - b) > tol * max(abs(a), abs(b)):
            bad.append(f"{key}: guotu {a:.6f} vs {b:.6f} (rel {abs(a - b) / max(abs(a), abs(b)):.2e})")
    return bad


def county_rows(size: int, seed: int) -> dict[str, int]:
    """Rows per layer, from the cached files' metadata; a missing county is built in a child process
    (so this one does not keep gigabytes of it while the engines run)."""
    import pyarrow.parquet as pq

    from synth import paths

    files = paths(size, seed)
    if not all(p.exists() for p in files.values()):
        subprocess.run([sys.executable, str(HERE / "synth.py"), "--sizes", str(size), "--seed", str(seed)], check=True)
    return {name: pq.read_metadata(p).num_rows for name, p in files.items()}


def scaling(report: dict[str, Any]) -> None:
    """Time and memory growth between the sizes of this run, per engine (issue #5: ≤ 11× from 200k to 2M)."""
    sizes = sorted(report["sizes"], key=int)
    for lo, hi in itertools.pairwise(sizes):
        for engine, r in report["sizes"][hi]["engines"].items():
            base = report["sizes"][lo]["engines"].get(engine)
            if base:
                print(f"{engine}: {int(lo):,} → {int(hi):,} cells ({int(hi) / int(lo):.0f}× the data): "
                      f"time × {r['median_s'] / base['median_s']:.2f}")


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[20_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--engines", nargs="+", default=None, choices=ENGINES,
                    help="engines to run (guotu always runs: it is the reference); default: all that fit the size")
    ap.add_argument("--profile", action="store_true", help="print a cProfile of the guotu run and stop")
    ap.add_argument("--tag", default="", help="results go to overlay-TAG-DATE.json (e.g. province)")
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

    report: dict[str, Any] = {"date": dt.date.today().isoformat(), "seed": a.seed, "repeat": a.repeat,
                              "machine": machine(), "sizes": {}}
    rows = []
    for size in a.sizes:
        info = county_rows(size, a.seed)
        results: dict[str, Any] = {}
        chosen = a.engines or [e for e in ENGINES if size <= MAX_CELLS.get(e, size)]
        skipped = [e for e in ENGINES if a.engines is None and e not in chosen]
        if skipped:
            print(f"[{size:,}] skipping {', '.join(skipped)} (beyond MAX_CELLS; name them in --engines to run them)")
        for engine in ["guotu", *[e for e in chosen if e != "guotu"]]:
            print(f"[{size:,}] {engine} ...", flush=True)
            cmd = [sys.executable, __file__, "--worker", engine, "--sizes", str(size),
                   "--seed", str(a.seed), "--repeat", str(a.repeat)]
            p = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if p.returncode != 0:
                sys.exit(f"{engine} failed at {size}:\n{p.stderr[-3000:]}")
            results[engine] = json.loads(p.stdout.strip().splitlines()[-1])
            r = results[engine]
            workers = f" (per worker {', '.join(f'{w:.0f}' for w in r['worker_peak_mb'])} MB)" \
                if r["worker_peak_mb"] else ""
            print(f"    setup {r['setup_s']:.2f} s, median {r['median_s']:.3f} s, peak {r['peak_rss_mb']:.0f} MB"
                  f"{workers}", flush=True)
        ref = results["guotu"]["answer"]
        for engine, r in results.items():
            bad = compare(ref, r["answer"], EXACT_TOL if engine == "guotu-dask" else REL_TOL)
            if bad:
                sys.exit(f"[{size:,}] {engine} disagrees with guotu on {len(bad)} groups:\n  " + "\n  ".join(bad[:20]))
        total = sum(ref.values())
        print(f"[{size:,}] all {len(results)} engines agree on {len(ref)} groups (total {total / 1e6:.4f} km²)")
        g = results["guotu"]["median_s"]
        for engine, r in results.items():
            rows.append((size, engine, r["median_s"], g / r["median_s"], r["peak_rss_mb"],
                         max(r["worker_peak_mb"], default=None), r["setup_s"]))
        report["sizes"][str(size)] = {"layers": info, "total_m2": total, "groups": len(ref), "engines": {
            e: {k: v for k, v in r.items() if k != "answer"} for e, r in results.items()}}
        report["sizes"][str(size)]["answer"] = ref

    print("\n| cells | engine | W1 median | guotu/peer | peak RSS (all processes) | largest worker | set-up (load) |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for size, engine, med, ratio, peak, worker_peak, setup in rows:
        wp = "—" if worker_peak is None else f"{worker_peak:,.0f} MB"
        print(f"| {size:,} | {engine} | {med:.3f} s | {ratio:.2f} | {peak:,.0f} MB | {wp} | {setup:.1f} s |")
    scaling(report)
    out = save_report(f"overlay{'-' + a.tag if a.tag else ''}-{report['date']}", report)
    print(f"\nwrote {out.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
