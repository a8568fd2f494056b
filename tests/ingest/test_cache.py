"""The Parquet cache: keyed by content, reused without re-parsing, written atomically."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from bot.errors import IngestError
from bot.ingest import ingest
from bot.ingest.cache import INGEST_VERSION
from bot.models import Dataset
from bot.settings import Settings

TEXT = "id,amount\n001,1.5\n002,2.5\n"


def test_cache_layout_and_id(tmp_path: Path, settings: Settings, datasets: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(TEXT, encoding="utf-8")
    ds = ingest(path, settings)
    assert ds.id == hashlib.sha256(INGEST_VERSION + path.read_bytes()).hexdigest()[:16]
    directory = datasets / ds.id
    assert Path(ds.cache_path) == directory / "data.parquet"
    assert sorted(p.name for p in directory.iterdir()) == ["data.parquet", "profile.json"]
    assert Dataset.model_validate_json((directory / "profile.json").read_text()) == ds
    assert ds.source_path == str(path.resolve())
    assert ds.size_bytes == len(TEXT)


def test_second_ingest_reuses_the_cache(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.csv"
    path.write_text(TEXT, encoding="utf-8")
    first = ingest(path, settings)
    files = [Path(first.cache_path), Path(first.cache_path).with_name("profile.json")]
    before = [f.stat().st_mtime_ns for f in files]

    def no_parsing(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file was parsed again")

    monkeypatch.setattr("bot.ingest.read_table", no_parsing)
    again = ingest(path, settings)
    assert again == first
    assert [f.stat().st_mtime_ns for f in files] == before


def test_same_bytes_under_another_name(tmp_path: Path, settings: Settings) -> None:
    (tmp_path / "a.csv").write_text(TEXT, encoding="utf-8")
    (tmp_path / "copy.csv").write_text(TEXT, encoding="utf-8")
    first = ingest(tmp_path / "a.csv", settings)
    second = ingest(tmp_path / "copy.csv", settings)
    assert second.id == first.id and second.cache_path == first.cache_path
    assert (second.name, second.source_path) == ("copy.csv", str(tmp_path / "copy.csv"))


def test_incomplete_cache_is_rebuilt(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "a.csv"
    path.write_text(TEXT, encoding="utf-8")
    ds = ingest(path, settings)
    Path(ds.cache_path).write_bytes(b"PAR1 half a file")
    rebuilt = ingest(path, settings)
    assert pd.read_parquet(rebuilt.cache_path)["id"].tolist() == ["001", "002"]


@pytest.mark.parametrize("fail_on", ["data.parquet", "profile.json"])
def test_a_crash_while_writing_leaves_no_cache(
    tmp_path: Path,
    settings: Settings,
    datasets: Path,
    monkeypatch: pytest.MonkeyPatch,
    fail_on: str,
) -> None:
    path = tmp_path / "a.csv"
    path.write_text(TEXT, encoding="utf-8")
    real_write_bytes = Path.write_bytes
    real_to_parquet = pd.DataFrame.to_parquet

    def half_then_crash(target: Path, data: bytes) -> int:
        real_write_bytes(target, data[: len(data) // 2])
        raise OSError(28, "No space left on device")

    def parquet_then_crash(frame: pd.DataFrame, target: Path, **kwargs: object) -> None:
        real_to_parquet(frame, target)
        Path(target).write_bytes(Path(target).read_bytes()[:100])
        raise OSError(28, "No space left on device")

    if fail_on == "profile.json":
        monkeypatch.setattr(Path, "write_bytes", half_then_crash)
    else:
        monkeypatch.setattr(pd.DataFrame, "to_parquet", parquet_then_crash)
    with pytest.raises(IngestError, match="No space left on device"):
        ingest(path, settings)
    monkeypatch.undo()

    leftovers = list(datasets.rglob("*")) if datasets.exists() else []
    assert leftovers == []
    ds = ingest(path, settings)  # and the next attempt succeeds
    assert pd.read_parquet(ds.cache_path)["amount"].tolist() == [1.5, 2.5]


def test_cache_that_cannot_be_written_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(TEXT, encoding="utf-8")
    blocker = tmp_path / "blocked"
    blocker.write_text("a file where the data dir should be")
    settings = Settings(data_dir=blocker, db_path=tmp_path / "t.db")
    with pytest.raises(IngestError, match=r"a\.csv was read, but its cache could not be written"):
        ingest(path, settings)
