"""Russian landline area codes (ABC) and their time zones (M6, Q13).

A Russian landline is ``7``, a three-digit area code and seven digits.  phonenumbers'
zone data answers for most area codes with some zone of the right offset today, but
not always with the region's own zone, and for some not even with the right clock:
Kaliningrad (``401``) gets Europe/Bucharest, which keeps summer time (Kaliningrad
has not since 2011); Saratov (``845``) gets Europe/Moscow, though it moved to
UTC+4 in 2016.  Zones that moved after 2014 (Ulyanovsk, Astrakhan, Volgograd,
Zabaykalsky, Magadan, Sakhalin, Tomsk, Altai, Kamchatka...) have their own IANA
zone, which carries the history of the move: read with the region's own zone, a
past or future date gets that region's offset on that date.

``AREA_ZONES`` holds the area code of every region's capital, and the other codes
of a region where the capital's code is not the only one.  A region that keeps
several clocks (Yakutia) lists its zones, the most populous first, as
``regions.REGION_ZONES`` does.  Codes not listed here (toll-free ``800``, codes
outside Russia's own regions) are left to phonenumbers.
"""

from __future__ import annotations

__all__ = ["AREA_ZONES", "area_zones"]

_MSK = ("Europe/Moscow",)
_SAMT = ("Europe/Samara",)
_YEKT = ("Asia/Yekaterinburg",)
_KRAT = ("Asia/Krasnoyarsk",)
_IRKT = ("Asia/Irkutsk",)
_VLAT = ("Asia/Vladivostok",)
_SIMF = ("Europe/Simferopol",)

AREA_ZONES: dict[str, tuple[str, ...]] = {
    # UTC+2
    "401": ("Europe/Kaliningrad",),  # Kaliningrad
    # UTC+3, Moscow time
    "495": _MSK,  # Moscow
    "499": _MSK,  # Moscow
    "496": _MSK,  # Moscow region
    "498": _MSK,  # Moscow region
    "812": _MSK,  # Saint Petersburg
    "813": _MSK,  # Leningrad region
    "811": _MSK,  # Pskov
    "814": _MSK,  # Karelia, Petrozavodsk
    "815": _MSK,  # Murmansk
    "816": _MSK,  # Novgorod
    "817": _MSK,  # Vologda
    "820": _MSK,  # Vologda region, Cherepovets
    "818": _MSK,  # Arkhangelsk; Nenets AO, Naryan-Mar (81853)
    "821": _MSK,  # Komi, Syktyvkar
    "831": _MSK,  # Nizhny Novgorod
    "834": _MSK,  # Mordovia, Saransk
    "835": _MSK,  # Chuvashia, Cheboksary
    "836": _MSK,  # Mari El, Yoshkar-Ola
    "841": _MSK,  # Penza
    "843": _MSK,  # Tatarstan, Kazan
    "855": _MSK,  # Tatarstan, Naberezhnye Chelny
    "847": _MSK,  # Kalmykia, Elista
    "861": _MSK,  # Krasnodar
    "862": _MSK,  # Krasnodar region, Sochi
    "863": _MSK,  # Rostov-on-Don
    "865": _MSK,  # Stavropol
    "879": _MSK,  # Stavropol region, Mineralnye Vody
    "866": _MSK,  # Kabardino-Balkaria, Nalchik
    "867": _MSK,  # North Ossetia, Vladikavkaz
    "871": _MSK,  # Chechnya, Grozny
    "872": _MSK,  # Dagestan, Makhachkala
    "873": _MSK,  # Ingushetia, Magas
    "877": _MSK,  # Adygea, Maykop
    "878": _MSK,  # Karachay-Cherkessia, Cherkessk
    "471": _MSK,  # Kursk
    "472": _MSK,  # Belgorod
    "473": _MSK,  # Voronezh
    "474": _MSK,  # Lipetsk
    "475": _MSK,  # Tambov
    "481": _MSK,  # Smolensk
    "482": _MSK,  # Tver
    "483": _MSK,  # Bryansk
    "484": _MSK,  # Kaluga
    "485": _MSK,  # Yaroslavl
    "486": _MSK,  # Oryol
    "487": _MSK,  # Tula
    "491": _MSK,  # Ryazan
    "492": _MSK,  # Vladimir
    "493": _MSK,  # Ivanovo
    "494": _MSK,  # Kostroma
    "365": _SIMF,  # Crimea, Simferopol
    "869": _SIMF,  # Sevastopol
    "833": ("Europe/Kirov",),  # Kirov
    "844": ("Europe/Volgograd",),  # Volgograd: UTC+4 in 2020, back to UTC+3 since December 2020
    # UTC+4
    "846": _SAMT,  # Samara
    "848": _SAMT,  # Samara region, Tolyatti
    "341": _SAMT,  # Udmurtia, Izhevsk
    "842": ("Europe/Ulyanovsk",),  # Ulyanovsk: UTC+4 since 2016
    "845": ("Europe/Saratov",),  # Saratov: UTC+4 since December 2016
    "851": ("Europe/Astrakhan",),  # Astrakhan: UTC+4 since 2016
    # UTC+5
    "343": _YEKT,  # Sverdlovsk region, Yekaterinburg
    "342": _YEKT,  # Perm
    "345": _YEKT,  # Tyumen
    "346": _YEKT,  # Khanty-Mansi AO
    "349": _YEKT,  # Yamalo-Nenets AO, Salekhard
    "347": _YEKT,  # Bashkortostan, Ufa
    "351": _YEKT,  # Chelyabinsk
    "352": _YEKT,  # Kurgan
    "353": _YEKT,  # Orenburg
    # UTC+6
    "381": ("Asia/Omsk",),  # Omsk
    # UTC+7
    "383": ("Asia/Novosibirsk",),  # Novosibirsk: UTC+7 since 2016
    "382": ("Asia/Tomsk",),  # Tomsk: UTC+7 since 2016
    "385": ("Asia/Barnaul",),  # Altai Krai, Barnaul: UTC+7 since 2016
    "388": ("Asia/Barnaul",),  # Altai Republic, Gorno-Altaysk
    "384": ("Asia/Novokuznetsk",),  # Kemerovo
    "391": _KRAT,  # Krasnoyarsk
    "390": _KRAT,  # Khakassia, Abakan
    "394": _KRAT,  # Tuva, Kyzyl
    # UTC+8
    "395": _IRKT,  # Irkutsk
    "301": _IRKT,  # Buryatia, Ulan-Ude
    # UTC+9
    "302": ("Asia/Chita",),  # Zabaykalsky Krai, Chita: UTC+9 since 2016
    "416": ("Asia/Yakutsk",),  # Amur region, Blagoveshchensk
    "411": ("Asia/Yakutsk", "Asia/Ust-Nera", "Asia/Srednekolymsk"),  # Yakutia: three clocks, Yakutsk's first
    # UTC+10
    "423": _VLAT,  # Primorsky Krai, Vladivostok
    "421": _VLAT,  # Khabarovsk
    "426": _VLAT,  # Jewish AO, Birobidzhan
    # UTC+11
    "413": ("Asia/Magadan",),  # Magadan: UTC+11 since 2016
    "424": ("Asia/Sakhalin",),  # Sakhalin: UTC+11 since 2016
    # UTC+12
    "415": ("Asia/Kamchatka",),  # Kamchatka, Petropavlovsk-Kamchatsky
    "427": ("Asia/Anadyr",),  # Chukotka, Anadyr
}


def area_zones(phone: str) -> tuple[str, ...] | None:
    """The zones of a Russian landline (``7`` + area code + 7 digits, as digits); None when not listed."""
    if len(phone) == 11 and phone[0] == "7":
        return AREA_ZONES.get(phone[1:4])
    return None
