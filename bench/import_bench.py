"""Benchmark item 6 of issue #5: loading the survey into each store, guotu import against ogr2ogr.

The survey of bench/synth.py's county (N Voronoi cells in EPSG:4549, ~15 vertices each, a
``land_class`` field) is written once as a GeoPackage file (``bench/work/survey_<seed>_<n>.gpkg``).
Each repeat then loads that file four ways, each into a fresh target (a new PostgreSQL schema of
guotu_test, or a new GeoPackage file), each as the command a user would run, timed wall-clock:

- **ogr2ogr → PostGIS** (GDAL's loader, the peer): ``ogr2ogr -f PostgreSQL PG:... -t_srs EPSG:4490
  -nlt PROMOTE_TO_MULTI -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=GIST -lco FID=fid --config
  PG_USE_COPY YES``: reads, reprojects to CGCS2000 lon/lat, COPYs, builds the GiST index. It does
  not validate geometry, and a failure half-way can leave a partly loaded table.
- **guotu → PostGIS**: ``guotu import FILE --db postgresql://...?schema=S --layer survey --create``:
  reads (pyogrio), checks every coordinate's plausibility for its CRS, validates every geometry
  under the geometry policy (GEOS validity, duplicate points, spikes; an error names the record),
  reprojects to EPSG:4490, then in one transaction creates the layer, COPYs the features, builds the
  GiST index and writes the audit events; all or nothing.
- **ogr2ogr → GeoPackage**: ``ogr2ogr -f GPKG OUT.gpkg -t_srs EPSG:4490 -nlt PROMOTE_TO_MULTI``
  (GDAL's GeoPackage driver, R-tree built at the end).
- **guotu → GeoPackage**: ``guotu import FILE --db OUT.gpkg --layer survey --create`` (the same
  checks; one SQLite transaction, synchronous=FULL; the R-tree index and its triggers).

After each load the row count and the total area (recomputed in EPSG:4549 from what was stored) must
equal the source's (area to 1e-6 relative), or the run stops. Medians and guotu/ogr2ogr ratios are
printed and written to ``bench/results/import-<date>.json``.

    .venv/bin/python bench/import_bench.py --sizes 20000 200000 [--repeat 3] [--seed 2024]
    .venv/bin/python bench/import_bench.py --profile --sizes 200000 [--store gpkg|postgis]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import benchkit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "work"
PG_URL = os.environ.get("GUOTU_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/guotu_test")
PG_OGR = os.environ.get("GUOTU_BENCH_PG_OGR", "PG:dbname=guotu_test host=127.0.0.1 port=5432 user=postgres")
OGR2OGR = shutil.which("ogr2ogr") or "/usr/bin/ogr2ogr"
GUOTU = str(ROOT / ".venv" / "bin" / "guotu")
LAYER = "survey"
REL_TOL = 1e-6
ENGINES = ("ogr2ogr-postgis", "guotu-postgis", "ogr2ogr-gpkg", "guotu-gpkg")
PEER = {"guotu-postgis": "ogr2ogr-postgis", "guotu-gpkg": "ogr2ogr-gpkg"}


# --- the source file ------------------------------------------------------------------------------


def source_file(size: int, seed: int) -> tuple[Path, float]:
    """The survey as a GeoPackage (EPSG:4549), written once from the cached GeoParquet; and its area."""
    from synth import make_county

    survey = make_county(size, seed).survey
    area = float(survey.area.sum())
    path = WORK / f"survey_{seed}_{size}.gpkg"
    if not path.exists():
        tmp = path.with_suffix(".tmp.gpkg")
        tmp.unlink(missing_ok=True)
        survey[["land_class", "geometry"]].to_file(tmp, layer=LAYER, driver="GPKG", engine="pyogrio")
        tmp.rename(path)
    return path, area


# --- the four loads -------------------------------------------------------------------------------


def _pg(sql: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        cur = conn.execute(sql)
        return cur.fetchall() if cur.description else []


def _pg_url(schema: str) -> str:
    return f"{PG_URL}?schema={schema}"


def _run(cmd: list[str]) -> float:
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr[-3000:]}")
    return elapsed


def load_ogr2ogr_postgis(src: Path, schema: str) -> float:
    _pg(f"CREATE SCHEMA {schema}")  # set-up, not timed (guotu creates its schema inside its own time)
    return _run([OGR2OGR, "-f", "PostgreSQL", PG_OGR, str(src), LAYER, "-nln", LAYER, "-t_srs", "EPSG:4490",
                 "-nlt", "PROMOTE_TO_MULTI", "-lco", f"SCHEMA={schema}", "-lco", "GEOMETRY_NAME=geom",
                 "-lco", "SPATIAL_INDEX=GIST", "-lco", "FID=fid", "--config", "PG_USE_COPY", "YES"])


def load_guotu_postgis(src: Path, schema: str) -> float:
    return _run([GUOTU, "import", str(src), "--db", _pg_url(schema), "--layer", LAYER, "--create"])


def load_ogr2ogr_gpkg(src: Path, out: Path) -> float:
    return _run([OGR2OGR, "-f", "GPKG", str(out), str(src), LAYER, "-nln", LAYER, "-t_srs", "EPSG:4490",
                 "-nlt", "PROMOTE_TO_MULTI"])


def load_guotu_gpkg(src: Path, out: Path) -> float:
    return _run([GUOTU, "import", str(src), "--db", str(out), "--layer", LAYER, "--create"])


# --- checks ---------------------------------------------------------------------------------------


def check_postgis(schema: str) -> tuple[int, float]:
    rows = _pg(f'SELECT count(*), sum(ST_Area(ST_Transform(geom, 4549))) FROM {schema}."{LAYER}"')
    return int(rows[0][0]), float(rows[0][1])


def check_gpkg(path: Path) -> tuple[int, float]:
    import pyogrio.raw
    import shapely

    from guotu.core.crs import transform_geometries

    meta, _, wkb, _ = pyogrio.raw.read(path, layer=LAYER)[:4]
    assert "4490" in str(meta["crs"]), meta["crs"]
    geoms = transform_geometries(shapely.from_wkb(wkb), 4490, 4549)
    return len(geoms), float(shapely.area(geoms).sum())


# --- the benchmark --------------------------------------------------------------------------------


def one_repeat(src: Path, tmp: Path, tag: str, engines: list[str]) -> dict[str, tuple[float, int, float]]:
    out: dict[str, tuple[float, int, float]] = {}
    for engine in engines:
        target, kind = engine.split("-")
        if kind == "postgis":
            schema = f"bench_import_{os.getpid()}_{tag}_{target}"
            try:
                load = load_ogr2ogr_postgis if target == "ogr2ogr" else load_guotu_postgis
                seconds = load(src, schema)
                out[engine] = (seconds, *check_postgis(schema))
            finally:
                _pg(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        else:
            path = tmp / f"{tag}_{target}.gpkg"
            load2 = load_ogr2ogr_gpkg if target == "ogr2ogr" else load_guotu_gpkg
            seconds = load2(src, path)
            out[engine] = (seconds, *check_gpkg(path))
            path.unlink()
    return out


def profile_import(src: Path, store_kind: str, top: int = 25) -> str:
    """cProfile of guotu's import_file (in process) into a fresh store of ``store_kind``."""
    import cProfile
    import pstats

    from guotu.onemap.service import import_file
    from guotu.store import open_store

    with tempfile.TemporaryDirectory() as d:
        schema = f"bench_import_prof_{os.getpid()}"
        db = _pg_url(schema) if store_kind == "postgis" else str(Path(d) / "p.gpkg")
        store = open_store(db, create=True)
        prof = cProfile.Profile()
        try:
            t = time.perf_counter()
            prof.enable()
            import_file(store, src, LAYER)
            prof.disable()
            elapsed = time.perf_counter() - t
        finally:
            store.close()
            if store_kind == "postgis":
                _pg(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    out = io.StringIO()
    out.write(f"import_file into {store_kind}: {elapsed:.2f} s under the profiler\n")
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(top)
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def machine() -> dict[str, Any]:
    gdal = subprocess.run([OGR2OGR, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    pg = _pg("SELECT version(), postgis_full_version()")[0]
    return benchkit.machine(ogr2ogr=gdal, postgresql=pg[0].split(",")[0], postgis=pg[1].split(" ")[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[20_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    ap.add_argument("--profile", action="store_true", help="print a cProfile of guotu's import and stop")
    ap.add_argument("--store", choices=("gpkg", "postgis"), nargs="+", default=["postgis", "gpkg"],
                    help="with --profile: which stores")
    a = ap.parse_args()
    sys.path.insert(0, str(HERE))

    if a.profile:
        for size in a.sizes:
            src, _ = source_file(size, a.seed)
            for kind in a.store:
                print(profile_import(src, kind))
        return

    report: dict[str, Any] = {"date": dt.date.today().isoformat(), "seed": a.seed, "repeat": a.repeat,
                              "machine": machine(), "sizes": {}}
    rows: list[tuple[int, str, float, float | None]] = []
    for size in a.sizes:
        src, area = source_file(size, a.seed)
        times: dict[str, list[float]] = {e: [] for e in a.engines}
        with tempfile.TemporaryDirectory(dir=WORK) as d:
            for k in range(a.repeat):
                got = one_repeat(src, Path(d), f"r{k}", a.engines)
                for engine, (seconds, count, total) in got.items():
                    if count != size or abs(total - area) > REL_TOL * area:
                        sys.exit(f"[{size:,}] {engine} loaded {count:,} rows, {total:.3f} m²; "
                                 f"the source has {size:,} rows, {area:.3f} m²")
                    times[engine].append(seconds)
                print(f"[{size:,}] repeat {k + 1}: " + ", ".join(f"{e} {s:.2f} s" for e, (s, _, _) in got.items()),
                      flush=True)
        medians = {e: statistics.median(t) for e, t in times.items()}
        for e in a.engines:
            peer = PEER.get(e)
            rows.append((size, e, medians[e], medians[e] / medians[peer] if peer in medians else None))
        ratios = {e: medians[e] / medians[p] for e, p in PEER.items() if e in medians and p in medians}
        if "guotu-gpkg" in medians and "ogr2ogr-postgis" in medians:
            ratios["guotu-gpkg/ogr2ogr-postgis"] = medians["guotu-gpkg"] / medians["ogr2ogr-postgis"]
        report["sizes"][str(size)] = {"rows": size, "area_m2": area, "source": src.name,
                                      "times_s": times, "median_s": medians, "ratio_guotu_over_ogr2ogr": ratios}
        print(f"[{size:,}] every load holds {size:,} rows and {area / 1e6:.6f} km² (EPSG:4549)")

    print("\n| cells | load | median | guotu/ogr2ogr (same store) |")
    print("|---:|---|---:|---:|")
    for size, engine, med, ratio in rows:
        print(f"| {size:,} | {engine} | {med:.2f} s | {'' if ratio is None else f'{ratio:.2f}'} |")
    out = benchkit.save_report(f"import-{report['date']}", report)
    print(f"\nwrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
