"""Mutation analysis: how strong is the conformance suite?  Deviant platforms, one at a time.

Each mutant is the simulator with one rule changed the way a sloppy
implementation of the platform would get it wrong (a date read in UTC, the
first column taken as the phone, an approved sender ignored...).  The tool
copies ``simulator/`` and ``conformance/`` into a temporary ``smsftp/`` tree,
applies one mutant's source patch there, and runs the conformance suite on the
simulator against it (``pytest --pyargs smsftp.conformance --target=sim``, with
``PYTHONPATH`` pointing at the copy).  A mutant is

killed          a case that is not INFORMATIONAL failed: a live run would say FAILED (a
                mutant of an explicit statement that no such case killed runs a second
                time: a deviation such as parallel processing shows only when threads
                interleave);
probe only      only INFORMATIONAL probes failed: a live run records the difference
                but passes;
survived        every case passed.

The target: every mutant that contradicts an explicit statement is killed; one
on a point the document leaves open (``open=`` a question id) must at least be
recorded by a probe; ``equivalent=`` says why a mutant cannot be told apart.

    python tools/mutants.py                     # all mutants, 2 at a time, the table on stdout
    python tools/mutants.py --jobs 1 -k sender  # only mutants whose id contains "sender"
    python tools/mutants.py --check             # every patch still applies (no suite run)
    python tools/mutants.py --markdown docs/qa/mutation.md   # refresh the table in the docs

Exit status: 0 when the target is met, 1 when a mutant falls short of it, 2 when a
patch no longer applies or the unmutated suite fails.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("simulator", "conformance")
CASE_TIMEOUT = 300  # seconds for one run of the suite; it takes about 5


@dataclass(frozen=True)
class Mutant:
    id: str
    statement: str  # the statement the deviation contradicts (or the open question it answers otherwise)
    what: str  # the deviation, in one line
    path: str  # relative to the repository root
    old: str
    new: str
    open: str | None = None  # the open question when the document does not settle the point
    equivalent: str | None = None  # why no case can tell it apart
    more: tuple[tuple[str, str], ...] = ()  # further (old, new) replacements in the same file


R, T, P = "simulator/rules/", "simulator/rules/processing.py", "simulator/service/poller.py"

MUTANTS: tuple[Mutant, ...] = (
    # --- naming (Z1, Q3) ------------------------------------------------------------------------
    Mutant(
        "name-timestamp-unchecked",
        "Z1",
        "a 14-digit timestamp that names no real instant is accepted",
        R + "naming.py",
        "        instant = _instant(stamp)\n        if instant is None:\n            yield diagnostic(",
        "        instant = _instant(stamp) or datetime(2000, 1, 1)\n        if instant is None:\n           "
        " yield diagnostic(",
    ),
    Mutant(
        "name-any-shape",
        "Z1",
        "any name ending in .zip is processed",
        R + "naming.py",
        "    shape_ok &= yield from _shape_problems(name, stem)\n",
        "",
    ),
    Mutant(
        "name-login-not-compared",
        "Q3",
        "the login in the name is not compared with the FTP login",
        R + "naming.py",
        "    if login is not None and written and _STAMP.fullmatch(stamp):",
        "    if False:",
        open="Q3",
    ),
    Mutant(
        "name-login-any-case",
        "Q3",
        "the login in the name is compared without regard to letter case",
        R + "naming.py",
        "    if written == login:\n        return\n",
        "    if written.casefold() == login.casefold():\n        return\n",
        open="Q3",
    ),
    # --- container (Z2, Z3, Q4, Q16, Q23, Q24) ---------------------------------------------------
    Mutant(
        "zip-root-files-accepted",
        "Z3",
        "files at the archive's root are read as if they were in `sms/`",
        R + "naming.py",
        '    in_sms = [n for n in names if n.startswith(SMS_FOLDER) and "/" not in n[len(SMS_FOLDER) :]]',
        "    names = [n if n.startswith(SMS_FOLDER) else SMS_FOLDER + n for n in names]\n"
        '    in_sms = [n for n in names if n.startswith(SMS_FOLDER) and "/" not in n[len(SMS_FOLDER) :]]',
        open="Q4",
    ),
    Mutant(
        "zip-data-name-any-case",
        "C1",
        "`Contacts.csv` is taken for `contacts.csv` without complaint",
        R + "naming.py",
        "            if base != base.lower():\n                yield diagnostic(\n                   "
        " ARCHIVE_DATA_FILE_NAME_CASE,",
        "            if False:\n                yield diagnostic(\n                    ARCHIVE_DATA_FILE_NAME_CASE,",
    ),
    Mutant(
        "zip-extra-file-ignored",
        "Q23",
        "an unexpected extra file in `sms/` is ignored",
        R + "naming.py",
        "        else:\n            yield _unexpected(name)\n",
        "        else:\n            pass\n",
        open="Q23",
    ),
    Mutant(
        "zip-mixed-modes-template-wins",
        "Q24",
        "a template pair and a plain file together: the template is used",
        R + "naming.py",
        "    if pair and plain:\n        yield diagnostic(ARCHIVE_MIXED_MODES,",
        "    if False:\n        yield diagnostic(ARCHIVE_MIXED_MODES,",
        more=(("    if pair and plain:\n        return None\n", "    if pair and plain:\n        plain = []\n"),),
        open="Q24",
    ),
    Mutant(
        "plain-txt-only",
        "N1",
        "a plain file must end in `.txt`; `.csv` is not taken",
        R + "naming.py",
        'PLAIN_EXTENSIONS = (".csv", ".txt")',
        'PLAIN_EXTENSIONS = (".txt",)',
    ),
    # --- decoding and CSV (Z4, Z5, Q5) -----------------------------------------------------------
    Mutant(
        "text-encoding-setting-ignored",
        "Z4",
        "every file is read as UTF-8, whatever encoding was arranged for the account",
        R + "textio.py",
        "        encoding = self.encoding\n",
        '        encoding = "utf-8"\n',
    ),
    Mutant(
        "text-bad-bytes-replaced",
        "Z4",
        "bytes that are not in the account's encoding are replaced (mojibake is sent) instead of refused",
        R + "textio.py",
        '            decoder = codecs.getincrementaldecoder(encoding)("strict")',
        '            decoder = codecs.getincrementaldecoder(encoding)("replace")',
    ),
    Mutant(
        "text-bom-kept",
        "Q5",
        "a UTF-8 byte-order mark is read as part of the first column's name",
        R + "textio.py",
        '        if data.startswith(codecs.BOM_UTF8) and not encoding.startswith(("utf-16", "utf-32")):',
        "        if False:",
        open="Q5",
    ),
    Mutant(
        "csv-comma-too",
        "Z5",
        "`,` separates fields as well as `;`",
        R + "textio.py",
        '                source.lines(), delimiter=";", quotechar=\'"\', doublequote=True, strict=False',
        '                (line.replace(",", ";") for line in source.lines()), delimiter=";",'
        " quotechar='\"', strict=False",
    ),
    Mutant(
        "csv-no-quoting",
        "Z5",
        'quotes are not special: `"a;b"` is two fields',
        R + "textio.py",
        '                source.lines(), delimiter=";", quotechar=\'"\', doublequote=True, strict=False',
        '                source.lines(), delimiter=";", quoting=csv.QUOTE_NONE, strict=False',
    ),
    # --- template fields (C1, C4, M1, M2, Q7, Q14) -----------------------------------------------
    Mutant(
        "phone-first-column",
        "C2",
        "the phone is read from the first column, not from the column named `phone`",
        T,
        '            phone_at=index["phone"],',
        "            phone_at=0,",
    ),
    Mutant(
        "field-missing-kept",
        "M2",
        "a `#name#` naming no column stays in the text instead of becoming empty",
        R + "template.py",
        "        if text not in missing:\n            missing.append(text)",
        '        pattern.append(_escape(f"#{text}#"))\n        pieces.append(f"#{text}#")\n'
        "        if text not in missing:\n            missing.append(text)",
        open="Q7",  # M2's "no value found" covers an empty cell (M2-empty-value); a missing column is Q7
    ),
    Mutant(
        "template-first-of-several-rows",
        "M1",
        "template.csv with several data rows: the first is used",
        R + "template.py",
        "    if len(rows) != 1:\n        count = len(rows) + extra",
        "    if len(rows) > 1:\n        rows = rows[:1]\n    if len(rows) != 1:\n        count = len(rows) + extra",
        open="Q14",
    ),
    Mutant(
        "template-empty-message-accepted",
        "M2",
        "an empty `message` is accepted (empty texts go out)",
        R + "template.py",
        '        yield diagnostic(TEMPLATE_MESSAGE_MISSING, "The template\'s `message` is empty.", **where("message"))',
        "        pass",
    ),
    # --- schedule and local time (C3, M5, M6, N6, Q2, Q12) ---------------------------------------
    Mutant(
        "date-in-utc",
        "C3",
        "send dates are read in UTC, not in the client's local time",
        T,
        "            zone=account.zone,\n            validity=settings.validity",
        '            zone=__import__("zoneinfo").ZoneInfo("UTC"),\n            validity=settings.validity',
    ),
    Mutant(
        "date-in-moscow",
        "C3",
        "send dates are read in Moscow time whatever the account's own time zone",
        T,
        "            zone=account.zone,\n            validity=settings.validity",
        '            zone=__import__("zoneinfo").ZoneInfo("Europe/Moscow"),\n            validity=settings.validity',
    ),
    Mutant(
        "template-date-wins",
        "M5",
        "the template's senddate overrides the contact's own",
        T,
        "                if date_at >= 0 and fields[date_at] and not fields[date_at].isspace():",
        "                if date_at >= 0 and fields[date_at] and not fields[date_at].isspace() and default[0] == "
        "schedule._at_us:",
    ),
    Mutant(
        "template-date-ignored",
        "M5",
        "the template's senddate is ignored: sent at once",
        T,
        "            senddate=settings.senddate if settings is not None else None,",
        "            senddate=None,",
    ),
    Mutant(
        "localtime-ignored",
        "M6",
        "`localtime=1` is ignored: dates are read in the client's zone",
        T,
        "            localtime=settings.localtime if settings is not None else False,",
        "            localtime=False,",
    ),
    Mutant(
        "dashed-date-refused",
        "Q2",
        "only `YYYYMMDDThh:mm:ss` is a date; the document's own example form is refused",
        R + "schedule.py",
        '    elif len(s) == 19 and s[4] == "-"',
        '    elif False and s[4] == "-"',
        open="Q2",
    ),
    Mutant(
        "past-date-refused",
        "Q12",
        "a send date in the past rejects the row",
        R + "schedule.py",
        "        zone = self.recipient_zone(phone, line) if self.localtime else self.zone\n"
        "        send = self._to_utc(local, zone)\n        if send < self._at_us:",
        "        zone = self.recipient_zone(phone, line) if self.localtime else self.zone\n"
        "        send = self._to_utc(local, zone)\n        if send < self._at_us:\n            return None\n"
        "        if send < self._at_us:",
        open="Q12",
    ),
    # --- validity (M4, N5, Q11) ------------------------------------------------------------------
    Mutant(
        "validity-empty-refused",
        "M4",
        "an empty `validity` cell is refused instead of meaning the default",
        R + "schedule.py",
        "    if not value:\n        return default\n",
        '    if not value:\n        yield diagnostic(VALIDITY_INVALID, "validity is empty.", **where)\n     '
        "   return None\n",
        open="Q28",
    ),
    Mutant(
        "validity-in-hours",
        "M4",
        "`validity` is read as hours",
        R + "schedule.py",
        "        self._life_us = validity * 60_000_000",
        "        self._life_us = validity * 3_600_000_000",
    ),
    Mutant(
        "validity-default-720",
        "M4",
        "the default lifetime is 12 hours, not 1440 minutes",
        R + "template.py",
        "    validity: int | None = TEMPLATE_VALIDITY",
        "    validity: int | None = 720",
    ),
    Mutant(
        "validity-zero-allowed",
        "Q11",
        "`validity=0` is taken (a message that expires at once)",
        R + "schedule.py",
        "    if not _digits(value) or int(value) < 1:",
        "    if not _digits(value) or int(value) < 0:",
        open="Q11",
    ),
    Mutant(
        "plain-validity-fixed",
        "N5",
        "plain mode ignores the account's validity: always 1440 minutes",
        T,
        "        schedule = Schedule(at=self.at, zone=account.zone, validity=account.validity, report=report)",
        "        schedule = Schedule(at=self.at, zone=account.zone, validity=1440, report=report)",
    ),
    # --- sender (M3, N4, Q10) --------------------------------------------------------------------
    Mutant(
        "sender-any-case",
        "M3",
        "sender approval ignores letter case",
        R + "sender.py",
        "    if value in account.senders:\n        return\n",
        "    if value.casefold() in {s.casefold() for s in account.senders}:\n        return\n",
    ),
    Mutant(
        "sender-not-approved-taken",
        "M3",
        "a sender that was never approved is taken",
        R + "sender.py",
        "    if value in account.senders:\n        return\n",
        "    if True:\n        return\n",
    ),
    Mutant(
        "sender-default-not-template",
        "M3",
        "template messages go out under the account's default sender, not the template's",
        T,
        '        self.sender = settings.sender if settings is not None else ""',
        '        self.sender = account.default_sender or (settings.sender if settings is not None else "")',
    ),
    Mutant(
        "sender-digits-11",
        "M3",
        "a numeric sender may have 11 digits, not 15",
        R + "sender.py",
        "MAX_DIGITS = 15",
        "MAX_DIGITS = 11",
    ),
    Mutant(
        "sender-name-15",
        "Q10",
        "a letter sender may have 15 characters",
        R + "sender.py",
        "MAX_NAME = 11",
        "MAX_NAME = 15",
        open="Q10",
    ),
    Mutant(
        "plain-first-approved-sender",
        "N4",
        "plain mode uses the first approved sender, not the account's default",
        R + "sender.py",
        "    if account.default_sender:\n        return account.default_sender\n",
        "    if account.default_sender:\n        return (account.senders or (account.default_sender,))[0]\n",
    ),
    # --- phones (C2, N3, Q8, Q9, Q26) -------------------------------------------------------------
    Mutant(
        "phone-russian-only",
        "C2",
        "only Russian numbers (7...) are valid; other international numbers are refused",
        R + "phones.py",
        "    if raw.isascii() and raw.isdigit():\n        if _valid_digits(raw):",
        '    if raw.isascii() and raw.isdigit():\n        if _valid_digits(raw) and raw.startswith("7"):',
        more=(
            (
                "        found = QUICK[head] = _never if plan is None else plan.quick.fullmatch",
                '        found = QUICK[head] = _never if plan is None or head[0] != "7" else plan.quick.fullmatch',
            ),
        ),
    ),
    Mutant(
        "phone-any-digits",
        "C2",
        "any string of digits is a number",
        R + "phones.py",
        "    if raw.isascii() and raw.isdigit():\n        if _valid_digits(raw):",
        "    if raw.isascii() and raw.isdigit():\n        if True:",
    ),
    Mutant(
        "phone-plus-taken",
        "Q8",
        "`+79031234567` is taken as `79031234567`",
        T,
        "                phone = fields[phone_at]\n",
        '                phone = fields[phone_at].removeprefix("+")\n',
        open="Q8",
    ),
    Mutant(
        "phone-bad-row-rejects-archive",
        "Q9",
        "one bad row rejects the whole archive",
        T,
        "                            rejected += 1\n                            emit = emit and not strict\n"
        "                            self._bad_phone(problem, phone, table, start, phone_at)",
        "                            rejected += 1\n                            emit = False\n              "
        "              log.fatal = True\n                            self._bad_phone(problem, phone, table,"
        " start, phone_at)",
        open="Q9",
    ),
    Mutant(
        "phone-duplicates-dropped",
        "Q26",
        "a phone already seen in the archive is not sent again",
        T,
        "                if number in known:\n                    self._duplicate(report, phone,"
        " repeats, number, start, phone_at)",
        "                if number in known:\n                    self._duplicate(report, phone,"
        " repeats, number, start, phone_at)\n"
        "                    continue",
        open="Q26",
    ),
    # --- parts (Q20) -----------------------------------------------------------------------------
    Mutant(
        "parts-160-each",
        "Q20",
        "a long GSM-7 message is split into parts of 160 characters, not 153",
        R + "segments.py",
        "GSM_SINGLE, GSM_MULTI = 160, 153",
        "GSM_SINGLE, GSM_MULTI = 160, 160",
        open="Q20",
    ),
    # --- plain mode (N1-N6, Q18, Q19) ------------------------------------------------------------
    Mutant(
        "plain-empty-text-sent",
        "N3",
        "plain mode sends a row whose TEXT is empty",
        T,
        '            render=itemgetter(1),\n            literal="",',
        '            render=itemgetter(1),\n            literal="-",',
    ),
    Mutant(
        "plain-two-header-lines",
        "N2",
        "plain mode skips the first two lines, not only the header",
        T,
        "        first = table.next_record(skip_blank=False)\n        if table.stopped:",
        "        first = table.next_record(skip_blank=False)\n        table.next_record(skip_blank=False)\n "
        "       if table.stopped:",
    ),
    # --- the poller (P1-P4, Q1, Q15, Q22) ---------------------------------------------------------
    Mutant(
        "poll-every-20s",
        "P1",
        "the folder is checked every 20 seconds, whatever the configured interval",
        P,
        "        self.interval = timedelta(seconds=interval)",
        "        self.interval = timedelta(seconds=interval * 2)",
    ),
    Mutant(
        "order-latest-first",
        "P3",
        "the latest archive is processed first",
        P,
        "                for candidate in sorted(candidates, key=_Candidate.order):",
        "                for candidate in sorted(candidates, key=_Candidate.order, reverse=True):",
    ),
    Mutant(
        "order-by-upload",
        "Q1",
        "the earliest *uploaded* archive goes first, not the earliest name",
        P,
        "        return (self.stamp is None, self.stamp or datetime.min, self.completed, self.name)",
        "        return (False, datetime.min, self.completed, self.name)",
        open="Q1",
    ),
    Mutant(
        "one-per-poll",
        "P2",
        "one archive per poll; the others found wait for later polls",
        P,
        '                    processed += handled == "processed"\n',
        '                    processed += handled == "processed"\n                    break\n',
    ),
    Mutant(
        "two-at-once",
        "P4",
        "the archives found in one poll are processed at the same time, four threads",
        P,
        "                    for candidate in sorted(candidates, key=_Candidate.order):\n                   "
        "     if self._stopping.is_set():\n                            break\n                       "
        " handled = self._process(candidate, accounts[login], at)\n",
        "                    import concurrent.futures\n\n                    with"
        " concurrent.futures.ThreadPoolExecutor(4) as pool:\n                        todo ="
        " sorted(candidates, key=_Candidate.order)\n                        done = list(pool.map(lambda c:"
        " self._process(c, accounts[login], at), todo))\n                    for candidate, handled in"
        " zip(todo, done):\n",
    ),
    Mutant(
        "accepted-not-deleted",
        "P2",
        "a processed archive stays in the folder",
        P,
        "        _remove_if_unchanged(c.path, st, same_inode_only=c.in_progress)\n        log_event(\n"
        '            "archive",',
        '        log_event(\n            "archive",',
    ),
    Mutant(
        "rejected-not-deleted",
        "P2",
        "a rejected archive stays in the folder",
        P,
        "        _remove_if_unchanged(c.path, st, same_inode_only=c.in_progress)\n        log_event(\n"
        '            "archive",',
        '        if status == "accepted":\n            _remove_if_unchanged(c.path, st,'
        " same_inode_only=c.in_progress)\n"
        '        log_event(\n            "archive",',
    ),
    Mutant(
        "non-zip-deleted",
        "Q15",
        "files that are not .zip are deleted from the folder",
        P,
        "            if not entry.name.endswith(ARCHIVE_EXTENSION):\n",
        "            if not entry.name.endswith(ARCHIVE_EXTENSION):\n"
        "                if not in_progress:\n                    os.unlink(entry.path)\n",
        open="Q15",
    ),
    Mutant(
        "in-progress-taken",
        "Q22",
        "a file still being uploaded is processed",
        P,
        "            if in_progress and not self.naive:",
        "            if False:",
        open="Q22",
        more=(
            (
                "                if copied != st.st_size or (not self.naive and self._changed_since_listing(c, st)):",
                "                if copied != st.st_size:",
            ),
        ),
    ),
)


@dataclass
class Result:
    mutant: Mutant
    failed: list[str] = field(default_factory=list)  # case ids whose test failed
    error: str | None = None
    seconds: float = 0.0

    def killers(self, informational: set[str]) -> tuple[list[str], list[str]]:
        strong = [c for c in self.failed if c not in informational]
        return strong, [c for c in self.failed if c in informational]

    def status(self, informational: set[str]) -> str:
        if self.error:
            return "broken"
        strong, probes = self.killers(informational)
        return "killed" if strong else "probe only" if probes else "survived"

    def meets_target(self, informational: set[str]) -> bool:
        status, m = self.status(informational), self.mutant
        if m.equivalent:
            return True
        if m.open:
            return status in ("killed", "probe only")
        return status == "killed"


_SOURCE = [ROOT]  # where the packages are copied from: the checkout, or a snapshot of it taken at start


def _copy_tree(into: Path) -> Path:
    package = into / "smsftp"
    package.mkdir()
    for name in PACKAGES:
        shutil.copytree(_SOURCE[0] / name, package / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return package


def apply(mutant: Mutant, tree: Path) -> None:
    """Patch the copy; a patch that no longer matches exactly once is an error of the catalogue."""
    target = tree / "smsftp" / mutant.path
    text = target.read_text(encoding="utf-8")
    for old, new in ((mutant.old, mutant.new), *mutant.more):
        found = text.count(old)
        if found != 1:
            raise ValueError(f"{mutant.id}: the text to replace occurs {found} times in {mutant.path}")
        text = text.replace(old, new)
    target.write_text(text, encoding="utf-8")


def run_suite(mutant: Mutant | None) -> Result:
    """The suite against one mutant (``None``: the simulator as it is)."""
    placeholder = Mutant("(none)", "", "", "", "", "")
    result = Result(mutant or placeholder)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="smsftp-mutant-") as folder:
        tree = Path(folder)
        _copy_tree(tree)
        if mutant is not None:
            try:
                apply(mutant, tree)
            except ValueError as exc:
                result.error = str(exc)
                return result
        junit = tree / "junit.xml"
        env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
        env.pop("PYTEST_ADDOPTS", None)
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--pyargs",
            "smsftp.conformance",
            "--target=sim",
            f"--junitxml={junit}",
        ]
        try:
            done = subprocess.run(
                command, cwd=tree, env=env, capture_output=True, text=True, timeout=CASE_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired:
            result.failed.append("(timeout)")
            result.seconds = time.monotonic() - started
            return result
        if not junit.exists() or done.returncode not in (0, 1):
            result.error = f"pytest exited {done.returncode}: {(done.stdout + done.stderr)[-600:]}"
        else:
            result.failed = _failed_cases(junit)
    result.seconds = time.monotonic() - started
    return result


def run_mutant(mutant: Mutant, informational: set[str]) -> Result:
    """The suite against ``mutant``; once more when it contradicts a statement and no case killed it.

    Some deviations show only by timing (two archives processed at once interleave their messages
    when the threads happen to switch): a second run tells a lucky survivor from a real one.
    """
    result = run_suite(mutant)
    if result.error or mutant.open or mutant.equivalent or result.status(informational) == "killed":
        return result
    again = run_suite(mutant)
    again.failed = sorted({*result.failed, *again.failed}, key=[*result.failed, *again.failed].index)
    again.seconds += result.seconds
    return again


def _failed_cases(junit: Path) -> list[str]:
    failed: list[str] = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            name = case.get("name", "")
            failed.append(name[name.find("[") + 1 : -1] if "[" in name else name)
    return failed


def _informational() -> set[str]:
    sys.path.insert(0, str(ROOT / "tools" / "editable"))
    from smsftp.conformance.cases import all_cases

    return {c.id for c in all_cases() if c.informational}


def table(results: list[Result], informational: set[str]) -> list[str]:
    lines = [
        "| mutant | statement | deviation | result | killed by |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        m = r.mutant
        strong, probes = r.killers(informational)
        status = r.status(informational)
        if m.open:
            status += f" (open: {m.open})"
        if m.equivalent:
            status += f" (equivalent: {m.equivalent})"
        by = ", ".join(f"`{c}`" for c in strong[:3]) + (f" +{len(strong) - 3}" if len(strong) > 3 else "")
        if not strong and probes:
            by = (
                "probe " + ", ".join(f"`{c}`" for c in probes[:3]) + (f" +{len(probes) - 3}" if len(probes) > 3 else "")
            )
        if r.error:
            by = r.error.splitlines()[0][:80]
        lines.append(f"| `{m.id}` | {m.statement} | {m.what} | {status} | {by or '-'} |")
    return lines


def score_line(results: list[Result], informational: set[str]) -> str:
    explicit = [r for r in results if not r.mutant.open and not r.mutant.equivalent]
    killed = sum(r.status(informational) == "killed" for r in explicit)
    opened = [r for r in results if r.mutant.open]
    recorded = sum(r.status(informational) in ("killed", "probe only") for r in opened)
    return (
        f"{len(results)} mutants: {killed}/{len(explicit)} that contradict an explicit statement killed by a "
        f"non-informational case; {recorded}/{len(opened)} on open questions recorded by a case"
    )


START, END = "<!-- mutants:start -->", "<!-- mutants:end -->"


def write_markdown(path: Path, lines: list[str]) -> None:
    """The score and the table between the markers of ``path`` (a docs page), or as the whole file."""
    block = "\n".join(lines)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = f"{head}{START}\n{block}\n{END}{rest.split(END, 1)[1]}"
    else:
        text = block + "\n"
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at once (default 2)")
    parser.add_argument("-k", dest="only", default="", help="only the mutants whose id contains this")
    parser.add_argument("--check", action="store_true", help="only check that every patch applies")
    parser.add_argument("--markdown", type=Path, help="also write the score and the table to this file")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTANTS if args.only in m.id]
    if args.check:
        broken = 0
        for m in chosen:
            with tempfile.TemporaryDirectory() as folder:
                _copy_tree(Path(folder))
                try:
                    apply(m, Path(folder))
                except ValueError as exc:
                    print(exc)
                    broken += 1
        print(f"{len(chosen) - broken}/{len(chosen)} patches apply")
        return 2 if broken else 0
    informational = _informational()
    started = time.monotonic()
    snapshot = tempfile.TemporaryDirectory(prefix="smsftp-mutants-source-")
    _SOURCE[0] = _copy_tree(Path(snapshot.name))  # every mutant starts from the tree as it was now
    baseline = run_suite(None)
    if baseline.error or baseline.failed:
        print(f"the suite fails on the unmutated simulator: {baseline.error or baseline.failed}", file=sys.stderr)
        return 2
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(lambda m: run_mutant(m, informational), chosen))
    lines = [score_line(results, informational), "", *table(results, informational)]
    print("\n".join(lines))
    print(f"\n{time.monotonic() - started:.0f} s, {args.jobs} at a time")
    if args.markdown:
        write_markdown(args.markdown, lines)
    if any(r.error for r in results):
        return 2
    return 0 if all(r.meets_target(informational) for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
