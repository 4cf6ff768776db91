"""The ministry's land-approval coordinate exchange file (部标坐标文件, "报部坐标txt").

Used to submit parcels for 建设用地报批, 土地整治 and similar procedures. A file has two sections::

    [属性描述]
    格式版本号=1.01版本
    数据产生单位=平湖市自然资源和规划局
    数据产生日期=2024-06-01
    坐标系=2000国家大地坐标系
    几度分带=3
    投影类型=高斯克吕格
    计量单位=米
    带号=40
    精度=0.0001
    转换参数=,,,,,,
    [地块坐标]
    5,9.0000,1,某某项目,面,H51H001001,工业用地,,@
    J1,1,3398990.0000,40605550.0000
    J2,1,3398990.0000,40605850.0000
    J3,1,3398690.0000,40605850.0000
    J4,1,3398690.0000,40605550.0000
    J1,1,3398990.0000,40605550.0000

Rules implemented (sources: the published "建设项目用地红线坐标文件内容要求", the CASS
"导出电子报盘" export description, and files written by common exporters):

* Each parcel starts with ``界址点数,地块面积(公顷),地块编号,地块名称,图形属性,图幅号,地块用途,地类编码,@``.
  Trailing fields may be missing (padded with ""), extra fields before ``@`` are ignored, an area
  may carry the unit ``公顷``. Only ``面`` (or an empty kind) is accepted.
* Point lines are ``点号,圈号,X,Y`` with X the northing and Y the easting (surveying order). Y may
  carry the zone number as a prefix (40 605 683 m). Point names are free text (``J1`` or ``1``).
* A ring ends when a point repeats the ring's first coordinates; a change of 圈号 before that, or
  the end of the parcel, is an unclosed ring. A ring needs at least 4 points including the closing
  one. The first ring is the outer ring of the first part; every further ring is a hole of the
  part whose outer ring covers it (and not one of that part's holes), else the outer ring of a new
  part: containment decides, not the 圈号 value.
* ``界址点数`` must equal the number of point lines of the parcel. Because many exporters count
  points without the closing repetitions, that count (lines minus one per ring) is accepted too;
  any other value is an error.
* Only CGCS2000 (``2000国家大地坐标系``) is accepted; Xi'an 1980, Beijing 1954 and WGS84 files are
  refused with a request to convert them first. 3° zones (25–45) and 6° zones (13–23) are read:
  the EPSG code follows from 几度分带, 带号 and whether Y carries the zone prefix. 带号 may be empty
  when Y is prefixed. Coordinates then pass :func:`guotu.core.crs.check_coordinates`.
* Encoding: UTF-8 (with or without BOM) is tried first, then GB18030 (a superset of GBK).

Written files use GBK, CRLF line ends, ``J1..Jn`` numbering per parcel and coordinates rounded
half-up on their decimal value to the stated precision (the same rule as
:func:`guotu.core.units.round_half_up`), so reading a written file gives back exactly
``round_half_up(v, decimals)`` for every input coordinate ``v``.

>>> text = (
...     "[属性描述]\\n坐标系=2000国家大地坐标系\\n几度分带=3\\n带号=40\\n[地块坐标]\\n"
...     "5,9.0,1,示例,面,,,,@\\n"
...     "J1,1,3398990,40605550\\nJ2,1,3398990,40605850\\nJ3,1,3398690,40605850\\n"
...     "J4,1,3398690,40605550\\nJ1,1,3398990,40605550\\n"
... )
>>> doc = read_coordtxt(text.encode("gbk"))
>>> doc.epsg, doc.parcels.geometry[0].area
(4528, 90000.0)
"""

from __future__ import annotations

import codecs
import datetime as dt
import math
import os
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import MultiPolygon, Polygon

from guotu.core.crs import (
    CGCS2000,
    GK_NORTHING,
    check_coordinates,
    gk3_epsg,
    gk3_info,
    metric_epsg_for,
)
from guotu.core.errors import CRSError, EncodingError, FormatError, GeometryError
from guotu.core.features import FeatureBatch
from guotu.core.units import M2_PER_HA, round_half_up

__all__ = ["CoordTxt", "read_coordtxt", "round_coordinate", "write_coordtxt"]

SECTION_ATTRIBUTES = "属性描述"
SECTION_COORDINATES = "地块坐标"
DEFAULT_PRECISION = 0.0001

# Attribute columns of the parcel header, in file order after 界址点数 and 地块面积.
_TEXT_COLUMNS = ("parcel_no", "name", "geometry_kind", "sheet_no", "use", "land_class_code")
FIELDS = {
    "point_count": "INTEGER",
    "area_ha": "REAL",
    **dict.fromkeys(_TEXT_COLUMNS, "TEXT"),
}

# 6° zones of CGCS2000: zone n has CM 6n-3; EPSG 4491-4501 with prefix, 4502-4512 without.
_GK6_FIRST_ZONE, _GK6_LAST_ZONE = 13, 23
_GK6_PREFIXED_BASE, _GK6_PLAIN_BASE = 4491, 4502
_GK3_ZONES = range(25, 46)
_GK6_ZONES = range(_GK6_FIRST_ZONE, _GK6_LAST_ZONE + 1)
_GK6_EASTING = (100_000.0, 900_000.0)

_SECTION_RE = re.compile(r"^[\[【［]\s*([^\]】］]*?)\s*[\]】］]$")
_NUMBER_RE = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
_INTEGER_RE = re.compile(r"^\+?\d+$")
_UTF8_BOM = b"\xef\xbb\xbf"
_LINE_SPLIT = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class CoordTxt:
    """A parsed coordinate file.

    ``attributes`` holds the [属性描述] section as written; ``epsg`` the file's projected CRS;
    ``precision`` the coordinate step from 精度 (default 0.0001 m); ``parcels`` one feature per
    parcel in ``epsg`` with columns point_count, area_ha (as declared, None when blank),
    parcel_no, name, geometry_kind, sheet_no, use, land_class_code and ids like ``"1 某某项目"``.
    """

    attributes: dict[str, str]
    epsg: int
    precision: float
    parcels: FeatureBatch
    encoding: str = "gb18030"
    source: str = ""


# --- reading ------------------------------------------------------------------------------------


@dataclass
class _Point:
    name: str
    ring: int
    north: float
    east: float
    line: int


@dataclass
class _Parcel:
    line: int
    ordinal: int
    count_text: str
    area_text: str
    texts: dict[str, str]
    points: list[_Point] = field(default_factory=list)

    @property
    def label(self) -> str:
        text = f"{self.texts['parcel_no']} {self.texts['name']}".strip()
        return text or f"#{self.ordinal}"


@dataclass
class _Ring:
    number: int
    points: list[_Point]


@dataclass
class _Zone:
    epsg: int
    width: int
    zone: int
    prefixed: bool


def read_coordtxt(
    path_or_bytes: str | os.PathLike[str] | bytes,
    *,
    encoding: str | None = None,
    source: str | None = None,
) -> CoordTxt:
    """Read a coordinate file; refuse it with a precise error (file, parcel, line) when it is wrong.

    ``encoding`` None detects UTF-8 (with or without BOM) or GBK/GB18030; an explicit encoding is
    used strictly. ``source`` names the file in messages (default: the path).
    """
    if isinstance(path_or_bytes, bytes | bytearray):
        data = bytes(path_or_bytes)
        label = source or "<bytes>"
    else:
        label = source or str(path_or_bytes)
        data = Path(path_or_bytes).read_bytes()
    text, used = _decode(data, encoding, label)
    lines = _LINE_SPLIT.split(text.rstrip("\x1a"))
    if not any(line.strip(" \t\ufeff\x1a") for line in lines):
        raise FormatError("coordtxt.empty", source=label)
    attributes, attribute_lines, coordinate_lines = _split_sections(lines, label)
    parcels = _parse_parcels(coordinate_lines, label)
    zone = _determine_zone(attributes, attribute_lines, parcels, label)
    precision = _parse_precision(attributes.get("精度", ""))

    geometries: list[Any] = []
    rows: list[dict[str, Any]] = []
    for parcel in parcels:
        rings = _split_rings(parcel, label)
        _check_point_count(parcel, rings, label)
        _check_prefixes(parcel, zone, attributes, parcels[0].points[0], label)
        coords = np.array([[p.east, p.north] for p in parcel.points], dtype=np.float64)
        _check_parcel_coordinates(coords, zone, f"{label}:{parcel.line}", parcel.label)
        geometries.append(_assemble(rings))
        rows.append(
            {
                "point_count": int(parcel.count_text),
                "area_ha": _parse_area(parcel, label),
                **parcel.texts,
            }
        )
    geometry = np.empty(len(geometries), dtype=object)
    geometry[:] = geometries
    batch = FeatureBatch(
        geometry,
        {name: [row[name] for row in rows] for name in FIELDS},
        dict(FIELDS),
        zone.epsg,
        [p.label for p in parcels],
    )
    _require_valid(batch, label, [p.line for p in parcels])
    return CoordTxt(attributes, zone.epsg, precision, batch, used, label)


def _decode(data: bytes, encoding: str | None, source: str) -> tuple[str, str]:
    if encoding is None:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return _strict(data, "utf-16", source, "coordtxt.undecodable"), "utf-16"
        if data.startswith(_UTF8_BOM):
            return _strict(data[3:], "utf-8", source, "coordtxt.undecodable"), "utf-8-sig"
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            return _strict(data, "gb18030", source, "coordtxt.undecodable"), "gb18030"
    try:
        name = codecs.lookup(encoding).name
    except LookupError as exc:
        raise EncodingError("coordtxt.unknown_encoding", source=source, encoding=encoding) from exc
    if name == "utf-8" and data.startswith(_UTF8_BOM):
        data = data[3:]
    try:
        text = data.decode(name)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        for other in ("utf-8", "gb18030"):
            if other != name and _decodes(data, other):
                raise EncodingError(
                    "coordtxt.wrong_encoding_detected",
                    source=source, line=line, encoding=encoding, detected=other,
                ) from exc
        raise EncodingError("coordtxt.wrong_encoding", source=source, line=line, encoding=encoding) from exc
    if SECTION_ATTRIBUTES not in text and SECTION_COORDINATES not in text:
        # A wrong but permissive codec (e.g. GBK for UTF-8 text) decodes without error into garbage.
        for other in ("utf-8", "gb18030"):
            marker = SECTION_ATTRIBUTES.encode(other)
            if other != name and marker in data:
                line = data[: data.index(marker)].count(b"\n") + 1
                raise EncodingError(
                    "coordtxt.encoding_mismatch", source=source, line=line, encoding=encoding, detected=other
                )
    return text, name


def _decodes(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def _strict(data: bytes, codec: str, source: str, key: str, **params: Any) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise EncodingError(key, source=source, line=line, **params) from exc


def _split_sections(
    lines: list[str], source: str
) -> tuple[dict[str, str], dict[str, int], list[tuple[int, str]]]:
    """The [属性描述] key/value pairs (with their line numbers) and the [地块坐标] lines."""
    cleaned = [(n, raw.strip(" \t\ufeff\x1a\u3000")) for n, raw in enumerate(lines, start=1)]
    cleaned = [(n, line) for n, line in cleaned if line]
    seen: dict[str, int] = {}
    for number, line in cleaned:
        match = _SECTION_RE.match(line)
        if match:
            name = match.group(1)
            if name in seen:
                raise FormatError(
                    "coordtxt.duplicate_section", source=source, line=number, section=name, first=seen[name]
                )
            seen[name] = number
    for section in (SECTION_ATTRIBUTES, SECTION_COORDINATES):
        if section not in seen:
            raise FormatError("coordtxt.missing_section", source=source, section=section)

    current: str | None = None
    attributes: dict[str, str] = {}
    attribute_lines: dict[str, int] = {}
    coordinates: list[tuple[int, str]] = []
    for number, line in cleaned:
        match = _SECTION_RE.match(line)
        if match:
            current = match.group(1)
        elif current == SECTION_COORDINATES:
            coordinates.append((number, line))
        elif current in (SECTION_ATTRIBUTES, None):
            # Some exporters put project lines (项目名称=...) before [属性描述]; keep them too.
            key, sep, value = line.partition("=")
            if not sep or not key.strip():
                key_name = "coordtxt.bad_attribute_line" if current else "coordtxt.text_outside_section"
                raise FormatError(key_name, source=source, line=number, text=line[:60])
            attributes[key.strip()] = value.strip()
            attribute_lines[key.strip()] = number
        # Lines of other sections (provincial extensions) are ignored.
    if not coordinates:
        raise FormatError("coordtxt.no_parcels", source=source, line=seen[SECTION_COORDINATES])
    return attributes, attribute_lines, coordinates


def _parse_parcels(lines: list[tuple[int, str]], source: str) -> list[_Parcel]:
    parcels: list[_Parcel] = []
    for number, line in lines:
        if "，" in line:
            raise FormatError("coordtxt.fullwidth_comma", source=source, line=number)
        fields = [f.strip() for f in line.split(",")]
        if fields[-1] == "@":
            values = (fields[:-1] + [""] * 8)[:8]
            texts = dict(zip(_TEXT_COLUMNS, values[2:8], strict=True))
            parcel = _Parcel(number, len(parcels) + 1, values[0], values[1], texts)
            if not _INTEGER_RE.match(parcel.count_text):
                raise FormatError(
                    "coordtxt.bad_integer", source=source, line=number, parcel=parcel.label,
                    field="界址点数", value=parcel.count_text,
                )
            _parse_area(parcel, source)
            if texts["geometry_kind"] not in ("", "面"):
                raise FormatError(
                    "coordtxt.unsupported_kind", source=source, line=number, parcel=parcel.label,
                    kind=texts["geometry_kind"],
                )
            parcels.append(parcel)
            continue
        while len(fields) > 4 and fields[-1] == "":
            fields.pop()
        if len(fields) != 4:
            raise FormatError("coordtxt.bad_line", source=source, line=number, text=line[:60])
        if not parcels:
            raise FormatError("coordtxt.point_before_parcel", source=source, line=number)
        parcel = parcels[-1]
        name, ring_text, x_text, y_text = fields
        ctx = {"source": source, "line": number, "parcel": parcel.label}
        if not name:
            raise FormatError("coordtxt.empty_point_name", **ctx)
        if not _INTEGER_RE.match(ring_text):
            raise FormatError("coordtxt.bad_integer", field="圈号", value=ring_text, **ctx)
        for label, value in (("X", x_text), ("Y", y_text)):
            if not _NUMBER_RE.match(value):
                raise FormatError("coordtxt.bad_number", field=label, value=value, **ctx)
        parcel.points.append(_Point(name, int(ring_text), float(x_text), float(y_text), number))
    for parcel in parcels:
        if not parcel.points:
            raise FormatError(
                "coordtxt.parcel_no_points", source=source, line=parcel.line, parcel=parcel.label
            )
    return parcels


def _parse_area(parcel: _Parcel, source: str) -> float | None:
    text = parcel.area_text
    for unit in ("公顷", "ha", "HA"):
        text = text.removesuffix(unit).strip()
    if not text:
        return None
    if not _NUMBER_RE.match(text):
        raise FormatError(
            "coordtxt.bad_number", source=source, line=parcel.line, parcel=parcel.label,
            field="地块面积", value=parcel.area_text,
        )
    return float(text)


def _parse_precision(text: str) -> float:
    """精度 as a step in metres; an integer 2..8 is read as a number of decimals (精度=3 → 0.001)."""
    if not _NUMBER_RE.match(text.strip()):
        return DEFAULT_PRECISION
    value = float(text)
    if value <= 0:
        return DEFAULT_PRECISION
    if value.is_integer() and 2 <= value <= 8:
        return float(10.0 ** -int(value))
    return value


# --- coordinate reference system --------------------------------------------------------------


def _crs_kind(text: str) -> str:
    t = re.sub(r"[\s\-_]", "", text).upper()
    if not t:
        return "missing"
    if "西安" in t or "XIAN" in t or "1980" in t or t.startswith("80"):
        return "xian80"
    if "北京" in t or "BEIJING" in t or "1954" in t or t.startswith("54"):
        return "beijing54"
    if "WGS" in t or "1984" in t or t.startswith("84"):
        return "wgs84"
    if "2000" in t or "CGCS" in t:
        return "cgcs2000"
    return "unknown"


def _zone_prefix(north: float, east: float) -> int:
    """The zone number carried as a prefix by the easting (or, when swapped, the northing), or 0."""
    for value in (east, north):
        if value >= 1_000_000:
            zone = int(value // 1_000_000)
            if zone in _GK3_ZONES or zone in _GK6_ZONES:
                return zone
    return 0


def _determine_zone(
    attributes: dict[str, str], lines: dict[str, int], parcels: list[_Parcel], source: str
) -> _Zone:
    crs_text = attributes.get("坐标系", "")
    kind = _crs_kind(crs_text)
    crs_line = lines.get("坐标系", 0)
    if kind == "missing":
        raise CRSError("coordtxt.crs_missing", source=source)
    if kind != "cgcs2000":
        raise CRSError(f"coordtxt.crs_{kind}", source=source, line=crs_line, crs=crs_text)
    projection = attributes.get("投影类型", "")
    if projection and not re.search(r"高斯|GAUSS|横轴墨卡托|TRANSVERSE", projection.upper()):
        raise CRSError(
            "coordtxt.projection_unsupported", source=source, line=lines["投影类型"], projection=projection
        )
    unit = attributes.get("计量单位", "")
    if unit and unit.lower() not in ("米", "m", "metre", "meter", "metres", "meters"):
        raise CRSError("coordtxt.unit_unsupported", source=source, line=lines["计量单位"], unit=unit)

    width_key = "几度分带" if "几度分带" in attributes else "分带"
    width_text = attributes.get(width_key, "")
    width: int | None = None
    if width_text:
        normal = width_text.replace("三", "3").replace("六", "6")
        digits = re.sub(r"(度带|度|带|°)$", "", normal).strip()
        if digits not in ("3", "6"):
            raise CRSError(
                "coordtxt.zone_width_unsupported", source=source, line=lines[width_key], value=width_text
            )
        width = int(digits)

    zone_text = attributes.get("带号", "")
    declared: int | None = None
    if zone_text:
        if not _INTEGER_RE.match(zone_text):
            raise CRSError("coordtxt.bad_zone", source=source, line=lines["带号"], value=zone_text)
        declared = int(zone_text)

    first = parcels[0].points[0]
    prefix = _zone_prefix(first.north, first.east)
    if declared is not None and prefix and prefix != declared:
        raise CRSError(
            "coordtxt.zone_mismatch", source=source, line=first.line, parcel=parcels[0].label,
            zone=declared, found=prefix, value=f"{first.east:.4f}",
        )
    zone = declared or prefix
    if not zone:
        raise CRSError("coordtxt.zone_unknown", source=source)
    if width is None:
        width = 6 if zone in _GK6_ZONES else 3
    valid = _GK3_ZONES if width == 3 else _GK6_ZONES
    if zone not in valid:
        raise CRSError(
            "coordtxt.zone_out_of_range", source=source, line=lines.get("带号", first.line),
            width=width, zone=zone,
        )
    prefixed = bool(prefix)
    if width == 3:
        epsg = gk3_epsg(zone, prefixed=prefixed)
    else:
        base = _GK6_PREFIXED_BASE if prefixed else _GK6_PLAIN_BASE
        epsg = base + zone - _GK6_FIRST_ZONE
    return _Zone(epsg, width, zone, prefixed)


def _check_prefixes(
    parcel: _Parcel, zone: _Zone, attributes: dict[str, str], first: _Point, source: str
) -> None:
    """Every point carries the file's zone prefix, or none does."""
    expected = zone.zone if zone.prefixed else 0
    for p in parcel.points:
        found = _zone_prefix(p.north, p.east)
        if found == expected:
            continue
        ctx = {"source": source, "line": p.line, "parcel": parcel.label, "value": f"{p.east:.4f}"}
        if found and attributes.get("带号", ""):
            raise CRSError("coordtxt.zone_mismatch", zone=zone.zone, found=found, **ctx)
        if found and expected:
            raise CRSError(
                "coordtxt.zone_prefix_inconsistent",
                found=found, expected=expected, first_line=first.line, **ctx,
            )
        if found:
            raise CRSError("coordtxt.zone_prefix_unexpected", found=found, first_line=first.line, **ctx)
        raise CRSError("coordtxt.zone_prefix_missing", expected=expected, first_line=first.line, **ctx)


def _check_parcel_coordinates(
    coords: npt.NDArray[np.float64], zone: _Zone, source: str, record: str
) -> None:
    check_coordinates(coords, zone.epsg, source=source, record=record)
    if zone.width == 3:
        return
    # check_coordinates knows the 3° zones only; apply the same range test to 6° zones.
    offset = zone.zone * 1_000_000.0 if zone.prefixed else 0.0
    lo, hi = _GK6_EASTING[0] + offset, _GK6_EASTING[1] + offset
    east, north = coords[:, 0], coords[:, 1]
    inside = (east >= lo) & (east <= hi) & (north >= GK_NORTHING[0]) & (north <= GK_NORTHING[1])
    if inside.all():
        return
    sample = f"({east[0]:.6f}, {north[0]:.6f})"
    ctx = {"source": source, "record": record, "epsg": zone.epsg, "sample": sample}
    swapped = (north >= lo) & (north <= hi) & (east >= GK_NORTHING[0]) & (east <= GK_NORTHING[1])
    if swapped.all():
        raise CRSError("crs.axes_swapped_projected", **ctx)
    raise CRSError("crs.outside_zone", lo=lo, hi=hi, **ctx)


# --- geometry -----------------------------------------------------------------------------------


def _split_rings(parcel: _Parcel, source: str) -> list[_Ring]:
    """Cut the parcel's points into closed rings; refuse unclosed and too-short rings."""
    rings: list[_Ring] = []
    current: _Ring | None = None

    def finish(ring: _Ring, closed: bool) -> None:
        first, last = ring.points[0], ring.points[-1]
        ctx = {"source": source, "parcel": parcel.label, "ring": ring.number}
        if not closed:
            raise GeometryError(
                "coordtxt.ring_unclosed", line=last.line, first_point=first.name, last_point=last.name,
                first=f"{first.north:.4f}, {first.east:.4f}", last=f"{last.north:.4f}, {last.east:.4f}",
                first_line=first.line, **ctx,
            )
        if len(ring.points) < 4:
            raise GeometryError("coordtxt.ring_too_few_points", line=last.line, count=len(ring.points), **ctx)
        rings.append(ring)

    for p in parcel.points:
        if current is not None and p.ring != current.number:
            finish(current, closed=False)
            current = None
        if current is None:
            current = _Ring(p.ring, [p])
            continue
        start = current.points[0]
        current.points.append(p)
        if (p.north, p.east) == (start.north, start.east):
            finish(current, closed=True)
            current = None
        elif p.name == start.name:
            raise GeometryError(
                "coordtxt.ring_closing_mismatch", source=source, line=p.line, parcel=parcel.label,
                ring=current.number, point=p.name, found=f"{p.north:.4f}, {p.east:.4f}",
                first=f"{start.north:.4f}, {start.east:.4f}", first_line=start.line,
            )
    if current is not None:
        finish(current, closed=False)
    return rings


def _check_point_count(parcel: _Parcel, rings: list[_Ring], source: str) -> None:
    declared = int(parcel.count_text)
    actual = len(parcel.points)
    distinct = actual - len(rings)
    if declared not in (actual, distinct):
        raise FormatError(
            "coordtxt.point_count_mismatch", source=source, line=parcel.line, parcel=parcel.label,
            declared=declared, actual=actual, distinct=distinct,
        )


def _assemble(rings: list[_Ring]) -> Any:
    """Polygon or MultiPolygon in (easting, northing): rings inside an earlier outer ring are holes."""
    parts: list[tuple[Any, list[Any], list[list[tuple[float, float]]]]] = []
    for ring in rings:
        coords = [(p.east, p.north) for p in ring.points]
        ring_poly = Polygon(coords)
        vertices = shapely.points(np.asarray(coords[:-1]))
        for shell_poly, hole_polys, holes in parts:
            inside_shell = bool(np.all(shapely.covers(shell_poly, vertices)))
            if inside_shell and not any(np.all(shapely.covers(h, vertices)) for h in hole_polys):
                holes.append(coords)
                hole_polys.append(ring_poly)
                break
        else:
            parts.append((ring_poly, [], []))
    polygons = [Polygon(shell.exterior.coords, holes) for shell, _, holes in parts]
    return polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)


def _require_valid(batch: FeatureBatch, source: str, lines: list[int]) -> None:
    """Self-intersection, spikes and other validity problems: guotu.core.geometry's one check.

    The batch is checked at once; on a failure the parcels are rechecked one by one so that the
    message names the parcel's header line as ``file:line``, like the coordinate checks.
    """
    from guotu.core.geometry import require_valid

    try:
        require_valid(batch, source)
    except GeometryError:
        for i, line in enumerate(lines):
            require_valid(batch.take([i]), f"{source}:{line}")
        raise


# --- writing ------------------------------------------------------------------------------------


def _decimals(precision: float) -> int:
    if precision <= 0 or not math.isfinite(precision):
        raise ValueError(f"precision must be a positive power of ten, not {precision!r}")
    decimals = round(-math.log10(precision))
    if not 0 <= decimals <= 8 or not math.isclose(10.0**-decimals, precision, rel_tol=1e-9):
        raise ValueError(f"precision must be 1, 0.1, … or 1e-8, not {precision!r}")
    return decimals


def _format_coordinate(value: float, decimals: int) -> str:
    quantum = Decimal(1).scaleb(-decimals)
    return str(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))


def round_coordinate(value: float, precision: float = DEFAULT_PRECISION) -> float:
    """The value a written file holds for coordinate ``value``: half-up on its decimal form.

    >>> round_coordinate(40605683.12345), round_coordinate(3398841.00005, 0.001)
    (40605683.1235, 3398841.0)
    """
    return round_half_up(value, _decimals(precision))


def _clean_text(value: Any) -> str:
    """Header text: commas would split the field, so ASCII commas become full-width ones."""
    if value is None:
        return ""
    text = str(value).replace("\r", " ").replace("\n", " ").strip()
    return text.replace(",", "，")


def _target(batch: FeatureBatch, zone_prefix: bool, source: str) -> tuple[npt.NDArray[Any], int, int]:
    """The batch's geometries in the requested 3° zone CRS, that EPSG code and the zone."""
    info = gk3_info(batch.epsg)
    if info is None:
        if batch.epsg != CGCS2000:
            raise CRSError("coordtxt.write_crs_unsupported", source=source, epsg=batch.epsg)
        xmin, _, xmax, _ = batch.bounds()
        plain = metric_epsg_for((xmin + xmax) / 2.0)
        batch = batch.to_epsg(plain)
        info = gk3_info(plain)
        assert info is not None
    geoms = batch.geometry
    if info.prefixed != zone_prefix:
        shift = info.zone * 1_000_000.0 * (1.0 if zone_prefix else -1.0)
        offset = np.array([shift, 0.0])
        geoms = shapely.transform(geoms, lambda c: c + offset)
    return geoms, gk3_epsg(info.zone, prefixed=zone_prefix), info.zone


def write_coordtxt(
    batch: FeatureBatch,
    path: str | os.PathLike[str],
    *,
    attributes: dict[str, str] | None = None,
    zone_prefix: bool = True,
    precision: float = DEFAULT_PRECISION,
    encoding: str = "gbk",
) -> None:
    """Write parcels as a coordinate file.

    ``batch`` is in a CGCS2000 3° GK CRS, or in EPSG:4490 (then projected to the zone of the centre
    longitude). Header columns come from the attributes parcel_no (default: 1, 2, …), name,
    sheet_no, use and land_class_code; 界址点数 counts every point line including the closing
    ones; 地块面积 is the area in hectares of the written (rounded) geometry, 4 decimals half-up.
    ``attributes`` adds or overrides [属性描述] entries, except the CRS entries (坐标系, 几度分带,
    投影类型, 计量单位, 带号, 精度), which always describe the data written. Rings keep their
    vertex order; each part's outer ring is followed by its holes, numbered 1, 2, … as 圈号.
    Nothing is written when an error is raised.
    """
    source = str(path)
    decimals = _decimals(precision)
    if len(batch) == 0:
        raise FormatError("coordtxt.write_no_parcels", source=source)
    geoms, epsg, zone = _target(batch, zone_prefix, source)

    header: dict[str, str] = {
        "格式版本号": "1.01版本",
        "数据产生单位": "",
        "数据产生日期": dt.date.today().isoformat(),
    }
    for key, value in (attributes or {}).items():
        if "=" in key or "\n" in key or "\n" in str(value):
            raise ValueError(f"attribute {key!r} cannot be written on one line as key=value")
        header[key] = str(value)
    header.update(
        {
            "坐标系": "2000国家大地坐标系",
            "几度分带": "3",
            "投影类型": "高斯克吕格",
            "计量单位": "米",
            "带号": str(zone),
            "精度": f"{precision:.{decimals}f}",
        }
    )
    header.setdefault("转换参数", ",,,,,,")
    out = ["[属性描述]", *(f"{k}={v}" for k, v in header.items()), "[地块坐标]"]

    columns = batch.attributes
    for i, geom in enumerate(geoms):
        record = batch.record_id(i)
        ctx = {"source": source, "record": record}
        if geom is None or geom.is_empty:
            raise GeometryError("coordtxt.write_empty_geometry", **ctx)
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise GeometryError("coordtxt.write_not_polygon", geom_type=geom.geom_type, **ctx)
        rings = _rounded_rings(geom, decimals, precision, ctx)
        coords = np.array([[float(e), float(n)] for ring in rings for e, n in ring], dtype=np.float64)
        check_coordinates(coords, epsg, source=source, record=record)
        area_m2 = float(_rings_geometry(rings).area)
        lines: list[str] = []
        number = 0
        for ring_no, ring in enumerate(rings, start=1):
            first_name = f"J{number + 1}"
            for k, (e, n) in enumerate(ring):
                if k == len(ring) - 1:
                    name = first_name
                else:
                    number += 1
                    name = f"J{number}"
                lines.append(f"{name},{ring_no},{n},{e}")

        def column(*names: str, i: int = i) -> Any:
            """The first of ``names`` that the batch has and fills for row ``i``."""
            for name in names:
                values = columns.get(name)
                if values is not None and values[i] not in (None, ""):
                    return values[i]
            return None

        parcel_no = column("parcel_no", "site_no")
        fields_out = [
            str(len(lines)),
            f"{round_half_up(area_m2 / M2_PER_HA, 4):.4f}",
            _clean_text(parcel_no if parcel_no not in (None, "") else i + 1),
            _clean_text(column("name")),
            "面",
            _clean_text(column("sheet_no")),
            _clean_text(column("land_use", "use")),
            _clean_text(column("land_class_code")),
            "@",
        ]
        out.append(",".join(fields_out))
        out.extend(lines)

    text = "\r\n".join(out) + "\r\n"
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError as exc:
        bad = exc.object[max(0, exc.start - 10) : exc.end + 10]
        raise EncodingError("coordtxt.cannot_encode", source=source, encoding=encoding, text=bad) from exc
    except LookupError as exc:
        raise EncodingError("coordtxt.unknown_encoding", source=source, encoding=encoding) from exc
    Path(path).write_bytes(data)


def _rounded_rings(
    geom: Any, decimals: int, precision: float, ctx: dict[str, Any]
) -> list[list[tuple[str, str]]]:
    """Every ring as closed lists of (easting, northing) texts, parts' outer rings before their holes."""
    polygons = [geom] if geom.geom_type == "Polygon" else list(geom.geoms)
    rings: list[list[tuple[str, str]]] = []
    for polygon in polygons:
        if polygon.is_empty:
            continue
        for ring in (polygon.exterior, *polygon.interiors):
            texts: list[tuple[str, str]] = []
            for e, n in np.asarray(ring.coords)[:, :2]:
                point = (_format_coordinate(e, decimals), _format_coordinate(n, decimals))
                if not texts or texts[-1] != point:
                    texts.append(point)
            if texts[0] != texts[-1]:
                texts.append(texts[0])
            # The reader closes a ring at the first return to its start: refuse what it cannot read.
            if len(texts) < 4 or texts[0] in texts[1:-1]:
                raise GeometryError("coordtxt.write_ring_degenerate", precision=precision, **ctx)
            rings.append(texts)
    return rings


def _rings_geometry(rings: list[list[tuple[str, str]]]) -> Any:
    """The geometry a reader builds from these rings (for the declared area)."""
    points = [
        [_Point(f"J{k}", r, float(n), float(e), 0) for k, (e, n) in enumerate(ring)]
        for r, ring in enumerate(rings, start=1)
    ]
    return _assemble([_Ring(r, pts) for r, pts in enumerate(points, start=1)])
