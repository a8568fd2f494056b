"""The one way out to an LLM: everything sent passes `LlmBoundary.outgoing`.

Schema, profile, sample rows, statistics, printed output, tracebacks and earlier turns
are all text by the time they leave. Two checks run on that text: the detector's
validated types (phones, IDs, cards, emails, IPs) found anywhere become the same tokens
the data has, and then every raw value this dataset is known to hold (names and
addresses included, which no pattern finds) is looked up at every position and masked.
Each hit is counted; nothing that matched is ever sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.pii.detect import find_spans
from bot.pii.tokenise import Tokeniser
from bot.pii.validators import normalise

# Shorter values ("李", "1") would match inside ordinary text far too often to mean
# anything; every real identifier, name or address is at least this long.
MIN_KNOWN_LENGTH = 2


class KnownValues:
    """A dataset's raw PII values, found at any position of a text in one pass."""

    def __init__(self, tokens: Mapping[str, str]) -> None:  # token -> raw value
        self._by_value = {
            value: token for token, value in tokens.items() if len(value) >= MIN_KNOWN_LENGTH
        }
        # Longest first, so a full address wins over the street name inside it.
        self._lengths = sorted({len(v) for v in self._by_value}, reverse=True)

    def __len__(self) -> int:
        return len(self._by_value)

    def mask(self, text: str) -> tuple[str, int]:
        if not self._by_value:
            return text, 0
        out: list[str] = []
        hits = 0
        i = 0
        while i < len(text):
            for length in self._lengths:
                token = self._by_value.get(text[i : i + length])
                if token is not None:
                    out.append(token)
                    i += length
                    hits += 1
                    break
            else:
                out.append(text[i])
                i += 1
        return "".join(out), hits


@dataclass
class LlmBoundary:
    tokeniser: Tokeniser
    known: KnownValues
    masked: int = 0  # values masked on the way out, over this boundary's life

    def outgoing(self, *sections: str) -> str:
        """The text to send: the sections joined, PII masked. Every prompt goes here."""
        text = "\n\n".join(sections)
        spans = find_spans(text)
        for span in sorted(spans, key=lambda s: s.start, reverse=True):
            token = self.tokeniser.token(span.pii_type, normalise(span.pii_type, span.text))
            text = text[: span.start] + token + text[span.end :]
        text, hits = self.known.mask(text)
        self.masked += len(spans) + hits
        return text
