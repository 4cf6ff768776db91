"""A batch's geometries as both stores write them: in CGCS2000 lon/lat (EPSG:4490), encoded in bulk.

The flat form (:mod:`guotu.core.flatgeom`) is reprojected as one coordinate array and encoded by a
compiled loop, for PostGIS as WKB for a binary COPY, for the GeoPackage as GeoPackage binary blobs. A
batch holding a geometry collection or a curve (no flat form) takes the shapely path instead; both
give the same bytes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import shapely

from guotu.core.crs import CGCS2000, transform_geometries, transform_xy
from guotu.core.features import FeatureBatch

if TYPE_CHECKING:
    from guotu.core.flatgeom import FlatGeometries


_SHAPELY_TYPE = np.array([-1, 0, 1, 3, 4, 5, 6], dtype=np.int64)  # by WKB type code (0: missing)


class StoreGeometries:
    """The geometries of a batch, moved to EPSG:4490 as they are encoded: flat when they have a flat
    form (reprojected chunk by chunk, so that a COPY's server parses one chunk while the next ones
    are reprojected), else as shapely geometries reprojected at once."""

    def __init__(self, batch: FeatureBatch) -> None:
        self._source = batch.flat_geometries()
        self._epsg = batch.epsg
        self._xy: npt.NDArray[np.float64] | None = None
        self._moved: npt.NDArray[np.bool_] | None = None  # geometries whose coordinates are in self._xy
        self.shapes: npt.NDArray[Any] | None = None
        if self._source is None:
            self.shapes = transform_geometries(batch.geometry, batch.epsg, CGCS2000)
        elif batch.epsg == CGCS2000:
            self._xy, self._moved = self._source.xy, np.ones(len(self._source), dtype=np.bool_)
        else:
            self._xy, self._moved = np.empty_like(self._source.xy), np.zeros(len(self._source), dtype=np.bool_)

    @property
    def flat(self) -> FlatGeometries | None:
        """All the geometries in EPSG:4490, flat (None when they have no flat form)."""
        if self._source is None:
            return None
        self._move(0, len(self._source))
        assert self._xy is not None
        return self._source.with_xy(self._xy)

    def _move(self, lo: int, hi: int) -> None:
        """Reproject the coordinates of geometries ``lo:hi`` (a no-op for those already moved). Threads
        may move disjoint ranges at once: each writes its own part of the arrays."""
        src, xy, moved = self._source, self._xy, self._moved
        assert src is not None and xy is not None and moved is not None
        if moved[lo:hi].all():
            return
        first = src.ring_coords[src.part_rings[src.geom_parts[[lo, hi]]]]
        c0, c1 = int(first[0]), int(first[1])
        xy[c0:c1] = transform_xy(src.xy[c0:c1], self._epsg, CGCS2000)
        moved[lo:hi] = True

    def __len__(self) -> int:
        return len(self._source) if self._source is not None else len(self.shapes)  # type: ignore[arg-type]

    def type_ids(self) -> npt.NDArray[np.int64]:
        """shapely's geometry type id of each (-1 for a missing geometry)."""
        if self._source is not None:
            return _SHAPELY_TYPE[self._source.kinds]
        return shapely.get_type_id(self.shapes).astype(np.int64)  # type: ignore[no-any-return]

    def bounds(self) -> npt.NDArray[np.float64]:
        """(minx, miny, maxx, maxy) of each; NaN for missing and empty geometries."""
        flat = self.flat
        if flat is not None:
            return flat.bounds()
        return shapely.bounds(self.shapes)  # type: ignore[no-any-return]

    def wkb(
        self, lo: int, hi: int, promote: npt.NDArray[np.bool_] | None
    ) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
        """Geometries ``lo:hi`` as ISO WKB in one buffer (see ``FlatGeometries.encode``)."""
        part = None if promote is None else promote[lo:hi]
        if self._source is not None:
            self._move(lo, hi)
            assert self._xy is not None
            return self._source.with_xy(self._xy).rows(lo, hi).encode(promote=part)
        assert self.shapes is not None
        return _shapely_wkb(self.shapes[lo:hi], part)

    def gpkg_blobs(self, promote: npt.NDArray[np.bool_] | None) -> list[bytes | None]:
        """GeoPackage geometry blobs (srs_id 4490), None for a missing geometry."""
        from guotu.core.flatgeom import byte_strings
        from guotu.store import gpkgbin

        flat = self.flat
        if flat is not None:
            return byte_strings(*flat.encode(promote=promote, gpkg_srs_id=CGCS2000))
        assert self.shapes is not None
        return gpkgbin.encode(promoted(self.shapes, promote), CGCS2000)


_MULTI_OF = {0: shapely.multipoints, 1: shapely.multilinestrings, 3: shapely.multipolygons}


def promoted(geoms: npt.NDArray[Any], promote: npt.NDArray[np.bool_] | None) -> npt.NDArray[Any]:
    """``geoms`` with each single geometry under ``promote`` made a one-member Multi* (a copy)."""
    if promote is None or not promote.any():
        return geoms
    geoms = geoms.copy()
    idx = np.flatnonzero(promote)
    types = shapely.get_type_id(geoms[idx])
    for t in np.unique(types).tolist():
        sel = idx[types == t]
        geoms[sel] = _MULTI_OF[t](geoms[sel], indices=np.arange(sel.size))  # one multi per single, vectorised
    return geoms


def _shapely_wkb(
    geoms: npt.NDArray[Any], promote: npt.NDArray[np.bool_] | None
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
    """The shapely path of :meth:`StoreGeometries.wkb` (collections cannot be Multi* members, so
    ``promote`` never marks one: the layer's type check refuses them first)."""
    wkb = shapely.to_wkb(geoms, output_dimension=2, byte_order=1, flavor="iso").tolist()
    if promote is not None:
        for i in np.flatnonzero(promote).tolist():
            t = int(shapely.get_type_id(geoms[i]))
            wkb[i] = b"\x01" + (t + 4).to_bytes(4, "little") + b"\x01\x00\x00\x00" + wkb[i]
    blobs = [b"" if w is None else w for w in wkb]
    offsets = np.zeros(len(blobs) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in blobs], out=offsets[1:])
    return np.frombuffer(b"".join(blobs), dtype=np.uint8), offsets
