"""Accounts and cases events become recorded facts: only what changed, nothing when nothing did."""

from services.withdrawals.facts import (
    ACCOUNT_FACTS,
    ACCOUNT_VIEW,
    CUSTOMER_VIEW,
    case_closed,
    case_opened,
    customer_facts,
    decide_account_facts,
    decide_customer_facts,
)

SOURCE = {"type": "AccountOpened", "event_id": "ev1"}
OPENED = {
    "account_id": "acc_1",
    "customer_id": "cus_1",
    "branch_id": "HF-01",
    "status": "active",
    "risk_tier": "LOW",
    "limits": {"per_transaction": "50000.00", "daily": "200000.00"},
    "verification_method": "sms_otp",
    "opened_at": "2026-01-01T00:00:00Z",
    "flags": [],
}


def record(view, event_type, data):
    return decide_account_facts(view, "acc_1", SOURCE, ACCOUNT_FACTS[event_type](view, data))


def fold(*events):
    return ACCOUNT_VIEW.fold(events)


def test_an_opened_account_records_its_snapshot_fields_and_a_repeat_records_nothing():
    (event,) = record(ACCOUNT_VIEW.initial, "AccountOpened", OPENED)
    assert event.type == "AccountFactsRecorded" and event.data["source"] == SOURCE
    assert event.data["facts"] == {
        k: OPENED[k]
        for k in ("customer_id", "branch_id", "status", "risk_tier", "limits")
        + ("verification_method", "opened_at")
    }
    assert record(fold(event), "AccountOpened", OPENED) == []


def test_a_tier_change_records_only_the_new_tier_limits_and_verification():
    view = fold(*record(ACCOUNT_VIEW.initial, "AccountOpened", OPENED))
    limits = {"per_transaction": "20000.00", "daily": "50000.00"}
    change = {"to_tier": "MEDIUM", "limits": limits, "verification_method": "sms_otp_and_face"}
    (event,) = record(view, "RiskTierChanged", {"account_id": "acc_1", **change})
    assert event.data["facts"] == {
        "risk_tier": "MEDIUM",
        "limits": limits,
        "verification_method": "sms_otp_and_face",
    }


def test_restrictions_are_added_once_and_lifted_by_id():
    restricted = {
        "account_id": "acc_1",
        "restriction_id": "rst_1",
        "type": "non_counter_suspended",
        "reason": "fraud victim",
        "source": {"kind": "police", "id": "REF"},
        "expires_at": "2026-12-20T00:00:00Z",
    }
    (added,) = record(ACCOUNT_VIEW.initial, "AccountRestricted", restricted)
    view = fold(added)
    assert [r["type"] for r in view.restrictions] == ["non_counter_suspended"]
    assert record(view, "AccountRestricted", restricted) == []
    (lifted,) = record(view, "AccountRestrictionLifted", {"restriction_id": "rst_1"})
    assert fold(added, lifted).restrictions == ()


def test_open_cases_are_a_set_opened_and_closed_by_case_id():
    (opened,) = decide_account_facts(
        ACCOUNT_VIEW.initial, "acc_1", SOURCE, case_opened(ACCOUNT_VIEW.initial, "case_1")
    )
    view = fold(opened)
    assert view.open_case_ids == ("case_1",)
    assert decide_account_facts(view, "acc_1", SOURCE, case_opened(view, "case_1")) == []
    (closed,) = decide_account_facts(view, "acc_1", SOURCE, case_closed(view, "case_1"))
    assert fold(opened, closed).open_case_ids == ()
    assert (
        decide_account_facts(
            fold(opened, closed), "acc_1", SOURCE, case_closed(fold(opened, closed), "case_1")
        )
        == []
    )


def test_a_customer_is_remembered_masked_and_only_as_far_as_screening_needs():
    registered = {
        "customer_id": "cus_1",
        "name": "王芳",
        "id_type": "resident_id",
        "id_number": "340104195803021234",
        "birth_date": "1958-03-02",
        "phone": "13800000000",
        "occupation": "retired",
        "preferred_language": "zh-CN",
    }
    facts = customer_facts("CustomerRegistered", registered)
    assert facts == {
        "birth_date": "1958-03-02",
        "occupation": "retired",
        "name_initial": "王*",
        "id_number_masked": "3401**********1234",
        "preferred_language": "zh-CN",
    }
    (event,) = decide_customer_facts(CUSTOMER_VIEW.initial, "cus_1", SOURCE, facts)
    view = CUSTOMER_VIEW.fold([event])
    changed = customer_facts("CustomerContactChanged", {"preferred_language": "en", "phone": "1"})
    (event2,) = decide_customer_facts(view, "cus_1", SOURCE, changed)
    assert event2.data["facts"] == {"preferred_language": "en"}
