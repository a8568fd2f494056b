"""Generate the labelled PII test tables in tests/pii/data/.

Run from the repository root: `.venv/bin/python -m tests.pii.make_tables`. The output is
deterministic (fixed seeds, fixed date ranges, never "today"), so rerunning it leaves the
files unchanged; the tests read the committed files.

people_zh.csv and people_en.csv mix Chinese and English headers. Next to the PII columns
are decoys that must not be flagged: amounts (some of them 11-digit numbers), user ids,
11-digit order ids starting with 13 (mobile-shaped), 18-digit order numbers shaped like ID
numbers but failing the checksum, dates, product and store names, cities. About 20% of
the notes embed a phone number, an email address or an ID number in a sentence; the other
notes carry harmless numbers (amounts, short order numbers, dates, versions).

labels.json records, per file: each column's expected type (null for "not PII as a whole"),
the free-text columns, the numeric decoys (read as numbers, not text), and every embedded
value with its row, so the tests can check find_spans against the generator.

Check digits are computed here with formulas of their own (Faker's base-13 form of GB
11643, a try-each-digit Luhn), not with the validators under test.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import phonenumbers
from faker import Faker
from faker.providers.ssn.zh_CN import Provider as ChineseSsn

SEED = 20240501
ROWS = 300
NOTE_SHARE = 0.2
MISSING_SHARE = 0.03
DATA = Path(__file__).resolve().parent / "data"


# ---- values ----


def id_check_char(body: str) -> str:
    """GB 11643 check character, in the base-13 form Faker uses."""
    return str((1 - 2 * int(body, 13)) % 11).replace("10", "X")


def resident_id(rng: random.Random) -> str:
    area = rng.choice(ChineseSsn.area_codes)
    born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 55))
    body = f"{area}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return body + id_check_char(body)


def legacy_id(rng: random.Random) -> str:
    area = rng.choice(ChineseSsn.area_codes)
    born = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(365 * 60))
    return f"{area}{born:%y%m%d}{rng.randrange(1000):03d}"


def luhn_complete(prefix: str) -> str:
    """The prefix plus the one final digit that makes the Luhn sum a multiple of 10."""
    for last in "0123456789":
        digits = [int(char) for char in prefix + last]
        total = sum(digits[-1::-2]) + sum(sum(divmod(2 * d, 10)) for d in digits[-2::-2])
        if total % 10 == 0:
            return prefix + last
    raise AssertionError("unreachable: one digit always completes a Luhn number")


def unionpay(rng: random.Random) -> str:
    length = rng.choice((16, 16, 19))
    body = "62" + "".join(rng.choice("0123456789") for _ in range(length - 3))
    return luhn_complete(body)


def grouped(digits: str, sep: str = " ") -> str:
    return sep.join(digits[i : i + 4] for i in range(0, len(digits), 4))


def mainland_phone(fake: Faker, rng: random.Random) -> str:
    number = fake.phone_number()
    style = rng.random()
    if style < 0.15:
        return f"+86 {number[:3]}-{number[3:7]}-{number[7:]}"
    if style < 0.3:
        return f"{number[:3]} {number[3:7]} {number[7:]}"
    return number


def us_phone(rng: random.Random) -> str:
    """A +1 number that libphonenumber accepts (area and exchange codes it knows)."""
    while True:
        area = f"{rng.randint(2, 9)}{rng.randint(0, 8)}{rng.randint(0, 9)}"
        exchange = f"{rng.randint(2, 9)}{rng.randint(0, 9)}{rng.randint(0, 9)}"
        line = f"{rng.randrange(10000):04d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(f"+1{area}{exchange}{line}")):
            break
    return rng.choice(
        (
            f"+1 {area}-{exchange}-{line}",
            f"+1 ({area}) {exchange}-{line}",
            f"+1{area}{exchange}{line}",
        )
    )


def failing_order_number(rng: random.Random) -> str:
    """18 digits: half shaped exactly like an ID (region, birth date) but with a wrong
    check digit, half date-stamped order numbers."""
    if rng.random() < 0.5:
        valid = resident_id(rng)
        wrong = rng.choice([d for d in "0123456789" if d != valid[-1]])
        return valid[:-1] + wrong
    day = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(700))
    return f"{day:%Y%m%d}{rng.randrange(10**10):010d}"


def amount(rng: random.Random) -> float:
    if rng.random() < 0.1:  # looks like a mobile number once the ".0" is gone
        return float(f"1{rng.randint(3, 9)}{rng.randrange(10**9):09d}")
    return round(rng.uniform(5, 5000), 2)


def user_id(rng: random.Random) -> int:
    if rng.random() < 0.1:
        return int(f"1{rng.randint(3, 9)}{rng.randrange(10**9):09d}")
    return rng.randrange(100_000, 99_999_999)


def order_day(rng: random.Random) -> str:
    return f"{dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(700)):%Y-%m-%d}"


# ---- notes ----

ZH_PLAIN = (
    "订单金额 {money} 元，共 {count} 件，已发货。",
    "客户要求 {day} 之前送达，订单 {short} 已加急。",
    "退款 {money} 元已原路返回，流水 {short}。",
    "系统升级到 1.{count}.3 后对账正常。",
    "门店反馈库存不足，补货 {count} 箱。",
)
ZH_EMBED = {
    "phone": ("客户来电说手机{value}打不通，请回电。", "联系电话：{value}，工作日可联系。"),
    "email": ("请把发票发到{value}，谢谢", "客户邮箱 {value} 已更新。"),
    "id_card": ("身份证{value}已核验。", "开户证件号 {value} 需复核。"),
}
EN_PLAIN = (
    "Order total {money} USD, {count} items shipped on {day}.",
    "Refund of {money} issued, reference {short}.",
    "Customer asked for delivery before {day}; order {short} expedited.",
    "Upgraded the POS to build 10.0.19045.{count} without issues.",
    "Store reported low stock, reordered {count} cases.",
)
EN_EMBED = {
    "phone": ("Customer asked to call back on {value} after 5pm.", "New contact number: {value}."),
    "email": ("Send the invoice to {value} please.", "Email changed to {value} on request."),
    "id_card": ("Verified Chinese ID {value} at the counter.",),
}


def note(
    rng: random.Random,
    plain: tuple[str, ...],
    embed: dict[str, tuple[str, ...]],
    values: dict[str, Callable[[], str]],
) -> tuple[str, dict[str, str] | None]:
    fill = {
        "money": f"{rng.uniform(5, 5000):,.2f}",
        "count": str(rng.randint(1, 99)),
        "day": order_day(rng),
        "short": f"{rng.randrange(10**12, 10**13)}",  # 13 digits: no PII shape
    }
    if rng.random() >= NOTE_SHARE:
        return rng.choice(plain).format(**fill), None
    pii_type = rng.choice(sorted(embed))
    value = values[pii_type]()
    return rng.choice(embed[pii_type]).format(value=value), {"pii_type": pii_type, "value": value}


# ---- tables ----


def chinese_table(rng: random.Random) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    fake = Faker("zh_CN")
    fake.seed_instance(SEED)
    products = ("无线耳机", "保温杯", "运动鞋", "洗衣液", "笔记本电脑", "充电宝", "绿茶", "台灯")

    def id_number() -> str:
        value = legacy_id(rng) if rng.random() < 0.05 else resident_id(rng)
        return value.lower() if value.endswith("X") and rng.random() < 0.3 else value

    def card() -> str:
        number = unionpay(rng)
        return grouped(number) if rng.random() < 0.2 else number

    def contact() -> str:
        return fake.email() if rng.random() < 0.35 else mainland_phone(fake, rng)

    embedded: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for row in range(ROWS):
        text, found = note(
            rng,
            ZH_PLAIN,
            ZH_EMBED,
            {
                "phone": lambda: mainland_phone(fake, rng),
                "email": fake.email,
                "id_card": lambda: resident_id(rng),
            },
        )
        if found:
            embedded.append({"column": "备注", "row": row, **found})
        rows.append(
            {
                "姓名": fake.name(),
                "手机号": mainland_phone(fake, rng),
                "身份证号": id_number(),
                "email": fake.email(),
                "银行卡号": card(),
                "地址": fake.address(),
                "ip": fake.ipv4_public(),
                "护照号": f"{rng.choice('EG')}{rng.randrange(10**8):08d}",
                "联系方式": contact(),
                "紧急联系人": fake.name(),
                "金额": amount(rng),
                "user_id": user_id(rng),
                "订单号": f"13{rng.randrange(10**9):09d}",
                "订单编号": failing_order_number(rng),
                "下单日期": order_day(rng),
                "商品名称": f"{rng.choice(products)} {rng.choice('ABCDEFG')}{rng.randint(1, 99)}",
                "城市": fake.city(),
                "备注": text,
            }
        )
    return pd.DataFrame(rows), embedded


def english_table(rng: random.Random) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    fake = Faker("en_US")
    fake.seed_instance(SEED)
    card_types = ("visa16", "visa19", "mastercard", "discover", "jcb16")

    def card() -> str:
        number = fake.credit_card_number(card_type=rng.choice(card_types))
        return grouped(number, rng.choice(" -")) if rng.random() < 0.2 else number

    def ip() -> str:
        return fake.ipv6() if rng.random() < 0.2 else fake.ipv4_public()

    embedded: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for row in range(ROWS):
        text, found = note(
            rng,
            EN_PLAIN,
            EN_EMBED,
            {
                "phone": lambda: us_phone(rng),
                "email": fake.email,
                "id_card": lambda: resident_id(rng),
            },
        )
        if found:
            embedded.append({"column": "notes", "row": row, **found})
        rows.append(
            {
                "Customer Name": fake.name(),
                "Mobile": us_phone(rng),
                "E-mail": fake.email(),
                "card_number": card(),
                "Address": fake.address().replace("\n", ", "),
                "ip_address": ip(),
                "passport_no": fake.passport_number(),
                "national_id": resident_id(rng),
                "amount": amount(rng),
                "user_id": user_id(rng),
                "order_id": f"13{rng.randrange(10**9):09d}",
                "order_no": failing_order_number(rng),
                "order_date": order_day(rng),
                "product_name": fake.catch_phrase(),
                "store_name": fake.company(),
                "city": fake.city(),
                "notes": text,
            }
        )
    return pd.DataFrame(rows), embedded


def blank_some(frame: pd.DataFrame, columns: list[str], rng: random.Random) -> pd.DataFrame:
    """A few empty cells in PII columns, as real exports have."""
    frame = frame.astype({column: object for column in columns})
    for column in columns:
        for row in range(len(frame)):
            if rng.random() < MISSING_SHARE:
                frame.at[row, column] = None
    return frame


ZH_LABELS: dict[str, str | None] = {
    "姓名": "name",
    "手机号": "phone",
    "身份证号": "id_card",
    "email": "email",
    "银行卡号": "bank_card",
    "地址": "address",
    "ip": "ip",
    "护照号": "passport",
    "联系方式": "phone",
    "紧急联系人": "name",
    "金额": None,
    "user_id": None,
    "订单号": None,
    "订单编号": None,
    "下单日期": None,
    "商品名称": None,
    "城市": None,
    "备注": None,
}
EN_LABELS: dict[str, str | None] = {
    "Customer Name": "name",
    "Mobile": "phone",
    "E-mail": "email",
    "card_number": "bank_card",
    "Address": "address",
    "ip_address": "ip",
    "passport_no": "passport",
    "national_id": "id_card",
    "amount": None,
    "user_id": None,
    "order_id": None,
    "order_no": None,
    "order_date": None,
    "product_name": None,
    "store_name": None,
    "city": None,
    "notes": None,
}


def main() -> None:
    rng = random.Random(SEED)
    DATA.mkdir(parents=True, exist_ok=True)
    labels: dict[str, Any] = {}
    for file, make, columns, free_text, numeric in (
        ("people_zh.csv", chinese_table, ZH_LABELS, "备注", ["金额", "user_id"]),
        ("people_en.csv", english_table, EN_LABELS, "notes", ["amount", "user_id"]),
    ):
        frame, embedded = make(rng)
        pii = [column for column, kind in columns.items() if kind is not None]
        frame = blank_some(frame, pii, rng)
        assert list(frame.columns) == list(columns)
        # Every text cell quoted, so an ID or card number is visibly a string in the file.
        frame.to_csv(DATA / file, index=False, quoting=csv.QUOTE_NONNUMERIC)
        labels[file] = {
            "columns": columns,
            "free_text": [free_text],
            "numeric": numeric,
            "decoys": [c for c, kind in columns.items() if kind is None and c != free_text],
            "embedded": embedded,
        }
    (DATA / "labels.json").write_text(
        json.dumps(labels, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()


# ---- a large table for timing, built with numpy (Faker is far too slow for a million) ----


def large_frame(rows: int, seed: int = SEED) -> pd.DataFrame:
    """`rows` rows of user_id, name, phone, email, id_card, amount, date, city: the shape
    of the issue's benchmark table, with phones, emails and IDs (nearly) all distinct.

    Numbers are built as integers and turned into strings in one Arrow cast each; the ID
    check character comes from the GB 11643 weights in numpy.
    """
    gen = np.random.default_rng(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    names = np.array([fake.name() for _ in range(5000)], dtype=object)
    cities = np.array([fake.city() for _ in range(300)], dtype=object)
    areas = np.array(ChineseSsn.area_codes, dtype=np.int64)
    births = pd.date_range("1950-01-01", "2004-12-31", freq="D")
    birth_numbers = (births.year * 10_000 + births.month * 100 + births.day).to_numpy(np.int64)
    days = pd.date_range("2023-01-01", periods=700, freq="D").strftime("%Y-%m-%d").to_numpy()

    body = (
        areas[gen.integers(0, len(areas), rows)] * 10**11
        + birth_numbers[gen.integers(0, len(birth_numbers), rows)] * 1000
        + gen.integers(0, 1000, rows)
    )
    body_text = pd.Series(body).astype("str")
    digits = np.frombuffer("".join(body_text).encode(), dtype=np.uint8).reshape(rows, 17) - 48
    weights = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
    checks = np.array(list("10X98765432"), dtype=object)[(digits @ weights) % 11]
    serial = pd.Series(np.arange(rows)).astype("str")
    return pd.DataFrame(
        {
            "user_id": gen.integers(100_000, 99_999_999, rows),
            "name": pd.Series(names[gen.integers(0, len(names), rows)], dtype="str"),
            "phone": pd.Series(gen.integers(13 * 10**9, 2 * 10**10, rows)).astype("str"),
            "email": "user" + serial + "@example.com",
            "id_card": body_text + pd.Series(checks, dtype="str"),
            "amount": np.round(gen.uniform(5, 5000, rows), 2),
            "date": pd.Series(days[gen.integers(0, len(days), rows)], dtype="str"),
            "city": pd.Series(cities[gen.integers(0, len(cities), rows)], dtype="str"),
        }
    )
