"""Helpers shared by the store tests (importable: pytest's pythonpath has tests/)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import shapely

from guotu.core.features import FeatureBatch
from guotu.store import Store


def squares(n: int, x0: float = 121.0, y0: float = 30.7, size: float = 0.001) -> np.ndarray:
    xs = x0 + np.arange(n) * size * 1.5
    return shapely.box(xs, y0, xs + size, y0 + size)


def make_layer(store: Store, name: str = "parcels", n: int = 5, versioned: bool = False) -> list[int]:
    with store.transaction("tester") as tx:
        tx.create_layer(name, "MULTIPOLYGON", {"name": "TEXT", "grade": "INTEGER", "since": "DATE"},
                        title="测试图层", versioned=versioned)
        batch = FeatureBatch(squares(n), {"name": [f"地块{i}" for i in range(n)], "grade": list(range(n)),
                                          "since": [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(n)]})
        return tx.write(name, batch)
