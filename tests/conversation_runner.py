"""Run conversation cases (tests/conversations/*.yml) through the dialogue with the real NLU model.

A case is a list of turns: what the user types, and phrases the reply must and must not contain. The
trained model parses each message (intent and entities, buttons' payloads too), the dialogue answers
with the state carried from turn to turn, and a failure names the case and the turn. Used by
tests/test_conversations.py and by the eval report (benchmarks/eval_nlu.py).
"""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
import tempfile
import unicodedata
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

from actions.dialogue import Reply, Turn, respond
from actions.state import DialogueState

ROOT = Path(__file__).resolve().parents[1]
CASES_DIR = Path(__file__).with_name("conversations")
# ANSINH_MODEL points the runner at another trained model (a branch of the training data).
MODEL = Path(os.environ.get("ANSINH_MODEL", ROOT / "models" / "ansinh.tar.gz"))
DEFAULT_DAY = dt.date(2026, 12, 1)


@dataclass
class TurnResult:
    user: str
    reply: str
    intent: str
    problems: List[str] = field(default_factory=list)


@dataclass
class CaseResult:
    name: str
    category: str
    turns: List[TurnResult]

    @property
    def passed(self) -> bool:
        return all(not t.problems for t in self.turns)

    def explain(self) -> str:
        lines = [f"case {self.name!r}:"]
        for n, t in enumerate(self.turns, 1):
            mark = "FAIL" if t.problems else "ok"
            lines.append(f"  turn {n} [{mark}] user: {t.user!r} (intent {t.intent})")
            for p in t.problems:
                lines.append(f"      {p}")
            if t.problems:
                lines.append(f"      reply: {t.reply[:400]!r}")
        return "\n".join(lines)


def load_cases(directory: Path = CASES_DIR) -> List[Dict[str, Any]]:
    cases = []
    for path in sorted(directory.glob("*.yml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            case.setdefault("category", path.stem)
            case["file"] = path.name
            cases.append(case)
    return cases


def _norm(text: str) -> str:
    return unicodedata.normalize("NFC", text).lower()


class Parser:
    """The trained model's NLU (and Rasa's payload reader for "/intent{...}")."""

    def __init__(self, model: Path = MODEL) -> None:
        from rasa.core.agent import Agent

        self.agent = Agent.load(str(model))
        self.loop = asyncio.new_event_loop()

    def parse(self, text: str) -> Dict[str, Any]:
        return self.loop.run_until_complete(self.agent.parse_message(text))


_CASES_URL: List[str] = []


@contextmanager
def _case_database():
    """Cases go to one throw-away SQLite file for the run (ANSINH_DB_URL while a case runs, as the action
    layer reads it), unless ANSINH_DB_URL already names one; the variable is put back afterwards."""
    before = os.environ.get("ANSINH_DB_URL")
    if not before:
        if not _CASES_URL:
            _CASES_URL.append(f"sqlite:///{Path(tempfile.mkdtemp(prefix='ansinh-conversations-')) / 'cases.db'}")
        os.environ["ANSINH_DB_URL"] = _CASES_URL[0]
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("ANSINH_DB_URL", None)


def run_case(case: Dict[str, Any], parser: Parser) -> CaseResult:
    """One case, through the dialogue and the action layer's case work (actions/actions.py: the case
    database, pausing and resuming as Rasa would)."""
    from actions import actions as A

    with _case_database():
        return _run_case(case, parser, A)


def _run_case(case: Dict[str, Any], parser: Parser, A) -> CaseResult:
    day = dt.date.fromisoformat(str(case.get("date", DEFAULT_DAY)))
    state = DialogueState()
    sender = f"case-{uuid.uuid4().hex[:12]}"
    paused = False
    texts: List[str] = []
    results = []
    for turn in case["turns"]:
        text = str(turn["user"])
        parsed = parser.parse(text)
        intent = (parsed.get("intent") or {}).get("name") or "nlu_fallback"
        if not text.startswith("/"):
            texts.append(text)
        t = Turn(intent, text, list(parsed.get("entities") or []), state, day,
                 list(parsed.get("intent_ranking") or []), list(parsed.get("segments") or []),
                 question=parsed.get("question"), case=A.case_of(sender), paused=paused, channel="rest", subscribed=A.is_subscribed(sender),
                 outreach=A.outreach_settings())
        reply: Reply = respond(t)
        if reply.silent:
            A.record_user_message(t.case, text)
            paused = True
        else:
            if reply.case_request is not None:
                A.carry_out(sender, "rest", texts[-5:], t, reply, day)
            if reply.outreach_request is not None:
                A.carry_out_outreach(sender, "rest", t, reply, day)
            state = reply.state
            paused = (paused or reply.pause) and not reply.resume
        for action in turn.get("staff", []) or []:
            paused = _staff(action, sender, paused)
        said = "\n\n".join(reply.texts)
        buttons = [b.title for m in reply.messages for b in m.buttons]
        problems = []
        for phrase in turn.get("must", []) or []:
            if _norm(str(phrase)) not in _norm(said):
                problems.append(f"missing {phrase!r}")
        for phrase in turn.get("must_not", []) or []:
            if _norm(str(phrase)) in _norm(said):
                problems.append(f"must not say {phrase!r}")
        for title in turn.get("buttons", []) or []:
            if title not in buttons:
                problems.append(f"no button {title!r} (buttons: {buttons})")
        if turn.get("silent") and said.strip():
            problems.append("the bot must stay silent (staff have the conversation)")
        if turn.get("silent") is False and not said.strip():
            problems.append("the bot said nothing")
        limit = turn.get("max_chars")
        if limit and len(said) > limit:
            problems.append(f"reply is {len(said)} characters, over {limit}")
        results.append(TurnResult(text, said, intent, problems))
    return CaseResult(str(case["name"]), str(case["category"]), results)


def _staff(action: str, sender: str, paused: bool) -> bool:
    """What union staff do between two turns (a case's ``staff:`` list): take, resolve (and ask for a
    rating), hand back. Returns whether the conversation is paused afterwards."""
    from cases import repository as repo
    from actions import store

    case = repo.find_open_case(store.engine(), sender)
    assert case is not None, f"staff {action}: no open case"
    if action == "take":
        repo.set_status(store.engine(), case["id"], "with_staff")
        return True
    if action == "resolve":
        repo.set_status(store.engine(), case["id"], "resolved")
        repo.audit(store.engine(), "rating_requested", case_id=case["id"])
        return False
    if action == "hand_back":
        repo.set_status(store.engine(), case["id"], "bot")
        return False
    raise ValueError(f"unknown staff action {action!r}")


def main(argv: Optional[List[str]] = None) -> int:
    """``python -m tests.conversation_runner [FILE.yml ...]``: run cases, print the failures."""
    paths = [Path(a) for a in (argv if argv is not None else sys.argv[1:])]
    cases = [c for c in load_cases() if not paths or any(Path(c["file"]).name == p.name for p in paths)]
    parser = Parser()
    failed = 0
    for case in cases:
        result = run_case(case, parser)
        if not result.passed:
            failed += 1
            print(result.explain())
    print(f"{len(cases) - failed}/{len(cases)} cases passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
