"""The kinds of personal data ThreadLab looks for, and which of them a value can prove."""

from __future__ import annotations

from typing import Final, Literal

PiiType = Literal["phone", "email", "id_card", "bank_card", "ip", "passport", "name", "address"]

# Types whose values carry their own proof (a checksum, a number plan, a grammar). A column
# of them is recognised from its values alone; the header only adds confidence.
VALIDATED: Final[frozenset[PiiType]] = frozenset({"phone", "email", "id_card", "bank_card", "ip"})

# Names, addresses and passport numbers look like any other text or code, so they are
# "weak": only a header that names them makes a column PII.
WEAK: Final[frozenset[PiiType]] = frozenset({"passport", "name", "address"})

TOKEN_PREFIX: Final[dict[PiiType, str]] = {
    "phone": "PHONE",
    "email": "EMAIL",
    "id_card": "IDCARD",
    "bank_card": "CARD",
    "ip": "IP",
    "passport": "PASSPORT",
    "name": "NAME",
    "address": "ADDR",
}
