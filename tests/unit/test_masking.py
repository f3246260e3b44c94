"""Masks keep enough to recognise, never enough to use."""

import pytest

from shared.masking import mask_email, mask_id_number, mask_phone, name_initial


def test_resident_id_keeps_first_and_last_four():
    assert mask_id_number("340104195801011234") == "3401**********1234"


def test_short_ids_are_fully_starred():
    assert mask_id_number("E1234567") == "********"


@pytest.mark.parametrize(
    ("phone", "masked"), [("13812345678", "138****5678"), ("123", "***"), (None, None)]
)
def test_phone(phone, masked):
    assert mask_phone(phone) == masked


def test_email_and_name():
    assert mask_email("zhang.wei@example.com") == "z***@example.com"
    assert mask_email(None) is None
    assert name_initial("王芳") == "王*"
    assert name_initial(" Jane Doe ") == "J*"
