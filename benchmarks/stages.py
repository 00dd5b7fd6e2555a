"""Where one message's time goes, at light load: the workload's turns sent one at a time to an in-process agent.

The agent is loaded in this process (the model, endpoints.yml's stores in a temporary folder) and the action
server runs beside it, as ``rasa run`` would have them; each stage of Rasa's ``MessageProcessor`` is timed by
wrapping it (wall time, so waits on the disk and the action server count): the lock, reading the tracker,
the NLU graph, the policies, each action (remote ones: the HTTP call to the action server), sending the
replies, saving the tracker. Prints the mean, p50 and p95 of each stage per message, and the slowest turns.

    .venv/bin/python benchmarks/stages.py [--turns 300] [--fast-disk] [--profile N [--callees NAME]]

``--fast-disk`` puts the SQLite files on /dev/shm, to set apart what ``fsync`` costs.
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import cProfile
import functools
import logging
import pstats
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.load import load_conversations, start_actions  # noqa: E402
from tests.servers import MODEL, TEST_DAY  # noqa: E402

TIMES: Dict[str, List[float]] = collections.defaultdict(list)
CURRENT: Dict[str, float] = collections.defaultdict(float)


def timed(name: str, fn: Any) -> Any:
    if asyncio.iscoroutinefunction(fn):
        @functools.wraps(fn)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            finally:
                CURRENT[name] += time.perf_counter() - t0
    else:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                CURRENT[name] += time.perf_counter() - t0
    return wrapper


def instrument() -> None:
    from rasa.core import processor as P
    from rasa.core.actions import action as A
    from rasa.core.lock_store import LockStore
    import rasa.core.tracker_store as TS

    M = P.MessageProcessor
    M.fetch_tracker_and_update_session = timed("read tracker", M.fetch_tracker_and_update_session)
    M.parse_message = timed("nlu", M.parse_message)
    M.run_action_extract_slots = timed("extract slots", M.run_action_extract_slots)
    M._predict_next_with_tracker = timed("policies", M._predict_next_with_tracker)
    A.RemoteAction.run = timed("action server", A.RemoteAction.run)
    M._run_action = timed("actions (all)", M._run_action)
    M.execute_side_effects = timed("side effects", M.execute_side_effects)
    M.save_tracker = timed("save tracker", M.save_tracker)
    from channels.tracker_store import AnSinhTrackerStore
    AnSinhTrackerStore.stream_events = timed("  publish to broker", AnSinhTrackerStore.stream_events)
    original_lock = LockStore.lock

    @contextlib.asynccontextmanager
    async def lock(self: Any, *args: Any, **kwargs: Any):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        async with original_lock(self, *args, **kwargs) as got:
            CURRENT["lock"] += time.perf_counter() - t0
            yield got
    LockStore.lock = lock


def pct(values: List[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


async def run(args: argparse.Namespace, tmp: Path) -> None:
    from rasa.core.agent import load_agent
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.core.utils import AvailableEndpoints

    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.INFO)  # as `rasa run` without --debug
    configure_structlog(logging.INFO)
    endpoints = AvailableEndpoints.read_endpoints(str(tmp / "endpoints.yml"))
    agent = await load_agent(model_path=str(MODEL), endpoints=endpoints)
    instrument()
    conversations = load_conversations()
    turns = 0
    slow = []
    profile = cProfile.Profile() if args.profile else None
    for k, conversation in enumerate(conversations * 10):
        sender = f"stages-{k}"
        for text in conversation:
            CURRENT.clear()
            t0 = time.perf_counter()
            out = CollectingOutputChannel()
            if profile is not None and turns >= 20:
                profile.enable()
            await agent.handle_message(UserMessage(text, out, sender))
            if profile is not None:
                profile.disable()
            total = time.perf_counter() - t0
            if turns >= 20:  # warm-up
                TIMES["total"].append(total)
                for name in ("lock", "read tracker", "nlu", "extract slots", "policies", "actions (all)",
                             "action server", "side effects", "save tracker", "  publish to broker"):
                    TIMES[name].append(CURRENT.get(name, 0.0))
                slow.append((total, text[:60], dict(CURRENT)))
            turns += 1
            if turns >= args.turns + 20:
                break
        if turns >= args.turns + 20:
            break
    if profile is not None:
        stats = pstats.Stats(profile).sort_stats("cumulative")
        stats.print_stats(args.profile)
        if args.callees:
            stats.print_callees(args.callees)
        return
    n = len(TIMES["total"])
    print(f"{n} turns, one at a time ({'tmpfs' if args.fast_disk else 'disk'})")
    print(f"{'stage':24} {'mean ms':>8} {'p50':>8} {'p95':>8}")
    for name, values in TIMES.items():
        print(f"{name:24} {1000 * sum(values) / n:8.1f} {1000 * pct(values, 50):8.1f} {1000 * pct(values, 95):8.1f}")
    print("slowest:")
    for total, text, parts in sorted(slow, key=lambda s: -s[0])[:8]:
        print(f"  {1000 * total:6.1f} ms {text!r} " + ", ".join(f"{k} {1000 * v:.0f}" for k, v in parts.items()))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--turns", type=int, default=300)
    ap.add_argument("--fast-disk", action="store_true")
    ap.add_argument("--callees", default="", metavar="NAME",
                    help="with --profile: also what the functions matching NAME call, and how long each takes")
    ap.add_argument("--profile", type=int, default=0, metavar="N",
                    help="instead of the stage times, cProfile the turns and print the top N functions by cumulative time")
    args = ap.parse_args()
    base = "/dev/shm" if args.fast_disk else None
    tmp = Path(tempfile.mkdtemp(prefix="ansinh-stages-", dir=base))
    env = {"ANSINH_TODAY": TEST_DAY, "ANSINH_DB_URL": f"sqlite:///{tmp}/cases.db", "ANSINH_RATE_LIMIT": "100000/1"}
    os.environ.update(env)
    actions = start_actions(tmp, env)
    try:
        (tmp / "endpoints.yml").write_text(
            (ROOT / "endpoints.yml").read_text()
            .replace("http://localhost:5055/webhook", f"http://127.0.0.1:{actions.port}/webhook")
            .replace('db: "rasa.db"', f'db: "{tmp}/rasa.db"').replace('db: "events.db"', f'db: "{tmp}/events.db"'))
        os.chdir(tmp)
        asyncio.run(run(args, tmp))
    finally:
        actions.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
