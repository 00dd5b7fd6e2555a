"""What the assistant says next: routes a message to an answer, a calculator step or a referral.

No Rasa imports and no Vietnamese text: ``actions/actions.py`` turns a tracker into a :class:`Turn`
and the :class:`Reply` into dispatcher messages; every word comes from ``knowledge/content/``, every
topic, button and calculator from the registry (``knowledge/topics.yaml``) and the calculator specs.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional

from knowledge import compose
from knowledge.compose import Message
from actions.inputs import first, read_inputs
from actions.limits import MAX_MESSAGE_CHARS
from actions.state import DialogueState, LastAnswer
from knowledge import content, referral
from knowledge.calculators.specs import SPECS
from knowledge.errors import InvalidInput, UnknownProvince
from knowledge.registry import Button, Topic, registry
from knowledge.text import fold

# The user asks for a computation in words ("tính giúp", "ước tính").
ASKS_TO_CALCULATE = re.compile(
    r"\b(?:tinh (?:giup|gium|dum|thu|xem|cho|hop|ra|luong|tien|tro|muc|bhyt|bhxh|bhtn|tctn|tuoi)|uoc tinh|may tinh)\b"
)
# Intents that carry details or yes/no rather than a question of their own.
CONTEXT_INTENTS = ("inform", "nlu_fallback", "affirm", "deny")
DETAIL_ENTITIES = {"amount", "group", "period", "people", "duration", "birth", "gender", "age", "region"}


@dataclass
class Turn:
    intent: str
    text: str
    entities: List[Dict[str, Any]]
    state: DialogueState
    today: dt.date


@dataclass
class Reply:
    messages: List[Message] = field(default_factory=list)
    state: DialogueState = field(default_factory=DialogueState)
    record_referral: Optional[tuple] = None  # (problem, province)
    topic: Optional[str] = None  # what the reply answered (a topic key, calc:<name>, referral:<kind>)

    def say(self, text: str, buttons: Optional[List[Button]] = None) -> "Reply":
        self.messages.append(Message(text, list(buttons or [])))
        return self

    @property
    def texts(self) -> List[str]:
        return [m.text for m in self.messages]


# --- answers ------------------------------------------------------------------------------------------

def answer_topic(topic: Topic, turn: Turn, reply: Reply, inputs: Optional[Mapping[str, Any]] = None) -> Reply:
    inputs = dict(inputs if inputs is not None else entity_values(turn.entities))
    rendered = content.render(topic.content_key, turn.today, inputs)
    buttons = registry().buttons_of(topic.key)
    if topic.does == "smalltalk":
        reply.messages.append(Message(rendered.text, buttons))
    else:
        reply.messages.append(compose.answer(rendered, turn.today, buttons))
        reply.state.last = LastAnswer(topic.content_key, inputs)
        reply.state.topic = topic.key
    reply.topic = topic.key
    return reply


def run_calculator(name: str, inputs: Dict[str, Any], turn: Turn, reply: Reply) -> Reply:
    """Ask for the first missing input, or compute and show the result; a wrong input is explained."""
    spec = SPECS[name]
    state = reply.state
    reply.topic = f"calc:{name}"
    missing = spec.missing(inputs)
    if missing:
        state.calc, state.inputs, state.asked = name, inputs, missing
        return reply.say(compose.say(spec.prompt_entry(missing), turn.today, inputs))
    try:
        data = spec.compute(turn.today, inputs)
    except InvalidInput as err:
        field_name = err.field if err.field in {i.name for i in spec.inputs} else None
        state.calc, state.asked = name, field_name
        state.inputs = {k: v for k, v in inputs.items() if k != field_name}
        return reply.say(compose.say(err.content_key, turn.today, err.limits))
    rendered = content.render(spec.result_entry, turn.today, inputs, data=data)
    state.clear_pending()
    state.last_calc, state.last_inputs = name, inputs
    state.topic = registry().calculators[name].intent
    state.last = LastAnswer(spec.result_entry, inputs)
    reply.messages.append(compose.answer(rendered, turn.today, registry().buttons_of(f"calc:{name}")))
    return reply


def refer(kind: str, place: str, turn: Turn, reply: Reply) -> Reply:
    """The offices for ``kind`` in the province the user named (or ask again for an unknown name)."""
    reply.topic = f"referral:{kind}"
    try:
        province = referral.find(place)
    except UnknownProvince as err:
        reply.state.referral = kind
        return reply.say(compose.say("error.province.unknown", turn.today, {"name": err.name}))
    reply.state.clear_pending()
    reply.state.province = province.name
    reply.record_referral = (kind, province.name)
    rendered = content.render(registry().message("referral"), turn.today, {"place": place, "problem": kind})
    reply.state.last = LastAnswer("referral", {"place": place, "problem": kind})
    reply.messages.append(compose.answer(rendered, turn.today, [registry().button("human_handoff")]))
    return reply


def ask_province(kind: str, turn: Turn, reply: Reply) -> Reply:
    reply.state.clear_pending()
    reply.state.referral = kind
    reply.topic = f"referral:{kind}"
    return reply.say(compose.say(registry().message("ask_province"), turn.today))


def show_more(turn: Turn, reply: Reply) -> Reply:
    last = turn.state.last
    rendered = content.render(last.entry, turn.today, last.inputs) if last else None
    if not rendered or not rendered.more:
        return reply.say(compose.say(registry().message("no_more"), turn.today))
    reply.topic = "more_detail"
    return reply.say(rendered.more, [registry().control("basis")] if rendered.facts else [])


def show_basis(turn: Turn, reply: Reply) -> Reply:
    last = turn.state.last
    rendered = content.render(last.entry, turn.today, last.inputs) if last else None
    text = compose.full_basis(rendered.facts, turn.today) if rendered else ""
    reply.topic = "legal_basis"
    return reply.say(text or compose.say(registry().message("no_basis"), turn.today))


def fallback(turn: Turn, reply: Reply) -> Reply:
    reply.topic = "fallback"
    return reply.say(compose.say(registry().message("fallback"), turn.today), registry().menu_buttons())


# --- routing ---------------------------------------------------------------------------------------------

def respond(turn: Turn) -> Reply:
    reg = registry()
    reply = Reply(state=DialogueState.from_dict(turn.state.to_dict()))
    state = turn.state
    text = turn.text or ""
    if len(text) > MAX_MESSAGE_CHARS:
        return reply.say(compose.say(reg.message("too_long"), turn.today, {"limit": MAX_MESSAGE_CHARS}))
    topic = reg.resolve(turn.intent, turn.entities)
    province = first_entity(turn.entities, "province")

    # Controls work on the last answer, whatever is in progress.
    if topic and topic.does == "more":
        return show_more(turn, reply)
    if topic and topic.does == "basis":
        return show_basis(turn, reply)

    # 1. A referral waiting for the province gets it.
    if state.referral:
        if province:
            return refer(state.referral, entity_text(turn, province), turn, reply)
        if turn.intent in ("inform", "nlu_fallback"):
            return refer(state.referral, text.strip(), turn, reply)

    # 2. A calculator waiting for an input gets it, whatever the classifier thought of a short answer.
    if state.calc in SPECS:
        spec = SPECS[state.calc]
        got = read_inputs(spec, text, turn.entities, state.asked, turn.today)
        if got or turn.intent in CONTEXT_INTENTS:
            if not got:
                reply.say(compose.say(reg.message("not_understood"), turn.today))
                return reply.say(compose.say(spec.prompt_entry(state.asked), turn.today, state.inputs)) if state.asked else reply
            return run_calculator(spec.name, {**state.inputs, **got}, turn, reply)
    reply.state.clear_pending()

    if topic is not None:
        # 3. Referrals: the kind a button names, else the last topic's, else a dispute.
        if topic.does == "referral":
            kind = first(turn.entities, "referral") or (reg.topics[state.topic].referral if state.topic in reg.topics else None) or "dispute"
            place = entity_text(turn, province) if province else state.province
            return refer(kind, place, turn, reply) if place else ask_province(kind, turn, reply)
        # 4. A question that carries a calculator's inputs, or asks to compute, starts the calculator.
        calc = topic.calculator or (reg.calculator_of_intent(topic.intent) if first(turn.entities, "request") == "calc" else None)
        if calc:
            spec = SPECS[calc]
            got = read_inputs(spec, text, turn.entities, None, turn.today)
            asked = first(turn.entities, "request") == "calc" or ASKS_TO_CALCULATE.search(fold(text))
            if state.last_calc == calc and got and not asked:
                # A follow-up that changes one value of the last result ("còn hộ nghèo thì sao?").
                return run_calculator(calc, {**state.last_inputs, **got}, turn, reply)
            if spec.inputs[0].name in got or asked:
                return run_calculator(calc, got, turn, reply)
        # 5. An answer (with the offices when a dispute names the province).
        if topic.does in ("answer", "smalltalk"):
            answer_topic(topic, turn, reply)
            if topic.referral == "dispute" and province and topic.key != "legal_aid_request":
                refer("dispute", entity_text(turn, province), turn, reply)
            return reply

    # 6. Details without a question: a calculator they fit, a follow-up on the last result or topic.
    if turn.intent in ("inform", "nlu_fallback"):
        names = {e.get("entity") for e in turn.entities}
        if state.last_calc in SPECS:
            got = read_inputs(SPECS[state.last_calc], text, turn.entities, None, turn.today)
            if got:
                return run_calculator(state.last_calc, {**state.last_inputs, **got}, turn, reply)
        guessed = calculator_for(names)
        if guessed and (not state.topic or len(names & DETAIL_ENTITIES) >= 2):
            return run_calculator(guessed, read_inputs(SPECS[guessed], text, turn.entities, None, turn.today), turn, reply)
        if state.topic in reg.topics:
            last = reg.topics[state.topic]
            if province:
                return refer(last.referral or "dispute", entity_text(turn, province), turn, reply)
            if last.calculator and names & DETAIL_ENTITIES:
                got = read_inputs(SPECS[last.calculator], text, turn.entities, None, turn.today)
                if SPECS[last.calculator].inputs[0].name in got:
                    return run_calculator(last.calculator, got, turn, reply)
            if last.does == "answer" and names & DETAIL_ENTITIES:
                return answer_topic(last, turn, reply)
    return fallback(turn, reply)


def calculator_for(names: set) -> Optional[str]:
    """The calculator a bare set of details points to, if any."""
    if "people" in names:
        return "hi"
    if names & {"gender", "birth"}:
        return "pension"
    if "amount" in names and names & {"group", "period"}:
        return "vsi"
    if "amount" in names and "duration" in names:
        return "ui"
    return None


def first_entity(entities: List[Dict[str, Any]], name: str) -> Optional[Dict[str, Any]]:
    return next((e for e in entities if e.get("entity") == name), None)


def entity_text(turn: Turn, entity: Dict[str, Any]) -> str:
    """What the user typed for an entity (the old province name matters: "Long An" -> Tây Ninh)."""
    if entity.get("text"):
        return entity["text"]
    if isinstance(entity.get("start"), int) and isinstance(entity.get("end"), int):
        return turn.text[entity["start"] : entity["end"]]
    return str(entity.get("value", ""))


def entity_values(entities: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {e["entity"]: e.get("value") for e in entities if e.get("entity")}
