"""Benchmark of the rules library against the bare minimum any implementation must do.

One template archive of N contacts (Russian names from faker's ``ru_RU`` locale, a
three-field template, ``localtime=1`` so that every row's time zone is looked up)
is built once, deterministically, and cached.  On that same archive, each in its
own fresh interpreter so that peak RSS belongs to one measurement:

  A  smsftp: process_archive (names, zip checks, decoding, CSV, phones, time zones,
     rendering, SMS parts) and every message written to SQLite through the service's
     Store as the poller does it: ``run.batches()`` into ``Store.append_rows``, then
     the verdict, then the store closed (its write-ahead log folded into the file)
  B  the bare minimum: zipfile + csv.reader, the template compiled once and filled
     with str.format, executemany of (row, phone, text) into SQLite in one transaction
  C  reading only: zipfile + csv.reader, counting rows

Targets: A's rate at least 0.6 of B's (0.8 the ambition); A's peak RSS under
2x C's and flat from 100,000 to 1,000,000 rows.  A separate, untimed pass proves that
the fast phone validation agrees with phonenumbers on every number in the archive.
With ``--repeat N`` the measures run interleaved N times and the median counts.

    python benchmarks/bench_rules.py                       # 100,000 and 1,000,000 rows
    python benchmarks/bench_rules.py --quick               # a 20,000-row smoke run
    python benchmarks/bench_rules.py --register DEF-9xx.csv --json results.json
"""

from __future__ import annotations

import argparse
import csv
import importlib
import io
import json
import os
import platform
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FORMAT = 2  # bump when the archive's content changes, so cached archives are rebuilt
LOGIN = "guest"
ARCHIVE_NAME = f"{LOGIN}_20261125090000.zip"
AT = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)  # 09:00 in Moscow
TEMPLATE = "#attr1# #attr2#, здравствуйте! Ваш заказ №#attr3# готов к выдаче. Ждём вас до 20:00."
SENDDATE = "20261125T18:00:00"
POOL = 2000  # distinct names per gender drawn from faker; rows sample from the pool
MEASURES = ("A", "B", "C")


# --- the archive -----------------------------------------------------------------------------------

# Network codes of the big operators, every range of them assigned (as in the regulator's 2023 register):
# real lists hold assigned numbers, which a loaded register resolves to one zone.  A few numbers come from
# any valid 9xx code instead, as from codes newer than the register a service has loaded.
BIG_CODES = (
    900,
    903,
    905,
    906,
    908,
    909,
    910,
    911,
    913,
    915,
    916,
    917,
    918,
    919,
    920,
    921,
    922,
    925,
    926,
    927,
    928,
    937,
    950,
    951,
    952,
    953,
    960,
    961,
    963,
    964,
    965,
    987,
    999,
)
OTHER_CODES_SHARE = 0.03


def _phones(rnd: random.Random) -> Iterator[str]:
    """Russian mobile numbers that phonenumbers calls valid."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from smsftp.simulator.rules.phones import is_valid_international

    valid_codes = [str(c) for c in range(900, 1000) if is_valid_international(f"7{c}1234567")]
    big = [str(c) for c in BIG_CODES]
    while True:
        codes = valid_codes if rnd.random() < OTHER_CODES_SHARE else big
        phone = f"7{rnd.choice(codes)}{rnd.randrange(10**7):07d}"
        if is_valid_international(phone):
            yield phone


def build_archive(path: Path, rows: int, seed: int) -> None:
    """contacts.csv (phone;attr1;attr2;attr3) and template.csv, CRLF as Excel writes them."""
    from faker import Faker

    fake = Faker("ru_RU")
    fake.seed_instance(seed)
    people = [(fake.first_name_male(), fake.middle_name_male()) for _ in range(POOL)]
    people += [(fake.first_name_female(), fake.middle_name_female()) for _ in range(POOL)]
    rnd = random.Random(seed)
    phones = _phones(rnd)
    stamp = (2026, 11, 25, 9, 0, 0)
    tmp = path.with_suffix(".part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        template = zipfile.ZipInfo("sms/template.csv", stamp)
        template.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(
            template, f"message;sourceaddress;validity;senddate;localtime\r\n{TEMPLATE};TESTSMS;1440;{SENDDATE};1\r\n"
        )
        contacts = zipfile.ZipInfo("sms/contacts.csv", stamp)
        contacts.compress_type = zipfile.ZIP_DEFLATED
        with (
            zf.open(contacts, "w", force_zip64=True) as raw,
            io.TextIOWrapper(raw, encoding="utf-8", newline="") as out,
        ):
            out.write("phone;attr1;attr2;attr3\r\n")
            chunk: list[str] = []
            for _ in range(rows):
                first, middle = rnd.choice(people)
                chunk.append(f"{next(phones)};{first};{middle};{rnd.randrange(100000, 1000000)}\r\n")
                if len(chunk) >= 10_000:
                    out.write("".join(chunk))
                    chunk.clear()
            out.write("".join(chunk))
    tmp.replace(path)


def archive_for(work: Path, rows: int, seed: int) -> Path:
    path = work / f"bench-{rows}-{seed}-v{FORMAT}.zip"
    if not path.exists():
        started = time.perf_counter()
        build_archive(path, rows, seed)
        print(
            f"built {path} ({path.stat().st_size / 2**20:.1f} MiB) in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
    return path


# --- the measurements, each run in a fresh interpreter ----------------------------------------------


def _peak_rss_mib() -> float:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB elsewhere
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def _contacts(zf: zipfile.ZipFile) -> Iterator[list[str]]:
    with zf.open("sms/contacts.csv") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
        yield from csv.reader(text, delimiter=";")


def measure_c(archive: Path, db: Path) -> dict[str, Any]:
    with zipfile.ZipFile(archive) as zf:
        rows = sum(1 for _ in _contacts(zf)) - 1
    return {"rows": rows}


def measure_b(archive: Path, db: Path) -> dict[str, Any]:
    import sqlite3

    with zipfile.ZipFile(archive) as zf:
        with zf.open("sms/template.csv") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
            header, values = list(csv.reader(text, delimiter=";"))[:2]
        message = values[header.index("message")]
        records = _contacts(zf)
        columns = next(records)
        pattern = re.sub(
            r"#(\w+)#", lambda m: f"{{{columns.index(m.group(1))}}}", message.replace("{", "{{").replace("}", "}}")
        )
        fill = pattern.format
        con = sqlite3.connect(db)
        con.execute("CREATE TABLE messages (row INTEGER, phone TEXT, text TEXT)")
        with con:
            con.executemany(
                "INSERT INTO messages VALUES (?,?,?)",
                ((row, fields[0], fill(*fields)) for row, fields in enumerate(records, 2)),
            )
        rows = con.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
        con.close()
    return {"rows": rows}


def measure_a(archive: Path, db: Path, resolver: Any) -> dict[str, Any]:
    from smsftp.simulator.rules.accounts import Account
    from smsftp.simulator.rules.processing import process_archive
    from smsftp.simulator.service.store import Store

    account = Account(login=LOGIN, password=LOGIN, mode="template", senders=("TESTSMS",), default_sender="TESTSMS")
    store = Store(db)
    archive_id = store.claim(
        login=LOGIN,
        name=ARCHIVE_NAME,
        upload_id=None,
        size=archive.stat().st_size,
        mtime_ns=0,
        sha256="",
        received_at=AT,
    )
    run = process_archive(ARCHIVE_NAME, archive, account, AT, resolver=resolver)
    for batch in run.batches():  # as the poller stores them
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
    store.close()
    codes = sorted({d.code for d in run.diagnostics})
    return {"rows": run.message_count, "status": run.status, "diagnostic_codes": codes}


def _child(kind: str, archive: Path, db: Path, register: str | None, profile: bool) -> None:
    resolver = None
    if kind == "A":
        # Imports and the register are start-up, not per-row cost: load them before the clock starts.
        importlib.import_module("smsftp.simulator.rules.processing")
        importlib.import_module("smsftp.simulator.service.store")
        from smsftp.simulator.rules.timezones import ZoneResolver, default_resolver, load_register

        resolver = ZoneResolver(load_register(register)) if register else default_resolver()
    for leftover in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        leftover.unlink(missing_ok=True)
    before = _peak_rss_mib()
    cpu = time.process_time()
    started = time.perf_counter()
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        result = profiler.runcall(measure_a, archive, db, resolver)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    elif kind == "A":
        result = measure_a(archive, db, resolver)
    else:
        result = (measure_b if kind == "B" else measure_c)(archive, db)
    result["seconds"] = time.perf_counter() - started
    result["cpu_seconds"] = time.process_time() - cpu  # less disturbed than wall time on a busy machine
    result["rss_at_start_mib"] = before
    result["peak_rss_mib"] = _peak_rss_mib()
    print(json.dumps(result))


def run_child(kind: str, archive: Path, db: Path, register: str | None, profile: bool = False) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", kind, "--archive", str(archive), "--db", str(db)]
    if register:
        command += ["--register", register]
    if profile:
        command.append("--profile")
    done = subprocess.run(
        command, check=True, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONHASHSEED": "0"}
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["rate"] = result["rows"] / result["seconds"]
    return result


def verify_phones(archive: Path) -> dict[str, Any]:
    """Untimed: the fast validator against phonenumbers on every number in the archive."""
    from smsftp.simulator.rules.phones import verify_against_phonenumbers

    started = time.perf_counter()
    with zipfile.ZipFile(archive) as zf:
        records = _contacts(zf)
        next(records)
        phones = [fields[0] for fields in records]
    disagreements = verify_against_phonenumbers(phones)
    return {
        "numbers": len(phones),
        "disagreements": disagreements[:20],
        "agree": not disagreements,
        "seconds": time.perf_counter() - started,
    }


# --- the report ------------------------------------------------------------------------------------


def _mib(value: float) -> str:
    return f"{value:.0f} MiB"


def markdown(sizes: dict[int, dict[str, Any]]) -> str:
    lines = [
        "| rows | A rows/s | B rows/s | C rows/s | A/B | A peak RSS | B peak RSS | C peak RSS | A/C RSS |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for rows, r in sorted(sizes.items()):
        a, b, c = r["A"], r["B"], r["C"]
        lines.append(
            f"| {rows:,} | {a['rate']:,.0f} | {b['rate']:,.0f} | {c['rate']:,.0f} | "
            f"{r['ratios']['rate_a_over_b']:.2f} | {_mib(a['peak_rss_mib'])} | {_mib(b['peak_rss_mib'])} "
            f"| {_mib(c['peak_rss_mib'])} | {r['ratios']['rss_a_over_c']:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="100000,1000000", help="comma-separated sizes (default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="one 20,000-row smoke run")
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument(
        "--work",
        type=Path,
        default=Path(tempfile.gettempdir()) / "smsftp-bench",
        help="where archives are cached and databases written (default: %(default)s)",
    )
    parser.add_argument(
        "--register",
        default=os.environ.get("SMSFTP_NUMBERING_REGISTER"),
        help="numbering-plan register for A's time zones (default: $SMSFTP_NUMBERING_REGISTER, else the shipped table)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs per measurement, interleaved; the median counts, and the largest peak RSS",
    )
    parser.add_argument("--no-verify", action="store_true", help="skip the phone agreement pass")
    parser.add_argument("--profile", action="store_true", help="also run A under cProfile, top functions to stderr")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--child", choices=MEASURES, help=argparse.SUPPRESS)
    parser.add_argument("--archive", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        _child(args.child, args.archive, args.db, args.register, args.profile)
        return 0
    sizes = [20_000] if args.quick else [int(n.replace("_", "")) for n in args.rows.split(",")]
    args.work.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    zones = f"register {args.register}" if args.register else "the numbering table shipped in the package"
    print(f"time zones for A: {zones}", file=sys.stderr)
    results: dict[int, dict[str, Any]] = {}
    verification: dict[int, Any] = {}
    for rows in sizes:
        archive = archive_for(args.work, rows, args.seed)
        found: dict[str, Any] = {}
        runs: dict[str, list[dict[str, Any]]] = {kind: [] for kind in MEASURES}
        for _ in range(max(1, args.repeat)):
            for kind in MEASURES:  # interleaved, so that a busy spell of the machine hits every measure alike
                runs[kind].append(run_child(kind, archive, args.work / f"bench-{kind}.sqlite", args.register))
        for kind in MEASURES:
            median = statistics.median_low([r["seconds"] for r in runs[kind]])
            chosen = next(r for r in runs[kind] if r["seconds"] == median)
            chosen["peak_rss_mib"] = max(r["peak_rss_mib"] for r in runs[kind])
            chosen["all_seconds"] = [r["seconds"] for r in runs[kind]]
            found[kind] = chosen
            print(
                f"{rows:>9,} {kind}: {chosen['rows']:,} rows in {chosen['seconds']:.2f} s = "
                f"{chosen['rate']:,.0f} rows/s (median of {len(runs[kind])}), peak RSS "
                f"{chosen['peak_rss_mib']:.0f} MiB",
                file=sys.stderr,
            )
        if found["A"]["rows"] != rows or found["B"]["rows"] != rows or found["C"]["rows"] != rows:
            print(f"row counts differ: {[found[k]['rows'] for k in MEASURES]}", file=sys.stderr)
        found["ratios"] = {
            "rate_a_over_b": found["A"]["rate"] / found["B"]["rate"],
            "rss_a_over_c": found["A"]["peak_rss_mib"] / found["C"]["peak_rss_mib"],
        }
        results[rows] = found
        if args.profile:
            run_child("A", archive, args.work / "bench-A.sqlite", args.register, profile=True)
        if not args.no_verify:
            verification[rows] = verify_phones(archive)
            v = verification[rows]
            print(
                f"{rows:>9,} phones: fast path and phonenumbers "
                f"{'agree' if v['agree'] else 'DISAGREE'} on {v['numbers']:,} numbers",
                file=sys.stderr,
            )
    table = markdown(results)
    print(table)
    flat = None
    if len(results) > 1:
        small, large = min(results), max(results)
        flat = results[large]["A"]["peak_rss_mib"] / results[small]["A"]["peak_rss_mib"]
        print(f"\nA's peak RSS at {large:,} rows is {flat:.2f}x its peak at {small:,} rows.")
    if args.json:
        document = {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "seed": args.seed,
            "register": args.register,
            "repeat": args.repeat,
            "targets": {"rate_a_over_b": 0.6, "rate_a_over_b_ambition": 0.8, "rss_a_over_c_below": 2.0},
            "sizes": {str(k): v for k, v in results.items()},
            "rss_growth_a": flat,
            "phone_verification": {str(k): v for k, v in verification.items()},
            "markdown": table,
        }
        args.json.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    agree = all(v["agree"] for v in verification.values())
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
