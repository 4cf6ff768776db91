"""What only the PostGIS store does, and ``guotu copy`` between the two stores.

These tests need the PostGIS test database (tests/conftest.py): without it they fail, never skip.
"""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest
import shapely

from guotu.core.errors import ConflictError, InputError, NotFoundError, StoreError
from guotu.core.features import FeatureBatch
from guotu.core.passwords import hash_password
from guotu.onemap.compliance import review_json, review_site
from guotu.store import Store, open_store
from guotu.store.base import User
from guotu.store.copy import copy_store, layer_checksum
from guotu.store.gpkg import GpkgStore
from guotu.store.postgis import PostgisStore


@pytest.fixture
def pg(pg_store: PostgisStore) -> PostgisStore:
    """The empty PostGIS store of tests/conftest.py (its own schema)."""
    return pg_store


def squares(n: int, x0: float = 121.0, y0: float = 30.7, size: float = 0.001) -> np.ndarray:
    xs = x0 + np.arange(n) * size * 1.5
    return shapely.box(xs, y0, xs + size, y0 + size)


def make_layer(store: Store, n: int = 5) -> list[int]:
    with store.transaction("tester") as tx:
        tx.create_layer("parcels", "MULTIPOLYGON", {"name": "TEXT", "grade": "INTEGER"}, title="地块")
        return tx.write("parcels", FeatureBatch(squares(n), {"name": [f"地块{i}" for i in range(n)],
                                                             "grade": list(range(n))}))


# --- the schema as PostgreSQL sees it ---------------------------------------------------------------

def test_audit_is_append_only_in_sql(pg: PostgisStore, pg_url: str) -> None:
    make_layer(pg)
    with psycopg.connect(pg_url, autocommit=True) as con:
        for statement in ("UPDATE {s}.guotu_audit SET actor = 'someone else'", "DELETE FROM {s}.guotu_audit",
                          "TRUNCATE {s}.guotu_audit"):
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                con.execute(statement.format(s=f'"{pg.schema}"'))
        assert con.execute(f'SELECT count(*) FROM "{pg.schema}".guotu_audit').fetchone() == (2,)


def test_layer_table_has_typed_geometry_and_indexes(pg: PostgisStore, pg_url: str) -> None:
    make_layer(pg)
    with psycopg.connect(pg_url, autocommit=True) as con:
        row = con.execute("SELECT type, srid, coord_dimension FROM geometry_columns"
                          " WHERE f_table_schema = %s AND f_table_name = 'parcels'", (pg.schema,)).fetchone()
        assert row == ("MULTIPOLYGON", 4490, 2)
        indexes = [r[0] for r in con.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = %s AND tablename = 'parcels'", (pg.schema,))]
        assert any("USING gist (geom)" in d for d in indexes), indexes
        assert any("(guotu_edition)" in d for d in indexes), indexes
        assert con.execute("SELECT obj_description(%s::regclass)", (f'"{pg.schema}".parcels',)).fetchone() == ("地块",)
        # the planner uses the GiST index for a bbox read (with sequential scans off, as on a big table)
        con.execute("SET enable_seqscan = off")
        bbox = "ST_MakeEnvelope(121, 30.7, 121.1, 30.8, 4490)"
        query = f'EXPLAIN SELECT fid FROM "{pg.schema}".parcels WHERE geom && {bbox}'
        plan = "\n".join(r[0] for r in con.execute(query))
        assert "parcels_geom_idx" in plan, plan


def test_location_url_and_schema_parameter(pg_url: str, pg_schema: str) -> None:
    s = open_store(f"{pg_url}?schema={pg_schema}", create=True)
    try:
        assert isinstance(s, PostgisStore) and s.schema == pg_schema
        assert s.location.endswith(f"?schema={pg_schema}")
        make_layer(s)
    finally:
        s.close()
    again = open_store(f"{pg_url}?schema={pg_schema}")
    try:
        assert again.layer("parcels").count == 5
    finally:
        again.close()


def test_missing_schema_is_created_only_when_asked(pg_url: str, pg_schema: str) -> None:
    with pytest.raises(NotFoundError) as err:
        open_store(f"{pg_url}?schema={pg_schema}")
    assert err.value.key == "store_postgis.no_schema" and pg_schema in err.value.message
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute(f'CREATE SCHEMA "{pg_schema}"')
        con.execute(f'CREATE TABLE "{pg_schema}".other (x int)')
    with pytest.raises(StoreError) as err:
        open_store(f"{pg_url}?schema={pg_schema}")
    assert err.value.key == "store_postgis.not_guotu"


def test_refused_connection_names_host_and_port() -> None:
    with pytest.raises(StoreError) as err:
        open_store("postgresql://postgres@127.0.0.1:1/guotu_test")
    assert err.value.key == "store_postgis.connect_failed"
    assert "127.0.0.1:1" in err.value.message and "Connection refused" in err.value.message
    assert "\n" not in err.value.message


@pytest.mark.parametrize("url", ["postgresql://postgres@127.0.0.1:notaport/guotu_test",
                                 "postgresql://po stgres@127.0.0.1/guotu_test",
                                 "postgresql://postgres@127.0.0.1/guotu_test?nonsense=1"])
def test_bad_url_is_a_clear_store_error(url: str) -> None:
    with pytest.raises(StoreError) as err:
        open_store(url)
    assert err.value.key == "store_postgis.bad_url"
    assert "postgresql://" in err.value.message


def test_missing_database_and_hidden_password(pg_url: str) -> None:
    base = pg_url.rsplit("/", 1)[0].replace("postgres@", "postgres:topsecret@", 1)
    with pytest.raises(StoreError) as err:
        open_store(f"{base}/guotu_no_such_db")
    assert err.value.key in ("store_postgis.no_database", "store_postgis.connect_failed")
    assert "guotu_no_such_db" in err.value.message and "topsecret" not in err.value.message


def test_database_without_postgis_says_how_to_enable_it(pg_url: str) -> None:
    name = "guotu_test_no_postgis"
    admin = pg_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {name}")
        con.execute(f"CREATE DATABASE {name}")
    try:
        with pytest.raises(StoreError) as err:
            open_store(pg_url.rsplit("/", 1)[0] + f"/{name}")
        assert err.value.key == "store_postgis.postgis_not_created"
        assert "CREATE EXTENSION postgis" in err.value.message
    finally:
        with psycopg.connect(admin, autocommit=True) as con:
            con.execute(f"DROP DATABASE IF EXISTS {name}")


def test_server_without_postgis_names_the_debian_package() -> None:
    class Answer:
        def __init__(self, row: tuple[Any, ...] | None) -> None:
            self.row = row

        def fetchone(self) -> tuple[Any, ...] | None:
            return self.row

    class NoPostgis:  # what a server without the package answers
        def execute(self, query: str, *args: Any) -> Answer:
            return Answer(("150020",) if "server_version_num" in query else None)

    store = PostgisStore.__new__(PostgisStore)
    store.host, store.port, store.database, store.schema, store.location = "db", "5432", "gis", "guotu", "pg://db"
    with pytest.raises(StoreError) as err:
        store._prepare(NoPostgis(), create=True)  # type: ignore[arg-type]
    assert err.value.key == "store_postgis.postgis_not_installed"
    assert "apt-get install -y postgresql-15-postgis-3" in err.value.message and "db:5432" in err.value.message


# --- transactions and connections ------------------------------------------------------------------

def test_other_connections_see_only_committed_writes(pg: PostgisStore) -> None:
    make_layer(pg)
    seen: list[int] = []
    with pg.transaction() as tx:
        tx.write("parcels", FeatureBatch(squares(2, y0=30.8), {"name": ["a", "b"]}))
        assert pg.layer("parcels").count == 7  # this transaction sees its own writes
        other = threading.Thread(target=lambda: seen.append(pg.layer("parcels").count))
        other.start()
        other.join()
    assert seen == [5]
    assert pg.layer("parcels").count == 7


def test_concurrent_writers_each_get_their_own_transaction(pg: PostgisStore) -> None:
    make_layer(pg, n=1)
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            for _ in range(5):
                with pg.transaction(f"writer{k}") as tx:
                    tx.write("parcels", FeatureBatch(squares(3, y0=30.8 + k * 0.01), {"grade": [k] * 3}))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    ids = pg.read("parcels").ids or []
    assert len(ids) == len(set(ids)) == 1 + 4 * 5 * 3
    assert {e.actor for e in pg.audit_events() if e.action == "write"} == {"tester", *(f"writer{k}" for k in range(4))}


def test_a_failed_sql_statement_rolls_back_as_write_failed(pg: PostgisStore) -> None:
    make_layer(pg)
    with pytest.raises(StoreError) as err, pg.transaction() as tx:
        tx.write("parcels", FeatureBatch(squares(2, y0=30.8), {"grade": [1, 2]}), fids=[90, 1])  # fid 1 is taken
    assert err.value.key == "store.write_failed" and "fid" in err.value.message
    assert pg.layer("parcels").count == 5


def test_a_value_the_field_cannot_hold_is_refused_naming_the_record(pg: PostgisStore) -> None:
    make_layer(pg)
    batch = FeatureBatch(squares(3, y0=30.8), {"grade": [1, 2.0, "not a number"]}, ids=["A", "B", "C"])
    with pytest.raises(InputError) as err, pg.transaction() as tx:
        tx.write("parcels", batch)
    assert err.value.key == "store.bad_value"
    assert err.value.params["record"] == "C" and err.value.params["field"] == "grade"
    assert "'not a number'" in err.value.message
    assert pg.layer("parcels").count == 5


def test_a_bad_value_in_a_late_copy_chunk_rolls_back_the_whole_write(pg: PostgisStore) -> None:
    # More than two COPY chunks, prepared on worker threads ahead of the sender: the refusal of a value
    # near the end must still name its record and leave the layer as it was.
    make_layer(pg)
    n = 25_000
    i = np.arange(n)
    x, y = 121.0 + (i % 200) * 0.0005, 30.6 + (i // 200) * 0.0005
    grades: list[Any] = list(range(n))
    grades[23_456] = "twelve"
    batch = FeatureBatch(shapely.box(x, y, x + 0.0004, y + 0.0004), {"grade": grades},
                         ids=[f"P{k}" for k in range(n)])
    with pytest.raises(InputError) as err, pg.transaction() as tx:
        tx.write("parcels", batch)
    assert err.value.key == "store.bad_value" and err.value.params["record"] == "P23456"
    assert pg.layer("parcels").count == 5
    assert len(pg.read("parcels")) == 5


def test_twenty_thousand_patches_write_fast(pg: PostgisStore) -> None:
    n = 20_000
    side = 0.0005
    xs, ys = np.meshgrid(np.arange(200) * side, np.arange(100) * side)
    x0, y0 = 121.0 + xs.ravel(), 30.6 + ys.ravel()
    cells = shapely.buffer(shapely.box(x0, y0, x0 + side, y0 + side), 0.00001, quad_segs=2)  # ~16 vertices each
    batch = FeatureBatch(cells, {"patch_no": [f"P{k:06d}" for k in range(n)], "land_class": ["0101"] * n},
                         {"patch_no": "TEXT", "land_class": "TEXT"})
    start = time.perf_counter()
    with pg.transaction() as tx:
        tx.create_layer("survey", "MULTIPOLYGON", batch.fields)
        fids = tx.write("survey", batch)
    elapsed = time.perf_counter() - start
    assert fids == list(range(1, n + 1))
    assert elapsed < 10, f"writing {n} patches took {elapsed:.1f} s"
    assert len(pg.read("survey", bbox=(121.01, 30.61, 121.0101, 30.6101))) >= 1


# --- guotu copy -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from guotu.demo.generate import build_demo
    from guotu.demo.save import write_demo

    out = tmp_path_factory.mktemp("copy") / "demo.gpkg"
    write_demo(build_demo(seed=3, patches=2000), out)
    with GpkgStore(out) as s, s.transaction("admin") as tx:
        tx.put_user(User("zhang", hash_password("s3cret"), ("planner",), "张规划"))
        tx.delete("survey", [5, 6])  # a gap in the fids, which the copy keeps
    return out


def close_to(a: Any, b: Any, rel: float = 1e-9, path: str = "") -> list[str]:
    """The differences between two JSON documents, numbers compared to ``rel`` relative."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{path}: keys {sorted(a)} != {sorted(b)}"]
        return [d for k in a for d in close_to(a[k], b[k], rel, f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} != {len(b)} items"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in close_to(x, y, rel, f"{path}[{i}]")]
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        return [] if math.isclose(a, b, rel_tol=rel, abs_tol=1e-12) else [f"{path}: {a} != {b}"]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def reviews(store: Store, sites: FeatureBatch) -> list[dict[str, Any]]:
    out = []
    for day in (dt.date(2024, 1, 1), dt.date(2025, 1, 1)):
        for i in range(len(sites)):
            doc = review_json(review_site(store, sites.take([i]), date=day, source="site"))
            out.append(doc)
    return out


def test_copy_round_trip_gpkg_postgis_gpkg(demo_gpkg: Path, pg: PostgisStore, tmp_path: Path) -> None:
    src = GpkgStore(demo_gpkg)
    back = GpkgStore(tmp_path / "back.gpkg", create=True)
    try:
        there = copy_store(src, pg)
        again = copy_store(pg, back)
        assert [(x.name, x.count, x.checksum) for x in there.layers] == \
               [(x.name, x.count, x.checksum) for x in again.layers]
        assert there.users == again.users == 1 and pg.get_user("zhang") == src.get_user("zhang")
        for info in src.layers():
            assert layer_checksum(src, info.name) == layer_checksum(pg, info.name) == layer_checksum(back, info.name)
            assert pg.read(info.name).ids == src.read(info.name).ids == back.read(info.name).ids
            strip = [{k: v for k, v in e.as_dict().items() if k != "id"} for e in src.editions(info.name)]
            assert [{k: v for k, v in e.as_dict().items() if k != "id"} for e in pg.editions(info.name)] == strip
        assert 5 not in pg.read("survey").ids
        assert pg.audit_events()[-1].action == "copy"
        sites = src.read("sites")
        expected = reviews(src, sites)
        assert any(d["verdict"] == "conflict" for d in expected)
        for store in (pg, back):
            assert close_to(expected, reviews(store, sites)) == []
    finally:
        src.close()
        back.close()


def test_copy_into_a_store_holding_the_layers_is_refused(pg: PostgisStore, tmp_path: Path) -> None:
    src = GpkgStore(tmp_path / "src.gpkg", create=True)
    try:
        make_layer(src)
        make_layer(pg, n=2)
        before = pg.audit_events()
        with pytest.raises(ConflictError) as err:
            copy_store(src, pg)
        assert err.value.key == "copy.destination_not_empty" and "parcels" in err.value.message
        assert pg.audit_events() == before and pg.layer("parcels").count == 2
    finally:
        src.close()


def guotu(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "guotu.cli", *args], capture_output=True, text=True, timeout=300)


def test_copy_cli(demo_gpkg: Path, pg_url: str, pg_schema: str, tmp_path: Path) -> None:
    url = f"{pg_url}?schema={pg_schema}"
    r = guotu("--lang", "en", "copy", str(demo_gpkg), url)
    assert r.returncode == 0, r.stderr
    assert "checksums match for every layer" in r.stdout and "survey:" in r.stdout
    r = guotu("copy", str(demo_gpkg), url)  # again: the layers are there now
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("错误：") and "survey" in r.stderr
    out = tmp_path / "back.gpkg"
    r = guotu("copy", url, str(out))
    assert r.returncode == 0, r.stderr
    r = guotu("--lang", "en", "copy", "postgresql://postgres@127.0.0.1:1/guotu_test", str(tmp_path / "no.gpkg"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "127.0.0.1:1" in r.stderr
    assert not (tmp_path / "no.gpkg").exists()
    src, back = GpkgStore(demo_gpkg), GpkgStore(out)
    try:
        assert [layer_checksum(src, i.name) for i in src.layers()] == [layer_checksum(back, i.name)
                                                                        for i in back.layers()]
    finally:
        src.close()
        back.close()
