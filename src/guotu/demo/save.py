"""Writing a demo county to a GeoPackage store, atomically (a temporary file renamed at the end)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from guotu.ledger.model import Record
from guotu.ledger.repository import add_records
from guotu.onemap.service import geometry_type_of
from guotu.store.gpkg import GpkgStore


def write_demo(county: Any, out: str | Path, actor: str = "guotu demo", ledger: Sequence[Record] = ()) -> Path:
    """Write every layer and edition of ``county`` to a new GeoPackage at ``out`` (replacing it), then the
    ``ledger`` records (:func:`guotu.demo.ledger.build_ledger_activity`) through the ledger's own checks.

    Both steps write the temporary file; only when both have succeeded is it renamed to ``out``, so
    ``out`` is never half-written. The ledger is a second transaction because
    :func:`guotu.ledger.repository.add_records` validates against the store and opens its own.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    if tmp.exists():
        tmp.unlink()
    try:
        store = GpkgStore(tmp, create=True)
        with store:
            with store.transaction(actor) as tx:
                for layer in county.layers.values():
                    batch = layer.batch
                    tx.create_layer(
                        layer.name,
                        geometry_type_of(batch),
                        batch.fields,
                        title=layer.title_zh,
                        versioned=bool(layer.editions),
                    )
                    if not layer.editions:
                        tx.write(layer.name, batch)
                    for edition in layer.editions:
                        tx.add_edition(
                            layer.name,
                            edition.name,
                            valid_from=edition.valid_from,
                            valid_to=edition.valid_to,
                            status=edition.status,
                            approved_on=edition.approved_on,
                            document=edition.document,
                        )
                        tx.write(layer.name, batch.take(edition.index), edition=edition.name)
            if ledger:
                add_records(store, ledger, actor)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return out
