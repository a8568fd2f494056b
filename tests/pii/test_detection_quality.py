"""Detection quality on the generated tables (tests/pii/make_tables.py, data/labels.json).

Per-type precision and recall over columns are printed (visible with -s, and in the
captured output that -rA shows); validator-backed types must be perfect, no decoy may be
flagged, and every value the generator embedded in the notes must come back as a span.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from bot.pii.detect import ColumnDecision, classify_frame, find_spans
from bot.pii.types import VALIDATED

DATA = Path(__file__).resolve().parent / "data"
VARIANTS = ("text", "inferred")
ALL_TYPES = ("phone", "email", "id_card", "bank_card", "ip", "passport", "name", "address")


@cache
def labels() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DATA / "labels.json").read_text(encoding="utf-8"))
    return loaded


def read(file: str, variant: str) -> pd.DataFrame:
    """ "text": every column a string except the numeric decoys; "inferred": pandas' guess."""
    if variant == "text":
        numeric = set(labels()[file]["numeric"])
        dtypes = {column: str for column in labels()[file]["columns"] if column not in numeric}
        return pd.read_csv(DATA / file, dtype=dtypes)
    return pd.read_csv(DATA / file)


@cache
def decisions(file: str, variant: str) -> tuple[ColumnDecision, ...]:
    return tuple(classify_frame(read(file, variant)))


def all_decisions() -> Iterator[tuple[str, str, ColumnDecision]]:
    for file in labels():
        for variant in VARIANTS:
            for decision in decisions(file, variant):
                yield file, variant, decision


def scores() -> dict[str, tuple[int, int, int]]:
    """Per type (and "free_text"): true positives, false positives, false negatives."""
    counts = {kind: [0, 0, 0] for kind in (*ALL_TYPES, "free_text")}
    for file, _, decision in all_decisions():
        expected = labels()[file]["columns"][decision.column]
        for kind in ALL_TYPES:
            truth, guess = expected == kind, decision.pii_type == kind
            counts[kind][0] += truth and guess
            counts[kind][1] += guess and not truth
            counts[kind][2] += truth and not guess
        truth = decision.column in labels()[file]["free_text"]
        counts["free_text"][0] += truth and decision.free_text
        counts["free_text"][1] += decision.free_text and not truth
        counts["free_text"][2] += truth and not decision.free_text
    return {kind: (tp, fp, fn) for kind, (tp, fp, fn) in counts.items()}


def ratio(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def report(request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str], text: str) -> None:
    """Print into the captured output (-rA shows it) and, unless capture is off already
    (-s, which shows the plain print), straight to the terminal as well."""
    print(text)
    if request.config.getoption("capture") != "no":
        with capsys.disabled():
            print("\n" + text)


def test_column_precision_and_recall(
    request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    table = scores()
    lines = ["PII column detection, both tables x (text, inferred dtypes):"]
    lines.append(f"  {'type':<10} {'precision':>9} {'recall':>7} {'tp':>3} {'fp':>3} {'fn':>3}")
    for kind, (tp, fp, fn) in table.items():
        precision, recall = ratio(tp, tp + fp), ratio(tp, tp + fn)
        lines.append(f"  {kind:<10} {precision:>9.2f} {recall:>7.2f} {tp:>3} {fp:>3} {fn:>3}")
    report(request, capsys, "\n".join(lines))
    for kind in VALIDATED:
        tp, fp, fn = table[kind]
        assert tp > 0, f"no {kind} column in the tables"
        assert (fp, fn) == (0, 0), f"{kind}: {fp} false positives, {fn} false negatives"


def test_every_column_as_labelled() -> None:
    wrong = [
        f"{file} [{variant}] {d.column}: {d.pii_type} free_text={d.free_text} ({d.reason})"
        for file, variant, d in all_decisions()
        if d.pii_type != labels()[file]["columns"][d.column]
        or d.free_text != (d.column in labels()[file]["free_text"])
    ]
    assert not wrong, "\n".join(wrong)


def test_no_decoy_flagged() -> None:
    for file, variant, decision in all_decisions():
        if decision.column in labels()[file]["decoys"]:
            assert decision.pii_type is None, (file, variant, decision)
            assert not decision.free_text, (file, variant, decision)


def test_notes_are_free_text() -> None:
    for file, variant, decision in all_decisions():
        if decision.column in labels()[file]["free_text"]:
            assert decision.free_text and decision.pii_type is None, (file, variant, decision)


def test_decisions_carry_evidence() -> None:
    for _, _, decision in all_decisions():
        assert 0.0 <= decision.confidence <= 1.0
        assert decision.sampled > 0
        assert 0 <= decision.validator_hits <= decision.sampled
        assert decision.reason.endswith(".")
        if decision.pii_type in VALIDATED:
            assert decision.validator_hits >= 0.5 * decision.sampled


def test_find_spans_recovers_embedded_values(
    request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = ["PII spans in the notes columns (values the generator embedded):"]
    for file, info in labels().items():
        frame = read(file, "text")
        column = info["free_text"][0]
        embedded = {(item["row"], item["pii_type"], item["value"]) for item in info["embedded"]}
        found = set()
        for row, text in frame[column].items():
            found |= {(row, span.pii_type, span.text) for span in find_spans(str(text))}
        hits = len(embedded & found)
        lines.append(
            f"  {file}: {len(embedded)} embedded, {hits} recovered, "
            f"{len(found - embedded)} extra; recall {ratio(hits, len(embedded)):.2f}, "
            f"precision {ratio(hits, len(found)):.2f}"
        )
        assert embedded, f"{file}: the generator embedded nothing"
        assert embedded <= found, f"missed: {sorted(embedded - found)[:5]}"
        assert found <= embedded, f"spurious: {sorted(found - embedded)[:5]}"
    report(request, capsys, "\n".join(lines))
