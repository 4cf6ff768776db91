"""Editing features and editions of a layer: checked first, then written in one audited transaction.

Features arrive as GeoJSON (a Feature or a FeatureCollection, lon/lat unless a legacy ``crs`` member
says otherwise). Before anything is written: the coordinates must be plausible for their CRS, every
geometry must be valid under the geometry policy and of the layer's type, and every property must be
a field of the layer with a value of its type. Features of a superseded edition are history and are
not edited in place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely

from guotu.core.errors import ConflictError, FormatError, GeometryError, InputError, NotFoundError, RecordError
from guotu.core.features import FeatureBatch
from guotu.core.geometry import require_valid
from guotu.core.policy import DEFAULT_POLICY, GeometryPolicy
from guotu.formats.geojson import parse_geojson
from guotu.onemap.query import check_fid
from guotu.store.base import EDITION_COLUMN, Edition, LayerInfo, Store

_FAMILY = {"POINT": (0, 4), "MULTIPOINT": (0, 4), "LINESTRING": (1, 5), "MULTILINESTRING": (1, 5),
           "POLYGON": (3, 6), "MULTIPOLYGON": (3, 6)}
_IGNORED = {"fid", EDITION_COLUMN}


def features_from_geojson(
    info: LayerInfo, doc: Any, *, policy: GeometryPolicy = DEFAULT_POLICY, single: bool = False,
) -> FeatureBatch:
    """A checked batch for ``info`` from a GeoJSON document (in its own CRS; the store reprojects)."""
    if single and isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        raise InputError("edit.one_feature", layer=info.name)
    source = info.name
    if not isinstance(doc, dict):
        raise FormatError("geojson.not_geojson", source=source)
    read = parse_geojson(doc, source=source)
    batch = read.batch
    _check_types(info, batch)
    require_valid(batch, source, policy)
    attrs: dict[str, list[Any]] = {}
    for name, values in batch.attributes.items():
        if name in _IGNORED:
            continue
        kind = info.fields.get(name)
        if kind is None:
            raise RecordError("edit.unknown_field", layer=info.name, field=name, record=_first_set(batch, name),
                              fields=", ".join(info.fields) or "—")
        attrs[name] = [_coerce(v, kind, info.name, name, batch.record_id(i)) for i, v in enumerate(values)]
    return FeatureBatch(batch.geometry, attrs, {k: info.fields[k] for k in attrs}, batch.epsg, list(batch.ids or []))


def _first_set(batch: FeatureBatch, name: str) -> Any:
    for i, v in enumerate(batch.attributes[name]):
        if v is not None:
            return batch.record_id(i)
    return batch.record_id(0)


def _check_types(info: LayerInfo, batch: FeatureBatch) -> None:
    family = _FAMILY.get(info.geometry_type)
    if family is None:
        return
    types = shapely.get_type_id(batch.geometry)
    bad = np.flatnonzero(~np.isin(types, family) & (types >= 0))
    if bad.size:
        i = int(bad[0])
        raise GeometryError("edit.wrong_geometry_type", layer=info.name, record=batch.record_id(i),
                            expected=info.geometry_type, actual=shapely.get_type_id(batch.geometry[i]))


def _coerce(value: Any, kind: str, layer: str, field: str, record: Any) -> Any:
    """A property value as the field's type, or RecordError naming the feature and field."""
    if value is None:
        return None
    ok = True
    out: Any = value
    if kind == "INTEGER":
        ok = isinstance(value, int) and not isinstance(value, bool)
        if isinstance(value, float) and value.is_integer():
            ok, out = True, int(value)
    elif kind == "REAL":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        out = float(value) if ok else value
    elif kind == "BOOLEAN":
        ok = isinstance(value, bool)
    elif kind == "TEXT":
        ok = isinstance(value, str | int | float) and not isinstance(value, bool)
        out = value if isinstance(value, str) else str(value)
    elif kind in ("DATE", "DATETIME"):
        try:
            out = dt.date.fromisoformat(value) if kind == "DATE" else dt.datetime.fromisoformat(value)
        except (TypeError, ValueError):
            ok = False
    if not ok:
        raise RecordError("edit.bad_value", layer=layer, field=field, record=record, kind=kind,
                          value=str(value)[:40])
    return out


def _edition(store: Store, layer: str, name: str | None) -> Edition | None:
    if name is None:
        return None
    for e in store.editions(layer):
        if e.name == name:
            return e
    raise NotFoundError("store.unknown_edition", layer=layer, edition=name)


def _writable(layer: str, edition: Edition | None) -> None:
    if edition is not None and edition.status == "superseded":
        raise ConflictError("edit.edition_superseded", layer=layer, edition=edition.name)


def add_features(
    store: Store, layer: str, doc: Any, *, edition: str | None = None, actor: str,
    policy: GeometryPolicy = DEFAULT_POLICY,
) -> list[int]:
    """Add the features of a GeoJSON document to ``layer`` (to ``edition`` of a versioned layer)."""
    info = store.layer(layer)
    if edition is None and info.versioned:
        raise InputError("edit.edition_required", layer=layer,
                         editions=", ".join(e.name for e in store.editions(layer)) or "—")
    _writable(layer, _edition(store, layer, edition))
    batch = features_from_geojson(info, doc, policy=policy)
    with store.transaction(actor) as tx:
        return tx.write(layer, batch, edition=edition)


def update_feature(
    store: Store, layer: str, fid: int, doc: Any, *, actor: str, policy: GeometryPolicy = DEFAULT_POLICY,
) -> None:
    """Replace the geometry of feature ``fid`` and the properties given (others keep their values)."""
    info = store.layer(layer)
    current = store.read(layer, fids=[check_fid(layer, fid)])
    if len(current) == 0:
        raise NotFoundError("store.unknown_feature", layer=layer, fid=fid)
    _writable(layer, _edition(store, layer, (current.editions or [None])[0]))
    batch = features_from_geojson(info, doc, policy=policy, single=True)
    batch.ids = [fid]
    with store.transaction(actor) as tx:
        tx.update(layer, [fid], batch)


def delete_features(store: Store, layer: str, fids: Sequence[int], *, actor: str) -> int:
    """Delete features by id; all must exist (NotFoundError names the first missing one)."""
    store.layer(layer)
    current = store.read(layer, fids=[check_fid(layer, f) for f in fids])
    missing = sorted(set(fids) - set(current.ids or []))
    if missing:
        raise NotFoundError("store.unknown_feature", layer=layer, fid=missing[0])
    for name in set(current.editions or []):
        _writable(layer, _edition(store, layer, name))
    with store.transaction(actor) as tx:
        return tx.delete(layer, list(fids))


def add_edition(
    store: Store, layer: str, name: str, *, valid_from: dt.date, status: str = "draft",
    valid_to: dt.date | None = None, approved_on: dt.date | None = None, document: str = "", actor: str,
) -> Edition:
    """A new edition of ``layer`` (a newer approved edition closes the open one, as in the store)."""
    if not name.strip():
        raise InputError("edit.edition_name")
    store.layer(layer)
    with store.transaction(actor) as tx:
        return tx.add_edition(layer, name.strip(), valid_from=valid_from, status=status, valid_to=valid_to,
                              approved_on=approved_on, document=document)

