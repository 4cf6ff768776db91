"""Mapbox Vector Tiles (MVT 2.1): one layer of features cut to one tile, for display.

Geometries arrive in Web Mercator (EPSG:3857); they are moved to tile pixels (``extent`` per side,
y downwards), clipped to the tile plus a buffer, simplified by half a pixel and snapped to the
integer grid (which keeps polygons valid and drops what is smaller than a pixel). Encoding is done
by the ``mapbox-vector-tile`` package.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

EXTENT = 4096
BUFFER = 64


def to_tile_pixels(
    geoms: npt.NDArray[Any], bounds: tuple[float, float, float, float], extent: int = EXTENT,
    buffer: int = BUFFER,
) -> npt.NDArray[Any]:
    """Geometries (in the CRS of ``bounds``) as clipped, integer tile-pixel geometries; None where nothing is left.

    >>> import shapely, numpy as np
    >>> g = to_tile_pixels(np.array([shapely.box(0, 0, 50, 50)]), (0, 0, 100, 100), extent=100, buffer=0)
    >>> shapely.normalize(g[0]).wkt
    'POLYGON ((0 50, 0 100, 50 100, 50 50, 0 50))'
    """
    minx, miny, maxx, maxy = bounds
    sx = extent / (maxx - minx)
    sy = extent / (maxy - miny)

    def to_pixels(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        out = np.empty_like(coords)
        out[:, 0] = (coords[:, 0] - minx) * sx
        out[:, 1] = (maxy - coords[:, 1]) * sy
        return out

    geoms = np.asarray(geoms, dtype=object)
    pixels = shapely.transform(geoms, to_pixels)
    clipped = shapely.clip_by_rect(pixels, -buffer, -buffer, extent + buffer, extent + buffer)
    simple = shapely.simplify(clipped, 0.5, preserve_topology=True)
    snapped = shapely.set_precision(simple, 1.0)
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


def encode_tile(
    layer: str, geoms: npt.NDArray[Any], rows: Sequence[Mapping[str, Any]], fids: Sequence[int],
    bounds: tuple[float, float, float, float], extent: int = EXTENT, buffer: int = BUFFER,
) -> bytes | None:
    """One MVT layer named ``layer`` holding each feature with its attributes and ``fid``;
    None when no feature is left in the tile."""
    import mapbox_vector_tile

    pixels = to_tile_pixels(geoms, bounds, extent, buffer)
    features = []
    for i in np.flatnonzero(~shapely.is_missing(pixels)).tolist():
        props = {k: v for k, v in ((k, plain(v)) for k, v in rows[i].items()) if v is not None}
        props["fid"] = int(fids[i])
        features.append({"geometry": pixels[i], "properties": props, "id": int(fids[i])})
    if not features:
        return None
    data: bytes = mapbox_vector_tile.encode(
        {"name": layer, "features": features},
        default_options={"extents": extent, "y_coord_down": True, "check_winding_order": True},
    )
    return data
