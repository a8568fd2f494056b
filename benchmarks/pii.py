"""PII detection + tokenisation of a 1,000,000-row, 8-column table: ThreadLab's vectorised
path (sampled column classification, each distinct value normalised and hashed once)
against a straightforward per-cell Python loop (scan every cell for PII, hash every
hit), measured in the same run. Prints rows/s of each and their ratio as the last line.

    .venv/bin/python benchmarks/pii.py [--rows 1000000] [--baseline-rows 100000]

The baseline runs on fewer rows (it is slow) and is reported as a rate; both rates are
per row of the same generated table.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from bot.pii.detect import classify_frame, find_spans
from bot.pii.tokenise import Tokeniser, tokenise_frame
from bot.pii.validators import normalise

_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_CHECK = np.array(list("10X98765432"))
_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
_GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英")
_CITIES = ["北京", "上海", "广州", "深圳", "杭州", "成都", "南京", "武汉"]


def generate(rows: int, seed: int = 7) -> pd.DataFrame:
    """A deterministic table with the issue's columns, built with NumPy (no Faker: a
    million Faker rows would take longer than what is being measured)."""
    rng = np.random.default_rng(seed)
    users = rng.integers(1, rows // 4 + 2, rows)  # skewed: users repeat
    name = (
        np.array(_SURNAMES)[users % len(_SURNAMES)].astype(object)
        + np.array(_GIVEN)[(users // 7) % len(_GIVEN)].astype(object)
        + np.array(_GIVEN)[(users // 131) % len(_GIVEN)].astype(object)
    )
    phone = pd.Series(13_000_000_000 + (users * 7_919) % 6_999_999_999).astype(str)
    email = pd.Series(users).map(lambda u: f"user{u}@example.com")
    birth = pd.Timestamp("1960-01-01") + pd.to_timedelta(users % 15_000, unit="D")
    region = pd.Series(110_101 + (users % 50) * 100).astype(str)
    first17 = (
        region + pd.Series(birth.strftime("%Y%m%d")) + pd.Series(users % 1000).map("{:03d}".format)
    )
    digits = np.frombuffer("".join(first17).encode("ascii"), dtype=np.uint8).reshape(-1, 17) - 48
    id_card = first17 + pd.Series(_CHECK[(digits @ _WEIGHTS) % 11])
    return pd.DataFrame(
        {
            "user_id": users,
            "name": name,
            "phone": phone,
            "email": email,
            "id_card": id_card,
            "amount": np.round(rng.gamma(2.0, 60.0, rows), 2),
            "date": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 730, rows), "D"),
            "city": np.array(_CITIES)[rng.integers(0, len(_CITIES), rows)],
        }
    )


def vectorised(frame: pd.DataFrame, tokeniser: Tokeniser) -> pd.DataFrame:
    kinds = {c: "text" for c in frame.columns}
    return tokenise_frame(frame, kinds, classify_frame(frame), tokeniser).frame  # type: ignore[arg-type]


def per_cell(frame: pd.DataFrame, tokeniser: Tokeniser) -> list[list[object]]:
    """The naive way, with the same column decisions: normalise and hash every cell of a
    PII column, scan every other cell for PII spans; no reuse of earlier work."""
    types = {d.column: d.pii_type for d in classify_frame(frame)}
    column_types = [types[c] for c in frame.columns]
    out = []
    for row in frame.itertuples(index=False):
        masked: list[object] = []
        for cell, pii_type in zip(row, column_types, strict=True):
            text = str(cell)
            if pii_type is not None:
                masked.append(tokeniser.token(pii_type, normalise(pii_type, text)))
                continue
            for span in reversed(find_spans(text)):
                token = tokeniser.token(span.pii_type, normalise(span.pii_type, span.text))
                text = text[: span.start] + token + text[span.end :]
            masked.append(text)
        out.append(masked)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--baseline-rows", type=int, default=100_000)
    args = parser.parse_args()
    tokeniser = Tokeniser(b"benchmark-key".ljust(32, b"0"))

    started = time.perf_counter()
    frame = generate(args.rows)
    generated_s = time.perf_counter() - started
    print(f"generated {args.rows:,} rows x {frame.shape[1]} columns in {generated_s:.1f} s")

    started = time.perf_counter()
    masked = vectorised(frame, tokeniser)
    fast_s = time.perf_counter() - started
    leaked = [c for c in ("name", "phone", "email", "id_card") if masked[c].isin(frame[c]).any()]
    assert not leaked, f"raw values left in {leaked}"

    sample = frame.head(args.baseline_rows)
    started = time.perf_counter()
    per_cell(sample, tokeniser)
    slow_s = time.perf_counter() - started

    fast_rate, slow_rate = args.rows / fast_s, len(sample) / slow_s
    print(f"vectorised: {args.rows:,} rows in {fast_s:.2f} s, {fast_rate:,.0f} rows/s")
    print(f"per-cell loop: {len(sample):,} rows in {slow_s:.2f} s, {slow_rate:,.0f} rows/s")
    print(f"ratio vectorised/per-cell: {fast_rate / slow_rate:.1f}x")


if __name__ == "__main__":
    main()
