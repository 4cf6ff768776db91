"""Record kinds of the project families: sea use, redevelopment, consolidation, reclamation, expropriation.

As in the land-flow kinds, ``record_id`` is the ledger's own id (what links name) and the business
number (宗海批准文号 ``approval_no``, 项目编号 ``project_no``, 批次号 ``batch_no``, 方案编号 ``plan_no``…) is a
separate field, unique in its kind. Areas are never typed in: they come from the geometry in the
metric zone. Choice fields store an English value and accept its Chinese label
(``ledger.choice.<kind>.<field>.<value>`` in ``locale/ledger_projects.toml``). Rules that decide
status and progress are in :mod:`guotu.ledger.project_rules`; figures in
:mod:`guotu.ledger.figures_projects`. See docs/ledger.md.
"""

from __future__ import annotations

import datetime as dt
import importlib
import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import shapely

from guotu.core.codes import load_edition, parse_qualified
from guotu.core.crs import CGCS2000
from guotu.core.errors import CodeError, InputError
from guotu.core.geometry import to_metric
from guotu.ledger.model import REGISTRY, FieldSpec, Lookup, Record, RecordKind, register
from guotu.ledger.repository import choice_label
from guotu.ledger.rules import tolerance_m2

# --- constants ---------------------------------------------------------------------------------
SEA_EDITION = "ydyh-2023"
# 用地用海分类 (2023) first-level sea classes: 18 渔业用海 … 22 特殊用海 and 24 其他海域 (23 is 其他土地, land).
SEA_FIRST_LEVEL = ("18", "19", "20", "21", "22", "24")
SEA_MAX_TERM_YEARS = 50  # 《海域使用管理法》第二十五条: the longest term (港口、修造船厂等建设工程用海)
TERM_TOLERANCE_DAYS = 31  # term_years may differ from valid_from…valid_to by up to a month
QUALITY_GRADES = (1, 15)  # 耕地质量等别 (国家利用等), 1 best
# Spatial checks tolerate the larger of the policy's sliver area and this share of the area checked.

CONSOLIDATION_TARGETS = ("consolidation_project", "consolidation_subproject")
NEW_FARMLAND_CATEGORIES = ("new_farmland", "farmland_restoration")


def sea_use_codes() -> tuple[str, ...]:
    """Every sea-use class of ydyh-2023 (first level 18–22, 24 and their sub-classes), qualified."""
    table = load_edition(SEA_EDITION)
    out: list[str] = []
    for first in SEA_FIRST_LEVEL:
        out.append(table.by_code(first).qualified)
        out.extend(c.qualified for c in table.descendants(first))
    return tuple(out)


def sea_use_code(text: str) -> str:
    """The qualified sea-use code for ``ydyh-2023:2001``, ``2001`` or the class name ``港口用海``.

    >>> sea_use_code("港口用海"), sea_use_code("2003"), sea_use_code("ydyh-2023:24")
    ('ydyh-2023:2001', 'ydyh-2023:2003', 'ydyh-2023:24')
    """
    value = text.strip().replace("：", ":")
    table = load_edition(SEA_EDITION)
    if ":" not in value:
        found = table.get(value)
        if found is None:
            try:
                found = table.by_name(value)
            except CodeError:
                return value
        value = found.qualified
    return value


# --- helpers for checks ----------------------------------------------------------------------------
def _by_id(lookup: Lookup, kind: str) -> dict[str, Record]:
    return {r.id: r for r in lookup.records(kind)}


def _not_before(r: Record, field: str, other: Record, other_field: str) -> None:
    """Refuse ``r.field`` earlier than ``other.other_field`` (when both are set)."""
    mine, theirs = r.date(field), other.date(other_field)
    if mine is not None and theirs is not None and mine < theirs:
        raise InputError("ledger_projects.before_other", kind=r.kind, record=r.id, field=field, value=mine,
                         other_kind=other.kind, other=other.id, other_field=other_field, other_value=theirs)


def _metric(geom: Any, lookup: Lookup) -> Any:
    return to_metric(np.array([geom], dtype=object), CGCS2000, lookup.policy)[0]


def _check_inside(r: Record, geom: Any, container: Record, lookup: Lookup) -> None:
    """Refuse a geometry that reaches outside ``container``'s by more than the tolerance."""
    g, c = _metric(geom, lookup), _metric(container.geometry, lookup)
    outside = float(shapely.area(shapely.difference(g, c)))
    if outside > tolerance_m2(float(shapely.area(g)), lookup.policy.sliver_m2):
        raise InputError("ledger_projects.outside", kind=r.kind, record=r.id, area=f"{outside:.2f}",
                         other_kind=container.kind, other=container.id)


def _check_range(field: str, lo: float, hi: float) -> Callable[[Sequence[Record], Lookup], None]:
    def check(records: Sequence[Record], lookup: Lookup) -> None:
        for r in records:
            v = r.get(field)
            if v is not None and not lo <= float(v) <= hi:
                raise InputError("ledger_projects.out_of_range", kind=r.kind, record=r.id, field=field, value=v,
                                 lo=lo, hi=hi)
    return check


def _check_land_classes(*fields: str) -> Callable[[Sequence[Record], Lookup], None]:
    def check(records: Sequence[Record], lookup: Lookup) -> None:
        for r in records:
            for name in fields:
                v = r.get(name)
                if v is None:
                    continue
                try:
                    parse_qualified(str(v))
                except CodeError as exc:
                    raise InputError("ledger_projects.bad_land_class", kind=r.kind, record=r.id, field=name,
                                     value=v) from exc
    return check


def _check_snapshots(link: str, parent_kind: str, totals: Sequence[str]) -> Callable[[Sequence[Record], Lookup], None]:
    """Cumulative snapshots of one parent: one per day, and no total may decrease with time."""

    def check(records: Sequence[Record], lookup: Lookup) -> None:
        new = {r.id for r in records}
        every = lookup.records(records[0].kind)
        for parent in sorted({str(r.get(link)) for r in records}):
            mine = sorted((e for e in every if e.get(link) == parent), key=lambda e: (e.date("on") or dt.date.min))
            for a, b in itertools.pairwise(mine):
                if a.id not in new and b.id not in new:
                    continue  # both stored: checked when they were written
                named = b if b.id in new else a
                other = a if named is b else b
                if a.date("on") == b.date("on"):
                    raise InputError("ledger_projects.same_day", kind=named.kind, record=named.id,
                                     parent_kind=parent_kind, parent=parent, on=a.date("on"), other=other.id)
                for total in totals:
                    x, y = float(a.get(total) or 0), float(b.get(total) or 0)
                    if y < x:
                        raise InputError("ledger_projects.decreasing", kind=named.kind, record=named.id,
                                         other=other.id, field=total, earlier=a.id, earlier_on=a.date("on"),
                                         earlier_value=a.get(total), later=b.id, later_on=b.date("on"),
                                         later_value=b.get(total))
    return check


# --- sea use -------------------------------------------------------------------------------------------
def _check_sea_use(records: Sequence[Record], lookup: Lookup) -> None:
    codes = set(sea_use_codes())
    for r in records:
        code = str(r.get("use_code"))
        if code not in codes:
            suggestion = sea_use_code(code)
            raise InputError("ledger_projects.bad_sea_use", kind=r.kind, record=r.id, value=code,
                             suggestion=suggestion if suggestion in codes else f"{SEA_EDITION}:2001")
        start, end = r.date("valid_from"), r.date("valid_to")
        assert start is not None and end is not None  # required fields
        if end >= _add_years(start, SEA_MAX_TERM_YEARS):
            raise InputError("ledger_projects.sea_term_too_long", kind=r.kind, record=r.id, valid_from=start,
                             valid_to=end, years=SEA_MAX_TERM_YEARS)
        term = r.get("term_years")
        if term is not None:
            expected = _add_years(start, float(term)) - dt.timedelta(days=1)
            if abs((end - expected).days) > TERM_TOLERANCE_DAYS:
                raise InputError("ledger_projects.sea_term_mismatch", kind=r.kind, record=r.id, term=term,
                                 valid_from=start, valid_to=end, expected=expected)


def _add_years(day: dt.date, years: float) -> dt.date:
    """``day`` plus ``years`` (whole months of a fractional year); 29 Feb → 28 Feb when needed."""
    months = round(years * 12)
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(d, day.day))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


SEA_USE = register(RecordKind(
    kind="sea_use",
    label_zh="项目用海（宗海）审批",
    fields=(
        FieldSpec("approval_no", "TEXT", "宗海批准文号", required=True),
        FieldSpec("project", "TEXT", "项目名称", required=True),
        FieldSpec("applicant", "TEXT", "用海单位"),
        FieldSpec("use_code", "TEXT", "用海类型（用地用海分类2023，如 ydyh-2023:2001）", required=True),
        FieldSpec("approved_on", "DATE", "批准日期", required=True),
        FieldSpec("valid_from", "DATE", "用海起始日期", required=True),
        FieldSpec("valid_to", "DATE", "用海终止日期（最后有效日）", required=True),
        FieldSpec("term_years", "REAL", "用海期限（年）"),
        FieldSpec("fee_wan", "REAL", "海域使用金（万元）"),
        FieldSpec("town_code", "TEXT", "乡镇代码"),
    ),
    geometry="MULTIPOLYGON",
    dates=("approved_on", "valid_from", "valid_to"),
    unique=("approval_no",),
    ordered_dates=(("approved_on", "valid_from"), ("valid_from", "valid_to")),
    checks=(_check_sea_use,),
    description="宗海批准：用海类型按2023年用地用海分类（代码带版本），面积由宗海图形计算；宗海可在陆域界线之外。",
))


# --- redevelopment ------------------------------------------------------------------------------------
REDEVELOPMENT = register(RecordKind(
    kind="redevelopment",
    label_zh="低效用地再开发",
    fields=(
        FieldSpec("case_no", "TEXT", "案件编号", required=True),
        FieldSpec("name", "TEXT", "项目名称", required=True),
        FieldSpec("category", "TEXT", "类型", required=True, choices=("industrial", "urban", "village")),
        FieldSpec("town_code", "TEXT", "乡镇代码"),
        FieldSpec("started_on", "DATE", "开工日期", required=True),
        FieldSpec("due_on", "DATE", "计划完成日期"),
        FieldSpec("completed_on", "DATE", "完成日期"),
        FieldSpec("before_use", "TEXT", "改造前用途（带版本地类代码）"),
        FieldSpec("after_use", "TEXT", "改造后用途（带版本地类代码）"),
        FieldSpec("investment_wan", "REAL", "投资（万元）"),
    ),
    geometry="MULTIPOLYGON",
    dates=("started_on", "due_on", "completed_on"),
    unique=("case_no",),
    ordered_dates=(("started_on", "completed_on"), ("started_on", "due_on")),
    checks=(_check_land_classes("before_use", "after_use"),),
    description="低效用地再开发案件：工业、城镇、村庄低效用地；改造前后用途为带版本的地类代码。",
))


# --- consolidation --------------------------------------------------------------------------------------
CONSOLIDATION_PROJECT = register(RecordKind(
    kind="consolidation_project",
    label_zh="土地综合整治 / 永久基本农田集中连片整治项目",
    fields=(
        FieldSpec("project_no", "TEXT", "项目编号", required=True),
        FieldSpec("name", "TEXT", "项目名称", required=True),
        FieldSpec("category", "TEXT", "项目类型", required=True, choices=("comprehensive", "farmland_contiguity")),
        FieldSpec("town_code", "TEXT", "乡镇代码", required=True),
        FieldSpec("approved_on", "DATE", "立项日期", required=True),
        FieldSpec("started_on", "DATE", "开工日期"),
        FieldSpec("due_on", "DATE", "计划竣工日期"),
        FieldSpec("completed_on", "DATE", "竣工日期"),
        FieldSpec("planned_investment_wan", "REAL", "计划投资（万元）"),
        FieldSpec("target_new_farmland_mu", "REAL", "新增耕地目标（亩）"),
    ),
    geometry="MULTIPOLYGON",
    dates=("approved_on", "started_on", "due_on", "completed_on"),
    unique=("project_no",),
    ordered_dates=(("approved_on", "started_on"), ("approved_on", "due_on"), ("approved_on", "completed_on"),
                   ("started_on", "completed_on")),

    description="项目区范围为图形；验收见 acceptance，投资进度见 consolidation_progress。",
))


def _check_subproject(records: Sequence[Record], lookup: Lookup) -> None:
    projects = _by_id(lookup, "consolidation_project")
    for r in records:
        project = projects[str(r.get("project"))]  # the generic link check ran first
        _not_before(r, "completed_on", project, "approved_on")
        if r.geometry is not None:
            _check_inside(r, r.geometry, project, lookup)


CONSOLIDATION_SUBPROJECT = register(RecordKind(
    kind="consolidation_subproject",
    label_zh="土地综合整治子项目",
    fields=(
        FieldSpec("project", "TEXT", "所属项目编号", required=True),
        FieldSpec("name", "TEXT", "子项目名称", required=True),
        FieldSpec("category", "TEXT", "子项目类别", required=True,
                  choices=("farmland_consolidation", "construction_land_reclamation", "ecological_restoration",
                           "other")),
        FieldSpec("investment_wan", "REAL", "计划投资（万元）"),
        FieldSpec("completed_on", "DATE", "完成日期"),
    ),
    geometry="MULTIPOLYGON",
    geometry_required=False,
    dates=("completed_on",),
    links=(("project", "consolidation_project"),),
    checks=(_check_subproject,),
    description="子项目：范围图形可不填；填写时须在项目区内。",
))


def _check_progress(records: Sequence[Record], lookup: Lookup) -> None:
    projects = _by_id(lookup, "consolidation_project")
    for r in records:
        _not_before(r, "on", projects[str(r.get("project"))], "approved_on")


CONSOLIDATION_PROGRESS = register(RecordKind(
    kind="consolidation_progress",
    label_zh="土地综合整治投资进度",
    fields=(
        FieldSpec("project", "TEXT", "项目编号", required=True),
        FieldSpec("on", "DATE", "截至日期", required=True),
        FieldSpec("investment_done_wan", "REAL", "累计完成投资（万元）", required=True),
        FieldSpec("note", "TEXT", "说明"),
    ),
    dates=("on",),
    links=(("project", "consolidation_project"),),
    checks=(_check_progress, _check_snapshots("project", "consolidation_project", ("investment_done_wan",))),
    description="累计快照：截至某日的累计完成投资；同一项目每日至多一条，累计值不减。",
))


def _acceptance_target(r: Record, lookup: Lookup) -> Record:
    kind, target = str(r.get("target_kind")), str(r.get("target"))
    found = _by_id(lookup, kind).get(target)
    if found is None:
        raise InputError("ledger.unknown_link", kind=r.kind, record=r.id, field="target", value=target, target=kind)
    return found


def _check_acceptance(records: Sequence[Record], lookup: Lookup) -> None:
    projects = _by_id(lookup, "consolidation_project")
    for r in records:
        target = _acceptance_target(r, lookup)
        project = target if target.kind == "consolidation_project" else projects[str(target.get("project"))]
        _not_before(r, "accepted_on", project, "approved_on")
        if r.geometry is None:
            if target.geometry is None:
                raise InputError("ledger_projects.acceptance_without_area", kind=r.kind, record=r.id,
                                 target_kind=target.kind, target=target.id)
            continue
        container = target if target.geometry is not None else project
        _check_inside(r, r.geometry, container, lookup)


ACCEPTANCE = register(RecordKind(
    kind="acceptance",
    label_zh="整治项目验收",
    fields=(
        FieldSpec("target_kind", "TEXT", "验收对象类型", required=True, choices=CONSOLIDATION_TARGETS),
        FieldSpec("target", "TEXT", "验收对象编号", required=True),
        FieldSpec("accepted_on", "DATE", "验收日期", required=True),
        FieldSpec("level", "TEXT", "验收级别", required=True, choices=("county", "city", "province")),
        FieldSpec("result", "TEXT", "验收结论", required=True, choices=("passed", "failed")),
        FieldSpec("new_farmland_mu", "REAL", "验收确认新增耕地（亩）"),
        FieldSpec("note", "TEXT", "说明"),
    ),
    geometry="MULTIPOLYGON",
    geometry_required=False,
    dates=("accepted_on",),
    checks=(_check_acceptance,),
    description="验收范围为图形；不填时即验收对象（项目或子项目）的全部范围。验收日期不早于项目立项日期。",
))


# --- reclamation ----------------------------------------------------------------------------------------
def _check_reclamation(records: Sequence[Record], lookup: Lookup) -> None:
    for r in records:
        if r.date("accepted_on") is not None and r.date("completed_on") is None:
            raise InputError("ledger_projects.accepted_not_completed", kind=r.kind, record=r.id)
    every = lookup.records("reclamation")
    new = {r.id for r in records}
    geoms = to_metric(np.array([e.geometry for e in every], dtype=object), CGCS2000, lookup.policy)
    tree = shapely.STRtree(geoms)
    for i, e in enumerate(every):
        if e.id not in new:
            continue
        for j in tree.query(geoms[i], predicate="intersects").tolist():
            if j == i or (every[j].id in new and j > i):
                continue
            overlap = float(shapely.area(shapely.intersection(geoms[i], geoms[j])))
            smaller = min(float(shapely.area(geoms[i])), float(shapely.area(geoms[j])))
            if overlap > tolerance_m2(smaller, lookup.policy.sliver_m2):
                raise InputError("ledger_projects.reclamation_overlap", kind=e.kind, record=e.id, other=every[j].id,
                                 area=f"{overlap:.2f}")


RECLAMATION = register(RecordKind(
    kind="reclamation",
    label_zh="建设用地复垦 / 垦造耕地 / 耕地恢复项目",
    fields=(
        FieldSpec("project_no", "TEXT", "项目编号", required=True),
        FieldSpec("name", "TEXT", "项目名称", required=True),
        FieldSpec("category", "TEXT", "项目类型", required=True,
                  choices=("reclamation", "new_farmland", "farmland_restoration")),
        FieldSpec("town_code", "TEXT", "乡镇代码", required=True),
        FieldSpec("approved_on", "DATE", "立项日期", required=True),
        FieldSpec("started_on", "DATE", "开工日期"),
        FieldSpec("due_on", "DATE", "计划竣工日期"),
        FieldSpec("completed_on", "DATE", "竣工日期"),
        FieldSpec("accepted_on", "DATE", "验收日期"),
        FieldSpec("quality_grade", "INTEGER", "耕地质量等别（1–15）"),
        FieldSpec("investment_wan", "REAL", "投资（万元）"),
    ),
    geometry="MULTIPOLYGON",
    dates=("approved_on", "started_on", "due_on", "completed_on", "accepted_on"),
    unique=("project_no",),
    ordered_dates=(("approved_on", "started_on"), ("approved_on", "due_on"), ("approved_on", "completed_on"),
                   ("started_on", "completed_on"), ("completed_on", "accepted_on"), ("approved_on", "accepted_on")),
    checks=(_check_range("quality_grade", *QUALITY_GRADES), _check_reclamation),
    description="图形为新增（恢复）耕地范围；面积只在验收日期所在期间计一次，同一地块不得重复立项。",
))


# --- expropriation and resettlement ---------------------------------------------------------------------
def _landflow_batch_kind() -> str | None:
    """``batch`` when the land-flow kinds declare it (then expropriation batches link to it)."""
    try:
        importlib.import_module("guotu.ledger.kinds.landflow")
    except ModuleNotFoundError as exc:
        if exc.name != "guotu.ledger.kinds.landflow":
            raise
    return "batch" if "batch" in REGISTRY else None


LANDFLOW_BATCH = _landflow_batch_kind()


BLOCK_DEVELOPMENT_PLAN = register(RecordKind(
    kind="block_development_plan",
    label_zh="土地征收成片开发方案",
    fields=(
        FieldSpec("plan_no", "TEXT", "方案编号", required=True),
        FieldSpec("name", "TEXT", "方案名称", required=True),
        FieldSpec("approved_on", "DATE", "批准日期", required=True),
        FieldSpec("authority", "TEXT", "批准机关"),
        FieldSpec("town_code", "TEXT", "乡镇代码"),
        FieldSpec("public_interest_percent", "REAL", "公益性用地比例（%）", required=True),
        FieldSpec("expected_completion", "DATE", "预计完成日期"),
    ),
    geometry="MULTIPOLYGON",
    dates=("approved_on", "expected_completion"),
    unique=("plan_no",),
    ordered_dates=(("approved_on", "expected_completion"),),
    checks=(_check_range("public_interest_percent", 0, 100),),
    description="成片开发范围为图形；公益性用地比例按《土地征收成片开发标准》一般不低于40%（见规则）。",
))


def _check_expropriation(records: Sequence[Record], lookup: Lookup) -> None:
    plans = _by_id(lookup, "block_development_plan")
    for r in records:
        if r.geometry is None and (LANDFLOW_BATCH is None or r.get("landflow_batch") is None):
            raise InputError("ledger_projects.expropriation_without_parcels", kind=r.kind, record=r.id)
        linked = r.get("landflow_batch")
        if LANDFLOW_BATCH is not None and linked is not None:
            batch = _by_id(lookup, LANDFLOW_BATCH)[str(linked)]  # the generic link check ran first
            kind_of_batch = batch.get("batch_type")
            if kind_of_batch is not None and "expropriation" not in str(kind_of_batch):
                raise InputError("ledger_projects.batch_not_expropriation", kind=r.kind, record=r.id, batch=linked,
                                 batch_type=choice_label(LANDFLOW_BATCH, "batch_type", kind_of_batch))
        plan = r.get("block_plan")
        if plan is not None:
            _not_before(r, "approved_on", plans[str(plan)], "approved_on")


EXPROPRIATION_BATCH = register(RecordKind(
    kind="expropriation_batch",
    label_zh="土地征收批次",
    fields=(
        FieldSpec("batch_no", "TEXT", "征收批次编号", required=True),
        FieldSpec("name", "TEXT", "批次名称"),
        FieldSpec("approved_on", "DATE", "批准日期", required=True),
        FieldSpec("authority", "TEXT", "批准机关", required=True, choices=("state_council", "province")),
        FieldSpec("approval_doc", "TEXT", "批准文号"),
        FieldSpec("town_code", "TEXT", "乡镇代码"),
        FieldSpec("landflow_batch", "TEXT", "农转用征收批次编号" if LANDFLOW_BATCH else "农转用征收批次（文字）"),
        FieldSpec("block_plan", "TEXT", "所属成片开发方案编号"),
    ),
    geometry="MULTIPOLYGON",
    geometry_required=False,
    dates=("approved_on",),
    unique=("batch_no",),
    links=(*((("landflow_batch", LANDFLOW_BATCH),) if LANDFLOW_BATCH else ()),
           ("block_plan", "block_development_plan")),
    checks=(_check_expropriation,),
    description="征收地块为图形；无图形时须关联农转用征收批次（面积取该批次图形）。",
))


def _check_resettlement_plan(records: Sequence[Record], lookup: Lookup) -> None:
    for r in records:
        persons, households = r.get("persons"), r.get("households")
        if persons is not None and households is not None and persons < households:
            raise InputError("ledger_projects.persons_below_households", kind=r.kind, record=r.id, persons=persons,
                             households=households)


RESETTLEMENT_PLAN = register(RecordKind(
    kind="resettlement_plan",
    label_zh="征地补偿安置方案",
    fields=(
        FieldSpec("plan_no", "TEXT", "安置方案编号", required=True),
        FieldSpec("batch", "TEXT", "征收批次编号", required=True),
        FieldSpec("announced_on", "DATE", "公告日期", required=True),
        FieldSpec("households", "INTEGER", "涉及户数", required=True),
        FieldSpec("persons", "INTEGER", "涉及人数"),
        FieldSpec("compensation_wan", "REAL", "补偿总额（万元）", required=True),
    ),
    dates=("announced_on",),
    unique=("plan_no",),
    links=(("batch", "expropriation_batch"),),
    checks=(_check_resettlement_plan,),
    description="进度见 resettlement_progress（累计签约户数、累计支付补偿款）。",
))


def _check_resettlement_progress(records: Sequence[Record], lookup: Lookup) -> None:
    plans = _by_id(lookup, "resettlement_plan")
    for r in records:
        plan = plans[str(r.get("plan"))]
        _not_before(r, "on", plan, "announced_on")
        for field, total in (("households_signed", "households"), ("compensation_paid_wan", "compensation_wan")):
            v, whole = r.get(field), plan.get(total)
            if v is not None and whole is not None and float(v) > float(whole):
                raise InputError("ledger_projects.exceeds_plan", kind=r.kind, record=r.id, field=field, value=v,
                                 plan=plan.id, total_field=total, total=whole)


RESETTLEMENT_PROGRESS = register(RecordKind(
    kind="resettlement_progress",
    label_zh="征地补偿安置进度",
    fields=(
        FieldSpec("plan", "TEXT", "安置方案编号", required=True),
        FieldSpec("on", "DATE", "截至日期", required=True),
        FieldSpec("households_signed", "INTEGER", "累计签约户数", required=True),
        FieldSpec("compensation_paid_wan", "REAL", "累计支付补偿款（万元）", required=True),
        FieldSpec("note", "TEXT", "说明"),
    ),
    dates=("on",),
    links=(("plan", "resettlement_plan"),),
    checks=(_check_resettlement_progress,
            _check_snapshots("plan", "resettlement_plan", ("households_signed", "compensation_paid_wan"))),
    description="累计快照：截至某日的累计签约户数与累计支付补偿款；不超过方案总数，累计值不减。",
))

PROJECT_KINDS = ("sea_use", "redevelopment", "consolidation_project", "consolidation_subproject",
                 "consolidation_progress", "acceptance", "reclamation", "block_development_plan",
                 "expropriation_batch", "resettlement_plan", "resettlement_progress")
