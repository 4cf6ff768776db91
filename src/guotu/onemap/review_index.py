"""The warm review index: a server's copy of each reviewed layer, in the metric zone, with an STRtree.

A one-shot review (``guotu check``) reads each layer by the site's bounding box, parses the WKB and
moves it to the metric zone. A server reviewing many sites does that work once instead: for each
(layer, revision, editions in force) it keeps the features in force in EPSG:4549 (the policy's
metric zone), their CGCS2000 bounds and an STRtree, and a review takes its candidates from there.

The key holds the layer's revision (:meth:`Store.revision`, the id of its latest audit event; every
write, edition change or drop of a layer appends one), so the first review after an edit rebuilds
the index and sees the edit. Indexes of older revisions of a layer are dropped when a newer one is
built. Reviews are opt-in per store (:func:`enable_warm_reviews`): a one-shot CLI review would pay
the whole layer's read for one site.
"""

from __future__ import annotations

import datetime as dt
import sys
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import shapely

from guotu.core.crs import CGCS2000
from guotu.core.errors import NotFoundError
from guotu.core.features import FeatureBatch
from guotu.core.policy import GeometryPolicy
from guotu.store.base import BBox, Edition, Store

if TYPE_CHECKING:
    from guotu.onemap.compliance import ReviewLayer

IndexKey = tuple[str, int, tuple[int, ...], int, float]


@dataclass
class LayerIndex:
    """The features of one layer in force for a set of editions: metric geometry, CGCS2000 bounds, STRtree.

    ``lock`` serialises the reviews that use these geometries: :meth:`disjoint` fills its per-feature
    flags lazily, and a GEOS geometry must not be prepared by two threads at once.
    """

    batch: FeatureBatch  # in the metric zone, in fid order, only the attributes the review groups by
    bounds: npt.NDArray[np.float64]  # (n, 4) CGCS2000 envelope of each feature
    tree: shapely.STRtree  # over the metric geometries
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Per feature: whether it has been checked against its neighbours, and found to share no interior
    # with any of them (then the pieces of such features are disjoint: their union's area is their sum).
    checked: npt.NDArray[np.bool_] = field(init=False)
    clean: npt.NDArray[np.bool_] = field(init=False)

    def __post_init__(self) -> None:
        self.checked = np.zeros(len(self.batch), dtype=bool)
        self.clean = np.zeros(len(self.batch), dtype=bool)

    def candidates(self, site_m: npt.NDArray[Any], bbox: BBox) -> tuple[FeatureBatch, npt.NDArray[np.intp]]:
        """The features a bounding-box read of ``bbox`` (CGCS2000) would return, in fid order, and
        their positions in the index.

        The STRtree (metric) narrows to the features near the site; the CGCS2000 envelopes then keep
        exactly those a store's ``read(bbox=…)`` selects.
        """
        x0, y0, x1, y1 = shapely.total_bounds(site_m)
        near = self.tree.query(shapely.box(x0 - 1.0, y0 - 1.0, x1 + 1.0, y1 + 1.0))
        b = self.bounds[near]
        hit = (b[:, 0] <= bbox[2]) & (b[:, 2] >= bbox[0]) & (b[:, 1] <= bbox[3]) & (b[:, 3] >= bbox[1])
        rows = np.sort(near[hit])
        return self.batch.take(rows), rows

    def disjoint(self, rows: npt.NDArray[np.intp]) -> npt.NDArray[np.bool_]:
        """For each of ``rows``: whether the feature's interior meets no other feature's (checked once
        per feature and index, against the features whose envelopes touch it). Hold ``lock``."""
        todo = rows[~self.checked[rows]]
        if len(todo):
            geoms = self.batch.geometry
            own, other = self.tree.query(geoms[todo])
            pair = todo[own] != other
            a, b = todo[own[pair]], other[pair]
            shared = np.asarray(shapely.relate_pattern(geoms[a], geoms[b], "T********"), dtype=bool)
            dirty = np.zeros(len(geoms), dtype=bool)
            dirty[a[shared]] = True
            self.clean[todo] = ~dirty[todo]
            self.checked[todo] = True
        return self.clean[rows]

    def nbytes(self) -> int:
        """Approximate memory held: coordinates, geometry objects, bounds, tree, attribute references."""
        # Measured on the benchmark county: ~24 bytes per vertex and ~700 per feature (GEOS polygon,
        # ring and sequence headers, the Python object, envelope, tree node, id and references).
        coords = int(shapely.get_num_coordinates(self.batch.geometry).sum())
        return coords * 24 + len(self.batch) * (700 + 8 * len(self.batch.attributes))


class ReviewIndexes:
    """The layer indexes of one store, keyed by (layer, revision, editions in force, policy zone)."""

    def __init__(self, store: Store, entries: int = 16) -> None:
        self.store = store
        self.entries = max(1, entries)
        self.builds = 0
        self._indexes: OrderedDict[IndexKey, LayerIndex] = OrderedDict()
        self._editions: dict[tuple[str, int], list[Edition] | None] = {}
        self._lock = threading.Lock()

    def editions(self, layer: str, revision: int) -> list[Edition] | None:
        """The editions of ``layer`` at ``revision`` (cached), or None when the layer does not exist."""
        key = (layer, revision)
        if key not in self._editions:
            try:
                found: list[Edition] | None = self.store.editions(layer)
            except NotFoundError:
                found = None
            with self._lock:
                for old in [k for k in self._editions if k[0] == layer and k[1] < revision]:
                    del self._editions[old]
                self._editions[key] = found
        return self._editions[key]

    def layer(self, spec: ReviewLayer, revision: int, in_force: list[Edition], day: dt.date,
              policy: GeometryPolicy) -> LayerIndex:
        """The index of ``spec``'s layer at ``revision`` for the editions ``in_force`` (built when missing)."""
        key = (spec.name, revision, tuple(sorted(e.id for e in in_force)), policy.metric_epsg,
               policy.grid_m)
        with self._lock:
            found = self._indexes.get(key)
            if found is not None:
                self._indexes.move_to_end(key)
                return found
            # One build at a time per store: a burst of first reviews builds each index once.
            index = self._build(spec, day, policy)
            for old in [k for k in self._indexes if k[0] == spec.name and k[1] < revision]:
                del self._indexes[old]
            self._indexes[key] = index
            while len(self._indexes) > self.entries:
                self._indexes.popitem(last=False)
            self.builds += 1
            return index

    def _build(self, spec: ReviewLayer, day: dt.date, policy: GeometryPolicy) -> LayerIndex:
        batch = self.store.read(spec.name, as_of=day)
        keep = [n for n in (spec.group_field, spec.label_field, "land_class_edition") if n and n in batch.attributes]
        bounds = shapely.bounds(batch.to_epsg(CGCS2000).geometry).reshape(-1, 4)
        metric = batch.to_epsg(policy.metric_epsg)
        # Group keys and labels repeat: one string object per distinct value, not one per feature.
        attrs = {n: [sys.intern(v) if isinstance(v, str) else v for v in metric.attributes[n]] for n in keep}
        slim = FeatureBatch(metric.geometry, attrs, {n: metric.fields[n] for n in keep}, metric.epsg, metric.ids)
        return LayerIndex(slim, np.asarray(bounds, dtype=np.float64), shapely.STRtree(slim.geometry))

    def memory(self) -> int:
        """Approximate bytes held by every index."""
        with self._lock:
            return sum(ix.nbytes() for ix in self._indexes.values())

    def clear(self) -> None:
        with self._lock:
            self._indexes.clear()
            self._editions.clear()


_WARM: weakref.WeakKeyDictionary[Any, ReviewIndexes] = weakref.WeakKeyDictionary()
_WARM_LOCK = threading.Lock()


def enable_warm_reviews(store: Store, entries: int = 16) -> ReviewIndexes:
    """Let every later review on ``store`` use (and keep) layer indexes: what a server does."""
    with _WARM_LOCK:
        indexes = _WARM.get(store)
        if indexes is None:
            indexes = _WARM[store] = ReviewIndexes(store, entries)
        return indexes


def warm_indexes(store: Store) -> ReviewIndexes | None:
    """The indexes of ``store`` when warm reviews are enabled on it."""
    return _WARM.get(store)


def disable_warm_reviews(store: Store) -> None:
    with _WARM_LOCK:
        _WARM.pop(store, None)
