"""GeoJSON (RFC 7946) reading and writing, parsed here so every error names its feature.

RFC 7946 GeoJSON is longitude/latitude on WGS84, which we take as CGCS2000 (the two agree within
about 1 m in China). A legacy ``crs`` member naming another EPSG code (e.g. a projected GK zone) is
honoured, and ``--crs`` overrides both.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from guotu.core.crs import CGCS2000, crs_from_epsg, epsg_of
from guotu.core.errors import CRSError, EncodingError, FormatError
from guotu.core.features import FeatureBatch
from guotu.formats.common import ReadResult, check_batch_coordinates, require_nonempty

_POLY = {"Polygon", "MultiPolygon"}
_ALL = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}


def read_geojson(path: str | Path, *, crs: int | None = None, source: str | None = None) -> ReadResult:
    path = Path(path)
    src = source or str(path)
    require_nonempty(path)
    raw = path.read_bytes()
    return parse_geojson(raw, crs=crs, source=src)


def parse_geojson(raw: bytes | str | dict[str, Any], *, crs: int | None = None, source: str = "GeoJSON") -> ReadResult:
    """Parse GeoJSON text (a FeatureCollection, a Feature or a bare geometry) into a batch."""
    if isinstance(raw, dict):
        doc: Any = raw
    else:
        if isinstance(raw, bytes):
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise EncodingError("geojson.not_utf8", source=source, offset=exc.start) from exc
        else:
            text = raw
        if not text.strip():
            raise FormatError("formats.empty_file", path=source)
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FormatError("geojson.bad_json", source=source, line=exc.lineno, column=exc.colno,
                              detail=exc.msg) from exc
    if not isinstance(doc, dict) or "type" not in doc:
        raise FormatError("geojson.not_geojson", source=source)
    kind = doc["type"]
    if kind == "FeatureCollection":
        features = doc.get("features")
        if not isinstance(features, list):
            raise FormatError("geojson.no_features_array", source=source)
    elif kind == "Feature":
        features = [doc]
    elif kind in _ALL:
        features = [{"type": "Feature", "geometry": doc, "properties": {}}]
    else:
        raise FormatError("geojson.unknown_type", source=source, kind=str(kind)[:40])
    if not features:
        raise FormatError("formats.no_features", source=source)
    epsg = crs or _declared_epsg(doc, source) or CGCS2000
    geoms: list[Any] = []
    rows: list[dict[str, Any]] = []
    ids: list[Any] = []
    for n, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise FormatError("geojson.not_feature", source=source, record=n)
        rid = feature.get("id", n)
        geometry = feature.get("geometry")
        if not isinstance(geometry, dict):
            raise FormatError("geojson.no_geometry", source=source, record=rid)
        _check_geometry(geometry, source, rid)
        try:
            geoms.append(shapely.from_geojson(json.dumps(geometry)))
        except Exception as exc:
            raise FormatError("geojson.bad_geometry", source=source, record=rid, detail=str(exc)) from exc
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            raise FormatError("geojson.bad_properties", source=source, record=rid)
        rows.append({k: _scalar(v) for k, v in props.items()})
        ids.append(rid)
    batch = FeatureBatch.from_rows(geoms, rows, epsg)
    batch.ids = ids
    check_batch_coordinates(batch, source)
    return ReadResult(batch, source, "utf-8")


def _scalar(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def _declared_epsg(doc: dict[str, Any], source: str) -> int | None:
    crs = doc.get("crs")
    if not isinstance(crs, dict):
        return None
    name = (crs.get("properties") or {}).get("name", "")
    if not isinstance(name, str) or not name:
        return None
    if name.upper().endswith(("CRS84", "CRS:84")):
        return CGCS2000
    # urn:ogc:def:crs:EPSG::4549 or EPSG:4549
    tail = name.rsplit(":", 1)[-1]
    try:
        code = epsg_of(int(tail)) if tail.isdigit() else epsg_of(name)
        if code is not None:
            crs_from_epsg(code)  # an unknown code fails here, naming the file, not later
    except CRSError as exc:
        raise CRSError("geojson.bad_crs", source=source, crs=name[:80]) from exc
    return CGCS2000 if code == 4326 else code


def _check_geometry(geometry: dict[str, Any], source: str, rid: Any) -> None:
    kind = geometry.get("type")
    if kind not in _ALL:
        raise FormatError("geojson.unsupported_geometry", source=source, record=rid, kind=str(kind)[:40])
    coords = geometry.get("coordinates")
    if coords is None:
        raise FormatError("geojson.no_coordinates", source=source, record=rid)
    if kind in _POLY:
        polygons = [coords] if kind == "Polygon" else coords
        for p, polygon in enumerate(polygons, start=1):
            if not isinstance(polygon, list) or not polygon:
                raise FormatError("geojson.bad_coordinates", source=source, record=rid)
            for r, ring in enumerate(polygon, start=1):
                _check_ring(ring, source, rid, p, r)


def _check_ring(ring: Any, source: str, rid: Any, part: int, number: int) -> None:
    if not isinstance(ring, list) or not all(
        isinstance(pt, list) and len(pt) >= 2 and all(isinstance(v, int | float) for v in pt[:2])
        for pt in ring
    ):
        raise FormatError("geojson.bad_coordinates", source=source, record=rid)
    if len(ring) < 4:
        raise FormatError("geojson.ring_too_short", source=source, record=rid, part=part, ring=number,
                          points=len(ring))
    if ring[0][:2] != ring[-1][:2]:
        raise FormatError("geojson.unclosed_ring", source=source, record=rid, part=part, ring=number,
                          first=ring[0][:2], last=ring[-1][:2])


def write_geojson(batch: FeatureBatch, path: str | Path, *, precision: int = 9) -> None:
    """Write RFC 7946 GeoJSON (lon/lat) with ``precision`` decimals (1e-9° ≈ 0.1 mm)."""
    if batch.epsg != CGCS2000:
        batch = batch.to_epsg(CGCS2000)
    features = []
    # RFC 7946 §3.1.6: exterior rings counterclockwise, holes clockwise.
    geoms = shapely.orient_polygons(np.asarray(batch.geometry, dtype=object), exterior_cw=False)
    geojson = shapely.to_geojson(geoms)
    for i, row in enumerate(batch.rows()):
        geom = json.loads(str(geojson[i]))
        geom = _round(geom, precision)
        props = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
        features.append({"type": "Feature", "id": batch.record_id(i), "properties": props, "geometry": geom})
    doc = {"type": "FeatureCollection", "features": features}
    Path(path).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def _round(geom: dict[str, Any], precision: int) -> dict[str, Any]:
    def rnd(c: Any) -> Any:
        if isinstance(c, list):
            return [rnd(v) for v in c]
        return round(c, precision)

    geom["coordinates"] = rnd(geom["coordinates"])
    return geom


def to_features(
    batch: FeatureBatch, *, precision: int = 9, swap_axes: bool = False, extra: dict[str, list[Any]] | None = None,
) -> list[dict[str, Any]]:
    """The features of ``batch`` as GeoJSON dicts in the batch's own CRS, with ``precision`` decimals.

    ``id`` is the record id (the feature id for a store batch); ``swap_axes`` writes (y, x) pairs, for a
    CRS whose first axis is the latitude or northing (OGC API – Features with ``crs=``); ``extra`` adds
    foreign members per feature (e.g. ``edition``).
    """
    geoms = np.asarray(batch.geometry, dtype=object)
    if not swap_axes:  # RFC 7946 §3.1.6 orientation only makes sense in x/y order
        geoms = shapely.orient_polygons(geoms, exterior_cw=False)
    else:
        geoms = shapely.transform(geoms, lambda c: c[:, ::-1])
    texts = shapely.to_geojson(geoms)
    out: list[dict[str, Any]] = []
    for i, row in enumerate(batch.rows()):
        geom = None if texts[i] is None else _round_any(json.loads(str(texts[i])), precision)
        feature: dict[str, Any] = {"type": "Feature", "id": batch.record_id(i),
                                   "properties": {k: json_value(v) for k, v in row.items()}, "geometry": geom}
        for key, values in (extra or {}).items():
            feature[key] = values[i]
        out.append(feature)
    return out


def json_value(value: Any) -> Any:
    """An attribute value as JSON can hold it (dates as ISO text, NaN as null)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


def _round_any(geom: dict[str, Any], precision: int) -> dict[str, Any]:
    if geom.get("type") == "GeometryCollection":
        geom["geometries"] = [_round_any(g, precision) for g in geom.get("geometries", [])]
        return geom
    return _round(geom, precision)
