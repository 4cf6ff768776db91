"""Grouped overlay: the overlap area of every (left group, right group), the kernel of every engine.

Both engines of ``guotu overlay`` (this process, or a Dask cluster) compute the same thing: each
(left row, right row) pair's overlap area from ``guotu.core.geometry.overlay``, summed into a matrix
indexed by (left group code, right group code). The local engine calls :func:`grouped_areas` once on
whole layers; the Dask engine calls it once per spatial partition of the left layer and adds the
matrices up. A left row lives in exactly one partition, so every pair is counted exactly once.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from guotu.core.geometry import GeomArray, overlay

Codes = npt.NDArray[np.intp]
AreaMatrix = npt.NDArray[np.float64]


def encode_groups(values: npt.NDArray[Any]) -> tuple[list[str], Codes]:
    """Sorted distinct group names and each row's code (its index in the names).

    >>> import numpy as np
    >>> encode_groups(np.array(["b", "a", "b"], dtype=object))
    (['a', 'b'], array([1, 0, 1]))
    """
    names, codes = np.unique(np.asarray(values, dtype=object).astype(str), return_inverse=True)
    return [str(n) for n in names], codes.astype(np.intp)


def grouped_areas(
    left: GeomArray, right: GeomArray, left_codes: Codes, right_codes: Codes, shape: tuple[int, int],
    workers: int | None = None,
) -> AreaMatrix:
    """m² of overlap per (left group, right group), both layers in the metric zone.

    >>> import shapely, numpy as np
    >>> cells = np.array([shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)])
    >>> block = np.array([shapely.box(5, 0, 15, 10)])
    >>> grouped_areas(cells, block, np.array([0, 1]), np.array([0]), (2, 1)).tolist()
    [[50.0], [50.0]]
    """
    n_left, n_right = shape
    ov = overlay(left, right, workers=workers)
    flat = left_codes[ov.left] * n_right + right_codes[ov.right]
    sums = np.bincount(flat, weights=ov.area_m2, minlength=n_left * n_right)
    return np.asarray(sums, dtype=np.float64).reshape(n_left, n_right)
