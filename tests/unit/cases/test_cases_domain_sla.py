"""SLA: a warning at 75 % and a breach at 100 % of the time to the due time, each once."""

from datetime import timedelta

import pytest
from cases_given import HOLD_AT, at_stage, given, opened

from services.cases.decisions import decide_sla
from services.cases.domain import SUPERVISORS


def types(events):
    return [event.type for event in events]


def test_nothing_is_due_before_three_quarters_of_the_time():
    assert decide_sla(given(opened()), HOLD_AT + timedelta(minutes=89, seconds=59)) == []


def test_the_warning_comes_at_90_of_120_minutes_and_only_once():
    history = opened()
    warning = decide_sla(given(history), HOLD_AT + timedelta(minutes=90))
    assert types(warning) == ["CaseSlaWarning"]
    assert warning[0].data == {
        "case_id": "case_evt_hold",
        "sla_due_at": "2026-03-02T03:00:00.000000Z",
    }
    history += warning
    assert decide_sla(given(history), HOLD_AT + timedelta(minutes=100)) == []


def test_the_breach_comes_at_the_due_time_once_and_moves_the_case_to_supervisors():
    history = opened()
    history += decide_sla(given(history), HOLD_AT + timedelta(minutes=90))
    breach = decide_sla(given(history), HOLD_AT + timedelta(minutes=120))
    assert types(breach) == ["CaseSlaBreached"]
    history += breach
    assert given(history).queue == SUPERVISORS
    assert decide_sla(given(history), HOLD_AT + timedelta(days=3)) == []


def test_a_timer_that_was_down_records_the_missed_warning_and_the_breach_together():
    late = decide_sla(given(opened()), HOLD_AT + timedelta(hours=5))
    assert types(late) == ["CaseSlaWarning", "CaseSlaBreached"]


@pytest.mark.parametrize("stage", ["resolved", "closed"])
def test_settled_cases_get_no_sla_events(stage):
    assert decide_sla(given(at_stage(stage)), HOLD_AT + timedelta(days=10)) == []


@pytest.mark.parametrize(
    ("case_type", "hours"),
    [("due_diligence_review", 24), ("suspicious_account", 72), ("police_verification", 2)],
)
def test_each_case_type_has_its_own_due_time(case_type, hours):
    state = given(opened(case_type))
    assert state.sla_due_at - HOLD_AT == timedelta(hours=hours)
    assert state.sla_warning_at - HOLD_AT == timedelta(hours=hours) * 0.75
    assert decide_sla(state, HOLD_AT + timedelta(hours=hours) - timedelta(seconds=1))[-1].type == (
        "CaseSlaWarning"
    )
