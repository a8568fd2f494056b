"""The LLM boundary: nothing that looks like PII, or is a known raw value, gets out."""

from __future__ import annotations

from bot.pii.boundary import KnownValues, LlmBoundary
from bot.pii.tokenise import Tokeniser

TOKENS = {"NAME_00000000000000aa": "张伟", "ADDR_00000000000000bb": "北京市朝阳区建国路88号"}


def _boundary() -> LlmBoundary:
    return LlmBoundary(Tokeniser(b"k" * 32), KnownValues(TOKENS))


def test_known_names_and_addresses_are_masked_anywhere() -> None:
    boundary = _boundary()
    text = boundary.outgoing("Top customer: 张伟", "Traceback: KeyError: '北京市朝阳区建国路88号'")
    assert "张伟" not in text and "建国路" not in text
    assert "NAME_00000000000000aa" in text and "ADDR_00000000000000bb" in text
    assert boundary.masked == 2


def test_validated_pii_is_masked_even_when_never_seen_before() -> None:
    boundary = _boundary()
    text = boundary.outgoing("print(df) -> 13912345678, someone@corp.cn")
    assert "13912345678" not in text and "someone@corp.cn" not in text
    assert "PHONE_" in text and "EMAIL_" in text
    assert boundary.masked == 2


def test_ordinary_text_passes_unchanged() -> None:
    boundary = _boundary()
    text = "Total sales by region: north 1,234.50; 订单数 13800; 2026-07 peak"
    assert boundary.outgoing(text) == text
    assert boundary.masked == 0


def test_the_longest_known_value_wins() -> None:
    known = KnownValues({"ADDR_1": "建国路88号", "ADDR_2": "北京市朝阳区建国路88号"})
    masked, hits = known.mask("寄到北京市朝阳区建国路88号")
    assert masked == "寄到ADDR_2" and hits == 1
