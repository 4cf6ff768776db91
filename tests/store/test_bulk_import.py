"""The bulk path of an import (issue #5, item 6): a layer created in the transaction is filled first and
indexed after (GiST built after COPY; R-tree filled in one statement, its triggers created after), on
both stores through the ``store`` fixture. The result must be the same as the row-by-row path, the
indexes must keep working for later edits, GDAL must still read the file, and a failure part-way
must leave the store as it was."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pyogrio
import pyogrio.raw
import pytest
import shapely

from guotu.core.crs import transform_geometries
from guotu.core.errors import GeometryError
from guotu.core.features import FeatureBatch
from guotu.onemap.service import import_file
from guotu.store import Store, postgis
from guotu.store.gpkg import GpkgStore
from guotu.store.postgis import PostgisStore
from pgtest import PG_URL

N = 2_000  # cells (the round trip sets a small COPY chunk so that several chunks are sent)
X0, Y0 = 597_000.0, 3_397_000.0  # Pinghu, EPSG:4549


def survey_cells(n: int, seed: int = 7) -> tuple[np.ndarray, list[str]]:
    """A clean coverage of ``n`` Voronoi cells in EPSG:4549 (about 2 km square) and a land class each."""
    rng = np.random.default_rng(seed)
    box = shapely.box(X0, Y0, X0 + 2_000, Y0 + 2_000)
    pts = shapely.multipoints(np.column_stack([rng.uniform(X0, X0 + 2_000, n), rng.uniform(Y0, Y0 + 2_000, n)]))
    cells = shapely.intersection(shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=box, ordered=True)), box)
    cells = shapely.set_precision(cells, 0.001)
    cells = np.array([c if c.geom_type == "Polygon" else max(c.geoms, key=lambda p: p.area) for c in cells],
                     dtype=object)
    classes = rng.choice(["0101", "0201", "0701", "1001"], n).astype(str).tolist()
    return cells, classes


def write_source(path: Path, cells: np.ndarray, classes: list[str]) -> Path:
    pyogrio.raw.write(str(path), shapely.to_wkb(cells), [np.array(classes, dtype=object)], ["land_class"],
                      layer="survey", driver="GPKG", geometry_type="Polygon", crs="EPSG:4549")
    return path


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray, list[str]]:
    cells, classes = survey_cells(N)
    return write_source(tmp_path_factory.mktemp("bulk") / "survey.gpkg", cells, classes), cells, classes


def test_import_round_trip_is_exact(
    store: Store, source: tuple[Path, np.ndarray, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, cells, classes = source
    monkeypatch.setattr(postgis, "_COPY_CHUNK", 300)  # 7 chunks, the last one partial
    result = import_file(store, path, "survey")
    assert (result.count, result.created, result.fids) == (N, True, list(range(1, N + 1)))
    back = store.read("survey")
    assert back.ids == list(range(1, N + 1))
    assert back.attributes["land_class"] == classes
    expected = shapely.multipolygons(transform_geometries(cells, 4549, 4490), indices=np.arange(N))
    assert shapely.equals_exact(back.geometry, expected, 0).all()  # bit for bit, promoted to multi
    # Areas back in the metric zone equal the source's.
    area = shapely.area(transform_geometries(back.geometry, 4490, 4549)).sum()
    assert area == pytest.approx(shapely.area(cells).sum(), rel=1e-9)
    info = store.layer("survey")
    assert (info.count, info.geometry_type) == (N, "MULTIPOLYGON")
    assert info.bounds == pytest.approx(tuple(shapely.total_bounds(expected)))
    actions = [(e.action, e.layer) for e in store.audit_events()]
    assert actions == [("create_layer", "survey"), ("write", "survey"), ("import", "survey")]
    assert store.audit_events()[1].detail["count"] == N


def test_spatial_index_serves_bbox_reads_after_a_bulk_load_and_later_edits(
    store: Store, source: tuple[Path, np.ndarray, list[str]]
) -> None:
    path, cells, _ = source
    import_file(store, path, "survey")
    geoms = transform_geometries(cells, 4549, 4490)
    probe = shapely.centroid(geoms[123]).buffer(1e-7).bounds
    assert 124 in (store.read("survey", bbox=probe).ids or [])
    assert _index_exists(store, "survey")
    # Later edits go through the triggers (GeoPackage) and the built GiST index (PostGIS).
    far = shapely.box(121.2, 30.9, 121.201, 30.901)
    with store.transaction() as tx:
        [new] = tx.write("survey", FeatureBatch(np.array([far], dtype=object), {"land_class": ["1101"]}))
        tx.update("survey", [124], FeatureBatch(np.array([far], dtype=object), {"land_class": ["1101"]}))
        tx.delete("survey", [1])
    assert new == N + 1
    assert sorted(store.read("survey", bbox=far.bounds).ids or []) == [124, N + 1]
    assert 124 not in (store.read("survey", bbox=probe).ids or [])
    first = shapely.centroid(geoms[0]).buffer(1e-7).bounds
    assert 1 not in (store.read("survey", bbox=first).ids or [])


def _index_exists(store: Store, layer: str) -> bool:
    if isinstance(store, PostgisStore):
        with psycopg.connect(PG_URL) as conn:
            rows = conn.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = %s AND tablename = %s",
                                (store.schema, layer)).fetchall()
            keys = {r[0] for r in conn.execute(
                "SELECT c.contype FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid"
                " JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = %s AND t.relname = %s",
                (store.schema, layer))}
        return (any("gist" in r[0] for r in rows) and any("guotu_edition" in r[0] for r in rows)
                and keys == {"p", "f"})  # the primary key and the edition's foreign key
    assert isinstance(store, GpkgStore)
    con = sqlite3.connect(store.path)
    try:
        triggers = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
                                              (layer,))}
        return triggers == {f"rtree_{layer}_geom_{s}" for s in
                            ("insert", "update2", "update4", "update5", "update6", "update7", "delete")}
    finally:
        con.close()


def test_a_layer_created_and_never_written_gets_its_index(store: Store) -> None:
    with store.transaction() as tx:
        tx.create_layer("empty", "MULTIPOLYGON", {"code": "TEXT"})
    assert _index_exists(store, "empty")
    with store.transaction() as tx:
        tx.create_layer("dropped", "MULTIPOLYGON", {})
        tx.drop_layer("dropped")  # nothing left to index at commit
    assert [i.name for i in store.layers()] == ["empty"]


def test_bulk_rtree_equals_the_triggers_rtree(tmp_path: Path, source: tuple[Path, np.ndarray, list[str]]) -> None:
    """The R-tree filled in one statement holds exactly what the per-row triggers write; SQLite's own
    rtreecheck finds it sound and GDAL uses it for a bbox filter."""
    path, cells, classes = source
    bulk = GpkgStore(tmp_path / "bulk.gpkg", create=True)
    rows = GpkgStore(tmp_path / "rows.gpkg", create=True)
    try:
        import_file(bulk, path, "survey")
        with rows.transaction() as tx:
            tx.create_layer("survey", "MULTIPOLYGON", {"land_class": "TEXT"})
        batch = FeatureBatch(transform_geometries(cells, 4549, 4490), {"land_class": classes})
        with rows.transaction() as tx:  # an existing layer: the triggers fill the R-tree
            tx.write("survey", batch)
    finally:
        bulk.close()
        rows.close()

    def rtree(p: Path) -> list[Any]:
        con = sqlite3.connect(p)
        try:
            assert con.execute("SELECT rtreecheck('rtree_survey_geom')").fetchone()[0] == "ok"
            return con.execute("SELECT * FROM rtree_survey_geom ORDER BY id").fetchall()
        finally:
            con.close()

    assert rtree(tmp_path / "bulk.gpkg") == rtree(tmp_path / "rows.gpkg")
    info = pyogrio.read_info(tmp_path / "bulk.gpkg", layer="survey")
    assert info["features"] == N and info["capabilities"]["fast_spatial_filter"]
    g = transform_geometries(cells[[500]], 4549, 4490)[0]
    probe = shapely.centroid(g).buffer(1e-7).bounds
    _, fids, _, _ = pyogrio.raw.read(tmp_path / "bulk.gpkg", layer="survey", bbox=probe, return_fids=True)[:4]
    assert 501 in fids.tolist()


def _snapshot(store: Store) -> tuple[Any, ...]:
    layers = [(i.name, i.count, i.fields) for i in store.layers()]
    return layers, [(e.id, e.action, e.layer, e.detail) for e in store.audit_events()]


def test_a_bad_record_half_way_leaves_the_store_as_it_was(
    store: Store, tmp_path: Path, source: tuple[Path, np.ndarray, list[str]]
) -> None:
    path, cells, classes = source
    import_file(store, path, "survey")
    before = _snapshot(store)
    bad = cells.copy()
    x0, y0, x1, y1 = bad[N // 2].bounds
    bad[N // 2] = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)])  # a bow-tie
    broken = write_source(tmp_path / "broken.gpkg", bad, classes)
    with pytest.raises(GeometryError) as info:
        import_file(store, broken, "survey2")
    assert info.value.params["record"] == N // 2 + 1  # the GeoPackage fid names the record
    assert str(broken) in info.value.message
    with pytest.raises(GeometryError):
        import_file(store, broken, "survey")  # into the existing layer
    assert _snapshot(store) == before


def test_a_failure_after_the_bulk_write_rolls_everything_back(
    store: Store, source: tuple[Path, np.ndarray, list[str]]
) -> None:
    """The COPY / insert has happened and the index is built; the transaction then fails: nothing stays."""
    path, cells, classes = source
    before = _snapshot(store)
    batch = FeatureBatch(transform_geometries(cells, 4549, 4490), {"land_class": classes})
    with pytest.raises(RuntimeError, match="boom"), store.transaction() as tx:
        tx.create_layer("survey", "MULTIPOLYGON", {"land_class": "TEXT"})
        assert tx.write("survey", batch) == list(range(1, N + 1))
        assert store.layer("survey").count == N  # visible inside the transaction
        raise RuntimeError("boom")
    assert _snapshot(store) == before
    # The store is usable and the name free; fids start again from 1 on both stores.
    result = import_file(store, path, "survey")
    assert result.fids[0] == 1 and store.layer("survey").count == N


def test_text_with_copy_special_characters_round_trips(store: Store) -> None:
    """Text with the characters COPY's text format escapes (tab, newline, CR, backslash, \\N) comes back as written."""
    texts = ["tab\there", "line\nbreak", "cr\rhere", "back\\slash", r"\N", "", None, "地类\t名称\\", "end\\"]
    geoms = shapely.multipolygons(
        [shapely.box(121.0 + 0.001 * k, 30.7, 121.0005 + 0.001 * k, 30.7005) for k in range(len(texts))],
        indices=np.arange(len(texts)))
    with store.transaction() as tx:
        tx.create_layer("texts", "MULTIPOLYGON", {"name": "TEXT", "note": "TEXT"})
        tx.write("texts", FeatureBatch(geoms, {"name": texts, "note": list(reversed(texts))}))
    back = store.read("texts")
    assert back.attributes["name"] == texts
    assert back.attributes["note"] == list(reversed(texts))
    assert shapely.equals_exact(back.geometry, geoms, 0).all()
