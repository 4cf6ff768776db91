"""Ledger records in a Store: one layer per kind (``ledger_<kind>``), checked before every write.

:func:`add_records` validates everything first — types, required fields, non-negative numbers, dates
in order, unique values (within the new records and against stored ones), links to existing records,
geometry validity and CRS, then the kind's own checks — and writes in one transaction; the first
problem raises an InputError naming the record and the field, and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import shapely

from guotu.core.crs import CGCS2000, check_coordinates
from guotu.core.errors import InputError, NotFoundError
from guotu.core.features import FeatureBatch
from guotu.core.geometry import area_m2, require_valid
from guotu.core.messages import catalog, tr
from guotu.core.policy import DEFAULT_POLICY, GeometryPolicy
from guotu.ledger.model import Lookup, Record, RecordKind, get_kind, kinds
from guotu.store.base import Store

ID_FIELD = "record_id"
TOWN_FIELD = "town_code"
TOWN_CODE = re.compile(r"\d{9}")  # the 9-digit statistical division code of a town (乡镇街道)


class StoreLookup(Lookup):
    """Stored records plus the ones being added (so checks see both), cached per kind."""

    def __init__(self, store: Store, pending: Sequence[Record] = (), policy: GeometryPolicy = DEFAULT_POLICY) -> None:
        self.store = store
        self.pending = list(pending)
        self.policy = policy
        self._cache: dict[str, list[Record]] = {}

    def records(self, kind: str) -> list[Record]:
        if kind not in self._cache:
            self._cache[kind] = read_records(self.store, kind)
        return self._cache[kind] + [r for r in self.pending if r.kind == kind]


def read_records(store: Store, kind: str, *, ids: Sequence[str] | None = None) -> list[Record]:
    """All records of ``kind`` (or those with the given ids), in the order they were written."""
    spec = get_kind(kind)
    try:
        batch = store.read(spec.layer)
    except NotFoundError:
        return []
    wanted = None if ids is None else set(ids)
    out = []
    for i, row in enumerate(batch.rows()):
        rid = str(row.pop(ID_FIELD))
        if wanted is not None and rid not in wanted:
            continue
        geom = batch.geometry[i] if spec.geometry else None
        out.append(Record(kind, rid, {k: row.get(k) for k in spec.field_types}, geom))
    return out


def coerce(spec: RecordKind, rid: str, attrs: Mapping[str, Any]) -> dict[str, Any]:
    """Attribute values converted to their declared types, with a precise error for each bad one."""
    unknown = sorted(set(attrs) - set(spec.field_types) - {ID_FIELD})
    if unknown:
        raise InputError("ledger.unknown_field", kind=spec.kind, record=rid, field=", ".join(unknown))
    out: dict[str, Any] = {}
    for f in spec.fields:
        value = attrs.get(f.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if f.required:
                raise InputError("ledger.missing_field", kind=spec.kind, record=rid, field=f.name, label=f.label_zh)
            out[f.name] = None
            continue
        if f.type == "DATE":
            if isinstance(value, dt.datetime):
                value = value.date()
            if not isinstance(value, dt.date):
                try:
                    value = dt.date.fromisoformat(str(value).strip())
                except ValueError as exc:
                    raise InputError("ledger.bad_date", kind=spec.kind, record=rid, field=f.name,
                                     value=value) from exc
        elif f.type in ("REAL", "INTEGER"):
            try:
                number = float(value) if not isinstance(value, bool) else math.nan
            except (TypeError, ValueError) as exc:
                raise InputError("ledger.not_a_number", kind=spec.kind, record=rid, field=f.name,
                                 value=value) from exc
            if not math.isfinite(number):
                raise InputError("ledger.not_a_number", kind=spec.kind, record=rid, field=f.name, value=value)
            if f.nonnegative and number < 0:
                raise InputError("ledger.negative", kind=spec.kind, record=rid, field=f.name, value=value)
            if f.type == "INTEGER":
                if number != int(number):
                    raise InputError("ledger.not_an_integer", kind=spec.kind, record=rid, field=f.name, value=value)
                value = int(number)
            else:
                value = number
        else:
            value = str(value).strip()
            if f.choices and value not in f.choices:
                value = choice_alias(spec.kind, f.name, f.choices).get(value, value)
            if f.choices and value not in f.choices:
                raise InputError("ledger.bad_choice", kind=spec.kind, record=rid, field=f.name, value=value,
                                 choices=", ".join(f.choices))
        out[f.name] = value
    return out


def choice_alias(kind: str, field: str, choices: Sequence[str]) -> dict[str, str]:
    """Display labels (Chinese and English) of a field's choices → the stored value.

    A choice may have a label in the catalogs under ``ledger.choice.<kind>.<field>.<value>``; input may
    give the label instead of the value (staff type 出让, the ledger stores ``sale``).
    """
    out: dict[str, str] = {}
    texts = catalog()
    for value in choices:
        for label in texts.get(f"ledger.choice.{kind}.{field}.{value}", {}).values():
            out.setdefault(label, value)
    return out


def choice_label(kind: str, field: str, value: Any, language: str | None = None) -> str:
    """The display label of a stored choice value (the value itself when it has none)."""
    key = f"ledger.choice.{kind}.{field}.{value}"
    return tr(key, language=language) if key in catalog() else ("" if value is None else str(value))


def make_records(kind: str, items: Sequence[Mapping[str, Any]],
                 geometries: Sequence[Any] | None = None) -> list[Record]:
    """Records of ``kind`` from attribute mappings (each with ``record_id``) and optional geometries."""
    spec = get_kind(kind)
    out = []
    for i, item in enumerate(items):
        rid = str(item.get(ID_FIELD) or "").strip()
        if not rid:
            raise InputError("ledger.missing_id", kind=kind, index=i + 1)
        geom = geometries[i] if geometries is not None else None
        out.append(Record(kind, rid, coerce(spec, rid, item), geom))
    return out


def validate(store: Store, records: Sequence[Record], policy: GeometryPolicy = DEFAULT_POLICY,
             others: Sequence[Record] = ()) -> None:
    """Every generic and kind-specific check on ``records`` (all of one kind) against the store.

    ``others`` are records of other kinds written in the same call: links and checks see them as
    if they were stored.
    """
    if not records:
        return
    spec = get_kind(records[0].kind)
    lookup = StoreLookup(store, [*(r for r in others if r.kind != spec.kind), *records], policy)
    stored = {r.id: r for r in lookup.records(spec.kind)[: -len(records)]}
    seen: set[str] = set()
    for r in records:
        if r.id in seen or r.id in stored:
            raise InputError("ledger.duplicate_id", kind=spec.kind, record=r.id)
        seen.add(r.id)
        for earlier, later in spec.ordered_dates:
            a, b = r.date(earlier), r.date(later)
            if a is not None and b is not None and a > b:
                raise InputError("ledger.dates_out_of_order", kind=spec.kind, record=r.id, earlier=earlier,
                                 later=later, earlier_value=a, later_value=b)
    if TOWN_FIELD in spec.field_types:
        for r in records:
            code = r.get(TOWN_FIELD)
            if code is not None and not TOWN_CODE.fullmatch(str(code)):
                raise InputError("ledger.bad_town_code", kind=spec.kind, record=r.id, value=code)
    for name in spec.unique:
        values: dict[Any, str] = {r.get(name): r.id for r in stored.values() if r.get(name) is not None}
        for r in records:
            v = r.get(name)
            if v is None:
                continue
            if v in values:
                raise InputError("ledger.duplicate_value", kind=spec.kind, record=r.id, field=name, value=v,
                                 other=values[v])
            values[v] = r.id
    for name, target in spec.links:
        known = {x.id for x in lookup.records(target)}
        for r in records:
            v = r.get(name)
            if v is not None and str(v) not in known:
                raise InputError("ledger.unknown_link", kind=spec.kind, record=r.id, field=name, value=v,
                                 target=target)
    if spec.geometry:
        missing = [r.id for r in records if r.geometry is None]
        if missing and spec.geometry_required:
            raise InputError("ledger.missing_geometry", kind=spec.kind, record=missing[0])
        drawn = [r for r in records if r.geometry is not None]
        for r in drawn:
            check_coordinates(shapely.get_coordinates(r.geometry), CGCS2000, source=spec.kind, record=r.id)
        if drawn:
            geoms = np.array([r.geometry for r in drawn], dtype=object)
            require_valid(FeatureBatch(geoms, epsg=CGCS2000, ids=[r.id for r in drawn]), spec.kind, policy)
    for check in spec.checks:
        check(records, lookup)


def add_records(store: Store, records: Sequence[Record], actor: str = "system",
                policy: GeometryPolicy = DEFAULT_POLICY) -> None:
    """Validate and write ``records`` (any kinds, in the order given) in one transaction."""
    by_kind: dict[str, list[Record]] = {}
    for r in records:
        by_kind.setdefault(r.kind, []).append(r)
    for group in by_kind.values():
        validate(store, group, policy, others=records)
    write_records(store, records, actor)


def write_records(store: Store, records: Sequence[Record], actor: str = "system") -> None:
    """Write ``records`` in one transaction WITHOUT checking them: only for :func:`add_records` and
    for tests that must reproduce data loaded past the ledger (an old import) to see it reconciled."""
    by_kind: dict[str, list[Record]] = {}
    for r in records:
        by_kind.setdefault(r.kind, []).append(r)
    existing = {info.name for info in store.layers()}
    with store.transaction(actor) as tx:
        for kind, group in by_kind.items():
            spec = get_kind(kind)
            fields = {ID_FIELD: "TEXT", **spec.field_types}
            if spec.layer not in existing:
                tx.create_layer(spec.layer, spec.geometry or "GEOMETRY", fields, title=spec.label_zh)
            geoms = np.array([r.geometry for r in group], dtype=object)
            attrs = {ID_FIELD: [r.id for r in group], **{f: [r.get(f) for r in group] for f in spec.field_types}}
            tx.write(spec.layer, FeatureBatch(geoms, attrs, dict(fields), CGCS2000, [r.id for r in group]))


def record_area_m2(records: Sequence[Record], policy: GeometryPolicy = DEFAULT_POLICY) -> list[float]:
    """The area of each record's geometry in the metric zone (0 for records without geometry)."""
    geoms = np.array([r.geometry for r in records], dtype=object)
    present = ~shapely.is_missing(geoms)
    out = np.zeros(len(records))
    if present.any():
        out[present] = area_m2(geoms[present], CGCS2000, policy)
    return [float(v) for v in out]


def all_kinds() -> list[str]:
    return sorted(kinds())
