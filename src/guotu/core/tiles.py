"""The WebMercatorQuad tile grid (OGC 17-083r4, the XYZ scheme of web maps): pure arithmetic.

Web Mercator (EPSG:3857) is used for display only: tiles are cut in it, areas never are.

>>> tile_bounds(0, 0, 0) == (-HALF_WORLD, -HALF_WORLD, HALF_WORLD, HALF_WORLD)
True
>>> lonlat_to_tile(121.05, 30.7, 12)
(3425, 1680)
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from guotu.core.errors import InputError, NotFoundError

TILE_MATRIX_SET = "WebMercatorQuad"
TILE_MATRIX_SET_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
WEB_MERCATOR = 3857
HALF_WORLD = 20037508.342789244  # metres: half the width of the Web Mercator square
MAX_ZOOM = 24
MAX_LAT = 85.0511287798066


def parse_tile(z: str, y: str, x: str) -> tuple[int, int, int]:
    """Tile indices from path text: not integers → InputError; outside the grid → NotFoundError.

    >>> parse_tile("3", "2", "7")
    (3, 2, 7)
    """
    try:
        zi, yi, xi = int(z), int(y), int(x)
    except ValueError as exc:
        raise InputError("tiles.bad_index", z=z, y=y, x=x) from exc
    check_tile(zi, xi, yi)
    return zi, yi, xi


def check_tile(z: int, x: int, y: int) -> None:
    if not 0 <= z <= MAX_ZOOM:
        raise NotFoundError("tiles.bad_zoom", z=z, max_zoom=MAX_ZOOM)
    n = 1 << z
    if not (0 <= x < n and 0 <= y < n):
        raise NotFoundError("tiles.out_of_grid", z=z, x=x, y=y, n=n - 1)


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(minx, miny, maxx, maxy) of a tile in EPSG:3857 metres (row 0 at the north)."""
    size = 2 * HALF_WORLD / (1 << z)
    minx = -HALF_WORLD + x * size
    maxy = HALF_WORLD - y * size
    return (minx, maxy - size, minx + size, maxy)


def lonlat_to_tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The (x, y) of the tile holding a lon/lat point at zoom ``z``."""
    lat = max(-MAX_LAT, min(MAX_LAT, lat))
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    rad = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(rad)) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def tile_range(bounds: tuple[float, float, float, float], z: int) -> tuple[int, int, int, int]:
    """(min_x, min_y, max_x, max_y) tile indices covering a lon/lat box at zoom ``z``."""
    x0, y1 = lonlat_to_tile(bounds[0], bounds[1], z)
    x1, y0 = lonlat_to_tile(bounds[2], bounds[3], z)
    return x0, y0, x1, y1


EARTH_RADIUS = HALF_WORLD / math.pi  # the sphere of Web Mercator, 6,378,137 m


def lonlat_to_mercator(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """(n, 2) lon/lat degrees (CGCS2000 or WGS 84: the same to Web Mercator) as EPSG:3857 metres.

    >>> bool(lonlat_to_mercator(np.array([[180.0, 0.0]]))[0, 0] == HALF_WORLD)
    True
    """
    lon = np.radians(coords[:, 0])
    lat = np.radians(np.clip(coords[:, 1], -MAX_LAT, MAX_LAT))
    return np.column_stack([EARTH_RADIUS * lon, EARTH_RADIUS * np.log(np.tan(np.pi / 4 + lat / 2))])


def mercator_to_lonlat_box(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """An EPSG:3857 box as the lon/lat box it covers exactly (the projection keeps boxes boxes).

    >>> [round(v, 6) for v in mercator_to_lonlat_box(tile_bounds(1, 1, 0))]
    [0.0, 0.0, 180.0, 85.051129]
    """
    def lat(y: float) -> float:
        return math.degrees(math.atan(math.sinh(y / EARTH_RADIUS)))

    return (math.degrees(box[0] / EARTH_RADIUS), lat(box[1]), math.degrees(box[2] / EARTH_RADIUS), lat(box[3]))
