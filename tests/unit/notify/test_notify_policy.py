"""Segments, quiet hours, channel order, preferences and campaign completion, decided purely."""

from datetime import UTC, date, datetime, time

import pytest

from services.notify.campaign import (
    CAMPAIGN,
    campaign_notification_id,
    decide_complete,
    decide_start,
)
from services.notify.contact_book import (
    CONTACT,
    UnknownCustomer,
    decide_preferences,
    decide_record_details,
)
from services.notify.domain import (
    channel_order,
    elderly_born_on_or_before,
    first_allowed,
    quiet_until,
    segment_of,
)

SHANGHAI = "Asia/Shanghai"
START, END = time(22, 0), time(8, 0)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def test_segments_follow_domain_five():
    today = date(2026, 3, 2)
    assert segment_of("1966-03-02", "retired", today) == "elderly"  # 60 today
    assert segment_of("1966-03-03", "student", today) == "student"  # 59 for one more day
    assert segment_of("1966-03-03", "engineer", today) == "standard"
    assert segment_of(None, " Student ", today) == "student"
    assert elderly_born_on_or_before(date(2028, 2, 29)) == date(1968, 2, 29)
    assert elderly_born_on_or_before(date(2025, 3, 1)) == date(1965, 3, 1)


@pytest.mark.parametrize(
    ("moment", "until"),
    [
        (utc(2026, 3, 2, 13, 59), None),  # 21:59 local
        (utc(2026, 3, 2, 14, 0), utc(2026, 3, 3, 0, 0)),  # 22:00 → 08:00 tomorrow
        (utc(2026, 3, 2, 15, 0), utc(2026, 3, 3, 0, 0)),  # 23:00
        (utc(2026, 3, 2, 18, 30), utc(2026, 3, 3, 0, 0)),  # 02:30 local, after midnight
        (utc(2026, 3, 3, 0, 0), None),  # 08:00 sharp
    ],
)
def test_quiet_hours_run_from_ten_at_night_to_eight_in_the_morning_local(moment, until):
    assert quiet_until(moment, SHANGHAI, START, END) == until


def test_only_education_waits_for_the_end_of_quiet_hours():
    late = utc(2026, 3, 2, 15, 0)
    assert first_allowed(late, "education", SHANGHAI, START, END) == utc(2026, 3, 3, 0, 0)
    assert first_allowed(late, "security", SHANGHAI, START, END) == late


def test_channel_order_keeps_enabled_addressable_channels_and_ends_with_the_log():
    enabled = ("sms", "email", "push", "log")
    default = ("sms", "email", "push")
    assert channel_order(None, default, enabled, "138", "a@b") == ("sms", "email", "push", "log")
    assert channel_order(["email", "sms"], default, enabled, "138", None) == ("sms", "log")
    assert channel_order(None, default, ("log",), "138", "a@b") == ("log",)
    assert channel_order(None, default, ("sms",), None, None) == ()


def test_contact_details_merge_and_count_each_source_once():
    source = {"type": "CustomerRegistered", "event_id": "e1"}
    (registered,) = decide_record_details(CONTACT.initial, {"phone": "1", "name": "王"}, source)
    state = CONTACT.fold([registered])
    assert decide_record_details(state, {"phone": "2"}, source) == []
    (changed,) = decide_record_details(state, {"phone": "2"}, {"type": "X", "event_id": "e2"})
    assert changed.data["phone"] == "2" and changed.data["name"] == "王"


def test_preferences_need_a_known_customer_and_change_only_when_different():
    with pytest.raises(UnknownCustomer):
        decide_preferences(CONTACT.initial, "c1", True, None)
    source = {"type": "CustomerRegistered", "event_id": "e1"}
    state = CONTACT.fold(decide_record_details(CONTACT.initial, {}, source))
    (changed,) = decide_preferences(state, "c1", True, ["email"])
    state = CONTACT.evolve(state, changed)
    assert (state.education_opt_out, state.channels) == (True, ("email",))
    assert decide_preferences(state, "c1", True, ["email"]) == []


def test_a_campaign_completes_once_every_recipient_is_accounted_for():
    started = decide_start(CAMPAIGN.initial, "cmp", "fraud_tips", "elderly", ["a", "b", "c"])
    state = CAMPAIGN.fold(started)
    assert decide_complete(state, "cmp", 1, 1) == []
    (completed,) = decide_complete(state, "cmp", 2, 1)
    assert completed.data == {"campaign_id": "cmp", "requested": 2, "suppressed": 1}
    assert decide_complete(CAMPAIGN.evolve(state, completed), "cmp", 2, 1) == []
    empty = decide_start(CAMPAIGN.initial, "cmp", "fraud_tips", "elderly", [])
    assert [e.type for e in empty] == ["CampaignStarted", "CampaignCompleted"]


def test_campaign_notification_ids_are_deterministic_and_fit_a_stream_id():
    assert campaign_notification_id("C1", "cust-9") == "ntf_C1_cust-9"
    long = campaign_notification_id("0" * 26, "x" * 60)
    assert len(long) <= 64 and long == campaign_notification_id("0" * 26, "x" * 60)
    assert long != campaign_notification_id("0" * 26, "y" * 60)
