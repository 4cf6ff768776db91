"""Read use cases of the one map: pages of features, one feature, identify at a point, measure.

Parameters arrive as text from the web layer or the CLI and are checked here, so a bad bounding box
or date gets a precise message wherever it comes from. Every area and length is computed in the
county's metric zone (never in degrees or Web Mercator).
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from guotu.core.crs import CGCS2000, GEOGRAPHIC, crs_from_epsg, transform_geometries
from guotu.core.errors import GeometryError, InputError, NotFoundError
from guotu.core.features import FeatureBatch
from guotu.core.geometry import require_valid, to_metric
from guotu.core.policy import DEFAULT_POLICY, GeometryPolicy
from guotu.core.units import report_m2, report_mu, round_half_up
from guotu.store.base import BBox, LayerInfo, Store

MAX_LIMIT = 10_000


def parse_date(text: str | None, param: str = "as_of") -> dt.date | None:
    """``YYYY-MM-DD`` (or an RFC 3339 date-time, whose date is taken); None for empty.

    >>> parse_date("2024-06-28"), parse_date("2024-06-28T10:00:00Z")
    (datetime.date(2024, 6, 28), datetime.date(2024, 6, 28))
    """
    if text is None or not text.strip():
        return None
    value = text.strip()
    try:
        if len(value) > 10:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date()
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise InputError("query.bad_date", param=param, value=value[:40]) from exc


def parse_datetime(text: str | None) -> dt.date | None:
    """The OGC ``datetime`` parameter: an instant (date or date-time); intervals are refused."""
    if text is not None and "/" in text:
        raise InputError("query.datetime_interval", value=text[:60])
    return parse_date(text, "datetime")


def as_of_day(as_of: dt.date | None) -> dt.date:
    """The day a read is "as of": the given one, or today."""
    return as_of or dt.date.today()


def parse_bbox(text: str, param: str = "bbox") -> BBox:
    """``minx,miny,maxx,maxy`` (a 6-number 3-D box keeps its x and y), with a clear message when wrong.

    >>> parse_bbox("121,30.5,121.2,30.7")
    (121.0, 30.5, 121.2, 30.7)
    """
    parts = [p.strip() for p in text.split(",")]
    try:
        values = [float(p) for p in parts]
    except ValueError as exc:
        raise InputError("query.bad_bbox", param=param, value=text[:80]) from exc
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise InputError("query.bad_bbox", param=param, value=text[:80])
    x0, y0, x1, y1 = values
    if x0 > x1 or y0 > y1:
        raise InputError("query.bbox_swapped", param=param, value=text[:80])
    return (x0, y0, x1, y1)


def bbox_to_storage(bbox: BBox, epsg: int, *, swap_axes: bool = False) -> BBox:
    """A box given in ``epsg`` (in (y, x) order when ``swap_axes``) as a lon/lat box in CGCS2000."""
    x0, y0, x1, y1 = bbox
    if swap_axes:
        x0, y0, x1, y1 = y0, x0, y1, x1
    if epsg in GEOGRAPHIC:
        return (x0, y0, x1, y1)
    box = shapely.segmentize(shapely.box(x0, y0, x1, y1), max(x1 - x0, y1 - y0) / 16 or 1.0)
    out = transform_geometries(np.array([box], dtype=object), epsg, CGCS2000)[0]
    b = shapely.bounds(out)
    if not np.isfinite(b).all():
        raise InputError("query.bbox_outside_crs", epsg=epsg)
    return (float(b[0]), float(b[1]), float(b[2]), float(b[3]))


def axis_swapped(epsg: int) -> bool:
    """True when the CRS's first axis is the latitude or the northing (EPSG:4490 and 4549 are)."""
    axes = crs_from_epsg(epsg).axis_info
    return bool(axes) and axes[0].direction.lower() == "north"


def parse_filters(info: LayerInfo, params: Mapping[str, str]) -> dict[str, Any]:
    """``FIELD=VALUE`` filters on the layer's fields, each value converted to the field's type."""
    out: dict[str, Any] = {}
    for name, text in params.items():
        kind = info.fields.get(name)
        if kind is None:
            raise InputError("store.unknown_field", layer=info.name, field=name)
        out[name] = _typed(text, kind, name)
    return out


def _typed(text: str, kind: str, field: str) -> Any:
    try:
        if kind == "INTEGER":
            return int(text)
        if kind == "REAL":
            return float(text)
        if kind == "BOOLEAN":
            lowered = text.lower()
            if lowered not in ("true", "false", "1", "0"):
                raise ValueError(text)
            return lowered in ("true", "1")
        if kind == "DATE":
            return dt.date.fromisoformat(text).isoformat()
    except ValueError as exc:
        raise InputError("query.bad_filter_value", field=field, value=text[:40], kind=kind) from exc
    return text


@dataclass
class Page:
    """One page of a layer's matching features, with the total number matched."""

    batch: FeatureBatch
    matched: int
    offset: int
    limit: int
    as_of: dt.date

    @property
    def returned(self) -> int:
        return len(self.batch)

    @property
    def has_next(self) -> bool:
        return self.offset + self.returned < self.matched


class ReadCache:
    """The last few full reads of a layer, keyed by its revision, so paging does not re-read the layer.
    Reads of more than ``max_features`` features are not kept (memory)."""

    def __init__(self, entries: int = 8, max_features: int = 200_000) -> None:
        self.entries = entries
        self.max_features = max_features
        self._items: OrderedDict[tuple[Any, ...], FeatureBatch] = OrderedDict()
        self._lock = threading.Lock()

    def read(self, store: Store, layer: str, bbox: BBox | None, as_of: dt.date,
             where: Mapping[str, Any] | None) -> FeatureBatch:
        key = (layer, store.revision(layer), bbox, as_of, tuple(sorted((where or {}).items())))
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
        batch = _read(store, layer, bbox, as_of, where)
        if len(batch) > self.max_features:
            return batch
        with self._lock:
            self._items[key] = batch
            while len(self._items) > self.entries:
                self._items.popitem(last=False)
        return batch


def _read(store: Store, layer: str, bbox: BBox | None, as_of: dt.date,
          where: Mapping[str, Any] | None) -> FeatureBatch:
    batch = store.read(layer, bbox=bbox, as_of=as_of, where=where)
    if bbox is not None and len(batch):
        # The store filters by envelope; keep only the features whose geometry meets the box.
        hit = shapely.intersects(batch.geometry, shapely.box(*bbox))
        if not hit.all():
            batch = batch.take(np.flatnonzero(hit))
    return batch


def features_page(
    store: Store, layer: str, *, bbox: BBox | None = None, as_of: dt.date | None = None,
    where: Mapping[str, Any] | None = None, limit: int = 100, offset: int = 0, cache: ReadCache | None = None,
    max_limit: int = MAX_LIMIT,
) -> Page:
    """Features of ``layer`` in force on ``as_of`` (default today) meeting ``bbox`` (lon/lat) and ``where``."""
    if not 1 <= limit <= max_limit:
        raise InputError("query.bad_limit", value=limit, maximum=max_limit)
    if offset < 0:
        raise InputError("query.bad_offset", value=offset)
    day = as_of_day(as_of)
    store.layer(layer)  # NotFoundError for an unknown layer
    batch = cache.read(store, layer, bbox, day, where) if cache else _read(store, layer, bbox, day, where)
    stop = min(offset + limit, len(batch))
    page = batch.take(np.arange(offset, stop)) if offset < len(batch) else batch.take(np.arange(0))
    return Page(page, len(batch), offset, limit, day)


MAX_FID = 2**63 - 1


def check_fid(layer: str, fid: int) -> int:
    """A feature id a store can hold (64-bit, positive); NotFoundError otherwise."""
    if not 0 < fid <= MAX_FID:
        raise NotFoundError("store.unknown_feature", layer=layer, fid=str(fid)[:24])
    return fid


def get_feature(store: Store, layer: str, fid: int) -> FeatureBatch:
    """One feature by its id (whatever edition it belongs to)."""
    batch = store.read(layer, fids=[check_fid(layer, fid)])
    if len(batch) == 0:
        raise NotFoundError("store.unknown_feature", layer=layer, fid=fid)
    return batch


@dataclass
class LayerHits:
    layer: LayerInfo
    batch: FeatureBatch


def identify(
    store: Store, lon: float, lat: float, *, as_of: dt.date | None = None, layers: Sequence[str] | None = None,
    tolerance_m: float = 1.0, policy: GeometryPolicy = DEFAULT_POLICY, limit: int = 50,
) -> list[LayerHits]:
    """The features of each layer within ``tolerance_m`` of a lon/lat point (inside it, for areas)."""
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise InputError("query.bad_point", lon=lon, lat=lat)
    if not 0 <= tolerance_m <= 1000:
        raise InputError("query.bad_tolerance", value=tolerance_m)
    day = as_of_day(as_of)
    infos = store.layers() if not layers else [store.layer(name) for name in layers]
    point = np.array([shapely.Point(lon, lat)], dtype=object)
    point_m = to_metric(point, CGCS2000, policy)[0]
    pad = tolerance_m / 90_000.0 + 1e-9  # degrees; generous at any latitude of China
    bbox = (lon - pad, lat - pad, lon + pad, lat + pad)
    out: list[LayerHits] = []
    for info in infos:
        batch = store.read(info.name, bbox=bbox, as_of=day)
        if len(batch):
            dist = shapely.distance(to_metric(batch.geometry, batch.epsg, policy), point_m)
            hit = np.flatnonzero(dist <= tolerance_m)[:limit]
            batch = batch.take(hit)
        out.append(LayerHits(info, batch))
    return out


@dataclass(frozen=True)
class Measurement:
    area_m2: float
    area_mu: float
    length_m: float
    metric_epsg: int

    def as_dict(self) -> dict[str, Any]:
        return {"area_m2": self.area_m2, "area_mu": self.area_mu, "length_m": self.length_m,
                "metric_epsg": self.metric_epsg}


def measure(doc: Any, *, policy: GeometryPolicy = DEFAULT_POLICY, source: str = "geometry") -> Measurement:
    """Area (m² and mu) and length (the perimeter of an area) of a GeoJSON geometry or feature,
    computed in the county's metric zone; an invalid polygon is refused, naming the problem."""
    from guotu.formats.geojson import parse_geojson

    if not isinstance(doc, dict):
        raise InputError("query.measure_needs_geometry")
    batch = parse_geojson(doc, source=source).batch
    require_valid(batch, source, policy)
    metric = to_metric(batch.geometry, batch.epsg, policy)
    union = shapely.union_all(metric) if len(metric) > 1 else metric[0]
    if union is None or shapely.is_empty(union):
        raise GeometryError("query.empty_geometry", source=source)
    area = float(shapely.area(union))
    length = float(shapely.length(union))
    return Measurement(report_m2(area), report_mu(area), round_half_up(length, 2), policy.metric_epsg)
