"""How many SMS parts a message takes, and in which encoding (Q20).

GSM-7 (3GPP TS 23.038) when every character is in the default alphabet or its
extension table, else UCS-2.

- GSM-7: a basic character is one septet, an extension character (``^{}\\[~]|€``
  and form feed) two, an escape and the character, which are never split across
  parts.  One part holds 160 septets; a concatenated message 153 per part (the
  user data header takes the rest).
- UCS-2: one part holds 70 UTF-16 code units, a concatenated message 67 per part.
  A character outside the Basic Multilingual Plane (most emoji) is a surrogate
  pair, two units, never split across parts.

The empty text takes 0 parts; the content rules reject empty messages themselves.
Counting is on every message's path, so the common cases (Latin or Cyrillic text
without extension characters or emoji) take no per-character Python loop.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .outcome import SmsEncoding

__all__ = [
    "GSM_BASIC",
    "GSM_EXTENSION",
    "count_parts",
    "count_units",
]

GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
"""The default alphabet, without the escape (0x1B), which is no character of its own."""
GSM_EXTENSION = "\f^{}\\[~]|€"
"""Characters of the extension table: escape + character, two septets each."""

GSM_SINGLE, GSM_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67

_NOT_GSM = re.compile(f"[^{re.escape(GSM_BASIC + GSM_EXTENSION)}]")
_EXTENSION = re.compile(f"[{re.escape(GSM_EXTENSION)}]")
# ASCII that is not a one-septet character: outside GSM, or in its extension table.
_ASCII_NOT_PLAIN = re.compile("[^" + re.escape("".join(c for c in map(chr, range(128)) if c in GSM_BASIC)) + "]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_Predicate = Callable[[str], bool]


def count_units(text: str) -> tuple[SmsEncoding, int]:
    """The encoding and the message's length in its units (septets, or UTF-16 code units)."""
    if _NOT_GSM.search(text) is None:
        return "GSM-7", len(text) + len(_EXTENSION.findall(text))
    return "UCS-2", len(text) + len(_ASTRAL.findall(text))


def count_parts(text: str) -> tuple[SmsEncoding, int]:
    """The encoding and the number of SMS parts of ``text``; 0 parts for the empty text."""
    if not text:
        return "GSM-7", 0
    n = len(text)
    if text.isascii() and _ASCII_NOT_PLAIN.search(text) is None:
        return "GSM-7", 1 if n <= GSM_SINGLE else -(-n // GSM_MULTI)  # one scan for plain Latin text
    if _NOT_GSM.search(text) is None:
        if _EXTENSION.search(text) is None:
            return "GSM-7", 1 if n <= GSM_SINGLE else -(-n // GSM_MULTI)
        doubles = len(_EXTENSION.findall(text))
        return "GSM-7", _parts(text, n + doubles, GSM_SINGLE, GSM_MULTI, _is_extension)
    if _ASTRAL.search(text) is None:
        return "UCS-2", 1 if n <= UCS2_SINGLE else -(-n // UCS2_MULTI)
    doubles = len(_ASTRAL.findall(text))
    return "UCS-2", _parts(text, n + doubles, UCS2_SINGLE, UCS2_MULTI, _is_astral)


def _is_extension(char: str) -> bool:
    return char in GSM_EXTENSION


def _is_astral(char: str) -> bool:
    return char > "\uffff"


def _parts(text: str, units: int, single: int, multi: int, is_double: _Predicate) -> int:
    """Parts for ``text`` of ``units`` units, some of its characters two units that stay together."""
    if units <= single:
        return 1
    # A two-unit character that would straddle a part boundary moves whole into the next part,
    # leaving one unit unused: only a walk over the characters knows where that happens.
    parts, used = 1, 0
    for char in text:
        width = 2 if is_double(char) else 1
        if used + width > multi:
            parts += 1
            used = 0
        used += width
    return parts
