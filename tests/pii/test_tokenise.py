"""Tokenisation at ingest: keyed, deterministic, hashed once per distinct value."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pandas as pd
import pytest

from bot.pii.detect import classify_frame
from bot.pii.restore import TOKEN_PATTERN, restore_text
from bot.pii.secret import KEY_BYTES, installation_secret
from bot.pii.tokenise import Tokeniser, tokenise_frame

# A real GB 11643 ID (checksum and birth date valid) and a mainland mobile number.
ID_1 = "110105199003071234"
ID_1 = (
    ID_1[:17]
    + "10X98765432"[
        sum(
            int(d) * w
            for d, w in zip(
                ID_1[:17], [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], strict=True
            )
        )
        % 11
    ]
)


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "客户名": ["张伟", "李娜", "张伟", None],
            "手机号": ["138 0013 8000", "+86-139-0013-9000", "13800138000", "13700137000"],
            "email": ["A@Example.com", "b@example.cn", "a@example.com", None],
            "身份证号": [ID_1, ID_1, ID_1, ID_1],
            "amount": [12.5, 13800138000.0, 7.0, 8.0],
            "备注": ["call 13800138000 today", "ok", None, "mail b@example.cn"],
        }
    )


def _kinds(frame: pd.DataFrame) -> dict[str, str]:
    return {c: ("number" if c == "amount" else "text") for c in frame.columns}


@pytest.fixture
def tokeniser() -> Tokeniser:
    return Tokeniser(b"k" * 32)


def test_secret_is_created_once_with_mode_600(tmp_path: Path) -> None:
    first = installation_secret(tmp_path / "data")
    second = installation_secret(tmp_path / "data")
    assert first == second and len(first) == KEY_BYTES
    mode = stat.S_IMODE(os.stat(tmp_path / "data" / "pii.key").st_mode)
    assert mode == 0o600
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["pii.key"]  # no temp left


def test_tokens_are_keyed_deterministic_and_typed(tokeniser: Tokeniser) -> None:
    token = tokeniser.token("phone", "+8613800138000")
    assert token == tokeniser.token("phone", "+8613800138000")
    assert token != Tokeniser(b"j" * 32).token("phone", "+8613800138000")
    assert token != tokeniser.token("email", "+8613800138000")
    assert TOKEN_PATTERN.fullmatch(token) and token.startswith("PHONE_")


def test_same_value_in_any_format_gets_the_same_token(tokeniser: Tokeniser) -> None:
    frame = _frame()
    out = tokenise_frame(frame, _kinds(frame), classify_frame(frame), tokeniser)
    phones = out.frame["手机号"].tolist()
    assert phones[0] == phones[2] != phones[1]  # spaces and no spaces: one person
    emails = out.frame["email"].tolist()
    assert emails[0] == emails[2] and pd.isna(emails[3])  # case does not matter
    names = out.frame["客户名"].tolist()
    assert names[0] == names[2] != names[1] and pd.isna(names[3])
    assert all(str(v).startswith("IDCARD_") for v in out.frame["身份证号"])


def test_no_raw_value_is_left_in_the_table(tokeniser: Tokeniser) -> None:
    frame = _frame()
    out = tokenise_frame(frame, _kinds(frame), classify_frame(frame), tokeniser)
    text = out.frame.drop(columns=["amount"]).astype(str).to_csv()  # amount is a decoy
    for raw in ["张伟", "李娜", "13800138000", "0013", "A@Example.com", "b@example.cn", ID_1]:
        assert raw not in text
    assert out.frame["amount"].tolist() == frame["amount"].tolist()  # not PII


def test_free_text_keeps_its_words_and_loses_its_pii(tokeniser: Tokeniser) -> None:
    frame = _frame()
    out = tokenise_frame(frame, _kinds(frame), classify_frame(frame), tokeniser)
    notes = out.frame["备注"].tolist()
    phone_token = out.frame["手机号"][2]
    assert notes[0] == f"call {phone_token} today"  # the same token as the phone column
    assert notes[1] == "ok" and pd.isna(notes[2])
    assert notes[3] == f"mail {out.frame['email'][1]}"
    free = next(m for m in out.masked if m.column == "备注")
    assert free.free_text and free.values_masked == 2


def test_derived_columns_carry_analysis_value(tokeniser: Tokeniser) -> None:
    frame = _frame()
    out = tokenise_frame(frame, _kinds(frame), classify_frame(frame), tokeniser)
    assert out.frame["身份证号_birth_year"].tolist() == [1990] * 4
    assert set(out.frame["身份证号_gender"]) <= {"F", "M"}
    assert out.frame["身份证号_province"].tolist() == ["11"] * 4
    assert out.frame["email_domain"].tolist()[:3] == ["example.com", "example.cn", "example.com"]
    assert out.frame["手机号_prefix"].tolist() == ["138", "139", "138", "137"]
    columns = list(out.frame.columns)
    assert columns.index("身份证号_birth_year") == columns.index("身份证号") + 1
    assert out.kinds["身份证号_birth_year"] == "integer"


def test_token_map_restores_what_was_masked(tokeniser: Tokeniser) -> None:
    frame = _frame()
    out = tokenise_frame(frame, _kinds(frame), classify_frame(frame), tokeniser)
    tokens = {token: raw for token, (_, raw) in out.values.items()}
    restored = restore_text(
        f"top customer {out.frame['客户名'][0]} ({out.frame['手机号'][1]})", tokens
    )
    assert restored == "top customer 张伟 (+86-139-0013-9000)"
    assert restore_text("PHONE_0123456789abcdef stays", tokens) == "PHONE_0123456789abcdef stays"
