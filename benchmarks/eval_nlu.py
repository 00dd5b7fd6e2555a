"""Intent evaluation: k-fold cross-validation of our pipeline against Rasa's default pipeline on the
same folds, the same on accent-stripped test folds, and topic accuracy on real user questions.

Writes ``reports/eval.json``, ``reports/eval.md`` and a confusion-matrix picture of the worst topics.

    python benchmarks/eval_nlu.py                 # 5 folds, both pipelines
    python benchmarks/eval_nlu.py --folds 2 --pipelines ours
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# No training cache: every fold is trained from scratch, so the training times are comparable.
os.environ.setdefault("RASA_MAX_CACHE_SIZE", "0")

from knowledge.text import fold  # noqa: E402

PIPELINES = {"ours": ROOT / "config.yml", "default": ROOT / "benchmarks" / "default_config.yml"}
REAL_QUESTIONS = ROOT.parent / "shared" / "data" / "real_questions_dev.jsonl"
# Real-question labels -> the intents that answer them.
LABEL_INTENTS = {
    "maternity": {"maternity"},
    "hi_household": {"hi_household", "hi_where_to_buy", "hi_subsidy", "hi_card_validity"},
    "hi_benefits": {"hi_benefits"},
    "ui_eligibility": {"ui_eligibility"},
    "ui_procedure": {"ui_procedure"},
    "ui_benefit_amount": {"ui_benefit_amount"},
    "dismissal": {"dismissal"},
    "minimum_wage": {"minimum_wage"},
    "overtime_leave": {"overtime_leave"},
    "vsi_contribution": {"vsi_contribution", "vsi_payment_method"},
    "vsi_lump_sum_withdrawal": {"vsi_lump_sum_withdrawal"},
    "employer_not_paying_si": {"employer_not_paying_si"},
    "labour_contract": {"labour_contract"},
    "legal_aid_request": {"legal_aid_request", "referral_request"},
    "vsi_pension_eligibility": {"vsi_pension", "vsi_missing_years"},
    "vsi_registration": {"vsi_registration"},
    "vsi_subsidy": {"vsi_subsidy"},
    "wage_arrears": {"wage_arrears"},
    "other": {"out_of_scope", "chitchat", "nlu_fallback"},
}
NON_TOPIC = {"greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "chitchat", "inform", "out_of_scope"}


def label_families() -> Dict[str, set]:
    """Each real-question label with the intents that answer it on topic: the listed ones and their families."""
    from knowledge.registry import registry

    reg = registry()
    return {label: set(intents).union(*(reg.siblings(i) for i in intents if i in reg.topics))
            for label, intents in LABEL_INTENTS.items()}


def load_examples() -> List[Tuple[str, str]]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(ROOT / "data" / "nlu"))
    return [(m.get("text"), m.get("intent")) for m in data.intent_examples]


def write_nlu(examples: Sequence[Tuple[str, str]], path: Path) -> None:
    by_intent: Dict[str, List[str]] = collections.defaultdict(list)
    for text, intent in examples:
        by_intent[intent].append(text)
    lines = ['version: "3.1"', "nlu:"]
    for intent, texts in sorted(by_intent.items()):
        lines.append(f"- intent: {intent}")
        lines.append("  examples: |")
        lines += [f"    - {json.dumps(t, ensure_ascii=False)[1:-1]}" for t in texts]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def train(config: Path, examples, workdir: Path, name: str) -> str:
    from rasa.model_training import train_nlu

    nlu = workdir / f"{name}.yml"
    write_nlu(examples, nlu)
    return train_nlu(str(config), str(nlu), str(workdir), fixed_model_name=name, domain=str(ROOT / "domain"))


def predict(model: str, texts: Sequence[str]) -> List[str]:
    from rasa.core.agent import Agent

    agent = Agent.load(model)

    async def run():
        out = []
        for t in texts:
            parsed = await agent.parse_message(t)
            out.append((parsed.get("intent") or {}).get("name") or "nlu_fallback")
        return out

    return asyncio.run(run())


def macro_f1(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(gold, pred, labels=list(labels), average="macro", zero_division=0))


def confusion_picture(gold, pred, path: Path, worst: Sequence[str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    labels = list(worst)
    extra = sorted({p for g, p in zip(gold, pred) if g in worst and p not in worst})
    cols = labels + extra
    rows = [(g, p) for g, p in zip(gold, pred) if g in worst]
    cm = confusion_matrix([g for g, _ in rows], [p for _, p in rows], labels=cols)[: len(labels)]
    fig, ax = plt.subplots(figsize=(1 + 0.6 * len(cols), 1 + 0.5 * len(labels)))
    ax.imshow(cm, cmap="Blues")
    ax.set_xticks(range(len(cols)), cols, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            if cm[i, j]:
                ax.text(j, i, int(cm[i, j]), ha="center", va="center", fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("Confusions of the worst intents (our pipeline, CV)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--pipelines", default="ours,default")
    ap.add_argument("--out", default=str(ROOT / "reports"))
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--max-folds", type=int, default=0, help="stop after this many folds (quick checks)")
    ap.add_argument("--config", default="", help="evaluate this config file as 'ours'")
    args = ap.parse_args()
    logging.getLogger().setLevel(logging.ERROR)
    from sklearn.model_selection import StratifiedKFold

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    examples = load_examples()
    texts = [t for t, _ in examples]
    labels = [i for _, i in examples]
    intents = sorted(set(labels))
    topic_intents = [i for i in intents if i not in NON_TOPIC]
    pipelines = args.pipelines.split(",")
    if args.config:
        PIPELINES["ours"] = Path(args.config)
    skf = StratifiedKFold(n_splits=args.folds, shuffle=True, random_state=args.seed)
    folds = list(skf.split(texts, labels))
    if args.max_folds:
        folds = folds[: args.max_folds]
    # per pipeline, per fold: (gold, pred, pred_stripped, train_seconds)
    runs: Dict[str, Dict[int, Tuple]] = {p: {} for p in pipelines}
    report: Dict = {"folds": args.folds, "examples": len(examples), "intents": len(intents), "pipelines": {}}

    def write() -> None:
        report["pipelines"] = {}
        done = [set(runs[p]) for p in pipelines]
        common = sorted(set.intersection(*done)) if done else []
        for p in pipelines:
            own = sorted(runs[p])
            if not own:
                continue
            entry = {"folds_done": len(own)}
            for name, keys in (("", own), ("common_", common)):
                if not keys:
                    continue
                gold = [g for k in keys for g in runs[p][k][0]]
                pred = [x for k in keys for x in runs[p][k][1]]
                strip = [x for k in keys for x in runs[p][k][2]]
                entry[name + "macro_f1_all"] = macro_f1(gold, pred, intents)
                entry[name + "macro_f1_topics"] = macro_f1(gold, pred, topic_intents)
                entry[name + "macro_f1_all_stripped"] = macro_f1(gold, strip, intents)
                entry[name + "macro_f1_topics_stripped"] = macro_f1(gold, strip, topic_intents)
            entry["common_folds"] = len(common)
            entry["train_seconds_mean"] = sum(runs[p][k][3] for k in own) / len(own)
            report["pipelines"][p] = entry
        if "ours" in runs and runs["ours"]:
            from sklearn.metrics import f1_score

            gold = [g for k in sorted(runs["ours"]) for g in runs["ours"][k][0]]
            pred = [x for k in sorted(runs["ours"]) for x in runs["ours"][k][1]]
            per = f1_score(gold, pred, labels=intents, average=None, zero_division=0)
            per_intent = dict(zip(intents, map(float, per)))
            report["pipelines"]["ours"]["per_intent_f1"] = per_intent
            worst = sorted(per_intent, key=per_intent.get)[:8]
            confusion_picture(gold, pred, out / "confusion_worst.png", worst)
            report["pipelines"]["ours"]["siblings"] = sibling_confusions(gold, pred)
        (out / "eval.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        (out / "eval.md").write_text(render_md(report), encoding="utf-8")

    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        for p in pipelines:
            for k, (tr, te) in enumerate(folds):
                t0 = time.time()
                model = train(PIPELINES[p], [examples[i] for i in tr], tmpdir, f"{p}-fold{k}")
                seconds = round(time.time() - t0, 1)
                test_texts = [texts[i] for i in te]
                runs[p][k] = ([labels[i] for i in te], predict(model, test_texts),
                              predict(model, [fold(t) for t in test_texts]), seconds)
                print(f"fold {k} {p}: trained in {seconds} s", flush=True)
                write()
            if p == "ours" and REAL_QUESTIONS.exists():
                report["real_questions"] = real_questions(examples, tmpdir)
                write()
    print(render_md(report))


def real_questions(examples, tmpdir: Path) -> Dict:
    """Train on everything, predict the real questions, map intents to their topic labels."""
    real = [json.loads(line) for line in REAL_QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    model = train(PIPELINES["ours"], examples, tmpdir, "ours-all")
    preds = predict(model, [q["text"] for q in real])
    preds_stripped = predict(model, [fold(q["text"]) for q in real])
    by_label: Dict[str, List[int]] = collections.defaultdict(lambda: [0, 0, 0])
    rows = []
    wanted = label_families()
    for q, pr, ps in zip(real, preds, preds_stripped):
        ok = pr in wanted.get(q["label"], {q["label"]})
        ok_s = ps in wanted.get(q["label"], {q["label"]})
        by_label[q["label"]][0] += 1
        by_label[q["label"]][1] += int(ok)
        by_label[q["label"]][2] += int(ok_s)
        rows.append({"label": q["label"], "predicted": pr, "correct": ok})
    total = len(real)
    return {
        "n": total,
        "accuracy": sum(v[1] for v in by_label.values()) / total,
        "accuracy_stripped": sum(v[2] for v in by_label.values()) / total,
        "per_topic": {k: {"n": v[0], "correct": v[1], "correct_stripped": v[2]} for k, v in sorted(by_label.items())},
        "predictions": rows,
    }


def sibling_confusions(gold: Sequence[str], pred: Sequence[str]) -> Dict:
    """Confusions between the answers of one family (a general topic and its specific answers).

    ``family_accuracy`` counts a prediction in the right family as right: the gap to the exact accuracy
    is what the per-family choice of the specific answer loses.
    """
    from knowledge.registry import registry

    reg = registry()

    def family(intent: str) -> str:
        return reg.family(intent) if intent in reg.topics else intent

    families = {family(g) for g in gold if g in reg.topics and len(reg.siblings(g)) > 1}
    pairs = collections.Counter((g, p) for g, p in zip(gold, pred) if g != p and family(g) == family(p) and family(g) in families)
    rows = {}
    for fam in sorted(families):
        idx = [i for i, g in enumerate(gold) if family(g) == fam]
        rows[fam] = {"members": list(reg.siblings(fam)), "n": len(idx),
                     "exact": sum(gold[i] == pred[i] for i in idx) / len(idx),
                     "family": sum(family(pred[i]) == fam for i in idx) / len(idx)}
    n = len(gold)
    return {"exact_accuracy": sum(g == p for g, p in zip(gold, pred)) / n,
            "family_accuracy": sum(family(g) == family(p) for g, p in zip(gold, pred)) / n,
            "families": rows,
            "top_pairs": [{"gold": g, "predicted": p, "n": c} for (g, p), c in pairs.most_common(15)]}


def render_md(report: Dict) -> str:
    lines = [
        "# NLU evaluation",
        "",
        f"{report['examples']} training examples, {report['intents']} intents, {report['folds']}-fold stratified "
        "cross-validation; every pipeline is trained and tested on the same folds. 'Stripped' = the same test "
        "folds with diacritics removed and lower-cased.",
        "",
        "| pipeline | macro-F1 (all intents) | macro-F1 (topic intents) | stripped, all | stripped, topics | train s/fold |",
        "|---|---|---|---|---|---|",
    ]
    for p, r in report["pipelines"].items():
        lines.append(
            f"| {p} ({r['folds_done']} folds) | {r['macro_f1_all']:.3f} | {r['macro_f1_topics']:.3f} | "
            f"{r['macro_f1_all_stripped']:.3f} | {r['macro_f1_topics_stripped']:.3f} | {r['train_seconds_mean']:.0f} |"
        )
    if len(report["pipelines"]) > 1:
        lines += ["", "On the folds both pipelines completed:", "",
                  "| pipeline | folds | macro-F1 (all) | stripped, all |", "|---|---|---|---|"]
        for p, r in report["pipelines"].items():
            if "common_macro_f1_all" in r:
                lines.append(f"| {p} | {r['common_folds']} | {r['common_macro_f1_all']:.3f} | {r['common_macro_f1_all_stripped']:.3f} |")
    ours = report["pipelines"].get("ours", {})
    if "per_intent_f1" in ours:
        worst = sorted(ours["per_intent_f1"].items(), key=lambda kv: kv[1])[:8]
        lines += ["", "Worst intents (ours): " + ", ".join(f"{k} {v:.2f}" for k, v in worst),
                  "", "![confusions](confusion_worst.png)"]
    sib = ours.get("siblings")
    if sib:
        lines += ["", "## Sibling answers (a general topic and its specific answers)", "",
                  f"Exact accuracy {sib['exact_accuracy']:.3f}; right family {sib['family_accuracy']:.3f}.", "",
                  "| family | answers | examples | exact | right family |", "|---|---|---|---|---|"]
        for fam, row in sib["families"].items():
            lines.append(f"| {fam} | {len(row['members'])} | {row['n']} | {row['exact']:.3f} | {row['family']:.3f} |")
        if sib["top_pairs"]:
            lines += ["", "Most frequent confusions between siblings (gold → predicted, count): " +
                      "; ".join(f"{x['gold']} → {x['predicted']} {x['n']}" for x in sib["top_pairs"])]
    rq = report.get("real_questions")
    if rq:
        lines += [
            "",
            f"## Real user questions ({rq['n']}, not used in training)",
            "",
            f"Topic accuracy {rq['accuracy']:.3f}; accent-stripped {rq['accuracy_stripped']:.3f}.",
            "",
            "| topic | n | correct | correct (stripped) |",
            "|---|---|---|---|",
        ]
        for k, v in rq["per_topic"].items():
            lines.append(f"| {k} | {v['n']} | {v['correct']} | {v['correct_stripped']} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
