"""Replacing personal data by keyed tokens, column by column, at ingest.

A PII value becomes `TYPE_<16 hex>`: the first 64 bits of HMAC-SHA256 under the
installation's key over the normalised value. The same value gets the same token in
every file of the installation (group-bys, counts and joins still work), nobody without
the key can confirm a guess, and 64 bits keep collisions out of reach even for tables
with millions of distinct values. Each distinct value is normalised and hashed once.
Safe derived columns are added where they carry analysis value.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bot.models import ColumnKind, MaskedColumn
from bot.pii.detect import ColumnDecision, find_spans, span_types, spans_in_series
from bot.pii.types import TOKEN_PREFIX, PiiType
from bot.pii.validators import id_card_parts_series, normalise, normalise_series

TOKEN_HEX = 16


class Tokeniser:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def token(self, pii_type: PiiType, normalised: str) -> str:
        # hmac.digest is the one-shot C implementation: several times faster than
        # hmac.new(...).hexdigest() when hashing a million values.
        digest = hmac.digest(self._secret, f"{pii_type}\0{normalised}".encode(), "sha256")
        return f"{TOKEN_PREFIX[pii_type]}_{digest[: TOKEN_HEX // 2].hex()}"


@dataclass
class TokenisedTable:
    frame: pd.DataFrame
    kinds: dict[str, ColumnKind]
    masked: list[MaskedColumn] = field(default_factory=list)
    # token -> (type, the raw value as first seen): the token map, for the store only
    values: dict[str, tuple[PiiType, str]] = field(default_factory=dict)


def tokenise_frame(
    frame: pd.DataFrame,
    kinds: dict[str, ColumnKind],
    decisions: list[ColumnDecision],
    tokeniser: Tokeniser,
) -> TokenisedTable:
    """A copy of `frame` with every PII column tokenised and PII spans inside free-text
    columns replaced; derived columns follow the column they come from."""
    out = TokenisedTable(frame.copy(), dict(kinds))
    for decision in decisions:
        if decision.pii_type is not None:
            _tokenise_column(out, decision.column, decision.pii_type, tokeniser)
        elif decision.free_text:
            _mask_spans(out, decision.column, tokeniser)
    return out


def _tokenise_column(
    out: TokenisedTable, column: str, pii_type: PiiType, tokeniser: Tokeniser
) -> None:
    raw = out.frame[column]
    present = raw.notna().to_numpy(dtype=bool)
    text = raw[present].astype(str).str.strip()
    codes, uniques = pd.factorize(text)
    normalised = normalise_series(pii_type, pd.Series(uniques, dtype="string"))
    # Plain Python lists: iterating an Arrow-backed array element by element is slow.
    tokens = [tokeniser.token(pii_type, str(n)) for n in normalised.to_list()]
    for token, original in zip(tokens, pd.Series(uniques).to_list(), strict=True):
        out.values.setdefault(token, (pii_type, str(original)))
    out.frame[column] = _spread(pd.Series(tokens, dtype="string"), codes, present).set_axis(
        out.frame.index
    )
    out.kinds[column] = "identifier"
    derived = _derive(out, column, pii_type, normalised, codes, present)
    out.masked.append(
        MaskedColumn(
            column=column,
            pii_type=pii_type,
            values_masked=int(present.sum()),
            distinct_values=len(uniques),
            derived=derived,
        )
    )


def _spread(per_distinct: pd.Series, codes: np.ndarray, present: np.ndarray) -> pd.Series:
    """One value per row from one per distinct value; missing rows stay missing. A
    take on the extension array: one vectorised gather, no Python objects per row."""
    indices = np.full(len(present), -1, dtype=np.intp)
    indices[present] = codes
    return pd.Series(per_distinct.array.take(indices, allow_fill=True))


def _derive(
    out: TokenisedTable,
    column: str,
    pii_type: PiiType,
    normalised: pd.Series,
    codes: np.ndarray,
    present: np.ndarray,
) -> list[str]:
    """Adds the safe columns a PII column allows (computed once per distinct value);
    returns their names."""
    derived: dict[str, tuple[pd.Series, ColumnKind]] = {}
    if pii_type == "id_card":
        parts = id_card_parts_series(normalised)
        derived = {
            "birth_year": (parts["birth_year"], "integer"),
            "gender": (parts["gender"].astype("string"), "text"),
            # The province (2 digits), not the full 6-digit county code: with a birth
            # date and a gender the county narrows people down too far.
            "province": (parts["region"].astype("string").str.slice(0, 2), "identifier"),
        }
    elif pii_type == "email":
        domain = normalised.str.replace(r"^.*@", "", regex=True)
        derived = {"domain": (domain, "text")}
    elif pii_type == "phone":
        # The mainland mobile prefix (138, 186...) names the carrier's number block.
        mainland = normalised.str.startswith("+86").fillna(False).astype(bool)
        derived = {"prefix": (normalised.str.slice(3, 6).where(mainland), "identifier")}
    added: list[str] = []
    for suffix, (per_distinct, kind) in derived.items():
        name = f"{column}_{suffix}"
        if name in out.frame.columns:
            continue  # never overwrite a column the file already has
        where = out.frame.columns.get_loc(column)
        assert isinstance(where, int), "column names are unique after ingest"
        spread = _spread(per_distinct.reset_index(drop=True), codes, present)
        out.frame.insert(where + 1 + len(added), name, spread.set_axis(out.frame.index))
        out.kinds[name] = kind
        added.append(name)
    return added


def _mask_spans(out: TokenisedTable, column: str, tokeniser: Tokeniser) -> None:
    values = out.frame[column]
    types = span_types(column)
    rows = values.index[spans_in_series(values, types=types).fillna(False).to_numpy(dtype=bool)]
    masked_spans = 0
    for row in rows:
        text = str(values.at[row])
        spans = find_spans(text, types=types)
        for span in sorted(spans, key=lambda s: s.start, reverse=True):
            token = tokeniser.token(span.pii_type, normalise(span.pii_type, span.text))
            out.values.setdefault(token, (span.pii_type, span.text))
            text = text[: span.start] + token + text[span.end :]
        masked_spans += len(spans)
        out.frame.at[row, column] = text
    out.masked.append(
        MaskedColumn(
            column=column,
            pii_type=None,
            free_text=True,
            values_masked=masked_spans,
            distinct_values=len(rows),
        )
    )
