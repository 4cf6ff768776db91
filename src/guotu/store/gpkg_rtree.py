"""Bulk loading of a new, empty SQLite R*Tree (a GeoPackage layer's ``rtree_<layer>_geom``).

SQLite's R*Tree module inserts one row at a time, choosing a leaf and splitting nodes as they fill:
about 20 µs a row. :func:`bulk_fill` instead builds a packed tree in numpy (Sort-Tile-Recursive, level
by level, bottom-up) and writes the virtual table's three shadow tables directly (GDAL's GeoPackage
driver also fills them in bulk, from a tree built in a scratch database: GDAL issue #7614). The tree
is a valid R-tree for SQLite: ``rtreecheck()`` accepts it, queries return what they would on a tree
built by INSERTs, and later INSERT/UPDATE/DELETE keep working.

On-disk format relied on (``ext/rtree/rtree.c``; checked against the linked SQLite by the tests, which
compare our node blob byte for byte with the one INSERTs write):

* ``CREATE VIRTUAL TABLE t USING rtree(id, minx, maxx, miny, maxy)`` creates ``t_node(nodeno INTEGER
  PRIMARY KEY, data)``, ``t_rowid(rowid INTEGER PRIMARY KEY, nodeno)`` and ``t_parent(nodeno INTEGER
  PRIMARY KEY, parentnode)``, and one all-zero root node, ``nodeno`` 1.
* Every node blob has the root's length (the node size: ``min(page_size - 64, 4 + 51 * 24)`` at
  creation, 1228 bytes with 4 KiB pages; SQLite reads it back as ``length(data)`` of node 1). A node
  holds at most ``(node size - 4) // 24`` cells.
* Bytes 0-1: the tree depth, big-endian, on the root only (0 when the root is a leaf; zero on other
  nodes). Bytes 2-3: the cell count, big-endian. Cells from byte 4, 24 bytes each: an 8-byte
  big-endian integer (the rowid in a leaf, the child's nodeno in an interior node) and four big-endian
  float32 coordinates in column order: minx, maxx, miny, maxy. Unused bytes are zero.
* A leaf coordinate is the column's double rounded to float32 by ``rtreeValueDown`` (minima) and
  ``rtreeValueUp`` (maxima): ``f = (float)d``; if that lands on the wrong side of ``d``, ``f =
  (float)(d * (1 ∓ 2**-23))``. An interior cell holds the union (float32 min/max) of its child's cells.
  A box whose rounded minimum exceeds its rounded maximum is a constraint error for SQLite.
* ``t_rowid`` maps every rowid to its leaf, ``t_parent`` every node but the root to its parent.

Packing: each level is cut into about sqrt(nodes) vertical strips by centre x and sorted by centre y
within a strip; every strip is split into equal runs of at most the capacity (nodes nearly full, none
nearly empty). When all rows fit in one node the root is that leaf, cells in input order (exactly what
INSERTs write). Nodes are numbered top-down from the root (1). Everything is written inside a
savepoint; the rowid map (one row per box) goes in through ``json_each`` when SQLite has it.

Anything not as expected (not a 2-D float ``rtree``, auxiliary columns, a non-empty table, odd shadow
tables or node size, shadow tables that refuse writes, bad boxes) falls back to ``INSERT OR REPLACE``
row by row, so the result is always what the INSERTs would give.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["bulk_fill"]

_log = logging.getLogger(__name__)

_CELL = 24  # 8-byte id + 4 float32 coordinates
_RNDTOWARDS = 1.0 - 1.0 / 8388608.0  # rtree.c: round towards zero
_RNDAWAY = 1.0 + 1.0 / 8388608.0  # rtree.c: round away from zero
_CELL_DTYPE = np.dtype([("id", ">i8"), ("minx", ">f4"), ("maxx", ">f4"), ("miny", ">f4"), ("maxy", ">f4")])
_USING_RTREE = re.compile(r"\bUSING\s+rtree\s*\((?P<args>[^()]*)\)\s*;?\s*\Z", re.IGNORECASE | re.DOTALL)
_SHADOWS = {"node": ["nodeno", "data"], "rowid": ["rowid", "nodeno"], "parent": ["nodeno", "parentnode"]}

Int64s = npt.NDArray[np.int64]
Float32s = npt.NDArray[np.float32]


def bulk_fill(con: sqlite3.Connection, rtree: str, ids: npt.ArrayLike, bounds: npt.ArrayLike) -> None:
    """Fill the empty 2-D R-tree virtual table ``rtree`` with ``ids`` and their ``bounds``.

    ``bounds`` is an (n, 4) array of (minx, miny, maxx, maxy) doubles; rows with a NaN bound are
    skipped (as the GeoPackage triggers skip empty geometries), a repeated id keeps its last box (as
    ``INSERT OR REPLACE`` would). Writes a packed tree into the shadow tables within a savepoint, or
    falls back to plain INSERTs when the table is not an empty, plain 2-D float R-tree.
    """
    id_arr = np.asarray(ids, dtype=np.int64).reshape(-1)
    b = np.asarray(bounds, dtype=np.float64).reshape(-1, 4)
    if len(id_arr) != len(b):
        raise ValueError(f"{len(id_arr)} ids for {len(b)} bounds")
    keep = ~np.isnan(b).any(axis=1)
    id_arr, b = id_arr[keep], b[keep]
    if len(id_arr) == 0:
        return
    layout = _layout(con, rtree)
    tree = None if layout is None else _build(id_arr, b, layout.capacity, layout.node_size)
    if layout is None or tree is None:
        _insert_rows(con, rtree, id_arr, b)
        return
    if _implicit_begin(con):  # what the INSERTs would have done: leave the caller a transaction to commit
        con.execute(f"BEGIN {con.isolation_level}")
    savepoint = "guotu_rtree_bulk"
    con.execute(f"SAVEPOINT {savepoint}")  # outermost (in autocommit mode): atomic, committed by RELEASE
    try:
        _write(con, layout, tree)
    except sqlite3.Error as exc:  # e.g. SQLITE_DBCONFIG_DEFENSIVE makes shadow tables read-only
        con.execute(f"ROLLBACK TO {savepoint}")
        con.execute(f"RELEASE {savepoint}")
        _log.debug("bulk R-tree load of %s failed (%s), inserting rows", rtree, exc)
        _insert_rows(con, rtree, id_arr, b)
        return
    con.execute(f"RELEASE {savepoint}")


def _implicit_begin(con: sqlite3.Connection) -> bool:
    """Whether Python's sqlite3 would open a transaction before an INSERT (legacy transaction control
    with ``isolation_level`` not None, no transaction open)."""
    legacy = getattr(sqlite3, "LEGACY_TRANSACTION_CONTROL", -1)
    return not con.in_transaction and con.isolation_level is not None and getattr(con, "autocommit", legacy) == legacy


@dataclass(frozen=True)
class _Layout:
    """An empty R-tree's shadow tables (quoted names) and node size."""

    node: str
    rowid: str
    parent: str
    node_size: int

    @property
    def capacity(self) -> int:
        return (self.node_size - 4) // _CELL


@dataclass(frozen=True)
class _Tree:
    """A packed tree ready to write: node blobs (root first) and the rowid and parent maps."""

    root: bytes
    nodenos: list[int]
    blobs: list[bytes]
    rowids: Int64s
    leaves: Int64s
    children: Int64s
    parents: Int64s


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _layout(con: sqlite3.Connection, rtree: str) -> _Layout | None:
    """The shadow tables of ``rtree`` if it is an empty 2-D float R-tree without auxiliary columns."""
    cur = con.cursor()
    cur.row_factory = None
    try:
        row = cur.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE", (rtree,)
        ).fetchone()
        if row is None or not isinstance(row[1], str):
            return None
        match = _USING_RTREE.search(row[1])
        args = [] if match is None else match.group("args").split(",")
        if len(args) != 5 or any(a.strip().startswith("+") or not a.strip() for a in args):
            return None
        name = str(row[0])
        tables = {k: _quote(f"{name}_{k}") for k in _SHADOWS}
        for kind, columns in _SHADOWS.items():
            info = cur.execute(f"PRAGMA table_info({tables[kind]})").fetchall()
            if [str(c[1]).lower() for c in info] != columns:
                return None
        nodes = cur.execute(f"SELECT nodeno, data FROM {tables['node']} LIMIT 2").fetchall()
        if len(nodes) != 1 or nodes[0][0] != 1 or not isinstance(nodes[0][1], bytes):
            return None
        root = nodes[0][1]
        if len(root) < 4 + 3 * _CELL or root[:4] != b"\0\0\0\0":
            return None
        for kind in ("rowid", "parent"):
            if cur.execute(f"SELECT 1 FROM {tables[kind]} LIMIT 1").fetchone() is not None:
                return None
    except sqlite3.Error:
        return None
    finally:
        cur.close()
    return _Layout(tables["node"], tables["rowid"], tables["parent"], len(root))


def _down(d: npt.NDArray[np.float64]) -> Float32s:
    """rtree.c's ``rtreeValueDown``: a float32 not above ``d``."""
    with np.errstate(over="ignore"):
        f = d.astype(np.float32)
        wrong = f > d
        if wrong.any():
            w = d[wrong]
            f[wrong] = (w * np.where(w < 0, _RNDAWAY, _RNDTOWARDS)).astype(np.float32)
    return f


def _up(d: npt.NDArray[np.float64]) -> Float32s:
    """rtree.c's ``rtreeValueUp``: a float32 not below ``d``."""
    with np.errstate(over="ignore"):
        f = d.astype(np.float32)
        wrong = f < d
        if wrong.any():
            w = d[wrong]
            f[wrong] = (w * np.where(w < 0, _RNDTOWARDS, _RNDAWAY)).astype(np.float32)
    return f


def _str_groups(box: Float32s, capacity: int) -> tuple[Int64s, Int64s, int]:
    """Sort-Tile-Recursive grouping of ``box`` (4, n: minx, maxx, miny, maxy) into nodes.

    Returns the order of the items, the node of each item in that order (non-decreasing, contiguous
    from 0) and the number of nodes. The items are cut into about sqrt(n / capacity) vertical strips by
    centre x, sorted by centre y within a strip, and each strip split into equal runs of at most
    ``capacity`` items (so no node is nearly empty).
    """
    n = box.shape[1]
    with np.errstate(invalid="ignore", over="ignore"):
        cx = box[0].astype(np.float64) + box[1]
        cy = box[2].astype(np.float64) + box[3]
    strips = int(np.ceil(np.sqrt(-(-n // capacity))))
    strip = np.empty(n, dtype=np.int64)
    strip[np.argsort(cx)] = np.arange(n, dtype=np.int64) * strips // n
    by_y = np.argsort(cy)
    small = strip[by_y].astype(np.uint16) if strips < 1 << 16 else strip[by_y]
    order = by_y[np.argsort(small, kind="stable")]  # by strip, then centre y (a radix sort on uint16)
    s = strip[order]
    counts = np.bincount(s, minlength=strips).astype(np.int64)
    starts = np.cumsum(counts) - counts
    runs = -(-counts // capacity)
    first = np.cumsum(runs) - runs
    at = np.arange(n, dtype=np.int64) - starts[s]
    group = first[s] + at * runs[s] // counts[s]
    return order, group, int(runs.sum())


def _build(ids: Int64s, b: npt.NDArray[np.float64], capacity: int, node_size: int) -> _Tree | None:
    """The packed tree of the (non-NaN) boxes ``b`` (n, 4: minx, miny, maxx, maxy), or None when a box
    is inverted (SQLite's constraint error, left to the INSERTs to raise)."""
    # last occurrence of each id wins, as with INSERT OR REPLACE
    if not (ids[1:] > ids[:-1]).all():
        _, last = np.unique(ids[::-1], return_index=True)
        if len(last) != len(ids):
            pick = np.sort(len(ids) - 1 - last)
            ids, b = ids[pick], b[pick]
    box = np.stack([_down(b[:, 0]), _up(b[:, 2]), _down(b[:, 1]), _up(b[:, 3])])
    if (box[0] > box[1]).any() or (box[2] > box[3]).any():
        return None

    # levels bottom-up: (child ids in node order, their boxes, node of each, node count)
    levels: list[tuple[Int64s, Float32s, Int64s, int]] = []
    orders: list[Int64s] = []
    child, cbox = ids, box
    while len(child) > capacity:
        order, group, count = _str_groups(cbox, capacity)
        orders.append(order)
        child, cbox = child[order], cbox[:, order]
        levels.append((child, cbox, group, count))
        starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
        cbox = np.stack([
            np.minimum.reduceat(cbox[0], starts), np.maximum.reduceat(cbox[1], starts),
            np.minimum.reduceat(cbox[2], starts), np.maximum.reduceat(cbox[3], starts),
        ])
        child = np.arange(count, dtype=np.int64)  # node indices within the level, numbered below
    depth = len(levels)
    # node numbers top-down: the root is 1, then the level below it, ... down to the leaves
    base = [0] * depth
    nxt = 2
    for lvl in range(depth - 1, -1, -1):
        base[lvl] = nxt
        nxt += levels[lvl][3]

    nodenos: list[int] = []
    blobs: list[bytes] = []
    parents_c: list[Int64s] = []
    parents_p: list[Int64s] = []
    for lvl, (kids, kbox, group, count) in enumerate(levels):
        cells = kids if lvl == 0 else kids + base[lvl - 1]
        blobs.extend(_node_blobs(cells, kbox, group, count, capacity, node_size, 0))
        nodenos.extend(range(base[lvl], base[lvl] + count))
        if lvl > 0:
            parents_c.append(cells)
            parents_p.append(group + base[lvl])
    top = child if depth == 0 else child + base[depth - 1]
    root = _node_blobs(top, cbox, np.zeros(len(top), np.int64), 1, capacity, node_size, depth)[0]
    leaves = np.ones(len(ids), dtype=np.int64)  # the leaf of each id, in the order of ``ids``
    if depth > 0:
        parents_c.append(top)
        parents_p.append(np.ones(len(top), dtype=np.int64))
        leaves[orders[0]] = levels[0][2] + base[0]
    rowids = ids
    if not (ids[1:] > ids[:-1]).all():
        by_rowid = np.argsort(ids)
        rowids, leaves = ids[by_rowid], leaves[by_rowid]
    empty = np.zeros(0, dtype=np.int64)
    return _Tree(
        root=root, nodenos=nodenos, blobs=blobs, rowids=rowids, leaves=leaves,
        children=np.concatenate(parents_c) if parents_c else empty,
        parents=np.concatenate(parents_p) if parents_p else empty,
    )


def _node_blobs(
    cells: Int64s, box: Float32s, group: Int64s, count: int, capacity: int, node_size: int, depth: int
) -> list[bytes]:
    """The ``count`` node blobs holding ``cells`` (ids with boxes), cell i in node ``group[i]``."""
    node = np.dtype({
        "names": ["depth", "ncell", "cells"],
        "formats": [">u2", ">u2", (_CELL_DTYPE, (capacity,))],
        "offsets": [0, 2, 4],
        "itemsize": node_size,
    })
    nodes = np.zeros(count, dtype=node)
    nodes["depth"] = depth
    sizes = np.bincount(group, minlength=count)
    nodes["ncell"] = sizes
    at = np.arange(len(cells), dtype=np.int64) - (np.cumsum(sizes) - sizes)[group]
    slots = nodes["cells"]
    slots["id"][group, at] = cells
    for i, field in enumerate(("minx", "maxx", "miny", "maxy")):
        slots[field][group, at] = box[i]
    raw = nodes.view(np.uint8).reshape(count, node_size)
    return [raw[i].tobytes() for i in range(count)]


def _write(con: sqlite3.Connection, layout: _Layout, tree: _Tree) -> None:
    con.execute(f"UPDATE {layout.node} SET data = ? WHERE nodeno = 1", (tree.root,))
    con.executemany(f"INSERT INTO {layout.node} (nodeno, data) VALUES (?, ?)",
                    zip(tree.nodenos, tree.blobs, strict=True))
    _insert_pairs(con, layout.rowid, "rowid, nodeno", tree.rowids, tree.leaves)
    _insert_pairs(con, layout.parent, "nodeno, parentnode", tree.children, tree.parents)


_CHUNK = 1 << 20  # pairs per JSON array


def _insert_pairs(con: sqlite3.Connection, table: str, columns: str, a: Int64s, b: Int64s) -> None:
    """``INSERT INTO table (columns)`` the pairs (a[i], b[i]).

    executemany binds about 2 µs a row; when both fit, each pair is packed into one non-negative int64
    (``a << k | b``) and the lot sent as JSON arrays unpacked by ``json_each``, several times faster.
    """
    if len(a) == 0:
        return
    bits = max(1, int(b.max()).bit_length())
    if int(a.min()) >= 0 and int(b.min()) >= 0 and int(a.max()) >> (63 - bits) == 0 and _has_json(con):
        packed = (a << bits) | b
        sql = (f"INSERT INTO {table} ({columns}) SELECT value >> {bits}, value & {(1 << bits) - 1}"
               " FROM json_each(?)")
        for i in range(0, len(packed), _CHUNK):
            con.execute(sql, (str(packed[i:i + _CHUNK].tolist()),))  # a list's str is a JSON array
        return
    con.executemany(f"INSERT INTO {table} ({columns}) VALUES (?, ?)", zip(a.tolist(), b.tolist(), strict=True))


def _has_json(con: sqlite3.Connection) -> bool:
    """Whether SQLite has ``json_each`` (built in since 3.38, usually compiled in before)."""
    try:
        con.execute("SELECT count(*) FROM json_each('[1]')").fetchone()
    except sqlite3.OperationalError:
        return False
    return True


def _insert_rows(con: sqlite3.Connection, rtree: str, ids: Int64s, b: npt.NDArray[np.float64]) -> None:
    """The plain way: one ``INSERT OR REPLACE`` per row (rows without NaN)."""
    con.executemany(
        f"INSERT OR REPLACE INTO {_quote(rtree)} VALUES (?, ?, ?, ?, ?)",
        zip(ids.tolist(), b[:, 0].tolist(), b[:, 2].tolist(), b[:, 1].tolist(), b[:, 3].tolist(), strict=True),
    )
