"""SMS parts and encodings at their boundaries (Q20)."""

from __future__ import annotations

import random

import pytest

from smsftp.simulator.rules.segments import (
    BITS,
    ENCODING_OF_BITS,
    GSM_BASIC,
    GSM_EXTENSION,
    count_parts,
    count_units,
    forces_ucs2,
    ucs2_parts,
)

EMOJI = "\U0001f600"  # one astral character: a surrogate pair, two UTF-16 units


@pytest.mark.parametrize(
    ("length", "parts"),
    [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)],
)
def test_q20_gsm7_160_then_153_per_part(length: int, parts: int) -> None:
    assert count_parts("a" * length) == ("GSM-7", parts)


@pytest.mark.parametrize(
    ("length", "parts"),
    [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)],
)
def test_q20_ucs2_70_then_67_per_part(length: int, parts: int) -> None:
    assert count_parts("я" * length) == ("UCS-2", parts)


def test_q20_empty_text_takes_no_parts() -> None:
    assert count_parts("") == ("GSM-7", 0)


def test_q20_extension_characters_count_two_septets() -> None:
    assert count_units("{}") == ("GSM-7", 4)
    assert count_parts("€" * 80) == ("GSM-7", 1)  # 160 septets
    assert count_parts("€" * 81) == ("GSM-7", 2)  # 162 septets


def test_q20_extension_character_is_not_split_at_the_153_boundary() -> None:
    # 152 septets, then an extension character whose two septets would straddle 153.
    text = "a" * 152 + "[" + "a" * 100
    assert count_units(text)[1] == 254  # 2 parts if the escape could be split from its character
    assert count_parts(text) == ("GSM-7", 2)
    text = "a" * 152 + "[" + "a" * 152
    assert count_units(text)[1] == 306
    assert count_parts(text) == ("GSM-7", 3)  # part 1 holds 152 septets, not 153
    assert count_parts("a" * 151 + "[" + "a" * 153) == ("GSM-7", 2)  # fits exactly: 153 + 153


def test_q20_surrogate_pair_is_not_split_at_the_67_boundary() -> None:
    text = "я" * 66 + EMOJI + "я" * 67
    assert count_units(text) == ("UCS-2", 135)
    assert count_parts(text) == ("UCS-2", 3)  # part 1 holds 66 units, the emoji opens part 2
    assert count_parts("я" * 65 + EMOJI + "я" * 67) == ("UCS-2", 2)  # 67 + 67 exactly


def test_q20_emoji_counts_two_units_in_a_single_part() -> None:
    assert count_parts(EMOJI * 35) == ("UCS-2", 1)
    assert count_parts(EMOJI * 36) == ("UCS-2", 2)


def test_q20_one_character_outside_gsm_makes_the_whole_text_ucs2() -> None:
    assert count_parts("a" * 159 + "я") == ("UCS-2", 3)
    assert count_parts("Hello `world`") == ("UCS-2", 1)  # the backtick is not in GSM 03.38
    assert count_parts("Hello, Привет") == ("UCS-2", 1)


def test_q20_whole_gsm_alphabet_is_gsm7() -> None:
    assert count_parts(GSM_BASIC) == ("GSM-7", 1)
    assert count_units(GSM_BASIC + GSM_EXTENSION) == ("GSM-7", len(GSM_BASIC) + 2 * len(GSM_EXTENSION))
    assert count_parts("\x1b") == ("UCS-2", 1)  # the escape itself is no character of the text


def test_q20_cyrillic_message_of_realistic_length() -> None:
    text = "Уважаемый Иван Петрович! Ваш заказ №12345 готов к выдаче до 25.11. Ждём вас!"
    assert count_parts(text) == ("UCS-2", 2)
    assert count_parts(text[:70]) == ("UCS-2", 1)


def test_q20_many_parts_for_the_255_cap() -> None:
    assert count_parts("я" * 17_085) == ("UCS-2", 255)
    assert count_parts("я" * 17_086) == ("UCS-2", 256)


def _reference_parts(text: str) -> tuple[str, int]:
    """Q20 spelled out: each character's width, parts filled greedily, a wide character never split."""
    gsm = all(c in GSM_BASIC or c in GSM_EXTENSION for c in text)
    widths = [2 if (c in GSM_EXTENSION if gsm else ord(c) > 0xFFFF) else 1 for c in text]
    single, multi = (160, 153) if gsm else (70, 67)
    if not text:
        return "GSM-7", 0
    if sum(widths) <= single:
        return ("GSM-7" if gsm else "UCS-2"), 1
    parts, used = 1, 0
    for width in widths:
        if used + width > multi:
            parts, used = parts + 1, 0
        used += width
    return ("GSM-7" if gsm else "UCS-2"), parts


def test_q20_counting_agrees_with_the_rule_spelled_out() -> None:
    rnd = random.Random(20)
    alphabets = ["ab c", "ab{€", "aяb", "я" + EMOJI, "a" + EMOJI + "[", "Ωé\n"]
    for _ in range(3000):
        letters = rnd.choice(alphabets)
        text = "".join(
            rnd.choices(
                letters,
                k=rnd.choice([rnd.randint(0, 400), rnd.randint(60, 80), rnd.randint(130, 170), rnd.randint(300, 320)]),
            )
        )
        assert count_parts(text) == _reference_parts(text), text


def test_q20_ucs2_parts_is_count_parts_for_every_ucs2_text() -> None:
    """Q20: the UTF-16 fast path (surrogate pairs counted by the encoder) agrees with the rule spelled out."""
    rnd = random.Random(67)
    for _ in range(3000):
        letters = rnd.choice(["яb", "я" + EMOJI, EMOJI, "aяb{"])
        text = "".join(
            rnd.choices(
                letters,
                k=rnd.choice([rnd.randint(0, 40), rnd.randint(60, 80), rnd.randint(130, 140), rnd.randint(195, 210)]),
            )
        )
        encoding, parts = _reference_parts(text)
        if encoding == "UCS-2":
            assert ucs2_parts(text) == parts, text
    assert ucs2_parts("") == 0
    assert ucs2_parts("я" * 35) == 1 and ucs2_parts(EMOJI * 35) == 1 and ucs2_parts(EMOJI * 36) == 2
    assert ucs2_parts("\ud800" * 71) == 2  # a lone surrogate (never in decoded text) is one unit


def test_q20_forces_ucs2_when_the_fixed_text_is_not_gsm() -> None:
    assert forces_ucs2("Здравствуйте, !")
    assert forces_ucs2("Hello `x`")
    assert not forces_ucs2("Hello, {name}! €")
    assert not forces_ucs2("")


def test_q20_encodings_as_bits_for_storage() -> None:
    assert BITS == {"GSM-7": 7, "UCS-2": 16}
    assert {ENCODING_OF_BITS[b]: b for b in ENCODING_OF_BITS} == BITS
