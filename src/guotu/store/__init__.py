"""Persistence behind one small interface (see :mod:`guotu.store.base`)."""

from __future__ import annotations

from pathlib import Path

from guotu.core.errors import StoreError
from guotu.store.base import Edition, LayerInfo, Store, Transaction, editions_in_force

__all__ = ["Edition", "LayerInfo", "Store", "Transaction", "editions_in_force", "open_store"]


def open_store(location: str | Path, *, create: bool = False) -> Store:
    """Open the store at ``location``: a GeoPackage path (the embedded default)."""
    text = str(location)
    if text.startswith(("postgresql://", "postgres://")):
        raise StoreError("store.unsupported_location", location=text)
    from guotu.store.gpkg import GpkgStore

    return GpkgStore(text, create=create)
