"""What every store does around a feature update: the checks before it and the audit record of it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import shapely

from guotu.core.crs import CGCS2000
from guotu.core.errors import InputError, NotFoundError
from guotu.core.features import FeatureBatch
from guotu.store.base import LayerInfo


class _Reads(Protocol):
    def _schema(self, name: str) -> LayerInfo: ...

    def read(self, layer: str, *, fids: Sequence[int] | None = None) -> FeatureBatch: ...


def prepare_update(
    store: _Reads, layer: str, fids: Sequence[int], batch: FeatureBatch
) -> tuple[LayerInfo, FeatureBatch, FeatureBatch]:
    """Check an update of ``fids`` with ``batch``; return the layer, the features before, the new rows in 4490."""
    info = store._schema(layer)
    if len(fids) != len(batch):
        raise InputError("store.update_mismatch", layer=layer, fids=len(fids), rows=len(batch))
    unknown = [k for k in batch.attributes if k not in info.fields]
    if unknown:
        raise InputError("store.unknown_field", layer=layer, field=", ".join(unknown))
    before = store.read(layer, fids=list(fids))
    missing = sorted({int(f) for f in fids} - set(before.ids or []))
    if missing:
        raise NotFoundError("store.unknown_feature", layer=layer, fid=missing[0])
    return info, before, batch.to_epsg(CGCS2000)


def update_detail(before: FeatureBatch, after: FeatureBatch, fids: Sequence[int]) -> dict[str, Any]:
    """The audit detail of an update: each feature's geometry (WKT, 1e-9°) and changed fields, before and after."""
    names = list(after.attributes)
    old = {fid: k for k, fid in enumerate(before.ids or [])}

    def state(batch: FeatureBatch, k: int) -> dict[str, Any]:
        return {"geometry": shapely.to_wkt(batch.geometry[k], rounding_precision=9),
                **{n: batch.attributes[n][k] for n in names}}

    return {"features": [{"fid": int(f), "before": state(before, old[int(f)]), "after": state(after, i)}
                         for i, f in enumerate(fids)],
            "boxes": changed_boxes(before.geometry, after.geometry)}


MAX_BOXES = 256


def changed_boxes(*geometries: npt.NDArray[Any]) -> list[list[float]]:
    """The lon/lat boxes of changed features (old and new geometry), for the audit detail of a feature
    write: one box per geometry, or their union when there are more than ``MAX_BOXES``. Tile caches
    evict the tiles these boxes meet (``guotu.onemap.tiles``)."""
    return boxes_of(np.concatenate([shapely.bounds(np.asarray(g, dtype=object)).reshape(-1, 4) for g in geometries]))


def boxes_of(bounds: npt.NDArray[np.float64]) -> list[list[float]]:
    """:func:`changed_boxes` from the geometries' (minx, miny, maxx, maxy) rows (NaN rows skipped)."""
    b = bounds[~np.isnan(bounds).any(axis=1)]
    if len(b) > MAX_BOXES:
        b = np.array([[b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()]])
    return [[float(v) for v in row] for row in b]
