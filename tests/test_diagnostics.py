"""The diagnostic registry stays sane: stable codes, one area per hundred, real statements."""

from __future__ import annotations

import re

from smsftp.simulator.rules import diagnostics
from smsftp.simulator.rules.diagnostics import PHONE_LEADING_8, REGISTRY, Diagnostic, Rule, Severity, diagnostic
from smsftp.simulator.rules.statements import OPEN_QUESTIONS, STATEMENTS

AREAS = {
    "1": "naming",
    "2": "archive",
    "3": "csv",
    "4": "template",
    "5": "phone",
    "6": "schedule",
    "7": "sender",
    "8": "upload",
}


def test_codes_are_prefixed_three_digit_and_grouped_by_area() -> None:
    for code in REGISTRY:
        assert re.fullmatch(r"SMS[1-8]\d\d", code), code
        assert code[3] in AREAS


def test_names_are_unique_kebab_case() -> None:
    names = [r.name for r in REGISTRY.values()]
    assert len(names) == len(set(names))
    for name in names:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name), name


def test_every_rule_documents_what_why_fix_and_cites_a_statement() -> None:
    for rule in REGISTRY.values():
        assert rule.summary and rule.why and rule.fix, rule.code
        assert re.fullmatch(r"(T|P|R|Z|C|M|N|Q)\d+", rule.statement), rule.code


def test_statements_cited_exist_in_the_statement_table() -> None:
    known = set(STATEMENTS) | set(OPEN_QUESTIONS)
    missing = {r.code: r.statement for r in REGISTRY.values() if r.statement not in known}
    assert not missing


def test_diagnostic_defaults_to_the_rules_text_and_round_trips_json() -> None:
    d = diagnostic(PHONE_LEADING_8, file="sms/contacts.csv", line=3, column=1)
    assert d.severity is Severity.ERROR and d.statement == "Q8" and d.name == "phone-leading-8"
    assert d.message == REGISTRY["SMS503"].summary and d.hint == REGISTRY["SMS503"].fix
    assert Diagnostic.from_json(d.to_json()) == d
    assert d.to_json()["severity"] == "error"


def test_call_sites_name_rule_objects() -> None:
    """Every rule is a module constant named after it, so call sites write ``diagnostic(PHONE_LEADING_8)``."""
    for rule in REGISTRY.values():
        constant = rule.name.upper().replace("-", "_")
        assert getattr(diagnostics, constant) is rule, rule.code
    constants = [v for v in vars(diagnostics).values() if isinstance(v, Rule)]
    assert len(constants) == len(REGISTRY)


# Every code ever published, with its name. A code is never reused or renamed: a rule is retired by
# setting ``retired=True`` (it stays registered and documented), and a new rule's line is added here.
PUBLISHED = """
SMS101 archive-name-pattern
SMS102 archive-name-timestamp-invalid
SMS103 archive-name-login-mismatch
SMS104 archive-name-login-case
SMS201 archive-not-zip
SMS202 archive-empty
SMS203 archive-truncated
SMS204 archive-encrypted
SMS205 archive-unsupported-compression
SMS206 archive-entry-corrupt
SMS207 archive-no-sms-folder
SMS208 archive-junk-entry
SMS209 archive-unexpected-entry
SMS210 archive-unsafe-entry-name
SMS211 archive-symlink-entry
SMS212 archive-too-large
SMS213 archive-compression-ratio
SMS214 archive-mixed-modes
SMS215 archive-no-data-file
SMS216 archive-entry-names-cp866
SMS217 archive-several-plain-files
SMS218 archive-template-pair-incomplete
SMS219 archive-mode-not-allowed
SMS220 archive-duplicate-entry
SMS221 archive-data-file-name-case
SMS222 archive-internal-error
SMS223 archive-too-many-entries
SMS224 archive-local-header-mismatch
SMS225 archive-too-many-rows
SMS301 encoding-bom-stripped
SMS302 encoding-invalid-bytes
SMS303 csv-unterminated-quote
SMS304 csv-wrong-delimiter
SMS305 csv-missing-column
SMS306 csv-duplicate-column
SMS307 csv-unknown-column
SMS308 csv-column-name-spaces
SMS309 csv-row-field-count
SMS310 csv-empty-file
SMS311 csv-line-too-long
SMS401 template-row-count
SMS402 template-message-missing
SMS403 template-unknown-field
SMS404 message-empty
SMS405 message-too-long
SMS406 validity-invalid
SMS407 validity-out-of-range
SMS408 localtime-invalid
SMS409 localtime-without-senddate
SMS410 contacts-no-rows
SMS411 plain-header-unexpected
SMS412 plain-text-unquoted-separator
SMS413 plain-text-missing
SMS414 duplicate-phone
SMS415 duplicate-check-limit
SMS416 row-rejects-archive
SMS417 plain-extra-columns
SMS501 phone-empty
SMS502 phone-leading-plus
SMS503 phone-leading-8
SMS504 phone-scientific-notation
SMS505 phone-formatting
SMS506 phone-invalid
SMS507 phone-not-digits
SMS508 timezone-ambiguous
SMS509 timezone-unknown
SMS510 timezone-region-choice
SMS601 senddate-invalid
SMS602 senddate-past
SMS603 senddate-in-template-invalid
SMS701 sender-missing
SMS702 sender-too-long
SMS703 sender-invalid-characters
SMS704 sender-not-approved
SMS705 sender-approval-unchecked
SMS706 sender-case-mismatch
SMS707 sender-no-default
SMS801 upload-ascii-mode
SMS802 upload-incomplete
SMS803 upload-not-zip
SMS804 upload-repeated-name
SMS805 upload-no-temporary-name
SMS806 upload-not-encrypted
SMS807 upload-aborted
SMS830 upload-store-full
SMS312 csv-quoted-field
SMS313 column-unfilled
SMS314 column-unfilled-rejected
SMS418 message-too-many-characters
SMS419 phone-form-normalized
SMS420 validity-zero-default
SMS820 fault-not-retried
SMS821 fault-resumed-upload
SMS822 fault-duplicate-campaign
SMS823 fault-permanent-retried
SMS824 fault-handled
SMS808 client-nothing-uploaded
SMS809 upload-unprocessed
SMS810 upload-never-processed
SMS811 client-login-failed
SMS812 upload-reply-unread
"""


def test_published_codes_are_never_reused_renamed_or_dropped() -> None:
    published = dict(line.split() for line in PUBLISHED.strip().splitlines())
    current = {code: rule.name for code, rule in REGISTRY.items()}
    dropped = sorted(set(published) - set(current))
    assert not dropped, f"published codes must stay registered (retire them instead): {dropped}"
    renamed = {c: (published[c], current[c]) for c in published if published[c] != current[c]}
    assert not renamed, f"published codes keep their names: {renamed}"
    unpublished = sorted(set(current) - set(published))
    assert not unpublished, f"add new codes to PUBLISHED: {unpublished}"


def test_retired_codes_stay_documented() -> None:
    for rule in REGISTRY.values():
        if rule.retired:
            assert rule.summary and rule.why and rule.fix, rule.code
