"""The sender name (M3, N4, Q10): simulator/sender.py."""

from __future__ import annotations

import pytest

from smsftp.simulator.rules.accounts import Account
from smsftp.simulator.rules.diagnostics import collect
from smsftp.simulator.rules.sender import default_sender_problems, sender_problems, sender_shape_problem

ACCOUNT = Account(login="guest", senders=("TESTSMS", "Shop-1.ru", "79031234567"), default_sender="TESTSMS")


def codes(value: str, account: Account = ACCOUNT) -> list[str]:
    return [d.code for d in sender_problems(value, account, file="sms/template.csv", line=2, column=7)]


@pytest.mark.parametrize("value", ["TESTSMS", "Shop-1.ru", "79031234567"])
def test_m3_approved_sender_is_accepted(value: str) -> None:
    assert codes(value) == []


@pytest.mark.parametrize("value", ["A", "ABCDEFGHIJK", "My Shop", "a.b-c 1", "1" * 15, "12345"])
def test_q10_good_shapes(value: str) -> None:
    assert sender_shape_problem(value) is None


@pytest.mark.parametrize(
    "value,code",
    [
        ("ABCDEFGHIJKL", "SMS702"),  # 12 letters
        ("1" * 16, "SMS702"),  # 16 digits
        ("МАГАЗИН", "SMS703"),  # Cyrillic
        ("Shop!", "SMS703"),
        ("Shop_1", "SMS703"),
        ("12-34", "SMS703"),  # no letter, not digits only
        ("", "SMS701"),
        ("   ", "SMS701"),
    ],
)
def test_q10_bad_shapes_reject(value: str, code: str) -> None:
    assert codes(value) == [code]
    found = list(sender_problems(value, ACCOUNT, file="sms/template.csv", line=2, column=7))
    assert found[0].is_error and (found[0].line, found[0].column) == (2, 7)


def test_m3_not_approved_sms704_lists_approved() -> None:
    found = list(sender_problems("OTHER", ACCOUNT))
    assert [d.code for d in found] == ["SMS704"]
    assert "TESTSMS" in found[0].hint


def test_m3_case_only_mismatch_sms706() -> None:
    found = list(sender_problems("TestSms", ACCOUNT))
    assert [d.code for d in found] == ["SMS706"]
    assert "'TESTSMS'" in found[0].hint


def test_m3_surrounding_spaces_are_not_approved() -> None:
    found = list(sender_problems(" TESTSMS", ACCOUNT))
    assert [d.code for d in found] == ["SMS704"]
    assert "spaces" in found[0].hint


def test_m3_unknown_approval_warns_sms705_and_does_not_reject() -> None:
    account = Account(login="guest", senders_known=False)
    found = list(sender_problems("ANYNAME", account))
    assert [d.code for d in found] == ["SMS705"] and not found[0].is_error
    assert codes("ABCDEFGHIJKL", account) == ["SMS702"]  # the shape is still judged


def test_n4_plain_mode_default_sender() -> None:
    assert collect(default_sender_problems(ACCOUNT)) == ("TESTSMS", [])
    sender, found = collect(default_sender_problems(Account(login="guest")))
    assert sender is None and [d.code for d in found] == ["SMS707"]
