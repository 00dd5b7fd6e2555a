"""Conversation evaluation with the trained model (``make eval``; no training, about a minute):

1. the conversation cases (tests/conversations/*.yml): pass rate by category;
2. the real user questions (../shared/data/real_questions_dev.jsonl, never used for training), as
   written, without diacritics, and rewritten as chat messages (benchmarks/chat_transform.py): the
   share answered on the question's topic (the reply's own topic or one of its family, after the
   dialogue, not the intent), and the share answered with the answer unit the question needs
   (benchmarks/labels/real_questions_dev_units.yaml, labelled by hand), per unit;
3. reply length over the turns that answer a question: median and maximum, every bubble counted;
4. the answer units: how many, and how many rest on a verified, article-cited rule versus referral only.

Writes ``reports/conversation.md`` and ``reports/conversation.json``.
"""
from __future__ import annotations

import collections
import datetime as dt
import json
import os
import hashlib
import statistics
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from actions.dialogue import Turn, respond  # noqa: E402
from actions.state import DialogueState  # noqa: E402
from chat_transform import chat  # noqa: E402
from knowledge.registry import registry  # noqa: E402
from knowledge.text import fold  # noqa: E402
from tests.conversation_runner import Parser, load_cases, run_case  # noqa: E402

REAL_QUESTIONS = ROOT.parent / "shared" / "data" / "real_questions_dev.jsonl"
UNIT_LABELS = ROOT / "benchmarks" / "labels" / "real_questions_dev_units.yaml"
DAY = dt.date(2026, 12, 1)
NOT_ANSWERS = {"fallback", "clarify", "symbols", "declined", "cancel", "situation_noted", None}


def question_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def unit_labels():
    return yaml.safe_load(UNIT_LABELS.read_text(encoding="utf-8")) if UNIT_LABELS.exists() else {}


def units_of(answered):
    """The answer units a reply gave (a calculator's result counts for the topics that start it)."""
    reg = registry()
    out = set()
    for key in answered:
        if key.startswith("calc:"):
            name = key[5:]
            out.add(reg.calculators[name].intent)
            out |= {t.key for t in reg.topics.values() if t.calculator == name or t.offer == key}
        elif key in reg.topics:
            out.add(key)
    return out


def unit_inventory(on=DAY):
    """Answer units, and whether each rests on a verified rule with its articles, or refers only."""
    from knowledge import content, parameters as P

    reg = registry()
    rows = {}
    for key, topic in reg.topics.items():
        if topic.does != "answer" or key not in content.content():
            continue
        facts = []
        entry = content.content().entry(key)
        for name in sorted(entry.parameters | set(entry.cites)):
            try:
                facts.append(P.get(name, on))
            except Exception:  # a parameter not in force on the day
                continue
        sourced = any(not f.is_contact and not f.uncertain and any(r.articles for r in f.references) for f in facts)
        rows[key] = {"family": reg.family(key), "specific": bool(topic.parent), "sourced": sourced,
                     "uncertain": sorted(f.name for f in facts if f.uncertain)}
    return rows


def intents_of(answered):
    """The intents a reply's answers belong to (a calculator's result counts for the topic that starts it)."""
    reg = registry()
    out = set()
    for key in answered:
        if key.startswith("calc:"):
            # A calculation answers the questions of every topic that starts it (eligibility, amount...).
            out.add(reg.calculators[key[5:]].intent)
            out |= {t.intent for t in reg.topics.values() if t.calculator == key[5:]}
        elif key.startswith("referral:"):
            out.add("referral_request")
        elif key in reg.topics:
            out.add(reg.topics[key].intent)
            out.add(key)
    return out


def ask(parser, text):
    parsed = parser.parse(text)
    intent = (parsed.get("intent") or {}).get("name") or "nlu_fallback"
    reply = respond(Turn(intent, text, list(parsed.get("entities") or []), DialogueState(), DAY,
                         list(parsed.get("intent_ranking") or []), list(parsed.get("segments") or []),
                         question=parsed.get("question")))
    return intent, reply


def main() -> None:
    parser = Parser()
    out = ROOT / "reports"
    out.mkdir(exist_ok=True)
    report = {}

    cases = load_cases()
    by_cat = collections.defaultdict(lambda: [0, 0])
    failed = []
    lengths = []
    for case in cases:
        result = run_case(case, parser)
        by_cat[result.category][0] += 1
        by_cat[result.category][1] += int(result.passed)
        if not result.passed:
            failed.append(result.explain())
        lengths += [len(t.reply) for t in result.turns if t.reply and not t.user.startswith("/")]
    report["cases"] = {"n": len(cases), "passed": sum(v[1] for v in by_cat.values()),
                       "by_category": {k: {"n": v[0], "passed": v[1]} for k, v in sorted(by_cat.items())},
                       "failed": failed}

    from eval_nlu import label_families

    labels = label_families()  # each topic label with the intents (and their families) that answer it
    real = [json.loads(l) for l in REAL_QUESTIONS.read_text(encoding="utf-8").splitlines() if l.strip()] if REAL_QUESTIONS.exists() else []
    forms = {"as written": lambda t: t, "no diacritics": fold, "chat": chat}
    units = unit_labels()
    rq = {}
    answer_lengths = []
    misses = []
    for form, transform in forms.items():
        per = collections.defaultdict(lambda: [0, 0, 0])
        per_unit = collections.defaultdict(lambda: [0, 0])
        for q in real:
            intent, reply = ask(parser, transform(q["text"]))
            wanted = labels.get(q["label"], {q["label"]})
            got = intents_of(reply.answered) | ({intent} if q["label"] == "other" else set())
            ok = bool(got & wanted) if q["label"] != "other" else not reply.answered
            need = (units.get(question_key(q["text"])) or {}).get("units") or []
            unit_ok = bool(set(need) & units_of(reply.answered))
            per[q["label"]][0] += 1
            per[q["label"]][1] += int(ok)
            per[q["label"]][2] += int(unit_ok)
            if need:
                per_unit[need[0]][0] += 1
                per_unit[need[0]][1] += int(unit_ok)
            if not unit_ok and form == "as written":
                misses.append({"key": question_key(q["text"]), "needs": need, "answered": sorted(reply.answered),
                               "intent": intent})
            if form == "chat" and reply.topic not in NOT_ANSWERS:
                answer_lengths.append(sum(len(m.text) for m in reply.messages))
        n = sum(v[0] for v in per.values())
        labelled = sum(v[0] for v in per_unit.values())
        rq[form] = {"n": n, "accuracy": (sum(v[1] for v in per.values()) / n) if n else 0.0,
                    "unit_accuracy": (sum(v[1] for v in per_unit.values()) / labelled) if labelled else 0.0,
                    "per_topic": {k: {"n": v[0], "correct": v[1], "unit_correct": v[2]} for k, v in sorted(per.items())},
                    "per_unit": {k: {"n": v[0], "correct": v[1]} for k, v in sorted(per_unit.items())}}
    report["real_questions"] = rq
    report["unit_misses"] = misses
    inventory = unit_inventory()
    report["answer_units"] = {"n": len(inventory), "specific": sum(r["specific"] for r in inventory.values()),
                              "sourced": sum(r["sourced"] for r in inventory.values()),
                              "referral_only": sorted(k for k, r in inventory.items() if not r["sourced"]),
                              "with_uncertain_facts": sorted(k for k, r in inventory.items() if r["uncertain"]),
                              "units": inventory}
    all_lengths = lengths + answer_lengths
    report["reply_length"] = {
        "turns": len(all_lengths),
        "median": statistics.median(all_lengths) if all_lengths else 0,
        "max": max(all_lengths) if all_lengths else 0,
        "over_600": sum(1 for x in all_lengths if x > 600),
        "over_1200": sum(1 for x in all_lengths if x > 1200),
    }
    (out / "conversation.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    (out / "conversation.md").write_text(render(report), encoding="utf-8")
    print(render(report))


def render(r) -> str:
    c = r["cases"]
    lines = ["# Conversation evaluation", "",
             f"## Conversation cases: {c['passed']}/{c['n']} passed", "", "| category | cases | passed |", "|---|---|---|"]
    lines += [f"| {k} | {v['n']} | {v['passed']} |" for k, v in c["by_category"].items()]
    rq = r["real_questions"]
    if rq:
        lines += ["", "## Real user questions (the dialogue's reply, fresh conversation)", "",
                  "On topic: the reply answers the question's topic or one of its family. With the unit: the reply",
                  "gives the answer unit the question needs (benchmarks/labels/real_questions_dev_units.yaml).", "",
                  "| form | n | on topic | with the unit |", "|---|---|---|---|"]
        lines += [f"| {form} | {v['n']} | {v['accuracy']:.3f} | {v.get('unit_accuracy', 0):.3f} |" for form, v in rq.items()]
        first = next(iter(rq.values()))["per_topic"]
        lines += ["", "Per topic label, on topic / with the unit:", "",
                  "| topic | n | " + " | ".join(rq) + " |", "|---|---|" + "---|" * len(rq)]
        for k in first:
            lines.append(f"| {k} | {first[k]['n']} | " + " | ".join(
                f"{rq[f]['per_topic'][k]['correct']} / {rq[f]['per_topic'][k].get('unit_correct', 0)}" for f in rq) + " |")
        units_first = next(iter(rq.values())).get("per_unit") or {}
        if units_first:
            lines += ["", "Per answer unit (the first unit a question needs), answered with the unit:", "",
                      "| unit | n | " + " | ".join(rq) + " |", "|---|---|" + "---|" * len(rq)]
            for k in units_first:
                lines.append(f"| {k} | {units_first[k]['n']} | " + " | ".join(str(rq[f]['per_unit'][k]['correct']) for f in rq) + " |")
    au = r.get("answer_units")
    if au:
        lines += ["", f"## Answer units: {au['n']} ({au['specific']} specific), {au['sourced']} on a verified, "
                  f"article-cited rule, {len(au['referral_only'])} referral only", "",
                  "Referral only: " + (", ".join(au["referral_only"]) or "none") + ".",
                  "With an uncertain fact (said with its caution): " + (", ".join(au["with_uncertain_facts"]) or "none") + "."]
    L = r["reply_length"]
    lines += ["", f"## Reply length over {L['turns']} turns that answer a question", "",
              f"median {L['median']:.0f} characters, maximum {L['max']}, over 600: {L['over_600']}, over 1,200: {L['over_1200']}"]
    if c["failed"]:
        lines += ["", "## Failed cases", "", "```"] + c["failed"] + ["```"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
