"""Putting the cases onto the tester's own numbers and sender (smsftp.conformance.live.localize), for a live run.

The end-to-end proof runs the whole catalogue on the simulator through such a map: a throw-away
account approves the mapped sender, every case is rewritten, and every verdict stays what it is
without the map.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from smsftp.conformance.cases import Case, all_cases, get_case
from smsftp.conformance.cases.model import RawFile, RawRows, one
from smsftp.conformance.cases.samples import (
    IVAN,
    OLGA,
    PHONE_A,
    PHONE_B,
    PHONE_C,
    SAMPLE_NUMBERS,
    TEMPLATE,
    TOO_SHORT,
    ivan,
    olga,
)
from smsftp.conformance.cases.spellings import SPELLINGS, other_case, spell
from smsftp.conformance.client.builder import ArchiveSpec
from smsftp.conformance.judge.corpus import case_account
from smsftp.conformance.judge.runner import run_case
from smsftp.conformance.judge.targets import SimTarget
from smsftp.conformance.judge.verdicts import Outcome
from smsftp.conformance.live.localize import Localization, login_problem, parse_sender, parse_tester_numbers
from smsftp.conformance.live.safety import ArchiveGuard, destinations, inspect_archive
from smsftp.simulator.app import Simulator

# Two mobiles, a third, and a landline in each zone that M6 needs: every case can run on these.
# The sixth is in a range the register assigns to the whole country, like the sample it stands for (Q13).
MINE = ("79991112233", "79991112244", "79991112255", "73832654321", "73433654321", "79541031234")
SENDER = "MYSHOP"
FULL = Localization(MINE, SENDER)


def _live_cases() -> list[Case]:
    """The cases a live run can run: a sim-only case never meets the tester's map (its own numbers,
    such as 1,500 recipients or a foreign number, or its own senders, stay on the simulator)."""
    return [case for case in all_cases() if not case.sim_only]


def _spec(case: Case | None) -> ArchiveSpec:
    assert case is not None
    spec = case.recipes[0]
    assert isinstance(spec, ArchiveSpec)
    return spec


def _cells(case: Case) -> Iterator[str]:
    for recipe in case.recipes:
        if isinstance(recipe, ArchiveSpec):
            yield from (v for row in (*recipe.contacts, *recipe.plain_rows) for v in row)


def test_q8_every_spelling_is_made_from_the_number_itself() -> None:
    assert [spell(f, PHONE_B) for f in SPELLINGS.values()] == [
        "79161234567",
        "+79161234567",
        "89161234567",
        "7 (916) 123-45-67",
        "8 (916) 123-45-67",
        "7.9161234567E+10",
        "7,9161234567E+10",
    ]
    assert [SPELLINGS[k]("380501234567") for k in ("plus", "domestic", "formatted", "scientific")] == [
        "+380501234567",
        None,
        None,
        "3.80501234567E+11",
    ]
    with pytest.raises(ValueError, match="domestic"):
        spell(SPELLINGS["domestic"], "380501234567")


@pytest.mark.parametrize(
    "case_id",
    [
        "Q8-leading-plus",
        "Q8-leading-8",
        "Q8-formatted",
        "Q8-formatted-leading-8",
        "Q8-scientific",
        "Q8-scientific-comma",
        "N3-plain-bad-phone",
    ],
)
def test_q8_each_spelling_gets_the_testers_number_in_the_same_spelling(case_id: str) -> None:
    case = get_case(case_id)
    done = FULL.apply(case, "tester").case
    assert done is not None
    before, after = list(_cells(case)), list(_cells(done))
    for old, new in zip(before, after, strict=True):
        kinds = [k for k, f in SPELLINGS.items() for i, n in enumerate(SAMPLE_NUMBERS) if f(n) == old]
        if kinds:
            index = next(i for i, n in enumerate(SAMPLE_NUMBERS) for f in SPELLINGS.values() if f(n) == old)
            assert new == SPELLINGS[kinds[0]](MINE[index]), (old, new)
        else:
            assert new == old


def test_c2_no_sample_number_survives_in_any_rewritten_archive() -> None:
    """What the guard reads in every rewritten archive: the tester's numbers, or what an invalid value may be."""
    samples = set(SAMPLE_NUMBERS)
    for case in _live_cases():
        done = FULL.apply(case, "tester").case
        assert done is not None, case.id
        for (name, data), expected in zip(done.archives("tester"), done.expected.archives, strict=True):
            found = inspect_archive(name, data)
            assert found.too_large or not found.numbers & samples, (case.id, found.numbers & samples)
            for message in expected.messages or ():
                # A simulator-only case may name its own approved sender (M3's 15 digits); it never runs live.
                own = case.sim_only is not None and message.sender == case.sender
                assert message.phone in MINE and (message.sender in (SENDER, "INFOSMS") or own), (case.id, message)


def test_every_number_in_the_catalogue_is_a_samples_spelling_or_deliberately_invalid() -> None:
    """A new case that types a number by hand would keep it on live: the guard would skip it. Keep them built."""
    spelt = {f(n) for n in SAMPLE_NUMBERS for f in SPELLINGS.values()}
    for case in _live_cases():
        for recipe in case.recipes:
            if isinstance(recipe, ArchiveSpec):
                header = [h.strip().lower() for h in recipe.contacts_header]
                column = header.index("phone") if "phone" in header else 0
                phones = [row[column] for row in recipe.contacts if column < len(row)]
                phones += [row[0] for row in recipe.plain_rows if row]
                for value in phones:
                    assert value in spelt or value == TOO_SHORT or not destinations(value), (case.id, value)
                raws = [
                    recipe.contacts_raw,
                    recipe.template_raw,
                    recipe.plain_raw,
                    *(data for _, data in recipe.extra_entries),
                ]
                for raw in raws:
                    assert raw is None or isinstance(raw, RawRows) or not re.search(rb"\d{7}", raw), case.id


def test_c2_invalid_values_are_left_as_written_and_noted() -> None:
    done = FULL.apply(get_case("C2-phone-invalid"), "tester")
    assert done.case is not None
    assert [row[0] for row in _spec(done.case).contacts] == [MINE[0], TOO_SHORT]
    assert any("'7903123456'" in note for note in done.notes)
    # A lenient platform could read it as 77903123456: the live guard refuses the archive.
    name, data = done.case.archives("tester")[0]
    assert "77903123456" in inspect_archive(name, data).numbers - set(MINE)
    letters = FULL.apply(get_case("C2-phone-letters"), "tester").case
    assert letters is not None
    ArchiveGuard(frozenset(MINE), 10)(*letters.archives("tester")[0])  # reaches nobody: it may run


def test_z5_q19_raw_rows_are_joined_again_with_the_testers_number() -> None:
    commas = FULL.apply(get_case("Z5-comma-separated"), "tester").case
    assert commas is not None
    raw = _spec(commas).contacts_raw
    assert raw == f"phone,attr1,attr2\r\n{MINE[0]},Иван,Петров\r\n".encode() and isinstance(raw, RawRows)
    plain = FULL.apply(get_case("Q19-unquoted-semicolon"), "tester").case
    assert plain is not None
    assert _spec(plain).plain_raw == f"TELRN_LONG;TEXT\r\n{MINE[0]};Hello; world\r\n".encode()
    assert RawRows((("a", "b;c"),), separator=";", newline="\n") == b"a;b;c\n"


def test_m2_a_number_in_a_text_is_rewritten_in_the_expected_text_too() -> None:
    text = f"Перезвоните: {spell(SPELLINGS['formatted-domestic'], PHONE_C)}"
    spec = replace(TEMPLATE, contacts=((PHONE_A, text, ""),))
    rendered = f"Уважаемый {text} ! Ваш заказ готов к выдаче."
    case = Case(
        "M2-number-in-text",
        "a number in a field",
        ("M2",),
        (spec,),
        one("accepted", messages=(replace(ivan(), text=rendered),)),
    )
    done = FULL.apply(case, "tester").case
    assert done is not None and done.expected.archives[0].messages is not None
    assert _spec(done).contacts[0][1] == "Перезвоните: 8 (999) 111-22-55"
    assert done.expected.archives[0].messages[0].text == rendered.replace("8 (926) 123-45-67", "8 (999) 111-22-55")


def test_samples_map_i_mod_n_and_too_few_numbers_skip_safety() -> None:
    two = Localization(MINE[:2])
    p4 = two.apply(get_case("P4-one-at-a-time"), "tester")
    assert p4.case is None and p4.reason == "needs 3 distinct numbers, have 2"
    one_number = Localization(MINE[:1]).apply(get_case("Q8-leading-8"), "tester")
    assert one_number.reason == "needs 2 distinct numbers, have 1"
    # Samples 0 and 2 of a run with two numbers fall on the same one: the case needs two, and has not.
    spec = replace(TEMPLATE, contacts=(IVAN, OLGA))
    case = Case("C2-two", "two recipients", ("C2",), (spec,), one("accepted", messages=(ivan(), olga())))
    shared = two.apply(case, "tester")
    assert shared.case is None and "needs 2 distinct numbers" in (shared.reason or "")
    assert "i mod 2" in (shared.reason or "")
    assert two.apply(get_case("T1-plain-ftp"), "tester").case is not None


def test_m6_outcome_by_time_zone_needs_a_number_in_the_samples_zone() -> None:
    mobiles = Localization((*MINE[:3], "79991112266", "79991112277"))
    m6 = mobiles.apply(get_case("M6-localtime"), "tester")
    assert m6.case is None and "Asia/Novosibirsk" in (m6.reason or "")
    assert mobiles.apply(get_case("M6-localtime-zero"), "tester").case is not None  # the client's zone
    assert mobiles.apply(get_case("Q13-localtime-zone-ambiguous"), "tester").case is not None
    kyiv = Localization(("380501234567",)).apply(get_case("Q13-localtime-zone-ambiguous"), "tester")
    assert kyiv.case is None and "Europe/Kyiv" in (kyiv.reason or "")
    spelled = Localization(("380501234567", "380501234568")).apply(get_case("Q8-leading-8"), "tester")
    assert spelled.case is None and "domestic spelling" in (spelled.reason or "")
    assert FULL.apply(get_case("M6-localtime"), "tester").case is not None


def test_m3_sender_approved_other_case_and_unapproved() -> None:
    case = FULL.apply(get_case("M3-sender-case"), "tester").case
    assert ("sourceaddress", "myshop") in _spec(case).template_items
    assert other_case("MyShop") == "mYsHOP" and other_case("12345") is None
    digits = Localization(sender="12345").apply(get_case("M3-sender-case"), "tester")
    assert digits.case is None and "no letters" in (digits.reason or "")
    same = Localization(sender="NotApproved").apply(get_case("M3-sender-not-approved"), "tester")
    assert same.case is None and "approved for nobody" in (same.reason or "")
    plain = Localization(sender=SENDER).apply(get_case("N5-account-validity"), "tester").case
    assert plain is not None and plain.account_for().senders == (SENDER,)
    assert [m.sender for m in plain.expected.archives[0].messages or ()] == [SENDER]
    with pytest.raises(ValueError, match="not a valid sender"):
        parse_sender("TOOLONGSENDER")
    assert parse_sender(" MYSHOP ") == "MYSHOP"


def test_q3_every_archive_name_uses_the_runs_login() -> None:
    others = set()
    for case in all_cases():
        for recipe, (name, _) in zip(case.recipes, case.archives("tester"), strict=True):
            if "tester" not in name.lower():
                others.add((case.id, name))
                assert isinstance(recipe, RawFile) or (recipe.filename and "{login" not in recipe.filename)
    assert others == {
        ("Z1-name-not-pattern", "campaign.zip"),
        ("T4-ftp-commands", "notes.txt"),
        ("Q15-non-zip-left", "notes.txt"),
        ("Q3-login-mismatch", "someoneelse_20261125120000.zip"),
    }
    assert get_case("Q3-login-case").archives("tester")[0][0] == "TESTER_20261125120000.zip"
    assert login_problem(get_case("Q3-login-case"), "12345") is not None
    assert login_problem(get_case("Q3-login-mismatch"), "SomeoneElse") is not None
    assert Localization().apply(get_case("Q3-login-case"), "12345").case is None


def test_identity_keeps_the_case_itself() -> None:
    case = get_case("P4-one-at-a-time")
    assert Localization().apply(case, "guest").case is case
    assert Localization(SAMPLE_NUMBERS, "TESTSMS").apply(case, "guest").case is case
    assert Localization((*SAMPLE_NUMBERS, "79991112233")).identity  # sample i -> number i mod 6: itself
    assert not Localization(SAMPLE_NUMBERS[::-1]).identity and not Localization(sender=SENDER).identity


def test_tester_numbers_are_validated_and_keep_their_order() -> None:
    assert parse_tester_numbers("+7 999 111-22-44, 89991112233") == ("79991112244", "79991112233")
    with pytest.raises(ValueError, match="not valid"):
        parse_tester_numbers("79991112233, 7999111223")


def test_case_account_is_one_method_for_the_target_and_the_corpus() -> None:
    case = get_case("N5-account-validity")
    assert case_account(case) == (case.account_for(), [])
    assert case.account_for().validity == 60 and case.account_for("other").login == "other"
    odd = replace(case, account=(*case.account, ("naive_poller", True)), _cache={})
    assert odd.service_settings == ["naive_poller"] and odd.account_for() == case.account_for()


def test_budget_is_charged_per_message_after_the_rewrite() -> None:
    done = FULL.apply(get_case("P4-one-at-a-time"), "tester").case
    assert done is not None
    guard = ArchiveGuard(frozenset(MINE), 10)
    for name, data in done.archives("tester"):
        guard(name, data)
    assert guard.spent == 4


# --- end to end on the simulator -------------------------------------------------------------------
@pytest.fixture(scope="module")
def simulator(service_cert: tuple[Path, Path]) -> Iterator[Simulator]:
    cert, key = service_cert
    with Simulator(api_port=None, cert=cert, key=key) as sim:
        yield sim


def test_whole_catalogue_on_the_simulator_through_the_testers_map(simulator: Simulator) -> None:
    """A throw-away account 'tester' approves MYSHOP; every case still gets the verdict it has without a map."""
    target = SimTarget(simulator, login="tester", localization=FULL)
    bad, phones = [], set()
    for case in _live_cases():
        simulator.reset()
        verdict = run_case(case, target)
        phones |= {m["phone"] for a in verdict.observation.archives for m in a.messages or ()}
        wanted = Outcome.INFORMATIONAL if case.informational else Outcome.OK
        ok = verdict.outcome is wanted and not [f for f in verdict.findings if f.kind in ("mismatch", "lenient")]
        if not ok:
            bad.append(verdict.text())
    assert not bad, "\n\n".join(bad)
    assert simulator.accounts["tester"].senders == (SENDER,)
    assert phones == set(MINE)  # and nothing else, from the cases on the tester's own account


def test_too_few_numbers_on_the_simulator_are_skipped_safety_with_the_reason(simulator: Simulator) -> None:
    simulator.reset()
    target = SimTarget(simulator, login="tester2", localization=Localization(MINE[:2], SENDER))
    verdict = run_case(get_case("Q20-ucs2-parts"), target)
    assert verdict.outcome is Outcome.SKIPPED_SAFETY and verdict.reason == "needs 3 distinct numbers, have 2"
    fine = run_case(get_case("T1-plain-ftp"), target)
    assert fine.outcome is Outcome.OK, fine.text()
    assert re.search(r"numbers: 79031234567 -> 79991112233", " ".join(fine.observation.notes))
