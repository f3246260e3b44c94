"""Restrictions: imposed with reason and source, lifted under four eyes, expired by time."""

import pytest
from accounts_given import DAY0, History, active_account, days, types

from services.accounts.accounts import Account
from services.accounts.errors import Conflict, NotPermitted, Rejected, Unknown
from services.accounts.opening import decide_close
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
