"""The diagnostic registry stays sane: stable codes, one area per hundred, real statements."""

from __future__ import annotations

import re

import pytest

from smsftp.simulator.rules.diagnostics import REGISTRY, Diagnostic, Severity, diagnostic

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
    statements = pytest.importorskip("smsftp.simulator.rules.statements")
    known = set(statements.STATEMENTS) | set(statements.OPEN_QUESTIONS)
    missing = {r.code: r.statement for r in REGISTRY.values() if r.statement not in known}
    assert not missing


def test_diagnostic_defaults_to_the_rules_text_and_round_trips_json() -> None:
    d = diagnostic("SMS503", file="sms/contacts.csv", line=3, column=1)
    assert d.severity is Severity.ERROR and d.statement == "Q8" and d.name == "phone-leading-8"
    assert d.message == REGISTRY["SMS503"].summary and d.hint == REGISTRY["SMS503"].fix
    assert Diagnostic.from_json(d.to_json()) == d
    assert d.to_json()["severity"] == "error"


def test_unknown_code_is_our_bug_not_a_diagnostic() -> None:
    with pytest.raises(KeyError):
        diagnostic("SMS999")
