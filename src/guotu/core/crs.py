"""Coordinate reference systems: CGCS2000 storage, Gauss-Krüger zones, plausibility checks, GCJ-02.

Storage is always CGCS2000 geographic (EPSG:4490, axis order lon/lat in our arrays). Areas and
overlays use the 3° Gauss-Krüger zone chosen from longitude: zone ``n`` has its central meridian at
``3n`` °E. EPSG gives each zone twice: "CM λE" (easting without prefix, EPSG:4534–4554) and "zone n"
(easting with the zone number prefixed, e.g. 40 605 683 m, EPSG:4513–4533).

>>> gk3_zone(121.1)
40
>>> gk3_epsg(40)
4549
>>> gk3_epsg(40, prefixed=True)
4528
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import CRS, Transformer

from guotu.core.errors import CRSError

CGCS2000 = 4490
WGS84 = 4326
GEOGRAPHIC = frozenset({CGCS2000, WGS84, 4610, 4214})

# CGCS2000 3-degree Gauss-Krüger: zones 25..45 (CM 75E..135E).
_GK3_FIRST_ZONE, _GK3_LAST_ZONE = 25, 45
_GK3_PREFIXED_BASE = 4513  # zone 25 with prefix
_GK3_PLAIN_BASE = 4534  # CM 75E without prefix

# Where Chinese data can lie (mainland, islands and sea areas, generous).
CHINA_LON = (73.0, 136.0)
CHINA_LAT = (3.0, 54.0)
# Easting of a 3° zone without prefix: half-width ≤ 1.5° ≈ 167 km at the equator; allow a margin.
GK_EASTING = (250_000.0, 750_000.0)
GK_NORTHING = (300_000.0, 6_000_000.0)


def gk3_zone(lon: float) -> int:
    """3° zone number whose central meridian (3 × zone) is nearest to ``lon``."""
    zone = math.floor(lon / 3.0 + 0.5)
    if not _GK3_FIRST_ZONE <= zone <= _GK3_LAST_ZONE:
        raise CRSError("crs.zone_out_of_range", lon=lon)
    return zone


def gk3_epsg(zone: int, prefixed: bool = False) -> int:
    """EPSG code of CGCS2000 3° GK zone ``zone``, with or without the zone prefix on the easting."""
    if not _GK3_FIRST_ZONE <= zone <= _GK3_LAST_ZONE:
        raise CRSError("crs.zone_number_out_of_range", zone=zone)
    base = _GK3_PREFIXED_BASE if prefixed else _GK3_PLAIN_BASE
    return base + zone - _GK3_FIRST_ZONE


@dataclass(frozen=True)
class GKInfo:
    """What an EPSG code means for our checks: a CGCS2000 3° GK zone, and whether it is prefixed."""

    epsg: int
    zone: int
    prefixed: bool

    @property
    def central_meridian(self) -> int:
        return 3 * self.zone


def gk3_info(epsg: int) -> GKInfo | None:
    """Zone information when ``epsg`` is a CGCS2000 3° GK zone, else None."""
    if _GK3_PREFIXED_BASE <= epsg < _GK3_PREFIXED_BASE + 21:
        return GKInfo(epsg, epsg - _GK3_PREFIXED_BASE + _GK3_FIRST_ZONE, True)
    if _GK3_PLAIN_BASE <= epsg < _GK3_PLAIN_BASE + 21:
        return GKInfo(epsg, epsg - _GK3_PLAIN_BASE + _GK3_FIRST_ZONE, False)
    return None


def metric_epsg_for(lon: float) -> int:
    """The metric CRS for areas at longitude ``lon``: the unprefixed 3° GK zone."""
    return gk3_epsg(gk3_zone(lon))


@cache
def crs_from_epsg(epsg: int) -> CRS:
    try:
        return CRS.from_epsg(epsg)
    except Exception as exc:  # pyproj raises CRSError of its own
        raise CRSError("crs.unknown_epsg", epsg=epsg) from exc


def epsg_of(crs_text: str | int | None) -> int | None:
    """EPSG code of a CRS given as ``EPSG:n``, a number, WKT or PROJ JSON; None when it has none."""
    if crs_text is None or crs_text == "":
        return None
    if isinstance(crs_text, int):
        return crs_text
    text = crs_text.strip()
    if text.upper().startswith("EPSG:") and text[5:].isdigit():
        return int(text[5:])
    if text.isdigit():
        return int(text)
    try:
        crs = CRS.from_user_input(text)
    except Exception as exc:
        raise CRSError("crs.unreadable", crs=text[:80]) from exc
    code = crs.to_epsg(min_confidence=70)
    if code is None:
        return _match_cgcs2000_gk(crs)
    return int(code)


def _match_cgcs2000_gk(crs: CRS) -> int | None:
    """Recognise a CGCS2000 transverse Mercator zone described without an EPSG code (common in .prj)."""
    if crs.is_geographic:
        name = crs.name.lower()
        return CGCS2000 if "2000" in name or "cgcs" in name else None
    try:
        params = {p.name: p.value for p in crs.coordinate_operation.params}  # type: ignore[union-attr]
    except AttributeError:
        return None
    lon0 = params.get("Longitude of natural origin")
    fe = params.get("False easting")
    if lon0 is None or fe is None or "2000" not in crs.geodetic_crs.name:  # type: ignore[union-attr]
        return None
    zone = round(float(lon0) / 3.0)
    if abs(zone * 3.0 - float(lon0)) > 1e-9:
        return None
    if abs(float(fe) - 500000.0) < 1e-6:
        return gk3_epsg(zone)
    if abs(float(fe) - (zone * 1_000_000 + 500000.0)) < 1e-6:
        return gk3_epsg(zone, prefixed=True)
    return None


@cache
def transformer(src: int, dst: int) -> Transformer:
    return Transformer.from_crs(crs_from_epsg(src), crs_from_epsg(dst), always_xy=True)


THREADED_POINTS = 200_000  # coordinates from which a reprojection runs on two threads


def transform_xy(xy: npt.NDArray[np.float64], src: int, dst: int) -> npt.NDArray[np.float64]:
    """Reproject an (n, 2) array of coordinates (x = easting/longitude, y = northing/latitude).

    Large arrays are cut in two and reprojected on two threads: PROJ releases the GIL, and pyproj's
    transformers are thread-safe (each thread gets its own PROJ object)."""
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    if src == dst:
        return xy
    tr = transformer(src, dst)
    out = np.empty_like(xy)

    def _part(lo: int, hi: int) -> None:
        x, y = tr.transform(xy[lo:hi, 0], xy[lo:hi, 1])
        out[lo:hi, 0], out[lo:hi, 1] = x, y

    n = len(xy)
    if n < THREADED_POINTS:
        _part(0, n)
        return out
    half = n // 2
    with ThreadPoolExecutor(1) as executor:
        other = executor.submit(_part, half, n)
        _part(0, half)
        other.result()
    return out


def transform_geometries(geoms: npt.NDArray[Any], src: int, dst: int) -> npt.NDArray[Any]:
    """Reproject an array of shapely geometries (x = easting/longitude, y = northing/latitude)."""
    if src == dst:
        return geoms
    return shapely.transform(geoms, lambda coords: transform_xy(coords, src, dst))  # type: ignore[no-any-return]


def check_coordinates(
    coords: npt.NDArray[np.float64], epsg: int, source: str = "", record: object = ""
) -> None:
    """Refuse coordinates that cannot be in CRS ``epsg``, naming the likely mistake.

    Detects degrees given where metres are declared and the reverse, northing and easting swapped,
    a zone prefix that is missing, unexpected or of the wrong zone, and data outside China.
    ``coords`` is an (n, 2) array in the file's axis order as read (x first).
    """
    coords = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
    if coords.size == 0:
        return
    if not np.isfinite(coords).all():
        raise CRSError("crs.not_finite", source=source, record=record)
    x, y = coords[:, 0], coords[:, 1]
    ctx = {"source": source, "record": record, "epsg": epsg}
    sample = f"({x[0]:.6f}, {y[0]:.6f})"
    if epsg in GEOGRAPHIC:
        if (np.abs(x) > 360).any() or (np.abs(y) > 360).any():
            raise CRSError("crs.metres_for_degrees", sample=sample, **ctx)
        lon_ok = (x >= CHINA_LON[0]) & (x <= CHINA_LON[1]) & (y >= CHINA_LAT[0]) & (y <= CHINA_LAT[1])
        if lon_ok.all():
            return
        swapped = (y >= CHINA_LON[0]) & (y <= CHINA_LON[1]) & (x >= CHINA_LAT[0]) & (x <= CHINA_LAT[1])
        if swapped.all():
            raise CRSError("crs.axes_swapped_geographic", sample=sample, **ctx)
        raise CRSError("crs.outside_china", sample=sample, **ctx)
    info = gk3_info(epsg)
    if info is None:
        if (np.abs(x) <= 360).all() and (np.abs(y) <= 360).all() and crs_from_epsg(epsg).is_projected:
            raise CRSError("crs.degrees_for_metres", sample=sample, **ctx)
        return
    if (np.abs(x) <= 360).all() and (np.abs(y) <= 360).all():
        raise CRSError("crs.degrees_for_metres", sample=sample, **ctx)
    prefix = info.zone * 1_000_000.0 if info.prefixed else 0.0
    e_lo, e_hi = GK_EASTING[0] + prefix, GK_EASTING[1] + prefix
    east_ok = (x >= e_lo) & (x <= e_hi)
    north_ok = (y >= GK_NORTHING[0]) & (y <= GK_NORTHING[1])
    if (east_ok & north_ok).all():
        return
    # Swapped: the first value looks like a northing and the second like an easting.
    if ((y >= e_lo) & (y <= e_hi) & (x >= GK_NORTHING[0]) & (x <= GK_NORTHING[1])).all():
        raise CRSError("crs.axes_swapped_projected", sample=sample, **ctx)
    found_prefix = np.floor(x / 1_000_000.0)
    if info.prefixed:
        if ((x >= GK_EASTING[0]) & (x <= GK_EASTING[1])).all():
            raise CRSError("crs.zone_prefix_missing", zone=info.zone, sample=sample, **ctx)
        zone_found = int(found_prefix[0])
        if zone_found != info.zone and _GK3_FIRST_ZONE <= zone_found <= _GK3_LAST_ZONE:
            raise CRSError("crs.wrong_zone_prefix", zone=info.zone, found=zone_found, sample=sample, **ctx)
    else:
        zone_found = int(found_prefix[0])
        if _GK3_FIRST_ZONE <= zone_found <= _GK3_LAST_ZONE and (found_prefix == zone_found).all():
            raise CRSError(
                "crs.zone_prefix_unexpected",
                found=zone_found,
                suggested=gk3_epsg(zone_found, prefixed=True),
                sample=sample,
                **ctx,
            )
    raise CRSError("crs.outside_zone", lo=e_lo, hi=e_hi, sample=sample, **ctx)


# --- GCJ-02 (the obfuscated coordinates of Chinese web maps) ---------------------------------
_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323


def _in_china(lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    return (lon > 72.004) & (lon < 137.8347) & (lat > 0.8293) & (lat < 55.8271)


def _delta(lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]) -> tuple[Any, Any]:
    x, y = lon - 105.0, lat - 35.0
    dlat = (
        -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    radlat = lat / 180.0 * np.pi
    magic = 1 - _GCJ_EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_GCJ_A * (1 - _GCJ_EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_GCJ_A / sqrtmagic * np.cos(radlat) * np.pi)
    inside = _in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Apply the public GCJ-02 offset to (n, 2) lon/lat coordinates (identity outside China)."""
    c = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
    dlon, dlat = _delta(c[:, 0], c[:, 1])
    return np.column_stack([c[:, 0] + dlon, c[:, 1] + dlat])


def gcj02_to_wgs84(coords: npt.NDArray[np.float64], tolerance_deg: float = 1e-10) -> npt.NDArray[np.float64]:
    """Remove the GCJ-02 offset by fixed-point iteration (converges to ~1e-10° ≈ 0.01 mm).

    >>> import numpy as np
    >>> w = np.array([[121.0, 30.7]])
    >>> bool(np.allclose(gcj02_to_wgs84(wgs84_to_gcj02(w)), w, atol=1e-9))
    True
    """
    g = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
    w = g.copy()
    for _ in range(30):
        err = wgs84_to_gcj02(w) - g
        w = w - err
        if np.abs(err).max(initial=0.0) < tolerance_deg:
            break
    return w


def gcj02_geometries_to_wgs84(geoms: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """GCJ-02 → WGS84 for an array of geometries. WGS84 and CGCS2000 agree within about 1 m here."""
    return shapely.transform(geoms, gcj02_to_wgs84)  # type: ignore[no-any-return]
