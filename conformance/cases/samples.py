"""The cases' building blocks: numbers, people, archives and the messages the spec makes of them.

Every expected message below is written by hand from the statements: the
template's text with its fields filled in (M2), the sender from
``template.csv`` (M3) or the account (N4), the lifetime from ``validity`` or
1440 minutes (M4, N5), the send date in the client's zone (C3) or the
recipient's (M6), and the part count by the GSM-7 (160/153) and UCS-2 (70/67)
rules (Q20).  Nothing here asks the simulator.
"""

from __future__ import annotations

from datetime import UTC, datetime

from smsftp.conformance.cases.model import AT_ONCE, DEMO_SENDER, ClientTime, ExpectedMessage, Instant, sms
from smsftp.conformance.client.builder import ArchiveSpec

# Valid Russian mobile numbers (libphonenumber: many possible time zones each).
PHONE_A = "79031234567"
PHONE_B = "79161234567"
PHONE_C = "79261234567"
# Landlines whose number fixes one time zone (M6): Novosibirsk UTC+7, Yekaterinburg UTC+5.
NOVOSIBIRSK = "73832123456"
YEKATERINBURG = "73432123456"
# A mobile number of a range assigned to the whole country (the register's "Российская Федерация"):
# no time zone follows from it, in the simulator's numbering table either (Q13).
COUNTRYWIDE = "79541024999"
# Every valid number the cases send to, in a fixed order: on live, sample i becomes the tester's
# number i mod n (smsftp.conformance.live.localize).  A new sample goes at the end, so that the map stays put.
SAMPLE_NUMBERS: tuple[str, ...] = (PHONE_A, PHONE_B, PHONE_C, NOVOSIBIRSK, YEKATERINBURG, COUNTRYWIDE)
# A valid United Kingdom mobile number (C2: "international format" is not only Russia's); not a sample:
# a live run never sends to it.
UK_MOBILE = "447911123456"
# A number one digit short (C2): deliberately invalid, so written as it is, never a sample's spelling.
TOO_SHORT = PHONE_A[:-1]

SENDER = DEMO_SENDER
SENDER_OTHER_CASE = "TestSms"  # the approved sender in other letter case (M3): on live, spellings.other_case
UNAPPROVED_SENDER = "NOTAPPROVED"  # valid in shape (11 Latin letters) and approved for nobody (M3, Q10)

STAMP = "20261125120000"
LATER_STAMP = "20261125120500"

# The default template of the builder: "Уважаемый #attr1# #attr2#! Ваш заказ готов к выдаче."
IVAN = (PHONE_A, "Иван", "Петров")
MARIA = (PHONE_B, "Мария", "Сидорова")
OLGA = (PHONE_C, "Ольга", "Кузнецова")
TEXT_IVAN = "Уважаемый Иван Петров! Ваш заказ готов к выдаче."  # 48 characters, UCS-2: one part
TEXT_MARIA = "Уважаемый Мария Сидорова! Ваш заказ готов к выдаче."  # 51
TEXT_OLGA = "Уважаемый Ольга Кузнецова! Ваш заказ готов к выдаче."  # 52

TEMPLATE = ArchiveSpec(contacts=(IVAN,))
TEMPLATE_TWO = ArchiveSpec(contacts=(IVAN, MARIA))
PLAIN = ArchiveSpec(mode="plain", plain_rows=((PHONE_A, "Hello, Ivan!"),))


def ivan(at: Instant = AT_ONCE, validity: int = 1440, sender: str = SENDER) -> ExpectedMessage:
    return sms(PHONE_A, TEXT_IVAN, 1, "UCS-2", at=at, validity=validity, sender=sender)


def maria(at: Instant = AT_ONCE, validity: int = 1440) -> ExpectedMessage:
    return sms(PHONE_B, TEXT_MARIA, 1, "UCS-2", at=at, validity=validity)


def olga(at: Instant = AT_ONCE, validity: int = 1440) -> ExpectedMessage:
    return sms(PHONE_C, TEXT_OLGA, 1, "UCS-2", at=at, validity=validity)


def hello_ivan(sender: str = SENDER, validity: int = 1440) -> ExpectedMessage:
    """The plain archive's message: account's sender (N4) and validity (N5), sent at once (N6)."""
    return sms(PHONE_A, "Hello, Ivan!", 1, "GSM-7", sender=sender, validity=validity)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def template(message: str, **more: str) -> tuple[tuple[str, str], ...]:
    """template.csv's columns: the message, the demo sender, then ``more`` (validity, senddate...)."""
    return (("message", message), ("sourceaddress", more.pop("sourceaddress", SENDER)), *more.items())


# Scheduled dates lie years ahead of any run, so they stay in the future on a live platform too.
# 2030-12-01 10:00 in the client's own zone (C3): 07:00 UTC for a Moscow account (UTC+3).
SENDDATE = "20301201T10:00:00"
SENDDATE_LOCAL = ClientTime(datetime(2030, 12, 1, 10))
