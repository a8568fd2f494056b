"""A column whose values strictly rise or fall down a Parquet file is proven unique; any
repeat, wherever it sits (inside a row group, across groups, across batches of a large
group, in a file written without statistics), disproves it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bot.ingest import monotonic
from bot.ingest.monotonic import strictly_monotonic


def _write(
    path: Path, values: Sequence[int | None], group_rows: int = 10, statistics: bool = True
) -> Path:
    table = pa.table(
        {
            "id": pa.array(values, pa.int64()),
            "name": pa.array([f"n{i}" for i in range(len(values))]),
            "price": pa.array([float(i) for i in range(len(values))]),
        }
    )
    pq.write_table(table, path, row_group_size=group_rows, write_statistics=statistics)
    return path


@pytest.mark.parametrize("statistics", [True, False], ids=["statistics", "no statistics"])
@pytest.mark.parametrize(
    "values",
    [
        list(range(1, 96)),
        list(range(500, 400, -3)),
        [None, None, 5, None, 9, 40, None, 41, 1000, *range(2000, 2050)],
        [*range(10), *[None] * 10, *range(10, 20)],  # a row group of nothing but nulls
        [7],
    ],
    ids=["rising", "falling", "nulls between", "an empty group", "one value"],
)
def test_strictly_ordered_columns_are_unique(
    tmp_path: Path, values: list[int | None], statistics: bool
) -> None:
    assert strictly_monotonic(_write(tmp_path / "t.parquet", values, statistics=statistics), "id")


@pytest.mark.parametrize("statistics", [True, False], ids=["statistics", "no statistics"])
@pytest.mark.parametrize(
    "values",
    [
        [*range(5), 4, *range(6, 30)],  # a repeat inside a group
        [*range(10), 9, *range(11, 30)],  # the first of group 2 repeats the last of group 1
        [*range(10), *range(20, 30), *range(15, 20), *range(30, 35)],  # out of order
        [*range(0, 20), None, *range(21, 40), 10],  # the very last value goes back
        [3, 3, 3],
        [*range(20, 10, -1), *range(10, 20)],  # falls, then rises
    ],
    ids=["within", "across groups", "overlapping groups", "last", "all equal", "turns"],
)
def test_any_repeat_or_turn_disproves_it(
    tmp_path: Path, values: list[int | None], statistics: bool
) -> None:
    path = _write(tmp_path / "t.parquet", values, statistics=statistics)
    assert not strictly_monotonic(path, "id")


def test_large_row_groups_are_read_in_batches_and_checked_across_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(monotonic, "BATCH_ROWS", 16)
    rising = list(range(1000, 1100))
    assert strictly_monotonic(_write(tmp_path / "a.parquet", rising, group_rows=100), "id")
    repeat_at_batch_edge = [*range(16), 15, *range(17, 100)]
    path = _write(tmp_path / "b.parquet", repeat_at_batch_edge, group_rows=100)
    assert not strictly_monotonic(path, "id")
    # Small groups read together, then a large one read in batches: the order still holds.
    mixed = tmp_path / "mixed.parquet"
    with pq.ParquetWriter(mixed, pa.schema([("id", pa.int64())])) as writer:
        for chunk in (range(0, 5), range(5, 10), range(10, 60), range(60, 63)):
            writer.write_table(pa.table({"id": pa.array(list(chunk), pa.int64())}))
    assert pq.ParquetFile(mixed).metadata.num_row_groups == 4
    assert strictly_monotonic(mixed, "id")


def test_statistics_rule_a_column_out_without_reading_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "t.parquet", [*range(10), *range(5, 15)])  # groups overlap
    reads: list[int] = []
    original = pq.ParquetFile.read_row_group

    def spy(self: pq.ParquetFile, i: int, *args: object, **kwargs: object) -> pa.Table:
        reads.append(i)
        return original(self, i, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "read_row_group", spy)
    assert not strictly_monotonic(path, "id")
    assert reads == []
    assert strictly_monotonic(_write(tmp_path / "u.parquet", list(range(20))), "id")
    assert sorted(reads) == [0, 1]


def test_only_integer_columns_that_exist_qualify(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.parquet", list(range(30)))
    assert not strictly_monotonic(path, "price")  # rising, but not integers
    assert not strictly_monotonic(path, "name")
    assert not strictly_monotonic(path, "missing")
