"""Ad-hoc overlay for administrators: "how many mu of each land class lie in the farmland?".

Both inputs may be any readable file in any CRS; areas are computed in the county's metric zone.
Each pair's overlap area is summed into its (group, overlay group); pieces of features of the same
layer that overlap each other are counted once per pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from guotu.core.errors import InputError
from guotu.core.geometry import overlay, to_metric
from guotu.core.policy import DEFAULT_POLICY, GeometryPolicy
from guotu.core.units import area_figure
from guotu.formats import read_features


@dataclass(frozen=True)
class OverlayResult:
    total_area_m2: float
    groups: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {"total_area_m2": area_figure(self.total_area_m2)["area_m2"],
                "total_area_mu": area_figure(self.total_area_m2)["area_mu"], "groups": self.groups}


def _keys(attributes: dict[str, list[Any]], name: str | None, source: str, n: int) -> np.ndarray:
    if name is None:
        return np.full(n, "", dtype=object)
    if name not in attributes:
        raise InputError("overlay.unknown_field", source=source, field=name,
                         available=", ".join(sorted(attributes)) or "—")
    return np.asarray(["" if v is None else str(v) for v in attributes[name]], dtype=object)


def overlay_files(
    source: str, other: str, *, group_by: str | None = None, overlay_group: str | None = None,
    policy: GeometryPolicy = DEFAULT_POLICY,
) -> OverlayResult:
    """Overlay the features of ``source`` with those of ``other`` (files or ``FILE.gpkg:LAYER``)."""
    a = read_features(source)
    b = read_features(other)
    left = to_metric(a.batch.geometry, a.batch.epsg, policy)
    right = to_metric(b.batch.geometry, b.batch.epsg, policy)
    ga = _keys(a.batch.attributes, group_by, a.source, len(left))
    gb = _keys(b.batch.attributes, overlay_group, b.source, len(right))
    ov = overlay(left, right)
    totals: dict[tuple[str, str], float] = {}
    for g, h, area in zip(ga[ov.left], gb[ov.right], ov.area_m2, strict=True):
        totals[(g, h)] = totals.get((g, h), 0.0) + float(area)
    groups = [{"group": g if group_by else None, "overlay_group": h if overlay_group else None,
               **area_figure(area)} for (g, h), area in sorted(totals.items())]
    return OverlayResult(float(ov.area_m2.sum()), groups)
