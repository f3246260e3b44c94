"""Money strings and business dates behave as DOMAIN §2 says."""

from datetime import UTC, date, datetime

import pytest
from marshmallow import Schema, ValidationError

from shared.businesstime import age_on, business_date
from shared.money import Currency, Money, from_fen, to_fen


@pytest.mark.parametrize(
    ("text", "fen"), [("0.00", 0), ("0.01", 1), ("49999.99", 4999999), ("50000.00", 5000000)]
)
def test_two_decimal_strings_round_trip_through_fen(text, fen):
    assert to_fen(text) == fen
    assert from_fen(fen) == text


@pytest.mark.parametrize(
    "bad", ["50000", "50000.0", "50000.000", "-1.00", "01.00", "1e3", 50000.0, 5, None, ""]
)
def test_anything_but_a_two_decimal_string_is_refused(bad):
    with pytest.raises(ValueError):
        to_fen(bad)


class Payment(Schema):
    amount = Money(required=True)
    currency = Currency(required=True)


def test_schema_fields_load_fen_and_refuse_other_currencies():
    assert Payment().load({"amount": "10.50", "currency": "CNY"}) == {
        "amount": 1050,
        "currency": "CNY",
    }
    with pytest.raises(ValidationError) as error:
        Payment().load({"amount": 10.5, "currency": "USD"})
    assert set(error.value.messages) == {"amount", "currency"}
    assert Payment().dump({"amount": 1050, "currency": "CNY"}) == {
        "amount": "10.50",
        "currency": "CNY",
    }


def test_business_date_is_the_shanghai_calendar_day():
    late_utc = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)  # 00:30 on 2 March in Shanghai
    assert business_date(late_utc, "Asia/Shanghai") == date(2026, 3, 2)
    assert business_date(late_utc, "UTC") == date(2026, 3, 1)


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(1966, 5, 10), date(2026, 5, 9), 59),
        (date(1966, 5, 10), date(2026, 5, 10), 60),
        (date(2008, 2, 29), date(2026, 2, 28), 17),
        (date(2008, 2, 29), date(2026, 3, 1), 18),
    ],
)
def test_age_counts_whole_years(born, on, age):
    assert age_on(born, on) == age
