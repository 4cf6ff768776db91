"""Every engine of the W1 benchmark gives the same answers (the speed is the benchmark's business).

The engines of bench/overlay_bench.py — guotu (the compiled kernel and GEOS), guotu's Dask engine,
geopandas, PostGIS, DuckDB spatial and dask-geopandas — run on a small seeded county and must agree
with guotu on the area of every (control layer, land class) group, as the benchmark demands before
it reports any time. PostGIS is the real test server; DuckDB loads the pip-packaged extension.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from pgtest import PG_URL

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture(scope="module")
def bench() -> Any:
    sys.path.insert(0, str(BENCH))
    try:
        import overlay_bench
        import synth

        yield overlay_bench, synth
    finally:
        sys.path.remove(str(BENCH))


@pytest.fixture(scope="module")
def county(bench: Any) -> Any:
    _, synth = bench
    return synth._build(4000, 7)  # in memory: the benchmark's cache in bench/work/ is left alone


@pytest.fixture(scope="module")
def reference(bench: Any, county: Any) -> dict[str, float]:
    overlay_bench, _ = bench
    answer: dict[str, float] = overlay_bench.SETUP["guotu"](county)()
    return answer


def test_the_reference_answer_is_the_plain_geos_answer(county: Any, reference: dict[str, float]) -> None:
    # guotu's overlay (compiled kernel) against GEOS's intersection of every pair, grouped by hand
    import numpy as np
    import shapely

    survey = county.survey.geometry.values.to_numpy()
    classes = county.survey["land_class"].to_numpy()
    for layer in ("farmland", "dev_boundary"):
        geoms = getattr(county, layer).geometry.values.to_numpy()
        li, ri = shapely.STRtree(geoms).query(survey, predicate="intersects")
        areas = shapely.area(shapely.intersection(survey[li], geoms[ri]))
        for cls in np.unique(classes):
            expected = float(areas[classes[li] == cls].sum())
            got = reference.get(f"{layer}|{cls}", 0.0)
            assert got == pytest.approx(expected, rel=1e-6, abs=1e-3), (layer, cls)


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["guotu-dask", "geopandas", "postgis", "duckdb", "dask"])
def test_engine_agrees_with_guotu(bench: Any, county: Any, reference: dict[str, float], engine: str,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    overlay_bench, _ = bench
    monkeypatch.setattr(overlay_bench, "PG_DSN", PG_URL)
    run = overlay_bench.SETUP[engine](county)
    try:
        answer = run()
    finally:
        if hasattr(run, "close"):
            run.close()
    tol = overlay_bench.EXACT_TOL if engine == "guotu-dask" else overlay_bench.REL_TOL
    assert overlay_bench.compare(reference, answer, tol) == []
    assert sum(answer.values()) > 0.5 * sum(reference.values())  # a real answer, not an empty one
