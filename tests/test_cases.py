"""The case catalogue (smsftp.conformance.cases): permanent ids, full coverage of the spec, deterministic archives."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import phonenumbers
import pytest

from smsftp.conformance.cases import (
    OPEN_QUESTIONS,
    RETIRED_IDS,
    STATEMENT_IDS,
    AfterProcessing,
    all_cases,
    get_case,
    select_cases,
)
from smsftp.conformance.cases.model import SCENARIOS
from smsftp.simulator.rules.statements import OPEN_QUESTIONS as SIM_QUESTIONS
from smsftp.simulator.rules.statements import PROJECT_ADDED
from smsftp.simulator.rules.statements import STATEMENTS as SIM_STATEMENTS

_ROOT = Path(__file__).resolve().parents[1]
SPEC = next(
    (p / "shared" / "spec" / "statements.md" for p in (_ROOT.parent, _ROOT.parent.parent) if (p / "shared").is_dir()),
    _ROOT.parent / "shared" / "spec" / "statements.md",
)
ID = re.compile(r"^(?:[TPRZCMNQ]\d{1,2}-)+[a-z0-9]+(?:-[a-z0-9]+)*$")

# Every id ever published. A case may be dropped only by moving its id to RETIRED_IDS; a new case's id is
# added here. Reports, tickets and the corpus cite these ids, so none may silently change meaning.
PUBLISHED = """
T1-plain-ftp T1-ftps T2-wrong-password T2-own-folder T3-Q21-both-modes-one-server T4-active-mode T4-ftp-commands
P1-poll-interval P2-rejected-also-deleted P3-earliest-first P4-one-at-a-time R1-statistics Q1-earliest-by-name
Q15-non-zip-left Q17-same-name-again Q22-upload-held-open Q22-temporary-name Q27-ascii-upload
Z1-name-example Z1-name-not-pattern Z1-name-short-stamp Z1-name-impossible-date Z2-encrypted Z2-not-a-zip
Z3-zip-r-directory-entries Z3-Q4-files-at-root Z3-zip-slip Z3-symlink Z4-utf8 Z4-cp1251-not-arranged
Z4-cp1251-arranged Z5-comma-separated Z5-quoted-separator Z5-lf-line-endings Z5-cr-line-endings
Q3-login-mismatch Q3-login-case Q3-login-with-underscore Q16-empty-file Q16-empty-zip Q16-truncated Q16-bad-crc
Q16-corrupt-data Q16-deflate64 Q16-zip-bomb Q16-lying-size Q16-duplicate-entry Q23-cp866-names Q23-macos-junk
Q23-thumbs-db Q23-extra-file Q24-template-and-plain N1-two-plain-files
C1-name-case C1-contacts-missing M1-template-missing C3-senddate-contact C3-M5-contact-overrides-template
C3-senddate-empty C4-document-example C4-attr10-not-attr1 M1-Q14-two-template-rows M1-Q14-no-template-row
M2-empty-value M2-message-empty M2-Q7-unknown-field Q7-lone-hash M3-sender-not-approved M3-sender-case
M3-sender-missing Q10-sender-too-long Q10-sender-cyrillic M4-validity-180 Q11-validity-zero
Q11-validity-not-number Q11-validity-above-cap Q11-validity-at-cap M5-template-senddate M6-localtime
M6-localtime-zero M6-localtime-contact-senddate M6-localtime-without-senddate Q2-senddate-dashed
Q2-senddate-other-format Q5-utf8-bom Q6-column-spaces Q6-column-case Q6-unknown-column-as-field
Q12-senddate-past Q13-localtime-zone-ambiguous Q20-empty-after-substitution Q20-gsm7-parts Q20-ucs2-parts
Q20-gsm7-extension Q20-too-long Q25-no-contacts Q26-duplicate-phone
C2-phone-invalid C2-Q8-phone-empty C2-phone-letters C2-phone-column-missing Q8-leading-plus Q8-leading-8
Q8-formatted Q8-formatted-leading-8 Q8-scientific Q8-scientific-comma Q9-bad-row-skipped
Q9-setting-rejects-archive N3-plain-bad-phone
N1-plain-txt N1-plain-csv N2-several-lines N3-text-missing N4-account-sender N4-no-default-sender
N5-account-validity N6-senddate-column-ignored Q18-first-line-is-data Q19-unquoted-semicolon
Q21-plain-for-template-account
M7-Q28-empty-validity-cell Q28-unfilled-column-rejected Q29-quoted-value-loses-quotes Q29-literal-quotes-by-setting
Q29-plain-quoted-text Q30-all-waiting-in-one-check M3-sender-15-digits Q10-sender-16-digits M2-standard-columns
M4-default-1440-not-account-validity Q11-validity-zero-refused Q2-senddate-without-seconds Q20-2000-characters
Q20-255-parts Q8-plus-and-8-by-setting N3-telnr-header Z2-plain-encrypted Z4-plain-cp1251-not-arranged
Z4-plain-cp1251-arranged
C2-invalid-number-not-sent C2-letters-not-sent C2-phone-not-first-column C2-international-number
N3-text-missing-not-sent N3-empty-text-not-sent N4-default-not-first-approved M3-template-sender-carried
C3-senddate-account-zone P4-large-archives-not-interleaved
""".split()  # noqa: SIM905 - a block of ids reads better than a list literal


def _spec_ids() -> list[str]:
    if not SPEC.is_file():
        pytest.skip(f"{SPEC} is not at hand")
    return re.findall(r"^\| ([TPRZCMNQ]\d{1,2}) \|", SPEC.read_text(encoding="utf-8"), re.MULTILINE)


def test_statement_ids_equal_the_spec() -> None:
    """The id list kept in the package equals statements.md's plus the project's own (and the simulator's)."""
    ours = [i for i in list(STATEMENT_IDS) + list(OPEN_QUESTIONS) if i not in PROJECT_ADDED]
    assert ours == _spec_ids()
    assert set(STATEMENT_IDS) == set(SIM_STATEMENTS)
    assert set(OPEN_QUESTIONS) == set(SIM_QUESTIONS)


@pytest.mark.parametrize("statement", STATEMENT_IDS + OPEN_QUESTIONS)
def test_every_statement_and_open_question_has_a_case(statement: str) -> None:
    assert any(statement in case.statements for case in all_cases()), statement


@pytest.mark.parametrize("statement", [s for s in STATEMENT_IDS + OPEN_QUESTIONS if s != "R1"])
def test_every_statement_but_r1_has_a_case_that_runs_on_live(statement: str) -> None:
    """R1 is a web page: the one statement that FTP cannot show."""
    assert any(statement in c.statements and not c.sim_only and not c.account for c in all_cases()), statement


def test_ids_are_unique_well_formed_and_name_their_statements() -> None:
    ids = [case.id for case in all_cases()]
    assert len(ids) == len(set(ids))
    for case in all_cases():
        assert ID.match(case.id), case.id
        named = re.findall(r"(?:^|-)([TPRZCMNQ]\d{1,2})(?=-)", case.id)
        assert named and set(named) <= set(case.statements), case.id
        assert set(case.statements) <= set(STATEMENT_IDS + OPEN_QUESTIONS), case.id


def test_published_ids_are_kept_or_retired_and_retired_ids_never_come_back() -> None:
    current = {case.id for case in all_cases()}
    assert not current & RETIRED_IDS
    assert set(PUBLISHED) - current <= RETIRED_IDS, "a published case vanished without being retired"
    assert current <= set(PUBLISHED), f"add the new ids to PUBLISHED: {sorted(current - set(PUBLISHED))}"


def test_descriptions_are_one_line() -> None:
    for case in all_cases():
        assert case.description and "\n" not in case.description and len(case.description) < 140, case.id


def test_archives_are_deterministic_and_named_for_the_login() -> None:
    for case in all_cases():
        first, again = case.archives(), case.archives()
        assert first == again, case.id
        assert len(first) == len(case.expected.archives), case.id
    case = get_case("T1-plain-ftp")
    [(name, data)] = case.archives("someone")
    assert name == "someone_20261125120000.zip" and data == case.archives()[0][1]  # the login is in the name


def test_expected_messages_are_valid_and_timed_consistently() -> None:
    for case in all_cases():
        for expected in case.expected.archives:
            for message in expected.messages or ():
                number = phonenumbers.parse("+" + message.phone)
                assert phonenumbers.is_valid_number(number), (case.id, message.phone)
                assert message.segments >= 1 and message.encoding in ("GSM-7", "UCS-2")
                scheduled = isinstance(message.send_at, datetime)
                assert not scheduled or case.needs_clock, f"{case.id} depends on the clock"
                if isinstance(message.send_at, AfterProcessing):
                    assert isinstance(message.expires_at, AfterProcessing)


def test_cases_that_need_an_account_say_why_they_are_sim_only() -> None:
    for case in all_cases():
        if case.account:
            assert case.sim_only, case.id
        assert case.scenario in SCENARIOS


def test_select_cases_by_globs() -> None:
    assert [c.id for c in select_cases(["Q8-leading-*"])] == ["Q8-leading-plus", "Q8-leading-8"]
    picked = {c.id for c in select_cases(["Q8*,Z1-name-example"], ["*scientific*"])}
    assert "Z1-name-example" in picked and "Q8-scientific" not in picked and "Q8-formatted" in picked
    assert len(select_cases()) == len(all_cases())
    with pytest.raises(KeyError, match="Q8-leading-8"):
        get_case("Q8-leading-9")
