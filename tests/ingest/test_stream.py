"""Large CSV and Parquet files go through the streaming path and come out as the small
path would have cached them: same values, dtypes, tokens, profile; plus notes for values
that did not fit the sample's kinds, progress lines, and a byte copy for clean Parquet.

The files are real but small (just over `stream_ingest_mb` = 1 MB): the sample and batch
sizes are shrunk so that they still span many batches.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import bot.ingest.large_profile as large_profile
import bot.ingest.stream as stream
from bot.errors import BinaryFile, IngestError, MalformedFile, TruncatedFile
from bot.ingest import Ingested, ingest, ingest_with_tokens
from bot.models import Dataset
from bot.settings import MIB, Settings

PEOPLE = Path(__file__).resolve().parents[1] / "pii" / "data" / "people_zh.csv"
SAMPLE = 1_000


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream, "SAMPLE_ROWS", SAMPLE)
    monkeypatch.setattr(stream, "CSV_BLOCK_BYTES", 64 * 1024)
    monkeypatch.setattr(stream, "CSV_BATCH_ROWS", 4_000)
    monkeypatch.setattr(stream, "PARQUET_BATCH_ROWS", 4_000)
    monkeypatch.setattr(stream, "PROGRESS_SECONDS", 0.0)


def _settings(tmp_path: Path, *, large: bool, pii: bool = False) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        db_path=tmp_path / "t.db",
        pii_tokenise=pii,
        stream_ingest_mb=1 if large else 1024,
    )


def _both(tmp_path: Path, path: Path, *, pii: bool = False) -> tuple[Ingested, Ingested]:
    """The small path's result, then the streaming path's, under the same key (one data
    dir: the first cache is moved aside so that the second run cannot reuse it)."""
    assert path.stat().st_size > MIB, "the file must be over stream_ingest_mb"
    small = ingest_with_tokens(path, _settings(tmp_path, large=False, pii=pii))
    moved = tmp_path / "small-cache"
    shutil.move(Path(small.dataset.cache_path).parent, moved)
    small = Ingested(
        small.dataset.model_copy(update={"cache_path": str(moved / "data.parquet")}),
        small.tokens,
    )
    large = ingest_with_tokens(path, _settings(tmp_path, large=True, pii=pii))
    return small, large


def _frames(small: Dataset, large: Dataset) -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.read_parquet(small.cache_path), pd.read_parquet(large.cache_path)


def _assert_same(small: Dataset, large: Dataset) -> pd.DataFrame:
    a, b = _frames(small, large)
    pd.testing.assert_frame_equal(a, b)
    assert large.profile == small.profile
    assert (large.encoding, large.delimiter) == (small.encoding, small.delimiter)
    assert large.masked == small.masked
    return b


# ---------------------------------------------------------------- CSV like the small path


def _chinese_csv(path: Path, rows: int = 24_000) -> Path:
    lines = ["订单编号;客户;下单日期;金额;是否会员;数量;备注;"]  # last column: no header, empty
    for i in range(rows):
        date = "" if i % 97 == 0 else f"2024年{i % 12 + 1}月{i % 28 + 1}日"
        amount = "NA" if i % 113 == 0 else f"{(i * 7919) % 3_000_000 / 100:,.2f}"
        count = "" if i % 89 == 0 else str(i % 50)
        lines.append(
            f"{i:08d};C{i % 5000:05d};{date};{amount};{'是' if i % 3 else '否'};{count};"
            f"第{i}单，已发货;"
        )
        if i == 5_000:
            lines.append("")  # a blank line: skipped
        if i == 7_000:
            lines.append(f"{i:08d}x;C00001;2024年1月3日")  # a short row: padded with nulls
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    return path


def test_gbk_semicolon_csv_streams_to_the_same_cache(tmp_path: Path) -> None:
    small, large = _both(tmp_path, _chinese_csv(tmp_path / "订单.csv"))
    frame = _assert_same(small.dataset, large.dataset)
    kinds = {c.name: (c.kind, c.dtype) for c in large.dataset.profile.columns}
    assert kinds == {
        "订单编号": ("identifier", "str"),
        "客户": ("identifier", "str"),
        "下单日期": ("datetime", "datetime64[us]"),
        "金额": ("number", "float64"),
        "是否会员": ("boolean", "boolean"),
        "数量": ("integer", "Int64"),
        "备注": ("text", "str"),
    }
    assert frame["订单编号"].iloc[0] == "00000000"
    assert frame["下单日期"].iloc[1] == pd.Timestamp("2024-02-02")
    assert frame["金额"].iloc[1] == 79.19 and frame["金额"].iloc[1000] == 19_190.0
    assert large.dataset.encoding == "gb18030" and large.dataset.delimiter == ";"
    padded = frame[frame["订单编号"] == "00007000x"].iloc[0]
    assert pd.isna(padded["金额"]) and pd.isna(padded["备注"])
    assert large.dataset.notes == []
    # nothing left behind: no UTF-8 copy, no DuckDB spill directory, no temporary data
    datasets = Path(large.dataset.cache_path).parents[1]
    assert [p.name for p in datasets.iterdir()] == [large.dataset.id]
    assert sorted(p.name for p in (datasets / large.dataset.id).iterdir()) == [
        "data.parquet",
        "profile.json",
    ]


def test_a_second_ingest_of_a_large_file_is_a_cache_hit(tmp_path: Path) -> None:
    path = _chinese_csv(tmp_path / "a.csv")
    settings = _settings(tmp_path, large=True)
    first = ingest(path, settings)
    lines: list[str] = []
    assert ingest(path, settings, progress=lines.append) == first
    assert lines == []


def test_small_files_keep_the_small_path(tmp_path: Path) -> None:
    path = tmp_path / "small.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    lines: list[str] = []
    ingest(path, _settings(tmp_path, large=True), progress=lines.append)
    assert lines == []


# ---------------------------------------------------------------- personal data


def test_pii_is_tokenised_as_the_small_path_does(tmp_path: Path) -> None:
    people = PEOPLE.read_text(encoding="utf-8")
    header, body = people.split("\n", 1)
    path = tmp_path / "people.csv"
    path.write_text(header + "\n" + body * 12, encoding="utf-8")  # 3,600 rows
    small, large = _both(tmp_path, path, pii=True)
    frame = _assert_same(small.dataset, large.dataset)
    assert large.tokens == small.tokens and large.tokens
    masked = {m.column: m for m in large.dataset.masked}
    assert masked["手机号"].pii_type == "phone" and "手机号_prefix" in masked["手机号"].derived
    assert masked["email"].derived == ["email_domain"]
    assert masked["备注"].free_text and masked["备注"].values_masked > 0
    assert frame["手机号"].dropna().str.startswith("PHONE_").all()
    assert "email_domain" in frame.columns


def test_pii_first_seen_after_the_sample_is_masked(tmp_path: Path) -> None:
    lines = ["id,note"]
    for i in range(60_000):
        note = f"order {i} shipped"
        if i == 20_000:
            note = "customer asked to call 13800138000 before noon"
        if i == 40_000:
            note = "mail the invoice to li.lei@example.com"
        lines.append(f"{i},{note}")
    path = tmp_path / "notes.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    small, large = _both(tmp_path, path, pii=True)
    frame = _assert_same(small.dataset, large.dataset)
    assert large.tokens == small.tokens and len(large.tokens) == 2
    assert "13800138000" not in frame["note"].iloc[20_000]
    assert frame["note"].iloc[20_000].startswith("customer asked to call PHONE_")
    (note,) = large.dataset.masked
    assert (note.column, note.free_text, note.values_masked, note.distinct_values) == (
        "note",
        True,
        2,
        2,
    )


# ---------------------------------------------------------------- values past the sample


def test_values_that_do_not_fit_the_sample_become_null_and_are_noted(tmp_path: Path) -> None:
    lines = ["id,amount,day"]
    for i in range(80_000):
        amount = "n/a-ish" if i in (5_000, 70_000) else str(i)
        day = "soon" if i == 60_000 else f"2024-01-{i % 28 + 1:02d}"
        lines.append(f"{i},{amount},{day}")
    path = tmp_path / "late.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    dataset = ingest(path, _settings(tmp_path, large=True))
    frame = pd.read_parquet(dataset.cache_path)
    assert str(frame["amount"].dtype) == "Int64" and frame["amount"].isna().sum() == 2
    assert pd.isna(frame["amount"].iloc[5_000]) and frame["amount"].iloc[5_001] == 5_001
    assert pd.isna(frame["day"].iloc[60_000])
    assert dataset.notes == [
        "amount: 2 of 80,000 values were not whole numbers like the first 1,000 rows "
        "and were left empty.",
        "day: 1 of 80,000 values were not dates like the first 1,000 rows and were left empty.",
    ]
    assert dataset.profile.column("amount").nulls == 2  # type: ignore[union-attr]


def test_unnamed_column_empty_in_the_sample_reports_later_values(tmp_path: Path) -> None:
    lines = ["id,name,"]
    lines += [f"{i},n{i}," + ("late" if i == 50_000 else "") for i in range(90_000)]
    path = tmp_path / "tail.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    dataset = ingest(path, _settings(tmp_path, large=True))
    assert dataset.profile.names == ["id", "name"]
    assert dataset.notes == [
        "column 3 has no header and was empty in the first 1,000 rows, so it was left out; "
        "1 values further down in it were not kept."
    ]


# ---------------------------------------------------------------- profile


def test_large_distinct_counts_are_estimates_within_ten_percent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(large_profile, "EXACT_BELOW", 0)  # estimate everything
    small, large = _both(tmp_path, _chinese_csv(tmp_path / "d.csv"))
    pd.testing.assert_frame_equal(*_frames(small.dataset, large.dataset))
    for a, b in zip(small.dataset.profile.columns, large.dataset.profile.columns, strict=True):
        assert (a.name, a.kind, a.dtype, a.nulls, a.min, a.max, a.examples) == (
            b.name,
            b.kind,
            b.dtype,
            b.nulls,
            b.min,
            b.max,
            b.examples,
        )
        assert a.distinct is not None and b.distinct is not None
        # DuckDB's approx_count_distinct: some 3.5% standard error, 9% at worst measured
        # (here 6.3% at worst); an estimate is capped at the count of values.
        assert abs(b.distinct - a.distinct) <= 0.1 * a.distinct, a.name


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_column_in_order_is_proven_unique_others_stay_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    """With every distinct count an estimate, a column that strictly rises or falls is
    still counted exactly and known unique; a unique column out of order, or one in
    order only through the sample, is an estimate of unknown uniqueness."""
    monkeypatch.setattr(large_profile, "EXACT_BELOW", 0)
    rows = 90_000
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "seq": np.arange(10, rows + 10, dtype=np.int64),
            "countdown": np.arange(rows, 0, -1, dtype=np.int64) * 3,
            "shuffled": rng.permutation(rows).astype(np.int64),
            # in order through the sample (1,000 rows), then a value again
            "late_repeat": np.where(np.arange(rows) == 50_000, 7, np.arange(rows)),
        }
    )
    path = tmp_path / f"keys.{fmt}"
    if fmt == "parquet":
        frame.to_parquet(path, index=False, row_group_size=10_000)
    else:
        frame.to_csv(path, index=False)
    small, large = _both(tmp_path, path)
    found = {c.name: (c.distinct, c.unique) for c in large.dataset.profile.columns}
    assert found["seq"] == (rows, True) and found["countdown"] == (rows, True)
    assert found["shuffled"][1] is None and found["late_repeat"][1] is None
    # The small path counts exactly, so it knows both ways.
    assert {c.name: c.unique for c in small.dataset.profile.columns} == {
        "seq": True,
        "countdown": True,
        "shuffled": True,
        "late_repeat": False,
    }


# ---------------------------------------------------------------- Parquet


def _orders(rows: int = 60_000) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame(
        {
            "user_id": pd.Series([f"U{u:06d}" for u in rng.integers(0, 9_000, rows)], dtype="str"),
            "order_id": np.arange(rows, dtype=np.int64),
            "ordered_at": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 365 * 86_400, rows), unit="s"),
            "amount": rng.gamma(2.0, 50.0, rows).round(2),
            "paid": rng.integers(0, 2, rows).astype(bool),
            "store": pd.Series([f"store {s:02d}" for s in rng.integers(0, 50, rows)], dtype="str"),
        }
    )


@pytest.fixture(params=["distinct values", "rows"])
def matched(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Where a typed Parquet file's text is checked: against each column's distinct
    values (read for the profile anyway), or, for columns with more distinct values than
    CHECKED_EXACT_BELOW (here: all), against every row."""
    if request.param == "rows":
        monkeypatch.setattr(large_profile, "CHECKED_EXACT_BELOW", 0)
    return str(request.param)


@pytest.mark.parametrize("pii", [False, True])
def test_clean_typed_parquet_is_cached_as_a_byte_copy(
    tmp_path: Path, pii: bool, matched: str
) -> None:
    path = tmp_path / "orders.parquet"
    _orders().to_parquet(path, index=False, row_group_size=10_000)
    lines: list[str] = []
    small = ingest(path, _settings(tmp_path / "small", large=False, pii=pii))
    large = ingest(path, _settings(tmp_path, large=True, pii=pii), progress=lines.append)
    assert Path(large.cache_path).read_bytes() == path.read_bytes()
    assert large.profile == small.profile
    assert large.masked == [] and large.notes == []
    assert lines == ["Cached orders.parquet: 60,000 rows in " + lines[0].rsplit(" in ", 1)[1]]


@pytest.mark.parametrize(
    "late",
    ["blank row", "untidy text", "untidy store", "missing spelled out", "phone in text"],
)
def test_parquet_clean_only_in_its_sample_goes_through_the_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, late: str, matched: str
) -> None:
    """Past the sample, what the small path would change (drop a row with no values,
    trim text, read "NA" as missing, mask a phone number) rules the byte copy out, in a
    text column of 50 values (store), 9,000 (user_id) or one a row (note), whether found
    among a column's distinct values or in its rows."""
    orders = _orders(40_000)
    orders["note"] = pd.Series([f"order {i}" for i in range(len(orders))], dtype="str")
    row = 30_000
    if late == "blank row":
        orders = orders.astype({"order_id": "float64", "paid": "boolean"})
        orders.loc[row, :] = None
    elif late == "untidy text":
        orders.loc[row, "user_id"] = " U000001 "
    elif late == "untidy store":
        orders.loc[row, "store"] = "store 07 "
    elif late == "missing spelled out":
        orders.loc[row, "note"] = "NA"
    else:
        orders.loc[row, "note"] = "call 13800138000 after five"
    path = tmp_path / "late.parquet"
    orders.to_parquet(path, index=False, row_group_size=10_000)
    found: list[bool] = []  # by each scan_parquet: what its distinct values showed
    read_distinct = large_profile._distinct

    def spy(*args: Any) -> bool:
        found.append(read_distinct(*args))
        return found[-1]

    monkeypatch.setattr(large_profile, "_distinct", spy)
    small, large = _both(tmp_path, path, pii=late == "phone in text")
    assert Path(large.dataset.cache_path).read_bytes() != path.read_bytes()
    _assert_same(small.dataset, large.dataset)
    assert large.tokens == small.tokens
    # The file as it is was checked (first), then the converted file profiled.
    assert len(found) == 2 and found[1] is False
    assert found[0] is (matched == "distinct values" and late != "blank row")


def test_parquet_with_personal_data_goes_through_the_batches(tmp_path: Path) -> None:
    orders = _orders(40_000)
    orders["phone"] = [f"138{i % 7_000:08d}" for i in range(len(orders))]
    path = tmp_path / "people.parquet"
    orders.to_parquet(path, index=False, row_group_size=10_000)
    small, large = _both(tmp_path, path, pii=True)
    assert Path(large.dataset.cache_path).read_bytes() != path.read_bytes()
    _assert_same(small.dataset, large.dataset)
    assert large.tokens == small.tokens and len(large.tokens) == 7_000
    (phone,) = large.dataset.masked
    assert (phone.values_masked, phone.distinct_values) == (40_000, 7_000)


def test_parquet_needing_conversion_matches_the_small_path(tmp_path: Path) -> None:
    rows = 60_000
    table = pa.table(
        {
            # text to convert: numbers with thousands separators, dates, booleans
            "amount": pa.array([f"{i * 13 % 100_000:,}.5" for i in range(rows)]),
            "day": pa.array([f"2024/{i % 12 + 1}/{i % 28 + 1}" for i in range(rows)]),
            "flag": pa.array(["yes" if i % 2 else "no" for i in range(rows)]),
            # no pandas metadata: nulls only in the last row group make it float64 as a whole
            "count": pa.array([None if i > rows - 10 else i for i in range(rows)], pa.int64()),
            "code": pa.array([f"  A{i:05d} " for i in range(rows)]),
        }
    )
    path = tmp_path / "text.parquet"
    pq.write_table(table, path, row_group_size=10_000)
    small, large = _both(tmp_path, path)
    frame = _assert_same(small.dataset, large.dataset)
    assert str(frame["count"].dtype) == "float64" and frame["code"].iloc[0] == "A00000"
    assert Path(large.dataset.cache_path).read_bytes() != path.read_bytes()


# ---------------------------------------------------------------- progress and errors


def test_progress_reports_growing_row_counts_then_the_end(tmp_path: Path) -> None:
    path = _chinese_csv(tmp_path / "sales.csv")  # GBK: re-encoded to UTF-8 first
    lines: list[str] = []
    dataset = ingest(path, _settings(tmp_path, large=True), progress=lines.append)
    *updates, last = lines
    assert all(line.startswith("Converting sales.csv to Parquet: ") for line in updates)
    assert all(line.endswith("% of the file") for line in updates)
    assert "re-encoding it from gb18030" in updates[0]
    rows = [line for line in updates if " rows, " in line]
    assert len(rows) >= 3
    counts = [int(line.split(": ")[1].split(" rows")[0].replace(",", "")) for line in rows]
    assert counts == sorted(counts) and counts[0] < counts[-1] <= dataset.profile.rows
    assert last.startswith(f"Converted sales.csv: {dataset.profile.rows:,} rows in ")


def _big_csv(path: Path, tail: bytes) -> Path:
    body = "".join(f'{i},"row {i}",{i * 3}\n' for i in range(60_000))
    path.write_bytes(b"id,label,value\n" + body.encode() + tail)
    return path


@pytest.mark.parametrize(
    ("tail", "error", "words"),
    [
        (b'60001,"no closing quote,3\n60002,x,1\n', TruncatedFile, "truncated"),
        (b"60001,a,1,extra\n60002,b,2\n", MalformedFile, "fields"),
        (b"60001,a,\x00\x00\n", BinaryFile, "binary"),
        (b'60001,"' + "未闭合".encode("gbk") + b",3\n", TruncatedFile, "truncated"),  # GBK
    ],
)
def test_bad_large_csv_raises_like_the_small_path(
    tmp_path: Path, tail: bytes, error: type[IngestError], words: str
) -> None:
    path = _big_csv(tmp_path / "bad.csv", tail)
    for large in (False, True):
        settings = _settings(tmp_path / str(large), large=large)
        with pytest.raises(error) as raised:
            ingest(path, settings)
        assert "bad.csv" in str(raised.value) and words in str(raised.value)
        datasets = settings.resolved_data_dir() / "datasets"
        assert not datasets.exists() or not any(datasets.iterdir())


# ---------------------------------------------------------------- memory

MEASURE = textwrap.dedent(
    """
    import resource, sys
    from pathlib import Path
    import bot.ingest.stream as stream
    from bot.ingest import ingest
    from bot.settings import Settings
    stream.CSV_BLOCK_BYTES = 256 * 1024
    stream.CSV_BATCH_ROWS = 20_000
    path, data = Path(sys.argv[1]), Path(sys.argv[2])
    settings = Settings(data_dir=data, db_path=data / "t.db", pii_tokenise=False,
                        stream_ingest_mb=1)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    ingest(path, settings)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
    """
)


def test_memory_does_not_grow_with_the_file(tmp_path: Path) -> None:
    """Peak memory growth streaming 8x the rows stays near that of 1x; reading the whole
    file would add at least the 7x more text it holds."""

    def peak_growth_kib(rows: int) -> int:
        path = tmp_path / f"{rows}.csv"
        with path.open("w", encoding="utf-8") as f:
            f.write("id,user,day,amount,flag,city\n")
            for i in range(rows):
                f.write(f"{i},U{i % 99_991:06d},2024-01-{i % 28 + 1:02d},{i * 0.37:.2f},")
                f.write(f"{'yes' if i % 2 else 'no'},city{i % 50}\n")
        run = subprocess.run(
            [sys.executable, "-c", MEASURE, str(path), str(tmp_path / f"data{rows}")],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[2],
        )
        return int(run.stdout.strip().splitlines()[-1])

    one = peak_growth_kib(150_000)
    eight = peak_growth_kib(1_200_000)
    extra_text_kib = 7 * (tmp_path / "150000.csv").stat().st_size // 1024
    # Measured: growth is flat (some 160 MB either way, within 15 MB), where reading the
    # file whole grows by four times its size.
    assert eight - one < extra_text_kib, (one, eight, extra_text_kib)
