"""Geometries as flat arrays, read from and written to WKB by compiled loops.

A bulk load moves hundreds of thousands of polygons through the same steps: coordinate checks, ring
checks, reprojection, encoding for the store. Walking shapely objects for each step (coordinates out,
new geometries in, WKB out) costs more than the steps themselves. :class:`FlatGeometries` holds the
geometries once as numpy arrays, in the nesting of the simple-features types::

    geometry ─ parts ─ rings ─ coordinates

- a Point is one part of one ring of one coordinate (no coordinate when empty);
- a LineString is one part of one ring; a Polygon one part of its rings (shell first);
- a Multi* geometry is one part per member.

:func:`parse_wkb` builds it from WKB (2D, Z, M or ZM, ISO or EWKB flavour, either byte order; Z and M
are dropped, as every store here keeps 2D geometries); :meth:`FlatGeometries.encode` writes ISO WKB,
2D, little-endian, bare or behind a GeoPackage header. Geometry collections
and curves have no flat form: :func:`parse_wkb` returns None for an array holding any, and callers
keep the shapely path for it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from numba import njit

MISSING, POINT, LINESTRING, POLYGON, MULTIPOINT, MULTILINESTRING, MULTIPOLYGON = range(7)  # WKB codes

_F64 = npt.NDArray[np.float64]
_I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class FlatGeometries:
    """Geometries as offsets into one coordinate array (see the module docstring).

    ``kinds[i]`` is the WKB type code of geometry i (0 for a missing geometry); its parts are
    ``geom_parts[i]:geom_parts[i + 1]``, the rings of part j ``part_rings[j]:part_rings[j + 1]`` and
    the coordinates of ring k ``xy[ring_coords[k]:ring_coords[k + 1]]``.
    """

    kinds: npt.NDArray[np.uint8]
    geom_parts: _I64
    part_rings: _I64
    ring_coords: _I64
    xy: _F64

    def __len__(self) -> int:
        return len(self.kinds)

    def with_xy(self, xy: _F64) -> FlatGeometries:
        """The same geometries with other coordinates (reprojected, say)."""
        if xy.shape != self.xy.shape:
            raise ValueError(f"{xy.shape} coordinates for {self.xy.shape}")
        return FlatGeometries(self.kinds, self.geom_parts, self.part_rings, self.ring_coords,
                              np.ascontiguousarray(xy, dtype=np.float64))

    def rows(self, lo: int, hi: int) -> FlatGeometries:
        """Geometries ``lo:hi`` (their coordinates are a view of these)."""
        gp = self.geom_parts[lo : hi + 1]
        pr = self.part_rings[gp[0] : gp[-1] + 1]
        rc = self.ring_coords[pr[0] : pr[-1] + 1]
        return FlatGeometries(self.kinds[lo:hi], gp - gp[0], pr - pr[0], rc - rc[0], self.xy[rc[0] : rc[-1]])

    def coordinate_rows(self) -> _I64:
        """The geometry of each coordinate."""
        per_geom = self.ring_coords[self.part_rings[self.geom_parts]]
        return np.repeat(np.arange(len(self), dtype=np.int64), np.diff(per_geom))

    def polygon_rings(self) -> tuple[_I64, _I64]:
        """The rings of polygonal geometries: (the index of each such ring, the geometry it belongs to)."""
        rings_per_part = np.diff(self.part_rings)
        part_geom = np.repeat(np.arange(len(self), dtype=np.int64), np.diff(self.geom_parts))
        ring_geom = np.repeat(part_geom, rings_per_part)
        polygonal = np.isin(self.kinds, (POLYGON, MULTIPOLYGON))
        rings = np.flatnonzero(polygonal[ring_geom])
        return rings.astype(np.int64), ring_geom[rings]

    def bounds(self) -> _F64:
        """(minx, miny, maxx, maxy) of each geometry; NaN for missing and empty ones."""
        out: _F64 = _bounds(self.kinds, self.geom_parts, self.part_rings, self.ring_coords, self.xy)
        return out

    def encode(
        self, *, promote: npt.NDArray[np.bool_] | None = None, gpkg_srs_id: int | None = None
    ) -> tuple[npt.NDArray[np.uint8], _I64]:
        """Every geometry as ISO WKB (2D, little-endian) in one buffer: geometry i is
        ``buffer[offsets[i]:offsets[i + 1]]``, empty for a missing geometry.

        ``promote[i]`` writes a Point, LineString or Polygon as a one-member Multi*; ``gpkg_srs_id``
        puts the GeoPackage binary header in front (srs_id, and the [minx, maxx, miny, maxy]
        envelope, or the empty flag and no envelope for an empty geometry).
        """
        n = len(self)
        up = np.zeros(n, dtype=np.bool_) if promote is None else np.ascontiguousarray(promote, dtype=np.bool_)
        if len(up) != n:
            raise ValueError(f"promote has {len(up)} entries for {n} geometries")
        header = -1 if gpkg_srs_id is None else int(gpkg_srs_id)
        sizes = _sizes(self.kinds, self.geom_parts, self.part_rings, self.ring_coords, self.xy, up, header)
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        out = np.empty(int(offsets[-1]), dtype=np.uint8)
        _encode(self.kinds, self.geom_parts, self.part_rings, self.ring_coords, self.xy, up, header, offsets, out)
        return out, offsets


def parse_wkb(blobs: Sequence[bytes | None]) -> FlatGeometries | None:
    """The flat form of WKB geometries (None or empty entries are missing geometries); None when one
    of them has no flat form (a collection, a curve) or is not well-formed WKB."""
    n = len(blobs)
    if None in blobs:
        lengths = np.fromiter((0 if b is None else len(b) for b in blobs), dtype=np.int64, count=n)
    else:
        lengths = np.fromiter(map(len, blobs), dtype=np.int64, count=n)  # type: ignore[arg-type]
    starts = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    buf = np.frombuffer(b"".join(b for b in blobs if b is not None), dtype=np.uint8)
    counts = np.zeros((n, 3), dtype=np.int64)  # parts, rings, coordinates of each geometry
    kinds = np.zeros(n, dtype=np.uint8)
    scratch_i = np.zeros(1, dtype=np.int64)
    if not _walk_all(buf, starts, kinds, counts, False, scratch_i, scratch_i, scratch_i, np.zeros(0, np.uint8)):
        return None
    geom_parts = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts[:, 0], out=geom_parts[1:])
    totals = counts.sum(axis=0)
    part_rings = np.zeros(int(totals[0]) + 1, dtype=np.int64)
    ring_coords = np.zeros(int(totals[1]) + 1, dtype=np.int64)
    xy = np.empty((int(totals[2]), 2), dtype=np.float64)
    _walk_all(buf, starts, kinds, counts, True, geom_parts, part_rings, ring_coords, xy.reshape(-1).view(np.uint8))
    return FlatGeometries(kinds, geom_parts, part_rings, ring_coords, xy)


def flatten(geoms: npt.NDArray[Any]) -> FlatGeometries | None:
    """The flat form of shapely geometries (through their WKB); None when one has none."""
    return parse_wkb(shapely.to_wkb(np.asarray(geoms, dtype=object), output_dimension=2, byte_order=1,
                                    flavor="iso").tolist())


def byte_strings(buffer: npt.NDArray[np.uint8], offsets: _I64) -> list[bytes | None]:
    """The bytes of each geometry of an encoded buffer (None for a missing one)."""
    raw = buffer.tobytes()
    o = offsets.tolist()
    return [raw[a:b] if b > a else None for a, b in itertools.pairwise(o)]


# --- reading --------------------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _u32(buf: Any, pos: int, little: bool) -> int:
    if little:
        return (int(buf[pos]) | (int(buf[pos + 1]) << 8) | (int(buf[pos + 2]) << 16)
                | (int(buf[pos + 3]) << 24))
    return (int(buf[pos + 3]) | (int(buf[pos + 2]) << 8) | (int(buf[pos + 1]) << 16)
            | (int(buf[pos]) << 24))


@njit(cache=True, inline="always")
def _copy_f64(buf: Any, pos: int, little: bool, out: Any, at: int) -> None:
    """Copy one double from ``buf[pos:]`` (in its byte order) to ``out[at:]`` (native little-endian)."""
    if little:
        for k in range(8):
            out[at + k] = buf[pos + k]
    else:
        for k in range(8):
            out[at + k] = buf[pos + 7 - k]


@njit(cache=True, nogil=True)
def _header(buf: Any, pos: int, end: int) -> tuple[int, int, int, bool]:
    """(position after the header, base type code, dimensions, little-endian); type -1 when malformed."""
    if pos + 5 > end:
        return pos, -1, 0, True
    order = buf[pos]
    if order > 1:
        return pos, -1, 0, True
    little = order == 1
    code = _u32(buf, pos + 1, little)
    pos += 5
    dims = 2
    if code & 0x80000000:
        dims += 1
    if code & 0x40000000:
        dims += 1
    if code & 0x20000000:  # EWKB with an SRID
        pos += 4
    code &= 0x0FFFFFFF
    iso = code // 1000
    base = code % 1000
    if iso == 1 or iso == 2:
        dims += 1
    elif iso == 3:
        dims += 2
    elif iso != 0:
        return pos, -1, 0, little
    return pos, base, dims, little


@njit(cache=True, nogil=True)
def _walk_all(buf: Any, starts: Any, kinds: Any, counts: Any, fill: bool, geom_parts: Any, part_rings: Any,
              ring_coords: Any, xy_bytes: Any) -> bool:
    """Walk every geometry: count its parts, rings and coordinates, or (``fill``) write them out
    (coordinates as bytes into ``xy_bytes``, the byte view of the (n, 2) float64 array)."""
    scratch = np.zeros(2, dtype=np.float64)
    scratch_bytes = scratch.view(np.uint8)
    part = 0
    ring = 0
    coord = 0
    for i in range(len(starts) - 1):
        pos, end = starts[i], starts[i + 1]
        if pos == end:
            kinds[i] = 0
            continue
        pos, base, dims, little = _header(buf, pos, end)
        if base < 1 or base > 6:
            return False
        kinds[i] = base
        if base <= 3:
            members = 1
            member_type = base
            nested = False
        else:
            if pos + 4 > end:
                return False
            members = _u32(buf, pos, little)
            pos += 4
            member_type = base - 3
            nested = True
        n_parts = 0
        n_rings = 0
        n_coords = 0
        for _ in range(members):
            mdims = dims
            mlittle = little
            if nested:
                pos, mtype, mdims, mlittle = _header(buf, pos, end)
                if mtype != member_type:
                    return False
            if fill:
                part_rings[part + n_parts] = ring + n_rings
            n_parts += 1
            if member_type == POINT:
                if pos + 8 * mdims > end:
                    return False
                _copy_f64(buf, pos, mlittle, scratch_bytes, 0)
                _copy_f64(buf, pos + 8, mlittle, scratch_bytes, 8)
                pos += 8 * mdims
                if fill:
                    ring_coords[ring + n_rings] = coord + n_coords
                n_rings += 1
                if not (np.isnan(scratch[0]) and np.isnan(scratch[1])):  # POINT EMPTY is NaN NaN
                    if fill:
                        for k in range(16):
                            xy_bytes[16 * (coord + n_coords) + k] = scratch_bytes[k]
                    n_coords += 1
                continue
            if member_type == LINESTRING:
                n_ring_here = 1
            else:
                if pos + 4 > end:
                    return False
                n_ring_here = _u32(buf, pos, mlittle)
                pos += 4
            for _r in range(n_ring_here):
                if pos + 4 > end:
                    return False
                npts = _u32(buf, pos, mlittle)
                pos += 4
                if pos + npts * 8 * mdims > end:
                    return False
                if fill:
                    ring_coords[ring + n_rings] = coord + n_coords
                    base_out = 16 * (coord + n_coords)
                    if mlittle and mdims == 2:  # the usual case: one block of bytes as stored here
                        xy_bytes[base_out : base_out + 16 * npts] = buf[pos : pos + 16 * npts]
                    else:
                        for k in range(npts):
                            at = pos + k * 8 * mdims
                            _copy_f64(buf, at, mlittle, xy_bytes, base_out + 16 * k)
                            _copy_f64(buf, at + 8, mlittle, xy_bytes, base_out + 16 * k + 8)
                pos += npts * 8 * mdims
                n_rings += 1
                n_coords += npts
        if pos != end:
            return False
        if fill:
            part += n_parts
            ring += n_rings
            coord += n_coords
        else:
            counts[i, 0] = n_parts
            counts[i, 1] = n_rings
            counts[i, 2] = n_coords
    if fill:
        part_rings[part] = ring
        ring_coords[ring] = coord
    return True


# --- writing --------------------------------------------------------------------------------------


@njit(cache=True, nogil=True)
def _member_size(kind: int, j: int, part_rings: Any, ring_coords: Any) -> int:
    """Bytes of part j written as a WKB geometry of type ``kind`` (1–3), header included."""
    if kind == POINT:
        return 21
    r0, r1 = int(part_rings[j]), int(part_rings[j + 1])
    coords = int(ring_coords[r1] - ring_coords[r0])
    if kind == LINESTRING:
        return 9 + 16 * coords
    return 9 + 4 * (r1 - r0) + 16 * coords


@njit(cache=True, nogil=True)
def _sizes(kinds: Any, geom_parts: Any, part_rings: Any, ring_coords: Any, xy: Any, promote: Any, header: int) -> Any:
    out = np.zeros(len(kinds), dtype=np.int64)
    for i in range(len(kinds)):
        kind = kinds[i]
        if kind == 0:
            continue
        size = 0
        if header >= 0:
            found = _extent(kind, geom_parts[i], geom_parts[i + 1], part_rings, ring_coords, xy)[0]
            size += 40 if found else 8
        if kind >= 4 or promote[i]:
            size += 9
        member = kind - 3 if kind >= 4 else kind
        for j in range(geom_parts[i], geom_parts[i + 1]):
            size += _member_size(member, j, part_rings, ring_coords)
        out[i] = size
    return out


@njit(cache=True, inline="always")
def _put_u32(out: Any, pos: int, value: int) -> int:
    for k in range(4):
        out[pos + k] = (value >> (8 * k)) & 255
    return pos + 4


@njit(cache=True, inline="always")
def _put_bytes(out: Any, pos: int, raw: Any, lo: int, hi: int) -> int:
    """Copy ``raw[lo:hi]`` (native little-endian doubles, as bytes) to the output."""
    out[pos : pos + hi - lo] = raw[lo:hi]
    return pos + hi - lo


@njit(cache=True, nogil=True)
def _encode(kinds: Any, geom_parts: Any, part_rings: Any, ring_coords: Any, xy: Any, promote: Any, header: int,
            offsets: Any, out: Any) -> None:
    raw = xy.reshape(-1).view(np.uint8)  # little-endian hosts (x86-64, aarch64)
    scratch = np.zeros(4, dtype=np.float64)
    scratch_raw = scratch.view(np.uint8)
    for i in range(len(kinds)):
        kind = kinds[i]
        if kind == 0:
            continue
        pos = offsets[i]
        p0, p1 = geom_parts[i], geom_parts[i + 1]
        if header >= 0:
            out[pos], out[pos + 1], out[pos + 2] = 71, 80, 0  # "GP", version 1
            found, x0, y0, x1, y1 = _extent(kind, p0, p1, part_rings, ring_coords, xy)
            out[pos + 3] = 0b0011 if found else 0b10001  # little-endian; [minx, maxx, miny, maxy], or empty
            pos = _put_u32(out, pos + 4, header)
            if found:
                scratch[0], scratch[1], scratch[2], scratch[3] = x0, x1, y0, y1
                pos = _put_bytes(out, pos, scratch_raw, 0, 32)
        member = kind - 3 if kind >= 4 else kind
        if kind >= 4 or promote[i]:
            out[pos] = 1  # little-endian
            pos = _put_u32(out, pos + 1, member + 3)
            pos = _put_u32(out, pos, p1 - p0)
        for j in range(p0, p1):
            out[pos] = 1
            pos = _put_u32(out, pos + 1, member)
            r0, r1 = part_rings[j], part_rings[j + 1]
            if member == POINT:
                c = ring_coords[r0]
                if ring_coords[r1] == c:  # POINT EMPTY
                    scratch[0], scratch[1] = np.nan, np.nan
                    pos = _put_bytes(out, pos, scratch_raw, 0, 16)
                else:
                    pos = _put_bytes(out, pos, raw, 16 * c, 16 * c + 16)
                continue
            if member == POLYGON:
                pos = _put_u32(out, pos, r1 - r0)
            for r in range(r0, r1):
                c0, c1 = ring_coords[r], ring_coords[r + 1]
                pos = _put_u32(out, pos, c1 - c0)
                pos = _put_bytes(out, pos, raw, 16 * c0, 16 * c1)


@njit(cache=True, nogil=True)
def _extent(kind: int, p0: int, p1: int, part_rings: Any, ring_coords: Any, xy: Any) -> tuple[bool, float, float,
                                                                                           float, float]:
    """(found, minx, miny, maxx, maxy) of parts ``p0:p1``: of polygons' shells only, as GEOS does (a
    hole cannot reach outside a valid shell)."""
    found = False
    x0 = y0 = x1 = y1 = np.nan
    for j in range(p0, p1):
        r0, r1 = part_rings[j], part_rings[j + 1]
        if kind in (POLYGON, MULTIPOLYGON):
            r1 = min(r1, r0 + 1)
        for c in range(ring_coords[r0], ring_coords[r1]):
            if not found:
                x0, x1, y0, y1 = xy[c, 0], xy[c, 0], xy[c, 1], xy[c, 1]
                found = True
            else:
                x0 = min(x0, xy[c, 0])
                x1 = max(x1, xy[c, 0])
                y0 = min(y0, xy[c, 1])
                y1 = max(y1, xy[c, 1])
    return found, x0, y0, x1, y1


@njit(cache=True, nogil=True)
def _bounds(kinds: Any, geom_parts: Any, part_rings: Any, ring_coords: Any, xy: Any) -> Any:
    n = len(geom_parts) - 1
    out = np.full((n, 4), np.nan)
    for i in range(n):
        found, x0, y0, x1, y1 = _extent(kinds[i], geom_parts[i], geom_parts[i + 1], part_rings, ring_coords, xy)
        if found:
            out[i, 0], out[i, 1], out[i, 2], out[i, 3] = x0, y0, x1, y1
    return out
