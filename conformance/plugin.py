"""The smsftp pytest plugin (entry point ``pytest11: smsftp``).

Fixtures:

``sms_simulator`` (function scope, over one session-scoped server)
    The in-process ``Simulator``: an ephemeral FTP port on 127.0.0.1, a temporary
    state directory, a frozen clock, the demo account guest/guest; the HTTP API
    starts on an ephemeral port the first time a test reads ``api_url``.  One
    server per session (per xdist worker), restored before each test to the
    state it started in (``Simulator.restore``: accounts, clock, folders, store),
    so no test sees another one's.  Errors raised in its threads (the poller's)
    fail the test that caused them.
``sms_simulator_settings`` (session scope)
    The keyword arguments the session's ``Simulator`` is made with; ``{}`` by
    default.  Override it in a ``conftest.py`` (as pytest-httpserver's
    ``httpserver_listen_address``) for other accounts, a fixed start instant, TLS
    required, ...
``sms_platform``
    The selected target (``--target=sim|live``) behind one interface
    (``smsftp.conformance.judge.targets.Platform``): ``upload``, ``wait_processed``,
    ``folder``, ``archives``, ``messages``, ``assert_client_conformant``.
``sms_case``
    Parametrized over the selected conformance cases (``--cases``,
    ``--exclude-cases``): any test asking for it runs once per case.

With ``--target=live`` a preflight runs once collection is done, when a collected test
uses ``sms_platform``: connect, TLS handshake, login, list the folder
(``smsftp.conformance.live.preflight``).  A failure ends the run with one message
naming the option to fix (exit status 4, usage error) and the report, when
``--report-dir`` is given, says that the run never reached the platform.

Options, ini keys and environment variables: ``smsftp.conformance.options``.  In the
repository ``pytest --target=sim`` runs everything; an installed package runs
its suite with ``pytest --pyargs smsftp.conformance --target=...``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from smsftp.conformance.options import BY_NAME, Settings, add_options, resolve

if TYPE_CHECKING:
    from smsftp.conformance.cases import Case
    from smsftp.conformance.judge.targets import Platform
    from smsftp.conformance.judge.verdicts import Verdict
    from smsftp.conformance.live.target import LiveTarget
    from smsftp.simulator.app import Simulator
    from smsftp.simulator.rules.profile import Profile

VERDICT_PROPERTY = "smsftp_verdict"
SETTINGS = pytest.StashKey[Settings]()
TLS_FOLDER_ENV = "SMSFTP_XDIST_TLS_FOLDER"


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "smsftp_case(case_id): one case of the smsftp conformance suite")
    settings = resolve(config)
    config.stash[SETTINGS] = settings
    _profile(config)  # a bad --profile is a usage error before anything runs
    if settings.target == "live":
        if getattr(config.option, "numprocesses", None) or hasattr(config, "workerinput"):
            raise pytest.UsageError("smsftp: --target=live runs one case at a time (one folder, one budget); drop -n")
        from smsftp.conformance.live.target import LiveNotAllowed, LiveTarget

        try:
            LiveTarget.check(settings.live_config())
        except LiveNotAllowed as exc:
            raise pytest.UsageError(f"smsftp: {exc}") from None
    config.pluginmanager.register(_Recorder(config, settings), "smsftp-recorder")
    _share_tls_folder(config)


def pytest_collection_finish(session: pytest.Session) -> None:
    config = session.config
    settings = config.stash[SETTINGS]
    if settings.target != "live" or config.option.collectonly or hasattr(config, "workerinput"):
        return
    if not any("sms_platform" in getattr(item, "fixturenames", ()) for item in session.items):
        return
    from smsftp.conformance.live.preflight import preflight

    failure = preflight(settings.live_config())
    if failure is not None:
        recorder = config.pluginmanager.get_plugin("smsftp-recorder")
        if isinstance(recorder, _Recorder):
            recorder.preflight = failure.to_json()
        pytest.exit(
            f"smsftp: the live run never reached the platform ({failure.step} failed): {failure.message}",
            returncode=pytest.ExitCode.USAGE_ERROR,
        )


def pytest_report_header(config: pytest.Config) -> list[str]:
    return config.stash[SETTINGS].header()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "sms_case" not in metafunc.fixturenames:
        return
    from smsftp.conformance.cases import select_cases

    settings = metafunc.config.stash[SETTINGS]
    cases = select_cases(
        [settings.cases] if settings.cases else [], [settings.exclude_cases] if settings.exclude_cases else []
    )
    metafunc.parametrize("sms_case", [pytest.param(c, id=c.id, marks=pytest.mark.smsftp_case(c.id)) for c in cases])


# --- fixtures ----------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def sms_simulator_settings() -> dict[str, Any]:
    """Keyword arguments for the session's ``Simulator``; override this fixture to change them."""
    return {}


@pytest.fixture(scope="session")
def _sms_simulator_server(sms_simulator_settings: dict[str, Any], pytestconfig: pytest.Config) -> Iterator[Simulator]:
    from smsftp.simulator.app import Simulator

    settings = dict(sms_simulator_settings)
    profile = _profile(pytestconfig)
    if profile is not None and profile.naive_poller:  # the calibrated platform's poller (Q22)
        settings.setdefault("naive_poller", True)
    if settings.get("tls", "optional") != "off" and "cert" not in settings:
        shared = _cached_certificate(pytestconfig) or _shared_certificate()
        if shared is not None:
            settings["cert"], settings["key"] = shared
    with Simulator(**settings) as sim:
        yield sim


def _cached_certificate(config: pytest.Config) -> tuple[Path, Path] | None:
    """The test certificate kept in pytest's cache (``.pytest_cache``), made by the first run only.

    Making an RSA key is most of a simulator's start-up (about 0.3 s of 0.33 s).  None without
    the cache (``-p no:cacheprovider``).
    """
    cache = getattr(config, "cache", None)
    if cache is None:
        return None
    from smsftp.simulator.service.tls import ensure_certificate

    folder = Path(cache.mkdir("smsftp-tls"))
    with _locked(folder / "lock"):  # xdist workers share the cache
        pair = ensure_certificate(folder)
    return pair.cert, pair.key


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` between processes (POSIX); no lock where fcntl is missing."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
        yield


def _shared_certificate() -> tuple[Path, Path] | None:
    """Under xdist, one self-signed certificate for every worker of the run; None when running alone.

    Without pytest's cache, each worker paying for its own key would make ``-n 2`` slower than a
    sequential run.  The controller names an empty folder (``_share_tls_folder``); the first
    worker fills it, under a lock.
    """
    folder = os.environ.get(TLS_FOLDER_ENV)
    if not folder or not os.environ.get("PYTEST_XDIST_WORKER"):
        return None
    from smsftp.simulator.service.tls import ensure_certificate

    with _locked(Path(folder) / "lock"):
        pair = ensure_certificate(Path(folder))
    return pair.cert, pair.key


def _share_tls_folder(config: pytest.Config) -> None:
    """On an xdist controller: an empty folder for the workers' one certificate, removed at the end."""
    if hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None):
        return
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix="smsftp-tls-")
    os.environ[TLS_FOLDER_ENV] = folder  # the workers start after pytest_configure and inherit it

    def remove() -> None:
        os.environ.pop(TLS_FOLDER_ENV, None)
        shutil.rmtree(folder, ignore_errors=True)

    config.add_cleanup(remove)


@pytest.fixture
def sms_simulator(_sms_simulator_server: Simulator) -> Iterator[Simulator]:
    """The in-process simulator, restored to its starting state before the test; its thread errors fail it."""
    sim = _sms_simulator_server
    sim.restore()
    seen = len(sim.errors)
    yield sim
    fresh = sim.errors[seen:]
    if fresh:
        pytest.fail(f"the simulator failed internally during this test: {fresh[0]!r}", pytrace=False)


@pytest.fixture(scope="session")
def _sms_live_target(pytestconfig: pytest.Config) -> Iterator[LiveTarget]:
    from smsftp.conformance.live.target import LiveTarget

    target = LiveTarget(pytestconfig.stash[SETTINGS].live_config())
    yield target
    target.close()


@pytest.fixture
def sms_platform(request: pytest.FixtureRequest, pytestconfig: pytest.Config) -> Platform:
    """The selected target: the simulator (reset for this test) or the live platform."""
    if pytestconfig.stash[SETTINGS].target == "live":
        live: LiveTarget = request.getfixturevalue("_sms_live_target")
        return live
    from smsftp.conformance.judge.targets import SimTarget

    settings = pytestconfig.stash[SETTINGS]
    profile = _profile(pytestconfig)
    calibrated = profile.account_settings() if profile is not None else None
    localization = settings.sim_localization()
    if localization is None:
        return SimTarget(request.getfixturevalue("sms_simulator"), calibrated=calibrated)
    # A dry run of the live run's map: a throw-away account approves the mapped sender.
    return SimTarget(
        request.getfixturevalue("sms_simulator"), login="tester", localization=localization, calibrated=calibrated
    )


def judge_case(request: pytest.FixtureRequest, case: Case, platform: Platform) -> Verdict:
    """Run one case, record its verdict for the report, and pass, fail or skip the test accordingly."""
    from smsftp.conformance.judge.runner import run_case
    from smsftp.conformance.judge.verdicts import Outcome

    verdict = run_case(case, platform)  # the simulator's thread errors fail the test in sms_simulator
    profile = _profile(request.config)
    if profile is not None and platform.kind == "sim":
        from smsftp.conformance.judge.calibration import follow_profile

        verdict = follow_profile(verdict, profile)
    request.node.user_properties.append((VERDICT_PROPERTY, json.dumps(verdict.to_json(), ensure_ascii=False)))
    strict = request.config.stash[SETTINGS].strict
    if verdict.outcome is Outcome.SKIPPED_SAFETY:
        pytest.skip(f"SKIPPED-SAFETY: {verdict.reason}")
    if verdict.outcome is Outcome.SKIPPED:
        pytest.skip(verdict.reason)
    if verdict.fails(strict):
        pytest.fail(verdict.text(), pytrace=False)
    return verdict


# --- calibration (smsftp.conformance.judge.calibration) ----------------------------------------------
PROFILE = pytest.StashKey["Profile | None"]()


def _profile(config: pytest.Config) -> Profile | None:
    """The ``--profile`` the simulator follows, read once; only on ``--target=sim``."""
    if PROFILE not in config.stash:
        config.stash[PROFILE] = None
        settings = config.stash[SETTINGS]
        if settings.profile:
            from smsftp.simulator.rules.profile import ProfileError, load_profile

            if settings.target != "sim":
                raise pytest.UsageError("smsftp: --profile sets up the simulator: it needs --target=sim")
            try:
                config.stash[PROFILE] = load_profile(settings.profile)
            except ProfileError as exc:
                raise pytest.UsageError(f"smsftp: --profile: {exc}") from None
    return config.stash[PROFILE]


# --- the run's report --------------------------------------------------------------------------------
class _Recorder:
    """Collects verdicts from test reports (xdist forwards them to the controller) and reports them."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config, self.settings = config, settings
        self.verdicts: dict[str, dict[str, Any]] = {}
        self.dates: dict[str, str] = {}  # when each verdict came in: the profile's evidence dates
        self.started = datetime.now(UTC)
        self.preflight: dict[str, Any] | None = None  # the live preflight's failure: no case ran

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for name, value in report.user_properties:
            if name == VERDICT_PROPERTY and isinstance(value, str):
                self.verdicts[report.nodeid] = json.loads(value)
                self.dates[report.nodeid] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _settings_json(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for name, value in self.settings.values.items():
            shown: Any = sorted(value) if isinstance(value, frozenset) else value
            if BY_NAME[name].secret and value:
                shown = "****"
            out[name] = {"value": shown, "source": self.settings.sources[name]}
        return out

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.settings.profile_out and not hasattr(self.config, "workerinput"):
            self._write_profile(self.settings.profile_out)
        directory = self.settings.report_dir
        if not directory or hasattr(self.config, "workerinput") or not (self.verdicts or self.preflight):
            return
        from smsftp.conformance.judge.reporting import build_report, write_report

        report = build_report(
            self.verdicts.values(),
            target=self.settings.target,
            settings=self._settings_json(),
            started=self.started,
            exit_status=int(exitstatus),
            preflight=self.preflight,
        )
        self.written = write_report(directory, report)

    def _write_profile(self, path: str) -> None:
        from pathlib import Path

        from smsftp.conformance.judge.calibration import calibrate

        profile = calibrate(
            ((v, self.dates[node]) for node, v in self.verdicts.items()),
            target=self.settings.target,
            made=self.started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        Path(path).write_text(profile.to_toml(), encoding="utf-8")
        self.profile_written = path

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if getattr(self, "profile_written", None):
            terminalreporter.write_line(f"smsftp profile: {self.profile_written}")
        if self.preflight is not None:
            terminalreporter.write_sep("=", "smsftp conformance")
            terminalreporter.write_line(f"NEVER REACHED THE PLATFORM: {self.preflight['message']}", red=True, bold=True)
            for path in getattr(self, "written", ()):
                terminalreporter.write_line(f"smsftp report: {path}")
            return
        if not self.verdicts:
            return
        from smsftp.conformance.judge.reporting import summary_lines

        terminalreporter.write_sep("=", "smsftp conformance")
        for line in summary_lines(self.verdicts.values()):
            loud = line.startswith("!!!")
            terminalreporter.write_line(
                line,
                red=loud or line.startswith(("FAILED", "ERROR")),
                bold=loud,
                yellow=line.startswith("NON-STRICT"),
            )
        for path in getattr(self, "written", ()):
            terminalreporter.write_line(f"smsftp report: {path}")
