"""Load benchmark: simulated users holding real multi-turn conversations over REST and the widget's socket.io.

The workload is the user turns of the conversation cases (tests/conversations/*.yml): questions, calculator
flows, referrals, handoffs, with and without diacritics, button payloads ("/intent{...}") included. Each
simulated user takes conversations round-robin (a new sender id per conversation), sends them turn by turn and
waits for the whole reply before the next turn (closed loop): REST ``POST /webhooks/rest/webhook``, or the
widget's socket.io channel (``user_uttered`` with an acknowledgement: Rasa's handler returns once every
``bot_uttered`` of the reply has been emitted).

Phases (durations and user counts by flag, see ``--help``):

a. ours, one Rasa replica on the embedded configuration (endpoints.yml: SQLite tracker store): capacity at
   saturation (no think time) at each ``--users`` count, latency at ``--think-users`` users with ``--think`` s;
b. a bare ``rasa init`` bot (its default config and moodbot; model cached in /tmp by Rasa version), SQLite
   tracker store too, the same workload shape (same users, turns and messages): ratios ours / bare;
c. ours on the production configuration (endpoints.production.yml: PostgreSQL tracker store, Redis lock store,
   RabbitMQ broker on a bench-only queue; a fresh database ``ansinh_bench``, dropped afterwards): one replica,
   then two replicas sharing the stores, the client alternating replicas per message.

After each phase the user and bot events stored in the tracker store are counted per sender against what the
client sent and received (lost: sent but not stored; duplicated: stored more than once). CPU per process
(/proc/<pid>/stat) shows where the time went. ``--profile`` samples the Rasa process with py-spy during the
largest saturation run (reports/profile-rasa.svg, reports/profile-rasa.txt).

Writes reports/bench-load.md and .json, and the load section of reports/bench.md (``<!-- load -->`` markers,
so that the parse benchmark's section of the same file is kept).
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import datetime as dt
import html
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge.text import fold  # noqa: E402
from tests.conversation_runner import load_cases  # noqa: E402
from tests.servers import BIN, MODEL, RASA_TOKEN, TEST_DAY, _env, api_url, free_port, wait_http  # noqa: E402

REPORTS = ROOT / "reports"
RASA_VERSION = subprocess.run([str(BIN / "python"), "-c", "import rasa; print(rasa.__version__)"],
                              capture_output=True, text=True).stdout.strip() or "unknown"
BARE_DIR = Path(tempfile.gettempdir()) / f"ansinh-bench-bare-{RASA_VERSION}"
PG_ADMIN = dict(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
BENCH_DB = "ansinh_bench"
BENCH_QUEUE = "ansinh_bench_events"
REDIS_DB = "6"
CLK = os.sysconf("SC_CLK_TCK")


# --- the workload ---------------------------------------------------------------------------------------------

def has_diacritics(text: str) -> bool:
    return fold(text) != text.lower()


def load_conversations() -> List[List[str]]:
    """The user turns of every conversation case (tests.conversation_runner.load_cases), as conversations.
    Turns starting with "/" are kept only when they are intent payloads ("/intent" or "/intent{...}"), which
    both channels accept as button presses."""
    payload = re.compile(r"^/[A-Za-z_][\w]*(\{.*\})?$", re.S)
    conversations = []
    for case in load_cases():
        turns = [str(t["user"]) for t in case.get("turns", []) if "user" in t]
        turns = [t for t in turns if not t.startswith("/") or payload.match(t)]
        if turns:
            conversations.append(turns)
    return conversations


def workload_summary(conversations: List[List[str]]) -> Dict[str, Any]:
    messages = [m for c in conversations for m in c]
    distinct = set(messages)
    return {"conversations": len(conversations), "turns": len(messages), "distinct_messages": len(distinct),
            "with_diacritics": sum(1 for m in distinct if has_diacritics(m)),
            "without_diacritics": sum(1 for m in distinct if not has_diacritics(m) and not m.startswith("/")),
            "payloads": sum(1 for m in distinct if m.startswith("/")),
            "multi_turn_conversations": sum(1 for c in conversations if len(c) > 1),
            "mean_chars": round(sum(map(len, messages)) / len(messages), 1), "max_chars": max(map(len, messages))}


# --- processes and CPU ----------------------------------------------------------------------------------------

def _children(pid: int) -> List[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                out += [int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
            except OSError:
                pass
    except OSError:
        pass
    return out


def _cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK  # utime, stime
    except (OSError, IndexError, ValueError):
        return 0.0


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its descendants (alive ones)."""
    total, todo, seen = 0.0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        total += _cpu_of(p)
        todo += _children(p)
    return total


def named_cpu(names: Sequence[str]) -> float:
    """CPU seconds of every process whose command name is one of ``names`` (postgres, redis-server...)."""
    total = 0.0
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if Path(f"/proc/{d}/comm").read_text().strip() in names:
                    total += _cpu_of(int(d))
            except OSError:
                pass
    return total


def machine_cpu() -> Tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot (/proc/stat)."""
    f = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = f[3] + (f[4] if len(f) > 4 else 0)
    return (sum(f) - idle) / CLK, sum(f) / CLK


@dataclass
class Server:
    name: str
    proc: subprocess.Popen
    port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def start_actions(tmp: Path, env: Dict[str, str]) -> Server:
    port = free_port()
    log = tmp / f"actions-{port}.log"
    with log.open("w") as out:
        proc = subprocess.Popen([str(BIN / "rasa"), "run", "actions", "--port", str(port), "--actions", "actions.actions"],
                                cwd=ROOT, env=_env(env), stdout=out, stderr=subprocess.STDOUT)
    server = Server("actions", proc, port, log)
    try:
        wait_http(f"http://127.0.0.1:{port}/health", proc, log)
    except BaseException:
        server.stop()
        raise
    return server


def start_rasa(name: str, tmp: Path, model: Path, endpoints: Path, credentials: Path, env: Dict[str, str],
               cwd: Path) -> Server:
    port = free_port()
    log = tmp / f"{name}-{port}.log"
    t0 = time.time()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(BIN / "rasa"), "run", "--model", str(model), "--enable-api", "--auth-token", RASA_TOKEN,
             "--port", str(port), "--endpoints", str(endpoints), "--credentials", str(credentials)],
            cwd=cwd, env=_env({"ANSINH_RASA_TOKEN": RASA_TOKEN, **env}), stdout=out, stderr=subprocess.STDOUT)
    server = Server(name, proc, port, log)
    try:
        wait_http(api_url(port, "/status", RASA_TOKEN), proc, log, timeout=300)
    except BaseException:
        server.stop()
        raise
    print(f"  {name} up on :{port} in {time.time() - t0:.0f} s (pid {proc.pid})", flush=True)
    return server


# --- the client -----------------------------------------------------------------------------------------------

@dataclass
class Sample:
    t: float           # when the answer came (monotonic)
    latency: float     # seconds
    channel: str


@dataclass
class Stats:
    samples: List[Sample] = field(default_factory=list)
    errors: "collections.Counter[str]" = field(default_factory=collections.Counter)
    error_examples: List[str] = field(default_factory=list)
    sent: Dict[str, List[str]] = field(default_factory=lambda: collections.defaultdict(list))
    bot_received: "collections.Counter[str]" = field(default_factory=collections.Counter)  # messages (fragments)
    bot_texts: Dict[str, List[str]] = field(default_factory=lambda: collections.defaultdict(list))
    answered: "collections.Counter[str]" = field(default_factory=collections.Counter)  # turns answered per sender
    conversations: int = 0
    connects: List[float] = field(default_factory=list)

    def error(self, kind: str, detail: str) -> None:
        self.errors[kind] += 1
        if len(self.error_examples) < 5:
            self.error_examples.append(f"{kind}: {detail[:200]}")


class Phase:
    def __init__(self, targets: List[int], conversations: List[List[str]], prefix: str, timeout: float) -> None:
        self.targets, self.conversations, self.prefix, self.timeout = targets, conversations, prefix, timeout
        self.stats = Stats()
        self.stop_at = 0.0

    def running(self) -> bool:
        return time.monotonic() < self.stop_at

    def conversation_for(self, user: int, k: int, users: int) -> List[str]:
        # user i starts at its own offset and goes round-robin through the list
        n = len(self.conversations)
        return self.conversations[(user * max(1, n // max(1, users)) + k) % n]

    async def rest_user(self, session, user: int, users: int, think: float) -> None:
        import aiohttp

        k, sent_n = 0, 0
        while self.running():
            sender = f"{self.prefix}-u{user}-c{k}"
            self.stats.conversations += 1
            for text in self.conversation_for(user, k, users):
                if not self.running():
                    return
                port = self.targets[sent_n % len(self.targets)]
                sent_n += 1
                self.stats.sent[sender].append(text)
                t0 = time.monotonic()
                try:
                    async with session.post(f"http://127.0.0.1:{port}/webhooks/rest/webhook",
                                            json={"sender": sender, "message": text},
                                            timeout=aiohttp.ClientTimeout(total=self.timeout)) as r:
                        body = await r.text()
                        if r.status != 200:
                            self.stats.error(f"http {r.status}", body)
                        else:
                            replies = json.loads(body)
                            t1 = time.monotonic()
                            self.stats.samples.append(Sample(t1, t1 - t0, "rest"))
                            self.stats.bot_received[sender] += len(replies)
                            self.stats.bot_texts[sender] += [m.get("text") or "" for m in replies]
                            self.stats.answered[sender] += 1
                except asyncio.TimeoutError:
                    self.stats.error("timeout", f"{sender}: {text}")
                except Exception as err:  # noqa: BLE001
                    self.stats.error(type(err).__name__, str(err))
                    await asyncio.sleep(0.2)
                if think:
                    await asyncio.sleep(think)
            k += 1

    async def socket_user(self, user: int, users: int, think: float) -> None:
        import socketio

        k, sent_n = 0, 0
        while self.running():
            sender = f"{self.prefix}-u{user}-c{k}"
            self.stats.conversations += 1
            clients, inbox, texts = [], collections.Counter(), self.stats.bot_texts[sender]
            try:
                t0 = time.monotonic()
                for port in self.targets:  # one socket per replica, the same session (conversation) id
                    c = socketio.AsyncClient(reconnection=False)
                    confirmed = asyncio.Event()
                    c.on("bot_uttered", (lambda i: (lambda data: (inbox.update([i]),
                                                                 texts.append((data or {}).get("text") or ""))))(len(clients)))
                    c.on("session_confirm", (lambda e: (lambda data: e.set()))(confirmed))
                    clients.append(c)
                    await c.connect(f"http://127.0.0.1:{port}", socketio_path="/socket.io", transports=["websocket"],
                                    wait_timeout=self.timeout)
                    await c.emit("session_request", {"session_id": sender})
                    await asyncio.wait_for(confirmed.wait(), self.timeout)
                self.stats.connects.append(time.monotonic() - t0)
            except Exception as err:  # noqa: BLE001
                self.stats.error(f"socket connect {type(err).__name__}", str(err))
                await self._close(clients)
                await asyncio.sleep(0.5)
                k += 1
                continue
            try:
                for text in self.conversation_for(user, k, users):
                    if not self.running():
                        return
                    i = sent_n % len(clients)
                    sent_n += 1
                    before = inbox[i]
                    acked = asyncio.get_running_loop().create_future()
                    self.stats.sent[sender].append(text)
                    t0 = time.monotonic()
                    try:
                        await clients[i].emit("user_uttered", {"message": text, "session_id": sender,
                                                               "metadata": {"message_id": uuid.uuid4().hex}},
                                              callback=lambda *a, f=acked: f.done() or f.set_result(a))
                        await asyncio.wait_for(acked, self.timeout)
                        t1 = time.monotonic()
                        await asyncio.sleep(0)  # bot_uttered packets queued before the ack are handled by now
                        self.stats.samples.append(Sample(t1, t1 - t0, "socketio"))
                        self.stats.bot_received[sender] += inbox[i] - before
                        self.stats.answered[sender] += 1
                    except asyncio.TimeoutError:
                        self.stats.error("timeout", f"{sender}: {text}")
                    except Exception as err:  # noqa: BLE001
                        self.stats.error(f"socket {type(err).__name__}", str(err))
                        break
                    if think:
                        await asyncio.sleep(think)
            finally:
                await asyncio.sleep(0.05)  # a late bot_uttered of a timed-out turn
                self.stats.bot_received[sender] += 0
                await self._close(clients)
            k += 1

    @staticmethod
    async def _close(clients) -> None:
        for c in clients:
            try:
                await c.disconnect()
            except Exception:  # noqa: BLE001
                pass


async def run_load(targets: List[int], conversations: List[List[str]], prefix: str, users: int, duration: float,
                   think: float, socket_share: float, timeout: float) -> Tuple[Stats, float, float]:
    """``users`` closed-loop users for ``duration`` s; returns (stats, start, end) in monotonic time."""
    import aiohttp

    phase = Phase(targets, conversations, prefix, timeout)
    n_socket = int(round(users * socket_share))
    start = time.monotonic()
    phase.stop_at = start + duration
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        tasks = []
        for u in range(users):
            delay = random.uniform(0, think) if think else 0.0

            async def one(u=u, delay=delay):
                await asyncio.sleep(delay)
                if u < n_socket:
                    await phase.socket_user(u, users, think)
                else:
                    await phase.rest_user(session, u, users, think)

            tasks.append(asyncio.create_task(one()))
        await asyncio.gather(*tasks, return_exceptions=True)
    return phase.stats, start, phase.stop_at


# --- the tracker store ----------------------------------------------------------------------------------------

def stored_events(rows) -> Tuple[Dict[str, "collections.Counter[str]"], Dict[str, List[str]], Dict[str, List[str]]]:
    """Per sender: the stored user texts (counted), the bot texts (after the last erasure, if any), and, for a
    person who had their data erased ("xóa dữ liệu của tôi": a restart marked ansinh_erase,
    channels/tracker_store.py), the user texts stored after the erasure, in order (what came before is deleted
    on purpose)."""
    users: Dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    bots: Dict[str, List[str]] = collections.defaultdict(list)
    after_erasure: Dict[str, List[str]] = {}
    for sender, kind, data in rows:
        event = json.loads(data)
        if kind == "restart":
            if (event.get("metadata") or {}).get("ansinh_erase"):
                after_erasure[sender] = []
                bots[sender] = []  # the replies before the erasure are deleted with the rest
        elif kind == "user":
            users[sender][event.get("text") or ""] += 1
            if sender in after_erasure:
                after_erasure[sender].append(event.get("text") or "")
        else:
            bots[sender].append(event.get("text") or "")
    return users, bots, after_erasure


def stored_sqlite(db: Path, prefix: str):
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        rows = conn.execute("SELECT sender_id, type_name, data FROM events WHERE sender_id LIKE ? "
                            "AND type_name IN ('user', 'bot', 'restart') ORDER BY id", (prefix + "-%",)).fetchall()
    return stored_events(rows)


def stored_postgres(db: str, prefix: str):
    import psycopg2

    with psycopg2.connect(**{**PG_ADMIN, "dbname": db}) as conn, conn.cursor() as cur:
        cur.execute("SELECT sender_id, type_name, data FROM events WHERE sender_id LIKE %s "
                    "AND type_name IN ('user', 'bot', 'restart') ORDER BY id", (prefix + "-%",))
        rows = cur.fetchall()
    return stored_events(rows)


def integrity(stats: Stats, stored) -> Dict[str, Any]:
    users, bots, after_erasure = stored
    lost = dup = changed = erased = 0
    examples = []
    for sender in set(stats.sent) | set(users):
        sent_texts = stats.sent.get(sender, [])
        if sender in after_erasure:
            # Erased on request: what is stored must be exactly the last messages sent, in order.
            kept = after_erasure[sender]
            if kept == sent_texts[len(sent_texts) - len(kept):]:
                erased += len(sent_texts) - len(kept)
                sent_texts = kept
        sent = collections.Counter(sent_texts)
        have = users.get(sender, collections.Counter()) if sender not in after_erasure else collections.Counter(after_erasure[sender])
        n_sent, n_have = sum(sent.values()), sum(have.values())
        lost += max(0, n_sent - n_have)
        dup += max(0, n_have - n_sent)
        if n_sent == n_have and sent != have:
            changed += 1
        if n_sent != n_have and len(examples) < 5:
            examples.append(f"{sender}: sent {n_sent}, stored {n_have}")
    # The channels split a reply's text on blank lines into several messages: the comparison is of the text
    # of the replies (whitespace aside), in order, per sender.
    squash = lambda texts: re.sub(r"\s+", "", "".join(texts))  # noqa: E731
    bot_received = sum(stats.bot_received.values())
    bot_stored = sum(len(bots.get(s, [])) for s in stats.sent)
    def bot_text_differs(sender: str) -> bool:
        stored_text, received = squash(bots.get(sender, [])), squash(stats.bot_texts.get(sender, []))
        # erased on request: only the replies after the erasure are stored, the end of what was received
        return not received.endswith(stored_text) if sender in after_erasure else stored_text != received

    bot_mismatch = [s for s in stats.sent if bot_text_differs(s)]
    # a turn that timed out at the client may still have been answered and stored: those senders are excused
    timed_out = {s for s in stats.sent if stats.answered.get(s, 0) < len(stats.sent[s])}
    return {"user_sent": sum(len(v) for v in stats.sent.values()), "user_stored": sum(sum(c.values()) for s, c in users.items()),
            "lost": lost, "duplicated": dup, "erased_on_request": erased, "senders_with_changed_text": changed,
            "bot_received": bot_received, "bot_stored": bot_stored,
            "senders_bot_mismatch": len(bot_mismatch),
            "senders_bot_mismatch_not_timed_out": len([s for s in bot_mismatch if s not in timed_out]),
            "examples": examples + [f"{s}: bot text stored {squash(bots.get(s, []))[:80]!r}, received "
                                    f"{squash(stats.bot_texts.get(s, []))[:80]!r}" for s in bot_mismatch[:3]]}


# --- metrics --------------------------------------------------------------------------------------------------

def pct(values: List[float], p: float) -> Optional[float]:
    if not values:
        return None
    v = sorted(values)
    return round(v[min(len(v) - 1, max(0, int(round(p / 100 * len(v) + 0.5)) - 1))] * 1000, 1)


def summarise(stats: Stats, start: float, end: float) -> Dict[str, Any]:
    inside = [s for s in stats.samples if s.t <= end]
    lat = [s.latency for s in stats.samples]
    out = {"duration_s": round(end - start, 1), "messages": len(inside),
           "msgs_per_s": round(len(inside) / (end - start), 2) if end > start else None,
           "p50_ms": pct(lat, 50), "p95_ms": pct(lat, 95), "p99_ms": pct(lat, 99),
           "max_ms": round(max(lat) * 1000, 1) if lat else None,
           "errors": sum(stats.errors.values()), "error_kinds": dict(stats.errors), "error_examples": stats.error_examples,
           "conversations": stats.conversations, "senders": len(stats.sent)}
    for ch in ("rest", "socketio"):
        cl = [s.latency for s in stats.samples if s.channel == ch]
        out[ch] = {"messages": len(cl), "p50_ms": pct(cl, 50), "p95_ms": pct(cl, 95), "p99_ms": pct(cl, 99)}
    if stats.connects:
        out["socket_connect_p50_ms"] = pct(stats.connects, 50)
    return out


class CpuMeter:
    """CPU seconds per component between ``start()`` and ``stop()``, as cores (CPU seconds per wall second)."""

    def __init__(self, pids: Dict[str, List[int]], names: Dict[str, Sequence[str]]) -> None:
        self.pids, self.names = pids, names

    def _read(self) -> Dict[str, float]:
        r = {k: sum(tree_cpu(p) for p in ps) for k, ps in self.pids.items()}
        r.update({k: named_cpu(n) for k, n in self.names.items()})
        t = os.times()
        r["client (this process)"] = t.user + t.system
        busy, total = machine_cpu()
        r["_busy"], r["_total"] = busy, total
        return r

    def start(self) -> None:
        self.t0, self.a = time.monotonic(), self._read()

    def stop(self) -> Dict[str, float]:
        wall, b = time.monotonic() - self.t0, self._read()
        d = {k: b[k] - self.a[k] for k in b}
        out = {k: round(v / wall, 2) for k, v in d.items() if not k.startswith("_")}
        ncpu = (d["_total"] / wall) if wall else os.cpu_count()
        out["machine busy"] = round(d["_busy"] / wall, 2)
        out["others on the machine"] = round(max(0.0, out["machine busy"] - sum(v for k, v in out.items()
                                                                                 if k != "machine busy")), 2)
        out["cores"] = round(ncpu, 1)
        return out


# --- profiling ------------------------------------------------------------------------------------------------

def start_profile(pid: int, seconds: float, raw: Path) -> Optional[subprocess.Popen]:
    spy = BIN / "py-spy"
    if not spy.exists():
        return None
    return subprocess.Popen([str(spy), "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "50",
                             "--nonblocking", "--format", "raw", "--output", str(raw)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _frame(f: str) -> str:
    return re.sub(r":\d+\)$", ")", f.strip())


def read_stacks(raw: Path) -> List[Tuple[List[str], int]]:
    stacks = []
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if stack and n.isdigit():
            stacks.append(([_frame(f) for f in stack.split(";")], int(n)))
    return stacks


def profile_summary(stacks: List[Tuple[List[str], int]], top: int = 10) -> Dict[str, Any]:
    total = sum(n for _, n in stacks) or 1
    own, incl = collections.Counter(), collections.Counter()
    for frames, n in stacks:
        own[frames[-1]] += n
        for f in set(frames):
            incl[f] += n
    skip = re.compile(r"^(<module>|run|_run|run_forever|run_until_complete|_run_once|main|serve|__call__|wrapper|"
                      r"handle_request|_handle|call_soon|start|inner|_inner|_bootstrap|_bootstrap_inner)\b")
    inclusive = [(f, n) for f, n in incl.most_common() if not skip.match(f) and n < total * 0.999]
    return {"samples": total,
            "self": [{"function": f, "share": round(n / total, 3)} for f, n in own.most_common(top)],
            "inclusive": [{"function": f, "share": round(n / total, 3)} for f, n in inclusive[:top * 3]]}


def flamegraph_svg(stacks: List[Tuple[List[str], int]], out: Path, title: str) -> None:
    """A plain flame graph (root at the bottom) of py-spy's collapsed stacks."""
    root: Dict[str, Any] = {"n": 0, "c": {}}
    for frames, n in stacks:
        node = root
        node["n"] += n
        for f in frames:
            node = node["c"].setdefault(f, {"n": 0, "c": {}})
            node["n"] += n
    total = root["n"] or 1
    width, row = 1200.0, 16
    rects: List[str] = []
    depth_max = [0]

    def walk(node, x, depth):
        for name, child in sorted(node["c"].items()):
            w = child["n"] / total * width
            if w >= 0.5:
                depth_max[0] = max(depth_max[0], depth)
                rects.append((x, depth, w, name, child["n"]))
                walk(child, x, depth + 1)
            x += w

    walk(root, 0.0, 0)
    height = (depth_max[0] + 3) * row
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{int(width)}" height="{height}" font-family="monospace" '
             f'font-size="11"><rect width="100%" height="100%" fill="#fff"/>'
             f'<text x="4" y="12">{html.escape(title)} ({total} samples)</text>']
    for x, depth, w, name, n in rects:
        y = height - (depth + 1) * row
        hue = 10 + (hash(name.split(" (")[-1]) % 50)
        label = html.escape(name[: int(w / 6.5)]) if w > 20 else ""
        parts.append(f'<g><title>{html.escape(name)}: {n} samples ({n / total:.1%})</title>'
                     f'<rect x="{x:.1f}" y="{y}" width="{max(w - 0.3, 0.2):.1f}" height="{row - 1}" '
                     f'fill="hsl({hue},85%,60%)"/><text x="{x + 2:.1f}" y="{y + 11}">{label}</text></g>')
    parts.append("</svg>")
    out.write_text("".join(parts))


# --- setups ---------------------------------------------------------------------------------------------------

def bare_bot() -> Path:
    """The bare ``rasa init`` project (moodbot, default config), trained once per Rasa version."""
    bot = BARE_DIR / "bot"
    models = sorted((bot / "models").glob("*.tar.gz")) if (bot / "models").exists() else []
    if models:
        return bot
    shutil.rmtree(BARE_DIR, ignore_errors=True)
    bot.mkdir(parents=True)
    print(f"  rasa init --no-prompt --init-dir {bot} (trains moodbot once)", flush=True)
    subprocess.run([str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(bot)], cwd=BARE_DIR,
                   env=_env({}), stdout=(BARE_DIR / "init.log").open("w"), stderr=subprocess.STDOUT, check=True)
    return bot


SOCKET_CREDENTIALS = "  user_message_evt: user_uttered\n  bot_message_evt: bot_uttered\n  session_persistence: true\n"


def create_bench_db() -> None:
    import psycopg2

    conn = psycopg2.connect(**PG_ADMIN)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{BENCH_DB}"')
    conn.close()


def drop_bench_db() -> None:
    import psycopg2

    conn = psycopg2.connect(**PG_ADMIN)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
    conn.close()


def delete_bench_queue() -> None:
    """The bench-only RabbitMQ queue the production runs filled (Rasa's pika broker uses aio-pika)."""
    async def delete() -> None:
        import aio_pika

        conn = await aio_pika.connect("amqp://guest:guest@127.0.0.1:5672/")
        try:
            channel = await conn.channel()
            await channel.queue_delete(BENCH_QUEUE)
        finally:
            await conn.close()

    try:
        asyncio.run(delete())
    except Exception as err:  # noqa: BLE001
        print(f"  (the bench queue {BENCH_QUEUE} could not be deleted: {err})")


def clear_bench_redis() -> None:
    try:
        import redis

        r = redis.Redis(host="127.0.0.1", port=6379, db=int(REDIS_DB))
        for key in r.scan_iter("ansinh*"):
            r.delete(key)
    except Exception:  # noqa: BLE001
        pass


# --- the run --------------------------------------------------------------------------------------------------

class Bench:
    def __init__(self, args) -> None:
        self.args = args
        self.conversations = load_conversations()
        self.run_id = uuid.uuid4().hex[:6]
        self.results: Dict[str, Any] = {"phases": [], "workload": workload_summary(self.conversations),
                                        "rasa_version": RASA_VERSION, "started": dt.datetime.now().isoformat(timespec="seconds"),
                                        "settings": {k: v for k, v in vars(args).items()}, "notes": []}
        self.profiled = False

    async def warm(self, ports: List[int]) -> None:
        """One pass of a few conversations, unmeasured (first parses load lazily)."""
        await run_load(ports, self.conversations, f"bw{self.run_id}-{ports[0]}", users=2, duration=self.args.warmup,
                       think=0, socket_share=0.5, timeout=self.args.timeout)

    async def phase(self, name: str, setup: str, ports: List[int], users: int, think: float, duration: float,
                    stored_reader, cpu: CpuMeter, profile_pid: Optional[int] = None) -> Dict[str, Any]:
        prefix = f"b{self.run_id}-{re.sub(r'[^a-z0-9]+', '', name.lower())}"
        spy = None
        if profile_pid is not None:
            raw = REPORTS / "profile-rasa.raw"
            spy = start_profile(profile_pid, duration, raw)
        print(f"  phase {name}: {users} users, think {think} s, {duration:.0f} s ...", flush=True)
        cpu.start()
        stats, start, end = await run_load(ports, self.conversations, prefix, users, duration, think,
                                           self.args.socket_share, self.args.timeout)
        cpu_use = cpu.stop()
        await asyncio.sleep(self.args.settle)  # let a turn that timed out at the client finish on the server
        row = {"name": name, "setup": setup, "replicas": len(ports), "users": users, "think_s": think,
               **summarise(stats, start, end), "cpu_cores": cpu_use}
        try:
            row["integrity"] = integrity(stats, stored_reader(prefix))
        except Exception as err:  # noqa: BLE001
            row["integrity"] = {"error": f"{type(err).__name__}: {err}"}
        if spy is not None:
            self._finish_profile(spy, REPORTS / "profile-rasa.raw", name)
        print(f"    {row['msgs_per_s']} msg/s, p50 {row['p50_ms']} p95 {row['p95_ms']} p99 {row['p99_ms']} ms, "
              f"errors {row['errors']}, integrity {dict((k, v) for k, v in row['integrity'].items() if k != 'examples')}, "
              f"cpu {cpu_use}", flush=True)
        self.results["phases"].append(row)
        return row

    def _finish_profile(self, spy: subprocess.Popen, raw: Path, name: str) -> None:
        try:
            out, _ = spy.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            spy.kill()
            out, _ = spy.communicate()
        if spy.returncode != 0 or not raw.exists():
            self.results["profile"] = {"error": f"py-spy could not record (exit {spy.returncode}): {out.strip()[-400:]}"}
            return
        stacks = read_stacks(raw)
        flamegraph_svg(stacks, REPORTS / "profile-rasa.svg", f"Rasa during {name}")
        summary = profile_summary(stacks)
        summary["phase"] = name
        self.results["profile"] = summary
        lines = [f"py-spy (50 Hz, --nonblocking) of the Rasa process during {name}: {summary['samples']} samples", "",
                 "Self time (the function on top of the stack):"]
        lines += [f"  {e['share']:6.1%}  {e['function']}" for e in summary["self"]]
        lines += ["", "Inclusive time (the function anywhere on the stack):"]
        lines += [f"  {e['share']:6.1%}  {e['function']}" for e in summary["inclusive"]]
        (REPORTS / "profile-rasa.txt").write_text("\n".join(lines) + "\n")
        raw.unlink(missing_ok=True)

    def saturation_and_think(self, label: str, setup: str, ports: List[int], reader, cpu: CpuMeter,
                             profile_pid: Optional[int]) -> None:
        a = self.args
        for users in a.users:
            pid = profile_pid if (profile_pid and users == max(a.users) and not self.profiled) else None
            if pid:
                self.profiled = True
            asyncio.run(self.phase(f"{label} sat {users}", setup, ports, users, 0.0, a.duration, reader, cpu, pid))
        asyncio.run(self.phase(f"{label} think {a.think_users}", setup, ports, a.think_users, a.think,
                               a.think_duration, reader, cpu))

    def ours_sqlite(self) -> None:
        tmp = Path(tempfile.mkdtemp(prefix="ansinh-load-ours-"))
        env = {"ANSINH_TODAY": TEST_DAY, "ANSINH_DB_URL": f"sqlite:///{tmp}/cases.db",
               "ANSINH_RATE_LIMIT": self.args.rate_limit}
        print("ours, one replica, embedded configuration (SQLite tracker store)", flush=True)
        actions = start_actions(tmp, env)
        try:
            endpoints = tmp / "endpoints.yml"
            endpoints.write_text((ROOT / "endpoints.yml").read_text().replace(
                "http://localhost:5055/webhook", f"http://127.0.0.1:{actions.port}/webhook"))
            rasa = start_rasa("rasa-ours", tmp, MODEL, endpoints, ROOT / "credentials.yml", env, tmp)
            try:
                asyncio.run(self.warm([rasa.port]))
                cpu = CpuMeter({"rasa": [rasa.pid], "action server": [actions.pid]}, {})
                reader = lambda prefix: stored_sqlite(tmp / "rasa.db", prefix)  # noqa: E731
                self.saturation_and_think("ours", "ours, SQLite", [rasa.port], reader, cpu,
                                          rasa.pid if self.args.profile else None)
            finally:
                rasa.stop()
        finally:
            actions.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    def bare(self) -> None:
        print("bare rasa init bot (moodbot), SQLite tracker store", flush=True)
        bot = bare_bot()
        model = sorted((bot / "models").glob("*.tar.gz"))[-1]
        tmp = Path(tempfile.mkdtemp(prefix="ansinh-load-bare-"))
        (tmp / "endpoints.yml").write_text('tracker_store:\n  type: SQL\n  dialect: "sqlite"\n  db: "rasa.db"\n')
        (tmp / "credentials.yml").write_text("rest:\nsocketio:\n" + SOCKET_CREDENTIALS)
        rasa = start_rasa("rasa-bare", tmp, model, tmp / "endpoints.yml", tmp / "credentials.yml", {}, tmp)
        try:
            asyncio.run(self.warm([rasa.port]))
            cpu = CpuMeter({"rasa": [rasa.pid]}, {})
            reader = lambda prefix: stored_sqlite(tmp / "rasa.db", prefix)  # noqa: E731
            self.saturation_and_think("bare", "bare rasa init, SQLite", [rasa.port], reader, cpu, None)
        finally:
            rasa.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    def production(self) -> None:
        print("ours on the production configuration (PostgreSQL + Redis lock store + RabbitMQ)", flush=True)
        tmp = Path(tempfile.mkdtemp(prefix="ansinh-load-prod-"))
        create_bench_db()
        clear_bench_redis()
        env = {"ANSINH_TODAY": TEST_DAY, "ANSINH_DB_URL": f"postgresql://postgres@127.0.0.1:5432/{BENCH_DB}",
               "ANSINH_RATE_LIMIT": self.args.rate_limit,
               "DB_HOST": "127.0.0.1", "DB_PORT": "5432", "DB_NAME": BENCH_DB, "DB_USER": "postgres", "DB_PASSWORD": "",
               "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379", "REDIS_DB": REDIS_DB,
               "RABBITMQ_HOST": "127.0.0.1", "RABBITMQ_USER": "guest", "RABBITMQ_PASSWORD": "guest"}
        endpoints = tmp / "endpoints.production.yml"
        text = (ROOT / "endpoints.production.yml").read_text()
        if "- rasa_events" not in text:
            self.results["notes"].append("endpoints.production.yml has no `rasa_events` queue to redirect; used as is")
        endpoints.write_text(text.replace("- rasa_events", f"- {BENCH_QUEUE}"))
        actions = start_actions(tmp, env)
        servers: List[Server] = []
        try:
            env["ACTION_ENDPOINT_URL"] = f"http://127.0.0.1:{actions.port}/webhook"
            servers.append(start_rasa("rasa-prod-a", tmp, MODEL, endpoints, ROOT / "credentials.yml", env, tmp))
            asyncio.run(self.warm([servers[0].port]))
            names = {"postgres": ["postgres"], "redis": ["redis-server"], "rabbitmq": ["beam.smp"]}
            reader = lambda prefix: stored_postgres(BENCH_DB, prefix)  # noqa: E731
            users = max(self.args.users)
            cpu = CpuMeter({"rasa": [servers[0].pid], "action server": [actions.pid]}, names)
            asyncio.run(self.phase(f"prod 1 replica sat {users}", "ours, PostgreSQL+Redis", [servers[0].port],
                                   users, 0.0, self.args.duration, reader, cpu))
            servers.append(start_rasa("rasa-prod-b", tmp, MODEL, endpoints, ROOT / "credentials.yml", env, tmp))
            asyncio.run(self.warm([servers[1].port]))
            cpu = CpuMeter({"rasa": [s.pid for s in servers], "action server": [actions.pid]}, names)
            asyncio.run(self.phase(f"prod 2 replicas sat {users}", "ours, PostgreSQL+Redis", [s.port for s in servers],
                                   users, 0.0, self.args.duration, reader, cpu))
        finally:
            for s in servers:
                s.stop()
            actions.stop()
            drop_bench_db()
            delete_bench_queue()
            clear_bench_redis()
        shutil.rmtree(tmp, ignore_errors=True)


# --- the report -----------------------------------------------------------------------------------------------

def _find(phases, name):
    return next((p for p in phases if p["name"] == name), None)


def evaluate(results: Dict[str, Any], args) -> None:
    ph = results["phases"]
    sat = [f"sat {u}" for u in args.users]
    ratios = []
    for kind in sat + [f"think {args.think_users}"]:
        o, b = _find(ph, f"ours {kind}"), _find(ph, f"bare {kind}")
        if o and b:
            ratios.append({"phase": kind, "msgs_per_s": _ratio(o["msgs_per_s"], b["msgs_per_s"]),
                           "p50": _ratio(o["p50_ms"], b["p50_ms"]), "p95": _ratio(o["p95_ms"], b["p95_ms"]),
                           "p99": _ratio(o["p99_ms"], b["p99_ms"]),
                           "rasa_cpu_per_msg": _ratio(_cpu_per_msg(o), _cpu_per_msg(b))})
    results["ratios_ours_over_bare"] = ratios

    def capacity(label):
        rows = [p for p in ph if p["name"].startswith(f"{label} sat")]
        return max((p["msgs_per_s"] or 0 for p in rows), default=None) if rows else None

    ours, bare = capacity("ours"), capacity("bare")
    think = _find(ph, f"ours think {args.think_users}")
    users = max(args.users)
    one, two = _find(ph, f"prod 1 replica sat {users}"), _find(ph, f"prod 2 replicas sat {users}")
    lost = sum((p.get("integrity") or {}).get("lost", 0) or 0 for p in ph)
    dup = sum((p.get("integrity") or {}).get("duplicated", 0) or 0 for p in ph)
    bad_integrity = [p["name"] for p in ph if "error" in (p.get("integrity") or {})]
    targets = [
        _target("capacity per replica ≥ 2× bare Rasa's", ours is not None and bare, lambda: ours / bare >= 2,
                lambda: f"{ours} vs {bare} msg/s = {ours / bare:.2f}×"),
        _target(f"p95 ≤ 150 ms at {args.think_users} users with {args.think} s think time", think,
                lambda: think["p95_ms"] is not None and think["p95_ms"] <= 150, lambda: f"p95 {think['p95_ms']} ms"),
        _target("two replicas ≥ 1.5× one (shared PostgreSQL + Redis)", one and two,
                lambda: two["msgs_per_s"] >= 1.5 * one["msgs_per_s"],
                lambda: f"{two['msgs_per_s']} vs {one['msgs_per_s']} msg/s = {two['msgs_per_s'] / one['msgs_per_s']:.2f}×"
                        + _cpu_note(two)),
        _target("zero lost or duplicated messages", ph and not bad_integrity, lambda: lost == 0 and dup == 0,
                lambda: f"lost {lost}, duplicated {dup} over {len(ph)} phases"),
    ]
    results["capacity_msgs_per_s"] = {"ours": ours, "bare": bare}
    results["targets"] = targets


def _cpu_note(phase: Dict[str, Any]) -> str:
    """Where the CPU went in a phase, for a target's detail: whether the machine's cores were full."""
    cpu = phase.get("cpu_cores") or {}
    if not cpu.get("cores"):
        return ""
    parts = ", ".join(f"{k} {v}" for k, v in cpu.items() if k not in ("machine busy", "cores") and v)
    return f"; {cpu.get('machine busy')} of {cpu['cores']} cores busy ({parts})"


def _target(name, measured, ok, detail) -> Dict[str, Any]:
    if not measured:
        return {"target": name, "status": "not measured", "detail": ""}
    try:
        return {"target": name, "status": "met" if ok() else "missed", "detail": detail()}
    except (TypeError, ZeroDivisionError) as err:
        return {"target": name, "status": "not measured", "detail": str(err)}


def _ratio(a, b):
    return round(a / b, 2) if a is not None and b else None


def _cpu_per_msg(p):
    n = p.get("messages") or 0
    return (p["cpu_cores"].get("rasa", 0) * p["duration_s"] / n) if n else None


def markdown(results: Dict[str, Any], args) -> str:
    w = results["workload"]
    ph = results["phases"]
    out = ["<!-- load -->", "## Load: simulated users, multi-turn conversations (benchmarks/load.py)", "",
           f"Rasa {results['rasa_version']}, run {results['started']} on {os.cpu_count()} CPUs shared by the client, "
           "Rasa, the action server and the stores. Workload: the user turns of tests/conversations/*.yml — "
           f"{w['conversations']} conversations ({w['multi_turn_conversations']} multi-turn), {w['turns']} turns, "
           f"{w['distinct_messages']} distinct messages ({w['with_diacritics']} with diacritics, "
           f"{w['without_diacritics']} without, {w['payloads']} button payloads), mean {w['mean_chars']} chars. "
           f"Each user sends a conversation turn by turn and waits for the whole reply (closed loop); "
           f"{args.socket_share:.0%} of the users use the widget's socket.io channel (reply complete = the "
           "acknowledgement of `user_uttered`), the rest REST. A new sender id per conversation. "
           f"Saturation runs have no think time ({args.duration:.0f} s each), the latency run "
           f"{args.think} s between turns ({args.think_duration:.0f} s). Latencies are of every answered turn; "
           "messages/s counts the turns answered within the run's time.", "",
           "### Targets", "", "| target | status | measured |", "|---|---|---|"]
    out += [f"| {t['target']} | **{t['status']}** | {t['detail']} |" for t in results.get("targets", [])]
    out += ["", "### Phases", "",
            "| phase | setup | replicas | users | think | msg/s | p50 ms | p95 ms | p99 ms | max ms | errors |"
            " REST p95 | socket.io p95 |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for p in ph:
        out.append(f"| {p['name']} | {p['setup']} | {p['replicas']} | {p['users']} | {p['think_s']} s | "
                   f"{p['msgs_per_s']} | {p['p50_ms']} | {p['p95_ms']} | {p['p99_ms']} | {p['max_ms']} | "
                   f"{p['errors']}{' ' + json.dumps(p['error_kinds'], ensure_ascii=False) if p['errors'] else ''} | "
                   f"{p['rest']['p95_ms']} | {p['socketio']['p95_ms']} |")
    if results.get("ratios_ours_over_bare"):
        out += ["", "### Ours / bare `rasa init` (same users, turns and messages; same SQLite tracker store)", "",
                "| phase | msg/s | p50 | p95 | p99 | Rasa CPU per message |", "|---|---|---|---|---|---|"]
        out += [f"| {r['phase']} | {r['msgs_per_s']}× | {r['p50']}× | {r['p95']}× | {r['p99']}× | "
                f"{r['rasa_cpu_per_msg']}× |" for r in results["ratios_ours_over_bare"]]
    out += ["", "### Integrity: the tracker store against the client", "",
            "User messages (`user` events) and bot replies (`bot` events) stored per sender, against what the "
            "client sent and received. Lost: sent, not stored. Duplicated: stored more often than sent. The "
            "channels split a reply's text on blank lines into several messages, so bot messages received "
            "outnumber bot events stored; the check is that each sender's reply text received equals the text "
            "stored (in order, whitespace aside); for a person who had their data erased, that the text received "
            "ends with the text stored after the erasure (what came before is deleted on purpose).", "",
            "| phase | user sent | user stored | lost | duplicated | erased on request | bot messages received | bot events stored | senders whose reply text differs (of them not timed out) |",
            "|---|---|---|---|---|---|---|---|---|"]
    for p in ph:
        i = p.get("integrity") or {}
        if "error" in i:
            out.append(f"| {p['name']} | could not read the store: {i['error']} ||||||||")
            continue
        out.append(f"| {p['name']} | {i['user_sent']} | {i['user_stored']} | {i['lost']} | {i['duplicated']} | {i.get('erased_on_request', 0)} | "
                   f"{i['bot_received']} | {i['bot_stored']} | {i['senders_bot_mismatch']} "
                   f"({i['senders_bot_mismatch_not_timed_out']}) |")
    examples = [(p["name"], e) for p in ph for e in (p.get("integrity") or {}).get("examples", [])]
    if examples:
        out += ["", "Examples: " + "; ".join(f"{n}: {e}" for n, e in examples[:8])]
    errs = [(p["name"], e) for p in ph for e in p.get("error_examples", [])]
    if errs:
        out += ["", "Errors (first of each phase): " + "; ".join(f"{n}: `{e}`" for n, e in errs[:8])]
    keys = []
    for p in ph:
        keys += [k for k in p["cpu_cores"] if k not in keys and k != "cores"]
    out += ["", "### Where the CPU went (cores in use during the run; the machine has "
            f"{ph[0]['cpu_cores']['cores'] if ph else '?'})", "",
            "| phase | " + " | ".join(keys) + " |", "|---|" + "---|" * len(keys)]
    for p in ph:
        out.append(f"| {p['name']} | " + " | ".join(str(p["cpu_cores"].get(k, "")) for k in keys) + " |")
    out += ["", "Rasa (all replicas together) and the action server are counted with their child processes; postgres, redis and rabbitmq "
            "(the production runs) are every process of that name; 'others on the machine' is the machine's busy "
            "time not in these columns (other work sharing the CPUs)."]
    prof = results.get("profile")
    if prof:
        out += ["", "### Profile of the Rasa process (py-spy)", ""]
        if "error" in prof:
            out.append(prof["error"])
        else:
            out += [f"During {prof['phase']}, {prof['samples']} samples at 50 Hz (reports/profile-rasa.svg, "
                    "reports/profile-rasa.txt). Top 10 by self time:", "", "| share | function |", "|---|---|"]
            out += [f"| {e['share']:.1%} | `{e['function']}` |" for e in prof["self"][:10]]
            out += ["", "Top 10 by inclusive time:", "", "| share | function |", "|---|---|"]
            out += [f"| {e['share']:.1%} | `{e['function']}` |" for e in prof["inclusive"][:10]]
    out += ["", "### Cache keyed on the message text", "", results["cache"]]
    if results["notes"]:
        out += ["", "### Notes", ""] + [f"- {n}" for n in results["notes"]]
    out.append("<!-- /load -->")
    return "\n".join(out) + "\n"


CACHE_NOTE = ("None in the project: no reply or parse is cached by message text (grep of actions/, bot/, channels/, "
              "knowledge/ for lru_cache/cache). Only per-token helpers of the gazetteer are memoised "
              "(bot/gazetteer.py `_has_marks`, `_tone_norm`, `_accents_agree`), which saves work on repeated words, "
              "not a whole message; every figure above is without a reply cache, so nothing is set apart.")


def write_report(results: Dict[str, Any], args) -> None:
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "bench.json").write_text(json.dumps(_merge_json(REPORTS / "bench.json", results), indent=1,
                                                   ensure_ascii=False))
    section = markdown(results, args)
    bench = REPORTS / "bench.md"
    old = bench.read_text() if bench.exists() else "# Benchmarks\n"
    if "<!-- load -->" in old:
        old = re.sub(r"<!-- load -->.*?<!-- /load -->\n?", "", old, flags=re.S)
    bench.write_text(old.rstrip("\n") + "\n\n" + section)


def _merge_json(path: Path, results: Dict[str, Any]) -> Dict[str, Any]:
    """bench.json may hold the parse benchmark's figures: the load results go under "load"."""
    try:
        data = json.loads(path.read_text())
        if not isinstance(data, dict):
            data = {"parse": data}
    except (OSError, ValueError):
        data = {}
    data["load"] = results
    return data


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", type=lambda s: [int(x) for x in s.split(",")], default=[20, 50],
                    help="saturation runs: user counts, comma-separated (default 20,50)")
    ap.add_argument("--duration", type=float, default=40, help="seconds per saturation run (default 40)")
    ap.add_argument("--think-users", type=int, default=20, help="users of the latency run (default 20)")
    ap.add_argument("--think", type=float, default=2.0, help="think time between turns, s (default 2)")
    ap.add_argument("--think-duration", type=float, default=60, help="seconds of the latency run (default 60)")
    ap.add_argument("--socket-share", type=float, default=0.25, help="share of users on socket.io (default 0.25)")
    ap.add_argument("--timeout", type=float, default=30, help="seconds to wait for a reply (default 30)")
    ap.add_argument("--warmup", type=float, default=8, help="unmeasured seconds after each server start (default 8)")
    ap.add_argument("--settle", type=float, default=3, help="seconds after a run before reading the store")
    ap.add_argument("--rate-limit", default="100000/1", help="ANSINH_RATE_LIMIT for the servers")
    ap.add_argument("--only", default="ours,bare,production", help="setups to run (default ours,bare,production)")
    ap.add_argument("--rerender", action="store_true",
                    help="write reports/bench.md again from reports/bench.json's figures, without running")
    ap.add_argument("--profile", action="store_true", help="py-spy the Rasa process during the largest saturation run")
    ap.add_argument("--no-report", action="store_true", help="print only, do not write reports/")
    args = ap.parse_args(argv)
    if not MODEL.exists():
        print(f"{MODEL} is missing: run `make train` first", file=sys.stderr)
        return 2
    REPORTS.mkdir(exist_ok=True)
    bench = Bench(args)
    w = bench.results["workload"]
    print(f"workload: {w}", flush=True)
    if w["distinct_messages"] < 200:
        bench.results["notes"].append(f"only {w['distinct_messages']} distinct messages (the spec asks for ≥ 200)")
    long = max(w["max_chars"], 0)
    limit = int(os.environ.get("ANSINH_MAX_MESSAGE_CHARS", "1000"))
    if long > limit:
        bench.results["notes"].append(f"the longest message ({long} chars) exceeds ANSINH_MAX_MESSAGE_CHARS={limit}")
    bench.results["cache"] = CACHE_NOTE
    if args.rerender:
        # the report of the last run written again from reports/bench.json (after a change to the report)
        bench.results = json.loads((REPORTS / "bench.json").read_text())["load"]
        evaluate(bench.results, args)
        write_report(bench.results, args)
        return 0
    only = set(args.only.split(","))
    t0 = time.time()
    for setup, fn in (("ours", bench.ours_sqlite), ("bare", bench.bare), ("production", bench.production)):
        if setup in only:
            try:
                fn()
            except Exception as err:  # noqa: BLE001 - report what ran
                print(f"  {setup} failed: {type(err).__name__}: {err}", flush=True)
                bench.results["notes"].append(f"setup `{setup}` failed: {type(err).__name__}: {str(err)[:500]}")
    if args.profile and "profile" not in bench.results:
        bench.results["profile"] = {"error": "py-spy did not run (the `ours` setup did not run, or py-spy is "
                                             "not installed: .venv/bin/pip install -r requirements-dev.txt)"}
    bench.results["wall_s"] = round(time.time() - t0)
    evaluate(bench.results, args)
    if not args.no_report:
        write_report(bench.results, args)
    for t in bench.results["targets"]:
        print(f"  {t['status']:>12}: {t['target']} ({t['detail']})")
    print(f"done in {bench.results['wall_s']} s; reports/bench.md, reports/bench.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
