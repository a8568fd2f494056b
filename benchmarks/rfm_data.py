"""Synthetic transactions for the RFM benchmark: deterministic, written in chunks.

Columns: user_id (int64), order_id (int64, unique per row, rising down the file unless
shuffled), amount (float64, cents),
date (midnight timestamps in Parquet, ISO YYYY-MM-DD in CSV), store and category
(strings). The table is never in memory whole: each chunk of CHUNK_ROWS rows is drawn
from its own generator, seeded by (seed, chunk index), and appended to the file, so a
file depends only on (rows, users, seed) and Parquet and CSV hold the same rows.

- users: `users_for(rows)` by default (1,000,000, or rows // 10 for small tables), with
  skewed activity: each user's weight is lognormal (sigma USER_SIGMA), so a few users
  buy very often and many only once or twice; a user may also have no rows at all.
- dates: over two years (START + DAYS days), each user active in a window of their own
  (two uniform days, sorted), so recency differs between users, not only frequency.
- amounts: lognormal, with the median chosen so that about 10% are under 5; rounded
  to cents, at least 0.01.
- store: 50 names S001..S050, category: a dozen words, both with skewed shares.
- order ids: ORDER_ID_BASE + row number, as an export sorted by order would have them;
  with `shuffled_orders`, the ids of each chunk in a random order of their own (still
  unique, but not in order: ingest can no longer prove them unique cheaply).

    .venv/bin/python benchmarks/rfm_data.py --rows 1000000 [--csv] [--shuffled-orders]
        [--out DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

CHUNK_ROWS = 1_000_000  # part of the data's definition: changing it changes the rows
VERSION = 1  # bump when the generator changes, so files from an older one are not reused
START = dt.date(2023, 1, 1)
DAYS = 731  # 2023-01-01 .. 2024-12-31
USER_SIGMA = 1.3
AMOUNT_SIGMA = 1.2
UNDER_5_SHARE = 0.10
ORDER_ID_BASE = 500_000_000  # order ids are ORDER_ID_BASE + row number (1-based)
STORES = [f"S{i:03d}" for i in range(1, 51)]
CATEGORIES = [
    "groceries",
    "electronics",
    "clothing",
    "home",
    "beauty",
    "toys",
    "sports",
    "books",
    "garden",
    "pets",
    "health",
    "automotive",
]
SCHEMA = pa.schema(
    [
        ("user_id", pa.int64()),
        ("order_id", pa.int64()),
        ("amount", pa.float64()),
        ("date", pa.timestamp("us")),
        ("store", pa.string()),
        ("category", pa.string()),
    ]
)


def users_for(rows: int) -> int:
    """About 1M users, fewer for small tables so that users still repeat."""
    return max(1, min(1_000_000, rows // 10))


@dataclass(frozen=True)
class Spec:
    rows: int
    users: int
    seed: int
    shuffled_orders: bool = False

    def file_name(self, fmt: str) -> str:
        orders = "_shuffled" if self.shuffled_orders else ""
        return f"tx_v{VERSION}_{self.rows}r_{self.users}u_s{self.seed}{orders}.{fmt}"


@dataclass(frozen=True)
class Generated:
    path: Path
    seconds: float  # 0 when an earlier file was reused
    reused: bool
    under_5_share: float | None = None  # measured while writing; None when reused
    active_users: int | None = None


def _shares(count: int, exponent: float) -> np.ndarray:
    weights: np.ndarray = 1.0 / np.arange(1, count + 1) ** exponent
    shares: np.ndarray = weights / weights.sum()
    return shares


class _Users:
    """Per-user draws shared by every chunk: activity weights and active windows."""

    def __init__(self, spec: Spec) -> None:
        rng = np.random.default_rng([spec.seed, 0])
        weights = rng.lognormal(0.0, USER_SIGMA, spec.users)
        self.cdf = np.cumsum(weights) / weights.sum()
        ends = np.sort(rng.integers(0, DAYS, (spec.users, 2)), axis=1)
        self.first_day, self.span = ends[:, 0], ends[:, 1] - ends[:, 0] + 1


def _chunk(spec: Spec, users: _Users, index: int) -> pa.Table:
    first = index * CHUNK_ROWS
    n = min(CHUNK_ROWS, spec.rows - first)
    rng = np.random.default_rng([spec.seed, 1, index])
    user = np.searchsorted(users.cdf, rng.random(n), side="right").clip(max=spec.users - 1)
    day = users.first_day[user] + (rng.random(n) * users.span[user]).astype(np.int64)
    # P(amount < 5) = UNDER_5_SHARE: ln 5 lies that many standard deviations below mu.
    mu = math.log(5) - _normal_quantile(UNDER_5_SHARE) * AMOUNT_SIGMA
    amount = np.maximum(np.round(rng.lognormal(mu, AMOUNT_SIGMA, n), 2), 0.01)
    start = np.datetime64(START.isoformat(), "us")
    store = rng.choice(len(STORES), n, p=_shares(len(STORES), 0.8))
    category = rng.choice(len(CATEGORIES), n, p=_shares(len(CATEGORIES), 0.6))
    order = ORDER_ID_BASE + first + np.arange(1, n + 1)
    if spec.shuffled_orders:  # a generator of its own: the other columns stay the same
        order = np.random.default_rng([spec.seed, 2, index]).permutation(order)
    return pa.table(
        {
            "user_id": pa.array(user + 1, pa.int64()),
            "order_id": pa.array(order, pa.int64()),
            "amount": pa.array(amount, pa.float64()),
            "date": pa.array(start + day.astype("timedelta64[D]"), pa.timestamp("us")),
            "store": pa.array(STORES).take(pa.array(store)),
            "category": pa.array(CATEGORIES).take(pa.array(category)),
        },
        schema=SCHEMA,
    )


def _normal_quantile(p: float) -> float:
    """The standard normal's p-quantile (bisection on erf; no SciPy needed)."""
    low, high = -10.0, 10.0
    for _ in range(100):
        mid = (low + high) / 2
        if 0.5 * (1 + math.erf(mid / math.sqrt(2))) < p:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def generate(spec: Spec, fmt: str, directory: Path) -> Generated:
    """The file for `spec` in `directory`, written unless an earlier run left it there."""
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"unknown format {fmt!r}")
    path = directory / spec.file_name(fmt)
    if path.exists():
        return Generated(path, 0.0, True)
    directory.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    started = time.perf_counter()
    users = _Users(spec)
    under_5 = 0
    seen = np.zeros(spec.users, dtype=bool)
    chunks = range(math.ceil(spec.rows / CHUNK_ROWS))
    if fmt == "parquet":
        with pq.ParquetWriter(partial, SCHEMA, compression="snappy") as writer:
            for index in chunks:
                table = _chunk(spec, users, index)
                under_5 += _count_under_5(table)
                seen[table["user_id"].to_numpy() - 1] = True
                writer.write_table(table)
    else:
        csv_schema = SCHEMA.set(3, pa.field("date", pa.date32()))
        with partial.open("wb") as sink:
            sink.write((",".join(SCHEMA.names) + "\n").encode())
            options = pcsv.WriteOptions(include_header=False, quoting_style="none")
            with pcsv.CSVWriter(sink, csv_schema, write_options=options) as writer:
                for index in chunks:
                    table = _chunk(spec, users, index)
                    under_5 += _count_under_5(table)
                    seen[table["user_id"].to_numpy() - 1] = True
                    writer.write_table(table.set_column(3, "date", table["date"].cast(pa.date32())))
    # Readable by everyone: the sandbox binds such inputs read-only instead of copying.
    os.chmod(partial, 0o644)
    partial.rename(path)
    seconds = time.perf_counter() - started
    return Generated(path, seconds, False, under_5 / max(spec.rows, 1), int(seen.sum()))


def _count_under_5(table: pa.Table) -> int:
    return int((table["amount"].to_numpy() < 5).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, help="default: users_for(rows)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--csv", action="store_true", help="CSV instead of Parquet")
    parser.add_argument("--shuffled-orders", action="store_true", help="order ids out of order")
    parser.add_argument("--out", type=Path, default=Path("."))
    args = parser.parse_args()
    spec = Spec(args.rows, args.users or users_for(args.rows), args.seed, args.shuffled_orders)
    made = generate(spec, "csv" if args.csv else "parquet", args.out)
    if made.reused:
        print(f"{made.path} already there")
    else:
        size = made.path.stat().st_size / 1e6
        print(
            f"{made.path}: {spec.rows:,} rows, {made.active_users:,} of {spec.users:,} users "
            f"active, {made.under_5_share:.1%} of amounts under 5, {size:,.0f} MB, "
            f"{made.seconds:.1f} s"
        )


if __name__ == "__main__":
    main()
