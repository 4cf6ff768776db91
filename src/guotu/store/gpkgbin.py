"""GeoPackage geometry blobs (GPB): the standard header followed by ISO WKB.

Header: ``b"GP"``, version 0, a flags byte (bit 0 little-endian, bits 1–3 envelope kind, bit 4
empty), the srs_id (int32) and an envelope. We always write an [minx, maxx, miny, maxy] envelope so
the R-tree triggers and GDAL read bounds without parsing the WKB.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
_HEAD = struct.Struct("<2sBBi4d")
_HEAD_EMPTY = struct.Struct("<2sBBi")


_HEAD_DTYPE = np.dtype([("magic", "S2"), ("version", "u1"), ("flags", "u1"), ("srs_id", "<i4"),
                        ("envelope", "<f8", (4,))])  # = _HEAD, built for many geometries at once


def encode(geoms: npt.NDArray[Any], srs_id: int) -> list[bytes | None]:
    """GPB blobs for an array of geometries (None stays None)."""
    geoms = np.asarray(geoms, dtype=object)
    out: list[bytes | None] = [None] * len(geoms)
    present = ~shapely.is_missing(geoms)
    idx = np.flatnonzero(present)
    if idx.size == 0:
        return out
    wkb = shapely.to_wkb(geoms[idx], byte_order=1, output_dimension=2, flavor="iso").tolist()
    bounds = shapely.bounds(geoms[idx])
    empty = shapely.is_empty(geoms[idx])
    heads = np.zeros(idx.size, dtype=_HEAD_DTYPE)
    heads["magic"] = b"GP"
    heads["flags"] = 0b0011  # little-endian, [minx, maxx, miny, maxy] envelope
    heads["srs_id"] = srs_id
    heads["envelope"] = bounds[:, [0, 2, 1, 3]]
    raw, size = heads.tobytes(), _HEAD.size
    empty_head = _HEAD_EMPTY.pack(b"GP", 0, 0b10001, srs_id)
    for k, i in enumerate(idx.tolist()):
        out[i] = (empty_head if empty[k] else raw[k * size : (k + 1) * size]) + wkb[k]
    return out


def wkb_of(blob: bytes) -> bytes:
    """The WKB part of one GPB blob."""
    if blob[:2] != b"GP":
        raise ValueError("not a GeoPackage geometry blob (missing 'GP' magic)")
    flags = blob[3]
    return blob[8 + _ENVELOPE_BYTES[(flags >> 1) & 0b111] :]


def decode(blobs: Sequence[bytes | None]) -> npt.NDArray[Any]:
    """Shapely geometries from GPB blobs."""
    wkbs = [None if b is None else wkb_of(b) for b in blobs]
    return shapely.from_wkb(wkbs)  # type: ignore[no-any-return]


def envelope(blob: bytes | None) -> tuple[float, float, float, float] | None:
    """(minx, maxx, miny, maxy) from the header, parsing the WKB only when there is no envelope."""
    if blob is None:
        return None
    flags = blob[3]
    if flags & 0b10000:
        return None
    kind = (flags >> 1) & 0b111
    if kind:
        fmt = "<4d" if flags & 1 else ">4d"
        x0, x1, y0, y1 = struct.unpack_from(fmt, blob, 8)
        return (x0, x1, y0, y1)
    g = shapely.from_wkb(wkb_of(blob))
    if g.is_empty:
        return None
    x0, y0, x1, y1 = g.bounds
    return (x0, x1, y0, y1)


def is_empty(blob: bytes | None) -> int:
    if blob is None:
        return 1
    if blob[3] & 0b10000:
        return 1
    env = envelope(blob)
    return int(env is None or any(math.isnan(v) for v in env))
