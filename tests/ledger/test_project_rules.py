"""The rules of the project families at their edges (pure: records built in memory, no store)."""

from __future__ import annotations

import pytest

from guotu.core.units import m2_to_mu
from guotu.ledger.project_rules import (
    Milestones,
    consolidation_milestones,
    consolidation_progress,
    counted_once,
    first_passed_acceptance,
    meets_public_interest_standard,
    percent,
    permit_state,
    permits_expired,
    permits_expiring,
    project_status,
    reclamation_milestones,
    record_status,
    redevelopment_milestones,
    resettlement_progress,
)
from ledger.projects_support import (
    D,
    acceptance,
    block_plan,
    invested,
    project,
    rec,
    reclamation,
    rect,
    resettlement,
    sea,
    settled,
    square,
    subproject,
)

# --- status ----------------------------------------------------------------------------------------------
M = Milestones(D(2024, 1, 10), started_on=D(2024, 2, 1), completed_on=None, accepted_on=None, due_on=D(2024, 12, 31))


@pytest.mark.parametrize(("on", "status"), [
    (D(2024, 1, 9), None),  # the day before approval: no project yet
    (D(2024, 1, 10), "approved"),  # the approval day counts
    (D(2024, 1, 31), "approved"),
    (D(2024, 2, 1), "in_progress"),  # the start day counts
    (D(2024, 12, 31), "in_progress"),  # the due day itself is not overdue
    (D(2025, 1, 1), "overdue"),  # the day after it is
])
def test_status_on_each_side_of_each_date(on: D, status: str | None) -> None:
    assert project_status(M, on) == status


def test_a_completed_project_is_never_overdue_and_accepted_wins() -> None:
    late = Milestones(D(2024, 1, 10), completed_on=D(2025, 3, 1), accepted_on=D(2025, 4, 1), due_on=D(2024, 12, 31))
    assert project_status(late, D(2025, 2, 28)) == "overdue"
    assert project_status(late, D(2025, 3, 1)) == "completed"
    assert project_status(late, D(2025, 3, 31)) == "completed"
    assert project_status(late, D(2025, 4, 1)) == "accepted"
    never_due = Milestones(D(2024, 1, 10))
    assert project_status(never_due, D(2040, 1, 1)) == "approved"


def test_a_consolidation_project_is_accepted_at_its_first_passed_project_acceptance() -> None:
    p = project()
    acceptances = [
        acceptance("A0", "P1", "2024-03-01", result="failed"),
        acceptance("A1", "SP1", "2024-04-01"),  # a sub-project: not the project's acceptance
        acceptance("A3", "P1", "2024-09-01", level="province"),
        acceptance("A2", "P1", "2024-05-01"),
    ]
    assert first_passed_acceptance("consolidation_project", "P1", acceptances).id == "A2"  # type: ignore[union-attr]
    assert first_passed_acceptance("consolidation_project", "P1", acceptances, D(2024, 4, 30)) is None
    m = consolidation_milestones(p, acceptances)
    assert m.accepted_on == D(2024, 5, 1)
    assert project_status(m, D(2024, 4, 30)) == "approved"
    assert project_status(m, D(2024, 5, 1)) == "accepted"


def test_milestones_of_reclamation_and_redevelopment_come_from_their_fields() -> None:
    k = reclamation("K1", square(0, 0), started_on="2024-02-01", completed_on="2024-08-01", accepted_on="2024-09-01",
                    due_on="2024-06-30")
    assert [project_status(reclamation_milestones(k), D(2024, m, 1)) for m in (1, 3, 7, 8, 9)] == [
        "approved", "in_progress", "overdue", "completed", "accepted"]
    r = rec("redevelopment", "R1", square(0, 0), case_no="1", name="x", category="urban", started_on="2024-01-01",
            completed_on="2024-06-30")
    assert project_status(redevelopment_milestones(r), D(2024, 6, 29)) == "in_progress"
    assert project_status(redevelopment_milestones(r), D(2024, 6, 30)) == "completed"
    assert record_status(r, D(2024, 6, 30)) == "completed"
    assert record_status(k, D(2024, 9, 1)) == "accepted"
    assert record_status(project(), D(2024, 5, 1), [acceptance("A2", "P1", "2024-05-01")]) == "accepted"
    with pytest.raises(ValueError):
        record_status(sea(), D(2024, 5, 1))


# --- percentages -------------------------------------------------------------------------------------------
def test_percent_rounds_half_up_and_has_no_value_without_a_whole() -> None:
    assert percent(1, 8) == 12.5
    assert percent(2, 3) == 66.67
    assert percent(1, 200) == 0.5
    assert percent(1, 40000) == 0.0  # 0.0025 % rounds to 0.00
    assert percent(1, 16000) == 0.01  # 0.00625 % rounds half-up
    assert percent(3, 0) is None and percent(3, None) is None
    assert percent(13, 10) == 130.0  # not capped


# --- consolidation progress -----------------------------------------------------------------------------------
def test_consolidation_progress_counts_an_area_accepted_twice_once_and_clips_to_the_project() -> None:
    p = project(planned_investment_wan=1000)  # 300 m × 300 m = 90 000 m²
    subs = [subproject("SP1", rect(0, 1000, 100, 300)), subproject("SP2"),
            subproject("SPX", rect(0, 1000, 100, 100), project="P2")]
    acceptances = [
        acceptance("A1", "SP1", "2024-01-15"),  # 30 000 m²
        acceptance("A2", "SP1", "2024-03-01", level="province"),  # the same area again
        acceptance("A3", "P1", "2024-06-01", rect(50, 1000, 100, 300)),  # half new: 15 000 m²
        acceptance("A4", "SP2", "2024-07-01", result="failed"),
        acceptance("AX", "SPX", "2024-01-01"),  # another project's sub-project
    ]
    events = [invested("E1", "P1", "2024-01-31", 300), invested("E2", "P1", "2024-06-30", 1250),
              invested("EX", "P2", "2024-01-31", 999)]
    before = consolidation_progress(p, subs, acceptances, events, D(2024, 1, 14))
    assert (before.accepted_m2, before.area_percent, before.investment_done_wan, before.acceptances) == (0, 0, 0, ())
    jan = consolidation_progress(p, subs, acceptances, events, D(2024, 1, 31))
    assert jan.accepted_m2 == pytest.approx(30000, abs=1e-3)
    assert jan.area_percent == 33.33 and jan.investment_percent == 30.0
    mar = consolidation_progress(p, subs, acceptances, events, D(2024, 3, 1))
    assert mar.accepted_m2 == pytest.approx(30000, abs=1e-3) and mar.acceptances == ("A1", "A2")
    jun = consolidation_progress(p, subs, acceptances, events, D(2024, 6, 30))
    assert jun.accepted_m2 == pytest.approx(45000, abs=1e-3)
    assert jun.area_percent == 50.0
    assert jun.investment_percent == 125.0  # an overrun is shown, not capped
    whole = consolidation_progress(p, subs, [acceptance("A9", "P1", "2024-12-31")], events, D(2024, 12, 31))
    assert whole.area_percent == 100.0
    no_plan = consolidation_progress(project(planned_investment_wan=None), subs, [], events, D(2024, 12, 31))
    assert no_plan.investment_percent is None and no_plan.investment_done_wan == 1250


# --- resettlement progress ------------------------------------------------------------------------------------
def test_resettlement_progress_is_the_latest_snapshot_on_or_before_the_day() -> None:
    plan = resettlement(households=10, compensation_wan=1000)
    events = [settled("RS1", "RP1", "2024-03-01", 5, 400), settled("RS2", "RP1", "2024-12-01", 8, 900),
              settled("RSX", "RP2", "2024-04-01", 99, 99)]
    assert resettlement_progress(plan, events, D(2024, 2, 29)).signed_percent == 0.0
    assert resettlement_progress(plan, events, D(2024, 2, 29)).snapshot is None
    on_day = resettlement_progress(plan, events, D(2024, 3, 1))
    assert (on_day.households_signed, on_day.signed_percent, on_day.paid_percent) == (5, 50.0, 40.0)
    later = resettlement_progress(plan, events, D(2025, 1, 1))
    assert (later.snapshot, later.signed_percent, later.paid_percent) == ("RS2", 80.0, 90.0)
    empty = resettlement_progress(resettlement(households=0, compensation_wan=0), events, D(2025, 1, 1))
    assert empty.signed_percent is None and empty.paid_percent is None


# --- sea-use permits -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("on", "days", "state"), [
    (D(2019, 12, 31), 30, "not_yet_valid"),
    (D(2020, 1, 1), 30, "valid"),
    (D(2024, 11, 30), 30, "valid"),  # 31 days left
    (D(2024, 12, 1), 30, "expiring"),  # exactly 30 days left
    (D(2024, 12, 31), 0, "expiring"),  # the last valid day, N = 0
    (D(2024, 12, 30), 0, "valid"),
    (D(2025, 1, 1), 30, "expired"),  # the day after the last valid day
])
def test_permit_state_edges(on: D, days: int, state: str) -> None:
    assert permit_state(D(2020, 1, 1), D(2024, 12, 31), on, days) == state


def test_permits_expiring_and_expired_lists() -> None:
    permits = [sea("S1", valid_from="2024-03-01", valid_to="2025-02-28", term_years=1),
               sea("S2", valid_from="2024-03-01", valid_to="2024-12-31", term_years=None),
               sea("S3", valid_from="2024-03-01", valid_to="2024-06-30", term_years=None),
               sea("S4", approved_on="2024-03-01", valid_from="2025-03-01", valid_to="2026-02-28", term_years=1)]
    assert [r.id for r in permits_expiring(permits, D(2024, 12, 1), 90)] == ["S2", "S1"]
    assert [r.id for r in permits_expiring(permits, D(2024, 12, 1), 30)] == ["S2"]
    assert [r.id for r in permits_expired(permits, D(2024, 12, 1))] == ["S3"]
    assert [r.id for r in permits_expired(permits, D(2025, 3, 1))] == ["S3", "S2", "S1"]
    with pytest.raises(ValueError):
        permit_state(D(2020, 1, 1), D(2024, 12, 31), D(2024, 1, 1), -1)


# --- counted once -------------------------------------------------------------------------------------------
def test_counted_once_gives_overlaps_to_the_earlier_date_then_the_smaller_id() -> None:
    a, b, c = square(0, 0), square(50, 0), square(0, 0)
    out = counted_once([(D(2024, 5, 1), "B", b), (D(2024, 1, 1), "A", a), (D(2024, 1, 1), "C", c),
                        (D(2024, 2, 1), "N", None)])
    assert out["A"] == pytest.approx(10000, abs=1e-3)
    assert out["C"] == pytest.approx(0, abs=1e-3)  # same day, larger id: already counted by A
    assert out["B"] == pytest.approx(5000, abs=1e-3)
    assert out["N"] == 0
    clipped = counted_once([(D(2024, 1, 1), "A", a)], clip=[rect(0, 0, 100, 25)])
    assert clipped["A"] == pytest.approx(2500, abs=1e-3)
    assert m2_to_mu(sum(out.values())) == pytest.approx(22.5, abs=1e-6)


def test_public_interest_share_meets_the_standard_at_exactly_40_percent() -> None:
    assert meets_public_interest_standard(block_plan(public_interest_percent=40))
    assert not meets_public_interest_standard(block_plan(public_interest_percent=39.99))
    assert meets_public_interest_standard(block_plan(public_interest_percent=39.99), minimum=35)
