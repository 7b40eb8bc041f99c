"""The ``smsftp`` command line.

``serve`` and ``check`` belong to the simulator.  The conformance package adds
``fixture``, ``corpus`` and ``report`` through the ``smsftp.commands`` entry-point
group, so that ``smsftp.simulator`` never imports ``smsftp.conformance``.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from smsftp.simulator.formats import FORMATS
from smsftp.simulator.profilecli import profile, profile_option, read_profile
from smsftp.simulator.rules.accounts import (
    DEMO_LOGIN,
    Account,
    AccountsFileError,
    demo_account,
    load_accounts,
    unknown_account,
)
from smsftp.simulator.rules.diagnostics import ARCHIVE_NOT_ZIP, Diagnostic, Severity
from smsftp.simulator.rules.instants import format_instant, parse_instant, utc
from smsftp.simulator.rules.outcome import ArchiveResult, Message
from smsftp.simulator.serve import register_resolver, serve

if TYPE_CHECKING:
    from smsftp.simulator.rules.timezones import ZoneResolver

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def parse_instant_option(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    """Click callback: an ISO 8601 instant, or a usage error that shows the expected form."""
    if value is None:
        return None
    try:
        return parse_instant(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 instant such as 2026-11-25T12:00:00Z") from None


class _Commands(click.Group):
    """The built-in commands, plus plugin commands loaded only when asked for.

    Loading a plugin imports its package (faker, phonenumbers, ...); doing that on
    every start would cost ``smsftp serve`` a good part of its start-up time.
    """

    def _plugins(self) -> dict[str, Any]:
        from importlib.metadata import entry_points  # 20 ms: only when a plugin is named or listed

        return {ep.name: ep for ep in entry_points(group="smsftp.commands")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._plugins()))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        ep = self._plugins().get(cmd_name)
        if ep is None:
            return None
        try:
            loaded = ep.load()
        except Exception as exc:  # a broken plugin must not take the whole CLI down
            click.echo(f"smsftp: command {cmd_name!r} unavailable: {exc!r}", err=True)
            return None
        if not isinstance(loaded, click.Command):
            return None
        self.add_command(loaded, cmd_name)
        return loaded


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="smsftp", prog_name="smsftp")
def main() -> None:
    """smsftp: a simulator and conformance harness for the SMS platform's FTP/FTPS integration."""


@dataclass
class _Progress:
    """A one-line row counter on stderr, only when stderr is a terminal."""

    label: str
    stream: IO[str]
    enabled: bool
    count: int = 0
    _last: float = 0.0

    def track(self, messages: Iterator[Message]) -> Iterator[Message]:
        for message in messages:
            self.count += 1
            if self.enabled and not self.count % 4096:
                now = time.monotonic()
                if now - self._last > 0.2:
                    self._last = now
                    self.stream.write(f"\r{self.label}: {self.count:,} messages rendered")
                    self.stream.flush()
            yield message

    def done(self) -> None:
        if self.enabled and self._last:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()


def _resolve_account(
    archive: Path, accounts: dict[str, Account] | None, login: str | None, overrides: dict[str, Any]
) -> Account:
    from smsftp.simulator.rules.naming import parse_archive_name

    parsed = parse_archive_name(archive.name)
    name_login = parsed.login if parsed else None
    chosen = login or name_login or ""
    if accounts is not None and chosen in accounts:
        account = accounts[chosen]
    elif accounts is None and chosen == DEMO_LOGIN:
        account = demo_account()  # the account `smsftp serve` offers without a file: judged the same here
    else:
        account = unknown_account(chosen)
    return account.with_overrides(**overrides)


def _check_one(
    path: Path, account: Account, at: datetime, keep: bool, progress: bool, resolver: ZoneResolver | None
) -> ArchiveResult:
    from smsftp.simulator.rules.processing import process_archive

    if not path.is_file():
        from smsftp.simulator.rules.diagnostics import diagnostic

        missing = diagnostic(
            ARCHIVE_NOT_ZIP,
            f"{path}: no such file, or not a regular file",
            hint="Check the path you passed to smsftp check.",
        )
        return ArchiveResult(path.name, "rejected", None, 0, 0, [missing], [] if keep else None)
    run = process_archive(path.name, path, account, at, resolver=resolver)
    bar = _Progress(path.name, sys.stderr, progress and sys.stderr.isatty())
    kept: list[Message] | None = [] if keep else None
    for message in bar.track(iter(run)):
        if kept is not None:
            kept.append(message)
    bar.done()
    result = run.result(keep_messages=False)
    if keep:
        result.messages = kept if result.status == "accepted" else []
    return result


def _location(archive: str, d: Diagnostic) -> str:
    where = archive if d.file is None else f"{archive}!{d.file}"
    if d.line is not None:
        where += f":{d.line}"
        if d.column is not None:
            where += f":{d.column}"
    return where


def _print_text(results: list[ArchiveResult], show_messages: bool) -> None:
    counts = {s: 0 for s in Severity}
    for result in results:
        for d in result.diagnostics:
            counts[d.severity] += 1
            click.echo(f"{_location(result.archive, d)}: {d.code} [{d.severity}] {d.message} ({d.statement})")
            if d.hint:
                click.echo(f"    hint: {d.hint}")
        if show_messages and result.messages:
            for m in result.messages:
                click.echo(
                    f"{result.archive}:{m.row}: {m.phone} <- {m.sender} at {format_instant(m.send_at)} "
                    f"until {format_instant(m.expires_at)} [{m.encoding}, {m.segments} part(s)]: {m.text}"
                )
        mode = result.mode or "unknown mode"
        click.echo(
            f"{result.archive}: {result.status.upper()} ({mode}): {result.message_count} message(s), "
            f"{result.rejected_rows} rejected row(s)"
        )
    accepted = sum(r.status == "accepted" for r in results)
    click.echo(
        f"{len(results)} archive(s): {accepted} accepted, {len(results) - accepted} rejected; "
        f"{counts[Severity.ERROR]} error(s), {counts[Severity.WARNING]} warning(s), "
        f"{counts[Severity.INFO]} info"
    )


@main.command()
# A path that does not exist or is a folder is a typo on the command line (exit 2), not a bad archive.
@click.argument("archives", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--accounts",
    "accounts_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Accounts TOML file ([accounts.LOGIN] tables). Without it, guest is the demo account of `smsftp serve` "
    "and other logins' sender approval is not checked.",
)
@click.option("--login", help="The FTP login the archive is checked for. Default: the login in its name.")
@click.option("--encoding", help="Override the account's text encoding (default utf-8).")
@click.option(
    "--timezone", "timezone_", metavar="ZONE", help="Override the account's IANA time zone (default Europe/Moscow)."
)
@click.option("--at", "at", callback=parse_instant_option, help="Processing instant, ISO 8601 (default: now).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text: compiler-style lines; json: one JSON document; junit: JUnit XML test report; sarif: SARIF 2.1.0 "
    "(GitHub code scanning); github: GitHub Actions annotations; gitlab: GitLab Code Quality JSON.",
)
@click.option(
    "--select",
    multiple=True,
    metavar="CODES",
    help="Report only these codes or code prefixes (SMS5: every phone code); comma-separated, repeatable.",
)
@click.option(
    "--ignore", multiple=True, metavar="CODES", help="Drop these codes or prefixes; the more specific of the two wins."
)
@click.option(
    "--statistics", is_flag=True, help="Print the number of findings per code instead of the findings (json: a list)."
)
@click.option("--messages", "show_messages", is_flag=True, help="Include the rendered messages.")
@click.option(
    "--register",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar="SMSFTP_NUMBERING_REGISTER",
    help="Numbering-plan register (DEF-9xx.csv) for time zones by number, newer than the shipped table "
    "[env SMSFTP_NUMBERING_REGISTER].",
)
@profile_option
def check(
    archives: tuple[Path, ...],
    accounts_file: Path | None,
    login: str | None,
    encoding: str | None,
    timezone_: str | None,
    at: datetime | None,
    fmt: str,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    statistics: bool,
    show_messages: bool,
    register: Path | None,
    profile_file: Path | None,
) -> None:
    """Lint ARCHIVES offline with the platform's rules.

    Prints one line per finding, `archive.zip!sms/contacts.csv:12:1: CODE message`,
    a hint with the likely cause and the fix, and a summary; or the findings in a
    CI system's format (--format). Exit status: 0 when every archive is accepted
    with no error among the reported findings, 1 otherwise, 2 for usage errors.
    """
    from smsftp.simulator.formats import SelectorError, parse_selectors

    try:
        selected, ignored = parse_selectors(select), parse_selectors(ignore)
    except SelectorError as exc:
        raise click.BadParameter(str(exc), param_hint="--select/--ignore") from None
    try:
        accounts = load_accounts(accounts_file) if accounts_file else None
    except AccountsFileError as exc:
        raise click.UsageError(str(exc)) from None
    profile = read_profile(profile_file)
    overrides: dict[str, Any] = {"encoding": encoding, "timezone": timezone_}
    if profile is not None:
        overrides = {**profile.account_settings(), **overrides}
    _validate_overrides(overrides)
    resolver = register_resolver(register)
    instant = at or utc(datetime.now().astimezone())
    results: list[ArchiveResult] = []
    for path in archives:
        account = _resolve_account(path, accounts, login, overrides)
        try:
            results.append(
                _check_one(path, account, instant, show_messages, fmt == "text" and not statistics, resolver)
            )
        except Exception as exc:  # our own bug: report it, never crash on the user's input
            click.echo(f"smsftp: internal error while checking {path}: {exc!r}; please report it", err=True)
            results.append(ArchiveResult(path.name, "rejected", None, 0, 0, []))
    if selected or ignored:
        from smsftp.simulator.formats import keep

        for r in results:
            r.diagnostics = [d for d in r.diagnostics if keep(d, selected, ignored)]
    subjects = [_subject(path, r) for path, r in zip(archives, results, strict=True)]
    _emit(fmt, results, subjects, show_messages, statistics)
    ok = all(r.status == "accepted" and not r.has_errors for r in results)
    sys.exit(EXIT_OK if ok else EXIT_FINDINGS)


def _subject(path: Path, result: ArchiveResult) -> Any:
    from smsftp.simulator.formats import Subject

    summary = (
        f"{result.archive}: {result.status.upper()} ({result.mode or 'unknown mode'}): "
        f"{result.message_count} message(s), {result.rejected_rows} rejected row(s)"
    )
    return Subject(result.archive, str(path), result.status != "accepted", summary, tuple(result.diagnostics))


def _emit(fmt: str, results: list[ArchiveResult], subjects: list[Any], show_messages: bool, stats: bool) -> None:
    from smsftp.simulator import formats

    if stats:
        rows = formats.statistics(subjects)
        click.echo(json.dumps(rows, indent=2) if fmt == "json" else formats.statistics_text(rows))
    elif fmt == "json":
        click.echo(json.dumps({"results": [r.to_json() for r in results]}, ensure_ascii=False, indent=2))
    elif fmt == "text":
        _print_text(results, show_messages)
    else:
        rendered = formats.render(fmt, subjects, tool="smsftp check")
        if rendered:  # no findings: no annotation lines, not an empty one
            click.echo(rendered)


def _validate_overrides(overrides: dict[str, Any]) -> None:
    from zoneinfo import ZoneInfo

    from smsftp.simulator.rules.accounts import text_encoding_problem

    if overrides.get("encoding"):
        problem = text_encoding_problem(overrides["encoding"])
        if problem is not None:
            raise click.BadParameter(problem, param_hint="--encoding")
    if overrides.get("timezone"):
        try:
            ZoneInfo(overrides["timezone"])
        except Exception:
            raise click.BadParameter(
                f"unknown IANA time zone {overrides['timezone']!r}", param_hint="--timezone"
            ) from None


@main.command()
@click.argument("code")
def explain(code: str) -> None:
    """Explain a diagnostic CODE (SMS503) or name (phone-leading-8): what, why, fix, example, statement."""
    import difflib

    from smsftp.simulator.rules.diagnostics import REGISTRY
    from smsftp.simulator.rules.statements import title

    by_name = {rule.name: rule for rule in REGISTRY.values()}
    rule = REGISTRY.get(code.strip().upper()) or by_name.get(code.strip().lower())
    if rule is None:
        close = difflib.get_close_matches(code.strip().upper(), list(REGISTRY), n=3) or difflib.get_close_matches(
            code.strip().lower(), list(by_name), n=3
        )
        hint = f"; did you mean {', '.join(close)}?" if close else "; `smsftp check` prints codes such as SMS503"
        click.echo(f"smsftp explain: no diagnostic {code!r}{hint}", err=True)
        sys.exit(EXIT_USAGE)
    lines = [f"{rule.code} {rule.name} [{rule.severity}]" + (" (retired)" if rule.retired else ""), "", rule.summary]
    lines += ["", "Why it matters:", f"    {rule.why}", "", "Fix:", f"    {rule.fix}"]
    if rule.example:
        lines += ["", "Example:", *(f"    {line}" for line in rule.example.splitlines())]
    try:
        statement = title(rule.statement)
    except KeyError:
        statement = ""
    lines += ["", f"Statement {rule.statement}: {statement}".rstrip(": ")]
    click.echo("\n".join(lines))


main.add_command(serve)
main.add_command(profile)


if __name__ == "__main__":  # pragma: no cover
    main()
