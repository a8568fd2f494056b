"""Personal data end to end: tokenised at ingest, reported, restored only where allowed."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pandas as pd

from tests.e2e.conftest import EXAMPLES, THREADLAB, Ask

CUSTOMERS = EXAMPLES / "customers.csv"
PII_COLUMNS = {"name": "name", "phone": "phone", "id_number": "id_card", "email": "email"}


def _cache_with(data_dir: Path, column: str) -> pd.DataFrame:
    for path in sorted(data_dir.glob("datasets/*/data.parquet")):
        frame = pd.read_parquet(path)
        if column in frame.columns:
            return frame
    raise AssertionError(f"no cached dataset has a column {column}")


def test_personal_data_never_reaches_the_cache_or_the_sandbox(
    ask: Ask, threadlab_env: dict[str, str]
) -> None:
    result = ask(CUSTOMERS, "how many customers per city")
    assert result.exit_code == 0, result.stderr
    masked = {m["column"]: m["pii_type"] for m in result.json["masked_columns"]}
    assert masked == PII_COLUMNS
    raw = pd.read_csv(CUSTOMERS, dtype=str)
    cached = _cache_with(Path(threadlab_env["THREADLAB_DATA_DIR"]), "id_number")
    for column in PII_COLUMNS:
        assert not cached[column].isin(raw[column]).any(), column
        assert cached[column].str.fullmatch(r"[A-Z]+_[0-9a-f]{16}").all(), column
    # Not personal data: untouched, and the analysis still groups on it.
    assert cached["customer_id"].tolist() == raw["customer_id"].tolist()
    counts = result.table("city").set_index("city").iloc[:, 0].to_dict()
    assert counts == raw["city"].value_counts().to_dict()
    # Derived columns keep what an analysis may need from an ID number.
    births = pd.to_numeric(raw["id_number"].str[6:10])
    assert cached["id_number_birth_year"].astype(int).tolist() == births.tolist()
    assert "Personal data replaced by tokens" in result.stderr


def test_pii_scan_reports_each_column_with_its_evidence(threadlab_env: dict[str, str]) -> None:
    proc = subprocess.run(
        [str(THREADLAB), "pii", "scan", str(CUSTOMERS), "--json"],
        capture_output=True,
        text=True,
        env=threadlab_env,
        timeout=120,
        check=True,
    )
    columns = {c["column"]: c for c in json.loads(proc.stdout)}
    flagged = {name: c["pii_type"] for name, c in columns.items() if c["masked"]}
    assert flagged == PII_COLUMNS
    phone = columns["phone"]
    assert phone["validator_hits"] == phone["sampled"] > 0
    assert phone["header_match"] is not None
    raw = pd.read_csv(CUSTOMERS, dtype=str).head(3)
    assert all(v.startswith("PHONE_") for v in phone["preview"])
    assert columns["city"]["preview"] == raw["city"].tolist()  # not PII: shown as is
    assert not any(v in proc.stdout for v in raw["id_number"])


def test_real_values_come_back_only_where_the_setting_allows(
    ask: Ask, threadlab_env: dict[str, str]
) -> None:
    raw = pd.read_csv(CUSTOMERS, dtype=str)
    top = raw.assign(spend=raw["total_spend"].astype(float)).nlargest(1, "spend")["name"].iloc[0]

    shown = ask(CUSTOMERS, "top 5 names by total_spend")
    assert shown.exit_code == 0, shown.stderr
    table = next(t for t in shown.json["tables"] if "name" in t["columns"])
    assert table["rows"][0][0] == top and top in shown.json["answer"]
    # The saved CSV came out of the sandbox: tokens, always.
    assert pd.read_csv(table["csv"])["name"].str.startswith("NAME_").all()

    hidden = ask(
        CUSTOMERS,
        "top 5 names by total_spend",
        env={**threadlab_env, "THREADLAB_PII_RESTORE": "never"},
    )
    table = next(t for t in hidden.json["tables"] if "name" in t["columns"])
    assert table["rows"][0][0].startswith("NAME_") and top not in hidden.json["answer"]
