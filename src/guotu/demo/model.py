"""What the demo builder returns: layers of features (EPSG:4490) with their plan editions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from guotu.core.features import FeatureBatch

LAYER_ORDER = ("survey", "permanent_farmland", "eco_redline", "dev_boundary", "zones", "towns", "sites")

TITLES_ZH = {
    "survey": "国土调查土地利用现状图斑（示意数据）",
    "permanent_farmland": "永久基本农田",
    "eco_redline": "生态保护红线",
    "dev_boundary": "城镇开发边界",
    "zones": "规划分区",
    "towns": "乡镇街道（示意边界）",
    "sites": "项目用地红线",
}

STATUSES = ("approved", "draft", "superseded")


@dataclass(frozen=True, eq=False)
class DemoEdition:
    """One edition of a plan layer: its status, validity and document, and the batch rows it holds.

    ``valid_to`` is exclusive and ``None`` while the edition is in force.
    """

    name: str
    status: str
    valid_from: dt.date
    valid_to: dt.date | None
    approved_on: dt.date | None
    document: str
    index: npt.NDArray[np.intp]

    def in_force_on(self, day: dt.date) -> bool:
        """Whether the edition was in force on ``day`` (``valid_from`` ≤ day < ``valid_to``)."""
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


@dataclass(frozen=True, eq=False)
class DemoLayer:
    """One layer: its identifier, Chinese title, features in EPSG:4490 and editions (empty for base data)."""

    name: str
    title_zh: str
    batch: FeatureBatch
    editions: list[DemoEdition] = field(default_factory=list)

    def edition(self, name: str) -> DemoEdition:
        for edition in self.editions:
            if edition.name == name:
                return edition
        raise KeyError(name)

    def in_force_on(self, day: dt.date) -> FeatureBatch:
        """The features of the edition in force on ``day`` (all features for a layer without editions)."""
        if not self.editions:
            return self.batch
        for edition in self.editions:
            if edition.in_force_on(day):
                return self.batch.take(edition.index)
        return self.batch.take(np.empty(0, dtype=np.intp))


@dataclass(frozen=True, eq=False)
class DemoCounty:
    """The seeded demo county: layers in :data:`LAYER_ORDER`, the county boundary and what built it.

    ``notes`` holds short Chinese explanations a reader of the demo needs (the edition B adjustment,
    how town boundaries were derived).
    """

    seed: int
    patches: int
    boundary: Any
    layers: dict[str, DemoLayer]
    notes: dict[str, str] = field(default_factory=dict)
