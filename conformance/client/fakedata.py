"""Realistic, reproducible recipients: Russian names from faker's ``ru_RU`` and valid mobile numbers.

Everything is a function of the seed.  Faker is only asked for small pools of
names (a few hundred people); rows are then drawn from the pools with a seeded
``random.Random``, which keeps a million rows to a couple of seconds and the
memory flat (rows are generated lazily).

Numbers are Russian mobiles (country code 7, a real DEF network code of the
9xx range, seven subscriber digits), distinct within one run: the subscriber
part is an affine permutation of the row index, so no two rows share a number
however many are asked for (up to the pool's capacity), and no archive gets
SMS414 (Q26) warnings by accident.  libphonenumber's plan for Russian mobiles
is the whole range ``9\\d{9}``; every network code's lowest and highest number
are checked with ``phonenumbers`` when the pool is made, and the tests check
generated samples against it number by number.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from faker import Faker

# Network codes of the large Russian mobile operators (MTS, MegaFon, Beeline, Tele2).
DEF_CODES: tuple[str, ...] = (
    "901",
    "902",
    "903",
    "904",
    "905",
    "906",
    "908",
    "909",
    "910",
    "911",
    "912",
    "913",
    "914",
    "915",
    "916",
    "917",
    "918",
    "919",
    "920",
    "921",
    "922",
    "923",
    "924",
    "925",
    "926",
    "927",
    "928",
    "929",
    "931",
    "932",
    "933",
    "934",
    "936",
    "937",
    "938",
    "939",
    "950",
    "951",
    "952",
    "953",
    "958",
    "960",
    "961",
    "962",
    "963",
    "964",
    "965",
    "966",
    "967",
    "968",
    "969",
    "977",
    "978",
    "980",
    "981",
    "982",
    "983",
    "984",
    "985",
    "986",
    "987",
    "988",
    "989",
    "991",
    "992",
    "993",
    "994",
    "995",
    "996",
    "999",
)
_SUBSCRIBERS = 10_000_000
CAPACITY = len(DEF_CODES) * _SUBSCRIBERS
_POOL_SIZE = 300


def faker_version() -> str:
    """The installed faker's version: seeded names are stable within one version only."""
    from importlib.metadata import version

    return version("faker")


def is_valid_mobile(digits: str) -> bool:
    """libphonenumber's verdict on ``digits`` (international form, no ``+``), the reference."""
    try:
        number = phonenumbers.parse("+" + digits)
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_valid_number(number))


@lru_cache(maxsize=1)
def _checked_codes() -> tuple[str, ...]:
    for code in DEF_CODES:
        for edge in ("0000000", "9999999"):
            if not is_valid_mobile(f"7{code}{edge}"):  # pragma: no cover - a phonenumbers plan change
                raise RuntimeError(f"7{code}{edge} is not valid for phonenumbers; update DEF_CODES")
    return DEF_CODES


def phones(count: int, *, seed: int = 0) -> Iterator[str]:
    """``count`` distinct valid Russian mobile numbers in international form, e.g. ``79031234567``."""
    if count > CAPACITY:
        raise ValueError(f"at most {CAPACITY:,} distinct numbers")
    codes = _checked_codes()
    rng = random.Random(f"phones:{seed}")
    total = len(codes) * _SUBSCRIBERS
    # k -> (a*k + c) mod total is a permutation when a is coprime to total: distinct numbers,
    # spread over every network code instead of counting up.
    a = rng.randrange(total // 3, total)
    while math.gcd(a, total) != 1:
        a += 1
    c = rng.randrange(total)
    for k in range(count):
        code, subscriber = divmod((a * k + c) % total, _SUBSCRIBERS)
        yield f"7{codes[code]}{subscriber:07d}"


@dataclass(frozen=True)
class Person:
    first: str
    middle: str  # patronymic
    last: str
    city: str


@lru_cache(maxsize=8)
def people_pool(seed: int = 0, size: int = _POOL_SIZE) -> tuple[Person, ...]:
    """A pool of ``size`` people, half men and half women, names agreeing in gender."""
    fake = Faker("ru_RU")
    fake.seed_instance(seed)
    pool: list[Person] = []
    for i in range(size):
        if i % 2:
            pool.append(
                Person(fake.first_name_female(), fake.middle_name_female(), fake.last_name_female(), fake.city_name())
            )
        else:
            pool.append(
                Person(fake.first_name_male(), fake.middle_name_male(), fake.last_name_male(), fake.city_name())
            )
    return tuple(pool)


# What goes into a column, by its name; unknown columns get an order number.
_COLUMNS: dict[str, Callable[[Person, random.Random], str]] = {
    "attr1": lambda p, r: p.first,
    "attr2": lambda p, r: p.middle,
    "attr3": lambda p, r: p.last,
    "attr4": lambda p, r: p.city,
    "name": lambda p, r: f"{p.first} {p.last}",
    "city": lambda p, r: p.city,
    "senddate": lambda p, r: "",
}


def contacts(
    count: int,
    *,
    seed: int = 0,
    columns: Sequence[str] = ("phone", "attr1", "attr2"),
    numbers: Sequence[str] | None = None,
) -> Iterator[tuple[str, ...]]:
    """``count`` contact rows for ``columns`` (the header is not included), lazily.

    ``phone`` (or ``TELRN_LONG``) gets distinct valid numbers, or ``numbers``
    in turn when given (a tester's own allow-listed phones); ``attr1``..``attr3``
    first name, patronymic and surname; ``attr4`` and ``city`` a city.
    """
    pool = people_pool(seed)
    rng = random.Random(f"contacts:{seed}")
    if numbers:
        supplied = tuple(numbers)
        number_iter: Iterator[str] = (supplied[i % len(supplied)] for i in range(count))
    else:
        number_iter = phones(count, seed=seed)
    makers = [_COLUMNS.get(c) for c in columns]
    phone_columns = {i for i, c in enumerate(columns) if c in ("phone", "TELRN_LONG")}
    width = len(columns)
    for number in number_iter:
        person = pool[rng.randrange(len(pool))]
        row = []
        for i in range(width):
            if i in phone_columns:
                row.append(number)
            else:
                make = makers[i]
                row.append(make(person, rng) if make else str(rng.randrange(100_000, 1_000_000)))
        yield tuple(row)


def plain_rows(
    count: int,
    *,
    seed: int = 0,
    text: str = "#attr1#, ваш заказ готов.",
    numbers: Sequence[str] | None = None,
) -> Iterator[tuple[str, str]]:
    """Plain-mode rows ``(TELRN_LONG, TEXT)``; ``#attrN#`` in ``text`` is filled like a template would."""
    for row in contacts(count, seed=seed, columns=("phone", "attr1", "attr2", "attr3"), numbers=numbers):
        yield row[0], render(text, {"attr1": row[1], "attr2": row[2], "attr3": row[3]})


def render(template: str, values: dict[str, str]) -> str:
    """Fill ``#name#`` fields the way the document describes (M2); for building plain texts only."""
    out = template
    for key, value in values.items():
        out = out.replace(f"#{key}#", value)
    return out


# Spellings of a valid number that the platform rejects (Q8), by fault name.
MISSPELLINGS: dict[str, Callable[[str], str]] = {
    "leading-8": lambda n: "8" + n[1:],
    "plus-prefix": lambda n: "+" + n,
    "excel-sci": lambda n: f"{n[0]}.{n[1:].rstrip('0')}E+{len(n) - 1}",
    "formatting": lambda n: f"{n[0]} ({n[1:4]}) {n[4:7]}-{n[7:9]}-{n[9:]}",
    "bad-phone": lambda n: n[:-1],
    "empty-phone": lambda n: "",
    "letters-phone": lambda n: "Иванов",
}


def misspell(number: str, how: str) -> str:
    """``number`` written as a client's exporter gets it wrong: ``misspell('79031234567', 'leading-8')``."""
    return MISSPELLINGS[how](number)
