"""Benchmark of the service around the rules: FTP throughput, end-to-end latency, start-up.

Three comparisons, each measured in the same run against its bare baseline
(targets in brackets):

  upload     MB/s of ``ftplib.storbinary`` of one file into ``smsftp serve`` vs a bare
             pyftpdlib server script, both in their own process, plain FTP and FTPS
             with PROT P                                              [ours >= 0.8x bare]
  pipeline   from the end of an upload to every message stored (``poll_now`` on an
             in-process simulator: claim with checksum, rules, batches into SQLite,
             verdict, deletion) vs the rules library alone iterating the same archive,
             and vs the library writing its messages through the Store itself (the
             pipeline ``bench_rules.py`` calls A)                     [ours <= 1.1x]
  start-up   from process start to the first successful FTP login: ``smsftp serve``
             (certificate already made) vs the bare pyftpdlib script  [ours <= 1.5x bare]

Runs alternate between the two sides and the median counts.  The archive is the
one ``bench_rules.py`` builds (Russian names, three-field template, ``localtime=1``).

    python benchmarks/bench_service.py                    # 50 MB upload, 200,000-row archive
    python benchmarks/bench_service.py --quick            # 10 MB, 20,000 rows, fewer runs
"""

from __future__ import annotations

import argparse
import ftplib
import io
import os
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

BARE_SERVER = textwrap.dedent("""
    import sys
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler, TLS_FTPHandler
    from pyftpdlib.servers import FTPServer

    port, home, cert = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    authorizer = DummyAuthorizer()
    authorizer.add_user("guest", "guest", home, perm="elradfmw")
    handler = FTPHandler
    if cert != "-":
        handler = TLS_FTPHandler
        handler.certfile = cert
        handler.keyfile = cert.replace("cert.pem", "key.pem")
    handler.authorizer = authorizer
    FTPServer(("127.0.0.1", port), handler).serve_forever(handle_exit=True)
    """)


def child_env(work: Path) -> dict[str, str]:
    """Servers start as an installed program would: with bytecode cached.

    pyftpdlib in site-packages is precompiled; our editable source is not, and with
    PYTHONDONTWRITEBYTECODE set (as on CI machines) every start would recompile it and measure
    the compiler instead of the server.  A cache prefix under the work folder keeps the checkout clean.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def login(port: int, cafile: Path | None = None, timeout: float = 10) -> ftplib.FTP:
    if cafile is not None:
        ftp: ftplib.FTP = ftplib.FTP_TLS(context=ssl.create_default_context(cafile=str(cafile)), timeout=timeout)
    else:
        ftp = ftplib.FTP(timeout=timeout)
    ftp.connect("127.0.0.1", port)
    ftp.login("guest", "guest")
    if isinstance(ftp, ftplib.FTP_TLS):
        ftp.prot_p()
    return ftp


def wait_for_login(port: int, deadline: float, process: subprocess.Popen[bytes]) -> None:
    while True:
        try:
            login(port, timeout=2).close()
            return
        except (OSError, EOFError, ftplib.Error):
            if time.perf_counter() > deadline or process.poll() is not None:
                raise
            time.sleep(0.001)


class Server:
    """One FTP server process: ``smsftp serve`` or the bare pyftpdlib script."""

    def __init__(self, kind: str, work: Path, cert: Path | None) -> None:
        self.kind, self.port = kind, free_port()
        home = work / f"{kind}-home"
        shutil.rmtree(home, ignore_errors=True)  # a state folder of an older smsftp would be refused
        home.mkdir(parents=True)
        if kind == "bare":
            script = work / "bare_server.py"
            script.write_text(BARE_SERVER, encoding="utf-8")
            cmd = [sys.executable, str(script), str(self.port), str(home), str(cert) if cert else "-"]
        else:
            # "serve-module": the command without the CLI's plugin loading, as a lazy CLI would start it.
            entry = (
                ["-m", "smsftp.simulator.cli", "serve"]
                if kind == "smsftp"
                else ["-c", "from smsftp.simulator.serve import serve; serve()"]
            )
            cmd = [
                sys.executable,
                *entry,
                "--ftp-port",
                str(self.port),
                "--api-port",
                "-1",
                "--state-dir",
                str(home),
                "--clock",
                "frozen",
                "--poll-interval",
                "3600",
                "--log-level",
                "warning",
                "--tls",
                "optional" if cert else "off",
            ]
            if cert:
                cmd += ["--cert", str(cert), "--key", str(cert.with_name("key.pem"))]
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=work, env=child_env(work)
        )
        wait_for_login(self.port, self.started + 30, self.process)
        self.ready = time.perf_counter() - self.started

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def upload_rate(port: int, data: bytes, cafile: Path | None) -> float:
    with login(port, cafile) as ftp:
        started = time.perf_counter()
        ftp.storbinary("STOR bench.bin", io.BytesIO(data), blocksize=1 << 16)
        return len(data) / (time.perf_counter() - started) / 1e6


def bench_upload(work: Path, cert: Path, megabytes: int, runs: int) -> list[tuple[str, float, float]]:
    data = os.urandom(megabytes * 1_000_000)
    rows = []
    for label, tls in (("plain FTP", None), ("FTPS, PROT P", cert)):
        servers = {kind: Server(kind, work, cert) for kind in ("bare", "smsftp")}
        try:
            rates: dict[str, list[float]] = {"bare": [], "smsftp": []}
            for _ in range(runs):
                for kind, server in servers.items():
                    rates[kind].append(upload_rate(server.port, data, tls))
        finally:
            for server in servers.values():
                server.stop()
        rows.append((label, statistics.median(rates["smsftp"]), statistics.median(rates["bare"])))
    return rows


def bench_startup(work: Path, runs: int) -> tuple[float, float, float, float]:
    state = work / "startup-state"
    first = Server("smsftp", work / "first-start", None)  # includes no certificate: --tls off
    first.stop()
    times: dict[str, list[float]] = {"bare": [], "smsftp": [], "serve-module": []}
    for _ in range(runs):
        for kind in times:
            server = Server(kind, state, None)
            times[kind].append(server.ready)
            server.stop()
    fresh = work / "fresh-state"
    shutil.rmtree(fresh, ignore_errors=True)
    cmd = [
        sys.executable,
        "-m",
        "smsftp.simulator.cli",
        "serve",
        "--ftp-port",
        str(port := free_port()),
        "--api-port",
        "-1",
        "--state-dir",
        str(fresh),
        "--log-level",
        "warning",
    ]
    started = time.perf_counter()
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=child_env(state))
    wait_for_login(port, started + 30, process)
    with_cert = time.perf_counter() - started
    process.send_signal(signal.SIGINT)
    process.wait(10)
    return (
        statistics.median(times["smsftp"]),
        statistics.median(times["bare"]),
        with_cert,
        statistics.median(times["serve-module"]),
    )


def bench_pipeline(work: Path, rows: int, runs: int) -> tuple[float, float, float, int]:
    from bench_rules import AT, LOGIN, archive_for  # the numbers helper's archive, cached

    from smsftp.simulator.app import Simulator
    from smsftp.simulator.rules.accounts import Account
    from smsftp.simulator.rules.processing import process_archive
    from smsftp.simulator.rules.timezones import default_resolver
    from smsftp.simulator.service.clock import FrozenClock

    archive = archive_for(work, rows, 20261125)
    name = f"{LOGIN}_20261125090000.zip"
    account = Account(login=LOGIN, password=LOGIN, mode="template", senders=("TESTSMS",), default_sender="TESTSMS")
    default_resolver()  # loaded once per process, before either clock starts

    def rules_alone() -> float:
        started = time.perf_counter()
        run = process_archive(name, archive, account, AT)
        count = sum(len(batch) for batch in run.batches(1000))  # the poller's path, minus the store
        assert count == run.message_count == rows, (count, run.status, run.diagnostics[:3])
        return time.perf_counter() - started

    def rules_and_store() -> float:
        from smsftp.simulator.service.store import Store

        db = Path(tempfile.mkdtemp(dir=work)) / "library.sqlite3"
        started = time.perf_counter()
        store = Store(db)
        archive_id = store.claim(login=LOGIN, name=name, upload_id=None, size=0, mtime_ns=0, sha256="", received_at=AT)
        run = process_archive(name, archive, account, AT)
        for batch in run.batches(1000):  # exactly what the poller does
            store.append_rows(archive_id, batch, run.sender or "")
        store.finish(
            archive_id,
            status=run.status,
            mode=run.mode,
            message_count=run.message_count,
            rejected_rows=run.rejected_rows,
            diagnostics=run.diagnostics,
            processed_at=AT,
        )
        seconds = time.perf_counter() - started
        store.close()
        shutil.rmtree(db.parent, ignore_errors=True)
        return seconds

    def service() -> float:
        state = Path(tempfile.mkdtemp(dir=work))
        with Simulator(
            accounts={LOGIN: account}, state_dir=state, api_port=None, tls="off", clock=FrozenClock(AT)
        ) as sim:
            with login(sim.ftp_port) as ftp, archive.open("rb") as source:
                ftp.storbinary(f"STOR {name}", source, blocksize=1 << 16)
            sim.uploads()  # the checksum thread is done: only the pipeline is timed
            started = time.perf_counter()
            outcome = sim.poll_now()
            seconds = time.perf_counter() - started
            assert outcome.processed == 1 and sim.store.count_messages() == rows
        shutil.rmtree(state, ignore_errors=True)
        return seconds

    measured: dict[str, list[float]] = {"rules": [], "library": [], "service": []}
    for _ in range(runs):
        measured["rules"].append(rules_alone())
        measured["library"].append(rules_and_store())
        measured["service"].append(service())
    return (
        statistics.median(measured["service"]),
        statistics.median(measured["rules"]),
        statistics.median(measured["library"]),
        rows,
    )


def table(
    upload: list[tuple[str, float, float]],
    pipeline: tuple[float, float, float, int],
    startup: tuple[float, float, float, float],
) -> str:
    lines = ["| measure | smsftp | baseline | ratio | target |", "|---|---:|---:|---:|---|"]
    for label, ours, bare in upload:
        lines.append(
            f"| upload, {label} (MB/s) | {ours:,.0f} | {bare:,.0f} (bare pyftpdlib) | {ours / bare:.2f}x | >= 0.8x |"
        )
    service, rules, library, rows = pipeline
    lines.append(
        f"| end of upload to {rows:,} messages stored (s) | {service:.2f} | {rules:.2f} (rules alone, "
        f"no storage) | {service / rules:.2f}x | <= 1.1x |"
    )
    lines.append(
        f"| the same | {service:.2f} | {library:.2f} (rules + Store batches, as bench_rules A) | "
        f"{service / library:.2f}x | <= 1.1x |"
    )
    ours, bare, fresh, module = startup
    lines.append(
        f"| start-up to first login, `smsftp serve` (ms) | {ours * 1000:.0f} | {bare * 1000:.0f} "
        f"(bare pyftpdlib) | {ours / bare:.2f}x | <= 1.5x |"
    )
    lines.append(
        f"| the same, serve without the CLI's plugin loading (ms) | {module * 1000:.0f} | "
        f"{bare * 1000:.0f} | {module / bare:.2f}x | <= 1.5x |"
    )
    lines.append(f"| start-up, first start (certificate made) (ms) | {fresh * 1000:.0f} | | | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megabytes", type=int, default=50, help="upload size (default: %(default)s)")
    parser.add_argument("--rows", type=int, default=200_000, help="archive rows (default: %(default)s)")
    parser.add_argument("--runs", type=int, default=5, help="runs per side (default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="10 MB, 20,000 rows, 3 runs")
    parser.add_argument("--only", choices=["upload", "pipeline", "startup"], action="append")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "smsftp-bench")
    args = parser.parse_args(argv)
    if args.quick:
        args.megabytes, args.rows, args.runs = 10, 20_000, 3
    args.work.mkdir(parents=True, exist_ok=True)
    from smsftp.simulator.service.tls import generate_certificate

    tls_dir = args.work / "tls"
    cert = generate_certificate(tls_dir / "cert.pem", tls_dir / "key.pem").cert
    only = set(args.only or ["upload", "pipeline", "startup"])
    steps: dict[str, Callable[[], object]] = {
        "upload": lambda: bench_upload(args.work, cert, args.megabytes, args.runs),
        "pipeline": lambda: bench_pipeline(args.work, args.rows, args.runs),
        "startup": lambda: bench_startup(args.work, max(args.runs, 7)),
    }
    results = {}
    for step in ("upload", "pipeline", "startup"):
        if step in only:
            print(f"{step} ...", file=sys.stderr)
            results[step] = steps[step]()
    if only == {"upload", "pipeline", "startup"}:
        print(table(results["upload"], results["pipeline"], results["startup"]))  # type: ignore[arg-type]
    else:
        print(results)
    print(
        f"\n{datetime.now(UTC):%Y-%m-%d}, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"{args.megabytes} MB upload, {args.runs} runs per side",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
