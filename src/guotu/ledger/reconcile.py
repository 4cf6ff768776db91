"""Reconciliation of the land flow: for every batch, approved = supplied + unsupplied, and the problems.

Areas are measured by geometry in the metric zone (:class:`~guotu.ledger.flow.LandFlow`): a batch's
approved area is the sum of its parcels; the supplied area of a parcel is the part covered by supplies
(overlapping supplies counted once), the unsupplied area the part not covered, each computed apart, so
``approved = supplied + unsupplied`` is checked, not assumed. The problems found (each with a stable
key, a message and the ids of the records involved):

* ``supply_outside`` — a supply (not declared stock land) with more than the tolerance outside every
  parcel approved on or before its signing date: possible for data loaded before the checks or imported;
* ``supply_before_approval`` — a supply lying on a parcel approved only after it was signed;
* ``supplied_twice`` — two supplies overlapping beyond the tolerance on a batch's parcel, the earlier
  not recovered before the later was signed;
* ``parcels_overlap`` — two parcels on the same land (approved twice: the batch totals double count);
* ``area_mismatch`` — the parcels of a batch do not add up to the area its approval document states;
* ``not_balanced`` — approved ≠ supplied + unsupplied beyond the tolerance (invalid geometry);
* ``no_parcels`` — a batch without parcels (its approved area is unknown).

The tolerance is :func:`guotu.ledger.rules.tolerance_m2`: the larger of the policy's sliver area and
0.1 % of the area checked. A problem that belongs to no batch (a supply outside every parcel) is listed
apart. ``on`` limits the reconciliation to batches approved and supplies signed on or before a date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import shapely

from guotu.core.messages import tr
from guotu.core.units import M2_PER_HA, format_m2, report_m2, report_mu
from guotu.ledger.flow import LandFlow


@dataclass(frozen=True)
class Problem:
    key: str
    params: dict[str, Any]
    records: tuple[str, ...]

    def message(self, language: str | None = None) -> str:
        return tr(f"ledger.problem.{self.key}", language=language, **self.params)

    def as_dict(self, language: str | None = None) -> dict[str, Any]:
        return {"key": self.key, "message": self.message(language), "records": list(self.records)}


@dataclass
class BatchAccount:
    batch: str
    batch_no: str
    approved_on: dt.date | None
    parcels: list[str]
    approved_m2: float = 0.0
    supplied_m2: float = 0.0
    unsupplied_m2: float = 0.0
    problems: list[Problem] = field(default_factory=list)

    def as_dict(self, language: str | None = None) -> dict[str, Any]:
        return {
            "batch": self.batch, "batch_no": self.batch_no,
            "approved_on": self.approved_on.isoformat() if self.approved_on else None,
            "parcels": self.parcels,
            "approved_m2": report_m2(self.approved_m2), "supplied_m2": report_m2(self.supplied_m2),
            "unsupplied_m2": report_m2(self.unsupplied_m2),
            "approved_mu": report_mu(self.approved_m2), "supplied_mu": report_mu(self.supplied_m2),
            "unsupplied_mu": report_mu(self.unsupplied_m2),
            "balanced": not any(p.key == "not_balanced" for p in self.problems),
            "problems": [p.as_dict(language) for p in self.problems],
        }


@dataclass
class Reconciliation:
    on: dt.date | None
    batches: list[BatchAccount]
    problems: list[Problem]  # problems that belong to no batch

    @property
    def problem_count(self) -> int:
        return len(self.problems) + sum(len(b.problems) for b in self.batches)

    def totals(self) -> dict[str, float]:
        a = sum(b.approved_m2 for b in self.batches)
        s = sum(b.supplied_m2 for b in self.batches)
        u = sum(b.unsupplied_m2 for b in self.batches)
        return {"approved_m2": report_m2(a), "supplied_m2": report_m2(s), "unsupplied_m2": report_m2(u),
                "approved_mu": report_mu(a), "supplied_mu": report_mu(s), "unsupplied_mu": report_mu(u)}

    def as_dict(self, language: str | None = None) -> dict[str, Any]:
        return {"on": self.on.isoformat() if self.on else None, "totals": self.totals(),
                "problem_count": self.problem_count,
                "batches": [b.as_dict(language) for b in self.batches],
                "problems": [p.as_dict(language) for p in self.problems]}


def reconcile(flow: LandFlow, on: dt.date | None = None) -> Reconciliation:
    """Reconcile every batch of ``flow`` (approved and supplied by ``on`` when given)."""
    approved_on = flow.parcel_approved()
    live_parcel = [d is not None and (on is None or d <= on) for d in approved_on]
    signed = flow.signed_mask(on_or_before=on)
    accounts = {b.id: BatchAccount(b.id, str(b.get("batch_no")), b.date("approved_on"), [])
                for b in sorted(flow.batches.values(), key=lambda b: (b.get("approved_on"), b.id))
                if on is None or b.get("approved_on") <= on}
    parcel_batch = [str(p.get("batch")) for p in flow.parcels]
    supplied, unsupplied = flow.supplied_on_parcels(signed)
    for k, p in enumerate(flow.parcels):
        account = accounts.get(parcel_batch[k])
        if account is None or not live_parcel[k]:
            continue
        account.parcels.append(p.id)
        account.approved_m2 += float(flow.parcel_area[k])
        account.supplied_m2 += float(supplied[k])
        account.unsupplied_m2 += float(unsupplied[k])
    loose: list[Problem] = []

    def attach(batches: set[str], problem: Problem) -> None:
        targets = [accounts[b] for b in sorted(batches) if b in accounts]
        for account in targets:
            account.problems.append(problem)
        if not targets:
            loose.append(problem)

    for account in accounts.values():
        batch = flow.batches[account.batch]
        if not account.parcels:
            account.problems.append(Problem("no_parcels", {"batch": account.batch_no}, (account.batch,)))
            continue
        document = batch.get("document_area_ha")
        if document is not None:
            doc_m2 = float(document) * M2_PER_HA
            if abs(account.approved_m2 - doc_m2) > flow.tolerance(doc_m2):
                account.problems.append(Problem("area_mismatch", {
                    "batch": account.batch_no, "parcels_m2": format_m2(account.approved_m2),
                    "document_m2": format_m2(doc_m2), "difference_m2": format_m2(abs(account.approved_m2 - doc_m2)),
                    "tolerance_m2": format_m2(flow.tolerance(doc_m2))}, (account.batch, *account.parcels)))
        difference = abs(account.approved_m2 - account.supplied_m2 - account.unsupplied_m2)
        if difference > flow.tolerance(account.approved_m2):
            account.problems.append(Problem("not_balanced", {
                "batch": account.batch_no, "approved_m2": format_m2(account.approved_m2),
                "supplied_m2": format_m2(account.supplied_m2), "unsupplied_m2": format_m2(account.unsupplied_m2),
                "difference_m2": format_m2(difference)}, (account.batch,)))

    # Supplies outside the parcels approved by their signing date.
    for i, s in enumerate(flow.supplies):
        if not signed[i] or s.get("land_source") == "stock" or flow.supply_m[i] is None:
            continue
        outside, on_later = flow.outside_approved(i)
        tolerance = flow.tolerance(float(flow.supply_area[i]))
        if outside <= tolerance:
            continue
        touched = [k for k in flow.parcels_near(flow.supply_m[i]) if live_parcel[k]]
        later = [k for k in touched if (approved_on[k] or dt.date.max) > s.get("signed_on")]
        base = {"supply": s.id, "contract": s.get("contract_no"), "signed_on": s.get("signed_on")}
        reported_later = 0.0
        for k in later:
            area = float(shapely.area(shapely.intersection(flow.supply_m[i], flow.parcel_m[k])))
            if area <= tolerance:
                continue
            reported_later += area
            attach({parcel_batch[k]}, Problem("supply_before_approval", {
                **base, "parcel": flow.parcels[k].get("parcel_no"), "approved_on": approved_on[k],
                "area_m2": format_m2(area)}, (s.id, flow.parcels[k].id)))
        rest = outside - min(on_later, reported_later)
        if rest > tolerance:
            attach({parcel_batch[k] for k in touched if k not in later},
                   Problem("supply_outside", {**base, "area_m2": format_m2(rest)}, (s.id,)))

    # The same land supplied twice.
    for o in flow.supply_overlaps():
        if not (signed[o.a] and signed[o.b]):
            continue
        a, b = flow.supplies[o.a], flow.supplies[o.b]
        common = shapely.intersection(flow.supply_m[o.a], flow.supply_m[o.b])
        on_parcels = [k for k in flow.parcels_near(common) if live_parcel[k]
                      and shapely.area(shapely.intersection(common, flow.parcel_m[k])) > 0]
        params = {"supply": b.id, "contract": b.get("contract_no"), "other": a.id,
                  "other_contract": a.get("contract_no"), "area_m2": format_m2(o.area_m2)}
        if not on_parcels:
            loose.append(Problem("supplied_twice", {**params, "parcel": "—"}, (a.id, b.id)))
        for k in on_parcels:
            attach({parcel_batch[k]}, Problem("supplied_twice", {**params, "parcel": flow.parcels[k].get("parcel_no")},
                                              (a.id, b.id, flow.parcels[k].id)))

    # The same land approved twice.
    for o in flow.parcel_overlaps():
        if not (live_parcel[o.a] and live_parcel[o.b]):
            continue
        pa, pb = flow.parcels[o.a], flow.parcels[o.b]
        attach({parcel_batch[o.a], parcel_batch[o.b]}, Problem("parcels_overlap", {
            "parcel": pb.get("parcel_no"), "batch": _batch_no(flow, parcel_batch[o.b]),
            "other": pa.get("parcel_no"), "other_batch": _batch_no(flow, parcel_batch[o.a]),
            "area_m2": format_m2(o.area_m2)}, (pa.id, pb.id)))
    return Reconciliation(on, list(accounts.values()), loose)


def _batch_no(flow: LandFlow, batch_id: str) -> str:
    batch = flow.batches.get(batch_id)
    return batch_id if batch is None else str(batch.get("batch_no"))
