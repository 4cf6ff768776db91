"""Record kinds of the ledger and the generic record.

A :class:`RecordKind` declares a kind's fields, its geometry (or none), the dates that matter to it,
the fields that link to other records, which fields are unique, which dates must be in order, and
optional kind-specific checks. Kinds register themselves in :data:`REGISTRY` (modules in
``guotu.ledger.kinds``); the repository and the CLI work on any registered kind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from guotu.core.policy import DEFAULT_POLICY, GeometryPolicy

FIELD_TYPES = ("TEXT", "INTEGER", "REAL", "DATE")


@dataclass(frozen=True)
class FieldSpec:
    """One attribute of a record kind. ``nonnegative`` applies to INTEGER/REAL fields."""

    name: str
    type: str
    label_zh: str
    required: bool = False
    nonnegative: bool = True
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Record:
    """One ledger record: its kind, its business id (e.g. a batch number), attributes and geometry.

    ``geometry`` is a shapely geometry in CGCS2000 (EPSG:4490) or None for kinds without one.
    """

    kind: str
    id: str
    attrs: dict[str, Any]
    geometry: Any = None

    def get(self, name: str, default: Any = None) -> Any:
        return self.attrs.get(name, default)

    def date(self, name: str) -> dt.date | None:
        value = self.attrs.get(name)
        return value if isinstance(value, dt.date) else None


# A kind-specific check: given the new records and a lookup of stored ones, raise InputError.
Check = Callable[[Sequence[Record], "Lookup"], None]


class Lookup:
    """Read access to stored records during validation (the repository provides it).

    ``records(kind)`` holds the stored records of ``kind`` followed by the pending ones (every record
    of the write being validated, whatever its kind), so checks see the ledger as it would be after
    the write. ``policy`` is the geometry policy of the write (metric zone, sliver tolerance).
    """

    policy: GeometryPolicy = DEFAULT_POLICY

    def records(self, kind: str) -> list[Record]:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(frozen=True)
class RecordKind:
    """The declaration of a record kind."""

    kind: str
    label_zh: str
    fields: tuple[FieldSpec, ...]
    geometry: str | None = None  # e.g. "MULTIPOLYGON"; None for records without geometry
    geometry_required: bool = True  # False: a record of a kind with geometry may still have none
    dates: tuple[str, ...] = ()  # the dates that matter (shown in `ledger records`)
    links: tuple[tuple[str, str], ...] = ()  # (field, kind it refers to)
    unique: tuple[str, ...] = ()  # fields whose values are unique across all records of the kind
    ordered_dates: tuple[tuple[str, str], ...] = ()  # (earlier, later): earlier ≤ later when both set
    checks: tuple[Check, ...] = ()
    description: str = ""

    @property
    def layer(self) -> str:
        return f"ledger_{self.kind}"

    def field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def field_types(self) -> dict[str, str]:
        return {f.name: f.type for f in self.fields}


REGISTRY: dict[str, RecordKind] = {}


def register(kind: RecordKind) -> RecordKind:
    if kind.kind in REGISTRY:
        raise RuntimeError(f"record kind {kind.kind} registered twice")
    for f in kind.fields:
        if f.type not in FIELD_TYPES:
            raise RuntimeError(f"{kind.kind}.{f.name}: unknown type {f.type}")
    REGISTRY[kind.kind] = kind
    return kind


def kinds() -> dict[str, RecordKind]:
    """Every registered kind (importing guotu.ledger.kinds registers the built-in ones)."""
    import guotu.ledger.kinds  # noqa: F401  (registration side effect)

    return REGISTRY


def get_kind(name: str) -> RecordKind:
    from guotu.core.errors import InputError

    known = kinds()
    if name not in known:
        raise InputError("ledger.unknown_kind", kind=name, known=", ".join(sorted(known)))
    return known[name]


@dataclass(frozen=True)
class Figure:
    """A reported figure with its provenance: value, unit, definition and the records behind it."""

    id: str
    label: str
    value: float | int
    unit: str
    definition: str
    records: tuple[str, ...] = ()
    breakdown: tuple[tuple[str, float | int], ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "label": self.label, "value": self.value, "unit": self.unit,
                               "definition": self.definition, "records": list(self.records)}
        if self.breakdown:
            out["breakdown"] = [{"key": k, "value": v} for k, v in self.breakdown]
        return out
