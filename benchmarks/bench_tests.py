"""What a test costs an integrator: the plugin's fixtures side by side with pytest-localftpserver's.

Three measurements, in one run, each a median of alternating runs (targets from issue 11):

  cost       a pytest file of N tests, each logging in and uploading one file over FTP, run with N=1
             and N=50 in a fresh pytest process: the fixed cost (N=1 run minus one test) and the cost
             per test ((N=50 - N=1) / 49), with ``sms_simulator`` and with pytest-localftpserver's
             ``ftpserver`` (cleared per test, as ours is)          [ours <= peer's, fixed and per test]
  xdist      the same 50 tests with ``-n 2`` and without              [-n 2 <= sequential]
  idle       what smsftp's modules add to a pytest start that never uses the plugin (``--co`` of
             one trivial test), from ``python -X importtime``              [< 10 ms]

pytest-localftpserver is a benchmark peer only, never a project dependency: without it the script
says so and measures ours alone.  Each side's tests disable the other side's plugin.

    python benchmarks/bench_tests.py            # 5 runs of each
    python benchmarks/bench_tests.py --quick    # 3 runs of each
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OURS = """
import ftplib, io

def _upload(sim, i):
    ftp = ftplib.FTP()
    ftp.connect(sim.ftp_host, sim.ftp_port)
    ftp.login("guest", "guest")
    ftp.storbinary(f"STOR file{i}.txt", io.BytesIO(b"hello"))
    ftp.quit()

{tests}
"""
OURS_TEST = """
def test_upload_{i}(sms_simulator):
    _upload(sms_simulator, {i})
    assert sms_simulator.folder("guest") == ["file{i}.txt"]
"""
PEER = """
import ftplib, io, time

def _upload(server, i):
    login = server.get_login_data()
    ftp = ftplib.FTP()
    deadline = time.monotonic() + 5
    while True:  # the fixture returns before its server thread listens: wait for it (its start-up cost)
        try:
            ftp.connect(login["host"], login["port"])
            break
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.005)
    ftp.login(login["user"], login["passwd"])
    ftp.storbinary(f"STOR file{i}.txt", io.BytesIO(b"hello"))
    ftp.quit()

{tests}
"""
PEER_TEST = """
def test_upload_{i}(ftpserver):
    _upload(ftpserver, {i})
    assert list(ftpserver.get_file_paths()) == ["file{i}.txt"]
    # A clean folder for the next test, as sms_simulator gives.  After the test, not before: clearing
    # before the first login races the server thread's start (it then fails: "no such directory").
    ftpserver.reset_tmp_dirs()
"""


def _has_peer() -> bool:
    return importlib.util.find_spec("pytest_localftpserver") is not None


def _write(folder: Path, side: str, count: int) -> Path:
    module, test = (OURS, OURS_TEST) if side == "ours" else (PEER, PEER_TEST)
    path = folder / f"test_{side}_{count}.py"
    tests = "".join(test.replace("{i}", str(i)) for i in range(count))
    path.write_text(module.replace("{tests}", tests), encoding="utf-8")
    return path


def _pytest(folder: Path, *args: str) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, every process and thread of the run) of one pytest process.

    CPU time is the figure that counts on a shared machine: wall time there measures the neighbours.
    A failing run is a broken benchmark, not a figure.
    """
    # pytest's cache on, as integrators run it: the simulator's test certificate is kept there.
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", *args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    # As an integrator's machine: compiled bytecode (and pytest's rewritten test modules) cached.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False, env=env)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 5):
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def _median_runs(runs: int, sides: dict[str, list[str]], folder: Path) -> dict[str, tuple[float, float]]:
    """Alternate the sides run by run, so that a busy moment hurts both alike; the medians of each."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in sides}
    for _ in range(runs):
        for name, args in sides.items():
            times[name].append(_pytest(folder, *args))
    return {
        name: (statistics.median(w for w, _ in values), statistics.median(c for _, c in values))
        for name, values in times.items()
    }


def _idle_importtime(folder: Path) -> tuple[float, list[tuple[str, float]]]:
    """Milliseconds that smsftp's modules add to a pytest start that never uses them, from
    ``python -X importtime -m pytest --co`` (self times of every ``smsftp.*`` module, summed)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    command = [sys.executable, "-X", "importtime", "-m", "pytest", "--co", "-q", "test_idle.py"]
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=True, env=env)
    ours: list[tuple[str, float]] = []
    for line in done.stderr.splitlines():
        fields = [f.strip() for f in line.removeprefix("import time:").split("|")]
        if len(fields) == 3 and fields[0].isdigit() and fields[2].startswith("smsftp"):
            ours.append((fields[2], int(fields[0]) / 1000))
    return sum(ms for _, ms in ours), ours


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="3 runs of each instead of 5")
    parser.add_argument("--tests", type=int, default=50, help="tests in the long file (default 50)")
    options = parser.parse_args()
    runs = 3 if options.quick else 5
    n = options.tests
    peer = _has_peer()
    if not peer:
        print("pytest-localftpserver is not installed: measuring ours alone (pip install pytest-localftpserver)")
    with tempfile.TemporaryDirectory(prefix="smsftp-bench-tests-") as name:
        folder = Path(name)
        (folder / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        sides = {"ours": ["-p", "no:localftpserver"] if peer else []}
        if peer:
            sides["peer"] = ["-p", "no:smsftp"]
        files = {(side, count): _write(folder, side, count).name for side in sides for count in (1, n)}
        plan = {f"{side} {count}": [*args, files[side, count]] for side, args in sides.items() for count in (1, n)}
        if importlib.util.find_spec("xdist") is not None:
            plan[f"ours {n} -n 2"] = [*sides["ours"], "-n", "2", files["ours", n]]
        (folder / "test_idle.py").write_text("def test_idle():\n    pass\n", encoding="utf-8")
        _pytest(folder, *sides["ours"], files["ours", 1])  # warm the caches (bytecode, the certificate)
        median = _median_runs(runs, plan, folder)
        idle = statistics.median(_idle_importtime(folder)[0] for _ in range(runs))
        modules = _idle_importtime(folder)[1]
    print(f"{runs} runs of each, medians of a fresh pytest process; {n} upload tests in the long file")
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPU(s)")
    for index, what in ((1, "CPU time (user + system)"), (0, "wall time")):
        print(f"{what}:")
        print(f"  {'':<6}{'fixed':>10}{'per test':>12}{'1 test':>10}{f'{n} tests':>11}")
        for side in sides:
            one, many = median[f"{side} 1"][index], median[f"{side} {n}"][index]
            per = (many - one) / (n - 1)
            print(f"  {side:<6}{(one - per) * 1000:>8.0f}ms{per * 1000:>10.2f}ms{one:>9.2f}s{many:>10.2f}s")
    if f"ours {n} -n 2" in median:
        (wall, cpu), (wall1, cpu1) = median[f"ours {n} -n 2"], median[f"ours {n}"]
        print(
            f"-n 2: wall {wall:.2f}s against {wall1:.2f}s sequential ({wall / wall1:.2f}x); "
            f"CPU {cpu:.2f}s against {cpu1:.2f}s"
        )
    listed = ", ".join(f"{name} {ms:.1f}" for name, ms in modules)
    print(f"installed, unused: smsftp's imports at pytest start (python -X importtime, median): {idle:.1f} ms")
    print(f"  ({listed})")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPU(s)")


if __name__ == "__main__":
    main()
