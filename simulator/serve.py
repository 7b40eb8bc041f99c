"""``smsftp serve``: run the fake platform until SIGINT or SIGTERM.

The FTP listener opens first, so a client can log in a fraction of a second after
start; the HTTP API follows.  Logs are logfmt lines on stderr (``event=upload``,
``event=poll``, ``event=archive``, ...).  On SIGINT or SIGTERM the archive being
processed is finished, the rest stays in the folder for the next start, and the
process exits 0.
"""

from __future__ import annotations

import errno
import logging
import os
import signal
import sys
import threading
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

from smsftp.simulator.profilecli import profile_option, read_profile
from smsftp.simulator.rules.accounts import AccountsFileError, demo_account, load_accounts
from smsftp.simulator.rules.instants import format_instant, parse_instant
from smsftp.simulator.service.clock import Clock, FrozenClock, SystemClock
from smsftp.simulator.service.limits import (
    DEFAULT_FOLDER_QUOTA,
    DEFAULT_LOGIN_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
)
from smsftp.simulator.service.throttle import DEFAULT_BACKOFF, DEFAULT_FAILURES
from smsftp.simulator.web.limits import DEFAULT_MAX_BODY, DEFAULT_WAITS_PER_CLIENT, ApiSettings

if TYPE_CHECKING:
    from smsftp.simulator.rules.timezones import ZoneResolver

DEFAULT_STATE_DIR = "smsftp-state"
EXIT_STATE_BUSY = 2  # another smsftp holds --state-dir
DEFAULT_HOST = "127.0.0.1"
DEFAULT_FTP_PORT = 2121
DEFAULT_API_PORT = 8121  # not 8025: Mailpit's and MailHog's, often in the same CI job
# Where ``smsftp report`` looks when given neither --api nor --state-dir.
DEFAULT_API_URL = f"http://{DEFAULT_HOST}:{DEFAULT_API_PORT}"
ENV_PREFIX = "SMSFTP_"  # every serve option NAME is also read from SMSFTP_NAME (--ftp-port: SMSFTP_FTP_PORT)


class LogfmtFormatter(logging.Formatter):
    """``ts=... level=... event=...``: our messages are logfmt already; others become ``msg="..."``."""

    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds")
        message = record.getMessage()
        if not message.startswith("event="):
            message = 'msg="' + message.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
        line = f"ts={ts} level={record.levelname.lower()} {message}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def register_resolver(register: Path | None) -> ZoneResolver | None:
    """A resolver over the ``--register`` file; None without one (the rules then use the shipped table)."""
    if register is None:
        return None
    from smsftp.simulator.rules.timezones import RegisterError, ZoneResolver, load_register

    try:
        return ZoneResolver(load_register(register))
    except RegisterError as exc:
        raise click.BadParameter(str(exc), param_hint="--register") from None


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(LogfmtFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # pyftpdlib logs every command at INFO; the journal's lines say what matters.
    logging.getLogger("pyftpdlib").setLevel(logging.WARNING)


def _instant(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_instant(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO 8601 instant such as 2026-11-25T12:00:00Z", param_hint="--at"
        ) from None


class PortInUse(click.ClickException):
    exit_code = 2


def _port_in_use(exc: OSError, option: str, port: int, host: str) -> None:
    """Name the option whose port is taken: an address error alone does not say which of the two."""
    # pyftpdlib re-raises the bind error as a bare OSError(message), without its errno.
    if exc.errno == errno.EADDRINUSE or os.strerror(errno.EADDRINUSE) in str(exc):
        env = ENV_PREFIX + option.removeprefix("--").replace("-", "_").upper()
        raise PortInUse(
            f"{option} {port} is in use on {host}: stop what holds it, or pass another port "
            f"({option} or {env}; 0 picks a free one)"
        ) from None


def banner(sim: Any, demo: bool, profile: str | None = None) -> str:
    host = sim.ftp_host
    lines = ["smsftp simulator is running", ""]
    if sim.tls != "required":
        lines.append(f"  FTP       ftp://{host}:{sim.ftp_port}/")
    if sim.tls != "off":
        lines.append(
            f"  FTPS      ftp://{host}:{sim.ftp_port}/ with AUTH TLS (explicit; curl --ssl-reqd"
            f"{'' if sim.tls == 'required' else ', TLS optional'})"
        )
        lines.append(f"  cert      {sim.cert_path}   (curl --cacert {sim.cert_path}, or -k)")
    if demo:
        lines.append("  login     guest / guest   (demo account, sender TESTSMS)")
    else:
        lines.append(f"  accounts  {', '.join(sorted(sim.accounts))}")
    if sim.api_url:
        lines.append(f"  API       {sim.api_url}/api/health   (OpenAPI: {sim.api_url}/docs)")
        lines.append(f"  cabinet   {sim.api_url}/cabinet/")
    if sim.api_token:
        lines.append(f"  token     Authorization: Bearer {sim.api_token}")
    clock = "frozen at " + format_instant(sim.clock.now()) if sim.clock.frozen else "system time"
    lines.append(
        f"  clock     {clock}; poll every {sim.poll_interval:g} s{' (naive poller)' if sim.naive_poller else ''}"
    )
    for fault in getattr(sim, "faults", ()):
        lines.append(f"  fault     #{fault.id} {fault.spec.compact()} ({fault.source})")
    if profile is not None:
        lines.append(f"  profile   {profile}")
    lines += [f"  state     {sim.state_dir}", ""]
    if demo:
        lines.append(f"Try:  curl -T guest_YYYYMMDDhhmmss.zip ftp://guest:guest@{host}:{sim.ftp_port}/")
    lines.append("Stop: Ctrl-C (the archive being processed is finished first)")
    return "\n".join(lines)


@click.command()
@click.option(
    "--host",
    default=DEFAULT_HOST,
    show_default=True,
    envvar="SMSFTP_HOST",
    show_envvar=True,
    help="Address for FTP and the API. Off loopback, the API requires a token.",
)
@click.option(
    "--ftp-port",
    default=DEFAULT_FTP_PORT,
    show_default=True,
    type=click.IntRange(0, 65535),
    envvar="SMSFTP_FTP_PORT",
    show_envvar=True,
    help="FTP/FTPS control port (0: any).",
)
@click.option(
    "--api-port",
    default=DEFAULT_API_PORT,
    show_default=True,
    type=click.IntRange(-1, 65535),
    envvar="SMSFTP_API_PORT",
    show_envvar=True,
    help="HTTP API port (0: any; -1: no API).",
)
@click.option(
    "--accounts",
    "accounts_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar="SMSFTP_ACCOUNTS",
    show_envvar=True,
    help="Accounts TOML ([accounts.LOGIN] tables). Default: the demo account guest/guest.",
)
@click.option(
    "--state-dir",
    default=DEFAULT_STATE_DIR,
    show_default=True,
    envvar="SMSFTP_STATE_DIR",
    show_envvar=True,
    help="Where the SQLite log, the FTP folders and the certificate live; ':memory:' keeps no state. "
    "One server per folder: a second one on it exits 2, naming the holder's pid.",
)
@click.option(
    "--tls",
    type=click.Choice(["off", "optional", "required"]),
    default="optional",
    show_default=True,
    envvar="SMSFTP_TLS",
    show_envvar=True,
    help="Explicit FTPS (AUTH TLS): not offered, offered, or required before USER.",
)
@click.option(
    "--cert",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar="SMSFTP_CERT",
    show_envvar=True,
    help="PEM certificate (default: generated into STATE_DIR/tls on first start).",
)
@click.option(
    "--key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar="SMSFTP_KEY",
    show_envvar=True,
    help="PEM private key (default: in the --cert file).",
)
@click.option(
    "--clock",
    "clock_kind",
    type=click.Choice(["system", "frozen"]),
    default="system",
    show_default=True,
    envvar="SMSFTP_CLOCK",
    show_envvar=True,
    help="system: real time; frozen: time moves only by the API.",
)
@click.option(
    "--at",
    "at",
    envvar="SMSFTP_AT",
    show_envvar=True,
    help="Start instant, ISO 8601 (frozen clock; default now). A state folder resumes at its saved instant "
    "when that is later, so processed_at never goes back.",
)
@click.option(
    "--poll-interval",
    default=10.0,
    show_default=True,
    type=float,
    envvar="SMSFTP_POLL_INTERVAL",
    show_envvar=True,
    help="Seconds between polls (P1).",
)
@click.option(
    "--naive-poller",
    is_flag=True,
    envvar="SMSFTP_NAIVE_POLLER",
    show_envvar=True,
    help="Take .zip files even while they are being uploaded, as a plain file-system poller does (Q22).",
)
@profile_option
@click.option(
    "--fault",
    "fault_texts",
    multiple=True,
    metavar="ON[@LOGIN]:ITEM,...",
    envvar="SMSFTP_FAULT",
    show_envvar=True,
    help="Inject a fault, e.g. STOR@guest:452,times=1 or POLL:late=300 (repeatable; see the faults recipes; "
    "in the environment variable, several separated by spaces).",
)
@click.option(
    "--api-token",
    envvar="SMSFTP_API_TOKEN",
    show_envvar=True,
    help="Bearer token for the API; generated when --host is not loopback.",
)
@click.option(
    "--max-store-mb",
    type=click.IntRange(min=1),
    default=None,
    envvar="SMSFTP_MAX_STORE_MB",
    show_envvar=True,
    help="Cap on the SQLite log's size in MiB (default: none, only the disk's). An archive that does not fit "
    "is rolled back and waits in its folder (SMS830) until there is room.",
)
@click.option(
    "--register",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar="SMSFTP_NUMBERING_REGISTER",
    show_envvar=True,
    help="Numbering-plan register (DEF-9xx.csv) for time zones by number, newer than the shipped table.",
)
@click.option(
    "--api-max-body",
    default=DEFAULT_MAX_BODY,
    show_default=True,
    type=click.IntRange(min=0),
    envvar="SMSFTP_API_MAX_BODY",
    show_envvar=True,
    help="Largest HTTP request body in bytes; a larger one is refused with 413 before it is read.",
)
@click.option(
    "--api-waits-per-client",
    default=DEFAULT_WAITS_PER_CLIENT,
    show_default=True,
    type=click.IntRange(min=1),
    envvar="SMSFTP_API_WAITS_PER_CLIENT",
    show_envvar=True,
    help="?wait= calls one client address may hold at once; past it a wait is refused with 429.",
)
@click.option(
    "--ftp-max-connections-per-address",
    default=DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
    show_default=True,
    type=click.IntRange(min=0),
    envvar="SMSFTP_FTP_MAX_CONNECTIONS_PER_ADDRESS",
    show_envvar=True,
    help="FTP control connections at once from one client address; more get 421 (0: no cap).",
)
@click.option(
    "--ftp-login-timeout",
    default=DEFAULT_LOGIN_TIMEOUT,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    envvar="SMSFTP_FTP_LOGIN_TIMEOUT",
    show_envvar=True,
    help="Seconds an FTP connection may stay without logging in before 421.",
)
@click.option(
    "--ftp-quota",
    default=DEFAULT_FOLDER_QUOTA,
    show_default=True,
    type=click.IntRange(min=0),
    envvar="SMSFTP_FTP_QUOTA",
    show_envvar=True,
    help="Bytes each account's FTP folder may hold; an upload past it gets 552 (0: no quota).",
)
@click.option(
    "--login-failures",
    default=DEFAULT_FAILURES,
    show_default=True,
    type=click.IntRange(min=0),
    envvar="SMSFTP_LOGIN_FAILURES",
    show_envvar=True,
    help="Failed logins (FTP and cabinet) per address or per login within --login-backoff "
    "that lock it for --login-backoff seconds (0: no throttling).",
)
@click.option(
    "--login-backoff",
    default=DEFAULT_BACKOFF,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    envvar="SMSFTP_LOGIN_BACKOFF",
    show_envvar=True,
    help="Seconds over which failed logins are counted, and that a locked address or login waits.",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    show_default=True,
    envvar="SMSFTP_LOG_LEVEL",
    show_envvar=True,
    help="Structured log lines (logfmt: event=upload, poll, archive, ...) on stderr.",
)
def serve(
    host: str,
    ftp_port: int,
    api_port: int,
    accounts_file: Path | None,
    state_dir: str,
    tls: str,
    cert: Path | None,
    key: Path | None,
    clock_kind: str,
    at: str | None,
    poll_interval: float,
    naive_poller: bool,
    profile_file: Path | None,
    fault_texts: tuple[str, ...],
    api_token: str | None,
    max_store_mb: int | None,
    register: Path | None,
    api_max_body: int,
    api_waits_per_client: int,
    ftp_max_connections_per_address: int,
    ftp_login_timeout: float,
    ftp_quota: int,
    login_failures: int,
    login_backoff: float,
    log_level: str,
) -> None:
    """Run the fake platform: FTP/FTPS server, 10-second poller, SQLite log, HTTP API.

    Every option is also read from an environment variable, SMSFTP_ and the
    option's name (--ftp-port: SMSFTP_FTP_PORT), shown in brackets below; the
    command line wins.  A bad accounts file stops here with exit status 2.
    """
    try:
        accounts = load_accounts(accounts_file) if accounts_file else None
    except AccountsFileError as exc:
        raise click.UsageError(str(exc)) from None
    if poll_interval <= 0:
        raise click.BadParameter("must be positive", param_hint="--poll-interval")
    demo = accounts is None
    profile = read_profile(profile_file)
    if profile is not None:  # the calibrated platform: every account, and the poller, as observed
        accounts = {login: profile.apply(a) for login, a in (accounts or {"guest": demo_account()}).items()}
        naive_poller = naive_poller or profile.naive_poller
    start = _instant(at)
    if start is not None and clock_kind == "system":
        raise click.UsageError("--at needs --clock frozen")
    resolver = register_resolver(register)
    configure_logging(log_level)
    clock: Clock = FrozenClock(start) if clock_kind == "frozen" else SystemClock()
    from smsftp.simulator.app import Simulator
    from smsftp.simulator.service.faults import FaultError, parse_compact, specs_from_accounts

    try:
        faults = [parse_compact(text, clock.now()) for text in fault_texts]
    except FaultError as exc:
        raise click.BadParameter(str(exc), param_hint="--fault") from None
    try:
        specs_from_accounts(accounts or {}, clock.now())
    except FaultError as exc:
        raise click.UsageError(f"{accounts_file}: {exc}") from None

    sim = Simulator(
        accounts=accounts,
        state_dir=state_dir,
        host=host,
        ftp_port=ftp_port,
        api_port=None if api_port < 0 else api_port,
        tls=tls,  # type: ignore[arg-type]
        cert=cert,
        key=key,
        clock=clock,
        poll_interval=poll_interval,
        naive_poller=naive_poller,
        api_token=api_token,
        max_store_bytes=None if max_store_mb is None else max_store_mb << 20,
        resolver=resolver,
        faults=faults,
        api_settings=ApiSettings(max_body=api_max_body, waits_per_client=api_waits_per_client),
        ftp_max_connections_per_address=ftp_max_connections_per_address,
        ftp_login_timeout=ftp_login_timeout,
        ftp_folder_quota=ftp_quota,
        login_failures=login_failures,
        login_backoff=login_backoff,
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        logging.getLogger("smsftp").info("event=signal signal=%s action=stop", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    from smsftp.simulator.service.statelock import StateFolderBusy
    from smsftp.simulator.service.store import StoreError

    try:
        try:
            sim.start()
        except OSError as exc:
            _port_in_use(exc, "--ftp-port", ftp_port, host)
            raise
        if api_port >= 0:
            try:
                sim.start_api()
            except OSError as exc:
                sim.stop()
                _port_in_use(exc, "--api-port", api_port, host)
                raise
    except StateFolderBusy as exc:
        click.echo(f"Error: cannot start: {exc}", err=True)
        sys.exit(EXIT_STATE_BUSY)
    except (OSError, StoreError) as exc:
        raise click.ClickException(f"cannot start: {exc}") from None
    shown = None if profile is None else f"{profile_file} ({profile.summary()})"
    click.echo(banner(sim, demo, shown), err=True)
    try:
        while not stop.wait(3600):
            pass
    finally:
        sim.stop()
    click.echo("smsftp simulator stopped", err=True)
