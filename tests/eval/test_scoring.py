"""Scoring one answer: `@name[value]` parsing and the label-matching rules."""

from __future__ import annotations

import pytest

from bot.eval.scoring import match, parse_answers, score


def test_parse_finds_every_answer_anywhere_in_the_text() -> None:
    text = "The mean is @mean_fare[34.65] and\nthe std is @std_fare[ 49.69 ]; done."
    assert parse_answers(text) == {"mean_fare": "34.65", "std_fare": " 49.69 "}


def test_parse_keeps_the_last_value_of_a_repeated_name() -> None:
    assert parse_answers("@x[1] first guess, final: @x[2]") == {"x": "2"}


def test_parse_values_may_hold_anything_but_a_closing_bracket() -> None:
    text = "@month[2024-08] @label[high (>= 5), see note] @empty[] @bad name[1] @broken[no end"
    assert parse_answers(text) == {
        "month": "2024-08",
        "label": "high (>= 5), see note",
        "empty": "",
    }


def test_parse_of_plain_prose_is_empty() -> None:
    assert parse_answers("The average fare is 34.65 dollars.") == {}


@pytest.mark.parametrize(
    ("expected", "got"),
    [
        ("34.65", "34.65"),
        ("34.65", "34.6500000001"),  # |Δ| < 1e-6
        ("3.160", "3.16"),  # the same number written shorter
        ("3", "3.0"),
        ("-0.1234", "-0.12341"),
    ],
)
def test_numbers_within_tolerance_match(expected: str, got: str) -> None:
    assert match(expected, got)


@pytest.mark.parametrize(
    ("expected", "got", "ok"),
    [
        ("34.65", "34.6456", True),  # rounds to 34.65
        ("34.65", "34.654999", True),
        ("34.65", "34.656", False),  # rounds to 34.66
        ("34.65", "34.6", False),  # less precise than asked: 34.60 != 34.65
        ("0.5294", "0.529351", True),
        ("96.52", "96.521415", True),
        ("34.65", "34.645", True),  # a tie counts whichever way the answer rounded
        ("34.65", "34.655", True),
        ("4", "4.4", True),  # a label rounded to an integer
        ("4", "4.6", False),
        ("1e-05", "1.4e-05", False),  # exponent notation: the 1e-6 tolerance only
    ],
)
def test_rounding_rule(expected: str, got: str, ok: bool) -> None:
    assert match(expected, got) is ok


@pytest.mark.parametrize(
    ("expected", "got", "ok"),
    [
        ("North", "north", True),
        ("North", "  North ", True),
        ("North", "'North'", True),
        ("North", '"north"', True),
        ("yes", "Yes", True),
        ("True", "true", True),
        ("P031", "P031", True),
        ("2024-08", "2024-08", True),
        ("North", "North-East", False),
        ("2024-08", "2024-8", False),
        ("nan", "NaN", True),  # not numbers: compared as words
        ("12", "twelve", False),
    ],
)
def test_strings_match_ignoring_case_space_and_quotes(expected: str, got: str, ok: bool) -> None:
    assert match(expected, got) is ok


def test_a_missing_answer_never_matches() -> None:
    assert not match("34.65", None)
    assert not match("", None)


def test_a_question_is_right_only_when_every_label_is() -> None:
    labels = [("mean_fare", "34.65"), ("std_fare", "49.69")]
    right = score(labels, "@mean_fare[34.6456] @std_fare[49.69]")
    assert right.correct and right.labels_correct == 2

    half = score(labels, "@mean_fare[34.65] @std_fare[50.1]")
    assert not half.correct and half.labels_correct == 1
    assert [(r.name, r.got, r.correct) for r in half.labels] == [
        ("mean_fare", "34.65", True),
        ("std_fare", "50.1", False),
    ]


def test_a_label_the_answer_leaves_out_is_wrong() -> None:
    result = score([("a", "1"), ("b", "2")], "@a[1] and nothing else")
    assert not result.correct
    assert result.labels[1].got is None and not result.labels[1].correct


def test_answer_names_are_matched_ignoring_case_when_not_exact() -> None:
    result = score([("mean_fare", "34.65")], "@Mean_Fare[34.65]")
    assert result.correct
    exact_first = score([("x", "1")], "@X[2] @x[1]")
    assert exact_first.correct


def test_a_question_without_labels_is_not_counted_right() -> None:
    assert not score([], "@x[1]").correct
