"""Ad-hoc overlay for administrators: "how many mu of each land class lie in the farmland?".

Both inputs may be any readable file in any CRS; areas are computed in the county's metric zone.
Each pair's overlap area is summed into its (group, overlay group); pieces of features of the same
layer that overlap each other are counted once per pair. Two engines compute the same matrix of
areas per (group, overlay group) with the same kernel (:mod:`guotu.core.grouped_overlay`):
``local`` (this process, all cores) and ``dask`` (a dask.distributed cluster,
:mod:`guotu.core.overlay_dask`, imported only when asked for).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from guotu.core.errors import InputError
from guotu.core.geometry import to_metric
from guotu.core.grouped_overlay import AreaMatrix, Codes, encode_groups, grouped_areas
from guotu.core.policy import DEFAULT_POLICY, GeometryPolicy
from guotu.core.units import area_figure
from guotu.formats import read_features

ENGINES = ("local", "dask")


@dataclass(frozen=True)
class OverlayResult:
    total_area_m2: float
    groups: list[dict[str, Any]]
    engine: dict[str, Any] = field(default_factory=lambda: {"name": "local"})

    def as_dict(self) -> dict[str, Any]:
        return {"total_area_m2": area_figure(self.total_area_m2)["area_m2"],
                "total_area_mu": area_figure(self.total_area_m2)["area_mu"], "groups": self.groups,
                "engine": self.engine}


def _keys(attributes: dict[str, list[Any]], name: str | None, source: str, n: int) -> tuple[list[str], Codes]:
    if name is None:
        return [""], np.zeros(n, dtype=np.intp)
    if name not in attributes:
        raise InputError("overlay.unknown_field", source=source, field=name,
                         available=", ".join(sorted(attributes)) or "—")
    return encode_groups(np.asarray(["" if v is None else str(v) for v in attributes[name]], dtype=object))


def group_rows(areas: AreaMatrix, left_names: list[str], right_names: list[str], group_by: str | None,
               overlay_group: str | None) -> list[dict[str, Any]]:
    """The ``groups`` of the answer: one row per (group, overlay group) with any overlap, sorted."""
    rows, cols = np.nonzero(areas)
    return [{"group": left_names[i] if group_by else None, "overlay_group": right_names[j] if overlay_group else None,
             **area_figure(float(areas[i, j]))} for i, j in zip(rows.tolist(), cols.tolist(), strict=True)]


def overlay_files(
    source: str, other: str, *, group_by: str | None = None, overlay_group: str | None = None,
    policy: GeometryPolicy = DEFAULT_POLICY, engine: str = "local", scheduler: str | None = None,
    connect_timeout_s: float = 10.0,
) -> OverlayResult:
    """Overlay the features of ``source`` with those of ``other`` (files or ``FILE.gpkg:LAYER``).

    ``engine="dask"`` computes on the cluster of ``scheduler`` (``tcp://HOST:8786``), or on a local
    cluster of 2 worker processes when it is empty; the cluster is reached before any file is read.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; use one of {ENGINES}")
    if engine == "dask":
        from guotu.core.overlay_dask import dask_client, grouped_areas_dask

        with dask_client(scheduler, connect_timeout_s) as client:
            left, right, (ln, lc), (rn, rc) = _load(source, other, group_by, overlay_group, policy)
            areas, info = grouped_areas_dask(client, left, right, lc, rc, (len(ln), len(rn)))
            engine_doc = info.as_dict()
    else:
        left, right, (ln, lc), (rn, rc) = _load(source, other, group_by, overlay_group, policy)
        areas, engine_doc = grouped_areas(left, right, lc, rc, (len(ln), len(rn))), {"name": "local"}
    return OverlayResult(float(areas.sum()), group_rows(areas, ln, rn, group_by, overlay_group), engine_doc)


def _load(source: str, other: str, group_by: str | None, overlay_group: str | None,
          policy: GeometryPolicy) -> tuple[Any, Any, tuple[list[str], Codes], tuple[list[str], Codes]]:
    a = read_features(source)
    b = read_features(other)
    left = to_metric(a.batch.geometry, a.batch.epsg, policy)
    right = to_metric(b.batch.geometry, b.batch.epsg, policy)
    return (left, right, _keys(a.batch.attributes, group_by, a.source, len(left)),
            _keys(b.batch.attributes, overlay_group, b.source, len(right)))
