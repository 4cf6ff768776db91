"""Persistence behind one small interface (see :mod:`guotu.store.base`)."""

from __future__ import annotations

from pathlib import Path

from guotu.store.base import Edition, LayerInfo, Store, Transaction, editions_in_force

__all__ = ["Edition", "LayerInfo", "Store", "Transaction", "editions_in_force", "is_postgres_url", "open_store"]


def is_postgres_url(location: str | Path) -> bool:
    """True for ``postgresql://`` and ``postgres://`` URLs (a PostGIS store), False for a file path."""
    return str(location).startswith(("postgresql://", "postgres://"))


def open_store(location: str | Path, *, create: bool = False) -> Store:
    """Open the store at ``location``: a PostgreSQL URL (``postgresql://USER@HOST:PORT/DB?schema=NAME``,
    schema ``guotu`` by default) opens a :class:`~guotu.store.postgis.PostgisStore`; anything else is a
    GeoPackage path (the embedded default). A missing file or schema is created only when ``create``."""
    text = str(location)
    if is_postgres_url(text):
        from guotu.store.postgis import DEFAULT_SCHEMA, PostgisStore, split_schema

        url, schema = split_schema(text)
        return PostgisStore(url, schema=schema or DEFAULT_SCHEMA, create=create)
    from guotu.store.gpkg import GpkgStore

    return GpkgStore(text, create=create)
