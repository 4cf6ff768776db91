"""The pure land-flow rules at their edges (no store): idle land, disposal, supervision, areas, quotas."""

from __future__ import annotations

import datetime as dt

import pytest

from guotu.ledger.rules import (
    Contract,
    Disposal,
    Event,
    anniversary,
    effective_start,
    first_day_after,
    idle_fee_wan,
    idle_status,
    overdraws,
    quota_balance,
    supervision,
    supply_rate,
    tolerance_m2,
    under_developed,
    unsupplied_m2,
    years_full,
)

D = dt.date
START = D(2023, 3, 1)
CONTRACT = Contract(signed_on=D(2022, 12, 1), agreed_start_on=START, agreed_completion_on=D(2025, 3, 1),
                    area_m2=30000.0, price_wan=1000.0, planned_investment_wan=8000.0)


def status(on: dt.date, events: list[Event] | None = None, disposals: list[Disposal] | None = None,
           contract: Contract = CONTRACT) -> str:
    return idle_status(contract, events or [], disposals or [], on).state


# --- counting a year -----------------------------------------------------------------------------
def test_a_year_is_full_the_day_after_its_anniversary() -> None:
    assert anniversary(START, 1) == D(2024, 3, 1)
    assert not years_full(START, 1, D(2024, 2, 29))  # one day before the anniversary
    assert not years_full(START, 1, D(2024, 3, 1))  # exactly one year
    assert years_full(START, 1, D(2024, 3, 2))  # the day after
    assert first_day_after(START, 1) == D(2024, 3, 2)


def test_29_february_has_its_anniversary_on_28_february() -> None:
    assert anniversary(D(2024, 2, 29), 1) == D(2025, 2, 28)
    assert not years_full(D(2024, 2, 29), 1, D(2025, 2, 28))
    assert years_full(D(2024, 2, 29), 1, D(2025, 3, 1))
    assert anniversary(D(2024, 2, 29), 4) == D(2028, 2, 29)


# --- land not started ----------------------------------------------------------------------------
def test_not_started_land_is_idle_from_the_day_after_one_full_year() -> None:
    assert status(D(2024, 2, 29)) == "not_started"  # one day before the anniversary
    assert status(D(2024, 3, 1)) == "not_started"  # exactly one year: not yet idle
    s = idle_status(CONTRACT, [], [], D(2024, 3, 2))  # the day after
    assert (s.state, s.basis, s.reference_on, s.idle_since, s.due) == ("idle", "unstarted", START, D(2024, 3, 2), "fee")
    assert s.fee_wan == pytest.approx(200.0)  # 20 % of the 1000 万元 price
    assert s.is_idle


def test_recovery_is_due_from_the_day_after_two_full_years() -> None:
    assert idle_status(CONTRACT, [], [], D(2025, 3, 1)).due == "fee"  # exactly two years
    assert idle_status(CONTRACT, [], [], D(2025, 3, 2)).due == "recovery"


def test_a_start_on_the_anniversary_itself_is_in_time() -> None:
    started = [Event(D(2024, 3, 1), "started")]
    assert status(D(2024, 3, 2), started) == "started"
    late = [Event(D(2024, 3, 2), "started")]
    assert status(D(2024, 3, 2), late) == "started"  # started on that day: no longer idle on it
    assert status(D(2024, 3, 1), late) == "not_started"


def test_idleness_before_the_start_is_judged_on_the_date_asked() -> None:
    # Started in 2024-06: on 2024-04-01 (before the start event) the land was idle.
    events = [Event(D(2024, 6, 1), "started")]
    assert status(D(2024, 4, 1), events) == "idle"
    assert status(D(2024, 6, 1), events) == "started"


def test_measurements_alone_do_not_count_as_a_start() -> None:
    events = [Event(D(2023, 6, 1), "inspected"), Event(D(2023, 7, 1), "invested", investment_wan=100.0)]
    assert status(D(2024, 3, 2), events) == "idle"


def test_idle_fee_is_twenty_percent_of_the_price() -> None:
    assert idle_fee_wan(1234.5) == pytest.approx(246.9)
    assert idle_fee_wan(None) is None
    no_price = Contract(D(2022, 12, 1), START, D(2025, 3, 1), 1.0)
    assert idle_status(no_price, [], [], D(2024, 3, 2)).fee_wan is None


# --- started, under-developed and stopped -------------------------------------------------------
def test_thresholds_are_strict_exactly_one_third_and_exactly_25_percent_are_not_under() -> None:
    assert not under_developed(30000.0, 10000.0, 8000.0, 2000.0)  # exactly 1/3 and exactly 25 %
    assert under_developed(30000.0, 9999.99, 8000.0, 2000.0)  # just under 1/3
    assert under_developed(30000.0, 10000.0, 8000.0, 1999.99)  # just under 25 %
    assert not under_developed(30000.0, 10000.0, None, None)  # no planned investment: area test only
    assert under_developed(30000.0, None, None, None)  # nothing reported counts as 0


def stopped_events(developed: float, invested: float) -> list[Event]:
    return [Event(D(2023, 4, 1), "started"),
            Event(D(2023, 9, 1), "developed", developed_area_m2=developed, investment_wan=invested),
            Event(D(2023, 10, 1), "stopped")]


def test_stopped_under_developed_land_is_idle_one_full_year_after_the_stop() -> None:
    events = stopped_events(9999.0, 5000.0)  # under 1/3 of 30 000 m²
    assert status(D(2024, 9, 30), events) == "stopped"
    assert status(D(2024, 10, 1), events) == "stopped"  # exactly one year after the stop
    s = idle_status(CONTRACT, events, [], D(2024, 10, 2))
    assert (s.state, s.basis, s.reference_on, s.idle_since, s.due) == ("idle", "stopped", D(2023, 10, 1),
                                                                        D(2024, 10, 2), "fee")
    assert idle_status(CONTRACT, events, [], D(2025, 10, 2)).due == "recovery"


def test_stopped_land_developed_exactly_at_the_thresholds_is_never_idle() -> None:
    events = stopped_events(10000.0, 2000.0)  # exactly 1/3 of the area and exactly 25 % of 8000 万元
    assert status(D(2026, 1, 1), events) == "stopped"


def test_stopped_land_under_the_investment_threshold_alone_is_idle() -> None:
    events = stopped_events(20000.0, 1999.0)
    assert status(D(2024, 10, 2), events) == "idle"


def test_resuming_ends_the_stop_and_a_new_stop_restarts_the_year() -> None:
    events = [*stopped_events(5000.0, 100.0), Event(D(2024, 5, 1), "resumed"), Event(D(2024, 6, 1), "stopped")]
    assert status(D(2024, 10, 2), events) == "stopped"  # the year runs from the second stop
    assert status(D(2025, 6, 1), events) == "stopped"
    assert status(D(2025, 6, 2), events) == "idle"


def test_completed_land_is_never_idle() -> None:
    events = [*stopped_events(5000.0, 100.0), Event(D(2024, 1, 1), "completed")]
    s = idle_status(CONTRACT, events, [], D(2026, 1, 1))
    assert (s.state, s.since) == ("completed", D(2024, 1, 1))


# --- disposals -----------------------------------------------------------------------------------
def test_recovery_ends_the_idle_status_from_its_decision_date() -> None:
    recovery = [Disposal(D(2025, 4, 1), "recovery")]
    assert status(D(2025, 3, 31), disposals=recovery) == "idle"
    s = idle_status(CONTRACT, [], recovery, D(2025, 4, 1))
    assert (s.state, s.since) == ("recovered", D(2025, 4, 1))


def test_an_idle_fee_does_not_end_idleness() -> None:
    assert status(D(2024, 6, 1), disposals=[Disposal(D(2024, 5, 1), "fee", fee_wan=200.0)]) == "idle"


def test_an_exception_for_government_causes_exempts_the_current_episode() -> None:
    exception = [Disposal(D(2024, 4, 1), "exception", cause="government")]
    assert status(D(2024, 3, 31), disposals=exception) == "idle"  # before the decision
    s = idle_status(CONTRACT, [], exception, D(2024, 4, 1))
    assert (s.state, s.due, s.idle_since) == ("exempt", None, D(2024, 3, 2))
    assert not s.is_idle
    # Decided before the land was idle (the government had not delivered it): covers it too.
    early = [Disposal(D(2023, 1, 10), "exception", cause="force_majeure")]
    assert status(D(2024, 6, 1), disposals=early) == "exempt"


def test_an_exception_does_not_cover_a_later_stop() -> None:
    events = stopped_events(5000.0, 100.0)  # stopped 2023-10-01
    before_stop = [Disposal(D(2023, 9, 1), "exception", cause="government")]
    assert status(D(2024, 10, 2), events, before_stop) == "idle"
    after_stop = [Disposal(D(2023, 10, 1), "exception", cause="government")]  # on the stop date
    assert status(D(2024, 10, 2), events, after_stop) == "exempt"


def test_an_extension_restarts_the_clock_from_the_new_start_date() -> None:
    extension = [Disposal(D(2024, 5, 1), "extension", cause="government", extended_start_on=D(2024, 9, 1),
                          extended_completion_on=D(2026, 9, 1))]
    assert effective_start(CONTRACT, extension, D(2024, 4, 30)) == START
    assert effective_start(CONTRACT, extension, D(2024, 5, 1)) == D(2024, 9, 1)
    assert status(D(2024, 4, 30), disposals=extension) == "idle"
    assert status(D(2024, 5, 1), disposals=extension) == "not_started"
    assert status(D(2025, 9, 1), disposals=extension) == "not_started"  # exactly one year after the new start
    assert status(D(2025, 9, 2), disposals=extension) == "idle"
    # An exception decided before the extension does not cover the new episode.
    both = [Disposal(D(2024, 4, 1), "exception", cause="government"), *extension]
    assert status(D(2025, 9, 2), disposals=both) == "idle"


def test_disposals_decided_after_the_date_asked_do_not_count() -> None:
    assert status(D(2024, 6, 1), disposals=[Disposal(D(2024, 6, 2), "recovery")]) == "idle"


# --- contract supervision ------------------------------------------------------------------------
DUE = CONTRACT.agreed_completion_on  # 2025-03-01


def test_completion_is_overdue_from_the_day_after_the_due_date() -> None:
    assert supervision(CONTRACT, [], [], D(2025, 2, 28), 30).state == "due_soon"
    on_due = supervision(CONTRACT, [], [], DUE, 30)
    assert (on_due.state, on_due.days_left) == ("due_soon", 0)
    late = supervision(CONTRACT, [], [], D(2025, 3, 2), 30)
    assert (late.state, late.days_left) == ("overdue", -1)


def test_due_soon_window_includes_its_last_day() -> None:
    assert supervision(CONTRACT, [], [], DUE - dt.timedelta(days=30), 30).state == "due_soon"
    assert supervision(CONTRACT, [], [], DUE - dt.timedelta(days=31), 30).state == "on_track"


def test_completion_on_the_due_date_is_on_time() -> None:
    assert supervision(CONTRACT, [Event(DUE, "completed")], [], D(2026, 1, 1)).state == "completed_on_time"
    late = supervision(CONTRACT, [Event(DUE + dt.timedelta(days=1), "completed")], [], D(2026, 1, 1))
    assert (late.state, late.completed_on) == ("completed_late", D(2025, 3, 2))


def test_an_extension_moves_the_completion_date_and_recovery_ends_supervision() -> None:
    extension = [Disposal(D(2024, 5, 1), "extension", cause="government", extended_start_on=D(2024, 9, 1),
                          extended_completion_on=D(2026, 9, 1))]
    assert supervision(CONTRACT, [], extension, D(2025, 6, 1)).state == "on_track"
    assert supervision(CONTRACT, [], [Disposal(D(2025, 4, 1), "recovery")], D(2025, 6, 1)).state == "recovered"


# --- areas, rates and quotas ---------------------------------------------------------------------
def test_tolerance_is_one_square_metre_or_a_thousandth() -> None:
    assert tolerance_m2(999.0) == 1.0
    assert tolerance_m2(1000.0) == 1.0
    assert tolerance_m2(2000.0) == 2.0
    assert tolerance_m2(100.0, sliver_m2=5.0) == 5.0


def test_unsupplied_area_and_supply_rate() -> None:
    assert unsupplied_m2(30000.0, 20000.0) == 10000.0
    assert unsupplied_m2(30000.0, 30000.0) == 0.0
    assert supply_rate(7500.0, 10000.0) == 0.75
    assert supply_rate(0.0, 0.0) is None


def test_quota_balance_and_overdraw_at_the_edge() -> None:
    assert quota_balance(100.0, [40.0, 35.0]) == pytest.approx(25.0)
    assert not overdraws(25.0, 25.0)  # exactly the balance is allowed
    assert overdraws(25.0, 25.001)
    assert overdraws(0.0, 0.01)
