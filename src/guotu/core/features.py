"""The in-memory form of a set of features: geometries as an array plus attribute columns.

Everything that moves features around (importers, the store, the demo, the overlay) uses this one
shape, so no module converts between private representations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import shapely

from guotu.core.crs import CGCS2000, transform_geometries

if TYPE_CHECKING:  # numba loads only where geometries are moved in bulk
    from guotu.core.flatgeom import FlatGeometries

# Attribute types a layer may declare (SQLite/GeoPackage affinities).
FIELD_TYPES = ("TEXT", "INTEGER", "REAL", "DATE", "DATETIME", "BOOLEAN")


@dataclass
class FeatureBatch:
    """Features with one geometry column and named attribute columns of equal length.

    ``geometry`` is a numpy object array of shapely geometries in CRS ``epsg``; ``fields`` maps each
    attribute name to its type (one of FIELD_TYPES); ``ids`` holds the source record ids (feature ids
    in the store, or a record label from a file) used in messages and reports.
    """

    geometry: npt.NDArray[Any]
    attributes: dict[str, list[Any]] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)
    epsg: int = CGCS2000
    ids: list[Any] | None = None
    editions: list[str | None] | None = None  # the plan edition of each feature, when read from a store
    # The same geometries as flat arrays, when a reader had them (from the file's WKB) at no cost. The
    # geometry array is then made read-only, so that the two cannot drift apart.
    flat: FlatGeometries | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.geometry = np.asarray(self.geometry, dtype=object)
        n = len(self.geometry)
        if self.flat is not None:
            if len(self.flat) != n:
                raise ValueError(f"{len(self.flat)} flat geometries for {n} geometries")
            self.geometry.flags.writeable = False
        for name, values in self.attributes.items():
            if len(values) != n:
                raise ValueError(f"attribute {name!r} has {len(values)} values for {n} geometries")
            if name not in self.fields:
                self.fields[name] = infer_type(values)
        if self.ids is None:
            self.ids = list(range(1, n + 1))

    def __len__(self) -> int:
        return len(self.geometry)

    def flat_geometries(self) -> FlatGeometries | None:
        """The geometries as flat arrays (None when one has no flat form: a collection, a curve)."""
        if self.flat is not None:
            return self.flat
        from guotu.core.flatgeom import flatten

        return flatten(self.geometry)

    def record_id(self, i: int) -> Any:
        assert self.ids is not None
        return self.ids[i]

    def rows(self) -> Iterator[dict[str, Any]]:
        names = list(self.attributes)
        for i in range(len(self)):
            yield {name: self.attributes[name][i] for name in names}

    def to_epsg(self, epsg: int) -> FeatureBatch:
        """The same features reprojected to ``epsg``."""
        if epsg == self.epsg:
            return self
        return FeatureBatch(
            transform_geometries(self.geometry, self.epsg, epsg),
            dict(self.attributes),
            dict(self.fields),
            epsg,
            list(self.ids or []),
            self.editions,
        )

    def take(self, index: Sequence[int] | npt.NDArray[np.intp]) -> FeatureBatch:
        idx = np.asarray(index, dtype=np.intp)
        ids = self.ids or []
        return FeatureBatch(
            self.geometry[idx],
            {k: [v[i] for i in idx] for k, v in self.attributes.items()},
            dict(self.fields),
            self.epsg,
            [ids[i] for i in idx],
            None if self.editions is None else [self.editions[i] for i in idx],
        )

    def bounds(self) -> tuple[float, float, float, float]:
        b = shapely.total_bounds(self.geometry)
        return (float(b[0]), float(b[1]), float(b[2]), float(b[3]))

    @classmethod
    def from_rows(
        cls, geometry: Sequence[Any], rows: Sequence[Mapping[str, Any]], epsg: int = CGCS2000
    ) -> FeatureBatch:
        names: list[str] = []
        for row in rows:
            for k in row:
                if k not in names:
                    names.append(k)
        attrs = {k: [row.get(k) for row in rows] for k in names}
        return cls(np.asarray(geometry, dtype=object), attrs, {}, epsg)


def infer_type(values: Sequence[Any]) -> str:
    """The narrowest FIELD_TYPES entry holding every non-null value.

    >>> infer_type([1, None, 2]), infer_type([1, 2.5]), infer_type(["a", 1])
    ('INTEGER', 'REAL', 'TEXT')
    """
    kinds = set()
    for t in set(map(type, values)):  # the distinct types, not every value: one pass in C
        if t is type(None):
            continue
        kinds.add(_KIND_OF_TYPE.get(t) or _kind_of(t))
    if not kinds:
        return "TEXT"
    if len(kinds) == 1:
        return kinds.pop()
    if kinds <= {"INTEGER", "REAL"}:
        return "REAL"
    return "TEXT"


_KIND_OF_TYPE = {str: "TEXT", int: "INTEGER", float: "REAL", bool: "BOOLEAN", dt.date: "DATE",
                 dt.datetime: "DATETIME"}


def _kind_of(t: type) -> str:
    if issubclass(t, bool | np.bool_):
        return "BOOLEAN"
    if issubclass(t, int | np.integer):
        return "INTEGER"
    if issubclass(t, float | np.floating):
        return "REAL"
    if issubclass(t, dt.datetime):
        return "DATETIME"
    if issubclass(t, dt.date):
        return "DATE"
    return "TEXT"
