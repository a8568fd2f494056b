"""Block Kit JSON for ThreadLab's Slack replies: pure functions from domain objects to dicts.

Nothing here talks to Slack. Every string that comes from a user, a file, the sandbox or
an LLM passes `escape` before it lands in a text object, so no output can form a
broadcast (`<!channel>`), a mention or a link; the only `<…>` tokens this module writes
itself are a decider's mention (checked against Slack's user-id shape) and date tokens.

Sizes are counted in UTF-8 bytes. Slack counts characters, so bytes are the safe side:
a Chinese character is one character but three bytes.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from bot.models import Dataset, MaskedColumn
from bot.reply import Outcome, TablePreview

Block = dict[str, Any]

# Slack's documented Block Kit limits (https://docs.slack.dev/reference/block-kit/).
MAX_BLOCKS = 50  # blocks in one message
SECTION_TEXT = 3000  # a section's text object
HEADER_TEXT = 150  # a header block's plain text
CONTEXT_ELEMENTS = 10  # elements in one context block
BUTTON_TEXT = 75  # a button's label
ACTION_VALUE = 2000  # a button's value
MESSAGE_TEXT = 40000  # a message's top-level `text`
MODAL_BLOCKS = 100  # blocks in a modal or Home tab
VIEW_TITLE = 24  # a modal's title and close label
ACTION_ID = 255  # an interactive element's action_id
CONFIRM_TITLE = 100  # confirm dialog: title
CONFIRM_TEXT = 300  # confirm dialog: text
CONFIRM_BUTTON = 30  # confirm dialog: the confirm and deny labels

# Not documented, but real: chat.postMessage answers `msg_blocks_too_long` once the text
# of all blocks together passes roughly 12,000 characters, even when every block is
# within its own limit (slackapi/bolt-js#2509; #2867 reports a rejection at 11,341).
# Fifty full sections would be 150,000, so messages are held to this, in bytes.
MESSAGE_BLOCKS_TEXT = 10_000
# Views document no cumulative limit either, and large ones are reported to fail
# without an error (slackapi/deno-slack-sdk#324). The code modal is the only large view;
# the whole program is also uploaded as a snippet, so the modal may stop short.
MODAL_TEXT = 30_000

LOG_LINES = 15  # the progress message's live tail
_LOG_LINE_BYTES = 190  # 15 of them plus the fence stay under SECTION_TEXT
_CHECKLIST_LINES = 13  # steps shown around the current one before collapsing
_TITLE_BYTES = 200
_CELL_WIDTH = 30  # display columns of one table cell
_TABLE_WIDTH = 120  # display columns of a table line; wider tables drop columns
_MAX_TABLES = 5  # table previews in one answer; the rest are only attached
_HOME_RUNS = 20

_ELLIPSIS = "…"
_ZWJ = "\u200d"
_ZWSP = "\u200b"

# --- Escaping -----------------------------------------------------------------------

_BROADCAST = re.compile(r"@(?=(?:channel|here|everyone))", re.IGNORECASE)
_USER_ID = re.compile(r"[UW][A-Z0-9]+")
_BACKTICK_RUN = re.compile(r"`(?=`)")


def escape(text: str) -> str:
    """Text made inert for Slack: `&`, `<`, `>` become entities, so nothing can form
    `<!channel>`, `<@U…>`, `<#C…>` or a link, and a bare `@channel`/`@here`/`@everyone`
    gets a zero-width joiner after the `@`, since Slack parses those in some contexts
    (a message posted with `link_names`).

    Apply it once: it is not idempotent (`&amp;` becomes `&amp;amp;`).
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub("@" + _ZWJ, text)


def mention(user: str) -> str:
    """A real `<@U…>` mention when `user` has the shape of a Slack user id, else the
    escaped text (so a forged id such as `U1><!channel` stays text)."""
    return f"<@{user}>" if _USER_ID.fullmatch(user) else escape(user)


def _defence(escaped: str) -> str:
    """Breaks runs of backticks with a zero-width space, so a value holding ``` cannot
    close the code block it is shown in (the space has no width: alignment holds)."""
    return _BACKTICK_RUN.sub("`" + _ZWSP, escaped)


def fallback_text(text: str, max_bytes: int = 500) -> str:
    """The top-level `text` of a message (notifications, screen readers): escaped and
    clipped at a whole character and entity, never beyond MESSAGE_TEXT."""
    return _clip(escape(text), min(max_bytes, MESSAGE_TEXT))


# --- Splitting by bytes ---------------------------------------------------------------

_ENTITY = re.compile(r"&(?:amp|lt|gt);")
_UNIT = re.compile(r"&(?:amp|lt|gt);|.", re.DOTALL)
_SENTENCE_END = frozenset("。！？；，、")


def _extends(char: str) -> bool:
    """Whether a code point belongs to the character before it on screen."""
    code = ord(char)
    return (
        unicodedata.combining(char) != 0
        or char == _ZWJ
        or 0xFE00 <= code <= 0xFE0F  # variation selectors (emoji presentation)
        or 0x1F3FB <= code <= 0x1F3FF  # skin tones
        or 0xE0020 <= code <= 0xE007F  # tag characters (subdivision flags)
        or 0xE0100 <= code <= 0xE01EF
    )


def _regional(unit: str) -> bool:
    return len(unit) == 1 and 0x1F1E6 <= ord(unit) <= 0x1F1FF


def _clusters(text: str, max_bytes: int) -> list[str]:
    """Pieces that must not be cut: an entity, or a character with its combining marks,
    emoji modifiers and ZWJ sequence, or a flag's two letters. A piece longer than
    max_bytes (a character under a pile of combining marks) falls back to its units."""
    clusters: list[str] = []
    for unit in _UNIT.findall(text):
        if clusters and (
            (len(unit) == 1 and _extends(unit))
            or clusters[-1].endswith(_ZWJ)
            or (clusters[-1] == "\r" and unit == "\n")
            or (_regional(unit) and _regional(clusters[-1]))
        ):
            clusters[-1] += unit
        else:
            clusters.append(unit)
    pieces: list[str] = []
    for cluster in clusters:
        if len(cluster) > 1 and len(cluster.encode()) > max_bytes:
            pieces.extend(_UNIT.findall(cluster))
        else:
            pieces.append(cluster)
    return pieces


def _cut_kind(cluster: str) -> int:
    """How good a place right after this piece is to cut: 0 best, 3 no better than any."""
    if cluster.endswith("\n"):
        return 0
    if cluster in (" ", "\t", "\u3000"):
        return 1
    if cluster in _SENTENCE_END:
        return 2
    return 3


def split_utf8(text: str, max_bytes: int) -> list[str]:
    """Splits text into chunks whose UTF-8 encoding is at most max_bytes each.

    The split is lossless: `"".join(chunks) == text`. A cut keeps its newline or space at
    the end of the earlier chunk; callers that show chunks as separate blocks strip it.

    Where a chunk ends: after the last newline in the second half of the room, else after
    the last space there, else after Chinese sentence punctuation there, else after the
    last piece that fits. Only the second half is searched so that every chunk but the
    last holds at least half the room (a newline near the start would waste a block).
    A cut never falls inside a character, an escape entity (`&amp;`, `&lt;`, `&gt;`),
    an emoji sequence or a character and its combining marks (unless such a cluster alone
    is longer than max_bytes). Empty text gives no chunks.
    """
    if max_bytes < 5:  # the longest unit that can never be cut, `&amp;`, is five bytes
        raise ValueError(f"max_bytes must be at least 5, not {max_bytes}")
    if len(text.encode()) <= max_bytes:
        return [text] if text else []
    pieces = _clusters(text, max_bytes)
    sizes = [len(p.encode()) for p in pieces]
    kinds = [_cut_kind(p) for p in pieces]
    chunks: list[str] = []
    start, count = 0, len(pieces)
    while start < count:
        end, used = start, 0
        while end < count and used + sizes[end] <= max_bytes:
            used += sizes[end]
            end += 1
        if end < count:
            end = _best_cut(start, end, sizes, kinds, used, max_bytes)
        chunks.append("".join(pieces[start:end]))
        start = end
    return chunks


def _best_cut(
    start: int, end: int, sizes: list[int], kinds: list[int], used: int, max_bytes: int
) -> int:
    """The index to cut before: the best kind of cut in the second half of [start, end)."""
    best: list[int | None] = [None, None, None]
    size = used
    for index in range(end - 1, start - 1, -1):
        if size * 2 < max_bytes:
            break
        kind = kinds[index]
        if kind < 3 and best[kind] is None:
            best[kind] = index + 1
            if kind == 0:
                break
        size -= sizes[index]
    return next((cut for cut in best if cut is not None), end)


def _clip(escaped: str, max_bytes: int, marker: str = _ELLIPSIS) -> str:
    """Escaped text cut to max_bytes (marker included) at a whole piece."""
    if len(escaped.encode()) <= max_bytes:
        return escaped
    room = max_bytes - len(marker.encode())
    if room < 5:
        return marker if len(marker.encode()) <= max_bytes else ""
    # Characters are at least one byte, so this prefix always overflows the room; the
    # margin keeps a cluster or entity cut at its end out of reach of the first chunk.
    head = split_utf8(escaped[: max_bytes + 64], room)[0]
    return head.rstrip() + marker


def _bytes(text: str) -> int:
    return len(text.encode())


def _fit_lines(lines: Sequence[str], max_bytes: int, more: Callable[[int], str]) -> str:
    """Lines joined by newlines, dropping lines from the end (and saying how many with
    `more(n)`) until the text fits in max_bytes."""
    text = "\n".join(lines)
    if _bytes(text) <= max_bytes:
        return text
    used, fits = 0, 0  # bytes of lines[:fits], each with its newline
    for line in lines:
        if used + _bytes(line) + 1 + _bytes(more(len(lines) - fits - 1)) > max_bytes:
            break
        used += _bytes(line) + 1
        fits += 1
    if not fits:
        return _clip(more(len(lines)), max_bytes)
    return "\n".join([*lines[:fits], more(len(lines) - fits)])


# --- Block builders --------------------------------------------------------------------


def _mrkdwn(text: str) -> dict[str, Any]:
    # verbatim: Slack then does not auto-link URLs or turn bare names into mentions,
    # a second guard for data behind `escape`.
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _section(text: str) -> Block:
    return {"type": "section", "text": _mrkdwn(text)}


def _context(*texts: str) -> Block:
    return {"type": "context", "elements": [_mrkdwn(t) for t in texts[:CONTEXT_ELEMENTS]]}


def _header(text: str) -> Block:
    return {"type": "header", "text": _plain(_clip(text, HEADER_TEXT))}


def _button(
    label: str, action_id: str, value: str, style: str | None = None, **extra: Any
) -> dict[str, Any]:
    if len(action_id) > ACTION_ID:
        raise ValueError(f"action_id longer than {ACTION_ID} characters")
    if len(value) > ACTION_VALUE:
        raise ValueError(f"button value longer than {ACTION_VALUE} characters")
    button: dict[str, Any] = {
        "type": "button",
        "text": _plain(_clip(label, BUTTON_TEXT)),
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    button.update(extra)
    return button


def _sections(escaped: str, max_bytes: int = SECTION_TEXT) -> list[Block]:
    """Sections of at most max_bytes each; whitespace at the cuts is dropped, since a
    section whose text is only whitespace is invalid."""
    return [_section(c.strip("\n")) for c in split_utf8(escaped, max_bytes) if c.strip()]


def blocks_text_bytes(blocks: Iterable[Mapping[str, Any]]) -> int:
    """UTF-8 bytes of every `text` string inside the blocks: what Slack's cumulative
    message limit (MESSAGE_BLOCKS_TEXT) is measured against here."""
    total = 0

    def walk(node: Any) -> None:
        nonlocal total
        if isinstance(node, Mapping):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    total += _bytes(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(list(blocks))
    return total


# --- Progress --------------------------------------------------------------------------


def progress_blocks(
    checklist: list[str],
    done: set[int],
    running: int | None,
    failed: int | None,
    log_tail: list[str],
    *,
    queued_position: int | None = None,
    note: str = "",
) -> list[Block]:
    """The one progress message: a status line, the plan as a checklist (indexes are
    1-based, as in step events) and the last LOG_LINES lines of the log as code.

    A long checklist collapses to the steps around the running (or failed, or first
    pending) one with a count line before and after, so any length fits one section.
    """
    total = len(checklist)
    blocks = [_section(_status_line(total, done, running, failed, queued_position))]
    if checklist:
        blocks.append(_section(_checklist_text(checklist, done, running, failed)))
    tail = _log_text(log_tail)
    if tail:
        blocks.append(_section(tail))
    if note:
        blocks.append(_context(_clip(escape(note), SECTION_TEXT)))
    return blocks


def _status_line(
    total: int, done: set[int], running: int | None, failed: int | None, queued: int | None
) -> str:
    if queued is not None:
        return f"⏳ *Queued: position {queued}*, waiting for a free worker."
    if failed is not None:
        return f"❌ *Failed at step {failed} of {total}.*"
    if total and all(i in done for i in range(1, total + 1)):
        return f"✅ *Done: {total} of {total} steps.*"
    if running is not None:
        return f"⏳ *Working: step {running} of {total}…*"
    return "⏳ *Working…*"


def _mark(index: int, done: set[int], running: int | None, failed: int | None) -> str:
    if index == failed:
        return "❌"
    if index in done:
        return "✅"
    if index == running:
        return "⏳"
    return "⬜"


def _checklist_text(
    checklist: list[str], done: set[int], running: int | None, failed: int | None
) -> str:
    total = len(checklist)

    def line(index: int) -> str:
        title = _clip(escape(checklist[index - 1]), _TITLE_BYTES)
        return f"{_mark(index, done, running, failed)} {index}. {title}"

    if total <= _CHECKLIST_LINES:
        lines = [line(i) for i in range(1, total + 1)]
    else:
        focus = failed or running or next((i for i in range(1, total + 1) if i not in done), total)
        focus = min(max(focus, 1), total)
        first = max(1, min(focus - 3, total - _CHECKLIST_LINES + 1))
        last = first + _CHECKLIST_LINES - 1
        lines = []
        if first > 1:
            lines.append(_collapsed(1, first - 1, done, running, failed))
        lines.extend(line(i) for i in range(first, last + 1))
        if last < total:
            lines.append(_collapsed(last + 1, total, done, running, failed))
    return _fit_lines(lines, SECTION_TEXT, lambda n: f"… {n} more steps")


def _collapsed(
    first: int, last: int, done: set[int], running: int | None, failed: int | None
) -> str:
    """One line standing for steps first..last: how many of each mark."""
    counts: dict[str, int] = {}
    for index in range(first, last + 1):
        mark = _mark(index, done, running, failed)
        counts[mark] = counts.get(mark, 0) + 1
    tally = ", ".join(f"{n} {mark}" for mark, n in counts.items())
    return f"… steps {first}–{last}: {tally}"


def _log_text(log_tail: list[str]) -> str:
    lines: list[str] = []
    for entry in log_tail[-LOG_LINES:]:
        lines.extend(entry.splitlines() or [""])
    lines = [
        _clip(_defence(escape(x.expandtabs(4).rstrip())), _LOG_LINE_BYTES)
        for x in lines[-LOG_LINES:]
    ]
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        return ""
    while _bytes(_fence("\n".join(lines))) > SECTION_TEXT:
        lines.pop(0)
    return _fence("\n".join(lines))


def _fence(body: str) -> str:
    return f"```\n{body}\n```"


# --- Dataset ---------------------------------------------------------------------------


def dataset_blocks(dataset: Dataset) -> list[Block]:
    """What was read, as the terminal says it: size, format and the masked columns."""
    profile = dataset.profile
    detail = dataset.format + (f", {dataset.encoding}" if dataset.encoding else "")
    name = _clip(escape(dataset.name), _TITLE_BYTES)
    blocks = [
        _section(
            f"📄 *{name}*: {profile.rows:,} rows × {len(profile.columns):,} columns "
            f"({escape(detail)})"
        )
    ]
    if dataset.masked:
        lines = ["🔒 Personal data replaced by tokens before any analysis:"]
        lines.extend(_masked_line(m) for m in dataset.masked)
        blocks.append(
            _section(_fit_lines(lines, SECTION_TEXT, lambda n: f"… and {n} more columns"))
        )
        blocks.append(
            _context(
                "Real values are shown back in this thread only; "
                "`THREADLAB_PII_RESTORE=never` hides them, "
                "`THREADLAB_PII_TOKENISE=false` turns masking off."
            )
        )
    return blocks


def _masked_line(masked: MaskedColumn) -> str:
    if masked.free_text:
        kind = "PII in free text"
        counts = f"{masked.values_masked:,} values inside {masked.distinct_values:,} rows of text"
    else:
        kind = str(masked.pii_type)
        counts = f"{masked.values_masked:,} values, {masked.distinct_values:,} distinct"
    derived = f"; added {', '.join(masked.derived)}" if masked.derived else ""
    line = f"• *{escape(masked.column)}*: {escape(kind)}, {counts}{escape(derived)}"
    return _clip(line, 400)


# --- Tables ----------------------------------------------------------------------------


def display_width(text: str) -> int:
    """Columns text takes in a monospace font: wide and full-width (CJK) characters take
    two, combining marks and format characters (zero-width joiners) none."""
    width = 0
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) in ("Cf", "Mn", "Me"):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def _cell(value: Any) -> str:
    """A value as the terminal shows it, on one line and at most _CELL_WIDTH wide."""
    if value is None:
        text = ""
    elif isinstance(value, float):
        text = f"{value:,.4g}" if abs(value) < 1e-3 and value else f"{value:,.2f}"
    else:
        text = str(value)
    text = " ".join(text.split()) if any(c in text for c in "\r\n\t") else text
    if display_width(text) <= _CELL_WIDTH:
        return text
    out, width = "", 0
    for char in text:
        step = display_width(char)
        if width + step > _CELL_WIDTH - 1:
            break
        out, width = out + char, width + step
    return out + _ELLIPSIS


def _numeric(values: Iterable[Any]) -> bool:
    present = [v for v in values if v is not None]
    return bool(present) and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in present
    )


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * (width - display_width(text))
    return gap + text if right else text + gap


def table_text(table: TablePreview, max_rows: int) -> str:
    """A fixed-width preview of a result table in a ``` block, columns aligned by display
    width, with "(first n of N rows; full table attached)" when rows were left out (the
    "full table attached" only when the table has a CSV). Always within SECTION_TEXT."""
    return _table_text(table, max_rows, SECTION_TEXT) or _table_line(table)


def _table_text(table: TablePreview, max_rows: int, max_bytes: int) -> str | None:
    """The preview within max_bytes, dropping rows from the end as needed; None when not
    even the header fits."""
    if not table.columns:
        return _clip("```\n(no columns)\n```", max_bytes) if max_bytes >= 20 else None
    rows = [list(r) for r in table.rows[: max(max_rows, 0)]]
    header = [_cell(c) for c in table.columns]
    cells = [[_cell(v) for v in r] + [""] * (len(header) - len(r)) for r in rows]
    widths = [
        max([display_width(h)] + [display_width(r[i]) for r in cells]) for i, h in enumerate(header)
    ]
    shown_cols, used = 0, 0
    for width in widths:
        if shown_cols and used + 2 + width > _TABLE_WIDTH:
            break
        used += width + (2 if shown_cols else 0)
        shown_cols += 1
    right = [_numeric(r[i] for r in rows if i < len(r)) for i in range(shown_cols)]

    def render(count: int) -> str:
        body = cells[:count]
        w = [
            max([display_width(header[i])] + [display_width(r[i]) for r in body])
            for i in range(shown_cols)
        ]
        lines = [
            "  ".join(_pad(header[i], w[i], right[i]) for i in range(shown_cols)),
            "  ".join("-" * w[i] for i in range(shown_cols)),
        ]
        lines.extend("  ".join(_pad(r[i], w[i], right[i]) for i in range(shown_cols)) for r in body)
        text = _fence("\n".join(_defence(escape(x.rstrip())) for x in lines))
        notes = []
        if count < table.total_rows:
            notes.append(f"first {count:,} of {table.total_rows:,} rows")
        if shown_cols < len(header):
            notes.append(f"{shown_cols} of {len(header)} columns")
        if not body and not table.total_rows:
            notes.append("no rows")
        if notes:
            attached = (
                f"; {table.csv_label} attached"
                if table.csv_path and count < table.total_rows
                else ""
            )
            text += f"\n({', '.join(notes)}{attached})"
        return text

    count = len(cells)
    text = render(count)
    # Widths only shrink as rows go, so dropping rows never makes the text longer.
    while _bytes(text) > max_bytes and count > 0:
        count = max(0, count - max(1, (count * (_bytes(text) - max_bytes)) // _bytes(text)))
        text = render(count)
    return text if _bytes(text) <= max_bytes else None


def _table_line(table: TablePreview) -> str:
    """A table too big to preview in the room left: its size, and that it is attached."""
    attached = " (attached as CSV)" if table.csv_path else ""
    title = _clip(escape(table.title or table.name), _TITLE_BYTES)
    return f"*{title}*: {table.total_rows:,} rows × {len(table.columns):,} columns{attached}"


# --- The answer ------------------------------------------------------------------------

_LEADS = {
    "error": "❌ *The analysis did not finish.*",
    "blocked": "⛔ *The code was blocked by the code policy and did not run.*",
    "needs_approval": "🔒 *The code needs an approver's OK before it runs.*",
}


def answer_blocks(
    outcome: Outcome, *, show_code_action_id: str = "show_code", run_id: str
) -> list[Block]:
    """The final reply: the answer (or, when the run did not succeed, the message), the
    table previews, the plan's notes, the timings and a "Show code" button.

    The text of all blocks stays within MESSAGE_BLOCKS_TEXT: a longer answer is cut with
    a note saying how much is missing, and tables that do not fit are named, not shown.
    """
    footer = _answer_footer(outcome, show_code_action_id, run_id)
    room = MESSAGE_BLOCKS_TEXT - blocks_text_bytes(footer)
    if outcome.ok:
        body = escape(outcome.answer) if outcome.answer.strip() else "✅ Done."
    else:
        reason = outcome.message or outcome.answer or "Something went wrong."
        body = f"{_LEADS.get(outcome.status, '❌')}\n{escape(reason)}"

    tables = outcome.tables[:_MAX_TABLES]
    natural = [_titled_table(t, SECTION_TEXT) for t in tables]
    extra = len(outcome.tables) - len(tables)
    more = [_context(f"… and {extra} more tables, attached as CSV")] if extra else []
    room -= blocks_text_bytes(more)
    wanted = sum(_bytes(t) for t in natural)
    # The answer gets at least half the room, the tables the rest: with at most
    # _MAX_TABLES of them each keeps enough for its one-line summary at worst.
    answer_room = min(_bytes(body), max(room - wanted, room // 2))
    spare = MAX_BLOCKS - len(footer) - len(more) - len(tables)
    blocks = _bounded_sections(body, answer_room, spare)
    table_room = room - blocks_text_bytes(blocks)
    if wanted > table_room and tables:
        each = table_room // len(tables)
        natural = [_titled_table(t, min(each, SECTION_TEXT)) for t in tables]
    blocks.extend(_section(t) for t in natural)
    return [*blocks, *more, *footer]


def _titled_table(table: TablePreview, max_bytes: int) -> str:
    title = f"*{_clip(escape(table.title or table.name), _TITLE_BYTES)}*\n"
    preview = _table_text(table, len(table.rows), max_bytes - _bytes(title))
    line = _table_line(table)
    return title + preview if preview is not None else line


def _bounded_sections(escaped: str, max_bytes: int, max_blocks: int) -> list[Block]:
    """Sections holding as much of the text as max_bytes and max_blocks allow; when it is
    cut, a context line (within both bounds too) says how many characters are missing."""
    chunks = split_utf8(escaped, SECTION_TEXT)
    if _bytes(escaped) <= max_bytes and len(chunks) <= max_blocks:
        return _sections(escaped)
    note_room = 120
    kept: list[str] = []
    used = 0
    for chunk in chunks:
        room = max_bytes - note_room - used
        if len(kept) >= max_blocks - 1:
            break
        if _bytes(chunk) > room:
            if room > 200:
                kept.append(_clip(chunk, room, ""))
            break
        kept.append(chunk)
        used += _bytes(chunk)
    shown = "".join(kept)
    # Characters as the reader counts them: an entity is one.
    missing = len(_ENTITY.sub("&", escaped[len(shown) :]))
    blocks = _sections(shown)
    note = (
        f"✂️ _The answer is longer than a Slack message: {missing:,} more characters are not shown._"
    )
    blocks.append(_context(note))
    return blocks


def _answer_footer(outcome: Outcome, action_id: str, run_id: str) -> list[Block]:
    blocks: list[Block] = []
    notes = outcome.plan.notes if outcome.plan else []
    if notes:
        lines = [f"📝 {_clip(escape(n), 500)}" for n in notes]
        blocks.append(_context(_fit_lines(lines, 1500, lambda n: f"… and {n} more notes")))
    blocks.append(_context(_clip(_timings(outcome), 1000)))
    if outcome.code:
        button = _button("Show code", action_id, run_id)
        blocks.append({"type": "actions", "elements": [button]})
    return blocks


def _timings(outcome: Outcome) -> str:
    """The timings line: ingest 0.05 s · plan 0.40 s · … · total 1.20 s · LLM …, run id."""
    stages = {k: v for k, v in outcome.timings.items() if k != "total"}
    parts = [f"{escape(k)} {v:.2f} s" for k, v in stages.items()]
    if "total" in outcome.timings:
        parts.append(f"total {outcome.timings['total']:.2f} s")
    llm = outcome.llm
    if llm.get("calls"):
        parts.append(
            f"LLM {int(llm['calls'])} calls, {int(llm.get('prompt_tokens', 0)):,} tokens in, "
            f"{int(llm.get('completion_tokens', 0)):,} out"
        )
    parts.append(f"run {escape(outcome.run_id)}")
    return "⏱ " + " · ".join(parts)


# --- Approval --------------------------------------------------------------------------


def _findings_text(findings: Sequence[Mapping[str, Any]]) -> str:
    lines = [
        _clip(
            f"• line {escape(str(f.get('line', '?')))}: {escape(str(f.get('reason', '')))} "
            f"[{escape(str(f.get('rule', '')))}]",
            500,
        )
        for f in findings
    ]
    if not lines:
        return "_No findings recorded._"
    return _fit_lines(lines, SECTION_TEXT, lambda n: f"… and {n} more findings")


def approval_blocks(findings: list[dict[str, Any]], run_id: str, requester: str) -> list[Block]:
    """The findings that hold code back, and Approve / Reject buttons (values: run_id).
    Reject is the danger style and asks for confirmation first."""
    confirm = {
        "title": _plain("Reject this code?"),
        "text": _plain("The code will not run. The requester can ask again."),
        "confirm": _plain("Reject"),
        "deny": _plain("Cancel"),
        "style": "danger",
    }
    return [
        _section(
            "🔒 *This code needs an approver's OK before it runs.*\n"
            f"Requested by {mention(requester)}."
        ),
        _section(_findings_text(findings)),
        _context(f"Only configured approvers can decide. Run {escape(run_id)}."),
        {
            "type": "actions",
            "elements": [
                _button("Approve", "approve_run", run_id, "primary"),
                _button("Reject", "reject_run", run_id, "danger", confirm=confirm),
            ],
        },
    ]


def decision_blocks(
    run_id: str, decision: str, user: str, findings: list[dict[str, Any]] | None = None
) -> list[Block]:
    """What replaces the approval message once someone decided: who, and what follows.
    The decider is a real mention (only when `user` is a Slack user id); with findings
    given, they stay on the message for whoever reads the thread later."""
    who = mention(user)
    if decision == "approved":
        line = f"✅ *Approved* by {who}. The code runs now."
    elif decision == "rejected":
        line = f"❌ *Rejected* by {who}. The code did not run."
    else:
        line = f"ℹ️ *{_clip(escape(decision.capitalize()), 100)}* by {who}."
    blocks = [_section(line)]
    if findings:
        blocks.append(_section(_findings_text(findings)))
    blocks.append(_context(f"Run {escape(run_id)}."))
    return blocks


# --- Views -----------------------------------------------------------------------------


def code_modal(code: str, title: str = "Code") -> dict[str, Any]:
    """A `views.open` modal showing the code in ``` sections. Code longer than fits in
    MODAL_BLOCKS sections and MODAL_TEXT bytes is cut, with a note on what is missing."""
    fence = _bytes(_fence(""))
    text = _defence(escape(code.expandtabs(4)))
    blocks: list[Block] = []
    used = 0
    room = MODAL_TEXT - 300  # the note at the end
    chunks = [c for c in split_utf8(text, SECTION_TEXT - fence) if c.strip()]
    shown = 0
    for chunk in chunks:
        body = _fence(chunk.rstrip("\n"))
        if len(blocks) >= MODAL_BLOCKS - 1 or used + _bytes(body) > room:
            break
        blocks.append(_section(body))
        used += _bytes(body)
        shown += 1
    if not chunks:
        blocks.append(_section("_No code._"))
    elif shown < len(chunks):
        total_lines = code.count("\n") + 1
        shown_lines = "".join(chunks[:shown]).count("\n")
        blocks.append(
            _context(
                f"✂️ _Lines {shown_lines + 1:,}–{total_lines:,} are not shown here: the whole "
                "program is the `analysis.py` snippet in the thread._"
            )
        )
    return {
        "type": "modal",
        "title": _plain(_clip(escape(title), VIEW_TITLE) or "Code"),
        "close": _plain("Close"),
        "blocks": blocks,
    }


def help_text() -> str:
    """The answer to `/threadlab help` (mrkdwn, our own text: nothing to escape)."""
    return (
        "*ThreadLab* answers questions about your data, in the thread you ask in.\n"
        "• Upload a CSV, Excel, Parquet or JSONL file and mention me with a question, "
        "e.g. _@ThreadLab which region sold the most last quarter?_\n"
        "• Ask follow-ups in the same thread: I use the thread's files and earlier answers. "
        "With several files, name the one you mean.\n"
        "• Send a message holding a fenced Python block (three backticks) to run your own "
        "code on the thread's data, under the same code policy.\n"
        "• Code the policy holds back waits for an approver's OK; blocked code never runs.\n"
        "*Commands*\n"
        "`/threadlab help`: this message\n"
        "`/threadlab datasets`: the files of this channel's threads\n"
        "`/threadlab history`: your recent runs\n"
        "`/threadlab rerun RUN`: run a stored run's code again, in its thread\n"
        "`/threadlab forget`: delete this channel's files and caches "
        "(`@ThreadLab forget` in a thread: that thread's)"
    )


_STATUS_MARKS = {
    "ok": "✅",
    "error": "❌",
    "blocked": "⛔",
    "needs_approval": "🔒",
    "running": "⏳",
    "queued": "⏳",
}


def _when(value: Any) -> str:
    """A time as a Slack date token (shown in the reader's time zone), or escaped text."""
    moment: dt.datetime | None = None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str) and value:
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return escape(value)
    if moment is None:
        return ""
    if moment.tzinfo is None:  # the store writes UTC
        moment = moment.replace(tzinfo=dt.UTC)
    fallback = moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def home_view(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The App Home tab: the user's recent runs (question, status, when), newest first as
    given. Reads `question`, `status` and `created_at` (or `when`) from each run."""
    blocks: list[Block] = [_header("Your recent ThreadLab runs")]
    if not runs:
        blocks.append(
            _section("No runs yet. Upload a file in a channel and mention me with a question.")
        )
    for run in runs[:_HOME_RUNS]:
        status = str(run.get("status") or "unknown")
        question = _clip(escape(str(run.get("question") or "")), 300) or "_(no question)_"
        parts = [f"{_STATUS_MARKS.get(status, '•')} {escape(status)}"]
        when = _when(run.get("created_at") or run.get("when"))
        if when:
            parts.append(when)
        if run.get("dataset"):
            parts.append(_clip(escape(str(run["dataset"])), _TITLE_BYTES))
        blocks.append(_section(f"*{question}*\n" + " · ".join(parts)))
    if len(runs) > _HOME_RUNS:
        blocks.append(_context(f"Showing the latest {_HOME_RUNS} of {len(runs)} runs."))
    blocks.append(_context(help_text().split("\n", 1)[0] + " Try `/threadlab help`."))
    return {"type": "home", "blocks": blocks}
