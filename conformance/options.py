"""The plugin's settings: each a command-line option, an ini key and an environment variable.

Precedence: command line > environment > ini file > default, and every value
remembers where it came from, for ``pytest_report_header``.  ``--target=live``
also needs ``--live-confirm``, ``--live-allow`` and ``--live-budget``
(``smsftp.conformance.live.safety``); ``--live-numbers`` and ``--live-sender`` put the
cases onto the tester's own numbers and sender (``smsftp.conformance.live.localize``), on
the simulator too when they are given there (a dry run of the live run).

pytest itself owns ``--strict`` (its own strictness: markers, config, xfail),
so the suite's switch is ``--sms-strict`` (``SMSFTP_STRICT``, ini
``smsftp_strict``): it fails NON-STRICT verdicts.  pytest's ``--strict`` does not.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from smsftp.conformance.live.localize import Localization
    from smsftp.conformance.live.target import LiveConfig

TRUE = frozenset({"1", "true", "yes", "on", "y"})
FALSE = frozenset({"0", "false", "no", "off", "n", ""})


def _bool(value: str) -> bool:
    text = value.strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValueError(f"not a yes/no value: {value!r}")


# Every pytest start loads this module, with or without a test that uses the suite: the live side's
# parsers (phonenumbers and all) are imported only when a live option has a value.
def parse_numbers(value: str) -> tuple[str, ...]:
    if not value.strip():
        return ()
    from smsftp.conformance.live.safety import parse_numbers as parse

    return parse(value)


def parse_tester_numbers(value: str) -> tuple[str, ...]:
    if not value.strip():
        return ()
    from smsftp.conformance.live.localize import parse_tester_numbers as parse

    return parse(value)


def parse_sender(value: str) -> str:
    from smsftp.conformance.live.localize import parse_sender as parse

    return parse(value)


def _zone(value: str) -> str:
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(value)
    except (ValueError, KeyError, OSError):
        raise ValueError(f"{value!r} is not an IANA time zone (e.g. Asia/Yekaterinburg)") from None
    return value


def _target(value: str) -> str:
    if value not in ("sim", "live"):
        raise ValueError(f"must be sim or live, not {value!r}")
    return value


def _tls(value: str) -> bool:
    text = value.strip().lower()
    if text in ("on", "explicit", "ftps", "yes", "true", "1"):
        return True
    if text in ("off", "plain", "no", "false", "0"):
        return False
    raise ValueError(f"must be on (explicit FTPS) or off (plain FTP), not {value!r}")


@dataclass(frozen=True)
class Option:
    name: str  # the attribute in Settings and the option's dest: "live_host"
    help: str
    default: str | None = None
    parse: Callable[[str], Any] = str
    flag: bool = False  # a command-line switch without a value
    secret: bool = False

    @property
    def cli(self) -> str:
        return "--" + ("sms-strict" if self.name == "strict" else self.name.replace("_", "-"))

    @property
    def ini(self) -> str:
        return "smsftp_" + self.name

    @property
    def env(self) -> str:
        return "SMSFTP_" + self.name.upper()


OPTIONS: tuple[Option, ...] = (
    Option("target", "where the conformance cases run: sim (the in-process simulator) or live", "sim", _target),
    Option("cases", "only the cases whose id matches one of these globs (comma-separated)", ""),
    Option("exclude_cases", "leave out the cases whose id matches one of these globs", ""),
    Option(
        "strict",
        "fail NON-STRICT verdicts too (not pytest's own --strict, which is about pytest)",
        "no",
        _bool,
        flag=True,
    ),
    Option("report_dir", "write index.json and report.html of the run into this directory"),
    Option("live_host", "the live platform's FTP host"),
    Option("live_port", "the live platform's FTP port", "21", int),
    Option("live_login", "the live account's login"),
    Option("live_password", "the live account's password", secret=True),
    Option("live_tls", "on: explicit FTPS (AUTH TLS, PROT P); off: plain FTP", "on", _tls),
    Option("live_cafile", "a CA or pinned certificate to trust for FTPS (default: the system's CAs)"),
    Option("live_poll_interval", "the platform's poll interval in seconds (P1 says 10)", "10", float),
    Option("live_confirm", "confirm that the live run sends real SMS", "no", _bool, flag=True),
    Option("live_allow", "the only numbers that may receive SMS (comma-separated)", "", parse_numbers),
    Option("live_budget", "the most messages this run may send", None, int),
    Option(
        "live_numbers",
        "your own numbers that take the place of the cases' sample numbers, sample i -> "
        "number i mod n (comma-separated; default: the valid numbers of --live-allow, in that order)",
        "",
        parse_tester_numbers,
    ),
    Option(
        "live_sender",
        "your account's approved sender, in place of the cases' TESTSMS (default: TESTSMS)",
        None,
        parse_sender,
    ),
    Option("live_outcomes", "outcome source: an http(s) URL in GET /api/messages format, or cmd:COMMAND"),
    Option(
        "live_timezone",
        "the live account's own IANA time zone, as arranged with support: send dates are read in it (C3, M5)",
        "Europe/Moscow",
        _zone,
    ),
    # Calibration (smsftp.conformance.judge.calibration): write what the probes saw; follow a profile on sim.
    Option("profile_out", "write the open questions' answers this run observed to this TOML profile"),
    Option("profile", "on sim: set the simulator up as this calibration profile says and expect its answers"),
)
BY_NAME = {o.name: o for o in OPTIONS}
SIM_TOO = frozenset({"live_numbers", "live_sender"})  # shown, and used, on the simulator when given


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("smsftp", "smsftp conformance suite")
    for option in OPTIONS:
        help_text = f"{option.help} (env {option.env}, ini {option.ini})"
        if option.flag:
            group.addoption(option.cli, action="store_true", default=None, dest=f"smsftp_{option.name}", help=help_text)
        else:
            group.addoption(option.cli, action="store", default=None, dest=f"smsftp_{option.name}", help=help_text)
        parser.addini(option.ini, help_text, default=None)


@dataclass
class Settings:
    values: dict[str, Any]
    sources: dict[str, str]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    def live_config(self) -> LiveConfig:
        from smsftp.conformance.live.localize import valid_number
        from smsftp.conformance.live.target import LiveConfig

        v = self.values
        allow: tuple[str, ...] = v["live_allow"]
        return LiveConfig(
            host=v["live_host"] or "",
            port=v["live_port"],
            login=v["live_login"] or "",
            password=v["live_password"] or "",
            tls=v["live_tls"],
            cafile=v["live_cafile"],
            poll_interval=v["live_poll_interval"],
            confirm=v["live_confirm"],
            allow=frozenset(allow),
            budget=v["live_budget"],
            outcomes=v["live_outcomes"],
            numbers=v["live_numbers"] or tuple(n for n in allow if valid_number(n)),
            sender=v["live_sender"] or None,
            timezone=v["live_timezone"],
        )

    def sim_localization(self) -> Localization | None:
        """On the simulator the cases keep their numbers and sender unless these options are given."""
        v = self.values
        if not v["live_numbers"] and not v["live_sender"]:
            return None
        from smsftp.conformance.live.localize import Localization

        return Localization(v["live_numbers"], v["live_sender"] or None)

    def header(self) -> list[str]:
        live = self.values["target"] == "live"
        names = [
            o.name
            for o in OPTIONS
            if not o.name.startswith("live_") or live or (o.name in SIM_TOO and self.values[o.name])
        ]
        parts = []
        for name in names:
            option = BY_NAME[name]
            value = self.values[name]
            if option.secret and value:
                shown = "****"
            elif isinstance(value, frozenset | tuple):
                shown = ",".join(sorted(value) if isinstance(value, frozenset) else value) or "-"
            elif isinstance(value, bool):
                shown = "yes" if value else "no"
            else:
                shown = "-" if value in (None, "") else str(value)
            parts.append(f"{name.replace('_', '-')}={shown} ({self.sources[name]})")
        return [
            f"smsftp: target={self.values['target']} ({self.sources['target']})",
            "smsftp settings: " + "; ".join(parts[1:]),
        ]


def resolve(config: pytest.Config, environ: dict[str, str] | None = None) -> Settings:
    """Each option from the command line, else the environment, else the ini file, else its default."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for option in OPTIONS:
        raw: Any = config.getoption(f"smsftp_{option.name}")
        source = "command line"
        if raw is None:
            raw, source = env.get(option.env), f"env {option.env}"
        if raw is None:
            ini = config.getini(option.ini)
            raw, source = (ini if ini not in (None, "", []) else None), f"ini {option.ini}"
        if raw is None:
            raw, source = option.default, "default"
        try:
            value = raw if isinstance(raw, bool) else (option.parse(str(raw)) if raw is not None else None)
        except ValueError as exc:
            raise pytest.UsageError(f"smsftp: {option.cli} ({source}): {exc}") from None
        values[option.name], sources[option.name] = value, source
    return Settings(values, sources)
