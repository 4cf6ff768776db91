"""Mapbox Vector Tiles (MVT 2.1): one layer of features cut to one tile, for display.

Geometries arrive in Web Mercator (EPSG:3857), or in lon/lat with a ``project`` function; they are
moved to tile pixels (``extent`` per side, y downwards), snapped to the integer grid and cut to the
tile plus a buffer, with vectorised shapely; polygons are kept valid, repeated vertices dropped. The
protobuf is written here with numpy, whole arrays at once: geometry commands and zigzag deltas from
``shapely.get_coordinates``, varints, the key and value tables, and the features laid out by offsets
— no Python loop over features or coordinates. Exterior rings are clockwise in tile coordinates (y
down) and holes anticlockwise, as MVT 2.1 requires; rings end with ClosePath, not a repeated point.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

EXTENT = 4096
BUFFER = 64

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]
Project = Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]]


def to_tile_pixels(
    geoms: npt.NDArray[Any], bounds: tuple[float, float, float, float], extent: int = EXTENT,
    buffer: int = BUFFER, project: Project | None = None,
) -> npt.NDArray[Any]:
    """Geometries (in the CRS of ``bounds``, or moved to it by ``project``, a function of an (n, 2)
    array of coordinates) as clipped, integer tile-pixel geometries; None where nothing is left.

    >>> import shapely, numpy as np
    >>> g = to_tile_pixels(np.array([shapely.box(0, 0, 50, 50)]), (0, 0, 100, 100), extent=100, buffer=0)
    >>> shapely.normalize(g[0]).wkt
    'POLYGON ((0 50, 0 100, 50 100, 50 50, 0 50))'
    """
    minx, miny, maxx, maxy = bounds
    sx = extent / (maxx - minx)
    sy = extent / (maxy - miny)
    scale = np.array([sx, -sy])
    origin = np.array([minx, maxy])

    def to_pixels(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        out: npt.NDArray[np.float64] = ((project(coords) if project else coords) - origin) * scale
        return out

    def to_grid(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.rint(to_pixels(coords))

    # Snap to the integer grid vertex by vertex (repeated vertices are dropped when encoding), then cut
    # what crosses the buffered tile (and snap the cut points). The few geometries the snapping makes
    # invalid (a ring collapsing, narrow parts meeting) are cut and snap-rounded again from their exact
    # pixels by GEOS, which keeps them valid and drops what is smaller than a pixel.
    geoms = np.asarray(geoms, dtype=object)
    snapped = shapely.transform(geoms, to_grid)
    lo, hi = -buffer, extent + buffer
    b = shapely.bounds(snapped)
    crossing = np.flatnonzero((b[:, 0] < lo) | (b[:, 1] < lo) | (b[:, 2] > hi) | (b[:, 3] > hi))
    if len(crossing):
        snapped[crossing] = shapely.transform(shapely.clip_by_rect(snapped[crossing], lo, lo, hi, hi), np.rint)
    bad = np.flatnonzero(~shapely.is_valid(snapped) & ~shapely.is_missing(snapped))
    if len(bad):
        exact = shapely.clip_by_rect(shapely.transform(geoms[bad], to_pixels), lo, lo, hi, hi)
        snapped[bad] = shapely.set_precision(exact, 1.0)
    out = np.empty(len(geoms), dtype=object)
    keep = ~(shapely.is_missing(snapped) | shapely.is_empty(snapped))
    out[keep] = snapped[keep]
    for i in np.flatnonzero(keep & (shapely.get_type_id(out) == 7)).tolist():
        out[i] = _one_kind(out[i])
    return out


def _one_kind(collection: Any) -> Any:
    """MVT has no collections: keep the polygonal parts, else the lines, else the points."""
    parts = shapely.get_parts(collection)
    types = shapely.get_type_id(parts)
    for kinds, maker in (((3, 6), shapely.multipolygons), ((1, 5), shapely.multilinestrings),
                         ((0, 4), shapely.multipoints)):
        chosen = parts[np.isin(types, kinds)]
        if len(chosen):
            singles = shapely.get_parts(chosen)
            return singles[0] if len(singles) == 1 else maker(singles)
    return None


def plain(value: Any) -> Any:
    """An attribute value MVT can carry (str, int, float, bool), or None to leave it out."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return None if value != value else value
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# --- protobuf with numpy -----------------------------------------------------------------------


def varints(values: npt.ArrayLike) -> tuple[U8, I64]:
    """Each (non-negative, < 2**63) value as a protobuf varint: the bytes, and each value's byte count.

    >>> b, n = varints([0, 1, 127, 128, 300, 2**35])
    >>> bytes(b).hex(), n.tolist()
    ('00017f8001ac02808080808001', [1, 1, 1, 2, 2, 6])
    """
    v = np.asarray(values, dtype=np.int64).ravel()
    n = np.ones(len(v), dtype=np.int64)
    top = max(1, (int(v.max(initial=0)).bit_length() + 6) // 7)
    if top == 1:
        return v.astype(np.uint8), n
    for k in range(1, top):
        n += v >= (1 << (7 * k))
    start = np.cumsum(n) - n
    out = np.empty(int(start[-1] + n[-1]), dtype=np.uint8)
    out[start] = (v & 0x7F) | ((n > 1) << 7)
    for j in range(1, top):
        sel = np.flatnonzero(n > j)
        vj = v[sel] >> (7 * j)
        out[start[sel] + j] = (vj & 0x7F) | ((n[sel] > j + 1) << 7)
    return out, n


def varint(value: int) -> bytes:
    """One protobuf varint (a non-negative int).

    >>> varint(300).hex()
    'ac02'
    """
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _zigzag(v: I64) -> I64:
    return (v << 1) ^ (v >> 63)


def _group_bytes(flat: U8, item_bytes: I64, counts: I64) -> I64:
    """Bytes per group, from each item's byte count and the number of items in each group."""
    ends = np.cumsum(counts)
    csum = np.concatenate([[0], np.cumsum(item_bytes)])
    return csum[ends] - csum[ends - counts]  # type: ignore[no-any-return]


def _interleave(columns: Sequence[tuple[U8, I64]], n: int) -> tuple[U8, I64]:
    """Messages made of ``columns`` in order: each column is (flat bytes, bytes per message).

    Returns the concatenated messages and the length of each."""
    lengths = np.zeros(n, dtype=np.int64)
    for _, per in columns:
        lengths += per
    starts = np.cumsum(lengths) - lengths
    out = np.empty(int(lengths.sum()), dtype=np.uint8)
    offset = starts.copy()
    for flat, per in columns:
        if len(flat):
            src_start = np.cumsum(per) - per
            out[np.repeat(offset - src_start, per) + np.arange(len(flat))] = flat
        offset += per
    return out, lengths


def _const(tag: int, n: int) -> tuple[U8, I64]:
    return np.full(n, tag, dtype=np.uint8), np.ones(n, dtype=np.int64)


def _field_varint(tag: int, values: npt.ArrayLike) -> list[tuple[U8, I64]]:
    b, per = varints(values)
    return [_const(tag, len(per)), (b, per)]


def _field_bytes(tag: int, flat: U8, lengths: I64) -> list[tuple[U8, I64]]:
    """A length-delimited field per message: tag, varint length, the bytes."""
    lb, lper = varints(lengths)
    return [_const(tag, len(lengths)), (lb, lper), (flat, lengths)]


def _pb_bytes(tag: int, data: bytes) -> bytes:
    return bytes([tag]) + varint(len(data)) + data


# --- geometry commands -------------------------------------------------------------------------

MOVE_TO, LINE_TO, CLOSE_PATH = 1, 2, 7
POINT, LINESTRING, POLYGON = 1, 2, 3


def geometry_commands(pixels: npt.NDArray[Any]) -> tuple[U8, I64, I64]:
    """The MVT geometry of each (integer, tile-pixel) geometry as packed varints.

    Returns (flat bytes, bytes per geometry, MVT geometry type per geometry). Polygons are oriented
    (exterior clockwise with y down, i.e. a positive shoelace area) and each ring is written without
    its closing point, ended by ClosePath. Rings or lines that are degenerate are written as they are
    (``to_tile_pixels`` has already dropped what is smaller than a pixel)."""
    n = len(pixels)
    types = shapely.get_type_id(pixels)
    gtype = np.where(np.isin(types, (3, 6)), POLYGON, np.where(np.isin(types, (1, 2, 5)), LINESTRING, POINT))
    gtype = gtype.astype(np.int64)
    pieces: list[tuple[I64, I64]] = []  # (feature of each token, token) per kind, merged below

    # Polygons without holes (nearly all, in a land survey) are one ring: their coordinates are read
    # straight from the geometries; the others are taken apart into rings.
    simple = np.flatnonzero(types == 3)
    simple = simple[shapely.get_num_interior_rings(pixels[simple]) == 0]
    if len(simple):
        coords, cidx = shapely.get_coordinates(pixels[simple], return_index=True)
        pieces.append(_path_tokens(coords, cidx, simple, exterior=np.ones(len(simple), dtype=bool)))
    other = np.flatnonzero(np.isin(types, (3, 6)))
    other = other[~np.isin(other, simple)]
    if len(other):
        parts, pidx = shapely.get_parts(pixels[other], return_index=True)
        rings, ridx = shapely.get_rings(parts, return_index=True)
        exterior = np.ones(len(rings), dtype=bool)
        exterior[1:] = ridx[1:] != ridx[:-1]  # the first ring of each polygon
        coords, cidx = shapely.get_coordinates(rings, return_index=True)
        pieces.append(_path_tokens(coords, cidx, other[pidx[ridx]], exterior=exterior))
    line = np.flatnonzero(gtype == LINESTRING)
    if len(line):
        parts, pidx = shapely.get_parts(pixels[line], return_index=True)
        coords, cidx = shapely.get_coordinates(parts, return_index=True)
        pieces.append(_path_tokens(coords, cidx, line[pidx]))
    point = np.flatnonzero(np.isin(types, (0, 4)))
    if len(point):
        pieces.append(_point_tokens(pixels[point], point))

    feature = np.concatenate([p[0] for p in pieces]) if pieces else np.zeros(0, np.int64)
    tokens = np.concatenate([p[1] for p in pieces]) if pieces else np.zeros(0, np.int64)
    if len(pieces) > 1:  # each piece is in feature order: merge them
        order = np.argsort(feature, kind="stable")
        feature, tokens = feature[order], tokens[order]
    tokens_per_geom = np.bincount(feature, minlength=n).astype(np.int64)
    flat, per_token = varints(tokens)
    return flat, _group_bytes(flat, per_token, tokens_per_geom), gtype


def _deltas(coords: npt.NDArray[np.float64], feature: I64) -> I64:
    """Zigzag deltas of integer coordinates, the cursor starting at (0, 0) for each feature."""
    xy = np.rint(coords).astype(np.int64)
    if len(xy) == 0:
        return xy
    d = np.empty_like(xy)
    d[0] = xy[0]
    d[1:] = xy[1:] - xy[:-1]
    first = np.flatnonzero(np.concatenate([[True], feature[1:] != feature[:-1]]))
    d[first] = xy[first]
    return _zigzag(d)


def _path_tokens(coords: npt.NDArray[np.float64], cidx: I64, feature: I64,
                 exterior: npt.NDArray[np.bool_] | None = None) -> tuple[I64, I64]:
    """Tokens of paths given by their coordinates and the path of each (``feature``: the feature of
    each path): lines (MoveTo 1, LineTo m-1) or, when ``exterior`` says which rings are exterior, rings
    (the same without the closing point, then ClosePath). Rings are turned so that exteriors have a
    positive shoelace area in tile coordinates (clockwise on screen, y down), holes a negative one."""
    closed = exterior is not None
    n_paths = len(feature)
    if exterior is not None and len(coords):
        coords = _orient(coords, cidx, n_paths, exterior)
    # drop vertices repeating the one before (snapping to pixels makes them), then each ring's closing one
    keep = np.ones(len(coords), dtype=bool)
    keep[1:] = (cidx[1:] != cidx[:-1]) | (coords[1:] != coords[:-1]).any(axis=1)
    coords, cidx = coords[keep], cidx[keep]
    counts = np.bincount(cidx, minlength=n_paths).astype(np.int64)
    if closed:
        last = np.cumsum(counts) - 1
        keep = np.ones(len(coords), dtype=bool)
        keep[last[counts > 0]] = False
        coords, cidx = coords[keep], cidx[keep]
        counts = np.maximum(counts - 1, 0)
    ok = counts >= (3 if closed else 2)
    if not ok.all():  # degenerate paths: nothing to draw
        keep = ok[cidx]
        coords, cidx = coords[keep], cidx[keep]
        paths_feature, counts = feature[ok], counts[ok]
    else:
        paths_feature = feature
    zz = _deltas(coords, paths_feature[np.repeat(np.arange(len(counts)), counts)])
    # per path: [MoveTo(1), x, y, LineTo(m-1), 2(m-1) values, (ClosePath)]
    size = 2 * counts + 2 + (1 if closed else 0)
    start = np.cumsum(size) - size
    tokens = np.empty(int(size.sum()), dtype=np.int64)
    tokens[start] = (1 << 3) | MOVE_TO
    tokens[start + 3] = ((counts - 1) << 3) | LINE_TO
    if closed:
        tokens[start + size - 1] = (1 << 3) | CLOSE_PATH
    # coordinate slots: path start + 1, +2 for the first point; +4… for the rest
    path_of = np.repeat(np.arange(len(counts)), counts)
    k = np.arange(len(coords)) - np.repeat(np.cumsum(counts) - counts, counts)  # index within path
    slot = start[path_of] + 1 + 2 * k + np.where(k > 0, 1, 0)
    tokens[slot] = zz[:, 0]
    tokens[slot + 1] = zz[:, 1]
    return np.repeat(paths_feature, size), tokens


def _orient(coords: npt.NDArray[np.float64], ring: I64, n: int, exterior: npt.NDArray[np.bool_]
            ) -> npt.NDArray[np.float64]:
    """The coordinates of closed rings, each ring reversed where its winding is not the wanted one."""
    x, y = coords[:, 0], coords[:, 1]
    cross = np.zeros(len(coords))
    cross[:-1] = x[:-1] * y[1:] - x[1:] * y[:-1]
    last = np.cumsum(np.bincount(ring, minlength=n)) - 1
    cross[last[last >= 0]] = 0.0  # no segment from a ring's last point to the next ring
    area = np.bincount(ring, weights=cross, minlength=n)
    flip = np.flatnonzero(np.where(exterior, area < 0, area > 0))
    if len(flip) == 0:
        return coords
    counts = np.bincount(ring, minlength=n)
    first = last - counts + 1
    at = np.flatnonzero(np.isin(ring, flip))
    perm = np.arange(len(coords))
    perm[at] = first[ring[at]] + last[ring[at]] - at
    return coords[perm]


def _point_tokens(points: npt.NDArray[Any], feature: I64) -> tuple[I64, I64]:
    coords, cidx = shapely.get_coordinates(points, return_index=True)
    f = feature[cidx]
    counts = np.bincount(cidx, minlength=len(points)).astype(np.int64)
    has = counts > 0
    zz = _deltas(coords, f)
    size = np.where(has, 1 + 2 * counts, 0)
    start = np.cumsum(size) - size
    tokens = np.empty(int(size.sum()), dtype=np.int64)
    tokens[start[has]] = (counts[has] << 3) | MOVE_TO
    k = np.arange(len(coords)) - np.repeat(np.cumsum(counts) - counts, counts)
    slot = start[cidx] + 1 + 2 * k
    tokens[slot] = zz[:, 0]
    tokens[slot + 1] = zz[:, 1]
    return np.repeat(feature, size), tokens


# --- attributes --------------------------------------------------------------------------------


def _value_message(value: Any) -> bytes:
    """One Value message: string (1), double (3), sint (6) or bool (7)."""
    if isinstance(value, bool):
        return bytes([0x38, int(value)])
    if isinstance(value, int):
        return b"\x30" + varint((value << 1) ^ (value >> 63))
    if isinstance(value, float):
        return b"\x19" + bytes(np.float64(value).astype("<f8").tobytes())
    return _pb_bytes(0x0A, str(value).encode("utf-8"))


def _column_codes(values: Sequence[Any] | npt.NDArray[Any]) -> tuple[I64, bytes, int]:
    """Each value's index in the column's table of distinct values (-1 to leave it out), and that table
    as encoded ``values`` fields of a Layer, with its length."""
    arr = values if isinstance(values, np.ndarray) else np.asarray(values) if len(values) else None
    if arr is not None and arr.dtype.kind in "iu" and arr.ndim == 1:
        uniq, inv = np.unique(arr.astype(np.int64), return_inverse=True)
        zz = _zigzag(uniq)  # sint64 values, vectorised: [0x30 varint] per Value, each one length-prefixed
        msg, mlen = _interleave(_field_varint(0x30, zz), len(uniq))
        encoded, _ = _interleave(_field_bytes(0x22, msg, mlen), len(uniq))
        return inv.astype(np.int64).ravel(), encoded.tobytes(), len(uniq)
    kinds = set(map(type, values))
    if kinds <= {str, type(None)}:  # the usual column of text: distinct values at C speed
        table = {v: i for i, v in enumerate(dict.fromkeys(v for v in values if v is not None))}
        table_none: dict[Any, int] = {**table, None: -1}
        codes = np.fromiter(map(table_none.__getitem__, values), dtype=np.int64, count=len(values))
        return codes, b"".join(_pb_bytes(0x22, _value_message(v)) for v in table), len(table)
    found: dict[Any, int] = {}
    codes = np.empty(len(values), dtype=np.int64)
    for i, v in enumerate(values):
        p = plain(v)
        codes[i] = -1 if p is None else found.setdefault((type(p), p), len(found))
    return codes, b"".join(_pb_bytes(0x22, _value_message(p)) for _, p in found), len(found)


def encode_tile(
    layer: str, geoms: npt.NDArray[Any], rows: Sequence[Mapping[str, Any]] | Mapping[str, Sequence[Any]],
    fids: Sequence[int] | npt.NDArray[np.int64], bounds: tuple[float, float, float, float],
    extent: int = EXTENT, buffer: int = BUFFER, project: Project | None = None,
) -> bytes | None:
    """One MVT layer named ``layer`` holding each feature with its attributes and ``fid`` (also its id);
    None when no feature is left in the tile. ``rows`` may be attribute columns (name → values);
    ``project`` moves coordinates to the CRS of ``bounds`` (see ``to_tile_pixels``)."""
    pixels = to_tile_pixels(geoms, bounds, extent, buffer, project)
    keep = np.flatnonzero(~shapely.is_missing(pixels))
    if len(keep) == 0:
        return None
    columns = {k: _take(v, keep) for k, v in _columns(rows, len(geoms)).items()}
    ids = np.asarray(fids, dtype=np.int64)[keep]
    columns["fid"] = ids
    return encode_layer(layer, pixels[keep], ids, columns, extent)


def _columns(rows: Sequence[Mapping[str, Any]] | Mapping[str, Sequence[Any]], n: int) -> dict[str, Any]:
    if isinstance(rows, Mapping):
        return dict(rows)
    names = list(rows[0]) if n else []
    return {k: [r[k] for r in rows] for k in names}


def _take(values: Sequence[Any] | npt.NDArray[Any], index: I64) -> Any:
    if isinstance(values, np.ndarray):
        return values[index]
    return [values[i] for i in index.tolist()]


def encode_layer(layer: str, pixels: npt.NDArray[Any], ids: npt.NDArray[np.int64],
                 columns: Mapping[str, Any], extent: int = EXTENT) -> bytes:
    """The MVT bytes of one layer from integer tile-pixel geometries, their ids and attribute columns
    (one value per geometry; None or NaN leaves the attribute out of that feature)."""
    n = len(pixels)
    tags_key: list[I64] = []
    tags_val: list[I64] = []
    keys: list[str] = []
    values: list[bytes] = []
    n_values = 0
    for name, col in columns.items():
        if len(col) != n:
            raise ValueError(f"column {name} has {len(col)} values for {n} features")
        codes, table, count = _column_codes(col)
        present = codes >= 0
        if not count:
            continue
        tags_key.append(np.where(present, len(keys), -1))
        tags_val.append(np.where(present, codes + n_values, -1))
        keys.append(name)
        values.append(table)
        n_values += count
    if tags_key:
        kk = np.stack(tags_key, axis=1)
        vv = np.stack(tags_val, axis=1)
        pairs = np.stack([kk, vv], axis=2).reshape(n, -1)  # per feature: k0 v0 k1 v1 …
        present = pairs >= 0
        tag_counts = present.sum(axis=1).astype(np.int64)
        tag_tokens = pairs[present]
    else:
        tag_counts = np.zeros(n, dtype=np.int64)
        tag_tokens = np.zeros(0, dtype=np.int64)
    tflat, tper = varints(tag_tokens)
    tag_bytes = _group_bytes(tflat, tper, tag_counts)
    gflat, gbytes, gtype = geometry_commands(pixels)

    cols: list[tuple[U8, I64]] = []
    cols += _field_varint(0x08, ids)            # id
    cols += _optional_bytes(0x12, tflat, tag_bytes, tag_counts > 0)  # tags (packed)
    cols += _field_varint(0x18, gtype)          # type
    cols += _field_bytes(0x22, gflat, gbytes)   # geometry (packed)
    body = np.zeros(n, dtype=np.int64)
    for _, per in cols:
        body += per
    features, _ = _interleave(_field_varint(0x12, body) + cols, n)  # layer.features: tag, length, body

    out = bytearray()
    out += b"\x78\x02"  # version = 2
    out += _pb_bytes(0x0A, layer.encode("utf-8"))
    out += features.tobytes()
    for key in keys:
        out += _pb_bytes(0x1A, key.encode("utf-8"))
    for table in values:
        out += table
    out += b"\x28" + varint(extent)
    return _pb_bytes(0x1A, bytes(out))


def _optional_bytes(tag: int, flat: U8, lengths: I64, present: npt.NDArray[np.bool_]) -> list[tuple[U8, I64]]:
    """A length-delimited field for the messages where ``present``; nothing for the others."""
    lb, lper = varints(lengths)
    keep_len = np.repeat(present, lper)
    lper = np.where(present, lper, 0)
    return [(np.full(int(present.sum()), tag, dtype=np.uint8), present.astype(np.int64)),
            (lb[keep_len], lper), (flat, lengths)]
