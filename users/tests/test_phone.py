import re

import pytest
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from users.errors import InvalidPhone, PhoneRegionNotAllowed
from users.phone import phone_mask, phone_normalize

E164 = re.compile(r"^\+[1-9]\d{1,14}$", re.ASCII)


@pytest.mark.parametrize(
    "raw",
    ["8 999 123-45-67", "+7 999 1234567", "79991234567", "+7 (999) 123-45-67", "  89991234567 "],
)
def test_notations_of_one_number_are_one_person(raw: str) -> None:
    assert phone_normalize(raw) == "+79991234567"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "abc",
        "+7 999 123-45-6",  # too short
        "+7 999 １２３-45-67",  # fullwidth digits
        "+7 999 ١٢٣-45-67",  # Arabic-Indic digits
        "+7999123\n4567",
        "+7999123\x004567",
        "+" + "9" * 40,  # over 32 characters: refused before parsing
        12345,
        None,
        ["+79991234567"],
    ],
)
def test_invalid_numbers_are_refused(raw: object) -> None:
    with pytest.raises(InvalidPhone):
        phone_normalize(raw)


def test_numbers_of_other_regions_are_refused_by_default() -> None:
    with pytest.raises(PhoneRegionNotAllowed):
        phone_normalize("+1 202 555 0134")
    with pytest.raises(PhoneRegionNotAllowed):
        phone_normalize("+380 50 123 4567")


@override_settings(PHONE_ALLOWED_REGIONS=["RU", "US"])
def test_allowed_regions_are_a_setting() -> None:
    assert phone_normalize("+1 202 555 0134") == "+12025550134"


def test_mask_hides_most_digits() -> None:
    assert phone_mask("+79991234567") == "+7********67"


@given(
    st.from_regex(
        r"(\+7|8|7)[ (]?9(99|16|26|03|85)[) ]?[0-9]{3}[- ]?[0-9]{2}[- ]?[0-9]{2}", fullmatch=True
    )
)
def test_russian_mobiles_in_any_notation_normalise(raw: str) -> None:
    phone = phone_normalize(raw)
    assert E164.match(phone)
    assert phone.startswith("+79")
