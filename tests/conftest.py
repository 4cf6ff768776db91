"""Shared fixtures. Every test that touches storage takes ``store``, parametrised over the backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from guotu.store import Store
from guotu.store.gpkg import GpkgStore

BACKENDS = ["gpkg"]


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A new, empty store of each backend."""
    s = GpkgStore(tmp_path / "store.gpkg", create=True)
    yield s
    s.close()
