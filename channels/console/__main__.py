"""The staff console's command line.

    python -m channels.console adduser NAME --role supervisor|officer|programme_manager [--province NAME]
        a staff account; the password is read from standard input (asked twice on a terminal, one line from a pipe)
    python -m channels.console serve [--host H] [--port P]
        start the console (settings: console.yml and the environment, see channels/console/settings.py)
"""
from __future__ import annotations

import argparse
import getpass
import logging
import sys
from typing import List, Optional

MIN_PASSWORD = 10


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Mật khẩu: ")
        second = getpass.getpass("Nhập lại mật khẩu: ")
        if first != second:
            raise SystemExit("Hai lần nhập mật khẩu không khớp.")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def adduser(args: argparse.Namespace) -> int:
    from cases import repository as repo
    from cases.db import make_engine, upgrade
    from knowledge import referral
    from knowledge.errors import UnknownProvince

    province = None
    if args.province:
        try:
            province = referral.find(args.province).name  # any name people use -> the directory's
        except UnknownProvince:
            print(f"Không nhận ra tỉnh/thành “{args.province}”.", file=sys.stderr)
            return 2
    if args.role == "officer" and not province:
        print("Cán bộ công đoàn (--role officer) cần --province.", file=sys.stderr)
        return 2
    password = _read_password()
    if len(password) < MIN_PASSWORD:
        print(f"Mật khẩu cần ít nhất {MIN_PASSWORD} ký tự.", file=sys.stderr)
        return 2
    upgrade(args.db_url)
    eng = make_engine(args.db_url)
    try:
        if repo.staff_by_username(eng, args.name):
            print(f"Tài khoản “{args.name}” đã có.", file=sys.stderr)
            return 1
        staff_id = repo.create_staff(eng, args.name, password, args.role, province=province if args.role == "officer" else None,
                                     display_name=args.display_name)
    finally:
        eng.dispose()
    where = f", {province}" if args.role == "officer" else ""
    print(f"Đã tạo tài khoản “{args.name.strip().lower()}” (số {staff_id}, {args.role}{where}).")
    return 0


def serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    from cases.db import make_engine
    from channels.console.app import create_app
    from channels.console.settings import load

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v}
    settings = load(**overrides)
    app = create_app(make_engine(args.db_url), settings)
    print(f"Staff console: {settings.base_url} (listening on {settings.host}:{settings.port})", flush=True)
    web.run_app(app, host=settings.host, port=settings.port, print=None)
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m channels.console", description="The staff console of Trợ lý An Sinh.")
    parser.add_argument("--db-url", help="case database URL (default: ANSINH_DB_URL, else sqlite:///ansinh.db)")
    sub = parser.add_subparsers(dest="command", required=True)
    a = sub.add_parser("adduser", help="create a staff account (password on standard input)")
    a.add_argument("name")
    a.add_argument("--role", required=True, choices=["supervisor", "officer", "programme_manager"])
    a.add_argument("--province", help="the officer's province (any name people use)")
    a.add_argument("--display-name", help="full name shown in the console")
    a.set_defaults(func=adduser)
    s = sub.add_parser("serve", help="start the console")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.set_defaults(func=serve)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
