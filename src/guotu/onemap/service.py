"""Use cases of the one map: load a county's own data into a layer, export a layer, review a site.

Each use case reads and checks everything first, then writes in one store transaction: a bad record
stops the import with a message naming it, and the store is left as it was.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from guotu.core.errors import InputError
from guotu.core.features import FeatureBatch
from guotu.core.geometry import ERROR, RepairNote, find_problems, repair, require_valid
from guotu.core.policy import DEFAULT_POLICY, GeometryPolicy
from guotu.formats import read_features, split_layer, write_features
from guotu.store.base import Store

if TYPE_CHECKING:  # the review's modules load only when a review runs, not for an import
    from guotu.onemap.compliance import Review

_GEOMETRY_TYPE = {0: "POINT", 1: "LINESTRING", 3: "POLYGON", 4: "MULTIPOINT", 5: "MULTILINESTRING",
                  6: "MULTIPOLYGON"}
_MULTI = {"POINT": "MULTIPOINT", "LINESTRING": "MULTILINESTRING", "POLYGON": "MULTIPOLYGON"}


@dataclass
class ImportResult:
    layer: str
    count: int
    source: str
    source_epsg: int
    encoding: str | None
    edition: str | None
    created: bool
    repairs: list[RepairNote] = field(default_factory=list)
    fids: list[int] = field(default_factory=list)


def prepare(
    batch: FeatureBatch, source: str, *, allow_repair: bool, policy: GeometryPolicy = DEFAULT_POLICY
) -> tuple[FeatureBatch, list[RepairNote]]:
    """Validate a batch under the geometry policy; repair when allowed (always for fixable problems)."""
    problems = find_problems(batch.geometry, batch.ids, policy, batch.flat)
    if not problems:
        return batch, []
    if any(p.severity == ERROR for p in problems) and not allow_repair:
        require_valid(batch, source, policy)  # raises with the first error
    return repair(batch, policy)


def geometry_type_of(batch: FeatureBatch) -> str:
    """The layer geometry type that holds every geometry of the batch (single types promoted)."""
    names = {_GEOMETRY_TYPE.get(int(t), "GEOMETRY") for t in np.unique(shapely.get_type_id(batch.geometry))}
    promoted = {_MULTI.get(n, n) for n in names}
    if len(names) == 1:
        return _MULTI.get(names.pop(), "GEOMETRY") if len(promoted) == 1 else "GEOMETRY"
    return promoted.pop() if len(promoted) == 1 else "GEOMETRY"


def import_file(
    store: Store, path: str | Path, layer: str, *, edition: str | None = None,
    valid_from: dt.date | None = None, valid_to: dt.date | None = None, status: str = "approved",
    document: str = "", crs: int | None = None, encoding: str | None = None, allow_repair: bool = False,
    title: str = "", actor: str = "system", policy: GeometryPolicy = DEFAULT_POLICY, gcj02: bool = False,
) -> ImportResult:
    """Load a file into ``layer``, all or nothing (a new edition when ``edition`` is given)."""
    if edition is not None and valid_from is None:
        raise InputError("import.edition_needs_date", edition=edition)
    read = read_features(path, crs=crs, encoding=encoding, gcj02=gcj02)
    batch, notes = prepare(read.batch, read.source, allow_repair=allow_repair, policy=policy)
    source_epsg = batch.epsg
    # The store moves the batch to CGCS2000 (EPSG:4490) as it writes: the PostGIS store does it chunk
    # by chunk while the server parses the previous chunk of its COPY.
    existing = {info.name: info for info in store.layers()}
    created = layer not in existing
    with store.transaction(actor) as tx:
        if created:
            tx.create_layer(layer, geometry_type_of(batch), batch.fields, title=title,
                            versioned=edition is not None)
        else:
            tx.add_fields(layer, batch.fields)
        if edition is not None:
            assert valid_from is not None
            tx.add_edition(layer, edition, valid_from=valid_from, valid_to=valid_to, status=status,
                           document=document)
        fids = tx.write(layer, batch, edition=edition)
        tx.audit("import", layer, {"source": read.source, "count": len(batch), "epsg": source_epsg,
                                   "encoding": read.encoding, "repaired": [n.record for n in notes]})
    return ImportResult(layer, len(batch), read.source, source_epsg, read.encoding, edition, created, notes, fids)


def export_layer(
    store: Store, layer: str, out: str | Path, *, as_of: dt.date | None = None,
    where: dict[str, Any] | None = None, limit: int | None = None, encoding: str | None = None,
) -> int:
    """Write a layer (features in force on ``as_of`` when given) to any supported file."""
    target = split_layer(str(out))[0]
    if target.exists() and target.resolve() == Path(store.location).resolve():
        # GDAL would write into (or replace) the store's own tables, outside any transaction or audit.
        raise InputError("export.into_store", path=str(target))
    batch = store.read(layer, as_of=as_of, where=where)
    if limit is not None:
        batch = batch.take(list(range(min(limit, len(batch)))))
    if len(batch) == 0:
        raise InputError("export.nothing", layer=layer)
    write_features(batch, out, encoding=encoding)
    return len(batch)


def check_file(
    store: Store, path: str | Path, *, date: dt.date | None = None, crs: int | None = None,
    encoding: str | None = None, policy: GeometryPolicy = DEFAULT_POLICY, gcj02: bool = False,
) -> Review:
    """Compliance review of the site in a file (coordinate txt, GeoJSON, GeoPackage, Shapefile)."""
    from guotu.onemap.compliance import review_site

    read = read_features(path, crs=crs, encoding=encoding, gcj02=gcj02)
    return review_site(store, read.batch, date=date, policy=policy, source=read.source)
