"""Due diligence at opening: every flag, the boundaries, and what each outcome records."""

import pytest
from accounts_given import (
    DAY0,
    POLICY,
    History,
    active_account,
    facts,
    open_command,
    recorded,
    types,
)

from services.accounts.accounts import ACCOUNT, Account
from services.accounts.errors import Conflict
from services.accounts.opening import decide_close, decide_open, decide_review_outcome

PROOF = {"type": "employment_proof", "employer": "Hefei Tech Co", "signed_on": "2026-10-01"}


def open_with(command=None, opening_facts=None):
    return decide_open(Account(), command or open_command(), opening_facts or facts(), POLICY, DAY0)


def test_a_clean_opening_is_active_at_low_with_its_limits():
    (event,) = open_with()
    assert event.type == "AccountOpened"
    assert event.data["status"] == "active" and event.data["flags"] == []
    assert event.data["risk_tier"] == "LOW"
    assert event.data["limits"] == {"per_transaction": "50000.00", "daily": "200000.00"}
    assert event.data["verification_method"] == "sms_otp"
    assert event.data["opened_at"] == "2026-11-01T02:00:00.000000Z"


@pytest.mark.parametrize(
    ("documents", "flag"),
    [
        ([{**PROOF, "signed_on": None}], "EMPLOYMENT_PROOF_UNSIGNED"),
        ([{"type": "employment_proof", "employer": "Hefei Tech Co"}], "EMPLOYMENT_PROOF_UNSIGNED"),
        ([{**PROOF, "employer": "Other Trading Ltd"}], "EMPLOYER_MISMATCH"),
    ],
)
def test_employment_proof_flags_refer_the_opening(documents, flag):
    (event,) = open_with(open_command(documents=tuple(documents)))
    assert event.type == "AccountOpeningReferred"
    assert event.data["flags"] == [flag]
    assert event.data["status"] == "pending_review"


def test_employer_comparison_ignores_case_and_surrounding_spaces():
    documents = ({**PROOF, "employer": "  hefei TECH co "},)
    assert types(open_with(open_command(documents=documents))) == ["AccountOpened"]


def test_other_documents_raise_no_employment_flags():
    documents = ({"type": "proof_of_address", "employer": None, "signed_on": None},)
    assert types(open_with(open_command(documents=documents))) == ["AccountOpened"]


def test_purpose_other_without_detail_is_unclear():
    (event,) = open_with(open_command(purpose="other", purpose_detail="   "))
    assert event.data["flags"] == ["PURPOSE_UNCLEAR"]
    with_detail = open_with(open_command(purpose="other", purpose_detail="rent deposit"))
    assert types(with_detail) == ["AccountOpened"]


@pytest.mark.parametrize(("previous", "flagged"), [(1, False), (2, True), (3, True)])
def test_two_previous_openings_in_the_window_flag_the_third(previous, flagged):
    (event,) = open_with(opening_facts=facts(recent_openings=previous))
    assert ("MULTIPLE_RECENT_ACCOUNTS" in event.data["flags"]) is flagged
    assert event.type == ("AccountOpeningReferred" if flagged else "AccountOpened")


def test_a_referral_names_the_teller_and_only_the_initial_of_the_customer():
    (event,) = open_with(open_command(purpose="other", purpose_detail=""))
    assert event.data["opened_by"] == "t-001"
    assert event.data["customer_name_initial"] == "王*"
    assert event.data["risk_tier"] == "LOW"


def test_watchlisted_is_refused_at_once_and_lists_every_other_flag_too():
    command = open_command(purpose="other", purpose_detail="", documents=())
    (event,) = open_with(command, facts(watchlisted=True, recent_openings=2))
    assert event.type == "AccountOpeningRefused"
    assert event.data == {
        "account_id": "acc_1",
        "customer_id": "cus_1",
        "flags": ["PURPOSE_UNCLEAR", "MULTIPLE_RECENT_ACCOUNTS", "WATCHLISTED"],
        "reason": "WATCHLISTED",
        "case_id": None,
    }
    assert ACCOUNT.fold(recorded([event], DAY0)).status == "refused"


def test_an_account_is_opened_once():
    history = active_account()
    with pytest.raises(Conflict):
        decide_open(history.state, open_command(), facts(), POLICY, DAY0)


def referred() -> History:
    history = History()
    command = open_command(documents=({**PROOF, "signed_on": None},))
    history.when(lambda s: decide_open(s, command, facts(), POLICY, DAY0), DAY0)
    return history


def test_an_approved_review_activates_at_medium_with_a_tier_change_citing_the_case():
    history = referred()
    events = history.when(
        lambda s: decide_review_outcome(s, "case_1", "approved", "ok", POLICY, DAY0), DAY0
    )
    assert types(events) == ["AccountActivated", "RiskTierChanged"]
    activated, changed = events
    assert activated.data["risk_tier"] == "MEDIUM" and activated.data["case_id"] == "case_1"
    assert activated.data["limits"] == {"per_transaction": "20000.00", "daily": "50000.00"}
    assert changed.data["from_tier"] == "LOW" and changed.data["to_tier"] == "MEDIUM"
    assert changed.data["reasons"] == ["OPENED_AFTER_REVIEW"]
    assert changed.data["source"] == {"kind": "case", "id": "case_1"}
    assert (history.state.status, history.state.risk_tier) == ("active", "MEDIUM")


def test_a_second_approval_changes_nothing():
    history = referred()
    approve = lambda s: decide_review_outcome(s, "case_1", "approved", "ok", POLICY, DAY0)  # noqa: E731
    history.when(approve, DAY0)
    assert history.when(approve, DAY0) == []


def test_a_refused_review_refuses_the_opening_with_the_case():
    history = referred()
    (event,) = history.when(
        lambda s: decide_review_outcome(s, "case_1", "refused", "fake employer", POLICY, DAY0),
        DAY0,
    )
    assert event.type == "AccountOpeningRefused"
    assert event.data["case_id"] == "case_1" and event.data["reason"] == "fake employer"
    assert event.data["flags"] == ["EMPLOYMENT_PROOF_UNSIGNED"]
    assert history.state.status == "refused"
    late_approval = decide_review_outcome(history.state, "case_1", "approved", "", POLICY, DAY0)
    assert late_approval == []


def test_a_resolution_for_an_active_account_changes_nothing():
    history = active_account()
    assert decide_review_outcome(history.state, "c", "refused", "", POLICY, DAY0) == []


def test_closing_twice_is_a_conflict():
    history = active_account()
    (event,) = history.when(lambda s: decide_close(s, "customer request"), DAY0)
    assert event.data == {
        "account_id": "acc_1",
        "customer_id": "cus_1",
        "reason": "customer request",
    }
    with pytest.raises(Conflict):
        decide_close(history.state, "again")
