"""``python -m knowledge check [--on YYYY-MM-DD] [--days 90]`` and ``python -m knowledge show ENTRY ...``

``show`` renders an answer as a user would read it on a given day, for legal editors to preview a
change: ``python -m knowledge show vsi_contribution --on 2027-01-01``, or a calculator result with its
inputs: ``python -m knowledge show calc.vsi.result --input income=3000000 --input group=near_poor
--input period=6``; ``--list`` names every entry.

``check``

Lists facts that are uncertain (or carry a caution) and facts that change or expire within the window;
exits non-zero when a parameter file is malformed (a reference without document, articles or source
address; a reference naming two documents; an article naming a document) or a source address is not an
http(s) address. Contact facts (hotlines, websites) are listed apart: they are never a legal basis.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys

from knowledge import parameters as P

ADDRESS = ("http://", "https://")


def _address_problems(p: P.Parameter) -> int:
    problems = 0
    for r in p.references:
        if not r.href.startswith(ADDRESS) or len(r.href) <= len("https://"):
            print(f"ERROR {p.file}:{p.name}: source '{r.href}' of '{r.document}' is not an http(s) address")
            problems += 1
    return problems


def check(on: dt.date, days: int) -> int:
    try:
        params = P.load()
    except P.ParameterError as err:
        print(f"ERROR {err}")
        return 1
    horizon = on + dt.timedelta(days=days)
    problems = 0
    contacts = sorted(n for n, p in params.items() if p.kind == P.CONTACT)
    print(f"{len(params)} parameters ({len(contacts)} contact), as of {on.isoformat()}, window {days} days")
    for name in contacts:
        print(f"  contact   {name}: {params[name].label} (not a legal basis)")
    for name, p in sorted(params.items()):
        problems += _address_problems(p)
        try:
            fact = p.at(on)
        except P.NotInForce:
            if not p.changes_between(on, horizon):
                print(f"  not in force: {name}")
            continue
        if p.kind == P.RULE and not any(r.applies_on(on) for r in p.references):
            print(f"  WARNING   {name}: no reference is dated for {on.isoformat()}; citing all of them")
        if fact.uncertain or p.caution:
            kind = "UNCERTAIN" if fact.uncertain else "caution"
            print(f"  {kind:9} {name}: {p.caution or p.description}")
        if fact.effective_to and fact.effective_to <= horizon:
            print(f"  EXPIRES   {name}: value {fact.value!r} ends {fact.effective_to.isoformat()}")
        for change in p.changes_between(on, horizon):
            print(f"  CHANGES   {name}: new value from {change.isoformat()}")
    print("OK" if not problems else f"{problems} problem(s)")
    return 1 if problems else 0


def show(entry: str, on: dt.date, pairs: list, list_all: bool) -> int:
    import yaml

    from knowledge import compose, content
    from knowledge.errors import InvalidInput, UnknownProvince
    from knowledge.registry import registry

    try:
        source = content.load()
    except content.ContentError as err:
        print(f"ERROR {err}")
        return 1
    if list_all or not entry:
        for key, e in sorted(source.entries.items()):
            print(f"{key:40} {e.file}:{e.line}")
        return 0
    inputs = {}
    for pair in pairs:
        name, _, raw = pair.partition("=")
        inputs[name] = yaml.safe_load(raw)
    if entry not in source.entries and entry in registry().topics:
        entry = registry().topic(entry).content_key
    try:
        rendered = content.render(entry, on, inputs, source=source)
    except (InvalidInput, UnknownProvince, KeyError) as err:
        print(f"ERROR cannot render {entry} with {inputs}: {err!r}")
        return 1
    key = entry if entry in registry().topics else None
    message = compose.answer(rendered, on, registry().buttons_of(key) if key else [])
    print(f"--- {entry} on {on.isoformat()} ({len(rendered.text)} characters in the main text)")
    print(message.text)
    for b in message.buttons:
        print(f"[{b.title}] -> {b.payload}")
    if rendered.more:
        print(f"--- Xem thêm ({len(rendered.more)} characters)")
        print(rendered.more)
    basis = compose.full_basis(rendered.facts, on)
    if basis:
        print("--- Căn cứ pháp lý")
        print(basis)
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m knowledge")
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check", help="list uncertain and expiring facts; fail on a malformed reference or source")
    c.add_argument("--on", type=dt.date.fromisoformat, default=dt.date.today())
    c.add_argument("--days", type=int, default=90)
    s = sub.add_parser("show", help="render an answer for a day and inputs, as a user reads it")
    s.add_argument("entry", nargs="?", default="", help="a topic or content entry (calc.vsi.result ...)")
    s.add_argument("--on", type=dt.date.fromisoformat, default=dt.date.today())
    s.add_argument("--input", action="append", default=[], metavar="NAME=VALUE")
    s.add_argument("--list", action="store_true", help="list every content entry with its file and line")
    args = ap.parse_args(argv)
    if args.cmd == "show":
        return show(args.entry, args.on, args.input, args.list)
    return check(args.on, args.days)


if __name__ == "__main__":
    sys.exit(main())
