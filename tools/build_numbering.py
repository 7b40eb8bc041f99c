"""Build the numbering table that smsftp ships, from the regulator's register of mobile ranges.

The regulator publishes the register of Russian mobile (DEF 9xx) number ranges as open
data (``DEF-9xx.csv``: code, from, to, capacity, operator, region, INN).  smsftp ships a
compact table derived from it, ``simulator/rules/data/numbering_ru.csv``: neighbouring
ranges of one region merged, each with its region and IANA zone (``regions.REGION_ZONES``),
no operators, and the register's date.  The raw register is never committed.

    python tools/build_numbering.py DEF-9xx.csv --date 2023            # rewrite the shipped table
    python tools/build_numbering.py DEF-9xx.csv --date 2025-03-01 -o my-table.csv

Every region of the register must map to a zone: the script refuses (exit 1) and lists
the regions it cannot place, so that ``regions.REGION_ZONES`` is extended first.  To use
a newer register without rebuilding, pass it to ``smsftp check --register`` or
``smsftp serve --register``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from smsftp.simulator.rules.timezones import RegisterError, load_register, parse_table, table_text

SHIPPED = Path(__file__).resolve().parents[1] / "simulator" / "rules" / "data" / "numbering_ru.csv"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("register", type=Path, help="the register, DEF-9xx.csv as the regulator publishes it")
    parser.add_argument("--date", required=True, help="the register's date as its publisher gives it (recorded)")
    parser.add_argument("-o", "--output", type=Path, default=SHIPPED, help="default: the shipped table")
    args = parser.parse_args(argv)
    try:
        register = load_register(args.register, date=args.date)
    except RegisterError as exc:
        print(f"build_numbering: {exc}", file=sys.stderr)
        return 1
    if register.unmapped:
        for region, count in sorted(register.unmapped.items()):
            print(f"build_numbering: no zone for region {region!r} ({count} ranges)", file=sys.stderr)
        print("build_numbering: add them to simulator/rules/regions.py first", file=sys.stderr)
        return 1
    text = table_text(register)
    table = parse_table(text)  # what smsftp will read back: the same answer for every range
    for start, end, zones in zip(register.starts, register.ends, register.zones, strict=True):
        for national in (start, end):
            at = table.find(national)
            assert at is not None and table.zones[at] == zones, (national, zones)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(
        f"{args.output}: {len(table):,} ranges from {len(register):,} of {args.register.name} ({args.date}); "
        f"{len(register.choices)} region(s) with a chosen zone: {', '.join(sorted(register.choices)) or 'none'}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
