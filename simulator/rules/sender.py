"""The sender name, `sourceaddress` (M3, N4, Q10).

Two shapes are accepted: a name of Latin letters (digits, `-`, `.` and space
allowed inside) of at most 11 characters, or a number of digits only, at most 15.
A name must hold at least one letter: `12-34` is neither a name nor a number
for an operator.  The name is compared with the account's approved senders
exactly; case matters (`TESTSMS` is not `TestSms`).  Without the approved list
(the linter without an accounts file) approval is not checked, and a warning
says so.  Every sender error rejects the archive: no message of it could be
sent under the right name.
"""

from __future__ import annotations

from collections.abc import Iterator

from smsftp.simulator.rules.accounts import Account
from smsftp.simulator.rules.diagnostics import (
    REGISTRY,
    SENDER_APPROVAL_UNCHECKED,
    SENDER_CASE_MISMATCH,
    SENDER_INVALID_CHARACTERS,
    SENDER_MISSING,
    SENDER_NO_DEFAULT,
    SENDER_NOT_APPROVED,
    SENDER_TOO_LONG,
    Check,
    Diagnostic,
    diagnostic,
)
from smsftp.simulator.rules.textio import Where

MAX_NAME = 11
MAX_DIGITS = 15
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-. ")


def _shown(value: str) -> str:
    return value if len(value) <= 40 else value[:40] + "…"


def sender_shape_problem(value: str) -> tuple[str, str] | None:
    """(code, message) when ``value`` is not a possible sender at all; None when its shape is right."""
    if not value.strip():
        return SENDER_MISSING.code, "`sourceaddress` is empty."
    if value.isascii() and value.isdigit():
        if len(value) > MAX_DIGITS:
            return SENDER_TOO_LONG.code, (
                f"The sender {_shown(value)!r} has {len(value)} digits; a numeric sender has at most {MAX_DIGITS}."
            )
        return None
    bad = sorted({c for c in value if c not in _NAME_CHARS})
    if bad:
        shown = " ".join(repr(c) for c in bad[:8])
        return SENDER_INVALID_CHARACTERS.code, (
            f"The sender {_shown(value)!r} has characters other than Latin letters, digits, `-`, "
            f"`.` and space: {shown}."
        )
    if not any(c.isalpha() for c in value):
        return SENDER_INVALID_CHARACTERS.code, (
            f"The sender {_shown(value)!r} is neither a name with a Latin letter nor a number of digits only."
        )
    if len(value) > MAX_NAME:
        return SENDER_TOO_LONG.code, (
            f"The sender {_shown(value)!r} has {len(value)} characters; a letter sender has at most {MAX_NAME}."
        )
    return None


def sender_problems(
    value: str, account: Account, *, file: str | None = None, line: int | None = None, column: int | None = None
) -> Iterator[Diagnostic]:
    """Everything wrong with ``value`` as this account's sender; errors reject the archive.

    SMS701 empty, SMS702 too long, SMS703 characters, SMS704 not approved,
    SMS706 approved only in another case, SMS705 (warning) approval unknown.
    """
    where = Where(file=file, line=line, column=column)
    shape = sender_shape_problem(value)
    if shape is not None:
        code, message = shape
        hint = None
        if (
            code == SENDER_INVALID_CHARACTERS.code
            and value.strip() != value
            and sender_shape_problem(value.strip()) is None
        ):
            hint = "Remove the spaces around the sender."
        yield diagnostic(REGISTRY[code], message, hint=hint, **where)
        return
    if not account.senders_known:
        yield diagnostic(
            SENDER_APPROVAL_UNCHECKED,
            f"The sender {value!r} could not be checked against the account's approved senders: none are known here.",
            **where,
        )
        return
    if value in account.senders:
        return
    twins = [s for s in account.senders if s.casefold() == value.casefold()]
    if twins:
        yield diagnostic(
            SENDER_CASE_MISMATCH,
            f"The sender {value!r} differs from the approved sender {twins[0]!r} only by letter case.",
            hint=f"Write the sender exactly as approved: {twins[0]!r}.",
            **where,
        )
        return
    trimmed = [s for s in account.senders if s == value.strip()]
    if trimmed:
        hint = f"Remove the spaces around the sender: {trimmed[0]!r}."
    elif account.senders:
        hint = (
            f"Approved for this account: {', '.join(account.senders)}. Use one of them, or request "
            f"{value!r} in the cabinet."
        )
    else:
        hint = "The account has no approved senders yet: request one in the cabinet."
    yield diagnostic(
        SENDER_NOT_APPROVED,
        f"The sender {value!r} is not approved for account {account.login!r}.",
        hint=hint,
        **where,
    )


def default_sender_problems(account: Account) -> Check[str | None]:
    """Plain mode's sender (N4): the account's default, or SMS707 when it has none."""
    if account.default_sender:
        return account.default_sender
    yield diagnostic(
        SENDER_NO_DEFAULT, f"Account {account.login!r} has no default sender, which a plain archive needs."
    )
    return None
