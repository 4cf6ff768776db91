"""Use cases of the ledger's web API and pages: the kinds, filtered pages of records, one record with the
land it concerns, the records behind a figure, records added from a JSON or GeoJSON document, and the
year's workbook as bytes.

Everything here is built on :mod:`guotu.ledger.service` (the same listings, figures, statuses and
workbook as the command line), so the pages, the API and ``guotu ledger`` show the same numbers. No
web framework here: the API's router only parses parameters and calls these functions.

**Filters** of :func:`records_page` (all optional, combined):

* ``town`` — the record's ``town_code``; kinds without one go through their links (an allocation
  through its quota, progress and disposals through their supply, a project's acceptances and
  investment through the project) and a land-flow batch through its parcels (any parcel in the town);
* ``start``/``end`` — the record's main date (the first date its kind declares; a parcel's is its
  batch's approval date), both days included; records without that date are left out;
* ``status`` — a state holding on ``on`` (default today), one of the kind's ``statuses``
  (:func:`kinds_catalog`): for a supply its idle-land state or its contract supervision state (``idle``,
  ``overdue``, ``due_soon``, ``recovered``…), for a parcel or a batch ``unsupplied`` (approved land not
  covered by supplies signed by then, beyond the sliver area) or ``supplied``, for a consolidation,
  reclamation or redevelopment project its status, for a sea-use permit its state;
* ``ids`` — only these record ids.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from guotu.core.crs import CGCS2000
from guotu.core.errors import FormatError, InputError, NotFoundError
from guotu.core.features import FeatureBatch
from guotu.core.messages import tr
from guotu.core.policy import DEFAULT_POLICY, GeometryPolicy
from guotu.core.units import report_m2, report_mu
from guotu.formats.geojson import parse_geojson, to_features
from guotu.ledger import service
from guotu.ledger.figures import FigureParams
from guotu.ledger.flow import LandFlow
from guotu.ledger.model import Figure, Record, RecordKind, get_kind, kinds
from guotu.ledger.repository import ID_FIELD, TOWN_CODE, add_records, choice_label, make_records, read_records
from guotu.store.base import Store

TOWN_FIELD = "town_code"
MAX_LIMIT = 10_000
PROJECT_KINDS = ("consolidation_project", "reclamation", "redevelopment")
SEA_WITHIN_DAYS = 90  # a sea-use permit is "expiring" within this many days of its last valid day


# --- kinds -------------------------------------------------------------------------------------
def ordered_kinds() -> list[str]:
    """Every registered kind: the land flow first, in the order of the flow, then the others by name."""
    known = kinds()
    flow = [k for k in service.LANDFLOW_ORDER if k in known]
    return flow + sorted(k for k in known if k not in flow)


def kind_statuses(kind: str) -> list[tuple[str, str]]:
    """The states the ``status`` filter accepts for ``kind``, with their Chinese labels."""
    if kind == "supply":
        from guotu.ledger.rules import IDLE_STATES, SUPERVISION_STATES

        out: list[tuple[str, str]] = [(s, tr(f"ledger.idle_state.{s}")) for s in IDLE_STATES]
        seen = {s for s, _ in out}
        out += [(s, tr(f"ledger.supervision_state.{s}")) for s in SUPERVISION_STATES if s not in seen]
        return out
    if kind in ("batch_parcel", "batch"):
        return [(s, tr(f"ledger.browse.land_state.{s}")) for s in ("unsupplied", "supplied")]
    if kind in PROJECT_KINDS:
        from guotu.ledger.project_rules import STATUS_LABELS, STATUSES

        return [(s, STATUS_LABELS[s]) for s in STATUSES]
    if kind == "sea_use":
        from guotu.ledger.project_rules import PERMIT_LABELS

        return list(PERMIT_LABELS.items())
    return []


def main_date_field(spec: RecordKind) -> str | None:
    """The date a record of ``spec`` is filed under (a parcel: its batch's approval date)."""
    if spec.kind == "batch_parcel":
        return "approved_on"
    return spec.dates[0] if spec.dates else None


def kinds_catalog() -> list[dict[str, Any]]:
    """Every kind with its Chinese label, fields (type, label, required, choices with labels), dates,
    links, geometry and the states its records can be filtered by."""
    out = []
    for name in ordered_kinds():
        spec = get_kind(name)
        out.append({
            "kind": name, "label": spec.label_zh, "description": spec.description,
            "geometry": spec.geometry, "geometry_required": bool(spec.geometry) and spec.geometry_required,
            "dates": list(spec.dates), "main_date": main_date_field(spec),
            "links": [{"field": f, "kind": k} for f, k in spec.links],
            "unique": list(spec.unique),
            "fields": [{"name": f.name, "type": f.type, "label": f.label_zh, "required": f.required,
                        "choices": [{"value": c, "label": choice_label(name, f.name, c)} for c in f.choices]}
                       for f in spec.fields],
            "statuses": [{"value": v, "label": label} for v, label in kind_statuses(name)],
        })
    return out


# --- what one request reads -------------------------------------------------------------------
class Reads:
    """The records of each kind, the measured land flow and the towns of each record, read once per
    request (a record's towns: its ``town_code``, or its linked records', or a batch's parcels')."""

    def __init__(self, store: Store, policy: GeometryPolicy = DEFAULT_POLICY) -> None:
        self.store = store
        self.policy = policy
        self._records: dict[str, list[Record]] = {}
        self._towns: dict[str, dict[str, frozenset[str]]] = {}
        self._flow: LandFlow | None = None

    def records(self, kind: str) -> list[Record]:
        if kind not in self._records:
            self._records[kind] = read_records(self.store, kind)
        return self._records[kind]

    @property
    def flow(self) -> LandFlow:
        if self._flow is None:
            self._flow = LandFlow.load(self.records, self.policy)
        return self._flow

    def towns(self, kind: str, depth: int = 0) -> dict[str, frozenset[str]]:
        """Record id → its towns (empty when it has none)."""
        if kind in self._towns:
            return self._towns[kind]
        spec = get_kind(kind)
        records = self.records(kind)
        out: dict[str, frozenset[str]] = {}
        if TOWN_FIELD in spec.field_types:
            out = {r.id: frozenset([str(r.get(TOWN_FIELD))]) if r.get(TOWN_FIELD) else frozenset() for r in records}
        elif kind == "batch" and "batch_parcel" in kinds():
            by_batch: dict[str, set[str]] = {}
            for p in self.records("batch_parcel"):
                if p.get(TOWN_FIELD):
                    by_batch.setdefault(str(p.get("batch")), set()).add(str(p.get(TOWN_FIELD)))
            out = {r.id: frozenset(by_batch.get(r.id, ())) for r in records}
        elif depth < 3:
            targets = list(spec.links)
            if "target_kind" in spec.field_types and "target" in spec.field_types:
                targets.append(("target", ""))  # an acceptance names its target's kind in target_kind
            for r in records:
                towns: set[str] = set()
                for field, target in targets:
                    value = r.get(field)
                    target_kind = target or str(r.get("target_kind") or "")
                    if value is None or target_kind not in kinds():
                        continue
                    towns |= self.towns(target_kind, depth + 1).get(str(value), frozenset())
                out[r.id] = frozenset(towns)
        self._towns[kind] = out
        return out


# --- records -----------------------------------------------------------------------------------
def _geometry_json(geom: Any) -> dict[str, Any] | None:
    if geom is None or shapely.is_empty(geom):
        return None
    feature = to_features(FeatureBatch(np.array([geom], dtype=object), epsg=CGCS2000, ids=[0]))[0]
    geometry: dict[str, Any] | None = feature["geometry"]
    return geometry


def _land_states(flow: LandFlow, on: dt.date) -> tuple[list[float], list[float]]:
    """Per parcel of ``flow``: the area supplied and the area not supplied by ``on`` (m²)."""
    supplied, unsupplied = flow.supplied_on_parcels(flow.signed_mask(on_or_before=on))
    return [float(v) for v in supplied], [float(v) for v in unsupplied]


def _land_json(supplied: float, unsupplied: float, sliver: float) -> dict[str, Any]:
    state = "unsupplied" if unsupplied > sliver else "supplied"
    return {"state": state, "label": tr(f"ledger.browse.land_state.{state}"),
            "supplied_m2": report_m2(supplied), "supplied_mu": report_mu(supplied),
            "unsupplied_m2": report_m2(unsupplied), "unsupplied_mu": report_mu(unsupplied)}


def _enrich(reads: Reads, kind: str, rows: list[dict[str, Any]], on: dt.date) -> None:
    """Add ``states`` (the status filter's values holding on ``on``) and the kind's status to each row."""
    records = {r.id: r for r in reads.records(kind)}
    if kind == "supply":
        for row in rows:
            row["states"] = sorted({row["status"]["idle"], row["status"]["supervision"]})
    elif kind in ("batch_parcel", "batch"):
        flow = reads.flow
        supplied, unsupplied = _land_states(flow, on)
        per_parcel = {p.id: (supplied[k], unsupplied[k]) for k, p in enumerate(flow.parcels)
                      if (flow.approved_on(p) or dt.date.max) <= on}
        per_batch: dict[str, tuple[float, float]] = {}
        for p in flow.parcels:
            if p.id in per_parcel:
                s, u = per_batch.get(str(p.get("batch")), (0.0, 0.0))
                per_batch[str(p.get("batch"))] = (s + per_parcel[p.id][0], u + per_parcel[p.id][1])
        table = per_parcel if kind == "batch_parcel" else per_batch
        for row in rows:
            land = table.get(row["id"])
            row["land"] = None if land is None else _land_json(*land, reads.policy.sliver_m2)
            row["states"] = [] if land is None else [row["land"]["state"]]
    elif kind in PROJECT_KINDS:
        from guotu.ledger.project_rules import STATUS_LABELS, record_status

        acceptances = reads.records("acceptance") if kind == "consolidation_project" else []
        for row in rows:
            state = record_status(records[row["id"]], on, acceptances)
            row["status"] = None if state is None else {"state": state, "label": STATUS_LABELS[state]}
            row["states"] = [] if state is None else [state]
    elif kind == "sea_use":
        from guotu.ledger.project_rules import PERMIT_LABELS, permit_state

        for row in rows:
            r = records[row["id"]]
            start, end = r.date("valid_from"), r.date("valid_to")
            if start is None or end is None:
                row["status"], row["states"] = None, []
                continue
            permit = permit_state(start, end, on, SEA_WITHIN_DAYS)
            row["status"] = {"state": permit, "label": PERMIT_LABELS[permit]}
            row["states"] = [permit]
    else:
        for row in rows:
            row["states"] = []


def _batch_geometries(reads: Reads) -> dict[str, Any]:
    by_batch: dict[str, list[Any]] = {}
    for p in reads.records("batch_parcel"):
        if p.geometry is not None:
            by_batch.setdefault(str(p.get("batch")), []).append(p.geometry)
    return {b: shapely.union_all(np.array(gs, dtype=object)) for b, gs in by_batch.items()}


def kind_rows(reads: Reads, kind: str | None, on: dt.date, *, ids: Iterable[str] | None = None
              ) -> dict[str, list[dict[str, Any]]]:
    """Per kind (every kind when ``kind`` is None), the rows of ``guotu ledger records --json``
    (statuses on ``on``) with ``states`` and the kind's status."""
    wanted = None if ids is None else set(ids)
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in ([get_kind(kind).kind] if kind else ordered_kinds())}
    for row in service.list_records(reads.store, kind, on, reads.policy):
        if wanted is None or row["id"] in wanted:
            out[row["kind"]].append(row)
    for name, rows in out.items():
        _enrich(reads, name, rows, on)
    return out


def add_geometry(reads: Reads, kind: str, rows: Sequence[dict[str, Any]]) -> None:
    """Add ``geometry`` (GeoJSON, lon/lat) to each row: the record's own, a batch's its parcels' union."""
    spec = get_kind(kind)
    batches = _batch_geometries(reads) if kind == "batch" else {}
    records = {r.id: r for r in reads.records(kind)} if spec.geometry else {}
    for row in rows:
        if kind == "batch":
            row["geometry"] = _geometry_json(batches.get(row["id"]))
        else:
            r = records.get(row["id"])
            row["geometry"] = None if r is None else _geometry_json(r.geometry)


def _check_town(town: str | None) -> str | None:
    if town is None or not town.strip():
        return None
    value = town.strip()
    if not TOWN_CODE.fullmatch(value):
        raise InputError("ledger.browse.bad_town", value=value[:40])
    return value


def records_page(store: Store, kind: str | None = None, *, town: str | None = None, start: dt.date | None = None,
                 end: dt.date | None = None, status: str | None = None, ids: Sequence[str] | None = None,
                 on: dt.date | None = None, limit: int = 100, offset: int = 0, geometry: bool = False,
                 max_limit: int = MAX_LIMIT, policy: GeometryPolicy = DEFAULT_POLICY) -> dict[str, Any]:
    """A page of records (see the module notes for the filters): ``{kind, on, matched, returned, offset,
    limit, records}``, each record as ``guotu ledger records --json`` plus ``states`` (and ``land`` for
    parcels and batches, ``status`` for projects and sea use, ``geometry`` when asked)."""
    if not 1 <= limit <= max_limit:
        raise InputError("query.bad_limit", value=limit, maximum=max_limit)
    if offset < 0:
        raise InputError("query.bad_offset", value=offset)
    if start is not None and end is not None and start > end:
        raise InputError("ledger.bad_period", start=start, end=end)
    names = [get_kind(kind).kind] if kind else ordered_kinds()
    if status:
        allowed = {v for name in names for v, _ in kind_statuses(name)}
        if status not in allowed:
            raise InputError("ledger.browse.bad_status", status=status[:40], kind=kind or "—",
                             allowed=", ".join(sorted(allowed)) or "—")
    town = _check_town(town)
    day = on or dt.date.today()
    reads = Reads(store, policy)
    out: list[dict[str, Any]] = []
    matched = 0
    for name, rows in kind_rows(reads, kind, day, ids=ids).items():
        if status and status not in {v for v, _ in kind_statuses(name)}:
            continue
        date_field = main_date_field(get_kind(name))
        town_of = reads.towns(name) if town else {}
        kept = []
        for row in rows:
            if town and town not in town_of.get(row["id"], frozenset()):
                continue
            if start is not None or end is not None:
                value = row["dates"].get(date_field) if date_field else None
                if value is None:
                    continue
                day_of = dt.date.fromisoformat(value)
                if (start is not None and day_of < start) or (end is not None and day_of > end):
                    continue
            if status and status not in row["states"]:
                continue
            kept.append(row)
        first = max(0, offset - matched)
        take = kept[first: first + max(0, limit - len(out))]
        if geometry and take:
            add_geometry(reads, name, take)
        out.extend(take)
        matched += len(kept)
    return {"kind": kind, "on": day.isoformat(), "matched": matched, "returned": len(out), "offset": offset,
            "limit": limit, "records": out}


# --- one record and its land ------------------------------------------------------------------
def land_feature(r: Record, role: str, geom: Any) -> tuple[Any, dict[str, Any], str]:
    label = tr(f"ledger.browse.role.{role}", id=r.id, number=_number(r))
    return geom, {"kind": r.kind, "record": r.id, "role": role, "label": label}, f"{r.kind}:{r.id}"


def _number(r: Record) -> str:
    for name in ("parcel_no", "contract_no", "batch_no", "project_no", "approval_no", "case_no", "plan_no"):
        if r.get(name):
            return str(r.get(name))
    return r.id


def feature_collection(items: Sequence[tuple[Any, dict[str, Any], str]]) -> dict[str, Any]:
    drawn = [(g, p, i) for g, p, i in items if g is not None and not shapely.is_empty(g)]
    seen: set[str] = set()
    unique = []
    for item in drawn:
        if item[2] not in seen:
            seen.add(item[2])
            unique.append(item)
    if not unique:
        return {"type": "FeatureCollection", "features": []}
    batch = FeatureBatch(np.array([g for g, _, _ in unique], dtype=object),
                         {k: [p[k] for _, p, _ in unique] for k in ("kind", "record", "role", "label")},
                         {"kind": "TEXT", "record": "TEXT", "role": "TEXT", "label": "TEXT"}, CGCS2000,
                         [i for _, _, i in unique])
    return {"type": "FeatureCollection", "features": to_features(batch)}


def lying_on(flow: LandFlow, geom_m: Any, sliver: float) -> tuple[list[int], list[int]]:
    """Parcels and supplies of ``flow`` sharing more than ``sliver`` m² with a metric geometry."""
    if geom_m is None:
        return [], []
    parcels = [k for k in flow.parcels_near(geom_m)
               if float(shapely.area(shapely.intersection(flow.parcel_m[k], geom_m))) > sliver]
    supplies = [i for i, g in enumerate(flow.supply_m)
                if g is not None and shapely.intersects(g, geom_m)
                and float(shapely.area(shapely.intersection(g, geom_m))) > sliver]
    return parcels, supplies


def land_of(reads: Reads, kind: str, record: Record) -> dict[str, Any]:
    """The land a record concerns, as a FeatureCollection (lon/lat) with ``kind``, ``record``, ``role``
    (``parcel``, ``supply``, ``record``) and ``label``: a parcel and the supplies on it; a batch's
    parcels and the supplies on them; a supply and the parcels it lies on; progress and disposals their
    supply's; an allocation its batch's; any other record its own geometry or its linked records'."""
    items: list[tuple[Any, dict[str, Any], str]] = []
    if kind in service.LANDFLOW_ORDER:
        flow = reads.flow
        sliver = reads.policy.sliver_m2
        parcels: list[int] = []
        supplies: list[int] = []
        if kind == "batch_parcel":
            k = next(n for n, p in enumerate(flow.parcels) if p.id == record.id)
            parcels = [k]
            supplies = lying_on(flow, flow.parcel_m[k], sliver)[1]
        elif kind in ("batch", "quota_allocation"):
            batch = record.id if kind == "batch" else record.get("batch")
            parcels = [n for n, p in enumerate(flow.parcels) if batch is not None and p.get("batch") == batch]
            for k in parcels:
                supplies += [i for i in lying_on(flow, flow.parcel_m[k], sliver)[1] if i not in supplies]
        elif kind in ("supply", "progress", "idle_disposal"):
            sid = record.id if kind == "supply" else str(record.get("supply"))
            i = flow.supply_index(sid)
            if i is not None:
                supplies = [i]
                parcels = lying_on(flow, flow.supply_m[i], sliver)[0]
        items += [land_feature(flow.parcels[k], "parcel", flow.parcels[k].geometry) for k in parcels]
        items += [land_feature(flow.supplies[i], "supply", flow.supplies[i].geometry) for i in supplies]
        return feature_collection(items)
    spec = get_kind(kind)
    if spec.geometry and record.geometry is not None:
        items.append(land_feature(record, "record", record.geometry))
    for field, target in spec.links:
        value = record.get(field)
        if value is None or not get_kind(target).geometry:
            continue
        items += [land_feature(linked, "linked", linked.geometry) for linked in reads.records(target)
                  if linked.id == str(value)]
    return feature_collection(items)


def record_detail(store: Store, kind: str, record_id: str, on: dt.date | None = None,
                  policy: GeometryPolicy = DEFAULT_POLICY) -> dict[str, Any]:
    """One record as in :func:`records_page` (with ``geometry``), its kind's label and the ``land`` it
    concerns as ``map`` (:func:`land_of`); NotFoundError for an unknown record."""
    spec = get_kind(kind)
    day = on or dt.date.today()
    reads = Reads(store, policy)
    rows = kind_rows(reads, spec.kind, day, ids=[record_id])[spec.kind]
    if not rows:
        raise NotFoundError("ledger.browse.no_record", kind=spec.kind, label=spec.label_zh, record=record_id[:80])
    row = rows[0]
    add_geometry(reads, spec.kind, [row])
    row["label"] = spec.label_zh
    row["on"] = day.isoformat()
    record = next(r for r in reads.records(spec.kind) if r.id == record_id)
    row["map"] = land_of(reads, spec.kind, record)
    return row


# --- figures ---------------------------------------------------------------------------------------
def figures_json(store: Store, start: dt.date, end: dt.date, town: str | None = None,
                 params: FigureParams | None = None, policy: GeometryPolicy = DEFAULT_POLICY) -> list[dict[str, Any]]:
    """Exactly the JSON of ``guotu ledger figures --json``."""
    return [f.as_dict() for f in service.figures(store, start, end, _check_town(town), params, policy)]


def records_kind(reads: Reads, ids: Sequence[str]) -> str | None:
    """The kind holding the records ``ids`` (a figure's records are of one kind): the first kind, in the
    ledger's order, that holds all of them (else the most of them); None for no ids."""
    if not ids:
        return None
    wanted = set(ids)
    best, best_count = None, 0
    for name in ordered_kinds():
        count = len(wanted & {r.id for r in reads.records(name)})
        if count == len(wanted):
            return name
        if count > best_count:
            best, best_count = name, count
    return best


def figure_records(store: Store, figure_id: str, start: dt.date, end: dt.date, town: str | None = None,
                   params: FigureParams | None = None, *, geometry: bool = False,
                   policy: GeometryPolicy = DEFAULT_POLICY) -> dict[str, Any]:
    """The records behind one figure of the period: ``{figure, kind, label, on, records}``, statuses on
    the period end (as the figure counts them)."""
    found: Figure | None = next((f for f in service.figures(store, start, end, _check_town(town), params, policy)
                                 if f.id == figure_id), None)
    if found is None:
        raise NotFoundError("ledger.browse.no_figure", figure=figure_id[:80])
    reads = Reads(store, policy)
    kind = records_kind(reads, found.records)
    rows: list[dict[str, Any]] = []
    if kind is not None:
        rows = kind_rows(reads, kind, end, ids=found.records)[kind]
        order = {rid: n for n, rid in enumerate(found.records)}
        rows.sort(key=lambda row: order.get(row["id"], len(order)))
        if geometry:
            add_geometry(reads, kind, rows)
    return {"figure": found.as_dict(), "kind": kind, "label": get_kind(kind).label_zh if kind else None,
            "on": end.isoformat(), "matched": len(rows), "records": rows}


# --- adding records ------------------------------------------------------------------------------
def records_from_document(kind: str, doc: Any) -> list[Record]:
    """Records of ``kind`` from a request body: a GeoJSON FeatureCollection or Feature (one feature per
    record, ``record_id`` among its properties; required for kinds whose records need a geometry), a
    JSON array of objects, one object, or ``{"records": [...]}``. Checked types, nothing written."""
    spec = get_kind(kind)
    geometries: list[Any] | None = None
    if isinstance(doc, dict) and doc.get("type") in ("FeatureCollection", "Feature"):
        if spec.geometry:
            batch = parse_geojson(doc, source=kind).batch.to_epsg(CGCS2000)
            items: list[Any] = list(batch.rows())
            geometries = list(batch.geometry)
        else:
            features = doc.get("features") if doc.get("type") == "FeatureCollection" else [doc]
            if not isinstance(features, list):
                raise FormatError("geojson.no_features_array", source=kind)
            items = [f.get("properties") or {} if isinstance(f, dict) else f for f in features]
    else:
        if spec.geometry and spec.geometry_required:
            raise InputError("ledger.browse.needs_geojson", kind=kind, label=spec.label_zh)
        if isinstance(doc, dict) and "records" in doc:
            doc = doc["records"]
        elif isinstance(doc, dict):
            doc = [doc]
        if not isinstance(doc, list):
            raise FormatError("ledger.browse.bad_body", kind=kind)
        items = doc
    if not items:
        raise InputError("ledger.browse.no_records", kind=kind)
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise FormatError("ledger.browse.not_object", kind=kind, index=n)
        if isinstance(item.get(ID_FIELD), int | float) and not isinstance(item.get(ID_FIELD), bool):
            item[ID_FIELD] = str(item[ID_FIELD])
    return make_records(kind, items, geometries)


def add_document(store: Store, kind: str, doc: Any, actor: str,
                 policy: GeometryPolicy = DEFAULT_POLICY) -> list[Record]:
    """Add the records of a request body (:func:`records_from_document`), all or nothing."""
    records = records_from_document(kind, doc)
    add_records(store, records, actor, policy)
    return records


# --- the workbook -----------------------------------------------------------------------------------
def export_xlsx(store: Store, year: int, params: FigureParams | None = None,
                policy: GeometryPolicy = DEFAULT_POLICY) -> bytes:
    """The workbook of ``guotu ledger export --year`` as bytes."""
    if not 1900 <= year <= 9999:
        raise InputError("ledger.browse.bad_year", value=year)
    with tempfile.TemporaryDirectory(prefix="guotu-ledger-") as folder:
        path = Path(folder) / f"ledger-{year}.xlsx"
        service.export_year(store, year, path, params, policy)
        return path.read_bytes()

