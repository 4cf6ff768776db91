"""Use cases of the ledger: add records from a file, list records, figures, reconcile, export to xlsx.

Every write goes through :func:`guotu.ledger.repository.add_records` (all checks first, then one
transaction); every read builds the figures, the reconciliation and the listings from the records, so
the CLI, the API and the pages show the same numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from guotu.core.crs import CGCS2000
from guotu.core.errors import EncodingError, FormatError, InputError
from guotu.core.messages import tr
from guotu.core.policy import DEFAULT_POLICY, GeometryPolicy
from guotu.core.units import report_m2, report_mu
from guotu.ledger.figures import FigureParams, PeriodContext, compute_figures, parcel_categories
from guotu.ledger.flow import KINDS, LAND_CATEGORIES, LandFlow
from guotu.ledger.model import Figure, Record, RecordKind, get_kind, kinds
from guotu.ledger.reconcile import Reconciliation, reconcile
from guotu.ledger.repository import add_records, choice_label, make_records, read_records, record_area_m2
from guotu.store.base import Store

LANDFLOW_ORDER = KINDS  # the land-flow kinds first, in the order of the flow


# --- adding records ----------------------------------------------------------------------------
def read_items(kind: str, path: str | Path) -> tuple[list[dict[str, Any]], list[Any] | None]:
    """The records of a file: attribute mappings and, for kinds with geometry, geometries in CGCS2000.

    Kinds with geometry take GeoJSON (or GeoPackage, Shapefile: any format ``guotu import`` reads), one
    feature per record with ``record_id`` among its properties; other kinds take CSV (UTF-8 or GB18030,
    a header row of field names) or JSON (an array of objects, or an object with a ``records`` array).
    """
    spec = get_kind(kind)
    p = Path(path)
    suffix = p.suffix.lower()
    if spec.geometry:
        if suffix == ".csv":
            raise InputError("ledger.add_needs_geojson", kind=kind, path=str(p))
        from guotu.formats import read_features

        batch = read_features(p).batch.to_epsg(CGCS2000)
        items = list(batch.rows())
        if not items:
            raise InputError("ledger.add_no_records", path=str(p))
        return items, list(batch.geometry)
    if suffix == ".csv":
        items = list(csv.DictReader(io.StringIO(_text(p))))
    elif suffix in (".json", ".geojson"):
        items = _json_items(p)
    else:
        raise InputError("ledger.add_bad_suffix", path=str(p), kind=kind)
    if not items:
        raise InputError("ledger.add_no_records", path=str(p))
    return items, None


def _text(path: Path) -> str:
    if not path.exists():
        raise FormatError("formats.no_file", path=str(path))
    raw = path.read_bytes()
    for codec in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    raise EncodingError("ledger.add_encoding", path=str(path))


def _json_items(path: Path) -> list[dict[str, Any]]:
    try:
        doc = json.loads(_text(path))
    except json.JSONDecodeError as exc:
        raise FormatError("ledger.add_bad_json", path=str(path), line=exc.lineno, detail=exc.msg) from exc
    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        doc = [f.get("properties") or {} for f in doc.get("features") or [] if isinstance(f, dict)]
    elif isinstance(doc, dict):
        doc = doc.get("records")
    if not isinstance(doc, list):
        raise FormatError("ledger.add_bad_json", path=str(path), line=1, detail="no array of records")
    for i, item in enumerate(doc, start=1):
        if not isinstance(item, dict):
            raise FormatError("ledger.add_not_object", path=str(path), index=i)
    return doc


def add_file(store: Store, kind: str, path: str | Path, actor: str = "cli",
             policy: GeometryPolicy = DEFAULT_POLICY) -> list[Record]:
    """Read the records of ``kind`` from a file and add them, all or nothing."""
    items, geometries = read_items(kind, path)
    records = make_records(kind, items, geometries)
    add_records(store, records, actor, policy)
    return records


# --- reading -----------------------------------------------------------------------------------
def load_flow(store: Store, policy: GeometryPolicy = DEFAULT_POLICY) -> LandFlow:
    """The land flow of the store, measured."""
    kinds()
    return LandFlow.load(lambda kind: read_records(store, kind), policy)


def figures(store: Store, start: dt.date, end: dt.date, town: str | None = None,
            params: FigureParams | None = None, policy: GeometryPolicy = DEFAULT_POLICY) -> list[Figure]:
    """Every registered figure for [start, end] and ``town``."""
    return compute_figures(PeriodContext(store, start, end, town, params, policy))


def reconciliation(store: Store, on: dt.date | None = None,
                   policy: GeometryPolicy = DEFAULT_POLICY) -> Reconciliation:
    """The reconciliation of every batch (as of ``on`` when given)."""
    return reconcile(load_flow(store, policy), on)


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def supply_status(flow: LandFlow, i: int, on: dt.date, within_days: int = 90) -> dict[str, Any]:
    """The idle-land status and contract supervision of supply ``i`` on ``on`` (JSON-ready)."""
    idle = flow.idle_status(i, on)
    sup = flow.supervision(i, on, within_days)
    return {
        "on": on.isoformat(), "idle": idle.state, "idle_label": tr(f"ledger.idle_state.{idle.state}"),
        "idle_basis": idle.basis, "idle_since": _json_value(idle.idle_since),
        "reference_on": _json_value(idle.reference_on),
        "due": idle.due, "due_label": tr(f"ledger.idle_due.{idle.due}") if idle.due else None, "fee_wan": idle.fee_wan,
        "supervision": sup.state, "supervision_label": tr(f"ledger.supervision_state.{sup.state}"),
        "completion_due_on": sup.due_on.isoformat(), "completed_on": _json_value(sup.completed_on),
        "days_left": sup.days_left,
    }


def list_records(store: Store, kind: str | None = None, on: dt.date | None = None,
                 policy: GeometryPolicy = DEFAULT_POLICY) -> list[dict[str, Any]]:
    """Records as JSON-ready mappings: id, kind, dates, links, area (where there is one), attributes;
    parcels add their batch's approval date, batches the area of their parcels, supplies their status
    on ``on`` (default today)."""
    names = [get_kind(kind).kind] if kind else _ordered_kinds()
    day = on or dt.date.today()
    flow = load_flow(store, policy) if any(n in LANDFLOW_ORDER for n in names) else None
    out: list[dict[str, Any]] = []
    for name in names:
        spec = get_kind(name)
        records = flow_records(flow, name) if flow is not None and name in LANDFLOW_ORDER else read_records(store, name)
        areas = _areas(flow, spec, records, policy)
        for n, r in enumerate(records):
            row: dict[str, Any] = {
                "id": r.id, "kind": name,
                "dates": {d: _json_value(r.get(d)) for d in spec.dates},
                "links": {f: r.get(f) for f, _ in spec.links if r.get(f) is not None},
            }
            if flow is not None and name == "batch_parcel":
                row["dates"]["approved_on"] = _json_value(flow.approved_on(r))
            area = None if areas is None else areas[n]
            if area is not None:
                row["area_m2"], row["area_mu"] = report_m2(area), report_mu(area)
            row["attrs"] = {k: _json_value(v) for k, v in r.attrs.items()}
            if flow is not None and name == "supply":
                row["status"] = supply_status(flow, n, day)
            out.append(row)
    return out


def flow_records(flow: LandFlow, kind: str) -> list[Record]:
    return {"quota": flow.quotas, "quota_allocation": flow.allocations, "batch": list(flow.batches.values()),
            "batch_parcel": flow.parcels, "supply": flow.supplies, "progress": flow.progress,
            "idle_disposal": flow.disposals}[kind]


def _areas(flow: LandFlow | None, spec: RecordKind, records: Sequence[Record],
           policy: GeometryPolicy) -> list[float | None] | None:
    """Each record's area in m² (None where it has none), or None for kinds without areas."""
    if flow is not None and spec.kind == "batch_parcel":
        return [float(a) for a in flow.parcel_area]
    if flow is not None and spec.kind == "supply":
        return [float(a) for a in flow.supply_area]
    if flow is not None and spec.kind == "batch":
        sums: dict[str, float] = {}
        for p, a in zip(flow.parcels, flow.parcel_area, strict=True):
            sums[str(p.get("batch"))] = sums.get(str(p.get("batch")), 0.0) + float(a)
        return [sums.get(r.id, 0.0) for r in records]
    if not spec.geometry:
        return None
    areas = record_area_m2(records, policy)
    return [None if r.geometry is None else a for r, a in zip(records, areas, strict=True)]


def _ordered_kinds() -> list[str]:
    known = kinds()
    return [k for k in LANDFLOW_ORDER if k in known] + sorted(k for k in known if k not in LANDFLOW_ORDER)


# --- xlsx export -------------------------------------------------------------------------------
def _main_date(flow: LandFlow, spec: RecordKind, r: Record) -> dt.date | None:
    if spec.kind == "batch_parcel":
        return flow.approved_on(r)
    return r.date(spec.dates[0]) if spec.dates else None


def export_year(store: Store, year: int, out: str | Path, params: FigureParams | None = None,
                policy: GeometryPolicy = DEFAULT_POLICY) -> tuple[int, int]:
    """Write the ledger of ``year`` to an xlsx workbook: the year's figures, then one sheet per record
    kind holding the records dated on or before the year end (so every record a figure cites is
    there); supplies with their status on 31 December. Returns (figures, record sheets)."""
    from guotu.ledger.xlsx import Sheet, write_workbook

    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    ctx = PeriodContext(store, start, end, None, params, policy)
    figs = compute_figures(ctx)
    flow = ctx.flow
    categories = parcel_categories(ctx)
    sheets: list[Sheet] = []
    for name in _ordered_kinds():
        spec = get_kind(name)
        records = flow_records(flow, name) if name in LANDFLOW_ORDER else ctx.records(name)
        areas = _areas(flow if name in LANDFLOW_ORDER else None, spec, records, policy)
        keep = [n for n, r in enumerate(records) if (_main_date(flow, spec, r) or start) <= end]
        if not keep:
            continue
        sheets.append(_record_sheet(flow, spec, records, keep, areas, categories, end, ctx.params.due_within_days))
    write_workbook(out, figs, sheets, title=tr("ledger.xlsx.title", year=year, date=end.isoformat()))
    return len(figs), len(sheets)


def _record_sheet(flow: LandFlow, spec: RecordKind, records: Sequence[Record], keep: Sequence[int],
                  areas: Sequence[float | None] | None, categories: Sequence[dict[str, float]], end: dt.date,
                  within_days: int) -> Any:
    from guotu.ledger.xlsx import AREA_M2, AREA_MU, DATE, INTEGER, REAL, TEXT, Column, Sheet

    columns = [Column(tr("ledger.xlsx.record_id"), TEXT)]
    columns += [Column(f.label_zh, {"DATE": DATE, "INTEGER": INTEGER, "REAL": REAL}.get(f.type, TEXT))
                for f in spec.fields]
    if spec.kind == "batch_parcel":
        columns.append(Column(tr("ledger.xlsx.approved_on"), DATE))
    if areas is not None:
        columns += [Column(tr("ledger.xlsx.area_m2"), AREA_M2), Column(tr("ledger.xlsx.area_mu"), AREA_MU)]
    if spec.kind == "batch_parcel":
        columns += [Column(tr("ledger.xlsx.category_mu", category=tr(f"ledger.land_category.{c}")), AREA_MU)
                    for c in LAND_CATEGORIES]
    if spec.kind == "supply":
        columns += [Column(tr("ledger.xlsx.idle_state", date=end.isoformat()), TEXT),
                    Column(tr("ledger.xlsx.idle_due"), TEXT),
                    Column(tr("ledger.xlsx.supervision", date=end.isoformat()), TEXT)]
    rows: list[list[Any]] = []
    for n in keep:
        r = records[n]
        row: list[Any] = [r.id]
        for f in spec.fields:
            value = r.get(f.name)
            row.append(choice_label(spec.kind, f.name, value) if f.choices and value is not None else value)
        if spec.kind == "batch_parcel":
            row.append(flow.approved_on(r))
        if areas is not None:
            area = areas[n]
            row += [None, None] if area is None else [report_m2(area), report_mu(area)]
        if spec.kind == "batch_parcel":
            row += [report_mu(categories[n][c]) for c in LAND_CATEGORIES]
        if spec.kind == "supply":
            idle = flow.idle_status(n, end)
            row += [tr(f"ledger.idle_state.{idle.state}"), tr(f"ledger.idle_due.{idle.due}") if idle.due else "",
                    tr(f"ledger.supervision_state.{flow.supervision(n, end, within_days).state}")]
        rows.append(row)
    return Sheet(spec.label_zh, columns, rows)
