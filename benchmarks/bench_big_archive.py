"""Benchmark of the cabinet on a big archive: a page costs the same for 1,000,000 messages as for 10.

One real ``smsftp serve`` (its own process, frozen clock, plain FTP) gets two archives of the
``bench_rules.py`` kind over FTP: 10 messages and ``--rows`` (1,000,000) messages.  Then, with
the server idle, each cabinet view is fetched ``--runs`` times for both archives (the median
counts):

  page 1        /cabinet/archives/ID                        the archive's first page
  deep page     /cabinet/archives/ID?page=LAST              the last page (page 1 of the small one)
  phone search  /cabinet/archives/ID?phone=NUMBER           a number of the archive, digits anywhere
  overview      /cabinet/                                   the archives list and per-day totals

Meanwhile a thread samples the server's RSS (``/proc/PID/status``) every 2 ms and another asks
``/api/health`` in a loop.  Reported: each view's time for both archives and their ratio, the
server's peak RSS during the views over its idle RSS, and ``/api/health``'s slowest answer.
Targets: ratios small and constant, peak RSS within 64 MiB of idle, health under 100 ms.

    python benchmarks/bench_big_archive.py                  # 1,000,000 messages
    python benchmarks/bench_big_archive.py --rows 100000    # quicker
"""

from __future__ import annotations

import argparse
import ftplib
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

TOKEN = "bench-token"
SMALL, BIG = "guest_20261125090000.zip", "guest_20261125090100.zip"


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def start_server(state: Path) -> tuple[subprocess.Popen[str], int, str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "smsftp.simulator.cli",
            "serve",
            "--ftp-port=0",
            "--api-port=0",
            "--tls=off",
            f"--state-dir={state}",
            "--clock=frozen",
            "--at=2026-11-25T06:00:00Z",
            f"--api-token={TOKEN}",
            "--log-level=warning",
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert process.stderr is not None
    ftp_port, api = 0, ""
    while not (ftp_port and api):
        line = process.stderr.readline()
        if not line:
            raise RuntimeError("smsftp serve ended before it was up")
        if m := re.search(r"FTP\s+ftp://127\.0\.0\.1:(\d+)/", line):
            ftp_port = int(m[1])
        if m := re.search(r"API\s+(http://127\.0\.0\.1:\d+)/api/health", line):
            api = m[1]
    threading.Thread(target=lambda: [None for _ in process.stderr or ()], daemon=True).start()
    return process, ftp_port, api


def upload(port: int, name: str, path: Path) -> None:
    with ftplib.FTP() as ftp, path.open("rb") as data:
        ftp.connect("127.0.0.1", port, timeout=60)
        ftp.login("guest", "guest")
        ftp.storbinary(f"STOR {name}", data)


def timed(client: httpx.Client, url: str, params: dict[str, str], runs: int) -> float:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url, params=params)
        seconds.append(time.perf_counter() - started)
        response.raise_for_status()
    return statistics.median(seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="messages in the big archive")
    parser.add_argument("--runs", type=int, default=5, help="fetches of each view (the median counts)")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "smsftp-bench")
    args = parser.parse_args(argv)
    from bench_rules import archive_for  # the same archives as the other benchmarks, cached

    args.work.mkdir(parents=True, exist_ok=True)
    small_zip, big_zip = archive_for(args.work, 10, 1), archive_for(args.work, args.rows, 1)
    with tempfile.TemporaryDirectory(prefix="smsftp-bench-state-") as state:
        process, ftp_port, api = start_server(Path(state))
        try:
            client = httpx.Client(base_url=api, timeout=600, headers={"Authorization": f"Bearer {TOKEN}"})
            upload(ftp_port, SMALL, small_zip)
            upload(ftp_port, BIG, big_zip)
            started = time.perf_counter()
            client.post("/api/clock/advance", json={"seconds": 10}).raise_for_status()
            ingest = time.perf_counter() - started
            archives = {a["name"]: a for a in client.get("/api/archives").json()["archives"]}
            small, big = archives[SMALL], archives[BIG]
            print(f"stored {big['message_count']:,} + {small['message_count']} messages in {ingest:.1f} s")

            def phone_of(record: dict[str, object]) -> str:
                first = client.get("/api/messages", params={"archive": str(record["name"]), "limit": "1"})
                return str(first.json()["messages"][0]["phone"])

            def views(record: dict[str, object]) -> dict[str, tuple[str, dict[str, str]]]:
                url = f"/cabinet/archives/{record['id']}"
                last = max(1, -(-int(str(record["message_count"])) // 100))
                return {
                    "page 1": (url, {}),
                    "deep page": (url, {"page": str(last)}),
                    "phone search": (url, {"phone": phone_of(record)}),
                    "overview": ("/cabinet/", {}),
                }

            for record in (small, big):  # warm up: templates compiled, modules imported, caches filled
                for url, params in views(record).values():
                    client.get(url, params=params).raise_for_status()
            time.sleep(1.0)
            idle = rss_kib(process.pid)
            peak = idle
            health: list[float] = []
            done = threading.Event()

            def sample() -> None:
                nonlocal peak
                while not done.is_set():
                    peak = max(peak, rss_kib(process.pid))
                    time.sleep(0.002)

            def ask_health() -> None:
                with httpx.Client(base_url=api, timeout=60, headers=client.headers) as own:
                    while not done.is_set():
                        started = time.perf_counter()
                        own.get("/api/health").raise_for_status()
                        health.append(time.perf_counter() - started)
                        time.sleep(0.01)

            threads = [threading.Thread(target=sample), threading.Thread(target=ask_health)]
            for t in threads:
                t.start()
            rows = []
            for (label, (small_url, small_params)), (_, (big_url, big_params)) in zip(
                views(small).items(), views(big).items(), strict=True
            ):
                t_small = timed(client, small_url, small_params, args.runs)
                t_big = timed(client, big_url, big_params, args.runs)
                rows.append((label, t_small, t_big))
            done.set()
            for t in threads:
                t.join()
        finally:
            process.terminate()
            process.wait(60)
    print(f"\n| view | {small['message_count']} messages | {big['message_count']:,} messages | ratio |")
    print("|---|---:|---:|---:|")
    for label, t_small, t_big in rows:
        print(f"| {label} | {t_small * 1000:.1f} ms | {t_big * 1000:.1f} ms | {t_big / t_small:.2f} |")
    print(
        f"\nserver RSS: idle {idle / 1024:.1f} MiB, peak during the views {peak / 1024:.1f} MiB "
        f"(+{(peak - idle) / 1024:.1f} MiB)"
    )
    print(
        f"/api/health during the views: {len(health)} answers, median {statistics.median(health) * 1000:.1f} ms, "
        f"slowest {max(health) * 1000:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
