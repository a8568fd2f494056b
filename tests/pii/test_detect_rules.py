"""Detection rules one at a time: headers, the `name` compound rule, numeric columns, free
text, spans, sampling and speed."""

from __future__ import annotations

import random
import time

import numpy as np
import pandas as pd
import pytest

from bot.pii.detect import (
    Span,
    classify_column,
    classify_frame,
    find_spans,
    match_header,
    normalise_header,
    sample_positions,
    spans_in_series,
)
from bot.pii.validators import is_bank_card
from tests.pii.make_tables import large_frame, resident_id

ID = "11010519491231002X"
PHONES = [f"13{i:09d}" for i in range(800, 1000)]

# ---- headers ----


@pytest.mark.parametrize(
    ("header", "normalised"),
    [
        ("Customer_Name", "customer name"),
        ("customerName", "customer name"),
        ("IPAddress", "ip address"),
        ("E-mail", "e mail"),
        ("  card--no  ", "card no"),
        ("ID Number", "id number"),
        ("IP 地址", "ip地址"),
        ("手机号（主）", "手机号主"),
        ("ＥＭＡＩＬ", "email"),
        ("客户 姓名", "客户姓名"),
        (42, "42"),
    ],
)
def test_normalise_header(header: object, normalised: str) -> None:
    assert normalise_header(header) == normalised


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        ("手机号", "phone"),
        ("联系电话", "phone"),
        ("联系方式", "phone"),
        ("Mobile", "phone"),
        ("tel", "phone"),
        ("身份证号码", "id_card"),
        ("证件号", "id_card"),
        ("id_number", "id_card"),
        ("national ID", "id_card"),
        ("邮箱", "email"),
        ("电子邮件", "email"),
        ("E-mail", "email"),
        ("email address", "email"),
        ("银行卡号", "bank_card"),
        ("card_no", "bank_card"),
        ("Card Number", "bank_card"),
        ("护照号码", "passport"),
        ("passport_no", "passport"),
        ("IP", "ip"),
        ("ip地址", "ip"),
        ("ip_address", "ip"),
        ("住址", "address"),
        ("收货地址", "address"),
        ("addr", "address"),
        # Head-last: the word ending last names the column.
        ("联系人电话", "phone"),
        ("收货人地址", "address"),
        ("订单手机号", "phone"),
    ],
)
def test_header_words(header: str, kind: str) -> None:
    match = match_header(header)
    assert match is not None and match.kind == kind


@pytest.mark.parametrize(
    "header", ["订单号", "user_id", "amount", "金额", "下单日期", "mac address", "order_no"]
)
def test_headers_that_are_not_personal_data(header: str) -> None:
    match = match_header(header)
    assert match is not None and match.kind is None


@pytest.mark.parametrize("header", ["notes", "备注", "hotel", "zip", "city", "城市", "status"])
def test_headers_without_any_word(header: str) -> None:
    assert match_header(header) is None


@pytest.mark.parametrize(
    "header",
    [
        "name",
        "Name",
        "姓名",
        "名字",
        "客户名",
        "客户名称",
        "客户姓名",
        "联系人",
        "紧急联系人",
        "customer name",
        "Customer_Name",
        "first_name",
        "full name",
        "contact name",
        "用户名字",
        "name_cn",
    ],
)
def test_name_counts_bare_or_after_a_person_word(header: str) -> None:
    match = match_header(header)
    assert match is not None and match.kind == "name"


@pytest.mark.parametrize(
    "header",
    [
        "product name",
        "product_name",
        "store name",
        "StoreName",
        "file name",
        "city name",
        "category name",
        "company name",
        "sheet_name",
        "产品名字",
        "商品名称",
        "门店名称",
    ],
)
def test_name_after_a_thing_does_not_count(header: str) -> None:
    match = match_header(header)
    assert match is None or match.kind is None


def test_compound_name_column_is_not_pii() -> None:
    products = pd.Series(["无线耳机", "保温杯", "Laptop Pro 14"] * 50)
    for header in ("product name", "store_name", "file name", "city name", "category name"):
        decision = classify_column(header, products)
        assert decision.pii_type is None and not decision.free_text
        assert decision.header_match is None


# ---- numeric columns ----


def test_int_phone_column_with_header_is_pii() -> None:
    values = pd.Series([int(p) for p in PHONES], dtype="int64")
    decision = classify_column("手机", values)
    assert decision.pii_type == "phone"
    assert decision.header_match == "手机"
    assert decision.validator_hits == decision.sampled == len(PHONES)


@pytest.mark.parametrize("header", ["amount", "order_id", "user_id", "value", "订单号", "金额"])
def test_int_phone_lookalikes_without_a_pii_header_are_not(header: str) -> None:
    values = pd.Series([int(p) for p in PHONES], dtype="int64")
    decision = classify_column(header, values)
    assert decision.pii_type is None and not decision.free_text


def test_float_phone_column_with_blanks() -> None:
    values = pd.Series([float(p) for p in PHONES] + [np.nan] * 20)
    assert classify_column("phone", values).pii_type == "phone"
    assert classify_column("amount", values).pii_type is None


def test_object_column_of_python_ints() -> None:
    values = pd.Series([int(p) for p in PHONES], dtype=object)
    assert classify_column("电话", values).pii_type == "phone"
    assert classify_column("ref", values).pii_type is None


def test_numeric_header_needs_validator_hits() -> None:
    values = pd.Series(range(100_000, 100_200))
    decision = classify_column("手机号", values)
    assert decision.pii_type is None and decision.validator_hits == 0


@pytest.mark.parametrize(
    "values",
    [
        pd.Series(pd.date_range("2024-01-01", periods=50)),
        pd.Series([True, False] * 25),
        pd.Series([None] * 50, dtype=object),
        pd.Series([], dtype="str"),
    ],
)
def test_columns_with_nothing_to_check(values: pd.Series) -> None:
    decision = classify_column("手机号", values)
    assert decision.pii_type is None and not decision.free_text


# ---- text columns ----


def test_values_alone_make_a_validated_type() -> None:
    decision = classify_column("col_7", pd.Series(PHONES))
    assert decision.pii_type == "phone"
    assert decision.header_match is None


def test_text_order_ids_under_an_order_header_are_not_phones() -> None:
    decision = classify_column("订单号", pd.Series(PHONES))
    assert decision.pii_type is None and not decision.free_text


def test_18_digit_order_numbers_failing_the_checksum() -> None:
    rng = random.Random(3)
    ids = [resident_id(rng) for _ in range(300)]
    broken = [i[:-1] + ("0" if i[-1] != "0" else "1") for i in ids]
    assert any(is_bank_card(b) for b in broken), "some should pass Luhn by chance"
    for header in ("单据", "order_no"):
        decision = classify_column(header, pd.Series(broken))
        assert decision.pii_type is None and not decision.free_text
    assert classify_column("单据", pd.Series(ids)).pii_type == "id_card"


def test_header_with_half_valid_values() -> None:
    values = pd.Series(PHONES[:60] + ["unknown"] * 40)
    assert classify_column("联系方式", values).pii_type == "phone"
    decision = classify_column("contact", values)
    assert decision.pii_type is None and decision.free_text


def test_weak_types_need_a_header() -> None:
    names = pd.Series(["张伟", "王芳", "John Smith", "李娜"] * 30)
    assert classify_column("姓名", names).pii_type == "name"
    assert classify_column("value", names).pii_type is None
    assert classify_column("姓名", pd.Series(["1001", "1002"] * 30)).pii_type is None
    addresses = pd.Series(["北京市朝阳区建国路88号", "1 Main St, Springfield"] * 30)
    assert classify_column("地址", addresses).pii_type == "address"
    assert classify_column("desc", addresses).pii_type is None


def test_passport_needs_header_and_shape() -> None:
    passports = pd.Series([f"E{n:08d}" for n in range(100)])
    assert classify_column("护照号", passports).pii_type == "passport"
    assert classify_column("code", passports).pii_type is None
    assert classify_column("passport", pd.Series(["lost", "pending"] * 20)).pii_type is None


def test_phone_header_over_national_numbers() -> None:
    landlines = pd.Series([f"010-{n:08d}" for n in range(100)])
    assert classify_column("电话", landlines).pii_type == "phone"
    assert classify_column("ref", landlines).pii_type is None


def test_free_text_is_scanned_beyond_the_sample() -> None:
    notes = ["发货正常，无异常。"] * 5000 + [f"客户身份证{ID}已核验"]
    decision = classify_column("备注", pd.Series(notes), sample_size=100)
    assert decision.sampled == 100
    assert decision.free_text and decision.pii_type is None


def test_free_text_without_pii() -> None:
    notes = pd.Series(["订单 2024031500012 已发货", "版本 1.2.3 上线", "金额 1,380.50 元"] * 20)
    decision = classify_column("备注", notes)
    assert not decision.free_text and decision.pii_type is None


def test_version_numbers_under_a_version_header_are_not_ips() -> None:
    versions = pd.Series([f"1.{i % 10}.{i % 7}.{i}" for i in range(100)])
    assert classify_column("col", versions).pii_type == "ip"  # values alone: valid quads
    decision = classify_column("version", versions)
    assert decision.pii_type is None and not decision.free_text


def test_not_pii_header_keeps_email_scan() -> None:
    # A user id that is an email address is still an email address.
    emails = pd.Series([f"user{i}@example.com" for i in range(50)])
    assert classify_column("user_id", emails).pii_type == "email"


def test_classify_frame_keeps_order_and_duplicate_names() -> None:
    frame = pd.DataFrame([[PHONES[0], "x", PHONES[1]]], columns=["a", "b", "a"])
    decisions = classify_frame(frame)
    assert [d.column for d in decisions] == ["a", "b", "a"]
    assert [d.pii_type for d in decisions] == ["phone", None, "phone"]


# ---- sampling ----


def test_sample_positions_are_deterministic_and_spread() -> None:
    values = pd.Series([None if i % 3 == 0 else "x" for i in range(10_000)])
    first = sample_positions(values, 100)
    assert np.array_equal(first, sample_positions(values, 100))
    assert len(first) == len(set(first)) == 100
    assert values.iloc[first].notna().all()
    assert list(first[:50]) == list(np.flatnonzero(values.notna().to_numpy())[:50])
    assert first.max() > 9_900  # the spread part reaches the end
    assert len(sample_positions(values.iloc[:30], 100)) == 20


# ---- spans ----


def test_spans_leftmost_longest_and_typed() -> None:
    text = f"手机+86 138-0013-8000，邮箱Zhang.Wei@163.com；身份证{ID}。"
    spans = find_spans(text)
    assert [(s.pii_type, s.text) for s in spans] == [
        ("phone", "+86 138-0013-8000"),
        ("email", "Zhang.Wei@163.com"),
        ("id_card", ID),
    ]
    for span in spans:
        assert text[span.start : span.end] == span.text


def test_id_wins_over_card_on_the_same_digits() -> None:
    rng = random.Random(5)
    both = next(i for i in (resident_id(rng) for _ in range(10_000)) if is_bank_card(i))
    assert find_spans(f"证件 {both} 已登记") == [Span(3, 21, "id_card", both)]
    assert find_spans(f"证件 {both}", types={"bank_card"})[0].pii_type == "bank_card"


def test_international_phone_cut_to_its_valid_prefix() -> None:
    spans = find_spans("call +1 415-555-2671 12 pcs")
    assert [(s.pii_type, s.text) for s in spans] == [("phone", "+1 415-555-2671")]


@pytest.mark.parametrize(
    "text",
    [
        "ORD13800138000",  # letters glued on: a code, not a phone
        "13800138000123",  # part of a longer number
        "order 2024031500012",
        "version 1.2.3.4.5",
        "v1.2.3.4",
        "1.2.3",
        "std::vector",
        "12:30:45",
        "金额 13,800,138,000",
        "4111111111111112",
        "110105194912310021",
        "a..b@c.com is not an address, nor is zhang@163",
    ],
)
def test_no_spans_in_lookalikes(text: str) -> None:
    assert find_spans(text) == []


def test_spans_in_text_with_neighbours() -> None:
    assert [s.text for s in find_spans("电话13800138000转分机")] == ["13800138000"]
    assert [s.text for s in find_spans("IP:192.168.1.10.")] == ["192.168.1.10"]
    assert [s.text for s in find_spans("from fe80::1 and ::ffff:192.0.2.1")] == [
        "fe80::1",
        "::ffff:192.0.2.1",
    ]
    assert [s.text for s in find_spans("卡号 4111 1111 1111 1111 已绑定")] == [
        "4111 1111 1111 1111"
    ]


def test_spans_in_series_matches_find_spans() -> None:
    rows = [
        f"身份证{ID}",
        f"订单 110105194912310021 和身份证 {ID}",  # first ID-shaped number fails
        "订单 110105194912310021 无其他",
        "call +1 415-555-2671 12 pcs",
        "call +1 555 555 5555",
        "联系 13800138000",
        "mail me: a@b.io",
        "ip 10.0.0.1",
        "nothing here 2024-03-15",
        "",
        None,
    ]
    values = pd.Series(rows, index=[f"r{i}" for i in range(len(rows))], dtype="str")
    expected = [bool(find_spans(r)) if isinstance(r, str) else False for r in rows]
    assert spans_in_series(values).tolist() == expected
    assert list(spans_in_series(values).index) == list(values.index)
    only_ids = spans_in_series(values, types={"id_card"})
    assert only_ids.tolist() == [True, True] + [False] * (len(rows) - 2)
    assert spans_in_series(values.astype(object)).tolist() == expected


def noisy_texts(count: int, seed: int = 9) -> list[str]:
    """Random runs of valid and near-miss values, glued with separators and words."""
    rng = random.Random(seed)
    pieces = [
        ID,
        ID[:-1] + "1",
        "110105491231002",
        "4111111111111111",
        "4111 1111 1111 1111",
        "4111111111111112",
        "13800138000",
        "+86 138-0013-8000",
        "1380013800",
        "+1 415-555-2671",
        "+1 555 555 5555",
        "zhang.wei@163.com",
        "a@b",
        "192.168.1.1",
        "1.2.3.4.5",
        "fe80::1",
        "12:30:45",
        "订单",
        "ok",
        "2024-03-15",
        "1,380.50",
    ]
    glue = [" ", "", "，", "-", ".", ":", "x", "#", "\n"]
    return [
        "".join(rng.choice(pieces) + rng.choice(glue) for _ in range(rng.randint(1, 8)))
        for _ in range(count)
    ]


@pytest.mark.parametrize("dtype", ["str", "string[python]", "object"])
def test_spans_in_series_agrees_with_find_spans_on_noise(dtype: str) -> None:
    texts = noisy_texts(3000)
    expected = [bool(find_spans(text)) for text in texts]
    assert 0 < sum(expected) < len(texts)
    assert spans_in_series(pd.Series(texts, dtype=dtype)).tolist() == expected
    for types in ({"bank_card"}, {"phone"}, {"id_card", "ip"}):
        narrowed = [bool(find_spans(text, types=types)) for text in texts]
        assert spans_in_series(pd.Series(texts, dtype=dtype), types=types).tolist() == narrowed


# ---- speed ----


def test_million_rows_classify_in_well_under_a_second() -> None:
    frame = large_frame(1_000_000)
    classify_frame(frame)  # warm the regex caches
    started = time.perf_counter()
    decisions = classify_frame(frame)
    elapsed = time.perf_counter() - started
    print(f"classify_frame on 1,000,000 x 8: {elapsed:.3f} s")
    assert {d.column: d.pii_type for d in decisions} == {
        "user_id": None,
        "name": "name",
        "phone": "phone",
        "email": "email",
        "id_card": "id_card",
        "amount": None,
        "date": None,
        "city": None,
    }
    assert not any(d.free_text for d in decisions)
    assert elapsed < 1.0
