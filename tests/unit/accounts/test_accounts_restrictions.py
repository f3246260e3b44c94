"""Restrictions: imposed with reason and source, lifted under four eyes, expired by time."""

import pytest
from accounts_given import DAY0, History, active_account, days, types

from services.accounts.accounts import Account
from services.accounts.errors import Conflict, DomainError, NotPermitted, Rejected, Unknown
from services.accounts.opening import decide_close
from services.accounts.refusals import (
    RESTRICTION_REFUSAL,
    RestrictionRefusal,
    decide_refuse_restriction,
)
from services.accounts.restrictions import (
    decide_expire,
    decide_lift,
    decide_restrict,
    decide_restrict_once,
)

CASE = {"kind": "case", "id": "case_1"}


def restrict(history: History, restriction_id="r1", type_="stop_payment", expires_at=None, by="s1"):
    return history.when(
        lambda s: decide_restrict(s, restriction_id, type_, "why", CASE, expires_at, by, DAY0),
        DAY0,
    )


def test_a_restriction_records_type_reason_source_expiry_and_requester():
    history = active_account()
    (event,) = restrict(history, expires_at=DAY0 + days(7))
    assert event.data == {
        "account_id": "acc_1",
        "customer_id": "cus_1",
        "restriction_id": "r1",
        "type": "stop_payment",
        "reason": "why",
        "source": CASE,
        "expires_at": "2026-11-08T02:00:00.000000Z",
        "requested_by": "s1",
    }
    (active,) = history.state.restrictions
    assert (active.id, active.type) == ("r1", "stop_payment")


def test_an_expiry_in_the_past_is_rejected():
    history = active_account()
    with pytest.raises(Rejected) as raised:
        restrict(history, expires_at=DAY0)
    assert raised.value.field == "expires_at"


def test_closed_and_unknown_accounts_cannot_be_restricted():
    with pytest.raises(Unknown):
        decide_restrict(Account(), "r", "freeze", "x", CASE, None, "s", DAY0)
    history = active_account()
    history.when(lambda s: decide_close(s, "gone"), DAY0)
    with pytest.raises(Conflict):
        restrict(history)


def test_the_requester_cannot_lift_their_own_restriction():
    history = active_account()
    restrict(history, by="s1")
    with pytest.raises(NotPermitted):
        decide_lift(history.state, "r1", "s1", "done")
    (event,) = history.when(lambda s: decide_lift(s, "r1", "s2", "done"), DAY0)
    assert event.type == "AccountRestrictionLifted"
    assert event.data == {
        "account_id": "acc_1",
        "customer_id": "cus_1",
        "restriction_id": "r1",
        "type": "stop_payment",
        "reason": "done",
    }
    assert history.state.restrictions == ()
    with pytest.raises(Conflict):
        decide_lift(history.state, "r1", "s3", "again")
    with pytest.raises(Unknown):
        decide_lift(history.state, "r404", "s3", "never was")


def test_expiry_lifts_only_what_has_expired_and_only_once():
    history = active_account()
    restrict(history, "r1", expires_at=DAY0 + days(30))
    restrict(history, "r2", type_="freeze")
    assert decide_expire(history.state, DAY0 + days(29.9)) == []
    at = DAY0 + days(30)
    (event,) = history.when(lambda s: decide_expire(s, at), at)
    assert (event.data["restriction_id"], event.data["reason"]) == ("r1", "expired")
    assert decide_expire(history.state, at) == []
    assert [r.id for r in history.state.restrictions] == ["r2"]


def test_a_case_request_imposes_its_restriction_once_even_after_a_lift():
    history = active_account()

    def request(s):
        return decide_restrict_once(s, "rX", "freeze", "mule", CASE, None, "inv-1", DAY0)

    assert types(history.when(request, DAY0)) == ["AccountRestricted"]
    assert history.when(request, DAY0) == []
    history.when(lambda s: decide_lift(s, "rX", "sup-1", "cleared"), DAY0)
    assert history.when(request, DAY0) == []


@pytest.mark.parametrize(
    ("setup", "type_", "expires_at", "code"),
    [
        ("unknown", "freeze", None, "ACCOUNT_UNKNOWN"),
        ("closed", "freeze", None, "ACCOUNT_CLOSED"),
        ("active", "ban", None, "RESTRICTION_TYPE_UNKNOWN"),
        ("active", "freeze", DAY0, "EXPIRY_PASSED"),
    ],
)
def test_each_refusal_names_its_code_for_the_service_that_asked(setup, type_, expires_at, code):
    history = active_account()
    if setup == "closed":
        history.when(lambda s: decide_close(s, "gone"), DAY0)
    account = Account() if setup == "unknown" else history.state
    with pytest.raises(DomainError) as raised:
        decide_restrict(account, "r", type_, "x", CASE, expires_at, "s", DAY0)
    assert raised.value.code == code


def test_a_request_is_refused_on_the_record_once():
    request = {
        "account_id": "acc_nope",
        "case_id": "case_1",
        "request_event_id": "evt_1",
        "type": "freeze",
        "requested_by": "i-007",
    }
    refusal = Unknown("No such account.", code="ACCOUNT_UNKNOWN")
    (event,) = decide_refuse_restriction(RestrictionRefusal(), request, refusal)
    assert event.type == "AccountRestrictionRefused"
    assert event.data == {**request, "reason_code": "ACCOUNT_UNKNOWN", "reason": "No such account."}
    assert decide_refuse_restriction(RESTRICTION_REFUSAL.fold([event]), request, refusal) == []
    uncoded = decide_refuse_restriction(RestrictionRefusal(), request, Conflict("No."))
    assert uncoded[0].data["reason_code"] == "REFUSED"
