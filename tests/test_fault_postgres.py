"""Fault: the tracker store's PostgreSQL restarted while people are writing.

A private cluster (``initdb``/``pg_ctl`` in a temporary folder, owned by the ``postgres`` user; never the
machine's shared service) holds Rasa's tracker store. Four people write at once; mid-way the database is
restarted. Every request gets an answer (never silence, never a hang); a message answered as stored is in the
tracker store afterwards (nothing taken in and then lost); one that could not be stored is answered with
the clear "chưa được lưu" message; after the restart every conversation works again.
"""
from __future__ import annotations

import concurrent.futures
import glob
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from tests.servers import action_server, free_port, rasa_server, say, text_of

NOT_SAVED = "chưa được lưu"
PEOPLE, MESSAGES = 4, 12


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        pytest.fail(f"PostgreSQL's {name} is not installed (apt install postgresql)")
    return found[-1]


def _as_postgres(*args: str, **kwargs) -> subprocess.CompletedProcess:
    command = list(args)
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        command = ["runuser", "-u", "postgres", "--", *command]
    return subprocess.run(command, check=True, capture_output=True, text=True, timeout=120, **kwargs)


@pytest.fixture()
def private_postgres():
    """A PostgreSQL cluster of the test's own on a free port; yields (port, restart)."""
    folder = Path(tempfile.mkdtemp(prefix="ansinh-pg-"))
    data, port = folder / "data", free_port()
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    _as_postgres(_pg_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=on"
    ctl = [_pg_bin("pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-o", options, "-w"]
    _as_postgres(*ctl, "start")
    _as_postgres(_pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "ansinh")

    def restart() -> None:
        _as_postgres(*ctl, "-m", "fast", "restart")

    try:
        yield port, restart
    finally:
        subprocess.run(["runuser", "-u", "postgres", "--", *ctl, "-m", "immediate", "stop"] if os.geteuid() == 0
                       else [*ctl, "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


def _endpoints(tmp: Path, action_port: int, pg_port: int) -> Path:
    path = tmp / "endpoints.yml"
    path.write_text(
        f"action_endpoint:\n  url: http://127.0.0.1:{action_port}/webhook\n"
        "tracker_store:\n  type: channels.tracker_store.AnSinhTrackerStore\n  dialect: postgresql\n"
        f"  url: 127.0.0.1\n  port: {pg_port}\n  db: ansinh\n  username: postgres\n  password: ''\n")
    return path


def test_a_database_restart_under_load_loses_no_accepted_message(tmp_path, private_postgres):
    import psycopg2

    pg_port, restart = private_postgres
    env = {"ANSINH_TODAY": "2026-11-25", "ANSINH_DB_URL": f"sqlite:///{tmp_path}/cases.db"}
    sent = []  # (sender, text, reply)
    lock = threading.Lock()
    with action_server(tmp_path, env) as aport:
        with rasa_server(tmp_path, _endpoints(tmp_path, aport, pg_port), env) as port:

            def person(i: int) -> None:
                for n in range(MESSAGES):
                    text = f"câu hỏi số {n} của người {i}: bhxh tự nguyện là gì"
                    started = time.monotonic()
                    reply = text_of(say(port, f"pg-{i}", text))
                    assert time.monotonic() - started < 60
                    with lock:
                        sent.append((f"pg-{i}", text, reply))

            with concurrent.futures.ThreadPoolExecutor(PEOPLE) as pool:
                futures = [pool.submit(person, i) for i in range(PEOPLE)]
                while len(sent) < PEOPLE * 2:
                    time.sleep(0.1)
                restart()
                for f in futures:
                    f.result()
            after = {i: text_of(say(port, f"pg-{i}", "bhxh tự nguyện là gì")) for i in range(PEOPLE)}

    assert len(sent) == PEOPLE * MESSAGES and all(reply for _, _, reply in sent)  # never silence
    assert all("BHXH" in r or "bảo hiểm xã hội" in r.lower() for r in after.values())  # working again
    with psycopg2.connect(host="127.0.0.1", port=pg_port, user="postgres", dbname="ansinh") as conn:
        cur = conn.cursor()
        cur.execute("select sender_id, data from events where type_name = 'user'")
        stored = [(s, json.loads(d)["text"]) for s, d in cur.fetchall()]
    answered = [(s, t) for s, t, reply in sent if NOT_SAVED not in reply]
    refused = [(s, t) for s, t, reply in sent if NOT_SAVED in reply]
    lost = [(s, t, r[:80]) for s, t, r in sent if NOT_SAVED not in r and (s, t) not in stored]
    assert not lost, f"answered but not stored: {lost}"
    assert len(stored) == len(set(stored)), "a message stored twice"
    assert len(answered) >= PEOPLE * MESSAGES // 2, f"only {len(answered)} answered; refused: {refused}"
    print(f"{len(answered)} answered and stored, {len(refused)} told they were not stored")
