"""A calibration profile: what a platform was observed to do for the open questions.

A live run (``pytest --target=live --profile-out FILE``) writes one; ``smsftp serve --profile``
and ``smsftp check --profile`` make the simulator follow it, and ``smsftp profile diff`` compares
two of them, or one with the simulator's defaults.  The file is TOML::

    [profile]
    target = "live"
    made = "2026-12-04T18:10:00Z"

    [questions.Q8]
    setting = "accept_plus_and_8"
    value = true
    evidence = [
      { case = "Q8-leading-plus", date = "2026-12-04T18:09:12Z", observation = "accepted, 2 message(s)" },
    ]

A question the run did not probe, or probed without a clear answer, is left out: it keeps the
simulator's default.  Open questions without a setting (``NOT_CALIBRATABLE``) are listed in the
file as comments, with the reason.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smsftp.simulator.rules.accounts import CSV_QUOTING, UNFILLED_COLUMNS, Account


class ProfileError(ValueError):
    """The profile cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Calibratable:
    """An open question with a setting a probe can tell: its values, the first being the default."""

    question: str
    setting: str  # an ``Account`` field, or ``naive_poller`` for the service's poller
    values: tuple[Any, ...]

    @property
    def default(self) -> Any:
        return self.values[0]


_DEFAULTS = Account(login="")
CALIBRATABLE: dict[str, Calibratable] = {
    c.question: c
    for c in (
        Calibratable("Q2", "accept_senddate_without_seconds", (_DEFAULTS.accept_senddate_without_seconds, False)),
        Calibratable("Q8", "accept_plus_and_8", (_DEFAULTS.accept_plus_and_8, True)),
        Calibratable("Q9", "reject_archive_on_bad_row", (_DEFAULTS.reject_archive_on_bad_row, True)),
        Calibratable("Q11", "accept_zero_validity", (_DEFAULTS.accept_zero_validity, False)),
        Calibratable("Q22", "naive_poller", (False, True)),
        Calibratable("Q28", "unfilled_columns", UNFILLED_COLUMNS),
        Calibratable("Q29", "csv_quoting", CSV_QUOTING),
        Calibratable("Q30", "one_archive_per_check", (_DEFAULTS.one_archive_per_check, True)),
    )
}
SERVICE_SETTINGS = frozenset({"naive_poller"})  # set on the poller, not on an account

# Why the other open questions are not in a profile.  Kept beside CALIBRATABLE so that a new
# setting moves its question from one table to the other (a test checks that every Q is in one).
NOT_CALIBRATABLE: dict[str, str] = {
    "Q1": "no setting: the simulator orders by the name's timestamp; the probe Q1-earliest-by-name reports it",
    "Q3": "no setting: the login in the name must equal the FTP login",
    "Q4": "no setting: files outside sms/ reject the archive (Z3)",
    "Q5": "no setting: a UTF-8 byte-order mark is stripped with a warning",
    "Q6": "no setting: column names are exact after trimming spaces",
    "Q7": "no setting: an unknown #name# field is replaced by an empty string (M2)",
    "Q10": "the approved senders are per account (senders), not a platform behaviour a probe can read",
    "Q12": "no setting: a send date in the past sends at once",
    "Q13": "no setting: an unknown zone falls back to the account's timezone",
    "Q14": "no setting: template.csv must hold one data row",
    "Q15": "no setting: files that are not .zip are left alone",
    "Q16": "limits (max_entries, max_rows, zip-bomb caps): one probe shows a side of a limit, not its value",
    "Q17": "no setting: an archive name seen before is processed again",
    "Q18": "no setting: plain mode always skips its first line",
    "Q19": "no setting: plain mode's TEXT follows standard CSV quoting (see Q29)",
    "Q20": "limits (max_chars, max_parts): one probe shows a side of a limit, not its value",
    "Q21": "per account (mode), arranged with support; not a platform behaviour",
    "Q23": "no setting: cp866 names are decoded and known junk ignored",
    "Q24": "no setting: a template pair and a plain file together reject the archive",
    "Q25": "no setting: contacts.csv without data rows rejects the archive",
    "Q26": "no setting: a phone twice is sent twice (duplicate_check_limit bounds the memory, not the behaviour)",
    "Q27": "no setting: an ASCII-mode upload is stored as received",
}


@dataclass(frozen=True)
class Evidence:
    case: str
    date: str
    observation: str

    def to_toml(self) -> str:
        return (
            f"{{ case = {_string(self.case)}, date = {_string(self.date)}, observation = {_string(self.observation)} }}"
        )


@dataclass(frozen=True)
class Profile:
    """Observed values by question id; a question not in ``values`` keeps the default."""

    values: Mapping[str, Any] = field(default_factory=dict)
    evidence: Mapping[str, tuple[Evidence, ...]] = field(default_factory=dict)
    target: str = ""
    made: str = ""

    def value(self, question: str) -> Any:
        """The value the profile gives the question, else the simulator's default."""
        return self.values.get(question, CALIBRATABLE[question].default)

    def account_settings(self) -> dict[str, Any]:
        """The account settings the profile sets (``Account.with_overrides`` takes them)."""
        return {
            CALIBRATABLE[q].setting: v
            for q, v in self.values.items()
            if CALIBRATABLE[q].setting not in SERVICE_SETTINGS
        }

    def apply(self, account: Account) -> Account:
        """``account`` as the calibrated platform treats it: the profile's values win."""
        return account.with_overrides(**self.account_settings())

    @property
    def naive_poller(self) -> bool:
        return bool(self.value("Q22"))

    def differing(self) -> dict[str, Any]:
        """Questions whose profile value is not the simulator's default."""
        return {q: v for q, v in self.values.items() if v != CALIBRATABLE[q].default}

    def summary(self) -> str:
        """One line: the answers that differ from the defaults, for banners."""
        differing = self.differing()
        shown = [f"{q} {CALIBRATABLE[q].setting}={_value(differing[q])}" for q in sorted(differing, key=_number)]
        return ", ".join(shown) or "as the defaults"

    def to_toml(self) -> str:
        lines = [
            "# smsftp calibration profile: what the platform was observed to do for the open questions.",
            "# Use it with `smsftp serve --profile FILE` or `smsftp check --profile FILE`;",
            "# compare profiles with `smsftp profile diff A [B]`. A question left out keeps the default.",
            "",
            "[profile]",
            f"target = {_string(self.target)}",
            f"made = {_string(self.made)}",
        ]
        for question in sorted(CALIBRATABLE, key=_number):
            spec = CALIBRATABLE[question]
            lines.append("")
            if question not in self.values:
                lines.append(f"# {question} ({spec.setting}): not observed by this run; default {_value(spec.default)}")
                continue
            lines += [
                f"[questions.{question}]",
                f"setting = {_string(spec.setting)}",
                f"value = {_value(self.values[question])}",
                "evidence = [",
                *(f"  {e.to_toml()}," for e in self.evidence.get(question, ())),
                "]",
            ]
        lines += ["", "# Open questions a profile cannot set:"]
        lines += [f"# {q}: {reason}" for q, reason in sorted(NOT_CALIBRATABLE.items(), key=lambda i: _number(i[0]))]
        return "\n".join(lines) + "\n"


def _number(question: str) -> int:
    return int(question[1:])


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a TOML basic string


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _string(str(value))


def parse_profile(data: Mapping[str, Any], source: str = "<profile>") -> Profile:
    """A profile from parsed TOML; every problem raises ``ProfileError`` naming ``source`` and the key."""
    head = data.get("profile", {})
    if not isinstance(head, Mapping):
        raise ProfileError(f"{source}: [profile] must be a table")
    questions = data.get("questions", {})
    if not isinstance(questions, Mapping):
        raise ProfileError(f"{source}: [questions] must hold [questions.Qn] tables")
    unknown = sorted(set(data) - {"profile", "questions"})
    if unknown:
        raise ProfileError(f"{source}: unknown table(s) {', '.join(unknown)}")
    values: dict[str, Any] = {}
    evidence: dict[str, tuple[Evidence, ...]] = {}
    for question, table in questions.items():
        where = f"{source}: [questions.{question}]"
        if question in NOT_CALIBRATABLE:
            raise ProfileError(f"{where}: {question} cannot be calibrated ({NOT_CALIBRATABLE[question]})")
        spec = CALIBRATABLE.get(question)
        if spec is None:
            raise ProfileError(f"{where}: not an open question with a setting ({', '.join(CALIBRATABLE)})")
        if not isinstance(table, Mapping) or "value" not in table:
            raise ProfileError(f"{where}: needs a value")
        if table.get("setting", spec.setting) != spec.setting:
            raise ProfileError(f"{where}: setting must be {spec.setting!r}, not {table['setting']!r}")
        value = table["value"]
        if value not in spec.values or type(value) is not type(spec.default):
            choices = ", ".join(_value(v) for v in spec.values)
            raise ProfileError(f"{where} value: must be one of {choices}, not {value!r}")
        values[question] = value
        items = table.get("evidence", [])
        if not isinstance(items, list):
            raise ProfileError(f"{where} evidence: must be a list")
        if items:
            evidence[question] = tuple(_evidence(item, where) for item in items)
    return Profile(values, evidence, str(head.get("target", "")), str(head.get("made", "")))


def _evidence(item: Any, where: str) -> Evidence:
    if not isinstance(item, Mapping) or not all(isinstance(item.get(k), str) for k in ("case", "date", "observation")):
        raise ProfileError(f"{where} evidence: each item needs case, date and observation strings")
    return Evidence(item["case"], item["date"], item["observation"])


def load_profile(path: str | Path) -> Profile:
    """Read a profile file; errors name the file and the offending key."""
    import tomllib

    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProfileError(f"{p}: no such file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{p}: {exc}") from None
    return parse_profile(data, str(p))


@dataclass(frozen=True)
class DiffRow:
    question: str
    setting: str
    left: Any
    right: Any
    left_set: bool
    right_set: bool

    @property
    def differs(self) -> bool:
        return bool(self.left != self.right)


def diff(left: Profile, right: Profile) -> list[DiffRow]:
    """Every calibratable question, side by side; an unset question counts as the default."""
    return [
        DiffRow(q, spec.setting, left.value(q), right.value(q), q in left.values, q in right.values)
        for q, spec in sorted(CALIBRATABLE.items(), key=lambda i: _number(i[0]))
    ]
