"""The Slack rendering layer: escaping, byte-safe splitting and Block Kit limits.

Every rendered message and view goes through `check_blocks` / `check_view`, which hold
it to the limit constants and to the escaping promise (no `<` or `&` that Slack could
parse, except the mention and date tokens the renderer writes on purpose).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from bot.models import (
    ColumnProfile,
    Dataset,
    DatasetProfile,
    LoadStep,
    MaskedColumn,
    Plan,
)
from bot.reply import Outcome, TablePreview
from handlers.slack import render
from handlers.slack.render import (
    ACTION_ID,
    ACTION_VALUE,
    BUTTON_TEXT,
    CONFIRM_BUTTON,
    CONFIRM_TEXT,
    CONFIRM_TITLE,
    CONTEXT_ELEMENTS,
    HEADER_TEXT,
    MAX_BLOCKS,
    MESSAGE_BLOCKS_TEXT,
    MODAL_BLOCKS,
    MODAL_TEXT,
    SECTION_TEXT,
    VIEW_TITLE,
    escape,
    split_utf8,
)

# --- The validator ---------------------------------------------------------------------

# `<…>` tokens the renderer may write itself; anything else in angle brackets is a bug.
_ALLOWED_TOKEN = re.compile(
    r"<@[UW][A-Z0-9]+>|<!date\^\d+\^\{date_short_pretty\} \{time\}\|[^<>]*>"
)
_ENTITY = re.compile(r"&(?:amp|lt|gt);")
_BROADCAST = re.compile(r"(?<![\w])@(?:channel|here|everyone)\b", re.IGNORECASE)
_BLOCK_TYPES = {"section", "context", "actions", "header", "divider"}


def _size(text: str) -> int:
    return len(text.encode())


def _check_inert(text: str, where: str) -> None:
    stripped = _ALLOWED_TOKEN.sub("", text)
    assert "<" not in stripped and ">" not in stripped, f"{where}: raw < or > in {text[:200]!r}"
    assert "&" not in _ENTITY.sub("", stripped), f"{where}: bare & in {text[:200]!r}"
    assert not _BROADCAST.search(text), f"{where}: broadcast in {text[:200]!r}"


def _check_text(obj: Mapping[str, Any], limit: int, where: str, plain: bool = False) -> None:
    assert obj["type"] in (("plain_text",) if plain else ("plain_text", "mrkdwn")), where
    text = obj["text"]
    assert isinstance(text, str) and text.strip(), f"{where}: empty text"
    assert _size(text) <= limit, f"{where}: {_size(text)} bytes > {limit}"
    _check_inert(text, where)


def _check_button(button: Mapping[str, Any], where: str) -> None:
    assert button["type"] == "button", where
    _check_text(button["text"], BUTTON_TEXT, where, plain=True)
    assert 0 < len(button["action_id"]) <= ACTION_ID, where
    assert len(button.get("value", "")) <= ACTION_VALUE, where
    assert button.get("style") in (None, "primary", "danger"), where
    if "confirm" in button:
        confirm = button["confirm"]
        _check_text(confirm["title"], CONFIRM_TITLE, where, plain=True)
        _check_text(confirm["text"], CONFIRM_TEXT, where)
        _check_text(confirm["confirm"], CONFIRM_BUTTON, where, plain=True)
        _check_text(confirm["deny"], CONFIRM_BUTTON, where, plain=True)


def check_blocks(blocks: list[dict[str, Any]], *, surface: str = "message") -> None:
    """Fails unless the blocks are valid, JSON-ready and within every limit for the
    surface ("message", or "modal"/"home" for views)."""
    json.dumps(blocks)  # JSON-ready: only dicts, lists, strings, numbers, booleans
    assert blocks, "no blocks"
    if surface == "message":
        assert len(blocks) <= MAX_BLOCKS
        assert render.blocks_text_bytes(blocks) <= MESSAGE_BLOCKS_TEXT
    else:
        assert len(blocks) <= MODAL_BLOCKS
        assert render.blocks_text_bytes(blocks) <= MODAL_TEXT
    for n, block in enumerate(blocks):
        where = f"block {n} ({block.get('type')})"
        assert block["type"] in _BLOCK_TYPES, where
        if block["type"] == "section":
            _check_text(block["text"], SECTION_TEXT, where)
        elif block["type"] == "header":
            _check_text(block["text"], HEADER_TEXT, where, plain=True)
        elif block["type"] == "context":
            assert 0 < len(block["elements"]) <= CONTEXT_ELEMENTS, where
            for element in block["elements"]:
                _check_text(element, SECTION_TEXT, where)
        elif block["type"] == "actions":
            assert 0 < len(block["elements"]) <= 25, where
            for element in block["elements"]:
                _check_button(element, where)


def check_view(view: dict[str, Any]) -> None:
    assert view["type"] in ("modal", "home")
    if view["type"] == "modal":
        _check_text(view["title"], VIEW_TITLE, "title", plain=True)
        assert len(view["title"]["text"]) <= VIEW_TITLE
        _check_text(view["close"], VIEW_TITLE, "close", plain=True)
    check_blocks(view["blocks"], surface=view["type"])


def texts(blocks: list[dict[str, Any]]) -> str:
    """All text of the blocks, in order, one string: for content assertions."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return "\n".join(found)


# --- Escaping --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("<!channel>", "&lt;!channel&gt;"),
        ("<!here|here>", "&lt;!here|here&gt;"),
        ("<@U123>", "&lt;@U123&gt;"),
        ("<#C123|general>", "&lt;#C123|general&gt;"),
        ("<https://evil.example|click>", "&lt;https://evil.example|click&gt;"),
        ("R&D", "R&amp;D"),
        ("a < b > c", "a &lt; b &gt; c"),
        ("@here now", "@\u200dhere now"),
        ("ping @Channel and @EVERYONE", "ping @\u200dChannel and @\u200dEVERYONE"),
        ("mail me@example.com", "mail me@example.com"),
        ("销售额 & 利润", "销售额 &amp; 利润"),
    ],
)
def test_escape(raw: str, escaped: str) -> None:
    assert escape(raw) == escaped
    _check_inert(escape(raw), raw)


def test_escape_is_applied_once() -> None:
    # Pinned: escaping twice shows the entity itself, so callers escape exactly once.
    assert escape(escape("&")) == "&amp;amp;"


def test_mention_only_for_user_ids() -> None:
    assert render.mention("U123ABC") == "<@U123ABC>"
    assert render.mention("W0ENTERPRISE") == "<@W0ENTERPRISE>"
    for forged in ("U123\n", "U1><!channel", "u123", "C123", "", "U12 3", "<!here>"):
        assert "<" not in render.mention(forged), forged


def test_fallback_text_is_escaped_and_bounded() -> None:
    text = render.fallback_text("<!channel> " + "&" * 5000)
    assert text.startswith("&lt;!channel&gt;")
    assert _size(text) <= 500
    _check_inert(text, "fallback")


# --- split_utf8 ------------------------------------------------------------------------

FAMILY = "👨\u200d👩\u200d👧\u200d👦"  # one glyph, 25 bytes
SAMPLES = {
    "ascii": "The quick brown fox jumps over the lazy dog.\nLine two here.\n\n" * 40 + "x" * 300,
    "chinese": "北京的销售额在三月达到峰值，比二月高出百分之十二。上海紧随其后！\n" * 30
    + "没有任何标点的长句子" * 40,
    "emoji": ("Sales 📈 up 👍🏽 in 🇨🇳 and 🇺🇸 " + FAMILY + " é\u0301 done.\n") * 40,
    "entities": escape("a&b<c>d & <!channel> @here R&D ") * 60,
    "mixed": escape("北京 & 上海 <@U1> 📈 🇯🇵\tcol\n") * 50 + escape("&" * 200),
}


def _entity_spans(text: str) -> set[int]:
    """Offsets strictly inside an entity: a cut there would break it."""
    inside: set[int] = set()
    for match in re.finditer(r"&(?:amp|lt|gt);", text):
        inside.update(range(match.start() + 1, match.end()))
    return inside


def _cuts(chunks: list[str]) -> list[int]:
    offsets, at = [], 0
    for chunk in chunks[:-1]:
        at += len(chunk)
        offsets.append(at)
    return offsets


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_split_utf8_properties(name: str) -> None:
    text = SAMPLES[name]
    inside = _entity_spans(text)
    for max_bytes in [*range(5, 90), 97, 128, 255, 1000, 2999, 3000, 4096]:
        chunks = split_utf8(text, max_bytes)
        assert "".join(chunks) == text, max_bytes  # lossless, cut whitespace included
        assert all(0 < _size(c) <= max_bytes for c in chunks), max_bytes
        for cut in _cuts(chunks):
            assert cut not in inside, (max_bytes, text[cut - 5 : cut + 5])
            before, after = text[cut - 1], text[cut]
            # Never between a character and what joins or marks it, when the whole
            # cluster fits (the family emoji is 25 bytes).
            if max_bytes >= 25:
                assert before != "\u200d" and after != "\u200d", max_bytes
                assert not unicodedata.combining(after), max_bytes
                assert not 0x1F3FB <= ord(after) <= 0x1F3FF, max_bytes
                flags = [0x1F1E6 <= ord(c) <= 0x1F1FF for c in (before, after)]
                if all(flags):  # two regional letters: only between two flags
                    run = re.search(r"[\U0001F1E6-\U0001F1FF]+$", text[:cut])
                    assert run is not None and len(run.group()) % 2 == 0, max_bytes


def test_split_utf8_fills_chunks_to_at_least_half() -> None:
    for name in ("ascii", "chinese", "entities"):
        text = SAMPLES[name]
        for max_bytes in range(16, 400, 7):
            chunks = split_utf8(text, max_bytes)
            assert all(_size(c) * 2 >= max_bytes - 10 for c in chunks[:-1]), (name, max_bytes)


def test_split_utf8_prefers_newlines_then_spaces() -> None:
    text = "first line is here\nsecond line follows\nthird"
    assert split_utf8(text, 30) == ["first line is here\n", "second line follows\nthird"]
    assert split_utf8(text, 22) == ["first line is here\n", "second line follows\n", "third"]
    assert split_utf8("alpha beta gamma delta", 12) == ["alpha beta ", "gamma delta"]
    # No whitespace: a hard cut at a whole character (3 bytes each here).
    assert split_utf8("一二三四五六七", 10) == ["一二三", "四五六", "七"]
    # Chinese sentence punctuation is the next best place.
    assert split_utf8("一二。三四五六", 15) == ["一二。", "三四五六"]


def test_split_utf8_edges() -> None:
    assert split_utf8("", 10) == []
    assert split_utf8("short", 10) == ["short"]
    assert split_utf8("&amp;&amp;", 5) == ["&amp;", "&amp;"]
    with pytest.raises(ValueError):
        split_utf8("abc", 4)
    # A character under more combining marks than fit falls back to code points.
    zalgo = "a" + "\u0301" * 40
    chunks = split_utf8(zalgo, 10)
    assert "".join(chunks) == zalgo and all(_size(c) <= 10 for c in chunks)


# --- Progress --------------------------------------------------------------------------


@pytest.mark.parametrize("steps", [0, 5, 200])
def test_progress_blocks_within_limits(steps: int) -> None:
    checklist = [f"Step {i}: aggregate 销售额 by 城市 <@U1> & more " * 3 for i in range(steps)]
    logs = [f"row {i}: " + "值<!here>`" * 80 for i in range(100)]
    for running in (None, 1, steps // 2 or None, steps or None):
        done = set(range(1, running or 1))
        blocks = render.progress_blocks(checklist, done, running, None, logs, note="<!channel>")
        check_blocks(blocks)
    blocks = render.progress_blocks(checklist, set(), None, steps or None, [])
    check_blocks(blocks)


def test_progress_checklist_marks() -> None:
    blocks = render.progress_blocks(
        ["load", "filter <rows>", "aggregate", "chart"], {1}, 2, None, ["loading", "done"]
    )
    check_blocks(blocks)
    assert blocks[0]["text"]["text"] == "⏳ *Working: step 2 of 4…*"
    assert blocks[1]["text"]["text"] == (
        "✅ 1. load\n⏳ 2. filter &lt;rows&gt;\n⬜ 3. aggregate\n⬜ 4. chart"
    )
    assert blocks[2]["text"]["text"] == "```\nloading\ndone\n```"
    failed = render.progress_blocks(["a", "b"], {1}, None, 2, [])
    assert failed[0]["text"]["text"].startswith("❌ *Failed at step 2 of 2")
    assert "❌ 2. b" in failed[1]["text"]["text"]
    finished = render.progress_blocks(["a", "b"], {1, 2}, None, None, [])
    assert finished[0]["text"]["text"].startswith("✅ *Done")


def test_progress_long_checklist_collapses_around_the_running_step() -> None:
    checklist = [f"step {i}" for i in range(1, 201)]
    blocks = render.progress_blocks(checklist, set(range(1, 100)), 100, None, [])
    check_blocks(blocks)
    text = blocks[1]["text"]["text"]
    assert "⏳ 100. step 100" in text
    assert "… steps 1–96: 96 ✅" in text
    assert text.splitlines()[-1].startswith("… steps ") and "⬜" in text.splitlines()[-1]
    assert len(text.splitlines()) <= 15


def test_progress_queued_and_log_tail() -> None:
    blocks = render.progress_blocks([], set(), None, None, [], queued_position=3)
    check_blocks(blocks)
    assert "Queued: position 3" in blocks[0]["text"]["text"]
    logs = [f"line {i}" for i in range(40)] + ["```", "x" * 1000]
    tail = render.progress_blocks(["a"], set(), 1, None, logs)[-1]["text"]["text"]
    lines = tail.split("\n")
    assert lines[0] == "```" and lines[-1] == "```"
    assert len(lines) - 2 == render.LOG_LINES
    assert lines[1] == "line 27"
    assert "```" not in "\n".join(lines[1:-1])  # a logged fence cannot close the block
    assert all(_size(x) <= 200 for x in lines)


# --- Dataset ---------------------------------------------------------------------------


def _dataset(masked: list[MaskedColumn]) -> Dataset:
    columns = [ColumnProfile(name=f"c{i}", kind="text", dtype="object", nulls=0) for i in range(4)]
    return Dataset(
        id="abc",
        name="订单 <!channel>.csv",
        source_path="/x",
        cache_path="/x.parquet",
        size_bytes=10,
        format="csv",
        encoding="utf-8",
        profile=DatasetProfile(rows=12345, columns=columns),
        masked=masked,
    )


def test_dataset_blocks() -> None:
    plain = render.dataset_blocks(_dataset([]))
    check_blocks(plain)
    assert plain[0]["text"]["text"] == (
        "📄 *订单 &lt;!channel&gt;.csv*: 12,345 rows × 4 columns (csv, utf-8)"
    )
    masked = [
        MaskedColumn(
            column="phone",
            pii_type="phone",
            values_masked=1200,
            distinct_values=800,
            derived=["phone_area"],
        ),
        MaskedColumn(
            column="notes", pii_type=None, free_text=True, values_masked=30, distinct_values=25
        ),
    ]
    blocks = render.dataset_blocks(_dataset(masked))
    check_blocks(blocks)
    body = texts(blocks)
    assert "phone*: phone, 1,200 values, 800 distinct; added phone_area" in body
    assert "notes*: PII in free text, 30 values inside 25 rows of text" in body
    assert "THREADLAB_PII_RESTORE=never" in body and "THREADLAB_PII_TOKENISE=false" in body


def test_dataset_blocks_many_masked_columns() -> None:
    masked = [
        MaskedColumn(
            column="列" * 60 + str(i), pii_type="email", values_masked=i, distinct_values=i
        )
        for i in range(300)
    ]
    blocks = render.dataset_blocks(_dataset(masked))
    check_blocks(blocks)
    assert "more columns" in texts(blocks)


# --- Tables ----------------------------------------------------------------------------


def _columns_start(line: str, marker: str) -> int:
    """Display column where `marker` starts in a line."""
    return render.display_width(line[: line.index(marker)])


def test_table_text_aligns_cjk() -> None:
    table = TablePreview(
        name="by_city",
        title="Sales by city",
        columns=["城市", "sales", "备注"],
        rows=[["北京", 1200.5, "首都"], ["Springfield", 3, "x"], ["東京都", 12345678.9, None]],
        total_rows=3,
    )
    text = render.table_text(table, 10)
    lines = text.split("\n")
    assert lines[0] == "```" and lines[-1] == "```"
    body = lines[1:-1]
    assert len(body) == 5
    # The right edge of the numeric column lines up in display columns.
    numbers = ["sales", "-" * 13, "1,200.50", "3", "12,345,678.90"]
    ends = [
        _columns_start(x, n) + render.display_width(n) for x, n in zip(body, numbers, strict=True)
    ]
    assert len(set(ends)) == 1, body
    # The text column after it starts at the same display column on every line.
    starts = {_columns_start(body[0], "备注"), _columns_start(body[2], "首都")}
    starts.add(_columns_start(body[3], " x") + 1)
    assert len(starts) == 1, body
    assert "first" not in text  # nothing left out


def test_table_text_truncation_note() -> None:
    rows = [[i, f"name {i}"] for i in range(50)]
    with_csv = TablePreview("t", "T", ["n", "name"], rows, 1000, Path("t.csv"))
    assert render.table_text(with_csv, 10).endswith(
        "(first 10 of 1,000 rows; the whole table attached)"
    )
    # A DuckDB result saves only its first rows: the note must not claim the whole table.
    partial = TablePreview("t", "T", ["n", "name"], rows, 1000, Path("t.csv"), saved_rows=500)
    assert render.table_text(partial, 10).endswith(
        "(first 10 of 1,000 rows; its first 500 rows attached)"
    )
    without = TablePreview("t", "T", ["n", "name"], rows, 1000)
    assert render.table_text(without, 10).endswith("(first 10 of 1,000 rows)")
    empty = TablePreview("t", "T", ["n"], [], 0)
    assert "(no rows)" in render.table_text(empty, 10)


def test_table_text_always_within_a_section() -> None:
    wide = [f"列名{i}" * 5 for i in range(40)]
    rows = [[("值&<>`" * 20) if j % 2 else 1.5e-5 for j in range(40)] for _ in range(500)]
    table = TablePreview("t", "T", wide, rows, 100000, Path("t.csv"))
    for max_rows in (0, 1, 5, 20, 500):
        text = render.table_text(table, max_rows)
        assert _size(text) <= SECTION_TEXT
        check_blocks([{"type": "section", "text": {"type": "mrkdwn", "text": text}}])
        assert "columns" in text.rsplit("\n", 1)[-1]  # says columns were left out


# --- The answer ------------------------------------------------------------------------


def _plan(notes: list[str]) -> Plan:
    return Plan(
        question="q",
        language="zh",
        dataset="d.csv",
        summary="s",
        steps=[LoadStep()],
        notes=notes,
    )


def _outcome(**fields: Any) -> Outcome:
    base: dict[str, Any] = {
        "status": "ok",
        "run_id": "run123",
        "question": "q",
        "code": "df = load()\n",
        "timings": {"ingest": 0.05, "plan": 0.4, "run": 1.25, "total": 1.8, "llm": 0.3},
    }
    return Outcome(**{**base, **fields})


def test_answer_blocks_long_chinese_answer_within_limits() -> None:
    answer = ("北京的销售额在三月达到峰值，比二月高出百分之十二。" * 2400)[:60_000]
    table = TablePreview(
        "t", "按城市", ["城市", "销售额"], [["北京", 1.0]] * 20, 300, Path("t.csv")
    )
    outcome = _outcome(
        answer=answer,
        tables=[table] * 7,
        plan=_plan(["假设 <!channel> 为全部"] * 30),
        llm={"calls": 3, "prompt_tokens": 12345, "completion_tokens": 678},
    )
    blocks = render.answer_blocks(outcome, run_id="run123")
    check_blocks(blocks)
    body = texts(blocks)
    assert body.startswith("北京的销售额在三月达到峰值")
    assert "more characters are not shown" in body
    assert "2 more tables, attached as CSV" in body
    assert "LLM 3 calls, 12,345 tokens in, 678 out" in body
    sections = [b for b in blocks if b["type"] == "section"]
    assert all(_size(b["text"]["text"]) <= SECTION_TEXT for b in sections)


def test_answer_blocks_long_ascii_answer_and_many_tables() -> None:
    rows = [[f"item {i} & co", i * 1.5] for i in range(40)]
    tables = [TablePreview(f"t{n}", f"Table {n}", ["item", "value"], rows, 40) for n in range(3)]
    outcome = _outcome(answer="word <@U1> & stuff " * 4000, tables=tables)
    blocks = render.answer_blocks(outcome, run_id="run123")
    check_blocks(blocks)
    assert texts(blocks).count("*Table ") == 3


def test_answer_blocks_short_answer_shape() -> None:
    table = TablePreview("top", "Top cities", ["city", "n"], [["Paris", 3]], 1)
    outcome = _outcome(
        answer="Paris leads with 3 orders. <!here>",
        tables=[table],
        plan=_plan(["orders counted per row"]),
    )
    blocks = render.answer_blocks(outcome, show_code_action_id="code_btn", run_id="run123")
    check_blocks(blocks)
    assert [b["type"] for b in blocks] == ["section", "section", "context", "context", "actions"]
    assert blocks[0]["text"]["text"] == "Paris leads with 3 orders. &lt;!here&gt;"
    assert blocks[1]["text"]["text"].startswith("*Top cities*\n```\ncity")
    assert blocks[2]["elements"][0]["text"] == "📝 orders counted per row"
    timing = blocks[3]["elements"][0]["text"]
    assert timing.startswith("⏱ ingest 0.05 s · plan 0.40 s · run 1.25 s · llm 0.30 s")
    assert "total 1.80 s · run run123" in timing and "LLM" not in timing
    button = blocks[4]["elements"][0]
    assert button["action_id"] == "code_btn" and button["value"] == "run123"
    assert button["text"]["text"] == "Show code"


@pytest.mark.parametrize("status", ["error", "blocked", "needs_approval"])
def test_answer_blocks_show_the_message_when_not_ok(status: str) -> None:
    outcome = _outcome(status=status, message="line 3: os.system <!channel>", answer="")
    blocks = render.answer_blocks(outcome, run_id="run123")
    check_blocks(blocks)
    first = blocks[0]["text"]["text"]
    assert first.endswith("line 3: os.system &lt;!channel&gt;")
    assert first.startswith(("❌", "⛔", "🔒"))


def test_answer_blocks_without_code_have_no_button() -> None:
    blocks = render.answer_blocks(_outcome(answer="hi", code=""), run_id="r")
    check_blocks(blocks)
    assert all(b["type"] != "actions" for b in blocks)


def test_answer_blocks_refuse_an_oversized_button_value() -> None:
    with pytest.raises(ValueError):
        render.answer_blocks(_outcome(answer="hi"), run_id="r" * (ACTION_VALUE + 1))


# --- Approval --------------------------------------------------------------------------


def test_approval_blocks_shape() -> None:
    findings = [{"line": 3, "rule": "subprocess", "reason": "runs a <shell> & more"}]
    blocks = render.approval_blocks(findings, "run123", "U0REQ")
    check_blocks(blocks)
    assert "Requested by <@U0REQ>" in blocks[0]["text"]["text"]
    assert blocks[1]["text"]["text"] == "• line 3: runs a &lt;shell&gt; &amp; more [subprocess]"
    approve, reject = blocks[-1]["elements"]
    assert (approve["action_id"], approve["style"], approve["value"]) == (
        "approve_run",
        "primary",
        "run123",
    )
    assert (reject["action_id"], reject["style"], reject["value"]) == (
        "reject_run",
        "danger",
        "run123",
    )
    confirm = reject["confirm"]
    assert confirm["confirm"]["text"] == "Reject" and confirm["deny"]["text"] == "Cancel"
    assert confirm["title"]["text"] and confirm["text"]["text"]
    assert "confirm" not in approve


def test_approval_blocks_many_findings_and_a_forged_requester() -> None:
    findings = [{"line": i, "rule": "r" * 40, "reason": "原因 " * 100} for i in range(500)]
    blocks = render.approval_blocks(findings, "run123", "<!channel>")
    check_blocks(blocks)
    assert "more findings" in texts(blocks)
    assert "&lt;!channel&gt;" in blocks[0]["text"]["text"]


@pytest.mark.parametrize(
    ("decision", "start"), [("approved", "✅ *Approved* by "), ("rejected", "❌ *Rejected* by ")]
)
def test_decision_blocks(decision: str, start: str) -> None:
    blocks = render.decision_blocks("run123", decision, "U0APPROVER")
    check_blocks(blocks)
    assert blocks[0]["text"]["text"].startswith(start + "<@U0APPROVER>")
    forged = render.decision_blocks("run123", decision, "U1>\n<!channel")
    check_blocks(forged)
    assert "<@" not in texts(forged)


def test_decision_blocks_keep_findings() -> None:
    findings = [{"line": 1, "rule": "x", "reason": "y"}]
    blocks = render.decision_blocks("r", "rejected", "U1", findings=findings)
    check_blocks(blocks)
    assert "• line 1: y [x]" in texts(blocks)


# --- Views -----------------------------------------------------------------------------


def test_code_modal_short_program_is_complete() -> None:
    code = "import pandas as pd\nif a < b and c & d:\n    print('```')\n"
    view = render.code_modal(code, title="The code of run <x> that is long")
    check_view(view)
    assert view["close"]["text"] == "Close"
    assert len(view["blocks"]) == 1
    shown = view["blocks"][0]["text"]["text"]
    assert shown.startswith("```\nimport pandas as pd\nif a &lt; b and c &amp; d:")
    assert shown.count("```") == 2  # the program's own fence was broken up


def test_code_modal_huge_program_within_limits() -> None:
    code = "".join(f"result_{i} = df['销售额'] * {i}  # <@U1> & co\n" for i in range(3000))
    assert len(code) > 100_000
    view = render.code_modal(code)
    check_view(view)
    assert view["title"]["text"] == "Code"
    assert "are not shown here" in view["blocks"][-1]["elements"][0]["text"]
    # What is shown is the program's start, in order, without loss.
    shown = "\n".join(b["text"]["text"][4:-4] for b in view["blocks"] if b["type"] == "section")
    assert escape(code).startswith(shown)


def test_code_modal_empty() -> None:
    view = render.code_modal("")
    check_view(view)


def test_home_view() -> None:
    runs: list[dict[str, Any]] = [
        {
            "id": "r1",
            "question": "Top <!channel> cities?",
            "status": "ok",
            "created_at": "2024-05-01T12:00:00+00:00",
        },
        {"id": "r2", "question": "销售额趋势", "status": "error", "created_at": "not a date"},
        {"id": "r3", "question": "", "status": "running", "created_at": None},
    ]
    view = render.home_view(runs)
    check_view(view)
    body = texts(view["blocks"])
    assert "*Top &lt;!channel&gt; cities?*\n✅ ok · <!date^1714564800^" in body
    assert "|2024-05-01 12:00 UTC>" in body
    assert "❌ error · not a date" in body
    check_view(render.home_view([]))
    many = [{"question": "问题 " * 200, "status": "ok", "created_at": "2024-05-01T12:00:00"}] * 150
    check_view(render.home_view(many))


def test_help_text() -> None:
    text = render.help_text()
    assert _size(text) <= SECTION_TEXT
    for command in ("help", "datasets", "history", "forget"):
        assert f"`/threadlab {command}`" in text
    check_blocks([{"type": "section", "text": {"type": "mrkdwn", "text": text}}])


def test_limits_are_slacks() -> None:
    # Slack's documented values; the cumulative one is ours and must stay under the
    # ~12,000 characters at which chat.postMessage answers msg_blocks_too_long.
    assert (MAX_BLOCKS, SECTION_TEXT, HEADER_TEXT, CONTEXT_ELEMENTS) == (50, 3000, 150, 10)
    assert (BUTTON_TEXT, ACTION_VALUE, render.MESSAGE_TEXT, MODAL_BLOCKS) == (75, 2000, 40000, 100)
    assert MESSAGE_BLOCKS_TEXT <= 12_000


def test_answer_blocks_keep_the_block_count_without_the_byte_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Were the cumulative budget lifted, a 60,000-character answer would need 60 sections.
    monkeypatch.setattr(render, "MESSAGE_BLOCKS_TEXT", 10**7)
    outcome = _outcome(answer="数据" * 30_000, tables=[], plan=_plan(["n"]))
    blocks = render.answer_blocks(outcome, run_id="run123")
    assert len(blocks) <= MAX_BLOCKS
    assert all(_size(b["text"]["text"]) <= SECTION_TEXT for b in blocks if b["type"] == "section")
    assert "more characters are not shown" in texts(blocks)
