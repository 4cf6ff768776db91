"""The packed R-tree bulk loader against the real SQLite R*Tree module: ``rtreecheck()`` accepts the tree,
and it holds and answers exactly what a twin table filled by ordinary INSERTs holds and answers."""

from __future__ import annotations

import sqlite3
import struct
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guotu.store import gpkg_rtree
from guotu.store.gpkg_rtree import bulk_fill

Bounds = npt.NDArray[np.float64]
WINDOW = "SELECT id FROM {t} WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?"


def connect(page_size: int = 4096, path: Path | str = ":memory:") -> sqlite3.Connection:
    """A connection with the bulk table ``rt`` and its twin ``tw``, both empty."""
    con = sqlite3.connect(path, isolation_level=None)
    con.execute(f"PRAGMA page_size = {page_size}")
    for t in ("rt", "tw"):
        con.execute(f"CREATE VIRTUAL TABLE {t} USING rtree(id, minx, maxx, miny, maxy)")
    return con


def insert(con: sqlite3.Connection, table: str, ids: npt.NDArray[np.int64], b: Bounds) -> None:
    """What the GeoPackage insert trigger does, row by row (NaN bounds: an empty geometry, skipped)."""
    for i, (x0, y0, x1, y1) in zip(ids.tolist(), b.tolist(), strict=True):
        if not any(np.isnan([x0, y0, x1, y1])):
            con.execute(f"INSERT OR REPLACE INTO {table} VALUES (?, ?, ?, ?, ?)", (i, x0, x1, y0, y1))


def boxes(n: int, seed: int = 0, lonlat: bool = True) -> Bounds:
    """Random boxes over China with coordinates float32 cannot hold exactly, a tenth of them points."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(73.0, 135.0, n) + rng.integers(0, 10**9, n) * 1e-9  # 121.123456789-like
    y = rng.uniform(18.0, 53.0, n) + rng.integers(0, 10**9, n) * 1e-9
    w = rng.exponential(0.05, n) * (rng.random(n) > 0.1)
    h = rng.exponential(0.05, n) * (w > 0)
    if not lonlat:
        x, y = x * 1e4 - 5e5, y * 1e4  # projected metres, some negative
        w, h = w * 1e4, h * 1e4
    return np.stack([x, y, x + w, y + h], axis=1)


def windows(b: Bounds, count: int, seed: int = 1) -> Iterator[tuple[float, float, float, float]]:
    """Query windows (as ``WINDOW``'s parameters): random ones, and ones whose edges are the exact
    coordinates of stored boxes (where float32 rounding decides)."""
    rng = np.random.default_rng(seed)
    finite = b[~np.isnan(b).any(axis=1)]
    if len(finite) == 0:
        return
    lo, hi = finite[:, :2].min(axis=0), finite[:, 2:].max(axis=0)
    for k in range(count):
        if k % 2:
            x0, y0 = rng.uniform(lo, hi)
            size = rng.exponential(0.05) * (hi - lo)
            x1, y1 = x0 + size[0], y0 + size[1]
        else:  # edges on stored coordinates: touching, or the box itself
            p, q = finite[rng.integers(len(finite))], finite[rng.integers(len(finite))]
            x0, y0 = min(p[0], q[2]), min(p[1], q[3])
            x1, y1 = max(p[0], q[2]), max(p[1], q[3])
            if k % 4 == 2:
                x0, y0, x1, y1 = p
        yield x1, x0, y1, y0


def ids_in(con: sqlite3.Connection, table: str, window: tuple[float, float, float, float]) -> set[int]:
    return {r[0] for r in con.execute(WINDOW.format(t=table), window)}


def assert_twins(con: sqlite3.Connection, b: Bounds, count: int = 300) -> None:
    """``rt`` passes rtreecheck and matches ``tw`` row for row (the same float32 values) and query for query."""
    assert con.execute("SELECT rtreecheck('rt')").fetchone()[0] == "ok"
    assert con.execute("SELECT rtreecheck('tw')").fetchone()[0] == "ok"
    rows = con.execute("SELECT * FROM rt ORDER BY id").fetchall()
    assert rows == con.execute("SELECT * FROM tw ORDER BY id").fetchall()
    if len(b):
        for w in windows(b, count):
            assert ids_in(con, "rt", w) == ids_in(con, "tw", w), w


@pytest.fixture
def no_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bulk path must be taken: plain INSERTs fail the test."""
    def refuse(*args: object) -> None:
        raise AssertionError("fell back to INSERTs")

    monkeypatch.setattr(gpkg_rtree, "_insert_rows", refuse)


def fill_both(con: sqlite3.Connection, b: Bounds, ids: npt.NDArray[np.int64] | None = None) -> None:
    ids = np.arange(1, len(b) + 1, dtype=np.int64) if ids is None else ids
    bulk_fill(con, "rt", ids, b)
    insert(con, "tw", ids, b)


# 51 cells a node with 4 KiB pages: 1, one full node, one over, a full two-level tree, one over that
@pytest.mark.parametrize("n", [0, 1, 51, 52, 51 * 51, 51 * 51 + 1, 10_000])
@pytest.mark.usefixtures("no_fallback")
def test_bulk_tree_is_valid_and_answers_like_inserts(n: int) -> None:
    con = connect()
    b = boxes(n, seed=n)
    fill_both(con, b)
    assert con.execute("SELECT count(*) FROM rt").fetchone()[0] == n
    assert_twins(con, b, count=300 if n else 0)


@pytest.mark.usefixtures("no_fallback")
def test_projected_coordinates_and_small_pages() -> None:
    """Node size follows the page size (512-byte pages: 448-byte nodes of 18 cells, a deeper tree)."""
    con = connect(page_size=512)
    assert len(con.execute("SELECT data FROM rt_node").fetchone()[0]) == 448
    b = boxes(5000, seed=7, lonlat=False)
    fill_both(con, b)
    assert con.execute("SELECT rtreedepth(data) FROM rt_node WHERE nodeno = 1").fetchone()[0] == 3
    assert_twins(con, b)


@pytest.mark.usefixtures("no_fallback")
@pytest.mark.parametrize("page_size", [512, 1024, 4096, 65536])
def test_one_node_is_byte_for_byte_what_inserts_write(page_size: int) -> None:
    """The on-disk format: with every row in the root leaf (in insertion order), our node blob is SQLite's
    own, coordinates rounded down (minima) and up (maxima) to float32 the same way, the tail zeroed."""
    con = connect(page_size)
    size = len(con.execute("SELECT data FROM rt_node").fetchone()[0])
    assert size == min(page_size - 64, 4 + 51 * 24)
    n = (size - 4) // 24
    b = boxes(n, seed=3)
    b[:5] = [[121.123456789, 31.23456789, 121.123456789, 31.23456789],  # a point
             [-0.1, -0.2, 0.1, 0.2], [1e-40, -1e-40, 3e38, 1e39], [-1e39, -3.4e38, -1e-45, 0.0],
             [2.0**-130, 7.000000000000001, 16777217.0, 16777219.0]]
    fill_both(con, b, ids=np.arange(n, 0, -1, dtype=np.int64) * 7919)
    blob = con.execute("SELECT data FROM rt_node WHERE nodeno = 1").fetchone()[0]
    assert blob == con.execute("SELECT data FROM tw_node WHERE nodeno = 1").fetchone()[0]
    assert len(blob) == size and blob[:4] == struct.pack(">HH", 0, n)
    rowid, x0, x1, y0, y1 = struct.unpack_from(">qffff", blob, 4)
    assert rowid == n * 7919
    assert x0 <= 121.123456789 <= x1 and y0 <= 31.23456789 <= y1 and x0 < x1  # not representable
    assert con.execute("SELECT count(*) FROM rt_rowid WHERE nodeno = 1").fetchone()[0] == n
    assert_twins(con, b)


def test_the_format_facts_of_this_sqlite() -> None:
    """What the loader relies on, read from a tree SQLite builds itself: the root stores the depth in
    its first two bytes, every node the cell count in the next two, 24-byte cells from byte 4 (a
    big-endian int64 then minx, maxx, miny, maxy as big-endian float32), other nodes start with 0."""
    con = connect()
    b = boxes(52, seed=5)
    insert(con, "tw", np.arange(1, 53, dtype=np.int64), b)
    nodes = dict(con.execute("SELECT nodeno, data FROM tw_node").fetchall())
    assert sorted(nodes) == [1, 2, 3] and {len(d) for d in nodes.values()} == {1228}
    assert struct.unpack_from(">HH", nodes[1]) == (1, 2)  # depth 1, two children
    children = [struct.unpack_from(">q4f", nodes[1], 4 + 24 * i) for i in range(2)]
    assert sorted(c[0] for c in children) == [2, 3]
    assert dict(con.execute("SELECT nodeno, parentnode FROM tw_parent").fetchall()) == {2: 1, 3: 1}
    leaf_rows = 0
    for child, x0, x1, y0, y1 in children:
        depth, count = struct.unpack_from(">HH", nodes[child])
        assert depth == 0
        leaf_rows += count
        for i in range(count):
            rowid, *box = struct.unpack_from(">q4f", nodes[child], 4 + 24 * i)
            assert tuple(box) == con.execute("SELECT minx, maxx, miny, maxy FROM tw WHERE id = ?",
                                             (rowid,)).fetchone()
            assert x0 <= box[0] <= box[1] <= x1 and y0 <= box[2] <= box[3] <= y1
            assert con.execute("SELECT nodeno FROM tw_rowid WHERE rowid = ?", (rowid,)).fetchone()[0] == child
    assert leaf_rows == 52


@pytest.mark.usefixtures("no_fallback")
def test_nan_rows_are_skipped_and_repeated_ids_keep_the_last_box() -> None:
    con = connect()
    b = boxes(3000, seed=11)
    b[::7, 0] = np.nan
    b[3::11] = np.nan
    ids = np.arange(1, 3001, dtype=np.int64)
    ids[::13] = ids[::13] // 2 + 1  # some ids come twice, in any order
    fill_both(con, b, ids)
    expected = {int(i) for i, row in zip(ids, b, strict=True) if not np.isnan(row).any()}
    assert {r[0] for r in con.execute("SELECT id FROM rt")} == expected
    assert_twins(con, b)


@pytest.mark.usefixtures("no_fallback")
def test_all_nan_leaves_the_table_empty() -> None:
    con = connect()
    fill_both(con, np.full((10, 4), np.nan))
    assert con.execute("SELECT count(*) FROM rt").fetchone()[0] == 0
    assert con.execute("SELECT rtreecheck('rt')").fetchone()[0] == "ok"


@pytest.mark.usefixtures("no_fallback")
def test_later_inserts_updates_and_deletes_keep_working() -> None:
    con = connect()
    b = boxes(10_000, seed=2)
    fill_both(con, b)
    more = boxes(3000, seed=3)
    rng = np.random.default_rng(4)
    gone = rng.choice(np.arange(1, 10_001), 6000, replace=False).tolist()
    moved = rng.choice(np.arange(1, 10_001), 2000, replace=False).tolist()
    for t in ("rt", "tw"):
        insert(con, t, np.arange(20_001, 23_001, dtype=np.int64), more)
        con.executemany(f"DELETE FROM {t} WHERE id = ?", [(i,) for i in gone])
        con.executemany(f"UPDATE {t} SET minx = minx + 1, maxx = maxx + 1.5, maxy = maxy + 0.25 WHERE id = ?",
                        [(i,) for i in moved])
        assert con.execute(f"SELECT rtreecheck('{t}')").fetchone()[0] == "ok"
    assert_twins(con, np.r_[b, more, b + np.array([1.0, 0.0, 1.5, 0.25])])


def test_a_non_empty_table_falls_back_to_inserts(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = gpkg_rtree._insert_rows

    def counted(con: sqlite3.Connection, rtree: str, ids: npt.NDArray[np.int64], b: Bounds) -> None:
        calls.append(len(ids))
        real(con, rtree, ids, b)

    monkeypatch.setattr(gpkg_rtree, "_insert_rows", counted)
    con = connect()
    first = boxes(100, seed=8)
    fill_both(con, first, np.arange(1, 101, dtype=np.int64))  # bulk: the table is empty
    assert calls == []
    b = boxes(2000, seed=9)
    fill_both(con, b, np.arange(51, 2051, dtype=np.int64))  # ids 51..100 replaced
    assert calls == [2000]
    assert con.execute("SELECT count(*) FROM rt").fetchone()[0] == 2050
    assert_twins(con, np.r_[first, b])


@pytest.mark.parametrize("sql", [
    "CREATE VIRTUAL TABLE rt USING rtree_i32(id, minx, maxx, miny, maxy)",  # integer coordinates
    "CREATE VIRTUAL TABLE rt USING rtree(id, minx, maxx, miny, maxy, +fid)",  # an auxiliary column
    "CREATE VIRTUAL TABLE rt USING rtree(id, minx, maxx)",  # one dimension
])
def test_other_layouts_fall_back(sql: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("bulk path taken")

    monkeypatch.setattr(gpkg_rtree, "_write", refuse)
    con = sqlite3.connect(":memory:", isolation_level=None)
    con.execute(sql)
    cols = len(con.execute("SELECT * FROM rt").description)
    ids, b = np.array([1, 2], dtype=np.int64), np.array([[1.5, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]])
    if cols != 5:
        with pytest.raises(sqlite3.Error):  # the INSERT's own error: the table is not what we fill
            bulk_fill(con, "rt", ids, b)
        return
    bulk_fill(con, "rt", ids, b)
    assert con.execute("SELECT rtreecheck('rt')").fetchone()[0] == "ok"
    assert [r[0] for r in con.execute("SELECT id FROM rt ORDER BY id")] == [1, 2]


def test_a_failed_write_rolls_back_and_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """If SQLite refuses the shadow-table writes half-way (a defensive connection, say), nothing of them
    stays and the rows go in by INSERTs."""
    real: Callable[..., None] = gpkg_rtree._write

    def failing(*args: object) -> None:
        real(*args)
        raise sqlite3.OperationalError("table rt_parent may not be modified")

    monkeypatch.setattr(gpkg_rtree, "_write", failing)
    con = connect()
    con.execute("BEGIN")
    b = boxes(5000, seed=12)
    fill_both(con, b)
    assert con.in_transaction
    con.execute("COMMIT")
    assert_twins(con, b)


def test_an_inverted_box_raises_like_an_insert() -> None:
    con = connect()
    b = boxes(100, seed=13)
    b[40] = [5.0, 5.0, 4.0, 6.0]  # minx > maxx
    with pytest.raises(sqlite3.IntegrityError, match="rtree constraint failed"):
        bulk_fill(con, "rt", np.arange(1, 101, dtype=np.int64), b)
    with pytest.raises(ValueError, match="3 ids for 2 bounds"):
        bulk_fill(con, "rt", np.arange(3, dtype=np.int64), np.zeros((2, 4)))


@pytest.mark.usefixtures("no_fallback")
def test_transactions_behave_as_with_inserts(tmp_path: Path) -> None:
    """Autocommit: committed at once (atomically); legacy implicit transactions: left open, and a
    rollback undoes the fill; inside the caller's transaction: part of it."""
    b = boxes(500, seed=14)
    ids = np.arange(1, 501, dtype=np.int64)
    con = connect(path=tmp_path / "a.db")
    bulk_fill(con, "rt", ids, b)
    assert not con.in_transaction
    con.close()
    con = sqlite3.connect(tmp_path / "a.db")  # a fresh connection reads the tree (and its node size)
    assert con.execute("SELECT rtreecheck('rt'), count(*) FROM rt").fetchone() == ("ok", 500)
    bulk_fill(con, "tw", ids, b)
    assert con.in_transaction
    con.rollback()
    assert con.execute("SELECT count(*) FROM tw").fetchone()[0] == 0
    con.execute("BEGIN IMMEDIATE")
    bulk_fill(con, "tw", ids, b)
    con.commit()
    assert_twins(con, b)


@pytest.mark.usefixtures("no_fallback")
def test_large_ids_and_quoted_names() -> None:
    con = sqlite3.connect(":memory:", isolation_level=None)
    for t in ('"rtree_a""b_geom"', "tw"):
        con.execute(f"CREATE VIRTUAL TABLE {t} USING rtree(id, minx, maxx, miny, maxy)")
    b = boxes(300, seed=15)
    ids = (np.arange(300, dtype=np.int64) - 150) * (2**55)  # negative and huge: packed pairs do not fit
    bulk_fill(con, 'rtree_a"b_geom', ids, b)
    insert(con, "tw", ids, b)
    assert con.execute("""SELECT rtreecheck('rtree_a"b_geom')""").fetchone()[0] == "ok"
    assert (con.execute('SELECT * FROM "rtree_a""b_geom" ORDER BY id').fetchall()
            == con.execute("SELECT * FROM tw ORDER BY id").fetchall())


finite = st.floats(-1e7, 1e7, allow_nan=False, allow_subnormal=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(finite, finite, st.floats(0, 1e3) | st.just(0.0), st.floats(0, 1e3) | st.just(0.0),
                       st.booleans()), max_size=400),
    st.sampled_from([512, 1024, 4096]),
)
def test_random_boxes(rows: list[tuple[float, float, float, float, bool]], page_size: int) -> None:
    con = connect(page_size)
    b = np.array([[x, y, x + w, y + h] if keep else [np.nan] * 4 for x, y, w, h, keep in rows]).reshape(-1, 4)
    fill_both(con, b)
    assert_twins(con, b, count=40)
