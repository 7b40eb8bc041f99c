"""Cases about recipients' numbers: the document's international format and every other spelling.

Statements C2, N3 and the open questions Q8, Q9.  Whether a bad row rejects only itself or the
whole archive is Q9, so the cases with a good row beside a bad one are probes; what C2 itself
says, that a number not in international format is never sent to, has cases of its own whose
archive may go either way (``EITHER``) but must send nothing.
"""

from __future__ import annotations

from dataclasses import replace

from smsftp.conformance.cases.model import EITHER, Case, one, sms
from smsftp.conformance.cases.samples import (
    IVAN,
    OLGA,
    PHONE_A,
    PHONE_B,
    TEMPLATE,
    TEXT_IVAN,
    TOO_SHORT,
    UK_MOBILE,
    ivan,
    olga,
)
from smsftp.conformance.cases.spellings import (
    domestic,
    formatted,
    formatted_domestic,
    plus,
    scientific,
    scientific_comma,
    spell,
)
from smsftp.simulator.rules.diagnostics import (
    CSV_MISSING_COLUMN,
    PHONE_EMPTY,
    PHONE_FORM_NORMALIZED,
    PHONE_FORMATTING,
    PHONE_INVALID,
    PHONE_LEADING_8,
    PHONE_LEADING_PLUS,
    PHONE_NOT_DIGITS,
    PHONE_SCIENTIFIC_NOTATION,
    ROW_REJECTS_ARCHIVE,
)

_MARIA_NAME = ("Мария", "Сидорова")


def _bad_phone(
    case_id: str, description: str, statements: tuple[str, ...], spelling: str, code: str, *, informational: bool = True
) -> Case:
    """Ivan's row and Maria's row with her number spelt ``spelling``: Maria's row alone is not sent (Q9)."""
    spec = replace(TEMPLATE, contacts=(IVAN, (spelling, *_MARIA_NAME)))
    return Case(
        case_id,
        description,
        statements,
        (spec,),
        one("accepted", code, messages=(ivan(),)),
        informational=informational,
    )


CASES: tuple[Case, ...] = (
    _bad_phone(
        "C2-phone-invalid",
        "A number one digit short (7903123456) rejects its row",
        ("C2", "Q9"),
        TOO_SHORT,
        PHONE_INVALID.code,
    ),
    _bad_phone("C2-Q8-phone-empty", "An empty phone rejects its row", ("C2", "Q8"), "", PHONE_EMPTY.code),
    _bad_phone(
        "C2-phone-letters",
        "A name in the phone column rejects its row",
        ("C2",),
        "Sidorova",
        PHONE_NOT_DIGITS.code,
    ),
    Case(
        "C2-phone-column-missing",
        "A contacts.csv without a phone column is rejected",
        ("C2", "C1"),
        (replace(TEMPLATE, contacts_header=("tel", "attr1", "attr2")),),
        one("rejected", CSV_MISSING_COLUMN.code),
    ),
    _bad_phone(
        "Q8-leading-plus", "+79161234567 rejects its row", ("Q8",), spell(plus, PHONE_B), PHONE_LEADING_PLUS.code
    ),
    _bad_phone(
        "Q8-leading-8",
        "89161234567 (Russian domestic) rejects its row",
        ("Q8",),
        spell(domestic, PHONE_B),
        PHONE_LEADING_8.code,
    ),
    _bad_phone(
        "Q8-formatted", "7 (916) 123-45-67 rejects its row", ("Q8",), spell(formatted, PHONE_B), PHONE_FORMATTING.code
    ),
    _bad_phone(
        "Q8-formatted-leading-8",
        "8 (916) 123-45-67 rejects its row",
        ("Q8",),
        spell(formatted_domestic, PHONE_B),
        "SMS505|SMS503",
    ),
    _bad_phone(
        "Q8-scientific",
        "Excel's 7.9161234567E+10 rejects its row",
        ("Q8",),
        spell(scientific, PHONE_B),
        PHONE_SCIENTIFIC_NOTATION.code,
    ),
    _bad_phone(
        "Q8-scientific-comma",
        "Excel's Russian-locale 7,9161234567E+10 rejects its row",
        ("Q8",),
        spell(scientific_comma, PHONE_B),
        PHONE_SCIENTIFIC_NOTATION.code,
    ),
    Case(
        "Q8-plus-and-8-by-setting",
        "An account that accepts +7 and 8, as the HTTP API does, sends both rows to the international number",
        ("Q8",),
        (
            replace(
                TEMPLATE,
                contacts=(IVAN, (spell(plus, PHONE_B), *_MARIA_NAME), (spell(domestic, PHONE_B), "Ольга", "Кузнецова")),
            ),
        ),
        one(
            "accepted",
            PHONE_FORM_NORMALIZED.code,
            messages=(
                ivan(),
                sms(PHONE_B, "Уважаемый Мария Сидорова! Ваш заказ готов к выдаче.", 1, "UCS-2"),
                sms(PHONE_B, "Уважаемый Ольга Кузнецова! Ваш заказ готов к выдаче.", 1, "UCS-2"),
            ),
        ),
        account=(("login", "lenient"), ("accept_plus_and_8", True)),
        sim_only="needs an account set to accept +7 and 8",
    ),
    Case(
        "Q9-bad-row-skipped",
        "A bad row between two good ones: the good ones are sent",
        ("Q9", "Q8"),
        (replace(TEMPLATE, contacts=(IVAN, (spell(domestic, PHONE_B), *_MARIA_NAME), OLGA)),),
        one("accepted", PHONE_LEADING_8.code, messages=(ivan(), olga())),
        informational=True,
    ),
    Case(
        "Q9-setting-rejects-archive",
        "With reject_archive_on_bad_row one bad row rejects the archive",
        ("Q9",),
        (replace(TEMPLATE, contacts=(IVAN, (spell(domestic, PHONE_B), *_MARIA_NAME))),),
        one("rejected", ROW_REJECTS_ARCHIVE.code, PHONE_LEADING_8.code),
        account=(("login", "strict"), ("reject_archive_on_bad_row", True)),
        informational=True,
        sim_only="needs an account set to reject archives with a bad row",
    ),
    Case(
        "N3-plain-bad-phone",
        "A plain row with 89031234567 is not sent; the others are",
        ("N3", "Q8"),
        (replace(TEMPLATE, mode="plain", plain_rows=((spell(domestic, PHONE_A), "Hi"), (PHONE_B, "Hi"))),),
        one("accepted", PHONE_LEADING_8.code, messages=(sms(PHONE_B, "Hi", 1, "GSM-7"),)),
        informational=True,
    ),
    Case(
        "C2-invalid-number-not-sent",
        "A number one digit short is never sent to (whether its archive is rejected is Q9)",
        ("C2",),
        (replace(TEMPLATE, contacts=((TOO_SHORT, *_MARIA_NAME),)),),
        one(EITHER, PHONE_INVALID.code),
    ),
    Case(
        "C2-letters-not-sent",
        "A name in the phone column is never sent to (whether its archive is rejected is Q9)",
        ("C2",),
        (replace(TEMPLATE, contacts=(("Sidorova", *_MARIA_NAME),)),),
        one(EITHER, PHONE_NOT_DIGITS.code),
    ),
    Case(
        "C2-phone-not-first-column",
        "The recipient is read from the column named phone, wherever it stands",
        ("C2", "C1"),
        (replace(TEMPLATE, contacts_header=("attr1", "phone", "attr2"), contacts=(("Иван", PHONE_A, "Петров"),)),),
        one("accepted", messages=(ivan(),)),
    ),
    Case(
        "C2-international-number",
        "A valid number of another country (447911123456, United Kingdom) is sent to",
        ("C2", "N3"),
        (replace(TEMPLATE, contacts=((UK_MOBILE, "Иван", "Петров"),)),),
        one("accepted", messages=(sms(UK_MOBILE, TEXT_IVAN, 1, "UCS-2"),)),
        sim_only="sends to a foreign number, which is not the tester's own",
    ),
)
