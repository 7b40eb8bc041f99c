"""Cases about getting a file to the platform and what the platform does with its folder.

Statements T1-T4, P1-P4, R1 and the open questions Q1, Q15, Q17, Q21, Q22, Q27.
"""

from __future__ import annotations

from dataclasses import replace

from smsftp.conformance.cases.model import Case, Expected, ExpectedArchive, RawFile, UploadOptions, one
from smsftp.conformance.cases.samples import (
    IVAN,
    LATER_STAMP,
    MARIA,
    OLGA,
    PLAIN,
    STAMP,
    TEMPLATE,
    TEMPLATE_TWO,
    hello_ivan,
    ivan,
    maria,
    olga,
)
from smsftp.conformance.client.builder import ArchiveSpec
from smsftp.simulator.rules.diagnostics import ARCHIVE_ENTRY_CORRUPT, UPLOAD_ASCII_MODE, UPLOAD_REPEATED_NAME

ACCEPTED_IVAN = ExpectedArchive("accepted", messages=(ivan(),))
# Enough rows for two batches of the store: processed at once, two archives' messages would interleave.
_MANY = tuple((f"7903{1000000 + i:07d}", "Иван", "Петров") for i in range(4000))
NOTE = RawFile("notes.txt", "Заметки к рассылке: не архив, платформа его не трогает.\r\n".encode())

CASES: tuple[Case, ...] = (
    Case(
        "T1-plain-ftp",
        "A template archive uploaded over plain FTP is processed, sent and deleted",
        ("T1", "P2", "Z1", "Z2", "Z3", "Z4", "Z5", "C1", "C2", "C4", "M1", "M2", "M3", "M4"),
        (TEMPLATE,),
        one("accepted", messages=(ivan(),)),
        upload=UploadOptions(tls=False),
    ),
    Case(
        "T1-ftps",
        "The same archive uploaded over explicit FTPS (AUTH TLS, PROT P) is processed",
        ("T1",),
        (TEMPLATE,),
        one("accepted", messages=(ivan(),)),
        upload=UploadOptions(tls=True),
    ),
    Case(
        "T2-wrong-password",
        "A login with a wrong password is refused and nothing reaches the folder",
        ("T2",),
        (),
        Expected(()),
        scenario="wrong-password",
    ),
    Case(
        "T2-own-folder",
        "A second account sees nothing of the first one's folder and cannot reach it",
        ("T2",),
        (TEMPLATE,),
        one("accepted", messages=(ivan(),)),
        scenario="isolation",
        sim_only="needs a second account on the platform",
    ),
    Case(
        "T3-Q21-both-modes-one-server",
        "A template and a plain archive on one server and one account are both processed",
        ("T3", "Q21"),
        (TEMPLATE, replace(PLAIN, stamp=LATER_STAMP)),
        Expected((ACCEPTED_IVAN, ExpectedArchive("accepted", messages=(hello_ivan(),)))),
        informational=True,
    ),
    Case(
        "T4-active-mode",
        "An upload over an active data connection (PORT) is processed",
        ("T4",),
        (TEMPLATE,),
        one("accepted", messages=(ivan(),)),
        upload=UploadOptions(passive=False),
    ),
    Case(
        "T4-ftp-commands",
        "A file left in the folder can be listed (LIST, NLST), sized, downloaded and deleted",
        ("T4",),
        (NOTE,),
        one("ignored"),
        scenario="ftp-commands",
    ),
    Case(
        "P1-poll-interval",
        "An archive uploaded right after a poll is processed one poll interval later, not before",
        ("P1", "P2"),
        (TEMPLATE, replace(TEMPLATE, stamp=LATER_STAMP, contacts=(MARIA,))),
        Expected((ACCEPTED_IVAN, ExpectedArchive("accepted", messages=(maria(),)))),
        scenario="p1-timing",
        needs_clock=True,
    ),
    Case(
        "P2-rejected-also-deleted",
        "An accepted and a corrupt archive are both deleted after processing",
        ("P2", "Q16"),
        (TEMPLATE, replace(TEMPLATE, stamp=LATER_STAMP, faults=("corrupt-crc",))),
        Expected((ACCEPTED_IVAN, ExpectedArchive("rejected", (ARCHIVE_ENTRY_CORRUPT.code,)))),
    ),
    Case(
        "P3-earliest-first",
        "Of two archives in the folder, the earlier one (by name and by upload) is processed first",
        ("P3",),
        (TEMPLATE, replace(TEMPLATE, stamp=LATER_STAMP, contacts=(MARIA,))),
        Expected((ACCEPTED_IVAN, ExpectedArchive("accepted", messages=(maria(),))), order=(0, 1)),
    ),
    Case(
        "P4-one-at-a-time",
        "Two archives are processed one after the other: their messages do not interleave",
        ("P4", "P3"),
        (replace(TEMPLATE, contacts=(IVAN, MARIA)), replace(TEMPLATE, stamp=LATER_STAMP, contacts=(OLGA, IVAN))),
        Expected(
            (
                ExpectedArchive("accepted", messages=(ivan(), maria())),
                ExpectedArchive("accepted", messages=(olga(), ivan())),
            ),
            order=(0, 1),
        ),
    ),
    Case(
        "Q30-all-waiting-in-one-check",
        "Two archives waiting together are both processed in the same 10-second check",
        ("Q30", "P1", "P4"),
        (TEMPLATE, replace(TEMPLATE, stamp=LATER_STAMP, contacts=(MARIA,))),
        Expected((ACCEPTED_IVAN, ExpectedArchive("accepted", messages=(maria(),))), order=(0, 1)),
        scenario="one-check",
        informational=True,
        needs_clock=True,
    ),
    Case(
        "P4-large-archives-not-interleaved",
        "Two archives of 4,000 recipients each: every message of the first is stored before the second's",
        ("P4", "P3"),
        (
            replace(TEMPLATE, contacts=_MANY),
            replace(TEMPLATE, stamp=LATER_STAMP, contacts=_MANY),
        ),
        Expected(
            (
                ExpectedArchive("accepted", messages=None, count=4000),
                ExpectedArchive("accepted", messages=None, count=4000),
            ),
            order=(0, 1),
        ),
        sim_only="sends 8,000 messages",
    ),
    Case(
        "R1-statistics",
        "The processed archive's statistics are on the simulator's side channel",
        ("R1",),
        (TEMPLATE_TWO,),
        one("accepted", messages=(ivan(), maria())),
        scenario="side-channel",
        sim_only="R1 is a web page in the personal cabinet: not observable over FTP",
    ),
    Case(
        "Q1-earliest-by-name",
        "The archive with the earlier name is processed first although it was uploaded second",
        ("Q1", "P3"),
        (replace(TEMPLATE, stamp=LATER_STAMP, contacts=(MARIA,)), TEMPLATE),
        Expected((ExpectedArchive("accepted", messages=(maria(),)), ACCEPTED_IVAN), order=(1, 0)),
        informational=True,
    ),
    Case(
        "Q15-non-zip-left",
        "A file that is not a .zip stays in the folder, untouched",
        ("Q15",),
        (NOTE,),
        one("ignored", folder_after=("notes.txt",)),
        informational=True,
    ),
    Case(
        "Q17-same-name-again",
        "An archive uploaded again under a name already processed is processed again (and warned about)",
        ("Q17",),
        (TEMPLATE, TEMPLATE),
        Expected((ACCEPTED_IVAN, ExpectedArchive("accepted", (UPLOAD_REPEATED_NAME.code,), messages=(ivan(),)))),
        scenario="sequential",
        informational=True,
    ),
    Case(
        "Q22-upload-held-open",
        "An archive whose upload is still open across a poll is not processed until the upload completes",
        ("Q22",),
        (TEMPLATE,),
        one("accepted", messages=(ivan(),)),
        scenario="hold-open",
        informational=True,
        needs_clock=True,
    ),
    Case(
        "Q22-temporary-name",
        "An archive uploaded under a temporary name and renamed to .zip is processed",
        ("Q22", "P2"),
        (TEMPLATE,),
        one("accepted", messages=(ivan(),)),
        upload=UploadOptions(temp_name="auto"),
    ),
    Case(
        "Q27-ascii-upload",
        "A zip uploaded in ASCII mode (TYPE A) arrives corrupt and is rejected, naming the transfer type",
        ("Q27", "T4"),
        (ArchiveSpec(contacts=(IVAN, MARIA), method="stored", stamp=STAMP),),
        one("rejected", UPLOAD_ASCII_MODE.code),
        upload=UploadOptions(binary=False),
        informational=True,
    ),
)
