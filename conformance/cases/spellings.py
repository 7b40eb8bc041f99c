"""How the cases write a number or a sender: each spelling is a function of the value itself.

A case that means "Maria's number, written as a Russian exporter writes it"
says ``domestic(PHONE_B)``, never ``"89161234567"``.  The live run
(``smsftp.conformance.live.localize``) then writes the tester's own number the same way,
whatever it is, instead of searching the archive's bytes for digits: a value
that no spelling here produces is not a sample's number and stays as written.

Numbers are digits in international form (``79161234567``).  A spelling that
exists only for ``+7`` numbers (the trunk prefix ``8``, the ``7 (9xx)``
grouping) gives ``None`` for any other number.
"""

from __future__ import annotations

from collections.abc import Callable

Spelling = Callable[[str], "str | None"]


def _plus7(number: str) -> bool:
    """Russia and Kazakhstan: ``7`` and ten national digits, dialled at home with the trunk prefix ``8``."""
    return len(number) == 11 and number.startswith("7") and number.isdigit()


def international(number: str) -> str | None:
    """The document's form (C2): digits only, country code first."""
    return number


def plus(number: str) -> str | None:
    """``+79161234567``: E.164 with its plus (Q8)."""
    return "+" + number


def domestic(number: str) -> str | None:
    """``89161234567``: the trunk prefix instead of the country code (Q8)."""
    return "8" + number[1:] if _plus7(number) else None


def formatted(number: str) -> str | None:
    """``7 (916) 123-45-67``: grouped for people (Q8)."""
    if not _plus7(number):
        return None
    return f"{number[0]} ({number[1:4]}) {number[4:7]}-{number[7:9]}-{number[9:]}"


def formatted_domestic(number: str) -> str | None:
    """``8 (916) 123-45-67``: grouped, with the trunk prefix (Q8)."""
    shown = formatted(number)
    return "8" + shown[1:] if shown is not None else None


def scientific(number: str) -> str | None:
    """``7.9161234567E+10``: what Excel shows of a long number in a General cell (Q8)."""
    return f"{number[0]}.{number[1:]}E+{len(number) - 1}" if len(number) > 1 else None


def scientific_comma(number: str) -> str | None:
    """``7,9161234567E+10``: the same under a locale whose decimal separator is a comma (Q8)."""
    shown = scientific(number)
    return shown.replace(".", ",") if shown is not None else None


# Every spelling a case may use for a valid number; the names appear in the live run's reasons.
SPELLINGS: dict[str, Spelling] = {
    "international": international,
    "plus": plus,
    "domestic": domestic,
    "formatted": formatted,
    "formatted-domestic": formatted_domestic,
    "scientific": scientific,
    "scientific-comma": scientific_comma,
}


def spell(spelling: Spelling, number: str) -> str:
    """``spelling`` of a number that has it (every sample number has every spelling)."""
    shown = spelling(number)
    if shown is None:
        raise ValueError(f"{number} has no {getattr(spelling, '__name__', 'such')} spelling")
    return shown


def other_case(sender: str) -> str | None:
    """The sender with the case of every letter changed (M3); ``None`` when it has no letters."""
    swapped = sender.swapcase()
    return swapped if swapped != sender else None
