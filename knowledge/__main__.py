"""``python -m knowledge check [--on YYYY-MM-DD] [--days 90]``

Lists facts that are uncertain (or carry a caution) and facts that change or expire within the window;
exits non-zero when a parameter file is malformed (a value without basis, article or source address).
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys

from knowledge import parameters as P


def check(on: dt.date, days: int) -> int:
    try:
        params = P.load()
    except P.ParameterError as err:
        print(f"ERROR {err}")
        return 1
    horizon = on + dt.timedelta(days=days)
    problems = 0
    print(f"{len(params)} parameters, as of {on.isoformat()}, window {days} days")
    for name, p in sorted(params.items()):
        try:
            fact = p.at(on)
        except P.NotInForce:
            if not p.changes_between(on, horizon):
                print(f"  not in force: {name}")
            continue
        for r in fact.references:
            if not r.href.startswith(("http://", "https://")):
                print(f"ERROR {name}: source '{r.href}' is not an address")
                problems += 1
        if fact.uncertain or p.caution:
            kind = "UNCERTAIN" if fact.uncertain else "caution"
            print(f"  {kind:9} {name}: {p.caution or p.description}")
        if fact.effective_to and fact.effective_to <= horizon:
            print(f"  EXPIRES   {name}: value {fact.value!r} ends {fact.effective_to.isoformat()}")
        for change in p.changes_between(on, horizon):
            print(f"  CHANGES   {name}: new value from {change.isoformat()}")
    print("OK" if not problems else f"{problems} problem(s)")
    return 1 if problems else 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m knowledge")
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check", help="list uncertain and expiring facts; fail on a fact without basis or source")
    c.add_argument("--on", type=dt.date.fromisoformat, default=dt.date.today())
    c.add_argument("--days", type=int, default=90)
    args = ap.parse_args(argv)
    return check(args.on, args.days)


if __name__ == "__main__":
    sys.exit(main())
