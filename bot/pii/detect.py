"""Which columns of a table hold personal data, and where PII sits inside free text.

A column is judged on two kinds of evidence: its header (English or Chinese words such as
手机 or "card number") and its values (validators run on a deterministic sample). Values
decide for types that a validator can prove; names, addresses and passport numbers have
no such proof, so only a header can make a column one of them. A text column that is not
PII as a whole is scanned in full, with a vectorised regex pre-filter, for values that
carry PII inside them (a phone number in a note); such a column is marked free text and
its spans are masked by the caller.

Numbers are where false positives come from: an order id starting with 13 is a valid
mobile number in shape, an 18-digit order number can pass Luhn. So numeric columns need a
header and validator hits; a header that names an identifier, amount or date switches off
the types codes can imitate; and a column of bare digit codes is never free text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api import types as ptypes

from bot.pii import validators as v
from bot.pii.types import VALIDATED, PiiType

# ============================== headers ==============================

_HEADER_SEPARATORS: Final = re.compile(r"[\s_\-./:;,|()\[\]{}<>#*'\"]+")
_CAMEL_BOUNDARY: Final = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SPACE_BY_CJK: Final = re.compile(r" ?([^\x00-\x7f]) ?")


def normalise_header(name: object) -> str:
    """Lowercase words split by single spaces; no spaces next to Chinese characters.

    "Customer_Name" and "customerName" become "customer name", "E-mail" becomes
    "e mail", "IP 地址" becomes "ip地址" and full-width "（手机）" becomes "手机".
    """
    text = unicodedata.normalize("NFKC", str(name))
    text = _CAMEL_BOUNDARY.sub(" ", text).lower()
    text = _HEADER_SEPARATORS.sub(" ", text).strip()
    return _SPACE_BY_CJK.sub(r"\1", text)


# Header words, matched in the normalised header. Latin words match whole words only
# ("tel" is not in "hotel"); Chinese words match anywhere. None marks a word that names
# something other than personal data (an order id, an amount, a date, a URL).
# fmt: off
_HEADER_WORDS: Final[dict[PiiType | None, tuple[str, ...]]] = {
    "phone": (
        "手机", "电话", "联系方式", "座机", "phone", "phones", "telephone", "tel", "mobile",
        "cell", "cellphone", "mobilephone", "phonenumber", "msisdn", "landline",
        "contact number",
    ),
    "id_card": (
        "身份证", "证件号", "身份号码", "公民身份号", "id card", "idcard", "id number",
        "idnumber", "id no", "idno", "national id", "identity card", "identity number",
        "resident id", "citizen id",
    ),
    "name": (
        "姓名", "客户名", "用户名", "户名", "联系人", "收件人", "收货人", "寄件人", "持卡人",
        "开户人", "姓氏", "名字", "name", "names", "fullname", "firstname", "lastname",
        "surname", "givenname", "familyname", "username", "customername", "contactname",
        "contact person",
    ),
    "address": (
        "地址", "住址", "居住地", "户籍地", "address", "addr", "street",
    ),
    "email": (
        "邮箱", "电子邮件", "电邮", "邮件地址", "邮箱地址", "email", "e mail", "mail",
        "email address", "e mail address", "emailaddress",
    ),
    "bank_card": (
        "银行卡", "卡号", "银行账号", "银行账户", "信用卡", "bank card", "card number",
        "cardnumber", "card no", "cardno", "card num", "bank account", "credit card",
        "debit card", "account number",
    ),
    "passport": ("护照", "passport"),
    "ip": (
        "ip地址", "ip", "ipv4", "ipv6", "ip address", "ipaddress", "ip addr", "ipaddr",
    ),
    None: (
        "订单", "订单号", "单号", "编号", "流水号", "交易号", "发票号", "序号", "工号", "条码",
        "金额", "价格", "单价", "总价", "数量", "日期", "时间", "年份", "月份", "商品", "产品",
        "网址", "网站", "mac地址", "服务器地址", "钱包地址", "id", "uid", "order", "order id",
        "invoice", "sku", "amount", "price", "total", "qty", "quantity", "count", "date",
        "time", "timestamp", "datetime", "year", "month", "serial", "txn", "transaction",
        "trade", "tracking", "barcode", "sn", "ref", "reference", "product", "item",
        "sales", "revenue", "cost", "fee", "balance", "url", "website", "web address",
        "mac", "mac address", "server", "server address", "wallet", "wallet address",
        "version",
    ),
}
# fmt: on

# "name" and 名字 alone are a person's name; after another noun they usually are not
# ("product name", "store name", 产品名字). They count only after a word for a person.
_NEEDS_PERSON: Final = frozenset({"name", "names", "名字"})
# fmt: off
_PERSON_EN: Final = frozenset(
    {
        "customer", "client", "contact", "user", "full", "first", "last", "middle", "given",
        "family", "person", "personal", "employee", "staff", "member", "patient", "buyer",
        "recipient", "receiver", "sender", "holder", "cardholder", "account", "owner",
        "guest", "student", "teacher", "applicant", "consignee", "passenger", "driver",
        "real", "legal", "beneficiary", "payee", "payer", "emergency", "parent", "spouse",
        "manager", "agent", "doctor",
    }
)
_PERSON_ZH: Final = (
    "客户", "用户", "联系人", "员工", "会员", "学生", "顾客", "患者", "病人", "收件人",
    "收货人", "寄件人", "持卡人", "开户人", "真实", "乘客", "申请人", "法人", "负责人",
    "经办人", "业务员", "家长", "老师",
)
# fmt: on


def _word_pattern(word: str) -> str:
    # Latin ends match whole words; a trailing digit is allowed ("address1", "phone2").
    left = r"(?<![a-z0-9])" if word[0].isascii() and word[0].isalnum() else ""
    right = r"(?![a-z])" if word[-1].isascii() and word[-1].isalnum() else ""
    return left + re.escape(word) + right


_HEADER_PATTERNS: Final = tuple(
    (re.compile(_word_pattern(word)), word, kind)
    for kind, words in _HEADER_WORDS.items()
    for word in words
)


@dataclass(frozen=True)
class HeaderMatch:
    """The header word that decides what a header names; kind None: not personal data."""

    word: str
    kind: PiiType | None


def match_header(name: object) -> HeaderMatch | None:
    """What a column header names, or None when no header word occurs in it.

    Headers are read head-last, as both Chinese and English noun phrases are: of all the
    words found, the one ending last wins, and among those the longest. 联系人电话 is a
    phone, 紧急联系人 a name, "ip address" an IP, "email address" an email, 订单手机号
    a phone, 订单号 not personal data.
    """
    header = normalise_header(name)
    found: list[tuple[int, int, str, PiiType | None]] = []
    for pattern, word, kind in _HEADER_PATTERNS:
        found.extend(
            (hit.end(), hit.end() - hit.start(), word, kind) for hit in pattern.finditer(header)
        )
    if not found:
        return None
    end, length, word, kind = max(found, key=lambda item: (item[0], item[1]))
    if word in _NEEDS_PERSON:
        modifier = _modifier(header[: end - length])
        if modifier:
            joiner = " " if modifier.isascii() and word.isascii() else ""
            return HeaderMatch(f"{modifier}{joiner}{word}", None)
    return HeaderMatch(word, kind)


def _modifier(before: str) -> str:
    """The noun in front of "name"/名字, or "" when there is none or it names a person."""
    before = before.rstrip()
    if not before or before.endswith(_PERSON_ZH):
        return ""
    last = before.split(" ")[-1]
    if last.isascii():
        return "" if last in _PERSON_EN else last
    return before[-2:]  # the Chinese noun in front, e.g. 产品 in 产品名字


# ============================== spans in text ==============================


@dataclass(frozen=True)
class Span:
    """PII inside a longer text: text[start:end] is a value its validator accepts."""

    start: int
    end: int
    pii_type: PiiType
    text: str


@dataclass(frozen=True)
class _Finder:
    """One way PII shows up in text, in the two regex dialects the scan needs."""

    pii_type: PiiType
    pattern: re.Pattern[str]  # Python: boundaries as lookarounds, for exact spans
    prefilter: str  # RE2-safe: boundaries as consumed characters; same yes/no per text
    capture: str  # the prefilter with groups before, value, after: for str.extract
    accept: Callable[[str], int]  # length of the valid prefix of a match, 0 for none
    # Vectorised `accept(value) > 0` for extracted candidates; None: every match is valid.
    check: Callable[[pd.Series], pd.Series] | None


def _finder(
    pii_type: PiiType,
    core: str,
    left: str,
    right: tuple[str, str],
    accept: Callable[[str], int] = len,
    check: Callable[[pd.Series], pd.Series] | None = None,
) -> _Finder:
    """`left`: a character class that must not precede the value. `right`: the Python
    lookahead body, and its RE2 spelling as what may follow instead (besides the end)."""
    pattern = re.compile(f"(?<!{left})(?:{core})(?!{right[0]})")
    before, after = f"^|[^{left[1:]}", f"$|{right[1]}"
    prefilter = f"(?:{before})(?:{core})(?:{after})"
    # Only named groups, so pandas hands str.extract to Arrow's RE2 kernel.
    capture = f"(?P<before>{before})(?P<value>{core})(?P<after>{after})"
    return _Finder(pii_type, pattern, prefilter, capture, accept, check)


def _if(check: Callable[[str], bool]) -> Callable[[str], int]:
    return lambda text: len(text) if check(text) else 0


def _valid_phone_prefix(text: str) -> int:
    """Longest prefix, cut between digit groups, that is a real number: "+1 415 555 2671
    12 pcs" gives the phone without the 12 the greedy regex ran on into."""
    end = len(text)
    while end:
        if v.is_international_phone(text[:end]):
            return end
        group = re.search(r"[ ().-]+[0-9]+$", text[:end])
        end = group.start() if group else 0
    return 0


def _bulk(candidates: pd.Series, accept: Callable[[str], int]) -> pd.Series:
    """`accept` as a vectorised check: called once per distinct candidate."""
    codes, distinct = pd.factorize(candidates)
    valid = np.array([accept(str(value)) > 0 for value in distinct], dtype=bool)
    return pd.Series(valid[codes], index=candidates.index)


_ALNUM: Final = "[0-9A-Za-z]"
_NOT_ALNUM: Final = "[^0-9A-Za-z]"
# Exact finders (no check) first: the scan settles the most rows with the cheapest pass.
# fmt: off
_FINDERS: Final = (
    _finder("phone", v.MOBILE_CORE, _ALNUM, (_ALNUM, _NOT_ALNUM)),
    _finder("email", v.EMAIL_CORE, "[A-Za-z0-9._%+-]", ("[A-Za-z0-9-]", "[^A-Za-z0-9-]")),
    # A dot-digit after the fourth part means five parts: a version, not an address.
    _finder("ip", v.IPV4_CORE, "[0-9A-Za-z.]",
            (r"[0-9A-Za-z]|\.[0-9]", r"[^0-9A-Za-z.]|\.$|\.[^0-9]")),
    _finder("id_card", v.RESIDENT_ID_CORE, _ALNUM, (_ALNUM, _NOT_ALNUM),
            _if(v.is_resident_id), v.resident_id_series),
    _finder("id_card", v.LEGACY_ID_CORE, _ALNUM, (_ALNUM, _NOT_ALNUM),
            _if(v.is_legacy_id), v.legacy_id_series),
    _finder("bank_card", v.BANK_CARD_CORE, _ALNUM, (_ALNUM, _NOT_ALNUM),
            _if(v.is_bank_card), v.bank_card_series),
    _finder("ip", v.IPV6_CORE, "[0-9A-Za-z:.]",
            (r"[0-9A-Za-z:]|\.[0-9]", r"[^0-9A-Za-z:.]|\.$|\.[^0-9]"),
            _if(v.is_ip), v.ip_series),
    _finder("phone", v.INTL_PHONE_CORE, "[0-9A-Za-z+]", ("[0-9]", "[^0-9]"),
            _valid_phone_prefix, lambda found: _bulk(found, _valid_phone_prefix)),
)
# fmt: on

# Which type wins when two spans cover the same characters: an 18-digit string can be both
# a valid ID and Luhn-valid, and the ID check (checksum and birth date) is the stricter.
# fmt: off
_PRIORITY: Final[dict[PiiType, int]] = {
    "id_card": 0, "bank_card": 1, "phone": 2, "email": 3, "ip": 4,
    "passport": 5, "name": 6, "address": 7,
}
# fmt: on


def find_spans(text: str, *, types: Collection[PiiType] = VALIDATED) -> list[Span]:
    """Validator-backed PII in `text`: non-overlapping, leftmost-longest, in text order.

    Only types with a validator are found (names and addresses in prose are not);
    `types` narrows the search further.
    """
    found: list[Span] = []
    for finder in _FINDERS:
        if finder.pii_type not in types:
            continue
        for hit in finder.pattern.finditer(text):
            length = finder.accept(hit.group())
            if length:
                start = hit.start()
                found.append(
                    Span(start, start + length, finder.pii_type, text[start : start + length])
                )
    found.sort(key=lambda span: (span.start, span.start - span.end, _PRIORITY[span.pii_type]))
    chosen: list[Span] = []
    for span in found:
        if not chosen or span.start >= chosen[-1].end:
            chosen.append(span)
    return chosen


def _contains(text: pd.Series, pattern: str) -> np.ndarray:
    found: np.ndarray = text.str.contains(pattern, regex=True).fillna(False).to_numpy(dtype=bool)
    return found


def _span_rows(
    values: pd.Series, types: Collection[PiiType]
) -> Iterator[tuple[PiiType, np.ndarray]]:
    """(type, row positions) for rows holding a span of that type; lazily, cheapest first.

    One regex pass over all rows keeps only those that could hold a span. Exact finders
    settle rows with one more pass over those. Checked finders pull each row's first
    candidate with str.extract, validate the distinct candidates in bulk, blank the ones
    that failed and look again, a few rounds; rows still undecided after that (many
    failing candidates in one value) go to `find_spans`.
    """
    text = values if isinstance(values.dtype, pd.StringDtype) else v.as_text(values)
    finders = [finder for finder in _FINDERS if finder.pii_type in types]
    if not finders or text.empty:
        return
    rows = np.flatnonzero(_contains(text, "|".join(f"(?:{f.prefilter})" for f in finders)))
    unsure = np.zeros(len(text), dtype=bool)
    for finder in finders:
        if not len(rows):
            return
        if finder.check is None:
            hit = _contains(text.iloc[rows], finder.prefilter)
            hit_rows = rows[hit]
        else:
            hit_rows, undecided = _checked_rows(text.iloc[rows], rows, finder.capture, finder.check)
            unsure[undecided] = True
            hit = np.isin(rows, hit_rows)
        if len(hit_rows):
            yield finder.pii_type, hit_rows
        rows = rows[~hit]
    rows = rows[unsure[rows]]
    if len(rows):
        codes, distinct = pd.factorize(text.iloc[rows])
        checked = [finder.pii_type for finder in finders if finder.check is not None]
        firsts = [find_spans(str(value), types=checked)[:1] for value in distinct]
        kinds = np.array([spans[0].pii_type if spans else "" for spans in firsts])[codes]
        for pii_type in sorted(set(kinds) - {""}):
            yield pii_type, rows[kinds == pii_type]


def _extract_value(text: pd.Series, capture: str) -> pd.Series:
    """Each row's first candidate, the "value" group of `capture` (NaN where none).

    pandas runs str.extract in Python even on Arrow strings, so on those Arrow's own RE2
    kernel is called directly: several times faster on a million rows.
    """
    if isinstance(text.array, pd.arrays.ArrowStringArray):
        found = pc.struct_field(pc.extract_regex(pa.array(text.array), capture), "value")
        return pd.Series(pd.arrays.ArrowStringArray(found), index=text.index).astype(text.dtype)
    return text.str.extract(capture, expand=True)["value"]


_ROUNDS: Final = 4  # failing candidates per value blanked in bulk before Python takes over


def _checked_rows(
    text: pd.Series, rows: np.ndarray, capture: str, check: Callable[[pd.Series], pd.Series]
) -> tuple[np.ndarray, np.ndarray]:
    """Of `rows` (positions of `text`'s values), those with a candidate that `check`
    accepts (sorted), and those still undecided after _ROUNDS failing candidates."""
    hits: list[np.ndarray] = []
    for _ in range(_ROUNDS):
        first = _extract_value(text, capture)
        present = first.notna().to_numpy()
        valid = np.zeros(len(rows), dtype=bool)
        valid[present] = check(first[present]).to_numpy(dtype=bool)
        hits.append(rows[valid])
        failed = present & ~valid
        rows = rows[failed]
        if not len(rows):
            break
        # The failed value becomes "Z": like the value's own last character (a digit, hex
        # digit or X) it stops the next candidate from starting right after it, and it
        # cannot itself start or extend an ID, card, phone or IPv6 candidate.
        text = text[failed].str.replace(capture, r"\1Z\3", n=1, regex=True)
    return np.sort(np.concatenate(hits)), rows


def spans_in_series(values: pd.Series, *, types: Collection[PiiType] = VALIDATED) -> pd.Series:
    """Boolean Series (same index): which values contain at least one `find_spans` span.

    Vectorised: regex passes over the column and bulk validation of distinct candidates;
    Python's per-value `find_spans` runs only on rows whose first candidate failed.
    """
    found = np.zeros(len(values), dtype=bool)
    for _, rows in _span_rows(values, types):
        found[rows] = True
    return pd.Series(found, index=values.index)


def _first_span_type(values: pd.Series, types: Collection[PiiType]) -> PiiType | None:
    """The type of some span in the column, or None; stops at the first one found."""
    return next((pii_type for pii_type, _ in _span_rows(values, types)), None)


# ============================== columns ==============================

SHARE_BY_VALUES: Final = 0.8  # validator hits that make a column PII on their own
SHARE_WITH_HEADER: Final = 0.5  # hits that suffice when the header names the type
CODE_SHARE: Final = 0.9  # bare digit codes: such a column is never free text
# Types that codes, amounts and version numbers can imitate (an order id starting 13, a
# Luhn-valid order number, version 1.2.3.4): off under a header that names such a thing.
# Emails stay on: a "user id" that is an email address is still one.
LOOKALIKE_TYPES: Final[frozenset[PiiType]] = frozenset({"phone", "id_card", "bank_card", "ip"})


def _allowed_types(header: HeaderMatch | None) -> frozenset[PiiType]:
    # A header naming something that is not personal data (订单号, amount, version)
    # rules out the types its values can only look like.
    if header is not None and header.kind is None:
        return VALIDATED - LOOKALIKE_TYPES
    return VALIDATED


def span_types(column: object) -> frozenset[PiiType]:
    """The PII types looked for inside the values of a column with this header; the
    same rule classification uses, so masking finds what detection found."""
    return _allowed_types(match_header(column))


_NULL_TOKENS: Final = ("", "na", "n/a", "nan", "null", "none", "nat", "<na>", "-", "--", "无")
_LABEL: Final[dict[PiiType, str]] = {
    "phone": "phone numbers",
    "email": "email addresses",
    "id_card": "resident ID numbers",
    "bank_card": "bank card numbers",
    "ip": "IP addresses",
    "passport": "passport numbers",
    "name": "person names",
    "address": "addresses",
}
_PHONE_SHAPE: Final = r"\+?[0-9(][0-9 ().-]{5,22}[0-9]"
_NOT_WORDS: Final = r"[0-9 .,:;/+#()%-]*"  # a "name" made of these is a number or code

ColumnKind = Literal["text", "numeric", "temporal", "boolean"]


@dataclass(frozen=True)
class ColumnDecision:
    """What `classify_column` decided about one column, with its evidence."""

    column: str
    pii_type: PiiType | None  # None: not PII as a whole column
    free_text: bool  # a text column whose values are scanned in full for PII spans
    confidence: float  # 0..1
    header_match: str | None  # the header word that matched, if any
    validator_hits: int  # sampled non-null values the validator accepted
    sampled: int  # non-null values looked at
    reason: str  # one readable sentence for `threadlab pii scan`


def sample_positions(values: pd.Series, size: int) -> np.ndarray:
    """Positions of up to `size` non-null values: the first half of them in order, the
    rest evenly spaced over the whole column. No randomness, so a scan is repeatable."""
    present = np.flatnonzero(values.notna().to_numpy())
    if len(present) <= size:
        return present
    head, rest = present[: size // 2], present[size // 2 :]
    spread = rest[np.linspace(0, len(rest) - 1, size - len(head)).round().astype(np.int64)]
    return np.concatenate([head, spread])


def _kind(values: pd.Series, sample: pd.Series) -> ColumnKind:
    dtype = values.dtype
    if ptypes.is_bool_dtype(dtype):
        return "boolean"
    if ptypes.is_numeric_dtype(dtype):
        return "numeric"
    if ptypes.is_datetime64_any_dtype(dtype) or ptypes.is_timedelta64_dtype(dtype):
        return "temporal"
    if isinstance(dtype, pd.PeriodDtype):
        return "temporal"
    if ptypes.is_object_dtype(dtype) and len(sample):
        kinds = {ptypes.infer_dtype(sample, skipna=True)}
        if kinds <= {"integer", "floating", "mixed-integer-float", "decimal"}:
            return "numeric"
        if kinds <= {"boolean"}:
            return "boolean"
        if kinds <= {"datetime", "datetime64", "date", "time", "timedelta", "period"}:
            return "temporal"
    return "text"


def _share(count: int, total: int) -> str:
    return f"{count / total:.0%}"


@dataclass(frozen=True)
class _Verdict:
    pii_type: PiiType | None
    confidence: float
    reason: str
    hits: int = 0
    free_text: bool = False


def classify_column(name: str, values: pd.Series, *, sample_size: int = 1000) -> ColumnDecision:
    """Decide whether one column is PII as a whole, free text holding PII, or neither.

    Looks at a deterministic sample of `sample_size` non-null values, except for the
    free-text check, which scans every value (one vectorised regex pass, then Python only
    on the rows that pass it).
    """
    header = match_header(name)
    raw = values.iloc[sample_positions(values, sample_size)]
    kind = _kind(values, raw)
    sample = pd.Series([], dtype="str")
    if kind in ("text", "numeric"):
        sample = v.as_text(raw)
        sample = sample[~sample.str.lower().isin(_NULL_TOKENS)]
    if kind in ("temporal", "boolean"):
        verdict = _Verdict(None, 1.0, f"{kind} values are not personal data.")
    elif sample.empty:
        verdict = _Verdict(None, 1.0, "the column has no values to check.")
    elif kind == "numeric":
        verdict = _numeric_verdict(header, sample)
    else:
        verdict = _text_verdict(header, sample, values)
    matched = header.word if header is not None and header.kind is not None else None
    confidence = round(min(max(verdict.confidence, 0.0), 1.0), 2)
    return ColumnDecision(
        column=str(name),
        pii_type=verdict.pii_type,
        free_text=verdict.free_text,
        confidence=confidence,
        header_match=matched,
        validator_hits=verdict.hits,
        sampled=len(sample),
        reason=verdict.reason,
    )


def _numeric_verdict(header: HeaderMatch | None, sample: pd.Series) -> _Verdict:
    """Numbers have no formatting to go by: amounts, user ids and order ids are PII only
    when the header names a type and the values pass its validator (or shape)."""
    total = len(sample)
    if header is None:
        return _Verdict(None, 1.0, "numeric column without a personal-data header.")
    word, head_type = header.word, header.kind
    if head_type is None:
        return _Verdict(None, 1.0, f"numeric column; header '{word}' is not personal data.")
    if head_type in VALIDATED:
        hits = int(v.valid_series(head_type, sample).sum())
    elif head_type == "passport":
        hits = int(v.passport_shape_series(sample).sum())
    else:
        return _Verdict(
            None, 0.9, f"numeric column; header '{word}' names {_LABEL[head_type]}, not numbers."
        )
    if hits >= SHARE_WITH_HEADER * total:
        return _Verdict(
            head_type,
            0.5 + 0.45 * hits / total,
            f"numeric column; header '{word}' names {_LABEL[head_type]} and "
            f"{_share(hits, total)} of {total} sampled values are valid.",
            hits,
        )
    return _Verdict(
        None,
        0.8,
        f"numeric column; header '{word}' names {_LABEL[head_type]} but only "
        f"{_share(hits, total)} of {total} sampled values are valid.",
        hits,
    )


def _text_verdict(header: HeaderMatch | None, sample: pd.Series, values: pd.Series) -> _Verdict:
    total = len(sample)
    word = header.word if header else None
    head_type = header.kind if header else None
    not_pii_header = header is not None and head_type is None
    allowed = _allowed_types(header)
    candidates = sorted(allowed, key=lambda pii_type: _PRIORITY[pii_type])
    counts = {pii_type: int(v.valid_series(pii_type, sample).sum()) for pii_type in candidates}
    best = max(candidates, key=lambda pii_type: counts[pii_type])  # ties: first by priority
    hits = counts[best]
    if hits >= SHARE_BY_VALUES * total:
        agrees = head_type == best
        return _Verdict(
            best,
            0.6 + 0.35 * hits / total + (0.05 if agrees else 0.0),
            f"{_share(hits, total)} of {total} sampled values are valid {_LABEL[best]}"
            + (f"; header '{word}' agrees." if agrees else "."),
            hits,
        )
    if head_type in counts and counts[head_type] >= SHARE_WITH_HEADER * total:
        head_hits = counts[head_type]
        return _Verdict(
            head_type,
            0.5 + 0.4 * head_hits / total,
            f"header '{word}' names {_LABEL[head_type]} and {_share(head_hits, total)} of "
            f"{total} sampled values are valid.",
            head_hits,
        )
    weak = _weak_verdict(header, sample)
    if weak is not None:
        return weak

    evidence = (
        f"the best validator ({_LABEL[best]}) accepts {_share(hits, total)} of {total}"
        if hits
        else f"no validator accepts any of {total} sampled values"
    )
    if not_pii_header:
        because = f"header '{word}' is not personal data"
    elif head_type is not None:
        because = f"header '{word}' suggests {_LABEL[head_type]} but the values do not agree"
    else:
        because = "no personal-data header"
    if sample.str.fullmatch(r"[0-9]+[Xx]?").mean() >= CODE_SHARE:
        # A column of bare numbers is codes or amounts; the few that happen to pass Luhn or
        # a mobile pattern are coincidence, not PII inside text.
        return _Verdict(
            None, 0.9, f"not personal data: {because}; bare digit codes and {evidence}.", hits
        )
    found = _first_span_type(values, allowed)
    if found is not None:
        return _Verdict(
            None,
            0.9,
            f"free text: values contain {_LABEL[found]} (or other PII) that pass their "
            "validators; those spans are masked, the rest of the text is kept.",
            hits,
            free_text=True,
        )
    return _Verdict(
        None,
        1.0 - 0.5 * hits / total,
        f"not personal data: {because}; {evidence}; no PII inside the text.",
        hits,
    )


def _weak_verdict(header: HeaderMatch | None, sample: pd.Series) -> _Verdict | None:
    """Header-only types, and a phone header over numbers outside the validators' plans."""
    if header is None or header.kind is None:
        return None
    total, word, head_type = len(sample), header.word, header.kind
    if head_type in ("name", "address"):
        wordy = int((~sample.str.fullmatch(_NOT_WORDS).fillna(False).astype(bool)).sum())
        if wordy >= SHARE_WITH_HEADER * total:
            return _Verdict(
                head_type,
                0.75,
                f"header '{word}' names {_LABEL[head_type]}, which have no validator; "
                f"{_share(wordy, total)} of {total} sampled values are words, not numbers.",
            )
    if head_type == "passport":
        shaped = int(v.passport_shape_series(sample).sum())
        if shaped >= SHARE_WITH_HEADER * total:
            return _Verdict(
                "passport",
                0.5 + 0.4 * shaped / total,
                f"header '{word}' names passport numbers and {_share(shaped, total)} of "
                f"{total} sampled values have their shape.",
                shaped,
            )
    if head_type == "phone":
        # Landlines and national formats ("(415) 555-2671", "010-12345678") have no
        # validator here, but under a phone header they are phone numbers all the same.
        phone_like = sample.str.fullmatch(_PHONE_SHAPE).fillna(False).astype(bool)
        digits = sample.str.count("[0-9]")
        phoney = int((phone_like & (digits >= 7) & (digits <= 15)).sum())
        if phoney >= SHARE_BY_VALUES * total:
            return _Verdict(
                "phone",
                0.6,
                f"header '{word}' names phone numbers and {_share(phoney, total)} of {total} "
                "sampled values are shaped like them (outside the validators' number plans).",
            )
    return None


def classify_frame(frame: pd.DataFrame) -> list[ColumnDecision]:
    """One decision per column, in column order (duplicate names are each classified)."""
    return [
        classify_column(str(name), frame.iloc[:, position])
        for position, name in enumerate(frame.columns)
    ]


def pii_columns(decisions: Sequence[ColumnDecision]) -> dict[str, PiiType]:
    """Column name to type, for the columns that are PII as a whole."""
    return {d.column: d.pii_type for d in decisions if d.pii_type is not None}
