"""What every importer shares: reading a file's bytes safely and turning raw records into a batch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from guotu.core.crs import check_coordinates
from guotu.core.errors import FormatError
from guotu.core.features import FeatureBatch


@dataclass
class ReadResult:
    """Features read from a file in the file's own CRS, with what the reader learned on the way."""

    batch: FeatureBatch
    source: str
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)


def require_nonempty(path: Path) -> None:
    if not path.exists():
        raise FormatError("formats.no_file", path=str(path))
    if path.stat().st_size == 0:
        raise FormatError("formats.empty_file", path=str(path))


def check_batch_coordinates(batch: FeatureBatch, source: str) -> None:
    """Run the CRS plausibility checks per record so the error names the record."""
    coords = batch.flat.xy if batch.flat is not None else shapely.get_coordinates(batch.geometry)
    if len(coords) == 0:
        return
    # One vectorised pass; only on failure look for the first offending record.
    try:
        check_coordinates(coords, batch.epsg, source=source, record="*")
    except Exception:
        # Coordinates come in record order: slice, don't mask (linear, not quadratic).
        if batch.flat is not None:
            index = batch.flat.coordinate_rows()
        else:
            index = shapely.get_coordinates(batch.geometry, return_index=True)[1]
        starts = np.searchsorted(index, np.arange(len(batch) + 1))
        for i in range(len(batch)):
            check_coordinates(coords[starts[i] : starts[i + 1]], batch.epsg, source=source,
                              record=batch.record_id(i))
        raise


def batch_from_wkb(
    wkb: Sequence[bytes | None], fields: Sequence[str], columns: Sequence[Sequence[Any]], epsg: int,
    ids: Sequence[Any], source: str,
) -> FeatureBatch:
    from guotu.core.flatgeom import parse_wkb  # compiled loops (numba): loaded for bulk reads only

    blobs = list(wkb)
    geoms = shapely.from_wkb(blobs, on_invalid="ignore")
    # The flat form: coordinate arrays for the checks, the reprojection and the store's encoder.
    flat = parse_wkb(blobs)
    missing = [ids[i] for i in np.flatnonzero(shapely.is_missing(geoms)).tolist()]
    if missing:
        raise FormatError("formats.missing_geometry", source=source, record=missing[0])
    attrs: dict[str, list[Any]] = {}
    types: dict[str, str] = {}
    for name, col in zip(fields, columns, strict=True):
        values = col.tolist() if isinstance(col, np.ndarray) and col.dtype == object else None
        if values is not None and all(type(v) is str for v in values):
            attrs[name] = values  # text: _plain would return every value as it is
            types[name] = "TEXT"
        else:
            attrs[name] = [_plain(v) for v in col]
    return FeatureBatch(np.asarray(geoms, dtype=object), attrs, types, epsg, list(ids), flat=flat)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else value.astype("datetime64[D]").item()
    return value
