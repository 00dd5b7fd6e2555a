"""The registry of topics (``knowledge/topics.yaml``): what each intent, button and answer is.

Everything the assistant can be asked resolves here: a topic's answer (a content entry), the calculator
it can start, which offices a referral after it points to, and its follow-up buttons, named by topic
key. Payloads are derived from the registry (never typed by hand), and :func:`check` refuses a button,
a calculator or an answer that does not resolve. ``python -m knowledge.registry write`` generates the
domain's intents (``domain/intents.yml``) and ``data/rules.yml``; ``check`` fails when they are stale.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

import yaml

REGISTRY_FILE = Path(__file__).with_name("topics.yaml")
ROOT = Path(__file__).resolve().parents[1]
DOMAIN_INTENTS = ROOT / "domain" / "intents.yml"
RULES = ROOT / "data" / "rules.yml"

DOES = ("answer", "context", "referral", "handoff", "basis", "more", "smalltalk", "cancel", "case_status", "case_withdraw", "erase_data",
        "subscribe", "unsubscribe")
REFERRAL_KINDS = ("insurance", "dispute", "unemployment")
DEFAULT_ACTION = "action_respond"
# Entities a payload may carry: which calculator to start, which offices, which sub-answer.
PAYLOAD_ENTITIES = ("request", "referral", "answer")
# What each control button (``controls:``) sends.
CONTROL_INTENTS = {"more": "more_detail", "basis": "legal_basis", "agree": "affirm", "disagree": "deny",
                   "chat_only": "deny", "erase": "affirm", "keep": "deny", "this_month": "affirm"}


class RegistryError(ValueError):
    """The registry names something that does not exist."""


@dataclass(frozen=True)
class Button:
    title: str
    payload: str
    target: str  # what it leads to: a topic key, calc:<name> or referral:<kind>


@dataclass(frozen=True)
class Topic:
    key: str
    intent: str
    label: str = ""
    does: str = "answer"
    calculator: Optional[str] = None
    referral: Optional[str] = None
    buttons: Tuple[Tuple[str, Optional[str]], ...] = ()  # (target, title override)
    action: str = DEFAULT_ACTION
    offer: Optional[str] = None  # a button target the answer offers; "có" accepts it
    parent: Optional[str] = None  # the general topic this specific answer refines (its siblings share it)

    @property
    def own_intent(self) -> bool:
        return self.intent == self.key

    @property
    def content_key(self) -> str:
        return self.key


@dataclass(frozen=True)
class Calculator:
    name: str
    intent: str
    label: str
    referral: Optional[str]
    buttons: Tuple[Tuple[str, Optional[str]], ...]


@dataclass(frozen=True)
class Registry:
    topics: Mapping[str, Topic]
    calculators: Mapping[str, Calculator]
    referrals: Mapping[str, str]  # kind -> label
    menu: Tuple[Tuple[str, str], ...]  # (topic key, title)
    controls: Mapping[str, str]
    messages: Tuple[str, ...] = field(default_factory=tuple)
    comfort: Tuple[str, ...] = field(default_factory=tuple)
    after_province: Tuple[str, ...] = field(default_factory=tuple)

    # --- lookups -------------------------------------------------------------------------------
    @property
    def intents(self) -> Tuple[str, ...]:
        return tuple(t.key for t in self.topics.values() if t.own_intent)

    def topic(self, key: str) -> Topic:
        try:
            return self.topics[key]
        except KeyError:
            raise RegistryError(f"unknown topic '{key}'") from None

    def resolve(self, intent: str, entities: Iterable[Mapping[str, Any]] = ()) -> Optional[Topic]:
        """The topic an intent (with a button's {"answer": key}) asks for; None for an unknown intent."""
        answer = next((e.get("value") for e in entities if e.get("entity") == "answer"), None)
        if answer in self.topics and self.topics[answer].intent == intent:
            return self.topics[answer]
        topic = self.topics.get(intent)
        return topic if topic and topic.own_intent else None

    def family(self, key: str) -> str:
        """The general topic at the root of ``key``'s parents (``key`` itself when it has none)."""
        seen = set()
        while self.topics[key].parent and key not in seen:
            seen.add(key)
            key = self.topics[key].parent
        return key

    def siblings(self, key: str) -> Tuple[str, ...]:
        """The topics of ``key``'s family (the general one and its specific answers), ``key`` included."""
        root = self.family(key)
        return tuple(k for k in self.topics if self.family(k) == root)

    def calculator_of_intent(self, intent: str) -> Optional[str]:
        return next((c.name for c in self.calculators.values() if c.intent == intent), None)

    # --- payloads --------------------------------------------------------------------------------
    def payload(self, target: str) -> str:
        """The payload of a button leading to ``target`` (topic key, calc:<name>, referral:<kind>)."""
        if target.startswith("calc:"):
            calc = self.calculators.get(target[5:])
            if calc is None:
                raise RegistryError(f"button to unknown calculator '{target}'")
            return f'/{calc.intent}{json.dumps({"request": "calc"})}'
        if target.startswith("referral:"):
            kind = target[9:]
            if kind not in self.referrals:
                raise RegistryError(f"button to unknown referral kind '{target}'")
            return f'/referral_request{json.dumps({"referral": kind})}'
        topic = self.topics.get(target)
        if topic is None:
            raise RegistryError(f"button to unknown topic '{target}'")
        if topic.own_intent:
            return f"/{topic.intent}"
        return f'/{topic.intent}{json.dumps({"answer": topic.key})}'

    def title(self, target: str) -> str:
        self.payload(target)  # raises RegistryError for a target that does not exist
        if target.startswith("calc:"):
            return self.calculators[target[5:]].label
        if target.startswith("referral:"):
            return self.referrals[target[9:]]
        return self.topic(target).label

    def button(self, target: str, title: Optional[str] = None) -> Button:
        return Button(title or self.title(target), self.payload(target), target)

    def buttons_of(self, key: str) -> List[Button]:
        """Follow-ups of a topic, or of a calculator's result (``calc:<name>``)."""
        spec = self.calculators[key[5:]].buttons if key.startswith("calc:") else self.topic(key).buttons
        return [self.button(target, title) for target, title in spec]

    def menu_buttons(self) -> List[Button]:
        return [self.button(key, title) for key, title in self.menu]

    def control(self, name: str) -> Button:
        """The "Xem thêm" and "Căn cứ pháp lý" buttons, and the yes/no answers of the handover's questions."""
        key = CONTROL_INTENTS[name]
        return Button(self.controls[name], f"/{key}", key)

    def message(self, key: str) -> str:
        if key not in self.messages:
            raise RegistryError(f"'{key}' is not a message listed in the registry")
        return key

    def all_buttons(self) -> List[Tuple[str, Button]]:
        """Every button the registry defines, with where it stands."""
        out = [("menu", b) for b in self.menu_buttons()]
        for key in self.topics:
            out += [(key, b) for b in self.buttons_of(key)]
        for name in self.calculators:
            out += [(f"calc:{name}", b) for b in self.buttons_of(f"calc:{name}")]
        out += [("controls", self.control(n)) for n in self.controls]
        out += [("comfort", self.button(t)) for t in self.comfort]
        out += [("after_province", self.button(t)) for t in self.after_province]
        return out


# --- loading -------------------------------------------------------------------------------------------

def _buttons(raw: Any, where: str) -> Tuple[Tuple[str, Optional[str]], ...]:
    out = []
    for item in raw or ():
        if isinstance(item, str):
            out.append((item, None))
        elif isinstance(item, dict) and len(item) == 1:
            (target, title), = item.items()
            out.append((str(target), str(title)))
        else:
            raise RegistryError(f"{where}: a button is a target or {{target: title}}, not {item!r}")
    return tuple(out)


def load(path: Path = REGISTRY_FILE) -> Registry:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    topics: Dict[str, Topic] = {}
    for key, t in (raw.get("topics") or {}).items():
        t = t or {}
        unknown = set(t) - {"label", "intent", "does", "calculator", "referral", "buttons", "action", "offer", "parent"}
        if unknown:
            raise RegistryError(f"topics.{key}: unknown fields {sorted(unknown)}")
        does = t.get("does", "answer")
        if does not in DOES:
            raise RegistryError(f"topics.{key}: does must be one of {DOES}")
        referral = t.get("referral")
        if referral is not None and referral not in REFERRAL_KINDS:
            raise RegistryError(f"topics.{key}: referral must be one of {REFERRAL_KINDS}")
        topics[key] = Topic(
            key=key,
            intent=t.get("intent", key),
            label=t.get("label", ""),
            does=does,
            calculator=t.get("calculator"),
            referral=referral,
            buttons=_buttons(t.get("buttons"), f"topics.{key}"),
            action=t.get("action", DEFAULT_ACTION),
            offer=t.get("offer"),
            parent=t.get("parent"),
        )
    calculators = {
        name: Calculator(name, c["intent"], c["label"], c.get("referral"), _buttons(c.get("buttons"), f"calculators.{name}"))
        for name, c in (raw.get("calculators") or {}).items()
    }
    referrals = {kind: r["label"] for kind, r in (raw.get("referrals") or {}).items()}
    menu = tuple(next(iter(m.items())) if isinstance(m, dict) else (m, None) for m in raw.get("menu") or ())
    return Registry(topics, calculators, referrals, menu, dict(raw.get("controls") or {}), tuple(raw.get("messages") or ()),
                    tuple(raw.get("comfort") or ()), tuple(raw.get("after_province") or ()))


@lru_cache(maxsize=1)
def registry() -> Registry:
    return load()


# --- checks ---------------------------------------------------------------------------------------------

def problems(reg: Registry, content_keys: Iterable[str], calculator_specs: Mapping[str, Any]) -> List[str]:
    """Everything in the registry that does not resolve (empty when all is well)."""
    found: List[str] = []
    content_keys = set(content_keys)
    for key, t in reg.topics.items():
        if not t.own_intent and t.intent not in reg.topics:
            found.append(f"topics.{key}: intent '{t.intent}' is no topic")
        if t.parent and t.parent not in reg.topics:
            found.append(f"topics.{key}: parent '{t.parent}' is no topic")
        elif t.parent and reg.family(key) == key:
            found.append(f"topics.{key}: its parents form a loop")
        if t.does == "answer" and t.content_key not in content_keys:
            found.append(f"topics.{key}: no content entry '{t.content_key}' in knowledge/content/")
        if t.does in ("answer", "referral", "handoff", "basis", "more", "case_status", "case_withdraw", "erase_data", "subscribe", "unsubscribe") and not t.label:
            found.append(f"topics.{key}: a topic a button can lead to needs a label")
        if t.does in ("smalltalk", "cancel") and key not in content_keys:
            found.append(f"topics.{key}: no content entry '{key}'")
        if t.calculator and t.calculator not in reg.calculators:
            found.append(f"topics.{key}: unknown calculator '{t.calculator}'")
        if t.offer:
            try:
                reg.payload(t.offer)
            except RegistryError as err:
                found.append(f"topics.{key}: offer: {err}")
    for name, c in reg.calculators.items():
        if name not in calculator_specs:
            found.append(f"calculators.{name}: no spec in knowledge/calculators/specs.py")
        if c.intent not in reg.topics:
            found.append(f"calculators.{name}: intent '{c.intent}' is no topic")
        spec = calculator_specs.get(name)
        if spec is not None:
            for entry in [spec.result_entry, spec.rule_entry] + [spec.prompt_entry(i.name) for i in spec.inputs if i.required or i.name == "region"]:
                if entry not in content_keys:
                    found.append(f"calculators.{name}: no content entry '{entry}'")
    for name in calculator_specs:
        if name not in reg.calculators:
            found.append(f"calculator spec '{name}' is not in the registry")
    try:
        reg.all_buttons()
    except RegistryError as err:
        found.append(str(err))
    for key, _title in reg.menu:
        if key not in reg.topics:
            found.append(f"menu: unknown topic '{key}'")
    for key in reg.messages:
        if key not in content_keys:
            found.append(f"messages: no content entry '{key}'")
    answered = {t.content_key for t in reg.topics.values()} | set(reg.messages)
    for key in content_keys:
        top = key.split(".")[0]
        if top in ("calc", "error", "basis", "help", "canned", "notice"):
            continue
        if key not in answered:
            found.append(f"content entry '{key}' is no topic's answer and no listed message")
    return found


def rendered_intents(reg: Registry) -> str:
    lines = [
        "# Generated from knowledge/topics.yaml by `python -m knowledge.registry write`: do not edit.",
        'version: "3.1"',
        "intents:",
    ]
    lines += [f"  - {i}" for i in reg.intents]
    return "\n".join(lines) + "\n"


def rendered_rules(reg: Registry) -> str:
    lines = [
        "# Generated from knowledge/topics.yaml by `python -m knowledge.registry write`: do not edit.",
        "# Every intent goes to the action that answers it; the action reads the conversation.",
        'version: "3.1"',
        "rules:",
    ]
    for t in reg.topics.values():
        if t.own_intent:
            lines += [f"- rule: {t.key}", "  steps:", f"  - intent: {t.key}", f"  - action: {t.action}"]
    lines += ["- rule: nlu_fallback", "  steps:", "  - intent: nlu_fallback", f"  - action: {DEFAULT_ACTION}"]
    return "\n".join(lines) + "\n"


def generated(reg: Registry) -> Dict[Path, str]:
    return {DOMAIN_INTENTS: rendered_intents(reg), RULES: rendered_rules(reg)}


def stale(reg: Registry) -> List[Path]:
    return [p for p, text in generated(reg).items() if not p.exists() or p.read_text(encoding="utf-8") != text]


def main(argv: Optional[List[str]] = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m knowledge.registry")
    ap.add_argument("command", choices=("write", "check"))
    args = ap.parse_args(argv)
    reg = load()
    if args.command == "write":
        for path, text in generated(reg).items():
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
                print(f"wrote {path.relative_to(ROOT)}")
        return 0
    from knowledge import content
    from knowledge.calculators.specs import SPECS

    found = problems(reg, content.load().entries, SPECS)
    found += [f"{p.relative_to(ROOT)} is stale: run `python -m knowledge.registry write`" for p in stale(reg)]
    for p in found:
        print(f"ERROR {p}")
    print("OK" if not found else f"{len(found)} problem(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
