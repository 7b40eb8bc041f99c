"""Russian regions and their time zones, for the numbering-plan register (M6, Q13).

The regulator's register (``DEF-9xx.csv``) names the region of every number range
but no time zone.  ``REGION_ZONES`` maps each federal subject, and the few cities
and districts that the register names on their own, to its IANA zones: one zone
when the whole region keeps one clock, several (the most populous first) when it
does not, as in Yakutia.

The register spells regions loosely and not always the same way from year to year:
``Ростовская обл.``, ``Тюменская область``, ``Республика Удмуртская`` next to
``Удмуртская Республика``, ``Ханты - Мансийский - Югра АО``, and rows that name
several places (``г. Москва * Московская область``, ``г. Сочи|Краснодарский
край``).  ``region_zones`` splits a name into places, reduces each to its
distinctive words (``обл.``, ``край``, ``Республика``, ``АО``... dropped) and picks
the table entry whose words it contains, the most specific one winning, so that
``Ямало-Ненецкий АО`` is not taken for ``Ненецкий АО``.
"""

from __future__ import annotations

import re
from functools import cache
from typing import NamedTuple

__all__ = ["COUNTRYWIDE", "REGION_ZONES", "RegionZone", "region_choice", "region_zones", "unknown_places"]

_MSK = ("Europe/Moscow",)
_YEKT = ("Asia/Yekaterinburg",)
_KRAT = ("Asia/Krasnoyarsk",)
_VLAT = ("Asia/Vladivostok",)

REGION_ZONES: dict[str, tuple[str, ...]] = {
    # UTC+2
    "Калининградская область": ("Europe/Kaliningrad",),
    # UTC+3, Moscow time
    "Москва": _MSK,
    "Московская область": _MSK,
    "Санкт-Петербург": _MSK,
    "Ленинградская область": _MSK,
    "Архангельская область": _MSK,
    "Ненецкий автономный округ": _MSK,
    "Белгородская область": _MSK,
    "Брянская область": _MSK,
    "Владимирская область": _MSK,
    "Вологодская область": _MSK,
    "Воронежская область": _MSK,
    "Ивановская область": _MSK,
    "Калужская область": _MSK,
    "Костромская область": _MSK,
    "Курская область": _MSK,
    "Липецкая область": _MSK,
    "Мурманская область": _MSK,
    "Нижегородская область": _MSK,
    "Новгородская область": _MSK,
    "Орловская область": _MSK,
    "Пензенская область": _MSK,
    "Псковская область": _MSK,
    "Псков": _MSK,
    "Ростовская область": _MSK,
    "Рязанская область": _MSK,
    "Смоленская область": _MSK,
    "Тамбовская область": _MSK,
    "Тверская область": _MSK,
    "Тульская область": _MSK,
    "Ярославская область": _MSK,
    "Краснодарский край": _MSK,
    "Сочи": _MSK,
    "Ставропольский край": _MSK,
    "Республика Адыгея": _MSK,
    "Республика Дагестан": _MSK,
    "Республика Ингушетия": _MSK,
    "Кабардино-Балкарская Республика": _MSK,
    "Республика Калмыкия": _MSK,
    "Карачаево-Черкесская Республика": _MSK,
    "Республика Карелия": _MSK,
    "Республика Коми": _MSK,
    "Республика Марий Эл": _MSK,
    "Республика Мордовия": _MSK,
    "Республика Северная Осетия — Алания": _MSK,
    "Республика Татарстан": _MSK,
    "Чеченская Республика": _MSK,
    "Чувашская Республика": _MSK,
    "Республика Крым": ("Europe/Simferopol",),
    "Севастополь": ("Europe/Simferopol",),
    "Кировская область": ("Europe/Kirov",),
    "Волгоградская область": ("Europe/Volgograd",),
    # UTC+4
    "Самарская область": ("Europe/Samara",),
    "Удмуртская Республика": ("Europe/Samara",),
    "Астраханская область": ("Europe/Astrakhan",),
    "Саратовская область": ("Europe/Saratov",),
    "Ульяновская область": ("Europe/Ulyanovsk",),
    # UTC+5
    "Свердловская область": _YEKT,
    "Челябинская область": _YEKT,
    "Курганская область": _YEKT,
    "Тюменская область": _YEKT,
    "Ханты-Мансийский автономный округ": _YEKT,
    "Сургут": _YEKT,
    "Сургутский район": _YEKT,
    "Ямало-Ненецкий автономный округ": _YEKT,
    "Пермский край": _YEKT,
    "Оренбургская область": _YEKT,
    "Республика Башкортостан": _YEKT,
    "Абзелиловский район": _YEKT,  # districts of Bashkortostan the register names on their own
    "Белорецкий район": _YEKT,
    # UTC+6
    "Омская область": ("Asia/Omsk",),
    # UTC+7
    "Новосибирская область": ("Asia/Novosibirsk",),
    "Алтайский край": ("Asia/Barnaul",),
    "Республика Алтай": ("Asia/Barnaul",),
    "Томская область": ("Asia/Tomsk",),
    "Кемеровская область": ("Asia/Novokuznetsk",),
    "Красноярский край": _KRAT,
    "Норильск": _KRAT,
    "Республика Хакасия": _KRAT,
    "Республика Тыва": _KRAT,
    # UTC+8
    "Иркутская область": ("Asia/Irkutsk",),
    "Республика Бурятия": ("Asia/Irkutsk",),
    # UTC+9
    "Забайкальский край": ("Asia/Chita",),
    "Амурская область": ("Asia/Yakutsk",),
    # Yakutia keeps three clocks (UTC+9, +10, +11); Asia/Khandyga keeps Yakutsk's time today.
    "Республика Саха": ("Asia/Yakutsk", "Asia/Ust-Nera", "Asia/Srednekolymsk"),
    # Its districts (uluses) off Yakutsk's clock, for a register that names a range's district.
    "Оймяконский улус": ("Asia/Ust-Nera",),
    "Абыйский улус": ("Asia/Srednekolymsk",),
    "Аллаиховский улус": ("Asia/Srednekolymsk",),
    "Верхнеколымский улус": ("Asia/Srednekolymsk",),
    "Момский улус": ("Asia/Srednekolymsk",),
    "Нижнеколымский улус": ("Asia/Srednekolymsk",),
    "Среднеколымский улус": ("Asia/Srednekolymsk",),
    # UTC+10
    "Приморский край": _VLAT,
    "Хабаровский край": _VLAT,
    "Еврейская автономная область": _VLAT,
    # UTC+11
    "Магаданская область": ("Asia/Magadan",),
    "Сахалинская область": ("Asia/Sakhalin",),
    # UTC+12
    "Камчатский край": ("Asia/Kamchatka",),
    "Корякский округ": ("Asia/Kamchatka",),
    "Чукотский автономный округ": ("Asia/Anadyr",),
    # Ranges assigned for the whole country (M2M, virtual operators): any of Russia's clocks.
    "Российская Федерация": (
        "Europe/Moscow",
        "Asia/Yekaterinburg",
        "Asia/Novosibirsk",
        "Europe/Samara",
        "Asia/Krasnoyarsk",
        "Asia/Irkutsk",
        "Asia/Vladivostok",
        "Asia/Omsk",
        "Europe/Kaliningrad",
        "Asia/Yakutsk",
        "Asia/Magadan",
        "Asia/Kamchatka",
    ),
}

COUNTRYWIDE = "Российская Федерация"
"""The entry for ranges assigned to the whole country: its zones are candidates, none is chosen."""

# Words that say what kind of place a name is, not which one.
_GENERIC = frozenset(
    {
        "г",
        "гор",
        "город",
        "обл",
        "область",
        "край",
        "респ",
        "республика",
        "автономный",
        "автономная",
        "ао",
        "округ",
        "р",
        "н",
        "ны",
        "рн",
        "район",
        "улус",
        "районы",
        "и",
    }
)
_PLACES = re.compile(r"\s*(?:[|*,;]|\bи\b)\s*")
_WORD = re.compile(r"[0-9a-zа-я]+")


def _words(name: str) -> frozenset[str]:
    return frozenset(_WORD.findall(name.lower().replace("ё", "е"))) - _GENERIC


_KEYS: tuple[tuple[frozenset[str], str], ...] = tuple((_words(k), k) for k in REGION_ZONES)


def _entries(place: str) -> list[str]:
    """The table entries that best describe one place: all words of the entry occur in the place."""
    words = _words(place)
    if not words:
        return []
    found = [(len(key), name) for key, name in _KEYS if key <= words]
    if not found:
        return []
    best = max(size for size, _ in found)
    return [name for size, name in found if size == best]


def _places(region: str) -> list[str]:
    return [p for p in _PLACES.split(region.replace("ё", "е")) if p.strip()]


@cache
def region_zones(region: str) -> tuple[str, ...]:
    """Candidate IANA zones of a region as the register writes it; () when no place is known.

    A name that lists several places gets the zones of every place it names, in order,
    without repeats; places the table does not know are left out.
    """
    zones: dict[str, None] = {}
    for place in _places(region):
        for entry in _entries(place):
            zones.update(dict.fromkeys(REGION_ZONES[entry]))
    return tuple(zones)


def _place_zones(place: str) -> tuple[str, ...]:
    zones: dict[str, None] = {}
    for entry in _entries(place):
        zones.update(dict.fromkeys(REGION_ZONES[entry]))
    return tuple(zones)


def unknown_places(region: str) -> list[str]:
    """The places in a region's name that no table entry describes (for the register check)."""
    return [p.strip() for p in _places(region) if not _entries(p)]


class RegionZone(NamedTuple):
    """The zone a region's numbers are read in: ``zone`` alone, or chosen among ``others`` too."""

    zone: str | None  # None: no zone is settled (unknown, or several candidates and no choice)
    others: tuple[str, ...]  # with a zone: the region's other clocks; without: the candidates


_CHOOSES = frozenset(zones for name, zones in REGION_ZONES.items() if len(zones) > 1 and name != COUNTRYWIDE)


@cache
def region_choice(region: str) -> RegionZone:
    """One zone for a region as the register writes it.

    A region that keeps several clocks (Yakutia) is read in its most populous zone,
    the first of its entry, and the others are kept so that the choice can be named
    (SMS510).  Ranges of the whole country, and a name whose places keep different
    clocks, settle nothing: their zones are candidates (SMS508).
    """
    zones = region_zones(region)
    if len(zones) == 1:
        return RegionZone(zones[0], ())
    # A range named by its region and a district of it ("Республика Саха /Якутия/ * Оймяконский улус")
    # is where the district is: the range itself is known to keep the district's clock.
    places = [found for place in _places(region) if (found := _place_zones(place))]
    districts = {p[0] for p in places if len(p) == 1}
    if len(districts) == 1 and all(len(p) == 1 or (p in _CHOOSES and districts <= set(p)) for p in places):
        return RegionZone(districts.pop(), ())
    if zones in _CHOOSES:
        return RegionZone(zones[0], zones[1:])
    return RegionZone(None, zones)
