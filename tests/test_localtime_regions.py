"""M6 out of the box: `localtime=1` reads the send date in the recipient's own zone, every region of Russia.

``smsftp check --format json --messages`` with no options (the numbering table shipped in the
package, no register, no environment) on one archive holding a mobile number of every region the
table names and a landline of every zone, in winter and in summer.  The expected offsets are written
here by hand from the regions' legal time (no region of Russia keeps summer time since 2014; the
zones that moved since then are at their offset of today), not derived from the code under test.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest

MOBILES: list[tuple[str, str, int]] = [
    ("79003499999", "Kaliningrad", 2),
    ("79001499999", "Moscow and its region", 3),
    ("79006399999", "Saint Petersburg", 3),
    ("79000030999", "Krasnodar", 3),
    ("79282339999", "Sochi", 3),
    ("79001299999", "Rostov", 3),
    ("79000149999", "Tver", 3),
    ("79001709999", "Belgorod", 3),
    ("79001904999", "Adygea", 3),
    ("79001914999", "Kabardino-Balkaria", 3),
    ("79001924999", "Karachay-Cherkessia", 3),
    ("79001934999", "North Ossetia", 3),
    ("79001944999", "Chechnya", 3),
    ("79001964999", "Ingushetia", 3),
    ("79010204999", "Dagestan", 3),
    ("79054004999", "Kalmykia", 3),
    ("79034089999", "Stavropol", 3),
    ("79002239999", "Smolensk", 3),
    ("79003044999", "Voronezh", 3),
    ("79003174999", "Penza", 3),
    ("79003249999", "Tatarstan", 3),
    ("79003324999", "Chuvashia", 3),
    ("79003649999", "Bryansk", 3),
    ("79004599999", "Karelia", 3),
    ("79004784999", "Vladimir", 3),
    ("79004859999", "Oryol", 3),
    ("79004949999", "Tambov", 3),
    ("79005049999", "Vologda", 3),
    ("79005759999", "Kaluga", 3),
    ("79005959999", "Lipetsk", 3),
    ("79006059999", "Ryazan", 3),
    ("79009159999", "Arkhangelsk", 3),
    ("79110674999", "Nenets AO", 3),
    ("79009389999", "Murmansk", 3),
    ("79009789999", "Komi", 3),
    ("79009949999", "Pskov", 3),
    ("79010349999", "Ivanovo", 3),
    ("79010499999", "Yaroslavl", 3),
    ("79011547999", "Mari El", 3),
    ("79011592499", "Nizhny Novgorod", 3),
    ("79011601999", "Mordovia", 3),
    ("79011696999", "Novgorod", 3),
    ("79011969999", "Kostroma", 3),
    ("79011984999", "Tula", 3),
    ("79012258999", "Kursk", 3),
    ("79005249999", "Kirov", 3),
    ("79001744999", "Volgograd", 3),
    ("79784049999", "Crimea", 3),
    ("79001779999", "Samara", 4),
    ("79011574999", "Udmurtia", 4),
    ("79001674999", "Saratov", 4),
    ("79004484999", "Ulyanovsk", 4),
    ("79011444999", "Astrakhan", 4),
    ("79000249999", "Chelyabinsk", 5),
    ("79000399999", "Sverdlovsk", 5),
    ("79003799999", "Kurgan", 5),
    ("79011564999", "Tyumen", 5),
    ("79003899999", "Khanty-Mansi AO", 5),
    ("79003999999", "Yamalo-Nenets AO", 5),
    ("79010849999", "Orenburg", 5),
    ("79011524999", "Bashkortostan", 5),
    ("79012674999", "Perm", 5),
    ("79006749999", "Omsk", 6),
    ("79011537499", "Novosibirsk", 7),
    ("79009224999", "Tomsk", 7),
    ("79001639999", "Altai Krai", 7),
    ("79011671999", "Altai Republic", 7),
    ("79000549999", "Kemerovo", 7),
    ("79011114999", "Krasnoyarsk", 7),
    ("79585146249", "Norilsk", 7),
    ("79011640999", "Khakassia", 7),
    ("79001614999", "Tuva", 7),
    ("79008438499", "Irkutsk", 8),
    ("79012123999", "Buryatia", 8),
    ("79141349999", "Zabaykalsky", 9),
    ("79011317999", "Amur", 9),
    ("79141099999", "Yakutia (most populous zone)", 9),
    ("79011344999", "Primorsky", 10),
    ("79003404999", "Khabarovsk", 10),
    ("79004199999", "Jewish AO", 10),
    ("79004099999", "Magadan", 11),
    ("79004299999", "Sakhalin", 11),
    ("79001754999", "Kamchatka", 12),
    ("79003354999", "Chukotka", 12),
]

LANDLINES: list[tuple[str, str, int]] = [
    ("74012123456", "Kaliningrad", 2),  # phonenumbers: Europe/Bucharest, which keeps summer time
    ("74951234567", "Moscow", 3),
    ("78122123456", "Saint Petersburg", 3),
    ("78332123456", "Kirov", 3),
    ("78442123456", "Volgograd", 3),
    ("73652123456", "Simferopol", 3),
    ("78452123456", "Saratov", 4),  # phonenumbers: Europe/Moscow; UTC+4 since 2016
    ("78422123456", "Ulyanovsk", 4),
    ("78512123456", "Astrakhan", 4),
    ("78462123456", "Samara", 4),
    ("73412123456", "Izhevsk", 4),
    ("73432123456", "Yekaterinburg", 5),
    ("73812123456", "Omsk", 6),
    ("73832123456", "Novosibirsk", 7),
    ("73822123456", "Tomsk", 7),
    ("73852123456", "Barnaul", 7),
    ("73842123456", "Kemerovo", 7),
    ("73912123456", "Krasnoyarsk", 7),
    ("73952123456", "Irkutsk", 8),
    ("73012123456", "Ulan-Ude", 8),
    ("73022123456", "Chita", 9),
    ("74162123456", "Blagoveshchensk", 9),
    ("74112123456", "Yakutsk", 9),
    ("74232123456", "Vladivostok", 10),
    ("74212123456", "Khabarovsk", 10),
    ("74132123456", "Magadan", 11),
    ("74242123456", "Yuzhno-Sakhalinsk", 11),
    ("74152123456", "Petropavlovsk-Kamchatsky", 12),
    ("74272123456", "Anadyr", 12),
]

SEASONS = {"winter": ("2027-01-10T00:00:00Z", "2027-01-15"), "summer": ("2027-07-01T00:00:00Z", "2027-07-15")}


def _archive(path: Path, phones: list[str], day: str) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("sms/contacts.csv", "phone\n" + "".join(p + "\n" for p in phones))
        z.writestr("sms/template.csv", f"message;sourceaddress;senddate;localtime\nHi;TESTSMS;{day}T10:00:00;1\n")
    path.write_bytes(out.getvalue())


@pytest.fixture(scope="module", params=sorted(SEASONS))
def checked(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, object]]:
    """One `smsftp check` run per season: a fresh process, no options but the instant, no environment."""
    at, day = SEASONS[request.param]
    archive = tmp_path_factory.mktemp(request.param) / "guest_20270101000000.zip"
    _archive(archive, [p for p, _, _ in MOBILES + LANDLINES], day)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSFTP_")}
    command = [sys.executable, "-m", "smsftp.simulator.cli", "check", "--format", "json", "--messages"]
    done = subprocess.run(
        [*command, "--at", at, str(archive)], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr + done.stdout
    result = json.loads(done.stdout)["results"][0]
    return day, result


@pytest.mark.parametrize(
    ("phone", "place", "offset"), MOBILES + LANDLINES, ids=[p[1] + "-" + p[0] for p in MOBILES + LANDLINES]
)
def test_m6_localtime_is_right_for_every_region_with_no_options(
    checked: tuple[str, dict[str, object]], phone: str, place: str, offset: int
) -> None:
    day, result = checked
    sent = {m["phone"]: m["send_at"] for m in result["messages"]}  # type: ignore[attr-defined]
    expected = datetime.fromisoformat(f"{day}T10:00:00+00:00") - timedelta(hours=offset)
    assert datetime.fromisoformat(sent[phone].replace("Z", "+00:00")) == expected, place


def test_m6_no_ambiguity_flood_and_yakutia_is_named_once(checked: tuple[str, dict[str, object]]) -> None:
    """Every number above is settled: no SMS508/SMS509; Yakutia's choice is told once per place (SMS510)."""
    _, result = checked
    found = [(d["code"], d["message"]) for d in result["diagnostics"]]  # type: ignore[attr-defined]
    assert [c for c, _ in found if c in ("SMS508", "SMS509")] == []
    chosen = [m for c, m in found if c == "SMS510"]
    assert len(chosen) == 2, chosen  # the mobile range's region and the landline area code 411
    assert all("Asia/Yakutsk" in m and "Asia/Ust-Nera" in m and "Asia/Srednekolymsk" in m for m in chosen)
