"""Type inference: identifiers stay exact strings; integers, numbers, dates, booleans."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from bot.ingest import ingest, types
from bot.ingest.types import infer_text
from bot.models import ColumnKind, Dataset
from bot.settings import Settings

IDS = ["110105199001011234", "11010519900101123X", "440301198512250019"]
PHONES = ["13812345678", "15900001111", "18611112222"]


def _csv(tmp_path: Path, settings: Settings, text: str) -> tuple[Dataset, pd.DataFrame]:
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    ds = ingest(path, settings)
    return ds, pd.read_parquet(ds.cache_path)


def _kinds(ds: Dataset) -> dict[str, str]:
    return {c.name: c.kind for c in ds.profile.columns}


def test_id_numbers_and_phones_stay_exact_strings(tmp_path: Path, settings: Settings) -> None:
    rows = "\n".join(
        f"{i},{p},{z}" for i, p, z in zip(IDS, PHONES, ["0012", "0345", "1000"], strict=True)
    )
    ds, frame = _csv(tmp_path, settings, "id_number,phone,zip\n" + rows + "\n")
    assert _kinds(ds) == {"id_number": "identifier", "phone": "identifier", "zip": "identifier"}
    assert frame["id_number"].tolist() == IDS
    assert frame["phone"].tolist() == PHONES
    assert frame["zip"].tolist() == ["0012", "0345", "1000"]
    assert ds.profile.column("id_number").examples == IDS  # type: ignore[union-attr]


def test_eighteen_digit_ids_without_x_never_become_floats(
    tmp_path: Path, settings: Settings
) -> None:
    ids = ["110105199001011234", "440301198512250019", ""]
    ds, frame = _csv(tmp_path, settings, "pid,n\n" + "\n".join(f"{i},1" for i in ids) + "\n")
    assert _kinds(ds)["pid"] == "identifier"
    assert str(frame["pid"].dtype) == "str"
    assert frame["pid"].tolist()[:2] == ids[:2]


@pytest.mark.parametrize(
    ("values", "kind", "dtype"),
    [
        (["1", "-2", "", "30"], "integer", "Int64"),
        (["1.5", "2", "-0.25", "1e3"], "number", "float64"),
        (["1,234.50", "12.00", "1,000,000"], "number", "float64"),
        (["true", "False", "YES", "no", ""], "boolean", "boolean"),
        (["U000123", "U000124"], "identifier", "str"),
        (["Paris", "12", "2025-01-01"], "text", "str"),
        (["", "NA", "null"], "text", "str"),
    ],
)
def test_kinds(values: list[str], kind: str, dtype: str) -> None:
    series, got = infer_text(pd.Series(values, dtype="str"))
    assert (got, str(series.dtype)) == (kind, dtype)


def test_integers_keep_their_nulls(tmp_path: Path, settings: Settings) -> None:
    ds, frame = _csv(tmp_path, settings, "n,x\n1,a\n,b\n3,c\n")
    assert str(frame["n"].dtype) == "Int64"
    assert frame["n"].isna().tolist() == [False, True, False]
    column = ds.profile.column("n")
    assert column is not None and (column.nulls, column.min, column.max) == (1, 1, 3)


@pytest.mark.parametrize(
    "values",
    [
        ["2025-01-31", "2025-02-01", "2025-12-31"],
        ["2025/01/31", "2025/2/1", "2025/12/31"],
        ["2025-01-31 12:00:00", "2025-02-01 08:30:00", "2025-12-31 23:59:59"],
        ["2025年1月31日", "2025年2月1日", "2025年12月31日"],
    ],
    ids=["iso", "slash", "datetime", "chinese"],
)
def test_dates(values: list[str]) -> None:
    series, kind = infer_text(pd.Series(values, dtype="str"))
    assert kind == "datetime"
    assert str(series.dtype) == "datetime64[us]"
    assert series.dt.date.tolist() == [
        pd.Timestamp(2025, 1, 31).date(),
        pd.Timestamp(2025, 2, 1).date(),
        pd.Timestamp(2025, 12, 31).date(),
    ]


def test_dates_need_95_percent() -> None:
    good = [f"2025-01-{d:02d}" for d in range(1, 20)]
    series, kind = infer_text(pd.Series([*good, "unknown"], dtype="str"))
    assert kind == "datetime" and series.isna().sum() == 1  # 19 of 20 is 95%
    _, kind = infer_text(pd.Series([*good[:18], "unknown", "later"], dtype="str"))
    assert kind == "text"  # 18 of 20 is 90%


def test_column_names_are_trimmed_and_unique(tmp_path: Path, settings: Settings) -> None:
    ds, frame = _csv(
        tmp_path, settings, " amount ,name,,amount,amount,amount_2\n1,a,x,2,3,4\n5,b,y,6,7,8\n"
    )
    names = ["amount", "name", "column_3", "amount_3", "amount_4", "amount_2"]
    assert ds.profile.names == names
    assert list(frame.columns) == names


def test_profile_is_json_safe(tmp_path: Path, settings: Settings) -> None:
    ds, _ = _csv(
        tmp_path,
        settings,
        "d,x,s,b\n2025-01-31,1.5,a,yes\n2025-03-01 10:00:00,,b,no\n2025-02-01,2.5,a,yes\n",
    )
    payload = json.loads(ds.model_dump_json())
    columns = {c["name"]: c for c in payload["profile"]["columns"]}
    assert columns["d"]["min"] == "2025-01-31T00:00:00"
    assert columns["d"]["max"] == "2025-03-01T10:00:00"
    assert (columns["x"]["min"], columns["x"]["max"], columns["x"]["nulls"]) == (1.5, 2.5, 1)
    assert (columns["s"]["min"], columns["s"]["distinct"], columns["s"]["examples"]) == (
        None,
        2,
        ["a", "b"],
    )
    assert columns["b"]["examples"] == [True, False]


def test_date_only_columns_profile_as_dates(tmp_path: Path, settings: Settings) -> None:
    ds, _ = _csv(tmp_path, settings, "d\n2025-01-31\n2025-02-01\n")
    column = ds.profile.column("d")
    assert column is not None
    assert (column.min, column.max, column.dtype) == ("2025-01-31", "2025-02-01", "datetime64[us]")


# ---------------------------------------------------- plain batches, parsed by Arrow

PLAIN_CASES: list[tuple[str, str, list[str | None], bool]] = [
    # kind, dtype, values, whether they are all plain (Arrow parses the batch at once)
    ("integer", "Int64", ["12", "-7", "0", "-0", "000123", None, ""], True),
    ("integer", "Int64", ["999999999999999999", "-999999999999999999"], True),  # 18 digits
    ("integer", "Int64", ["1000000000000000000", "5"], False),  # 19 digits: not an int64 here
    ("integer", "Int64", ["+5", "6"], False),
    ("integer", "Int64", [" 5", "6"], False),
    ("integer", "Int64", ["1,234", "6"], False),
    ("integer", "Int64", ["0x10", "6"], False),  # Arrow alone would read 16
    ("integer", "Int64", ["NA", "6", "null"], False),
    ("integer", "Int64", ["١٢", "6"], False),  # Arabic-Indic digits
    ("integer", "Int64", ["5.0", "6"], False),
    ("number", "float64", ["1.5", "-0.25", "7", "-0", "0.1", None, ""], True),
    ("number", "float64", ["12345678901234567890.123456789", "3"], True),
    ("number", "float64", ["1e5", "2"], False),
    ("number", "float64", ["inf", "2"], False),  # Arrow alone would read infinity
    ("number", "float64", ["nan", "2"], False),
    ("number", "float64", [".5", "5.", "2"], False),
    ("number", "float64", ["1,234.5", "2"], False),
    ("datetime", "datetime64[us]", ["2024-03-05", "1999-12-31", None, ""], True),
    ("datetime", "datetime64[us]", ["1700-01-01", "2199-12-31"], True),
    ("datetime", "datetime64[us]", ["2025-02-30", "2025-02-28"], True),  # no such day
    ("datetime", "datetime64[us]", ["1500-01-01", "2024-01-01"], False),  # beyond pandas' ns
    ("datetime", "datetime64[us]", ["2024-3-5", "2024-03-05"], False),
    ("datetime", "datetime64[us]", ["2024-03-05 10:00", "2024-03-05"], False),
    ("datetime", "datetime64[us]", ["2024/03/05", "2024-03-05"], False),
]


@pytest.mark.parametrize(("kind", "dtype", "values", "plain"), PLAIN_CASES)
def test_plain_batches_parse_as_the_general_rules_do(
    kind: str, dtype: str, values: list[str | None], plain: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Arrow's fast parse of a plain batch gives what the general rules give, values and
    failures alike; anything it would read differently goes the general way."""
    series = pd.Series(values, dtype="str")
    fast_taken: list[bool] = []
    fast = types._convert_plain

    def spy(s: pd.Series, k: ColumnKind) -> pd.Series | None:
        result = fast(s, k)
        fast_taken.append(result is not None)
        return result

    monkeypatch.setattr(types, "_convert_plain", spy)
    got, failures = types.convert_column(series, kind, dtype)  # type: ignore[arg-type]
    monkeypatch.setattr(types, "_convert_plain", lambda s, k: None)
    expected, expected_failures = types.convert_column(series, kind, dtype)  # type: ignore[arg-type]
    pd.testing.assert_series_equal(got, expected)
    assert failures == expected_failures
    # A batch with a day that does not exist is plain, but the general path counts it.
    assert fast_taken == [plain and "2025-02-30" not in values]
