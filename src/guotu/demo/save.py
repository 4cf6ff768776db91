"""Writing a demo county to a GeoPackage store, atomically (a temporary file renamed at the end)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from guotu.onemap.service import geometry_type_of
from guotu.store.gpkg import GpkgStore


def write_demo(county: Any, out: str | Path, actor: str = "guotu demo") -> Path:
    """Write every layer and edition of ``county`` to a new GeoPackage at ``out`` (replacing it)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    if tmp.exists():
        tmp.unlink()
    try:
        store = GpkgStore(tmp, create=True)
        with store, store.transaction(actor) as tx:
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
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return out
