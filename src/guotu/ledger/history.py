"""The whole history of a piece of land (宗地档案): from the quota and the approval of its batch to the
supplies lying on it, their progress, idle land and its disposal, inspections and completion.

Given a batch parcel, the history covers that parcel and every supply lying on it (found by geometry:
more than the policy's sliver area in common, never by a typed number). Given a supply, it covers the
parcels the supply lies on and everything on those parcels (so an earlier, recovered supply of the same
land is there too). Entries, each naming its record (kind and id):

========================  =========================================================================
type                      when / what
========================  =========================================================================
``allocation``            a quota allocation linked to the batch (allocated_on)
``approval``              the batch's approval (approved_on), with its parcels in the history
``supply``                a supply signed (signed_on)
``agreed_start``          the agreed start date of a supply (a deadline: ``planned``)
``agreed_completion``     the agreed completion date (a deadline: ``planned``)
``progress``              a progress record: started, developed, invested, inspected, stopped, resumed,
                          completed
``idle``                  computed: the first idle day (第二条) of the supply as of the history's date
                          (or of the day before its recovery), with the disposal due
``overdue``               computed: the first day past the (extended) completion date, not completed
``disposal``              an idle-land disposal: fee, recovery, extension, exception
========================  =========================================================================

Entries are in date order (then in the order of the table above, then by record id). Computed entries
carry ``computed: true`` and use the rules of :mod:`guotu.ledger.rules`, as the figures do.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from guotu.core.errors import InputError, NotFoundError
from guotu.core.messages import tr
from guotu.core.policy import DEFAULT_POLICY, GeometryPolicy
from guotu.core.units import report_m2, report_mu
from guotu.ledger import service
from guotu.ledger.browse import Reads, feature_collection, land_feature, lying_on
from guotu.ledger.flow import LandFlow
from guotu.ledger.model import Record
from guotu.ledger.repository import choice_label
from guotu.store.base import Store

ORDER = ("allocation", "approval", "supply", "agreed_start", "progress", "idle", "disposal", "agreed_completion",
         "overdue")
HISTORY_KINDS = ("batch_parcel", "supply")


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def _entry(day: dt.date | None, type_: str, record: Record, detail: str, *, label: str | None = None,
           supply: str | None = None, computed: bool = False, planned: bool = False,
           **more: Any) -> dict[str, Any] | None:
    if day is None:
        return None
    out: dict[str, Any] = {"date": day.isoformat(), "type": type_,
                           "label": label or tr(f"ledger.history.type.{type_}"), "kind": record.kind,
                           "record": record.id, "detail": detail}
    if supply is not None:
        out["supply"] = supply
    if computed:
        out["computed"] = True
    if planned:
        out["planned"] = True
    out.update(more)
    return out


def _money(value: Any) -> str:
    return "—" if value is None else f"{float(value):.2f}"


def _find(flow: LandFlow, record_id: str, kind: str | None) -> tuple[str, int]:
    if kind is not None and kind not in HISTORY_KINDS:
        raise InputError("ledger.history.bad_kind", kind=kind[:40], allowed=", ".join(HISTORY_KINDS))
    if kind in (None, "batch_parcel"):
        for k, p in enumerate(flow.parcels):
            if p.id == record_id:
                return "batch_parcel", k
    if kind in (None, "supply"):
        i = flow.supply_index(record_id)
        if i is not None:
            return "supply", i
    raise NotFoundError("ledger.history.unknown", record=record_id[:80])


def land_history(store: Store, record_id: str, kind: str | None = None, on: dt.date | None = None,
                 policy: GeometryPolicy = DEFAULT_POLICY) -> dict[str, Any]:
    """The history of a batch parcel or a supply (see the module notes) as of ``on`` (default today):
    ``{id, kind, on, parcels, supplies, entries, map}``; a parcel id is looked up first."""
    day = on or dt.date.today()
    flow = Reads(store, policy).flow
    found_kind, index = _find(flow, record_id, kind)
    sliver = policy.sliver_m2
    if found_kind == "batch_parcel":
        parcels = [index]
        supplies = lying_on(flow, flow.parcel_m[index], sliver)[1]
    else:
        parcels = lying_on(flow, flow.supply_m[index], sliver)[0]
        supplies = [index]
        for k in parcels:
            supplies += [i for i in lying_on(flow, flow.parcel_m[k], sliver)[1] if i not in supplies]
    supplies.sort(key=lambda i: (flow.supplies[i].get("signed_on"), flow.supplies[i].id))
    parcels.sort(key=lambda k: (flow.approved_on(flow.parcels[k]) or dt.date.max, flow.parcels[k].id))

    entries: list[dict[str, Any] | None] = []
    batch_ids = list(dict.fromkeys(str(flow.parcels[k].get("batch")) for k in parcels))
    for b in batch_ids:
        batch = flow.batches.get(b)
        if batch is None:
            continue
        mine = [flow.parcels[k] for k in parcels if str(flow.parcels[k].get("batch")) == b]
        entries.append(_entry(batch.date("approved_on"), "approval", batch, tr(
            "ledger.history.detail.approval", batch_no=batch.get("batch_no"),
            name=f" {batch.get('name')}" if batch.get("name") else "",
            batch_type=choice_label("batch", "batch_type", batch.get("batch_type")),
            authority=batch.get("authority") or "—", document=batch.get("document") or "—",
            parcels="、".join(str(p.get("parcel_no")) for p in mine)), parcels=[p.id for p in mine]))
        for a in flow.allocations:
            if str(a.get("batch")) == b:
                entries.append(_entry(a.date("allocated_on"), "allocation", a, tr(
                    "ledger.history.detail.allocation", quota=a.get("quota"), amount=f"{float(a.get('amount_mu')):.4f}",
                    project=a.get("project") or "—")))
    for i in supplies:
        entries += _supply_entries(flow, i, day)
    kept = [e for e in entries if e is not None]
    kept.sort(key=lambda e: (e["date"], ORDER.index(e["type"]), e["record"]))

    supplied, unsupplied = flow.supplied_on_parcels(flow.signed_mask(on_or_before=day))
    parcel_rows = [{
        "id": flow.parcels[k].id, "parcel_no": flow.parcels[k].get("parcel_no"), "batch": flow.parcels[k].get("batch"),
        "batch_no": (flow.batches.get(str(flow.parcels[k].get("batch"))) or flow.parcels[k]).get("batch_no"),
        "approved_on": _iso(flow.approved_on(flow.parcels[k])), "town_code": flow.parcels[k].get("town_code"),
        "area_m2": report_m2(float(flow.parcel_area[k])), "area_mu": report_mu(float(flow.parcel_area[k])),
        "supplied_mu": report_mu(float(supplied[k])), "unsupplied_mu": report_mu(float(unsupplied[k])),
    } for k in parcels]
    supply_rows = [{
        "id": flow.supplies[i].id, "contract_no": flow.supplies[i].get("contract_no"),
        "land_user": flow.supplies[i].get("land_user"), "project": flow.supplies[i].get("project"),
        "use_type": choice_label("supply", "use_type", flow.supplies[i].get("use_type")),
        "method": choice_label("supply", "method", flow.supplies[i].get("method")),
        "signed_on": _iso(flow.supplies[i].date("signed_on")),
        "area_m2": report_m2(float(flow.supply_area[i])), "area_mu": report_mu(float(flow.supply_area[i])),
        "status": service.supply_status(flow, i, day),
    } for i in supplies]
    items = [land_feature(flow.parcels[k], "parcel", flow.parcels[k].geometry) for k in parcels]
    items += [land_feature(flow.supplies[i], "supply", flow.supplies[i].geometry) for i in supplies]
    return {"id": record_id, "kind": found_kind, "on": day.isoformat(), "parcels": parcel_rows,
            "supplies": supply_rows, "entries": kept, "map": feature_collection(items)}


def _supply_entries(flow: LandFlow, i: int, day: dt.date) -> list[dict[str, Any] | None]:
    s = flow.supplies[i]
    sid = s.id
    area = float(flow.supply_area[i])
    out = [
        _entry(s.date("signed_on"), "supply", s, tr(
            "ledger.history.detail.supply", contract=s.get("contract_no"),
            method=choice_label("supply", "method", s.get("method")),
            use=choice_label("supply", "use_type", s.get("use_type")), user=s.get("land_user") or "—",
            area_mu=f"{report_mu(area):.4f}", price=_money(s.get("price_wan"))), supply=sid),
        _entry(s.date("agreed_start_on"), "agreed_start", s, tr("ledger.history.detail.agreed_start",
                                                                contract=s.get("contract_no")),
               supply=sid, planned=True),
        _entry(s.date("agreed_completion_on"), "agreed_completion", s,
               tr("ledger.history.detail.agreed_completion", contract=s.get("contract_no")), supply=sid, planned=True),
    ]
    for r in flow.progress:
        if str(r.get("supply")) != sid:
            continue
        parts = []
        if r.get("developed_area_m2") is not None:
            parts.append(tr("ledger.history.detail.developed", area_m2=f"{float(r.get('developed_area_m2')):.2f}"))
        if r.get("investment_wan") is not None:
            parts.append(tr("ledger.history.detail.invested", amount=_money(r.get("investment_wan"))))
        if r.get("note"):
            parts.append(str(r.get("note")))
        out.append(_entry(r.date("on"), "progress", r, "；".join(parts),
                          label=choice_label("progress", "event", r.get("event")), supply=sid, event=r.get("event")))
    for d in flow.disposals:
        if str(d.get("supply")) != sid:
            continue
        parts = []
        if d.get("fee_wan") is not None:
            parts.append(tr("ledger.history.detail.fee", amount=_money(d.get("fee_wan"))))
        if d.get("cause"):
            parts.append(choice_label("idle_disposal", "cause", d.get("cause")))
        if d.get("extended_start_on"):
            parts.append(tr("ledger.history.detail.extended", start=_iso(d.date("extended_start_on")),
                            completion=_iso(d.date("extended_completion_on")) or "—"))
        for name in ("document", "reason"):
            if d.get(name):
                parts.append(str(d.get(name)))
        out.append(_entry(d.date("decided_on"), "disposal", d, "；".join(parts),
                          label=choice_label("idle_disposal", "action", d.get("action")), supply=sid,
                          action=d.get("action")))
    # Idle land: as of the history's date, or of the day before the land was recovered.
    recovered = flow.recovered_on(sid)
    asked = day if recovered is None or recovered > day else recovered - dt.timedelta(days=1)
    idle = flow.idle_status(i, asked)
    if idle.state in ("idle", "exempt") and idle.idle_since is not None and idle.idle_since <= day:
        due = tr(f"ledger.idle_due.{idle.due}") if idle.due else "—"
        out.append(_entry(idle.idle_since, "idle", s, tr(
            f"ledger.history.detail.idle_{idle.basis or 'unstarted'}", reference=_iso(idle.reference_on),
            state=tr(f"ledger.idle_state.{idle.state}"), due=due,
            fee=_money(idle.fee_wan)), supply=sid, computed=True, state=idle.state))
    sup = flow.supervision(i, day)
    if sup.state == "overdue":
        out.append(_entry(sup.due_on + dt.timedelta(days=1), "overdue", s, tr(
            "ledger.history.detail.overdue", due=sup.due_on.isoformat(), days=-(sup.days_left or 0)),
            supply=sid, computed=True))
    return out

