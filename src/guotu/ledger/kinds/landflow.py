"""Record kinds of the land flow: quota → approval (batch, parcels) → supply → progress → idle disposal.

Choice fields store an English value and accept its Chinese label (``ledger.choice.<kind>.<field>.<value>``
in ``locale/ledger_landflow.toml``). Spatial relations are found by geometry, never typed in: a supply
must lie on batch parcels approved on or before its signing date, and must not lie on an earlier supply
that is still in force. Checks see the ledger as it would be after the write (stored + pending records)
and refuse the whole write with a message naming the record. Rules (idle land, supervision) are in
:mod:`guotu.ledger.rules`, the spatial accounting in :mod:`guotu.ledger.flow`. See docs/ledger.md.
"""

from __future__ import annotations

from collections.abc import Sequence

from guotu.core.errors import InputError
from guotu.core.units import format_m2, format_mu
from guotu.ledger import rules
from guotu.ledger.flow import LandFlow
from guotu.ledger.model import FieldSpec, Lookup, Record, RecordKind, register

QUOTA_SOURCES = ("provincial_plan", "linkage", "reward", "other")
BATCH_TYPES = ("conversion", "expropriation", "conversion_and_expropriation")
SUPPLY_METHODS = ("sale", "allocation")
USE_TYPES = ("industrial", "commercial", "residential", "commercial_residential", "public", "infrastructure", "other")
LAND_SOURCES = ("approved", "stock")


def _mu(value: float) -> str:
    return f"{value:.4f}"


def _flow(lookup: Lookup) -> LandFlow:
    return LandFlow.load(lookup.records, lookup.policy)


# --- quota -------------------------------------------------------------------------------------
QUOTA = register(RecordKind(
    kind="quota",
    label_zh="用地指标",
    fields=(
        FieldSpec("source", "TEXT", "指标来源", required=True, choices=QUOTA_SOURCES),
        FieldSpec("year", "INTEGER", "指标年度", required=True),
        FieldSpec("amount_mu", "REAL", "指标数量（亩）", required=True),
        FieldSpec("received_on", "DATE", "下达日期", required=True),
        FieldSpec("town_code", "TEXT", "乡镇（街道）代码"),
        FieldSpec("document", "TEXT", "下达文号"),
    ),
    dates=("received_on",),

    description="新增建设用地计划指标，按来源和年度登记；指标以亩计（文件下达数，无图形）。",
))


def _check_allocation(records: Sequence[Record], lookup: Lookup) -> None:
    """An allocation dated before its quota was received, or one that would overdraw it, is refused."""
    quotas = {q.id: q for q in lookup.records("quota")}
    new = {r.id for r in records}
    allocated: dict[str, float] = {}
    for a in lookup.records("quota_allocation"):
        if a.id not in new:
            allocated[str(a.get("quota"))] = allocated.get(str(a.get("quota")), 0.0) + float(a.get("amount_mu"))
    for r in records:
        quota = quotas[str(r.get("quota"))]
        if r.get("allocated_on") < quota.get("received_on"):
            raise InputError("ledger.allocation_before_receipt", record=r.id, quota=quota.id,
                             allocated_on=r.get("allocated_on"), received_on=quota.get("received_on"))
        balance = rules.quota_balance(float(quota.get("amount_mu")), [allocated.get(quota.id, 0.0)])
        asked = float(r.get("amount_mu"))
        if rules.overdraws(balance, asked):
            raise InputError("ledger.quota_overdrawn", record=r.id, quota=quota.id, balance=_mu(balance),
                             asked=_mu(asked), received=_mu(float(quota.get("amount_mu"))))
        allocated[quota.id] = allocated.get(quota.id, 0.0) + asked


QUOTA_ALLOCATION = register(RecordKind(
    kind="quota_allocation",
    label_zh="指标分配",
    fields=(
        FieldSpec("quota", "TEXT", "指标记录编号", required=True),
        FieldSpec("project", "TEXT", "项目名称", required=True),
        FieldSpec("amount_mu", "REAL", "分配数量（亩）", required=True),
        FieldSpec("allocated_on", "DATE", "分配日期", required=True),
        FieldSpec("batch", "TEXT", "报批批次记录编号"),
    ),
    dates=("allocated_on",),
    links=(("quota", "quota"), ("batch", "batch")),
    checks=(_check_allocation,),
    description="从一项指标分配给项目；分配合计不得超过指标数量（不得透支）。关联批次即为已使用。",
))


# --- approval ----------------------------------------------------------------------------------
BATCH = register(RecordKind(
    kind="batch",
    label_zh="农转用征收批次",
    fields=(
        FieldSpec("batch_no", "TEXT", "批次编号", required=True),
        FieldSpec("name", "TEXT", "批次名称"),
        FieldSpec("batch_type", "TEXT", "批次类型", required=True, choices=BATCH_TYPES),
        FieldSpec("authority", "TEXT", "批准机关", required=True),
        FieldSpec("approved_on", "DATE", "批准日期", required=True),
        FieldSpec("document", "TEXT", "批准文号"),
        FieldSpec("document_area_ha", "REAL", "批文面积（公顷）"),
    ),
    dates=("approved_on",),
    unique=("batch_no",),
    description="一份批准文件批准的农转用、征收批次；图形为其宗地（batch_parcel）之和，批次本身不存图形。"
                "批文面积仅用于对账核对宗地图形。",
))


def _check_parcels(records: Sequence[Record], lookup: Lookup) -> None:
    """Parcel numbers are unique within a batch; a parcel may not lie on another (land approved twice)."""
    new = {r.id for r in records}
    seen: dict[tuple[str, str], str] = {}
    for p in lookup.records("batch_parcel"):
        key = (str(p.get("batch")), str(p.get("parcel_no")))
        if key in seen and p.id in new:
            raise InputError("ledger.parcel_no_duplicate", record=p.id, batch=key[0], parcel_no=key[1],
                             other=seen[key])
        seen.setdefault(key, p.id)
    flow = _flow(lookup)
    for o in flow.parcel_overlaps():
        a, b = flow.parcels[o.a], flow.parcels[o.b]
        if a.id in new or b.id in new:
            first, second = (b, a) if a.id in new and b.id not in new else (a, b)
            raise InputError("ledger.parcel_overlaps", record=second.id, batch=second.get("batch"), other=first.id,
                             other_batch=first.get("batch"), area_m2=format_m2(o.area_m2), area_mu=format_mu(o.area_m2))


BATCH_PARCEL = register(RecordKind(
    kind="batch_parcel",
    label_zh="批次宗地",
    fields=(
        FieldSpec("batch", "TEXT", "批次记录编号", required=True),
        FieldSpec("parcel_no", "TEXT", "宗地编号", required=True),
        FieldSpec("town_code", "TEXT", "乡镇（街道）代码"),
    ),
    geometry="MULTIPOLYGON",
    links=(("batch", "batch"),),
    checks=(_check_parcels,),
    description="批次内的一宗地；面积由图形计算，按地类（耕地、其他农用地、未利用地、建设用地）的面积由国土调查图层叠加得到。",
))


# --- supply ------------------------------------------------------------------------------------
def _check_supplies(records: Sequence[Record], lookup: Lookup) -> None:
    """A sale states its price; a supply lies on parcels approved by its signing date; no land twice."""
    for r in records:
        if r.get("method") == "sale" and r.get("price_wan") is None:
            raise InputError("ledger.sale_needs_price", record=r.id, contract=r.get("contract_no"))
    flow = _flow(lookup)
    new = {r.id for r in records}
    for i, s in enumerate(flow.supplies):
        if s.id not in new or s.get("land_source") == "stock":
            continue
        outside, on_later = flow.outside_approved(i)
        tolerance = flow.tolerance(float(flow.supply_area[i]))
        if outside <= tolerance:
            continue
        key = "ledger.supply_before_approval" if on_later > tolerance else "ledger.supply_outside_batches"
        raise InputError(key, record=s.id, contract=s.get("contract_no"), signed_on=s.get("signed_on"),
                         area_m2=format_m2(outside), area_mu=format_mu(outside), later_m2=format_m2(on_later),
                         tolerance_m2=format_m2(tolerance))
    for o in flow.supply_overlaps():
        a, b = flow.supplies[o.a], flow.supplies[o.b]
        if a.id in new or b.id in new:
            raise InputError("ledger.supply_overlaps", record=b.id, contract=b.get("contract_no"), other=a.id,
                             other_contract=a.get("contract_no"), area_m2=format_m2(o.area_m2),
                             area_mu=format_mu(o.area_m2))


SUPPLY = register(RecordKind(
    kind="supply",
    label_zh="土地供应",
    fields=(
        FieldSpec("contract_no", "TEXT", "出让合同或划拨决定书编号", required=True),
        FieldSpec("method", "TEXT", "供应方式", required=True, choices=SUPPLY_METHODS),
        FieldSpec("use_type", "TEXT", "土地用途", required=True, choices=USE_TYPES),
        FieldSpec("land_user", "TEXT", "土地使用权人", required=True),
        FieldSpec("project", "TEXT", "项目名称"),
        FieldSpec("price_wan", "REAL", "出让（划拨）价款（万元）"),
        FieldSpec("signed_on", "DATE", "签订日期", required=True),
        FieldSpec("agreed_start_on", "DATE", "约定动工日期", required=True),
        FieldSpec("agreed_completion_on", "DATE", "约定竣工日期", required=True),
        FieldSpec("planned_investment_wan", "REAL", "计划总投资（万元）"),
        FieldSpec("town_code", "TEXT", "乡镇（街道）代码"),
        FieldSpec("land_source", "TEXT", "土地来源", choices=LAND_SOURCES),
    ),
    geometry="MULTIPOLYGON",
    dates=("signed_on", "agreed_start_on", "agreed_completion_on"),
    unique=("contract_no",),
    ordered_dates=(("signed_on", "agreed_start_on"), ("agreed_start_on", "agreed_completion_on")),
    checks=(_check_supplies,),
    description="出让合同或划拨决定书；图形须位于签订日前已批准的批次宗地上（土地来源为存量建设用地的除外），"
                "且不得与仍有效的其他供地重叠。",
))


def _check_progress(records: Sequence[Record], lookup: Lookup) -> None:
    """No event before the signing date; the developed area cannot exceed the supply's area."""
    if not records:
        return
    flow = _flow(lookup)
    for r in records:
        i = flow.supply_index(str(r.get("supply")))
        assert i is not None
        supply = flow.supplies[i]
        if r.get("on") < supply.get("signed_on"):
            raise InputError("ledger.progress_before_signing", record=r.id, supply=supply.id,
                             contract=supply.get("contract_no"), on=r.get("on"), signed_on=supply.get("signed_on"))
        developed = r.get("developed_area_m2")
        area = float(flow.supply_area[i])
        if developed is not None and developed > area + flow.tolerance(area):
            raise InputError("ledger.progress_area_exceeds", record=r.id, supply=supply.id,
                             developed_m2=format_m2(developed), area_m2=format_m2(area))


PROGRESS = register(RecordKind(
    kind="progress",
    label_zh="开发利用进展",
    fields=(
        FieldSpec("supply", "TEXT", "供地记录编号", required=True),
        FieldSpec("event", "TEXT", "事项", required=True, choices=rules.EVENTS),
        FieldSpec("on", "DATE", "日期", required=True),
        FieldSpec("developed_area_m2", "REAL", "累计已开发面积（平方米）"),
        FieldSpec("investment_wan", "REAL", "累计已投资额（万元）"),
        FieldSpec("note", "TEXT", "备注"),
    ),
    dates=("on",),
    links=(("supply", "supply"),),
    checks=(_check_progress,),
    description="动工、开发、投资、竣工、核查、中止、复工等事项；已开发面积和已投资额为截至该日的累计数"
                "（投资额不含土地价款和税费，《闲置土地处置办法》第三十条）。",
))


def _check_disposals(records: Sequence[Record], lookup: Lookup) -> None:
    """A decision is dated on or after signing, states what its action needs, and never follows a recovery."""
    if not records:
        return
    flow = _flow(lookup)
    for r in records:
        i = flow.supply_index(str(r.get("supply")))
        assert i is not None  # the link was checked before the kind's checks run
        supply = flow.supplies[i]
        action = r.get("action")
        params = {"record": r.id, "supply": supply.id, "contract": supply.get("contract_no")}
        if r.get("decided_on") < supply.get("signed_on"):
            raise InputError("ledger.disposal_before_signing", **params, decided_on=r.get("decided_on"),
                             signed_on=supply.get("signed_on"))
        if action == "fee" and r.get("fee_wan") is None:
            raise InputError("ledger.disposal_needs_fee", **params)
        if action in ("exception", "extension") and r.get("cause") is None:
            raise InputError("ledger.disposal_needs_cause", **params, action=action)
        if action == "extension" and r.get("extended_start_on") is None:
            raise InputError("ledger.disposal_needs_extended_start", **params)
        earlier = [d for d in flow.disposals if d.get("supply") == supply.id and d.get("action") == "recovery"
                   and d.id != r.id and d.get("decided_on") <= r.get("decided_on")]
        if earlier:
            raise InputError("ledger.already_recovered", **params, other=earlier[0].id,
                             recovered_on=earlier[0].get("decided_on"))


IDLE_DISPOSAL = register(RecordKind(
    kind="idle_disposal",
    label_zh="闲置土地处置",
    fields=(
        FieldSpec("supply", "TEXT", "供地记录编号", required=True),
        FieldSpec("action", "TEXT", "处置方式", required=True, choices=rules.ACTIONS),
        FieldSpec("decided_on", "DATE", "决定日期", required=True),
        FieldSpec("fee_wan", "REAL", "土地闲置费（万元）"),
        FieldSpec("cause", "TEXT", "闲置原因（第八条）", choices=rules.CAUSES),
        FieldSpec("extended_start_on", "DATE", "重新约定的动工日期"),
        FieldSpec("extended_completion_on", "DATE", "重新约定的竣工日期"),
        FieldSpec("document", "TEXT", "决定书文号"),
        FieldSpec("reason", "TEXT", "说明"),
    ),
    dates=("decided_on", "extended_start_on", "extended_completion_on"),
    links=(("supply", "supply"),),
    ordered_dates=(("extended_start_on", "extended_completion_on"),),
    checks=(_check_disposals,),
    description="征缴土地闲置费、无偿收回（第十四条），政府原因或不可抗力造成闲置的认定（第八条）及延长动工"
                "开发期限（第十二条）。",
))
