"""Tier moves: holds, police outcomes, decay and supervisor overrides under four eyes."""

import pytest
from accounts_given import DAY0, POLICY, active_account, days, types

from services.accounts.accounts import Account
from services.accounts.errors import Conflict, NotPermitted, Rejected, Unknown
from services.accounts.restrictions import decide_restrict
from services.accounts.tiers import (
    decide_apply_override,
    decide_decay,
    decide_police_outcome,
    decide_record_hold,
    decide_request_override,
)


def hold(history, withdrawal_id, at):
    return history.when(
        lambda s: decide_record_hold(s, withdrawal_id, at, ["RISKY_PURPOSE"], POLICY), at
    )


def test_a_hold_is_remembered_and_raises_low_to_medium():
    history = active_account()
    recorded, changed = hold(history, "wd_1", DAY0 + days(1))
    assert recorded.type == "AccountHoldRecorded"
    assert recorded.data == {
        "account_id": "acc_1",
        "withdrawal_id": "wd_1",
        "held_at": "2026-11-02T02:00:00.000000Z",
        "reasons": ["RISKY_PURPOSE"],
    }
    assert changed.type == "RiskTierChanged"
    assert (changed.data["from_tier"], changed.data["to_tier"]) == ("LOW", "MEDIUM")
    assert changed.data["reasons"] == ["WITHDRAWAL_HELD"]
    assert changed.data["source"] == {"kind": "withdrawal", "id": "wd_1"}
    assert changed.data["verification_method"] == "sms_otp_and_face"


def test_the_same_withdrawal_held_twice_moves_the_tier_once():
    history = active_account()
    hold(history, "wd_1", DAY0 + days(1))
    assert hold(history, "wd_1", DAY0 + days(1)) == []
    assert history.state.risk_tier == "MEDIUM"


def test_two_holds_within_30_days_raise_to_high():
    history = active_account()
    hold(history, "wd_1", DAY0 + days(1))
    _, changed = hold(history, "wd_2", DAY0 + days(31))
    assert (changed.data["from_tier"], changed.data["to_tier"]) == ("MEDIUM", "HIGH")
    assert changed.data["reasons"] == ["WITHDRAWAL_HELD", "REPEATED_HOLDS"]


def test_two_holds_more_than_30_days_apart_stay_medium():
    history = active_account()
    hold(history, "wd_1", DAY0 + days(1))
    assert types(hold(history, "wd_2", DAY0 + days(31.01))) == ["AccountHoldRecorded"]
    assert history.state.risk_tier == "MEDIUM"


def test_a_hold_never_lowers_a_tier():
    history = active_account()
    decide = lambda s: decide_police_outcome(s, "fraud_suspect", "P-1", "r1", "p", POLICY, DAY0)  # noqa: E731
    history.when(decide, DAY0)
    assert types(hold(history, "wd_1", DAY0)) == ["AccountHoldRecorded"]
    assert history.state.risk_tier == "RESTRICTED"


def test_a_hold_for_an_unknown_account_does_nothing():
    assert decide_record_hold(Account(), "wd_1", DAY0, [], POLICY) == []


def test_fraud_victim_means_high_and_non_counter_suspended_for_30_days():
    history = active_account()
    changed, restricted = history.when(
        lambda s: decide_police_outcome(s, "fraud_victim", "PR-9", "rst_1", "pol-1", POLICY, DAY0),
        DAY0,
    )
    assert changed.data["to_tier"] == "HIGH"
    assert changed.data["reasons"] == ["POLICE_FRAUD_VICTIM"]
    assert changed.data["source"] == {"kind": "police", "id": "PR-9"}
    assert restricted.type == "AccountRestricted"
    assert restricted.data["type"] == "non_counter_suspended"
    assert restricted.data["expires_at"] == "2026-12-01T02:00:00.000000Z"
    assert restricted.data["source"] == {"kind": "police", "id": "PR-9"}


def test_fraud_suspect_means_restricted_and_a_freeze_without_expiry():
    history = active_account()
    changed, restricted = history.when(
        lambda s: decide_police_outcome(s, "fraud_suspect", "PR-9", "rst_1", "p", POLICY, DAY0),
        DAY0,
    )
    assert changed.data["to_tier"] == "RESTRICTED"
    assert changed.data["limits"] == {"per_transaction": "0.00", "daily": "0.00"}
    assert restricted.data["type"] == "freeze" and restricted.data["expires_at"] is None
    assert history.state.frozen


def test_a_repeated_police_outcome_changes_nothing():
    history = active_account()
    decide = lambda s: decide_police_outcome(s, "fraud_victim", "PR-9", "rst_1", "p", POLICY, DAY0)  # noqa: E731
    history.when(decide, DAY0)
    assert history.when(decide, DAY0) == []


def test_cleared_changes_nothing():
    history = active_account()
    assert decide_police_outcome(history.state, "cleared", "PR", "r", "p", POLICY, DAY0) == []


def medium_since(at):
    history = active_account()
    hold(history, "wd_1", at)
    assert history.state.risk_tier == "MEDIUM"
    return history


@pytest.mark.parametrize(("quiet_days", "decays"), [(89, False), (89.99, False), (90, True)])
def test_decay_after_90_days_without_a_hold(quiet_days, decays):
    history = medium_since(DAY0)
    events = decide_decay(history.state, POLICY, DAY0 + days(quiet_days))
    assert bool(events) is decays
    if decays:
        (event,) = events
        assert (event.data["from_tier"], event.data["to_tier"]) == ("MEDIUM", "LOW")
        assert event.data["reasons"] == ["NO_HOLD_90_DAYS"]
        assert event.data["source"] == {"kind": "decay", "id": POLICY.version}


def test_decay_counts_from_the_last_hold_even_without_a_tier_change():
    history = active_account()
    hold(history, "wd_1", DAY0)
    hold(history, "wd_2", DAY0 + days(31))  # 31 days apart: recorded, no move
    assert history.state.risk_tier == "MEDIUM"
    assert decide_decay(history.state, POLICY, DAY0 + days(120)) == []
    assert decide_decay(history.state, POLICY, DAY0 + days(121))


def test_decay_is_one_step_at_a_time_and_counts_from_the_last_change():
    history = active_account()
    hold(history, "wd_1", DAY0)
    hold(history, "wd_2", DAY0 + days(1))
    assert history.state.risk_tier == "HIGH"
    history.when(lambda s: decide_decay(s, POLICY, DAY0 + days(91)), DAY0 + days(91))
    assert history.state.risk_tier == "MEDIUM"
    assert decide_decay(history.state, POLICY, DAY0 + days(180)) == []
    history.when(lambda s: decide_decay(s, POLICY, DAY0 + days(181)), DAY0 + days(181))
    assert history.state.risk_tier == "LOW"


def test_decay_never_goes_below_low():
    history = active_account()
    assert decide_decay(history.state, POLICY, DAY0 + days(400)) == []


def test_decay_never_lifts_restricted():
    history = active_account()
    history.when(
        lambda s: decide_police_outcome(s, "fraud_suspect", "P", "r1", "p", POLICY, DAY0), DAY0
    )
    assert decide_decay(history.state, POLICY, DAY0 + days(400)) == []


def test_decay_waits_while_a_freeze_is_active():
    history = medium_since(DAY0)
    history.when(
        lambda s: decide_restrict(
            s, "r1", "freeze", "x", {"kind": "staff", "id": "s"}, None, "s", DAY0
        ),
        DAY0,
    )
    assert decide_decay(history.state, POLICY, DAY0 + days(400)) == []


def test_a_pending_override_does_nothing_until_another_supervisor_applies_it():
    history = active_account()
    (requested,) = history.when(
        lambda s: decide_request_override(s, "ovr_1", "HIGH", "intel", "sup-1", POLICY), DAY0
    )
    assert requested.type == "RiskTierOverrideRequested"
    assert requested.data == {
        "account_id": "acc_1",
        "override_id": "ovr_1",
        "tier": "HIGH",
        "reason": "intel",
        "requested_by": "sup-1",
    }
    assert history.state.risk_tier == "LOW"
    with pytest.raises(NotPermitted):
        decide_apply_override(history.state, "ovr_1", "sup-1", POLICY)
    (changed,) = history.when(lambda s: decide_apply_override(s, "ovr_1", "sup-2", POLICY), DAY0)
    assert changed.data["reasons"] == ["SUPERVISOR_OVERRIDE"]
    assert changed.data["source"] == {"kind": "override", "id": "ovr_1"}
    assert history.state.risk_tier == "HIGH"
    with pytest.raises(Conflict):
        decide_apply_override(history.state, "ovr_1", "sup-3", POLICY)


def test_an_override_may_move_out_of_restricted():
    history = active_account()
    history.when(
        lambda s: decide_police_outcome(s, "fraud_suspect", "P", "r1", "p", POLICY, DAY0), DAY0
    )
    history.when(lambda s: decide_request_override(s, "o", "MEDIUM", "cleared", "s1", POLICY), DAY0)
    history.when(lambda s: decide_apply_override(s, "o", "s2", POLICY), DAY0)
    assert history.state.risk_tier == "MEDIUM"


def test_override_requests_are_checked():
    history = active_account()
    with pytest.raises(Conflict):  # already LOW: nothing would move
        decide_request_override(history.state, "o", "LOW", "same", "s1", POLICY)
    with pytest.raises(Rejected):
        decide_request_override(history.state, "o", "GOLD", "no such tier", "s1", POLICY)
    with pytest.raises(Unknown):
        decide_apply_override(history.state, "nope", "s2", POLICY)
    with pytest.raises(Unknown):
        decide_request_override(Account(), "o", "HIGH", "x", "s1", POLICY)
