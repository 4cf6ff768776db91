"""Fixtures of the land-flow tests: the hand-built county of ``ledger_county`` in a store of each backend."""

from __future__ import annotations

import pytest

from guotu.ledger.repository import add_records
from guotu.store import Store
from ledger_county import county_records


@pytest.fixture
def county(store: Store) -> Store:
    """The hand-built county (see tests/ledger_county.py) in a new store of each backend."""
    add_records(store, county_records(), actor="test")
    return store
