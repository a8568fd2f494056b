"""Validators: real forms pass, near misses fail, and the Series forms agree with the scalars."""

from __future__ import annotations

import datetime as dt
import random

import pandas as pd
import pytest

from bot.pii import validators as v
from bot.pii.types import PiiType
from tests.pii.make_tables import id_check_char, legacy_id, luhn_complete, resident_id, unionpay

# GB 11643's own example, and IDs built here with a real region and a chosen birth date.
STANDARD_ID = "11010519491231002X"


def with_check(body: str) -> str:
    return body + id_check_char(body)


@pytest.mark.parametrize(
    "value",
    [
        "13800138000",
        "19912345678",
        "+86 138-0013-8000",
        "+8613800138000",
        "0086 13800138000",
        "86 13800138000",
        "138 0013 8000",
        "138-0013-8000",
        " 13800138000 ",
    ],
)
def test_mainland_mobile_accepts(value: str) -> None:
    assert v.is_mainland_mobile(value)
    assert v.is_phone(value)


@pytest.mark.parametrize(
    "value",
    [
        "1380013800",  # 10 digits
        "138001380001",  # 12 digits
        "12800138000",  # no 12x mobile prefix
        "23800138000",
        "+87 13800138000",
        "138_0013_8000",
        "1380013800O",  # letter O
        "１３８００１３８０００",  # full-width digits are not ASCII digits
    ],
)
def test_mainland_mobile_rejects(value: str) -> None:
    assert not v.is_mainland_mobile(value)


@pytest.mark.parametrize(
    "value", ["+1 415-555-2671", "+1 (415) 555-2671", "+14155552671", "+44 20 7946 0958"]
)
def test_international_phone_accepts(value: str) -> None:
    assert v.is_international_phone(value)
    assert v.is_phone(value)


@pytest.mark.parametrize(
    "value",
    [
        "415-555-2671",  # no "+": national formats are not validated
        "+1 555 555 5555",  # no such area code
        "+1 415 555",  # too short
        "+999 123 4567 890",  # no such country
        "+12",
        "++1 415 555 2671",
    ],
)
def test_international_phone_rejects(value: str) -> None:
    assert not v.is_international_phone(value)


@pytest.mark.parametrize(
    "value",
    ["zhang.wei@163.com", "A.B+tag@Example.co.uk", "li_na-1@mail.qq.com", "x@y.io"],
)
def test_email_accepts(value: str) -> None:
    assert v.is_email(value)


@pytest.mark.parametrize(
    "value",
    [
        "a@b",
        "zhang@163",
        "a@@b.com",
        ".a@b.com",
        "a..b@c.com",
        "a b@c.com",
        "张伟@163.com",
        "a@-b.com",
        "a@b.c",
        "@b.com",
        f"{'a' * 65}@b.com",
    ],
)
def test_email_rejects(value: str) -> None:
    assert not v.is_email(value)


def test_resident_id_accepts_standard_and_lowercase_x() -> None:
    assert v.is_resident_id(STANDARD_ID)
    assert v.is_resident_id(STANDARD_ID.lower())
    assert v.is_id_card(STANDARD_ID)
    leap_day = with_check("110105200002290" + "12")
    assert v.is_resident_id(leap_day)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("110105194912310021", "wrong check digit"),
        (with_check("11010519900230" + "123"), "February 30"),
        (with_check("11010519000229" + "123"), "1900 was not a leap year"),
        (with_check("11010518991231" + "123"), "born before 1900"),
        (with_check("11010520991231" + "123"), "born in the future"),
        (with_check("01010519491231" + "002"), "region cannot start with 0"),
        (with_check("91010519491231" + "002"), "region cannot start with 9"),
        ("11010519491231002", "17 characters"),
        ("11010519491231002XX", "19 characters"),
        ("1101051949123100X2", "X not last"),
    ],
)
def test_resident_id_rejects(value: str, why: str) -> None:
    assert not v.is_resident_id(value), why


def test_resident_id_rejects_todays_check_with_tomorrows_birth() -> None:
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    assert not v.is_resident_id(with_check(f"110105{tomorrow:%Y%m%d}123"))
    assert v.is_resident_id(with_check(f"110105{dt.date.today():%Y%m%d}123"))


def test_legacy_id() -> None:
    assert v.is_legacy_id("110105491231002")
    assert v.is_legacy_id("110105960229002")  # 1996 was a leap year
    assert v.is_id_card("110105491231002")
    assert not v.is_legacy_id("110105490230002")  # February 30
    assert not v.is_legacy_id("110105000229002")  # 1900 was not
    assert not v.is_legacy_id("910105491231002")  # region
    assert not v.is_legacy_id("11010549123100")  # 14 digits


@pytest.mark.parametrize(
    "value",
    [
        "4111111111111111",
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "6222021234567890128",  # 19-digit UnionPay
        "6222 0212 3456 7890 128",
        "6212262201234561",
    ],
)
def test_bank_card_accepts(value: str) -> None:
    digits = value.replace(" ", "").replace("-", "")
    assert luhn_complete(digits[:-1]) == digits, "fixture must pass Luhn"
    assert v.is_bank_card(value)


@pytest.mark.parametrize(
    "value",
    [
        "4111111111111112",  # Luhn fails
        "411111111111111",  # 15 digits (Amex length: out of scope)
        "41111111111111111111",  # 20 digits
        "0000000000000000",  # passes Luhn, but a placeholder
        "4111 11111111 1111",  # groups not of four
        "4111  1111 1111 1111",
        "4111111111111111X",
    ],
)
def test_bank_card_rejects(value: str) -> None:
    assert not v.is_bank_card(value)


@pytest.mark.parametrize(
    "value", ["192.168.1.1", "8.8.8.8", "0.0.0.0", "2001:db8::1", "::ffff:192.0.2.1", "fe80::1"]
)
def test_ip_accepts(value: str) -> None:
    assert v.is_ip(value)


@pytest.mark.parametrize(
    "value", ["1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.", "::", "12:30:45", "abc"]
)
def test_ip_rejects(value: str) -> None:
    assert not v.is_ip(value)


def test_passport_shape() -> None:
    assert v.is_passport_shape("E12345678")
    assert v.is_passport_shape("ea1234567")
    assert v.is_passport_shape("123456789")
    assert not v.is_passport_shape("E123")
    assert not v.is_passport_shape("ABC1234567")


def test_is_valid_dispatches_and_refuses_weak_types() -> None:
    assert v.is_valid("id_card", STANDARD_ID)
    assert not v.is_valid("phone", STANDARD_ID)
    with pytest.raises(ValueError, match="no value validator"):
        v.is_valid("name", "张伟")
    with pytest.raises(ValueError, match="no value validator"):
        v.valid_series("address", pd.Series(["x"]))


@pytest.mark.parametrize(
    ("pii_type", "value", "expected"),
    [
        ("phone", "+86 138-0013-8000", "+8613800138000"),
        ("phone", "138 0013 8000", "+8613800138000"),
        ("phone", "0086-13800138000", "+8613800138000"),
        ("phone", "8613800138000", "+8613800138000"),
        ("phone", "+1 (415) 555-2671", "+14155552671"),
        ("phone", "+1 415-555-2671 x123", "+14155552671"),
        ("phone", "0044 20 7946 0958", "+442079460958"),
        ("email", "  Zhang.Wei@163.COM ", "zhang.wei@163.com"),
        ("id_card", "11010519491231002x", STANDARD_ID),
        ("id_card", "110105 19491231 002X", STANDARD_ID),
        ("bank_card", "4111-1111 1111-1111", "4111111111111111"),
        ("ip", "2001:0db8:0000::0001", "2001:db8::1"),
        ("ip", " 192.168.1.1 ", "192.168.1.1"),
        ("ip", "not an ip", "not an ip"),
        ("name", "  张  伟\u3000", "张 伟"),
        ("address", "1 Main St,\n  Springfield", "1 Main St, Springfield"),
        ("passport", " E12345678 ", "E12345678"),
    ],
)
def test_normalise(pii_type: PiiType, value: str, expected: str) -> None:
    assert v.normalise(pii_type, value) == expected
    series = pd.Series([value, None], index=[10, 11], dtype="str")
    out = v.normalise_series(pii_type, series)
    assert out.tolist()[0] == expected
    assert pd.isna(out.iloc[1])
    assert list(out.index) == [10, 11]


def test_normalise_series_same_as_normalise_on_object_values() -> None:
    values = pd.Series(["+86 138-0013-8000", 13800138000, None], dtype=object)
    assert v.normalise_series("phone", values).tolist()[:2] == ["+8613800138000"] * 2


def test_id_card_parts() -> None:
    assert v.id_card_parts(STANDARD_ID) == (1949, "F", "110105")  # 17th digit 2: even
    assert v.id_card_parts(with_check("44030619850315" + "013")) == (1985, "M", "440306")
    assert v.id_card_parts("110105491231003") == (1949, "M", "110105")
    with pytest.raises(ValueError, match="not a valid"):
        v.id_card_parts("110105194912310021")


def test_id_card_parts_series() -> None:
    values = pd.Series([STANDARD_ID, "110105491231003", "bad", None], index=list("abcd"))
    parts = v.id_card_parts_series(values)
    assert list(parts.index) == list("abcd")
    assert parts["birth_year"].tolist()[:2] == [1949, 1949]
    assert parts["gender"].tolist()[:2] == ["F", "M"]
    assert parts["region"].tolist()[:2] == ["110105", "110105"]
    assert parts.iloc[2:].isna().all().all()


def test_float_columns_read_as_digits() -> None:
    values = pd.Series([13800138000.0, None, 1.5])
    assert v.as_text(values).tolist()[0] == "13800138000"
    assert v.phone_series(values).tolist() == [True, False, False]


def generated_values(seed: int = 7, count: int = 400) -> list[str]:
    """Valid values of every type plus near misses: one wrong digit each."""
    rng = random.Random(seed)
    valid = []
    for _ in range(count):
        valid += [resident_id(rng), legacy_id(rng), unionpay(rng)]
        valid.append(f"1{rng.randint(3, 9)}{rng.randrange(10**9):09d}")
    misses = []
    for value in valid:
        position = rng.randrange(len(value) - 1)
        digit = str((int(value[position]) + rng.randint(1, 9)) % 10)
        misses.append(value[:position] + digit + value[position + 1 :])
    extras = ["+1 415-555-2671", "+1 555 555 5555", "a@b.com", "fe80::1", "1.2.3", ""]
    return valid + misses + extras


@pytest.mark.parametrize("pii_type", ["phone", "email", "id_card", "bank_card", "ip"])
def test_series_agree_with_scalars(pii_type: PiiType) -> None:
    values = generated_values()
    series = pd.Series([*values, None], dtype="str")
    expected = [v.is_valid(pii_type, value) for value in values] + [False]
    assert v.valid_series(pii_type, series).tolist() == expected
    as_object = pd.Series([*values, None], dtype=object)
    assert v.valid_series(pii_type, as_object).tolist() == expected


def test_generated_ids_and_cards_pass_and_near_misses_mostly_fail() -> None:
    rng = random.Random(11)
    for _ in range(300):
        assert v.is_resident_id(resident_id(rng))
        assert v.is_legacy_id(legacy_id(rng))
        assert v.is_bank_card(unionpay(rng))
    # One wrong digit always breaks an 18-digit ID's checksum (weights are coprime to 11).
    ids = [resident_id(rng) for _ in range(300)]
    for value in ids:
        wrong = str((int(value[3]) + 1) % 10)
        assert not v.is_resident_id(value[:3] + wrong + value[4:])
