"""Prints the Markdown table of every setting, generated from `bot.settings.Settings`.

    python scripts/settings_table.py           # print the table
    python scripts/settings_table.py --write   # replace the table in docs/operator.md

docs/operator.md holds this output between its settings markers, and
tests/test_deploy.py fails when the two differ, so a new or changed setting reaches the
operator guide by running this with --write.
"""

from __future__ import annotations

import argparse
import enum
from pathlib import Path

from pydantic import SecretStr
from pydantic.fields import FieldInfo

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "operator.md"
START = "<!-- settings:start -->"
END = "<!-- settings:end -->"


def env_name(name: str, field: FieldInfo) -> str:
    """The variable an operator sets: the ecosystem's own name (the last alias choice,
    such as OPENAI_BASE_URL) where a field has one, else THREADLAB_<NAME>."""
    choices = getattr(field.validation_alias, "choices", None)
    return str(choices[-1]) if choices else f"THREADLAB_{name.upper()}"


def _default(value: object) -> str:
    if value is None:  # derived from other settings; the description says how
        return "(unset)"
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if isinstance(value, bool):  # as an operator writes it in .env
        return "`true`" if value else "`false`"
    if isinstance(value, enum.Enum):
        value = value.value
    text = str(value)
    return f"`{text}`" if text else "(empty)"


def _cell(text: str) -> str:
    # One table row per setting: a pipe or a line break inside a cell would split it, and
    # "<data dir>" would render as an HTML tag (and vanish).
    return " ".join(text.split()).replace("|", "\\|").replace("<", "&lt;")


def table() -> str:
    """The settings table as Markdown, one row per field, in declaration order."""
    rows = ["| Variable | Default | Description |", "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        rows.append(
            f"| `{env_name(name, field)}` | {_cell(_default(field.default))} "
            f"| {_cell(field.description or '')} |"
        )
    return "\n".join(rows) + "\n"


def replace_table(document: str, generated: str) -> str:
    """`document` with the text between the markers replaced by `generated`."""
    head, start, rest = document.partition(START)
    _, end, tail = rest.partition(END)
    if not start or not end:
        raise SystemExit(f"{GUIDE} lacks the markers {START} and {END}")
    return f"{head}{START}\n{generated}{END}{tail}"


def table_in(document: str) -> str:
    """The table currently between the markers of `document` ("" when it has none)."""
    _, start, rest = document.partition(START)
    inside, end, _ = rest.partition(END)
    return inside.lstrip("\n") if start and end else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"update {GUIDE.name} in place")
    args = parser.parse_args()
    generated = table()
    if not args.write:
        print(generated, end="")
        return
    GUIDE.write_text(replace_table(GUIDE.read_text(encoding="utf-8"), generated), "utf-8")


if __name__ == "__main__":
    main()
