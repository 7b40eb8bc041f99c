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
without extension characters or emoji) take no per-character Python loop: plain
ASCII is one regular-expression scan; a text with a character outside GSM needs
its length in UTF-16 code units only when it could be over one part, and the
UTF-16 encoder (a C loop) counts the surrogate pairs.  ``forces_ucs2`` tells when a
template's fixed text already makes every message UCS-2, so that the GSM test can
be skipped.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable

from smsftp.simulator.rules.outcome import SmsEncoding

__all__ = [
    "BITS",
    "ENCODING_OF_BITS",
    "GSM_BASIC",
    "GSM_EXTENSION",
    "count_parts",
    "count_units",
    "forces_ucs2",
    "ucs2_parts",
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
BITS: dict[SmsEncoding, int] = {"GSM-7": 7, "UCS-2": 16}
"""An encoding as a number, for storage: bits per character."""
ENCODING_OF_BITS: dict[int, SmsEncoding] = {bits: name for name, bits in BITS.items()}

_NOT_GSM = re.compile(f"[^{re.escape(GSM_BASIC + GSM_EXTENSION)}]")
_EXTENSION = re.compile(f"[{re.escape(GSM_EXTENSION)}]")
# ASCII that is not a one-septet character: outside GSM, or in its extension table.
_ASCII_NOT_PLAIN = re.compile("[^" + re.escape("".join(c for c in map(chr, range(128)) if c in GSM_BASIC)) + "]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_Predicate = Callable[[str], bool]
_utf16 = codecs.utf_16_le_encode


def count_units(text: str) -> tuple[SmsEncoding, int]:
    """The encoding and the message's length in its units (septets, or UTF-16 code units)."""
    if _NOT_GSM.search(text) is None:
        return "GSM-7", len(text) + len(_EXTENSION.findall(text))
    return "UCS-2", len(text) + len(_ASTRAL.findall(text))


def count_parts(text: str) -> tuple[SmsEncoding, int]:
    """The encoding and the number of SMS parts of ``text``; 0 parts for the empty text."""
    n = len(text)
    if text.isascii() and _ASCII_NOT_PLAIN.search(text) is None:  # one scan for plain Latin text
        return "GSM-7", (1 if n <= GSM_SINGLE else -(-n // GSM_MULTI)) if n else 0
    if _NOT_GSM.search(text) is not None:
        return "UCS-2", ucs2_parts(text)
    if _EXTENSION.search(text) is None:
        return "GSM-7", 1 if n <= GSM_SINGLE else -(-n // GSM_MULTI)
    doubles = len(_EXTENSION.findall(text))
    return "GSM-7", _parts(text, n + doubles, GSM_SINGLE, GSM_MULTI, _is_extension)


def ucs2_parts(text: str) -> int:
    """Parts of ``text`` sent as UCS-2 (70 units, 67 per part of a longer message); 0 for the empty text."""
    n = len(text)
    if n <= UCS2_SINGLE // 2:
        return 1 if n else 0  # two units a character at most: one part, whatever the characters
    # UTF-16 code units: surrogate pairs (astral characters) count two; "surrogatepass" counts a
    # lone surrogate, which no decoded text holds, as the one unit that the pattern counts.
    units = len(_utf16(text, "surrogatepass")[0]) >> 1
    if units <= UCS2_SINGLE:
        return 1
    if units == n:
        return -(-n // UCS2_MULTI)
    return _parts(text, units, UCS2_SINGLE, UCS2_MULTI, _is_astral)


def forces_ucs2(fixed: str) -> bool:
    """Whether every text that contains ``fixed`` (a template's literal text) is UCS-2: then
    ``ucs2_parts`` alone counts its parts."""
    return _NOT_GSM.search(fixed) is not None


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
