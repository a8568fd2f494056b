"""Writes ThreadLab's bundled sample data, deterministically (same seed, same bytes).

    python examples/make_samples.py [--out DIR] [--rows N] [--customers N]

- sales_daily.csv: one row per day and region, 2025-06-01..2026-11-30, with a summer peak
  (July 2026 is the top month of the last 12), a smaller December bump, a weekly pattern,
  a yearly trend and noise. sales_daily_zh.csv: the same numbers with Chinese headers and
  region names, in GB18030.
- transactions.csv: orders of ~N/10 users (ids U000001...) with skewed activity, unique
  order ids in date order, log-normal amounts (about 10% under 5), two years of dates.
- customers.csv: synthetic people: Chinese names, mainland mobile numbers, 18-digit
  resident ID numbers with a valid GB 11643 check digit whose birth date matches `age`
  (as of 2026-11-30) and whose sequence digit matches `gender`; customer_id is the
  transactions' user_id, and orders/total_spend are that user's totals there.

Everything here is invented; no value belongs to a real person.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SEED = 20251130


def words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


SALES_START, SALES_END = dt.date(2025, 6, 1), dt.date(2026, 11, 30)
REGIONS = {  # English name: (Chinese name, base daily sales, average order value)
    "North": ("华北", 12000.0, 95.0),
    "South": ("华南", 9500.0, 80.0),
    "East": ("华东", 15000.0, 110.0),
    "West": ("华西", 7000.0, 70.0),
}
WEEKDAY = (0.92, 0.95, 0.97, 1.00, 1.08, 1.18, 1.10)  # Monday first

TX_START, TX_END = dt.date(2024, 12, 1), dt.date(2026, 11, 30)
STORES = words("Beijing Shanghai Shenzhen Guangzhou Hangzhou Chengdu Wuhan Nanjing Xian Online")
STORE_WEIGHTS = (0.16, 0.15, 0.12, 0.11, 0.09, 0.08, 0.07, 0.06, 0.05, 0.11)
CATEGORIES = {  # name: (share of orders, log-scale shift of the amount)
    "Groceries": (0.24, -0.5),
    "Clothing": (0.16, 0.2),
    "Electronics": (0.08, 1.2),
    "Home": (0.12, 0.4),
    "Beauty": (0.12, 0.0),
    "Sports": (0.08, 0.3),
    "Books": (0.12, -0.4),
    "Toys": (0.08, -0.1),
}
AS_OF = dt.date(2026, 11, 30)  # ages are counted to this day

# A city and the 6-digit administrative code of one of its districts (an ID's first digits).
CITIES = tuple(
    tuple(pair.split(":"))
    for pair in words(
        "Beijing:110105 Shanghai:310115 Shenzhen:440305 Guangzhou:440106 "
        "Hangzhou:330106 Chengdu:510107 Wuhan:420106 Nanjing:320106 Xian:610113 "
        "Tianjin:120101"
    )
)
SURNAMES = tuple(
    tuple(pair.split(":"))
    for pair in words(
        "王:wang 李:li 张:zhang 刘:liu 陈:chen 杨:yang 黄:huang 赵:zhao 吴:wu "
        "周:zhou 徐:xu 孙:sun 马:ma 朱:zhu 胡:hu 郭:guo 何:he 林:lin 高:gao 罗:luo"
    )
)
GIVEN = tuple(
    tuple(pair.split(":"))
    for pair in words(
        "伟:wei 芳:fang 娜:na 敏:min 静:jing 丽:li 强:qiang 磊:lei 军:jun 洋:yang "
        "勇:yong 艳:yan 杰:jie 娟:juan 涛:tao 明:ming 超:chao 秀:xiu 霞:xia 平:ping 刚:gang "
        "桂:gui 文:wen 华:hua 建:jian 国:guo 玉:yu 欣:xin 子:zi 浩:hao"
    )
)
MOBILE_PREFIXES = words(
    "130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 170 "
    "173 175 176 177 178 180 181 182 183 184 185 186 187 188 189 191 195 198 199"
)
EMAIL_DOMAINS = ("example.com", "example.cn", "example.org", "example.net")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(n) for n in range((end - start).days + 1)]


def seasonal(day: dt.date) -> float:
    """A summer bump peaking mid-July, a smaller December bump and a February dip."""
    doy = day.timetuple().tm_yday

    def bump(center: int, width: float) -> float:
        distance = min(abs(doy - center), 365 - abs(doy - center))
        return float(np.exp(-((distance / width) ** 2)))

    return 1.0 + 0.42 * bump(197, 24) + 0.20 * bump(355, 11) - 0.14 * bump(45, 25)


def trend(day: dt.date, start: dt.date) -> float:
    return 1.0 + 0.10 * (day - start).days / 365.0


def sales_rows(rng: np.random.Generator) -> list[tuple[str, str, float, int]]:
    rows = []
    for day in days(SALES_START, SALES_END):
        level = seasonal(day) * trend(day, SALES_START) * WEEKDAY[day.weekday()]
        for region, (_, base, ticket) in REGIONS.items():
            sales = round(base * level * rng.normal(1.0, 0.06), 2)
            orders = int(rng.poisson(sales / ticket))
            rows.append((day.isoformat(), region, sales, orders))
    return rows


def write_sales(out: Path, rng: np.random.Generator) -> None:
    rows = sales_rows(rng)
    english = [f"{d},{r},{s:.2f},{o}" for d, r, s, o in rows]
    chinese = [f"{d},{REGIONS[r][0]},{s:.2f},{o}" for d, r, s, o in rows]
    write_lines(out / "sales_daily.csv", "date,region,sales,orders", english, "utf-8")
    write_lines(out / "sales_daily_zh.csv", "日期,地区,销售额,订单数", chinese, "gb18030")


def transactions(rng: np.random.Generator, rows: int, users: int) -> dict[str, np.ndarray]:
    """Columns of the orders: every user orders at least once, a few order very often."""
    weights = rng.lognormal(0.0, 1.8, users)
    counts = 1 + rng.multinomial(rows - users, weights / weights.sum())
    user = rng.permutation(np.repeat(np.arange(users), counts))
    calendar = days(TX_START, TX_END)
    day_weights = np.array([seasonal(d) * trend(d, TX_START) for d in calendar])
    day = rng.choice(len(calendar), size=rows, p=day_weights / day_weights.sum())
    order = np.lexsort((rng.random(rows), day))  # date order, ties at random
    user, day = user[order], day[order]
    names = list(CATEGORIES)
    shares = np.array([CATEGORIES[c][0] for c in names])
    category = rng.choice(len(names), size=rows, p=shares / shares.sum())
    shift = np.array([CATEGORIES[c][1] for c in names])[category]
    amount = np.maximum(np.round(rng.lognormal(np.log(36.0) + shift, 1.55), 2), 0.01)
    store = rng.choice(len(STORES), size=rows, p=np.array(STORE_WEIGHTS))
    return {"user": user, "day": day, "amount": amount, "store": store, "category": category}


def write_transactions(out: Path, tx: dict[str, np.ndarray]) -> None:
    calendar = [d.isoformat() for d in days(TX_START, TX_END)]
    names = list(CATEGORIES)
    lines = (
        f"{user_id(u)},O{n:07d},{a:.2f},{calendar[d]},{STORES[s]},{names[c]}"
        for n, (u, a, d, s, c) in enumerate(
            zip(tx["user"], tx["amount"], tx["day"], tx["store"], tx["category"], strict=True),
            start=1,
        )
    )
    header = "user_id,order_id,amount,date,store,category"
    write_lines(out / "transactions.csv", header, lines, "utf-8")


def user_id(index: int) -> str:
    return f"U{index + 1:06d}"


def id_check_digit(first17: str) -> str:
    """GB 11643: the weighted digit sum modulo 11 picks the 18th character."""
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def write_customers(out: Path, rng: np.random.Generator, n: int, tx: dict[str, np.ndarray]) -> None:
    orders = np.bincount(tx["user"], minlength=n)
    spend = np.bincount(tx["user"], weights=tx["amount"], minlength=n)
    lines: list[str] = []
    emails: set[str] = set()
    phones: set[str] = set()
    for i in range(n):
        surname, surname_py = SURNAMES[rng.integers(len(SURNAMES))]
        given = [GIVEN[k] for k in rng.integers(len(GIVEN), size=int(rng.integers(1, 3)))]
        name = surname + "".join(g[0] for g in given)
        city, region_code = CITIES[rng.integers(len(CITIES))]
        age = int(np.clip(rng.normal(37, 11), 18, 75))
        # Born between AS_OF minus (age + 1) years (exclusive) and AS_OF minus age years.
        latest = AS_OF.replace(year=AS_OF.year - age)
        birth = latest - dt.timedelta(days=int(rng.integers(0, 365)))
        male = bool(rng.random() < 0.5)
        sequence = int(rng.integers(0, 500)) * 2 + (1 if male else 0)  # odd: male
        first17 = f"{region_code}{birth:%Y%m%d}{sequence:03d}"
        id_number = first17 + id_check_digit(first17)
        phone = draw_phone(rng)
        while phone in phones:
            phone = draw_phone(rng)
        phones.add(phone)
        local = surname_py + "".join(g[1] for g in given)
        email = draw_email(rng, local)
        while email in emails:
            email = draw_email(rng, local)
        emails.add(email)
        signup = dt.date(2020, 1, 1) + dt.timedelta(days=int(rng.integers(0, 1796)))
        lines.append(
            f"{user_id(i)},{name},{phone},{id_number},{email},{city},{signup.isoformat()},"
            f"{age},{'M' if male else 'F'},{orders[i]},{spend[i]:.2f}"
        )
    header = "customer_id,name,phone,id_number,email,city,signup_date,age,gender,orders,total_spend"
    write_lines(out / "customers.csv", header, lines, "utf-8")


def draw_phone(rng: np.random.Generator) -> str:
    """An 11-digit mainland mobile number: a real carrier prefix and 8 random digits."""
    return MOBILE_PREFIXES[rng.integers(len(MOBILE_PREFIXES))] + f"{rng.integers(0, 10**8):08d}"


def draw_email(rng: np.random.Generator, local: str) -> str:
    return f"{local}{rng.integers(1, 1000)}@{EMAIL_DOMAINS[rng.integers(len(EMAIL_DOMAINS))]}"


def write_lines(path: Path, header: str, lines: Iterable[str], encoding: str) -> None:
    """Writes "\\n"-terminated lines to a temporary name, then moves it into place."""
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("w", encoding=encoding, newline="\n") as f:
        f.write(header + "\n")
        for line in lines:
            f.write(line + "\n")
    temporary.replace(path)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: here)")
    parser.add_argument("--rows", type=int, default=200_000, help="transactions rows")
    parser.add_argument("--customers", type=int, default=2_000, help="customers rows")
    args = parser.parse_args(argv)
    if args.customers < 1 or args.rows < args.customers:
        parser.error("need 1 <= --customers <= --rows")
    args.out.mkdir(parents=True, exist_ok=True)
    # One generator per file, so each file depends only on the seed and its own options.
    write_sales(args.out, np.random.default_rng([SEED, 1]))
    tx = transactions(
        np.random.default_rng([SEED, 2]), args.rows, max(args.rows // 10, args.customers)
    )
    write_transactions(args.out, tx)
    write_customers(args.out, np.random.default_rng([SEED, 3]), args.customers, tx)


if __name__ == "__main__":
    main()
