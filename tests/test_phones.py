"""Recipient numbers (C2, N3, Q8) and the fast validator's agreement with phonenumbers."""

from __future__ import annotations

import random
import re
import zipfile
import zlib
from pathlib import Path

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat, PhoneNumberType, phonenumberutil

from smsftp.simulator.rules.phones import (
    QUICK,
    is_valid_international,
    national_number,
    phone_diagnostic,
    phone_hint,
    phone_problem,
    quick_match,
    reference_is_valid,
    verify_against_phonenumbers,
)

TESTS = Path(__file__).resolve().parent
_DIGIT_RUNS = re.compile(r"(?<![0-9])[0-9]{6,20}(?![0-9])")


@pytest.mark.parametrize("raw", ["79031234567", "12125551234", "380441234567", "4930123456", "390612345678"])
def test_c2_digits_in_international_form_are_accepted(raw: str) -> None:
    assert phone_problem(raw) is None
    assert phone_diagnostic(raw) is None


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "SMS501"),
        ("   ", "SMS501"),
        ("+79031234567", "SMS502"),
        ("+7 (903) 123-45-67", "SMS502"),
        ("89031234567", "SMS503"),
        ("7.9031234567E+10", "SMS504"),
        ("7,9031234567E+10", "SMS504"),
        ("7.90312E+10", "SMS504"),
        ("7.9031234567e10", "SMS504"),
        ("8 (903) 123-45-67", "SMS505"),
        ("7 903 123 45 67", "SMS505"),
        ("7-903-123-45-67", "SMS505"),
        ("7.903.123.45.67", "SMS505"),
        (" 79031234567", "SMS505"),
        ("7903123456", "SMS506"),
        ("790312345678", "SMS506"),
        ("0079031234567", "SMS506"),
        ("9031234567", "SMS506"),
        ("99999999999", "SMS506"),
        ("Иванов", "SMS507"),
        ("7903123456x", "SMS507"),
        ("２２２", "SMS507"),
        ("7903;1234567", "SMS507"),
    ],
)
def test_q8_each_bad_form_has_its_own_code(raw: str, code: str) -> None:
    assert phone_problem(raw) == code
    found = phone_diagnostic(raw, file="sms/contacts.csv", line=2, column=1)
    assert found is not None
    assert (found.code, found.file, found.line, found.is_error) == (code, "sms/contacts.csv", 2, True)


def test_q8_leading_8_only_where_7_makes_a_valid_number() -> None:
    """An 11-digit number with 8 that stays invalid with 7 is just invalid (SMS506)."""
    assert phone_problem("80001234567") == "SMS506"
    assert not is_valid_international("70001234567")


def test_q8_valid_international_number_starting_with_8_is_accepted() -> None:
    """86... is China's country code: such a number is not a Russian trunk-prefix number."""
    assert phone_problem("8613912345678") is None


@pytest.mark.parametrize(
    ("raw", "fixed"),
    [
        ("89031234567", "79031234567"),
        ("+79031234567", "79031234567"),
        ("8 (903) 123-45-67", "79031234567"),
        ("+7 903 123-45-67", "79031234567"),
        ("7.9031234567E+10", "79031234567"),
        ("0079031234567", "79031234567"),
        ("81012125551234", "12125551234"),
        ("9031234567", "79031234567"),
    ],
)
def test_q8_hint_names_the_corrected_number(raw: str, fixed: str) -> None:
    code = phone_problem(raw)
    assert code is not None
    assert f"`{fixed}`" in phone_hint(raw, code)


def test_q8_scientific_notation_that_lost_digits_says_so() -> None:
    hint = phone_hint("7.90312E+10", "SMS504")
    assert "lost" in hint
    assert "79031200000" not in hint


def test_q8_message_names_the_value_seen_and_is_bounded() -> None:
    found = phone_diagnostic("x" * 5000)
    assert found is not None
    assert found.code == "SMS507"
    assert len(found.message) < 200


def test_c2_non_digit_input_is_answered_by_phonenumbers_itself() -> None:
    assert is_valid_international("7 903 123 45 67") is reference_is_valid("7 903 123 45 67") is True
    assert is_valid_international("garbage") is False


# --- agreement with phonenumbers -----------------------------------------------------------------

_TYPES = (
    PhoneNumberType.FIXED_LINE,
    PhoneNumberType.MOBILE,
    PhoneNumberType.TOLL_FREE,
    PhoneNumberType.PREMIUM_RATE,
    PhoneNumberType.SHARED_COST,
    PhoneNumberType.VOIP,
    PhoneNumberType.PERSONAL_NUMBER,
    PhoneNumberType.PAGER,
    PhoneNumberType.UAN,
    PhoneNumberType.VOICEMAIL,
)


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return str(phonenumbers.format_number(number, PhoneNumberFormat.E164))[1:]


def _examples() -> list[str]:
    found = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in _TYPES:
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                found.append(_e164(example))
        invalid = phonenumbers.invalid_example_number(region)
        if invalid is not None:
            found.append(_e164(invalid))
    for cc in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        example = phonenumbers.example_number_for_non_geo_entity(cc)
        if example is not None:
            found.append(_e164(example))
    return found


def _numbers_in_tests() -> list[str]:
    """Every run of 6-20 digits in the tests, the conformance cases and the fixtures."""
    found: set[str] = set()
    root = TESTS.parent
    for folder in (root / "tests", root / "smsftp.conformance", root / "fixtures"):
        for path in folder.rglob("*"):
            if path.suffix in (".py", ".csv", ".txt", ".json", ".toml") and path.is_file():
                found.update(_DIGIT_RUNS.findall(path.read_text(encoding="utf-8", errors="replace")))
            elif path.suffix == ".zip" and path.is_file():
                found.update(_numbers_in_zip(path))
    return sorted(found)


def _numbers_in_zip(path: Path) -> set[str]:
    """Digit runs in the data files of a fixture archive; broken and encrypted archives are skipped."""
    found: set[str] = set()
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.file_size < 50_000_000 and not info.flag_bits & 1:
                    text = archive.read(info).decode("utf-8", errors="replace")
                    found.update(_DIGIT_RUNS.findall(text))
    except (zipfile.BadZipFile, OSError, NotImplementedError, EOFError, zlib.error):
        pass
    return found


def _corpus(seed: int = 20261125) -> list[str]:
    """Example numbers, mutations of them, random numbers for every calling code, our own test numbers."""
    rnd = random.Random(seed)
    digits = "0123456789"
    examples = _examples()
    numbers = list(examples)
    for example in examples:
        for _ in range(12):
            k = rnd.randint(1, min(6, len(example) - 1))
            kind = rnd.random()
            if kind < 0.6:  # same prefix, other subscriber digits: mostly valid
                numbers.append(example[:-k] + "".join(rnd.choices(digits, k=k)))
            elif kind < 0.8:  # too long
                numbers.append(example + "".join(rnd.choices(digits, k=rnd.randint(1, 3))))
            elif kind < 0.9:  # too short
                numbers.append(example[: -rnd.randint(1, 3)])
            else:  # one digit changed anywhere, the country code included
                i = rnd.randrange(len(example))
                numbers.append(example[:i] + rnd.choice(digits) + example[i + 1 :])
    for cc in phonenumberutil.COUNTRY_CODE_TO_REGION_CODE:
        for length in range(8, 16):
            for _ in range(2):
                numbers.append(str(cc) + "".join(rnd.choices(digits, k=max(0, length - len(str(cc))))))
    numbers += ["0", "7", "79", "790", "0079031234567", "7" * 20, "1" * 18]
    numbers += _numbers_in_tests()
    return list(dict.fromkeys(numbers))


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    return _corpus()


def test_c2_fast_validation_agrees_with_phonenumbers(corpus: list[str]) -> None:
    assert len(corpus) > 20_000
    assert verify_against_phonenumbers(corpus) == []
    # The corpus is not all invalid noise: both answers occur plenty of times.
    valid = sum(map(is_valid_international, corpus))
    assert 5_000 < valid < len(corpus) - 5_000


def test_m6_number_type_class_agrees_with_phonenumbers(corpus: list[str]) -> None:
    """national_number's geographic flag is phonenumbers' is_number_type_geographical of the type."""
    for digits in corpus[::3]:
        parts = national_number(digits)
        if not reference_is_valid(digits):
            assert parts is None, digits
            continue
        number = phonenumbers.parse("+" + digits)
        assert number.country_code is not None
        geographic = phonenumberutil.is_number_type_geographical(phonenumbers.number_type(number), number.country_code)
        assert parts == (str(number.country_code), phonenumberutil.national_significant_number(number), geographic), (
            digits
        )


def test_c2_verify_reports_disagreements() -> None:
    """verify_against_phonenumbers can fail: it reports what the fast path gets wrong."""
    import smsftp.simulator.rules.phones as phones

    original = phones.is_valid_international
    try:
        phones.is_valid_international = lambda digits: True
        assert phones.verify_against_phonenumbers(["79031234567", "7903"]) == ["7903"]
    finally:
        phones.is_valid_international = original


def test_c2_quick_table_agrees_with_phonenumbers(corpus: list[str]) -> None:
    """C2: the per-row loops' own test, QUICK[number[:3]](number), never calls an invalid number valid,
    and with phone_problem behind it (where it does not match) gives phonenumbers' answer."""
    digits = [n for n in corpus if n.isascii() and n.isdigit()]
    matched = 0
    for number in digits:
        try:
            found = QUICK[number[:3]](number)
        except KeyError:
            found = quick_match(number)
        valid = reference_is_valid(number)
        if found is not None:
            matched += 1
            assert valid, number
        assert (phone_problem(number) is None) is valid, number
    assert matched > 5_000  # it answers most valid numbers by itself


def test_c2_quick_table_keeps_only_three_digit_heads() -> None:
    """Garbage in the phone column cannot grow the table: only heads of three ASCII digits are kept."""
    for junk in ("Иванов", "+7903", "7", "", "７９０３"):
        assert quick_match(junk) is None
    assert all(len(head) == 3 and head.isascii() and head.isdigit() for head in QUICK)


@pytest.mark.parametrize(
    "number",
    [
        "79031234567",
        "74951234567",
        "77012345678",
        "8613912345678",
        "4915123456789",
        "62812345678",
        "431234567890",
        "4930123456",
        "12125551234",
    ],
)
def test_c2_quick_pattern_for_each_length_of_a_calling_code(number: str) -> None:
    """One branch per national length: a valid number matches; one digit more or less does not."""
    assert quick_match(number) is not None and reference_is_valid(number)
    for other in (number + "0", number[:-1]):
        if quick_match(other) is not None:
            assert reference_is_valid(other), other


def test_the_private_phonenumbers_functions_we_call_still_behave_as_we_rely_on() -> None:
    """phones.py calls three private names of phonenumberutil (bounded in pyproject.toml: phonenumbers<10).

    If a phonenumbers release renames or changes them, this fails first, and loudly, with the name.
    """
    from phonenumbers import PhoneMetadata, phonenumberutil

    for name in ("_maybe_strip_national_prefix_carrier_code", "_test_number_length", "_GEO_MOBILE_COUNTRIES"):
        assert hasattr(phonenumberutil, name), f"phonenumbers {phonenumbers.__version__} has no {name}"
    ru = PhoneMetadata.metadata_for_region("RU", None)
    carrier, stripped, _ = phonenumberutil._maybe_strip_national_prefix_carrier_code("89031234567", ru)
    assert (carrier, stripped) == ("", "9031234567")
    assert phonenumberutil._test_number_length("9031234567", ru) == phonenumberutil.ValidationResult.IS_POSSIBLE
    assert phonenumberutil._test_number_length("903", ru) == phonenumberutil.ValidationResult.TOO_SHORT
    assert 7 not in phonenumberutil._GEO_MOBILE_COUNTRIES and 52 in phonenumberutil._GEO_MOBILE_COUNTRIES
