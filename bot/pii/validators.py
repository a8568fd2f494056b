"""Validators and normalisation for PII values: one string at a time, or a whole Series.

The patterns are written in the regex subset shared by Python's `re` and RE2, the engine
pandas uses for `.str` methods on Arrow-backed strings: no lookarounds, and ASCII classes
(`[0-9]`, never `\\d`, which in Python also matches full-width and other Unicode digits).
The span finder in `bot.pii.detect` builds on the same cores.

Series functions pre-filter with a vectorised regex, then run the checksum or parser once
per distinct candidate, so a million-row column costs one regex pass and one pass over its
distinct candidates, not a Python call per cell.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import re
from collections.abc import Callable, Iterable
from typing import Final, Literal

import numpy as np
import pandas as pd
import phonenumbers
from pandas.api import types as ptypes

from bot.pii.types import PiiType

# ---- pattern cores (no anchors, no boundaries: callers add those) ----

MOBILE_CORE: Final = r"(?:(?:\+|00)?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}"
# "+", then 7 to 17 digits with at most two separator characters between any two of them;
# phonenumbers decides whether the number really exists in its country's plan.
INTL_PHONE_CORE: Final = r"\+[0-9](?:[ ().-]{0,2}[0-9]){6,16}"
_LOCAL_ATOM = r"[A-Za-z0-9_%+-]+"
_DOMAIN_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_CORE: Final = rf"{_LOCAL_ATOM}(?:\.{_LOCAL_ATOM})*@(?:{_DOMAIN_LABEL}\.)+[A-Za-z]{{2,63}}"
_MONTH_DAY = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
RESIDENT_ID_CORE: Final = rf"[1-8][0-9]{{5}}(?:19|20)[0-9]{{2}}{_MONTH_DAY}[0-9]{{3}}[0-9Xx]"
LEGACY_ID_CORE: Final = rf"[1-8][0-9]{{5}}[0-9]{{2}}{_MONTH_DAY}[0-9]{{3}}"
# 16-19 digits run together, or in groups of four split by one space or dash.
BANK_CARD_CORE: Final = r"[0-9]{16,19}|[0-9]{4}(?:[ -][0-9]{4}){3}(?:[ -]?[0-9]{1,3})?"
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
IPV4_CORE: Final = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
_HEX = r"[0-9A-Fa-f]{1,4}"
_IPV4_TAIL = r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}"
# Eight groups, or a "::" form, optionally ending in an embedded IPv4 address; the regex
# only finds candidates, `ipaddress` decides (group counts, octet ranges).
IPV6_CORE: Final = (
    rf"(?:{_HEX}:){{7}}{_HEX}"
    rf"|(?:{_HEX}(?::{_HEX}){{0,6}})?::(?:{_HEX}(?::{_HEX}){{0,6}})?(?::{_IPV4_TAIL})?"
    rf"|(?:{_HEX}:){{6}}{_IPV4_TAIL}"
)
PASSPORT_CORE: Final = r"[A-Z]{1,2}[0-9]{6,9}|[0-9]{9}"  # the US issues all-digit books

# Cells are compared whole, after stripping; wrapping keeps alternations anchored.
_FULL: Final[dict[str, re.Pattern[str]]] = {
    name: re.compile(f"(?:{core})")
    for name, core in {
        "mobile": MOBILE_CORE,
        "intl": INTL_PHONE_CORE,
        "email": EMAIL_CORE,
        "id18": RESIDENT_ID_CORE,
        "id15": LEGACY_ID_CORE,
        "card": BANK_CARD_CORE,
        "ipv4": IPV4_CORE,
        "passport": PASSPORT_CORE,
    }.items()
}
_IP_SHAPE: Final = r"[0-9A-Fa-f:.]{2,45}(?:%[0-9A-Za-z_.-]+)?"  # what ipaddress might accept

# ---- checksums and dates ----

ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS: Final = "10X98765432"
_WEIGHTS_ARRAY: Final = np.array(ID_WEIGHTS, dtype=np.int64)
_CHECK_BYTES: Final = np.frombuffer(ID_CHECK_CHARS.encode("ascii"), dtype=np.uint8)
_DAYS_IN_MONTH: Final = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
_EARLIEST_BIRTH: Final = dt.date(1900, 1, 1)


def _birth_date_ok(year: int, month: int, day: int) -> bool:
    try:
        born = dt.date(year, month, day)
    except ValueError:  # Feb 30, Apr 31, Feb 29 outside leap years
        return False
    return _EARLIEST_BIRTH <= born <= dt.date.today()


def _birth_dates_ok(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """The array form of `_birth_date_ok`; months are 1-12 already (the regex sees to it)."""
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    last_day = _DAYS_IN_MONTH[month - 1] + ((month == 2) & leap)
    today = dt.date.today()
    stamp = year * 10_000 + month * 100 + day
    in_range = (stamp >= 19_000_101) & (
        stamp <= today.year * 10_000 + today.month * 100 + today.day
    )
    ok: np.ndarray = (day >= 1) & (day <= last_day) & in_range
    return ok


def _resident_id_ok(value: str) -> bool:
    """Checksum and birth date of an 18-character ID already matching RESIDENT_ID_CORE."""
    total = sum(int(char) * weight for char, weight in zip(value, ID_WEIGHTS, strict=False))
    if ID_CHECK_CHARS[total % 11] != value[17].upper():
        return False
    return _birth_date_ok(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def _legacy_id_ok(value: str) -> bool:
    """Birth date of a 15-digit ID matching LEGACY_ID_CORE; they were issued before 2000."""
    return _birth_date_ok(1900 + int(value[6:8]), int(value[8:10]), int(value[10:12]))


def _luhn_ok(digits: str) -> bool:
    if len(set(digits)) == 1:  # 0000..., 1111...: placeholders that happen to pass Luhn
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _ascii_matrix(values: Iterable[str], width: int) -> np.ndarray:
    """Equal-width ASCII strings as a (n, width) byte matrix, for checksums in numpy."""
    joined = "".join(values).encode("ascii")
    return np.frombuffer(joined, dtype=np.uint8).reshape(-1, width)


# The bulk checks take an object array of distinct strings that already match their core.


def _resident_ids_ok(values: np.ndarray) -> np.ndarray:
    raw = _ascii_matrix([value.upper() for value in values], 18)
    digits = raw[:, :17].astype(np.int64) - ord("0")
    checksum_ok = raw[:, 17] == _CHECK_BYTES[(digits @ _WEIGHTS_ARRAY) % 11]
    year = digits[:, 6] * 1000 + digits[:, 7] * 100 + digits[:, 8] * 10 + digits[:, 9]
    month = digits[:, 10] * 10 + digits[:, 11]
    day = digits[:, 12] * 10 + digits[:, 13]
    ok: np.ndarray = checksum_ok & _birth_dates_ok(year, month, day)
    return ok


def _legacy_ids_ok(values: np.ndarray) -> np.ndarray:
    digits = _ascii_matrix(values, 15).astype(np.int64) - ord("0")
    year = 1900 + digits[:, 6] * 10 + digits[:, 7]
    month = digits[:, 8] * 10 + digits[:, 9]
    day = digits[:, 10] * 10 + digits[:, 11]
    return _birth_dates_ok(year, month, day)


def _luhns_ok(values: np.ndarray) -> np.ndarray:
    """Luhn over digit strings of mixed lengths: one numpy pass per length."""
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    ok = np.zeros(len(values), dtype=bool)
    for width in np.unique(lengths):
        rows = lengths == width
        digits = _ascii_matrix(values[rows], int(width)).astype(np.int64) - ord("0")
        from_right = digits[:, ::-1]
        doubled = from_right[:, 1::2] * 2
        doubled -= 9 * (doubled > 9)
        total = from_right[:, ::2].sum(axis=1) + doubled.sum(axis=1)
        varied = (digits != digits[:, :1]).any(axis=1)
        ok[rows] = (total % 10 == 0) & varied
    return ok


@functools.lru_cache(maxsize=1 << 16)  # parsing costs ~0.1 ms; phone columns repeat values
def _number_plan_ok(value: str) -> bool:
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number)


def _ip_ok(value: str) -> bool:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return False
    return address.compressed != "::"  # a bare "::" is C++ scope or punctuation, not a host


# ---- one value ----


def is_mainland_mobile(value: str) -> bool:
    """11 digits from 13x to 19x, optionally after +86/0086/86, with spaces or dashes."""
    return _FULL["mobile"].fullmatch(value.strip()) is not None


def is_international_phone(value: str) -> bool:
    """A "+" number that the phonenumbers metadata accepts as a real number."""
    value = value.strip()
    return _FULL["intl"].fullmatch(value) is not None and _number_plan_ok(value)


def is_phone(value: str) -> bool:
    return is_mainland_mobile(value) or is_international_phone(value)


def is_email(value: str) -> bool:
    value = value.strip()
    if _FULL["email"].fullmatch(value) is None:
        return False
    local, _, domain = value.rpartition("@")
    return len(local) <= 64 and len(domain) <= 253


def is_resident_id(value: str) -> bool:
    """An 18-character resident ID: region, real birth date, GB 11643 check character."""
    value = value.strip()
    return _FULL["id18"].fullmatch(value) is not None and _resident_id_ok(value)


def is_legacy_id(value: str) -> bool:
    """A 15-digit first-generation ID: region, a real 19YY birth date, sequence number."""
    value = value.strip()
    return _FULL["id15"].fullmatch(value) is not None and _legacy_id_ok(value)


def is_id_card(value: str) -> bool:
    return is_resident_id(value) or is_legacy_id(value)


def is_bank_card(value: str) -> bool:
    """16-19 digits (spaces or dashes between groups of four) passing the Luhn check."""
    value = value.strip()
    if _FULL["card"].fullmatch(value) is None:
        return False
    return _luhn_ok(value.replace(" ", "").replace("-", ""))


def is_ip(value: str) -> bool:
    """An IPv4 dotted quad (exactly four parts, so "1.2.3" is a version) or an IPv6."""
    value = value.strip()
    if ":" not in value and _FULL["ipv4"].fullmatch(value) is None:
        return False
    return _ip_ok(value)


def is_passport_shape(value: str) -> bool:
    """Shape only: passports carry no public checksum, so this is evidence, not proof."""
    return _FULL["passport"].fullmatch(value.strip().upper()) is not None


_SCALAR: Final[dict[PiiType, Callable[[str], bool]]] = {
    "phone": is_phone,
    "email": is_email,
    "id_card": is_id_card,
    "bank_card": is_bank_card,
    "ip": is_ip,
}


def is_valid(pii_type: PiiType, value: str) -> bool:
    """Whether one value is a valid `pii_type`; only types in VALIDATED have a validator."""
    try:
        return _SCALAR[pii_type](value)
    except KeyError:
        raise ValueError(f"{pii_type} has no value validator") from None


# ---- whole Series ----


def as_text(values: pd.Series) -> pd.Series:
    """Values as stripped strings (pandas "str" dtype, nulls kept), index preserved.

    Integral floats lose their ".0" so a phone or card column that went through float
    (a CSV with blanks) is seen as digits; bytes and other objects go through str().
    """
    if ptypes.is_float_dtype(values.dtype):
        numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
        present = ~np.isnan(numbers)
        integral = present & (np.floor(numbers) == numbers) & (np.abs(numbers) < 9e18)
        text = np.full(len(numbers), None, dtype=object)
        text[integral] = numbers[integral].astype(np.int64).astype(str)
        text[present & ~integral] = numbers[present & ~integral].astype(str)
        return pd.Series(text, index=values.index, dtype="str")
    if ptypes.is_object_dtype(values.dtype):
        values = values.map(_object_text, na_action="ignore")
    return values.astype("str").str.strip()


def _object_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _fullmatch(text: pd.Series, core: str) -> pd.Series:
    return text.str.fullmatch(f"(?:{core})").fillna(False).astype(bool)


def _checked(
    text: pd.Series, shaped: pd.Series, check: Callable[[np.ndarray], np.ndarray]
) -> pd.Series:
    """`shaped` narrowed to the values `check` accepts, checking each distinct value once."""
    rows = np.flatnonzero(shaped.to_numpy())
    if len(rows) == 0:
        return shaped
    codes, distinct = pd.factorize(text.iloc[rows])
    accepted = check(distinct.to_numpy(dtype=object))[codes]
    result = np.zeros(len(text), dtype=bool)
    result[rows] = accepted
    return pd.Series(result, index=text.index)


def _each(accept: Callable[[str], bool]) -> Callable[[np.ndarray], np.ndarray]:
    return lambda values: np.fromiter(map(accept, values), dtype=bool, count=len(values))


def phone_series(values: pd.Series) -> pd.Series:
    text = as_text(values)
    mainland = _fullmatch(text, MOBILE_CORE)
    plus = ~mainland & _fullmatch(text, INTL_PHONE_CORE)
    return mainland | _checked(text, plus, _each(_number_plan_ok))


def email_series(values: pd.Series) -> pd.Series:
    text = as_text(values)
    shaped = _fullmatch(text, EMAIL_CORE)
    if not shaped.any():
        return shaped
    return _checked(text, shaped, _each(is_email))  # the local/domain length limits


def resident_id_series(values: pd.Series) -> pd.Series:
    text = as_text(values)
    return _checked(text, _fullmatch(text, RESIDENT_ID_CORE), _resident_ids_ok)


def legacy_id_series(values: pd.Series) -> pd.Series:
    text = as_text(values)
    return _checked(text, _fullmatch(text, LEGACY_ID_CORE), _legacy_ids_ok)


def id_card_series(values: pd.Series) -> pd.Series:
    text = as_text(values)
    resident = _checked(text, _fullmatch(text, RESIDENT_ID_CORE), _resident_ids_ok)
    return resident | _checked(text, _fullmatch(text, LEGACY_ID_CORE), _legacy_ids_ok)


def bank_card_series(values: pd.Series) -> pd.Series:
    text = as_text(values)
    shaped = _fullmatch(text, BANK_CARD_CORE)
    digits = text.where(shaped).str.replace(r"[ -]", "", regex=True)
    return _checked(digits, shaped, _luhns_ok)


def ip_series(values: pd.Series) -> pd.Series:
    text = as_text(values)
    # A dotted quad that matches IPV4_CORE is valid as it stands; ipaddress sees only
    # the IPv6 candidates.
    v4 = _fullmatch(text, IPV4_CORE)
    v6 = ~v4 & text.str.contains(":", regex=False).fillna(False).astype(bool)
    v6 &= _fullmatch(text, _IP_SHAPE)
    return v4 | _checked(text, v6, _each(_ip_ok))


def passport_shape_series(values: pd.Series) -> pd.Series:
    return _fullmatch(as_text(values).str.upper(), PASSPORT_CORE)


_VECTORISED: Final[dict[PiiType, Callable[[pd.Series], pd.Series]]] = {
    "phone": phone_series,
    "email": email_series,
    "id_card": id_card_series,
    "bank_card": bank_card_series,
    "ip": ip_series,
}


def valid_series(pii_type: PiiType, values: pd.Series) -> pd.Series:
    """Boolean Series: which values are a valid `pii_type` (types in VALIDATED only)."""
    try:
        validate = _VECTORISED[pii_type]
    except KeyError:
        raise ValueError(f"{pii_type} has no value validator") from None
    return validate(values)


# ---- normalisation: one spelling per value, so equal values get equal tokens ----

_PHONE_EXTENSION: Final = r"[ ]*(?:[xX#]|[eE][xX][tT]\.?)[ ]*[0-9]+$"
_MAINLAND_DIGITS: Final = r"^(?:\+?86)?(1[3-9][0-9]{9})$"
# Unicode spaces spelled out (not \s) so Python and RE2 agree; includes the CJK full-width
# space U+3000 and the no-break space U+00A0.
_WHITESPACE: Final = "[ \t\r\n\f\v\u00a0\u3000]+"


def normalise(pii_type: PiiType, value: str) -> str:
    """The canonical spelling of one value (see `normalise_series` for the rules)."""
    value = value.strip()
    if pii_type == "phone":
        value = re.sub(r"[^0-9+]", "", re.sub(_PHONE_EXTENSION, "", value))
        value = re.sub(r"^00", "+", value)
        return re.sub(_MAINLAND_DIGITS, r"+86\1", value)
    if pii_type == "email":
        return value.lower()
    if pii_type == "id_card":
        return re.sub(_WHITESPACE, "", value).upper()
    if pii_type == "bank_card":
        return re.sub(r"[^0-9]", "", value)
    if pii_type == "ip":
        try:
            return ipaddress.ip_address(value).compressed
        except ValueError:
            return value
    return re.sub(_WHITESPACE, " ", value)


def normalise_series(pii_type: PiiType, values: pd.Series) -> pd.Series:
    """`normalise` over a column, vectorised; nulls stay null.

    Phones: extension dropped, then digits and "+" only, 00 becomes +, mainland mobiles
    become "+86" and 11 digits. Emails: lowercased. IDs: no spaces, x as X. Cards: digits.
    IPs: `ipaddress`'s compressed form (IPv4 quads are already canonical). Weak types:
    whitespace runs become one space.
    """
    text = as_text(values)
    if pii_type == "phone":
        text = text.str.replace(_PHONE_EXTENSION, "", regex=True)
        text = text.str.replace(r"[^0-9+]", "", regex=True).str.replace(r"^00", "+", regex=True)
        return text.str.replace(_MAINLAND_DIGITS, r"+86\1", regex=True)
    if pii_type == "email":
        return text.str.lower()
    if pii_type == "id_card":
        return text.str.replace(_WHITESPACE, "", regex=True).str.upper()
    if pii_type == "bank_card":
        return text.str.replace(r"[^0-9]", "", regex=True)
    if pii_type == "ip":
        needs_parser = text.str.contains(":", regex=False).fillna(False).astype(bool)
        if not needs_parser.any():
            return text
        codes, distinct = pd.factorize(text[needs_parser])
        canonical = np.array([normalise("ip", value) for value in distinct], dtype=object)
        return text.mask(needs_parser, pd.Series(canonical[codes], index=text.index[needs_parser]))
    return text.str.replace(_WHITESPACE, " ", regex=True)


# ---- what an ID number says about its holder ----

Gender = Literal["F", "M"]


def id_card_parts(value: str) -> tuple[int, Gender, str]:
    """(birth year, gender, 6-digit region code) of a valid 18- or 15-character ID.

    The sequence digit (17th of 18, 15th of 15) is odd for men and even for women.
    Raises ValueError for anything `is_id_card` rejects.
    """
    value = normalise("id_card", value)
    if is_resident_id(value):
        year, sequence = int(value[6:10]), int(value[16])
    elif is_legacy_id(value):
        year, sequence = 1900 + int(value[6:8]), int(value[14])
    else:
        raise ValueError("not a valid resident ID number")
    return year, ("M" if sequence % 2 else "F"), value[:6]


def id_card_parts_series(values: pd.Series) -> pd.DataFrame:
    """Vectorised `id_card_parts`: columns birth_year (Int64), gender and region (str).

    Values that are not valid IDs give nulls in all three columns, never an error.
    """
    text = normalise_series("id_card", values)
    valid = id_card_series(text)
    long_form = text.str.len() == 18
    year_text = text.str.slice(6, 10).where(long_form, "19" + text.str.slice(6, 8))
    sequence = text.str.slice(16, 17).where(long_form, text.str.slice(14, 15))
    year = pd.to_numeric(year_text.where(valid), errors="coerce").astype("Int64")
    odd = pd.to_numeric(sequence.where(valid), errors="coerce") % 2 == 1
    gender = pd.Series(np.where(odd, "M", "F"), index=text.index, dtype="str").where(valid)
    region = text.str.slice(0, 6).where(valid)
    return pd.DataFrame({"birth_year": year, "gender": gender, "region": region})
