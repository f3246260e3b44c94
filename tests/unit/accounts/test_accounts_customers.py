"""Customers: registration, contact changes and the segment of a person on a given day."""

from datetime import date

import pytest

from services.accounts.customers import (
    CUSTOMER,
    Customer,
    decide_change_contact,
    decide_register,
    segment_of,
)
from services.accounts.errors import Conflict, Rejected, Unknown
from services.accounts.watchlist import WatchlistEntry, decide_add, decide_remove, evolve

TODAY = date(2026, 11, 2)
DETAILS = {
    "name": "李四",
    "id_type": "resident_id",
    "id_number": "340104196611021234",
    "birth_date": date(1966, 11, 2),
    "phone": "13800001234",
    "email": None,
    "occupation": "retired",
    "employer": "",
    "preferred_language": "zh-CN",
}


@pytest.mark.parametrize(
    ("birth_date", "occupation", "segment"),
    [
        (date(1966, 11, 2), "retired", "elderly"),  # 60 today
        (date(1966, 11, 3), "retired", "standard"),  # 59 until tomorrow
        (date(1966, 11, 3), "Student", "student"),
        (date(1950, 1, 1), "student", "elderly"),  # age before occupation
        (date(2006, 5, 5), " student ", "student"),
    ],
)
def test_segment_on_the_business_date(birth_date, occupation, segment):
    assert segment_of(birth_date, occupation, TODAY, 60) == segment


def test_registration_records_the_person_and_the_segment_that_day():
    (event,) = decide_register(Customer(), "cus_1", DETAILS, TODAY, 60)
    assert event.type == "CustomerRegistered"
    assert event.data["segment"] == "elderly"
    assert event.data["birth_date"] == "1966-11-02"
    assert event.data["customer_id"] == "cus_1"
    state = CUSTOMER.fold([event])
    with pytest.raises(Conflict):
        decide_register(state, "cus_1", DETAILS, TODAY, 60)


def test_a_birth_date_in_the_future_is_rejected():
    with pytest.raises(Rejected) as raised:
        decide_register(Customer(), "c", {**DETAILS, "birth_date": date(2026, 11, 3)}, TODAY, 60)
    assert raised.value.field == "birth_date"


def test_contact_changes_carry_all_three_values_and_nothing_when_unchanged():
    state = CUSTOMER.fold(decide_register(Customer(), "cus_1", DETAILS, TODAY, 60))
    (event,) = decide_change_contact(state, "13900009999", "li@example.com", "en")
    assert event.data == {
        "customer_id": "cus_1",
        "phone": "13900009999",
        "email": "li@example.com",
        "preferred_language": "en",
    }
    state = CUSTOMER.evolve(state, event)
    assert decide_change_contact(state, "13900009999", "li@example.com", "en") == []
    with pytest.raises(Unknown):
        decide_change_contact(Customer(), "1", None, "en")


def test_watchlist_entries_are_added_and_removed_once():
    (added,) = decide_add(WatchlistEntry(), "wl_1", "passport", "E1234567", "PSB-1", "mule")
    state = evolve(WatchlistEntry(), added)
    (removed,) = decide_remove(state, "cleared")
    assert removed.data == {"entry_id": "wl_1", "reason": "cleared"}
    with pytest.raises(Conflict):
        decide_remove(evolve(state, removed), "again")
    with pytest.raises(Unknown):
        decide_remove(WatchlistEntry(), "x")
