"""Live safety (smsftp.conformance.live.safety): the guard refuses every unsafe archive, in any spelling or state."""

from __future__ import annotations

import io
import zipfile

import pytest

from smsftp.conformance.cases import all_cases
from smsftp.conformance.client.builder import FAULTS, ArchiveSpec, build_archive
from smsftp.conformance.client.uploader import Uploader
from smsftp.conformance.live.safety import (
    ArchiveGuard,
    SafetyRefusal,
    destinations,
    inspect_archive,
    live_problems,
    normalize_number,
    parse_allow_list,
)
from smsftp.conformance.live.target import LiveConfig, LiveNotAllowed, LiveTarget

MINE = "79161234567"  # the tester's own number
OTHER = "79031234567"  # someone else's
ALLOW = frozenset({MINE})
NAMES = ("Иван", "Петров")


def _template(*phones: str, **changes: object) -> tuple[str, bytes]:
    spec = ArchiveSpec(contacts=tuple((p, *NAMES) for p in phones))
    return build_archive(spec.with_(**changes))


def _guard(budget: int = 100) -> ArchiveGuard:
    return ArchiveGuard(ALLOW, budget)


@pytest.mark.parametrize(
    "spelling",
    [
        OTHER,
        "+79031234567",
        "89031234567",
        "8 (903) 123-45-67",
        "7 (903) 123-45-67",
        "+7 903 123 45 67",
        "7.9031234567E+10",
        "7,9031234567E+10",
        "0079031234567",
        "9031234567",
        f"{MINE}, {OTHER}",
        f"{MINE} {OTHER}",
        f"{MINE}/{OTHER}",
        "tel:79031234567",
    ],
)
def test_q8_every_spelling_of_a_foreign_number_is_refused(spelling: str) -> None:
    name, data = _template(MINE, spelling)
    with pytest.raises(SafetyRefusal) as refused:
        _guard()(name, data)
    assert OTHER in refused.value.numbers


@pytest.mark.parametrize(
    "spelling", [MINE, "+79161234567", "89161234567", "8 (916) 123-45-67", "7.9161234567E+10", "", "Petrov"]
)
def test_q8_the_testers_own_number_in_any_spelling_passes(spelling: str) -> None:
    name, data = _template(MINE, spelling)
    _guard()(name, data)


def test_c2_excel_scientific_notation_that_lost_digits_is_another_number() -> None:
    assert "79161234600" in destinations("7.91612346E+10")
    name, data = _template("7.91612346E+10")
    with pytest.raises(SafetyRefusal):
        _guard()(name, data)


def test_m2_digits_in_text_and_attributes_do_not_count() -> None:
    spec = ArchiveSpec(
        contacts=((MINE, "код 79031234567", "79261234567"),),
        template=(("message", "Позвоните 79031234567"), ("sourceaddress", "TESTSMS")),
    )
    _guard()(*build_archive(spec))
    plain = ArchiveSpec(mode="plain", plain_rows=((MINE, "Перезвоните на 79031234567"),))
    _guard()(*build_archive(plain))


def test_n2_plain_header_line_counts_as_a_recipient() -> None:
    # A platform that does not skip the first line would send to it (Q18).
    spec = ArchiveSpec(mode="plain", plain_header=f"{OTHER};Hello", plain_rows=((MINE, "Hi"),))
    with pytest.raises(SafetyRefusal):
        _guard()(*build_archive(spec))


def test_q6_phone_column_found_by_any_case_and_first_column_without_header() -> None:
    with pytest.raises(SafetyRefusal):
        _guard()(*_template(OTHER, contacts_header=(" Phone ", "attr1", "attr2")))
    with pytest.raises(SafetyRefusal):  # no phone column: the first column is taken as one
        _guard()(*_template(OTHER, contacts_header=("tel_no", "attr1", "attr2")))


@pytest.mark.parametrize(
    "fault", sorted(set(FAULTS) - {"encrypted", "empty", "empty-zip", "symlink", "missing-contacts", "bomb"})
)
def test_q16_bad_archives_are_read_as_a_lenient_platform_might(fault: str) -> None:
    """Truncated, corrupt, mislabelled archives: the numbers a lenient platform could salvage are found."""
    name, data = _template(MINE, OTHER, faults=(fault,))
    found = inspect_archive(name, data).numbers
    assert MINE in found
    if fault != "corrupt-data":  # past the damaged byte nobody can inflate the data
        with pytest.raises(SafetyRefusal):
            _guard()(name, data)


def test_q16_truncated_archive_keeps_its_first_entries() -> None:
    name, data = _template(OTHER, faults=("truncate",))
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(data))
    assert OTHER in inspect_archive(name, data).numbers


def test_q16_zip_bomb_is_refused_as_too_large_to_inspect() -> None:
    name, data = _template(MINE, faults=("bomb",))
    inspection = inspect_archive(name, data)
    assert inspection.too_large
    with pytest.raises(SafetyRefusal, match="too large"):
        _guard()(name, data)


def test_z2_encrypted_archive_is_unreadable_to_the_platform_too() -> None:
    name, data = _template(OTHER, faults=("encrypted",))
    inspection = inspect_archive(name, data)
    assert inspection.numbers == set()
    assert any("encrypted" in note for note in inspection.notes)


def test_garbage_is_refused_when_it_holds_a_number_and_passed_when_not() -> None:
    with pytest.raises(SafetyRefusal):
        _guard()("guest_20261125120000.zip", b"\x00\x01garbage " + OTHER.encode() + b" \xff\xfe")
    _guard()("guest_20261125120000.zip", bytes(b for b in range(256) if not 0x30 <= b <= 0x39) * 4 + b"none")
    # UTF-16 text hides its digits behind NUL bytes.
    with pytest.raises(SafetyRefusal):
        _guard()("guest_20261125120000.zip", f"TELRN_LONG;TEXT\r\n{OTHER};Hi\r\n".encode("utf-16"))


def test_budget_counts_messages_and_refuses_what_would_exceed_it() -> None:
    guard = _guard(budget=3)
    guard(*_template(MINE, MINE))
    assert (guard.spent, guard.remaining) == (2, 1)
    with pytest.raises(SafetyRefusal, match="budget"):
        guard(*_template(MINE, MINE))
    assert guard.remaining == 1
    assert guard.refusals and "budget" in guard.refusals[0][1]
    guard(*_template(MINE))
    assert guard.remaining == 0


def test_check_does_not_spend() -> None:
    guard = _guard(budget=1)
    assert guard.check(*_template(MINE)).messages == 1
    assert guard.remaining == 1


def test_every_case_message_number_is_seen_by_the_guard() -> None:
    """Nothing the spec says the platform sends escapes the guard, in any case of the catalogue."""
    for case in all_cases():
        for (name, data), expected in zip(case.archives(), case.expected.archives, strict=True):
            found = inspect_archive(name, data)
            for message in expected.messages or ():
                assert found.too_large or message.phone in found.numbers, (case.id, message.phone)


def test_allow_list_parsing_normalises_spellings() -> None:
    assert parse_allow_list("+7 (916) 123-45-67, 89031234567") == frozenset({MINE, OTHER})
    assert parse_allow_list([MINE]) == frozenset({MINE})
    assert normalize_number("8 916 123 45 67") == MINE
    with pytest.raises(ValueError):
        parse_allow_list("12345")


def test_live_target_refuses_without_confirmation_allow_list_and_budget() -> None:
    problems = live_problems(confirmed=False, allow=frozenset(), budget=None)
    assert len(problems) == 3
    assert any("--live-confirm" in p for p in problems)
    assert any("--live-allow" in p for p in problems)
    assert any("--live-budget" in p for p in problems)
    gaps: list[dict[str, object]] = [{"confirm": False}, {"allow": frozenset()}, {"budget": None}, {"budget": 0}]
    for missing in gaps:
        settings = {"host": "127.0.0.1", "login": "guest", "confirm": True, "allow": ALLOW, "budget": 5, **missing}
        with pytest.raises(LiveNotAllowed):
            LiveTarget(LiveConfig(**settings))  # type: ignore[arg-type]


def test_uploader_guard_refuses_before_connecting() -> None:
    """The upload layer applies the guard: no connection is even attempted (port 9 is closed)."""
    uploader = Uploader("127.0.0.1", 9, "guest", "guest", guard=_guard())
    with pytest.raises(SafetyRefusal):
        uploader.upload(*_template(OTHER))
