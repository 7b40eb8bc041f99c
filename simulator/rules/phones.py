"""Recipient numbers: what the platform accepts (C2, N3) and why it refuses the rest (Q8).

A number is accepted when it is only ASCII digits in international form (country
code, network code, number) and libphonenumber calls it valid.  Everything else
gets its own diagnostic code, so that a client learns the likely cause: a leading
``+`` (SMS502), the Russian trunk prefix 8 (SMS503), Excel's scientific notation
(SMS504), formatting for people (SMS505), a number that is not valid (SMS506),
letters (SMS507), nothing at all (SMS501).

Validation is on every row's path, and ``phonenumbers.parse`` plus
``is_valid_number`` costs about 19 microseconds a call: more than everything else
a row needs.  ``is_valid_international`` gets the same answer from one
``re.fullmatch`` per number.  Per country calling code it compiles, once and
lazily, phonenumbers' own metadata into one pattern that encodes what
``is_valid_number`` does after ``parse('+' + digits)``: the region chosen by
leading digits or by the first region whose types match
(``_region_code_for_number_from_list``), the general pattern, and each number
type's pattern with its possible lengths (``_number_type_helper``).  The rare
numbers whose national part starts with the national prefix go through
phonenumbers' own prefix stripping, exactly as ``parse`` does.  The test suite and
the benchmark prove agreement with ``verify_against_phonenumbers``.

The pattern that answers first (``QUICK``, one per leading three digits) has the
possible lengths resolved when it is built: one branch per length of the national
part, each opened by a lookahead for exactly that many ASCII digits, so that no
length lookahead is evaluated per type.  That takes almost half off the cost of a
match; the per-row loops in ``processing`` call it directly, and
``is_valid_international`` goes through the same table, so the agreement proof
covers it.  The other patterns of a calling code are compiled when first needed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import phonenumbers
from phonenumbers import PhoneMetadata, phonenumberutil

from smsftp.simulator.rules.diagnostics import (
    PHONE_EMPTY,
    PHONE_FORMATTING,
    PHONE_INVALID,
    PHONE_LEADING_8,
    PHONE_LEADING_PLUS,
    PHONE_NOT_DIGITS,
    PHONE_SCIENTIFIC_NOTATION,
    REGISTRY,
    Diagnostic,
    diagnostic,
)

__all__ = [
    "QUICK",
    "Matcher",
    "NationalNumber",
    "is_valid_international",
    "national_number",
    "phone_diagnostic",
    "phone_hint",
    "phone_message",
    "phone_problem",
    "plus_or_8_form",
    "quick_match",
    "reference_is_valid",
    "verify_against_phonenumbers",
]

NationalNumber = tuple[str, str, bool]
"""(country calling code, national significant number, geographic?) of a valid number."""
Matcher = Callable[[str], "re.Match[str] | None"]
"""``fullmatch`` of a compiled pattern: a match proves the number valid; None proves nothing."""

_COUNTRY_CODES: frozenset[str] = frozenset(str(cc) for cc in phonenumberutil.COUNTRY_CODE_TO_REGION_CODE)
# parse() refuses longer input outright (_MAX_INPUT_STRING_LENGTH, counting the '+').
_MAX_DIGITS = 249
_MIN_NSN, _MAX_NSN = 2, 17
# Number types in the order _number_type_helper tries them; the first match decides the type,
# and an alternation in a regular expression also takes the first branch that matches.
_NON_GEO_TYPES = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan", "voicemail")
_NOT_STRIPPED = (
    phonenumberutil.ValidationResult.TOO_SHORT,
    phonenumberutil.ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
    phonenumberutil.ValidationResult.INVALID_LENGTH,
)


def _ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


class _Plan:
    """Everything needed to judge the numbers of one calling code.

    ``quick`` matches a whole valid number when parse() strips no national prefix
    (see ``_quick_pattern``): it answers nearly every number.
    ``valid`` matches valid national numbers; validity does not depend on the order of
    the type branches, so it tries the common types first.  ``typed`` keeps
    _number_type_helper's order, and its marker groups tell which type matched
    (geographic or not, for time zones).  The ``whole_*`` patterns match the whole
    number in one go for the usual case that parse() strips no national prefix: the
    code, a national part of a length parse() accepts that does not start like the
    national prefix (else stripping would be tried), and the national pattern.
    ``valid`` and the typed ones are compiled on first use.
    """

    __slots__ = ("_head", "_typed", "_valid", "cc", "metadata", "prefix", "quick")

    def __init__(self, cc: int) -> None:
        self.cc = str(cc)
        main = phonenumberutil.region_code_for_country_code(cc)
        self.metadata: Any = PhoneMetadata.metadata_for_region_or_calling_code(cc, main)
        prefix = self.metadata.national_prefix_for_parsing if self.metadata is not None else None
        self.prefix: re.Pattern[str] | None = re.compile(prefix) if prefix else None
        head = rf"{cc}(?=[0-9]{{{_MIN_NSN},{_MAX_NSN}}}\Z)" + (f"(?!(?:{prefix}))" if prefix else "")
        # ASCII: each branch has already seen ASCII digits only, and \d is cheaper that way.
        self.quick = re.compile(_quick_pattern(cc, prefix), re.ASCII)
        self._head = head
        self._valid: re.Pattern[str] | None = None
        self._typed: tuple[re.Pattern[str], frozenset[int], re.Pattern[str], frozenset[int]] | None = None

    # The other patterns are compiled when first needed: most files never need them.
    @property
    def valid(self) -> re.Pattern[str]:
        if self._valid is None:
            self._valid = re.compile(_calling_code_pattern(int(self.cc), None))
        return self._valid

    def _typed_patterns(self) -> tuple[re.Pattern[str], frozenset[int], re.Pattern[str], frozenset[int]]:
        if self._typed is None:
            geo_names: list[str] = []
            source = _calling_code_pattern(int(self.cc), geo_names)
            typed = re.compile(source)
            whole = re.compile(f"{self._head}(?:{source})")
            self._typed = (
                typed,
                frozenset(typed.groupindex[n] for n in geo_names),
                whole,
                frozenset(whole.groupindex[n] for n in geo_names),
            )
        return self._typed

    @property
    def typed(self) -> re.Pattern[str]:
        return self._typed_patterns()[0]

    @property
    def geo_groups(self) -> frozenset[int]:
        return self._typed_patterns()[1]

    @property
    def whole_typed(self) -> re.Pattern[str]:
        return self._typed_patterns()[2]

    @property
    def whole_geo_groups(self) -> frozenset[int]:
        return self._typed_patterns()[3]


def _quick_pattern(cc: int, prefix: str | None) -> str:
    """The whole number valid, when parse() strips no national prefix: one branch per national length.

    Each branch asserts exactly ``n`` ASCII digits after the code, then the types'
    patterns for national numbers of length ``n``, their possible lengths already
    applied; a national part that starts like the national prefix is left to the
    exact path (``_split``).
    """
    branches = []
    for n in range(_MIN_NSN, _MAX_NSN + 1):
        body = _calling_code_pattern(cc, None, n)
        if body != _NEVER:
            branches.append(f"(?=[0-9]{{{n}}}\\Z)(?:{body})")
    guard = f"(?!(?:{prefix}))" if prefix else ""
    return f"{cc}{guard}(?:{'|'.join(branches) or _NEVER})"


_NEVER = "(?!)"


def _calling_code_pattern(cc: int, geo_names: list[str] | None, length: int | None = None) -> str:
    """is_valid_number after parse, for one calling code, as one pattern over the national number.

    With ``length``, only for national numbers of that many digits (no length lookaheads).
    """
    regions = phonenumberutil.COUNTRY_CODE_TO_REGION_CODE[cc]
    branches: list[str] = []
    claimed: list[str] = []  # leading-digit patterns of earlier regions: they win the number
    for region in regions:
        if len(regions) > 1:
            meta: Any = PhoneMetadata.metadata_for_region(region.upper(), None)
            if meta is None:
                continue
        else:
            meta = PhoneMetadata.metadata_for_region_or_calling_code(cc, region)
        guard = "".join(f"(?!(?:{ld}))" for ld in claimed)
        body = _region_pattern(cc, region, meta, geo_names, length)
        if len(regions) > 1 and meta.leading_digits:
            if body != _NEVER:
                branches.append(f"{guard}(?=(?:{meta.leading_digits})){body}")
            claimed.append(meta.leading_digits)  # the region claims its numbers, valid or not
        elif body != _NEVER:
            branches.append(guard + body)
    return "|".join(branches) or _NEVER


def _region_pattern(cc: int, region: str, meta: Any, geo_names: list[str] | None, length: int | None) -> str:
    """is_valid_number_for_region as a pattern; with ``geo_names``, type branches end in marker groups."""
    if meta is None or (
        region != phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY
        and cc != phonenumberutil.country_code_for_valid_region(region)
    ):
        return _NEVER
    general = _desc_pattern(meta.general_desc, length)
    if general is None:
        return _NEVER
    typed: list[tuple[Any, bool]] = [(getattr(meta, t), False) for t in _NON_GEO_TYPES]
    typed.append((meta.fixed_line, True))
    if not meta.same_mobile_and_fixed_line_pattern:
        typed.append((meta.mobile, cc in phonenumberutil._GEO_MOBILE_COUNTRIES))
    if geo_names is None:
        typed.reverse()  # mobile, fixed line: the numbers people send SMS to
    branches: list[str] = []
    for desc, geographic in typed:
        pattern = _desc_pattern(desc, length)
        if pattern is None:
            continue
        if geo_names is not None:
            name = f"t_{region}_{len(branches)}"
            if geographic:
                geo_names.append(name)
            pattern += f"(?P<{name}>)"
        branches.append(pattern)
    if not branches:
        return _NEVER
    return rf"(?={general}\Z)(?:{'|'.join(branches)})"


def _desc_pattern(desc: Any, length: int | None = None) -> str | None:
    """_is_number_matching_desc as a pattern: possible lengths, then the national number pattern.

    With ``length``, for national numbers of that length only: None when it is not possible.
    """
    if desc is None or not desc.national_number_pattern:
        return None
    pattern = f"(?:{desc.national_number_pattern})"
    if not desc.possible_length:
        return pattern
    lengths = sorted({n for n in desc.possible_length if n >= 0})
    if not lengths:
        return None  # (-1,): this type does not exist in the region
    if length is not None:
        return pattern if length in lengths else None
    sizes = "|".join(rf"\d{{{n}}}" for n in lengths)
    return rf"(?=(?:{sizes})\Z){pattern}"


_plans: dict[str, _Plan] = {}
_MISSING: Any = object()
_by_head: dict[str, _Plan | None] = {}  # the first three digits of a number -> its code's plan
# Calling codes are prefix-free and parse() takes the first 1-3 digits that form one, so the first three
# digits of a number decide its code's length.
_CC_SIZE: dict[str, int] = {}
for _head in map(str, range(100, 1000)):
    for _size in (1, 2, 3):
        if _head[:_size] in _COUNTRY_CODES:
            _CC_SIZE[_head] = _size
            break


def _plan(cc: str) -> _Plan:
    plan = _plans.get(cc)
    if plan is None:
        plan = _plans[cc] = _Plan(int(cc))
    return plan


def _split(digits: str) -> tuple[str, str, _Plan] | None:
    """parse('+' + digits) up to the national significant number; None where parse raises.

    ``digits`` is ASCII digits only.
    """
    size = _CC_SIZE.get(digits[:3])
    if size is None or len(digits) > _MAX_DIGITS or len(digits) - size < _MIN_NSN:
        return None  # also: parse() wants more than two digits after the '+'; '0' starts no code
    cc = digits[:size]
    plan = _plans.get(cc) or _plan(cc)
    nsn = digits[size:]
    if plan.prefix is not None and plan.prefix.match(nsn):
        # Rare (a national part that starts like a national prefix): let phonenumbers decide.
        _, stripped, _ = phonenumberutil._maybe_strip_national_prefix_carrier_code(nsn, plan.metadata)
        if phonenumberutil._test_number_length(stripped, plan.metadata) not in _NOT_STRIPPED:
            nsn = stripped
    if len(nsn) > _MAX_NSN or len(nsn) < _MIN_NSN:
        return None
    return cc, nsn, plan


def is_valid_international(digits: str) -> bool:
    """``phonenumbers.is_valid_number(phonenumbers.parse('+' + digits))``, exceptions meaning False.

    Fast for ASCII digits; any other input is handed to phonenumbers itself, so the
    answer agrees on every input.
    """
    if not (digits.isascii() and digits.isdigit()):
        return reference_is_valid(digits)
    return _valid_digits(digits)


def _plan_for(digits: str) -> _Plan | None:
    head = digits[:3]
    plan = _by_head.get(head, _MISSING)
    if plan is _MISSING:
        size = _CC_SIZE.get(head)
        plan = _by_head[head] = None if size is None else _plan(head[:size])
    return plan  # type: ignore[no-any-return]


QUICK: dict[str, Matcher] = {}
"""The leading three digits of a number -> the ``fullmatch`` of its calling code's quick pattern.

``QUICK[number[:3]](number)``: a match proves ``number`` valid; no match proves nothing (ask
``phone_problem``).  A plain dict, so that the hot loops pay one slice, one lookup and one C call;
a head not in it yet raises ``KeyError``: then ``quick_match`` answers and fills it (at most
1,000 entries: heads that are not three ASCII digits are never kept, so garbage cannot grow it).
"""


def _never(text: str) -> None:
    return None


def quick_match(number: str) -> re.Match[str] | None:
    """``QUICK[number[:3]](number)`` for a head not in ``QUICK`` yet."""
    head = number[:3]
    found = QUICK.get(head)
    if found is None:
        if len(head) != 3 or not _ascii_digits(head):
            return None
        plan = _plan_for(head)
        found = QUICK[head] = _never if plan is None else plan.quick.fullmatch
    return found(number)


def _valid_digits(digits: str) -> bool:
    if quick_match(digits) is not None:
        return True
    plan = _plan_for(digits)
    if plan is None or plan.prefix is None:
        return False  # no calling code (or fewer than three digits, which parse() refuses); no stripping
    parts = _split(digits)  # parse() may strip a national prefix: the exact, slower path
    return parts is not None and plan.valid.fullmatch(parts[1]) is not None


def national_number(digits: str) -> NationalNumber | None:
    """Country code, national significant number and whether its type is geographic, for a valid number.

    ``geographic`` is phonenumbers' ``is_number_type_geographical`` of the number's
    type: it decides whether time zones come from the number's prefix or its country.
    """
    if not _ascii_digits(digits):
        return None
    plan = _plan_for(digits)
    if plan is None:
        return None
    match = plan.whole_typed.fullmatch(digits)
    if match is not None:
        return plan.cc, digits[len(plan.cc) :], match.lastindex in plan.whole_geo_groups
    if plan.prefix is None:
        return None
    parts = _split(digits)
    if parts is None:
        return None
    match = plan.typed.fullmatch(parts[1])
    if match is None:
        return None
    return plan.cc, parts[1], match.lastindex in plan.geo_groups


def reference_is_valid(digits: str) -> bool:
    """The slow, authoritative answer, straight from phonenumbers."""
    try:
        return bool(phonenumbers.is_valid_number(phonenumbers.parse("+" + digits)))
    except phonenumbers.NumberParseException:
        return False


def verify_against_phonenumbers(numbers: Iterable[str]) -> list[str]:
    """Every number on which the fast path and phonenumbers disagree (empty: they agree)."""
    return [n for n in numbers if is_valid_international(n) != reference_is_valid(n)]


# --- what is wrong with a number, and what the client probably meant --------------------------

_SCIENTIFIC = re.compile(r"([0-9])(?:[.,]([0-9]*))?[eE]\+?([0-9]{1,3})")
_FORMATTING = re.compile(r"[\s()\[\].\-\u2010-\u2015\u2212/]+")  # spaces, brackets, dashes, dots
_SHOWN = 40


def phone_problem(raw: str) -> str | None:
    """None when ``raw`` is an accepted number; else the diagnostic code (SMS501-SMS507)."""
    if raw.isascii() and raw.isdigit():
        if _valid_digits(raw):
            return None
        return PHONE_LEADING_8.code if _leading_8_fix(raw) is not None else PHONE_INVALID.code
    value = raw.strip()
    if not value:
        return PHONE_EMPTY.code
    if _SCIENTIFIC.fullmatch(value):
        return PHONE_SCIENTIFIC_NOTATION.code
    if value[0] in "+\uff0b":
        return PHONE_LEADING_PLUS.code
    bare = _FORMATTING.sub("", value)
    if bare and _ascii_digits(bare):
        return PHONE_FORMATTING.code
    return PHONE_NOT_DIGITS.code


def plus_or_8_form(raw: str, problem: str) -> str | None:
    """The international digits of ``raw`` when it is `+` or `8` before a valid number (Q8), else None.

    For accounts with ``accept_plus_and_8``, as the platform's HTTP API takes
    ``+79031234567`` and ``89031234567``; ``problem`` is ``phone_problem(raw)``.
    """
    if problem == PHONE_LEADING_8.code:
        return _leading_8_fix(raw)
    if problem == PHONE_LEADING_PLUS.code:
        digits = raw.strip()[1:]
        if _ascii_digits(digits) and is_valid_international(digits):
            return digits
    return None


def _leading_8_fix(digits: str) -> str | None:
    if len(digits) == 11 and digits[0] == "8":
        fixed = "7" + digits[1:]
        if is_valid_international(fixed):
            return fixed
    return None


def _repair(digits: str) -> tuple[str, str] | None:
    """The valid number ``digits`` most likely meant, and the fix, if it follows from a common mistake."""
    if is_valid_international(digits):
        return digits, ""
    fixed = _leading_8_fix(digits)
    if fixed is not None:
        return fixed, "replace the leading 8 with the country code 7"
    for idd in ("00", "810"):  # international dialling prefixes: the usual one, and Russia's old one
        if digits.startswith(idd) and is_valid_international(digits[len(idd) :]):
            return digits[len(idd) :], f"drop the international dialling prefix {idd}"
    if len(digits) == 10 and digits[0] == "9" and is_valid_international("7" + digits):
        return "7" + digits, "add the country code 7"  # a Russian mobile number without it
    return None


def _scientific_value(value: str) -> tuple[str, bool] | None:
    """The integer Excel displayed, and whether every digit survived."""
    match = _SCIENTIFIC.fullmatch(value)
    if match is None:
        return None
    from decimal import Decimal, InvalidOperation  # only for hints: kept off the import path

    lead, fraction, exponent = match.group(1), match.group(2) or "", int(match.group(3))
    try:
        number = Decimal(f"{lead}.{fraction}E{exponent}")
    except InvalidOperation:  # pragma: no cover - the pattern admits only well-formed numbers
        return None
    if number != number.to_integral_value():
        return None
    # Excel shows at most 15 significant digits; fewer than the integer has means the rest were lost.
    return str(int(number)), len(fraction) >= exponent


def _shown(raw: str) -> str:
    return raw if len(raw) <= _SHOWN else raw[:_SHOWN] + "…"


def phone_message(raw: str, code: str) -> str:
    """The diagnostic's message for ``raw``, naming the value seen."""
    shown = _shown(raw)
    messages = {
        PHONE_EMPTY.code: "the phone number is empty; the row is not sent",
        PHONE_LEADING_PLUS.code: f"phone `{shown}` starts with `+`; only digits are accepted; the row is not sent",
        PHONE_LEADING_8.code: f"phone `{shown}` starts with the Russian trunk prefix 8; the row is not sent",
        PHONE_SCIENTIFIC_NOTATION.code: f"phone `{shown}` is in Excel's scientific notation; the row is not sent",
        PHONE_FORMATTING.code: (
            f"phone `{shown}` contains formatting (spaces, brackets, dashes or dots); the row is not sent"
        ),
        PHONE_INVALID.code: f"phone `{shown}` is not a valid number in international format; the row is not sent",
        PHONE_NOT_DIGITS.code: (
            f"phone `{shown}` contains letters or other characters that are not digits; the row is not sent"
        ),
    }
    return messages[code]


def phone_hint(raw: str, code: str) -> str:
    """A hint for ``raw`` that names the corrected value wherever it can be derived."""
    value = raw.strip()
    if code == PHONE_EMPTY.code:
        return "Fill the phone column with the recipient's number, for example `79031234567`, or drop the row."
    if code == PHONE_SCIENTIFIC_NOTATION.code:
        scientific = _scientific_value(value)
        if scientific is not None and scientific[1]:
            return (
                f"Excel turned the number into scientific notation; it was `{scientific[0]}`. Format the "
                "column as Text before saving, or export the numbers as strings."
            )
        return (
            "Excel kept only the first digits of the number, the rest are lost; format the column as "
            "Text and export the numbers again from the source."
        )
    if code == PHONE_LEADING_8.code:
        return f"Replace the leading 8 with the country code 7: did you mean `{_leading_8_fix(value)}`?"
    if code in (PHONE_LEADING_PLUS.code, PHONE_FORMATTING.code):
        bare = _FORMATTING.sub("", value.lstrip("+\uff0b"))
        what = "Drop the `+`" if code == PHONE_LEADING_PLUS.code else "Write the number as digits only"
        repaired = _repair(bare) if _ascii_digits(bare) else None
        if repaired is None:
            return f"{what}, country code first, for example `79031234567`; `{_shown(bare)}` is not valid either."
        fixed, fix = repaired
        return f"{what}{' and ' + fix if fix else ''}: did you mean `{fixed}`?"
    if code == PHONE_INVALID.code:
        repaired = _repair(value)
        if repaired is not None and repaired[1]:
            return f"{repaired[1].capitalize()}: did you mean `{repaired[0]}`?"
        return (
            "Check the number: country code + network code + number, for example `79031234567`; the "
            "country code, the network code or the length is wrong."
        )
    if code == PHONE_NOT_DIGITS.code:
        return (
            "Check that the phone column holds numbers only and that the header matches the data: "
            "a name or a date in the phone column usually means the columns are shifted."
        )
    raise ValueError(f"not a phone diagnostic code: {code}")


def phone_diagnostic(
    raw: str, *, file: str | None = None, line: int | None = None, column: int | None = None
) -> Diagnostic | None:
    """None when ``raw`` is accepted; else its diagnostic with a specific message and hint."""
    code = phone_problem(raw)
    if code is None:
        return None
    return diagnostic(
        REGISTRY[code], phone_message(raw, code), hint=phone_hint(raw, code), file=file, line=line, column=column
    )
