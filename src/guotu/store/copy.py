"""Copying a whole store to another (``guotu copy``): GeoPackage → PostGIS and back.

Everything is written in one transaction of the destination: each layer's schema and title, its
editions with all their fields (in creation order, so superseding replays as it happened), its
features in fid order keeping their fid and edition, then the user accounts (sessions are not copied:
users log in again). Before committing, every layer is read back from the destination and compared
with the source: the feature count, the schema, the editions and a checksum computed identically on
both sides (:func:`batch_checksum`). Any difference raises a StoreError naming the layer, and the
transaction rolls back: the destination holds all of the copy or none of it.

The source's audit trail is not replayed (its events carry their own times and actors); the copy
itself is audited in the destination, one event per write plus a ``copy`` event naming the source
and each layer's count and checksum.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from guotu.core.errors import ConflictError, StoreError
from guotu.core.features import FeatureBatch
from guotu.store.base import Edition, LayerInfo, Store

CHECKSUM_DECIMALS = 9  # 1e-9 degree ≈ 0.1 mm: far below the geometry policy's grid, above float noise


@dataclass(frozen=True)
class LayerCopy:
    name: str
    count: int
    editions: int
    checksum: str


@dataclass(frozen=True)
class CopyReport:
    source: str
    destination: str
    layers: list[LayerCopy] = field(default_factory=list)
    users: int = 0

    @property
    def features(self) -> int:
        return sum(layer.count for layer in self.layers)


def batch_checksum(batch: FeatureBatch, fields: dict[str, str]) -> str:
    """SHA-256 of a layer's content, the same whichever store it was read from.

    One JSON line per feature, in fid order: ``[fid, edition, geometry, [values in field-name order]]``
    where the geometry is ``shapely.normalize`` (canonical ring order and start), coordinates rounded
    to ``CHECKSUM_DECIMALS`` decimals (``np.round``, no topology change), as 2D little-endian ISO WKB in
    hex (null for a missing geometry); each value is normalised by its declared type (TEXT/DATETIME →
    str, INTEGER → int, REAL → float, DATE → ISO date, BOOLEAN → bool, null stays null).

    >>> b = FeatureBatch(np.array([shapely.box(0, 0, 1, 1)]), {"n": ["a"]}, ids=[7])
    >>> batch_checksum(b, {"n": "TEXT"}) == batch_checksum(b, {"n": "TEXT"})
    True
    """
    order = np.argsort(np.asarray(batch.ids or [], dtype=np.int64), kind="stable")
    geoms = shapely.normalize(batch.geometry)
    geoms = shapely.transform(geoms, lambda xy: np.round(xy, CHECKSUM_DECIMALS))
    wkb = shapely.to_wkb(geoms, hex=True, output_dimension=2, byte_order=1, flavor="iso")
    names = sorted(fields)
    editions = batch.editions or [None] * len(batch)
    ids = batch.ids or []
    digest = hashlib.sha256()
    for i in order:
        values = [_normal(batch.attributes[n][i], fields[n]) if n in batch.attributes else None for n in names]
        line = json.dumps([int(ids[i]), editions[i], wkb[i], values], ensure_ascii=False, separators=(",", ":"))
        digest.update(line.encode("utf-8") + b"\n")
    return digest.hexdigest()


def layer_checksum(store: Store, layer: str) -> tuple[int, str]:
    """(feature count, checksum) of every feature of ``layer`` (all editions, drafts included)."""
    info = store.layer(layer)
    batch = store.read(layer)
    return len(batch), batch_checksum(batch, info.fields)


def copy_store(src: Store, dst: Store, actor: str = "guotu copy") -> CopyReport:
    """Copy every layer and user of ``src`` into ``dst`` in one transaction, verified layer by layer."""
    if _same(src.location, dst.location):
        raise StoreError("copy.same_store", location=src.location)
    layers = src.layers()
    present = {info.name.lower() for info in dst.layers()}
    clash = [info.name for info in layers if info.name.lower() in present]
    if clash:
        raise ConflictError("copy.destination_not_empty", location=dst.location, layers=", ".join(clash))
    copied: list[LayerCopy] = []
    users = src.users()
    with dst.transaction(actor) as tx:
        for info in layers:
            batch = src.read(info.name)
            source_sum = batch_checksum(batch, info.fields)
            editions = sorted(src.editions(info.name), key=lambda e: e.id)
            tx.create_layer(info.name, info.geometry_type, info.fields, title=info.title, versioned=info.versioned)
            for e in editions:
                tx.add_edition(info.name, e.name, valid_from=e.valid_from, status=e.status, valid_to=e.valid_to,
                               approved_on=e.approved_on, document=e.document)
            for edition, index in _runs(batch.editions or [None] * len(batch)):
                part = batch.take(index)
                tx.write(info.name, part, edition=edition, fids=[int(f) for f in part.ids or []])
            _verify(src, dst, info.name, len(batch), source_sum, editions)
            copied.append(LayerCopy(info.name, len(batch), len(editions), source_sum))
        for user in users:
            tx.put_user(user)
        tx.audit("copy", None, {"source": src.location, "users": len(users),
                                "layers": {c.name: {"count": c.count, "sha256": c.checksum} for c in copied}})
    return CopyReport(src.location, dst.location, copied, len(users))


def _verify(src: Store, dst: Store, layer: str, count: int, checksum: str, editions: list[Edition]) -> None:
    """Compare what the destination now holds (inside its open transaction) with the source."""
    want, got = _schema_of(src.layer(layer)), _schema_of(dst.layer(layer))
    if want != got:
        raise StoreError("copy.mismatch", layer=layer, what="schema", source=want, destination=got)
    want_eds, got_eds = _editions_of(editions), _editions_of(dst.editions(layer))
    if want_eds != got_eds:
        raise StoreError("copy.mismatch", layer=layer, what="editions", source=want_eds, destination=got_eds)
    got_count, got_sum = layer_checksum(dst, layer)
    if got_count != count:
        raise StoreError("copy.mismatch", layer=layer, what="count", source=count, destination=got_count)
    if got_sum != checksum:
        raise StoreError("copy.mismatch", layer=layer, what="SHA-256", source=checksum, destination=got_sum)


def _schema_of(info: LayerInfo) -> tuple[Any, ...]:
    return (info.geometry_type, info.fields, info.versioned, info.title)


def _editions_of(editions: list[Edition]) -> list[tuple[Any, ...]]:
    return sorted((e.name, e.status, e.valid_from, e.valid_to, e.approved_on, e.document) for e in editions)


def _runs(editions: list[str | None]) -> list[tuple[str | None, list[int]]]:
    """Consecutive features of one edition, so that features are written in fid order."""
    runs: list[tuple[str | None, list[int]]] = []
    for i, name in enumerate(editions):
        if runs and runs[-1][0] == name:
            runs[-1][1].append(i)
        else:
            runs.append((name, [i]))
    return runs


def _same(a: str, b: str) -> bool:
    if "://" in a or "://" in b:
        return a == b
    return Path(a).resolve() == Path(b).resolve()


def _normal(value: Any, kind: str) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    try:
        if kind == "INTEGER":
            return int(value)
        if kind == "REAL":
            return float(value)
        if kind == "BOOLEAN":
            return bool(value)
        if kind == "DATE" and isinstance(value, dt.date):
            return (value.date() if isinstance(value, dt.datetime) else value).isoformat()
    except (TypeError, ValueError):
        pass
    return value.isoformat() if isinstance(value, dt.date) else str(value)
