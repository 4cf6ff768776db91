"""Pure decisions of the land flow (quota → approval → supply → unsupplied → idle): no store, no clock.

Idle land follows 《闲置土地处置办法》(国土资源部令第53号, 2012):

* 第二条: land is idle when, a full year after the agreed start date (动工开发日期) of the sale contract or
  allocation decision, it has not been started; land that was started but whose developed area is
  less than 1/3 of the total or whose investment is less than 25 % of the total investment, and whose
  development has stopped for a full year, may also be found idle.
* 第八条: delays caused by the government or its departments, and force majeure, are handled under
  第十二条 (extension of the start date and other negotiated remedies), not by fee or recovery.
* 第十二条: after an extension (延长动工开发期限) the start date is counted afresh from the new date.
* 第十四条: idle (not started a full year) → an idle fee of 20 % of the land price (sale or allocation
  price); not started a full two years → recovery without compensation (无偿收回).

**How a year is counted** (民法典 第二百零一条、第二百零二条, as courts count 满一年): the period starts
the day after the reference date and ends at the end of its anniversary (the same month and day a year
later; 29 February → 28 February in a year without one). So the period is full from the day after the
anniversary: with an agreed start date of 2023-03-01 the land is *not* idle on 2024-03-01 (exactly one
year) and idle from 2024-03-02. Two years: recovery is due from 2025-03-02. A start (or any event) dated
D counts as having happened on D.

**Thresholds** are strict, as the regulation says 不足: developed area < 1/3 of the total (exactly 1/3 is
not under) and investment < 25 % of the planned total (exactly 25 % is not under), compared exactly
(3 × developed < total, 4 × invested < planned). Either shortfall suffices. A developed area or an
investment never reported counts as 0; the investment test is skipped when the contract states no
planned investment.

**Events** (progress records) are cumulative snapshots: ``developed_area_m2`` and ``investment_wan`` are
totals reached by the event's date. Work began with the first ``started``, ``stopped``, ``resumed`` or
``completed`` event (``developed``, ``invested`` and ``inspected`` only report figures). Development is
stopped on D when the latest of ``started``/``stopped``/``resumed`` on or before D is ``stopped``.

**Disposals** (idle_disposal records) take effect on their decision date: ``recovery`` ends the
contract; ``extension`` replaces the start date (and the completion date when given) from its decision
date on; ``exception`` (cause: government or force majeure, 第八条) covers the current idle episode when
decided on or after the episode began — at signing for land not started, at the latest extension's
decision when one restarted the clock, at the stop for stopped land — so that land is ``exempt``: idle
in fact, but not subject to fee or recovery. A later episode (a stop, or an extension restarting the
clock, after the exception was decided) is not covered.

**Contract supervision** (履约监管): completion is due on the agreed (or extended) completion date; on
that day it is still due (``due_soon`` when within N days, N = 0 included), overdue from the next day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

# Thresholds of 第二条 as exact fractions (numerator, denominator): under when share < n/d.
AREA_SHARE = (1, 3)
INVESTMENT_SHARE = (1, 4)
IDLE_FEE_SHARE = 0.20  # 第十四条(一): 20 % of the land price
# Tolerance of spatial checks: the larger of the policy's sliver area and this share of the area checked.
TOLERANCE_SHARE = 0.001

EVENTS = ("started", "developed", "invested", "completed", "inspected", "stopped", "resumed")
START_EVENTS = frozenset({"started", "stopped", "resumed", "completed"})
RUN_EVENTS = frozenset({"started", "stopped", "resumed"})
ACTIONS = ("fee", "recovery", "extension", "exception")
CAUSES = ("government", "force_majeure")

IdleState = Literal["not_started", "started", "stopped", "completed", "idle", "exempt", "recovered"]
IDLE_STATES: tuple[IdleState, ...] = ("not_started", "started", "stopped", "completed", "idle", "exempt",
                                      "recovered")
SupervisionState = Literal["on_track", "due_soon", "overdue", "completed_on_time", "completed_late", "recovered"]
SUPERVISION_STATES: tuple[SupervisionState, ...] = ("on_track", "due_soon", "overdue", "completed_on_time",
                                                    "completed_late", "recovered")


# --- counting years ----------------------------------------------------------------------------
def anniversary(day: dt.date, years: int) -> dt.date:
    """The same month and day ``years`` later; 29 February becomes 28 February when there is none.

    >>> anniversary(dt.date(2023, 3, 1), 1)
    datetime.date(2024, 3, 1)
    >>> anniversary(dt.date(2024, 2, 29), 1)
    datetime.date(2025, 2, 28)
    """
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year: the last day of the month
        return day.replace(year=day.year + years, day=28)


def years_full(start: dt.date, years: int, on: dt.date) -> bool:
    """Whether ``years`` full years counted from ``start`` have passed on ``on`` (from the day after
    the anniversary; see the module notes).

    >>> s = dt.date(2023, 3, 1)
    >>> [years_full(s, 1, dt.date(2024, 3, d)) for d in (1, 2)]   # exactly one year, then the day after
    [False, True]
    """
    return on > anniversary(start, years)


def first_day_after(start: dt.date, years: int) -> dt.date:
    """The first day on which ``years`` full years from ``start`` have passed.

    >>> first_day_after(dt.date(2023, 3, 1), 2)
    datetime.date(2025, 3, 2)
    """
    return anniversary(start, years) + dt.timedelta(days=1)


# --- the facts the rules read ------------------------------------------------------------------
@dataclass(frozen=True)
class Contract:
    """The dates and amounts of a supply (sale contract or allocation decision) the rules need."""

    signed_on: dt.date
    agreed_start_on: dt.date
    agreed_completion_on: dt.date
    area_m2: float
    price_wan: float | None = None
    planned_investment_wan: float | None = None


@dataclass(frozen=True)
class Event:
    """A progress record: what happened on a date, with cumulative developed area and investment."""

    on: dt.date
    event: str
    developed_area_m2: float | None = None
    investment_wan: float | None = None


@dataclass(frozen=True)
class Disposal:
    """An idle-land disposal decision (idle_disposal record)."""

    decided_on: dt.date
    action: str
    cause: str | None = None
    extended_start_on: dt.date | None = None
    extended_completion_on: dt.date | None = None
    fee_wan: float | None = None


@dataclass(frozen=True)
class IdleStatus:
    """The idle-land status of a supply on a date.

    ``basis`` says which clause applies (``unstarted``: not started; ``stopped``: started, under the
    thresholds and stopped), ``reference_on`` is the date the one-year clock runs from (the effective
    agreed start date, or the stop date), ``idle_since`` the first idle day, ``due`` the disposal the
    regulation leads to (``fee`` after one full year, ``recovery`` after two), ``fee_wan`` 20 % of the
    price when a fee or recovery is due and the price is known, ``since`` the date of the state for
    ``completed``/``recovered``.
    """

    state: IdleState
    basis: Literal["unstarted", "stopped"] | None = None
    reference_on: dt.date | None = None
    idle_since: dt.date | None = None
    due: Literal["fee", "recovery"] | None = None
    fee_wan: float | None = None
    since: dt.date | None = None

    @property
    def is_idle(self) -> bool:
        """Idle land to be disposed of (exempt land is idle in fact but not counted here)."""
        return self.state == "idle"


@dataclass(frozen=True)
class Supervision:
    """Contract supervision (履约监管) of a supply on a date: is completion due, overdue, done?"""

    state: SupervisionState
    due_on: dt.date
    completed_on: dt.date | None = None
    days_left: int | None = None  # due_on − date; negative when overdue


# --- idle land ---------------------------------------------------------------------------------
def _effective(disposals: Iterable[Disposal], on: dt.date) -> list[Disposal]:
    return sorted((d for d in disposals if d.decided_on <= on), key=lambda d: d.decided_on)


def _events(events: Iterable[Event], on: dt.date) -> list[Event]:
    return sorted((e for e in events if e.on <= on), key=lambda e: e.on)  # stable: same-day order kept


def _latest_extension(disposals_now: Sequence[Disposal]) -> Disposal | None:
    extensions = [d for d in disposals_now if d.action == "extension" and d.extended_start_on is not None]
    return extensions[-1] if extensions else None


def effective_start(contract: Contract, disposals: Sequence[Disposal], on: dt.date) -> dt.date:
    """The agreed start date on ``on``: the latest extension's new start date decided by then, else the
    contract's (第十二条: counted afresh from the new date)."""
    extension = _latest_extension(_effective(disposals, on))
    return contract.agreed_start_on if extension is None else extension.extended_start_on or contract.agreed_start_on


def effective_completion(contract: Contract, disposals: Sequence[Disposal], on: dt.date) -> dt.date:
    """The agreed completion date on ``on`` (an extension's new completion date replaces it)."""
    due = contract.agreed_completion_on
    for d in _effective(disposals, on):
        if d.action == "extension" and d.extended_completion_on is not None:
            due = d.extended_completion_on
    return due


def under_developed(total_area_m2: float, developed_area_m2: float | None, planned_investment_wan: float | None,
                    investment_wan: float | None) -> bool:
    """第二条: developed area under 1/3 of the total, or investment under 25 % of the planned total.

    Exactly 1/3 and exactly 25 % are not under; an unreported figure counts as 0; without a planned
    investment only the area test applies.

    >>> under_developed(300.0, 100.0, 1000.0, 250.0)   # exactly 1/3 and exactly 25 %
    False
    >>> under_developed(300.0, 99.99, 1000.0, 250.0), under_developed(300.0, 100.0, 1000.0, 249.99)
    (True, True)
    >>> under_developed(300.0, 100.0, None, None)
    False
    """
    n, d = AREA_SHARE
    if d * (developed_area_m2 or 0.0) < n * total_area_m2:
        return True
    if planned_investment_wan is None or planned_investment_wan <= 0:
        return False
    n, d = INVESTMENT_SHARE
    return d * (investment_wan or 0.0) < n * planned_investment_wan


def idle_fee_wan(price_wan: float | None) -> float | None:
    """The idle fee of 第十四条(一): 20 % of the sale or allocation price (None when the price is unknown).

    >>> idle_fee_wan(1000.0)
    200.0
    """
    return None if price_wan is None else price_wan * IDLE_FEE_SHARE


def idle_status(contract: Contract, events: Sequence[Event], disposals: Sequence[Disposal],
                on: dt.date) -> IdleStatus:
    """The idle-land status of a supply on ``on`` (see the module notes for every convention).

    >>> c = Contract(dt.date(2022, 12, 1), dt.date(2023, 3, 1), dt.date(2025, 3, 1), 10000.0, price_wan=1000.0)
    >>> idle_status(c, [], [], dt.date(2024, 3, 1)).state          # exactly one year: not yet idle
    'not_started'
    >>> s = idle_status(c, [], [], dt.date(2024, 3, 2)); (s.state, s.due, s.idle_since, s.fee_wan)
    ('idle', 'fee', datetime.date(2024, 3, 2), 200.0)
    >>> idle_status(c, [], [], dt.date(2025, 3, 2)).due            # two full years: recovery
    'recovery'
    """
    disposals_now = _effective(disposals, on)
    recovered = next((d for d in disposals_now if d.action == "recovery"), None)
    if recovered is not None:
        return IdleStatus("recovered", since=recovered.decided_on)
    history = _events(events, on)
    completed = next((e for e in history if e.event == "completed"), None)
    if completed is not None:
        return IdleStatus("completed", since=completed.on)
    extension = _latest_extension(disposals_now)
    start = contract.agreed_start_on if extension is None else extension.extended_start_on or contract.agreed_start_on
    # An episode begins at signing (or at the extension that restarted the clock), or at the stop.
    episode = contract.signed_on if extension is None else extension.decided_on
    started = any(e.event in START_EVENTS for e in history)
    basis: Literal["unstarted", "stopped"]
    if not started:
        basis, reference = "unstarted", start
    else:
        running = [e for e in history if e.event in RUN_EVENTS]
        if not running or running[-1].event != "stopped":
            return IdleStatus("started")
        stopped_on = running[-1].on
        developed = next((e.developed_area_m2 for e in reversed(history) if e.developed_area_m2 is not None), None)
        invested = next((e.investment_wan for e in reversed(history) if e.investment_wan is not None), None)
        if not under_developed(contract.area_m2, developed, contract.planned_investment_wan, invested):
            return IdleStatus("stopped", reference_on=stopped_on)
        basis, reference, episode = "stopped", max(stopped_on, start), max(stopped_on, episode)
    if not years_full(reference, 1, on):
        return IdleStatus("stopped" if started else "not_started", reference_on=reference)
    since = first_day_after(reference, 1)
    if any(d.action == "exception" and episode <= d.decided_on for d in disposals_now):
        return IdleStatus("exempt", basis, reference, since)
    due: Literal["fee", "recovery"] = "recovery" if years_full(reference, 2, on) else "fee"
    return IdleStatus("idle", basis, reference, since, due, idle_fee_wan(contract.price_wan))


def supervision(contract: Contract, events: Sequence[Event], disposals: Sequence[Disposal], on: dt.date,
                within_days: int = 90) -> Supervision:
    """Completion supervision on ``on``: ``due_soon`` when 0 ≤ days left ≤ ``within_days``, ``overdue``
    from the day after the due date, ``completed_on_time``/``completed_late`` once a ``completed``
    event is dated on or before ``on``.

    >>> c = Contract(dt.date(2022, 1, 1), dt.date(2022, 6, 1), dt.date(2024, 6, 30), 1.0)
    >>> [supervision(c, [], [], d, 30).state for d in (dt.date(2024, 5, 31), dt.date(2024, 6, 30), dt.date(2024, 7, 1))]
    ['due_soon', 'due_soon', 'overdue']
    """
    disposals_now = _effective(disposals, on)
    due = effective_completion(contract, disposals_now, on)
    recovered = next((d for d in disposals_now if d.action == "recovery"), None)
    completed = next((e for e in _events(events, on) if e.event == "completed"), None)
    if completed is not None:
        state: SupervisionState = "completed_on_time" if completed.on <= due else "completed_late"
        return Supervision(state, due, completed.on)
    if recovered is not None:
        return Supervision("recovered", due)
    left = (due - on).days
    if left < 0:
        return Supervision("overdue", due, days_left=left)
    return Supervision("due_soon" if left <= within_days else "on_track", due, days_left=left)


# --- areas and balances ------------------------------------------------------------------------
def tolerance_m2(area_m2: float, sliver_m2: float = 1.0, share: float = TOLERANCE_SHARE) -> float:
    """The area a spatial check lets pass: the larger of the sliver area and 0.1 % of the area checked.

    >>> tolerance_m2(500.0), tolerance_m2(50000.0)
    (1.0, 50.0)
    """
    return max(sliver_m2, share * area_m2)


def unsupplied_m2(approved_m2: float, supplied_m2: float) -> float:
    """Approved but unsupplied area (批而未供): approved − supplied, never below 0.

    >>> unsupplied_m2(1000.0, 400.0), unsupplied_m2(1000.0, 1000.0000001)
    (600.0, 0.0)
    """
    return max(0.0, approved_m2 - supplied_m2)


def supply_rate(supplied_m2: float, approved_m2: float) -> float | None:
    """供地率 = supplied ÷ approved (a ratio, not a percentage); None when nothing was approved.

    >>> supply_rate(750.0, 1000.0), supply_rate(0.0, 0.0)
    (0.75, None)
    """
    return None if approved_m2 <= 0 else supplied_m2 / approved_m2


# A quota allocation may exceed the balance by this much (mu) without counting as an overdraw
# (floating-point noise far below the 4 decimals mu are reported with).
QUOTA_EPSILON_MU = 1e-6


def quota_balance(received_mu: float, allocated_mu: Iterable[float]) -> float:
    """Quota balance (指标结余) = received − allocated.

    >>> quota_balance(100.0, [30.0, 45.5])
    24.5
    """
    return received_mu - sum(allocated_mu)


def overdraws(balance_mu: float, asked_mu: float) -> bool:
    """Whether allocating ``asked_mu`` from a quota with ``balance_mu`` left would overdraw it.

    >>> overdraws(10.0, 10.0), overdraws(10.0, 10.0001)
    (False, True)
    """
    return asked_mu > balance_mu + QUOTA_EPSILON_MU
