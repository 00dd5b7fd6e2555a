"""What the assistant says next: routes a message to an answer, a calculator step or a referral.

No Rasa imports and no Vietnamese text: ``actions/actions.py`` turns a tracker into a :class:`Turn`
and the :class:`Reply` into dispatcher messages; every word comes from ``knowledge/content/``, every
topic, button and calculator from the registry (``knowledge/topics.yaml``) and the calculator specs.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional

from actions import handover, subscribing
from actions.handover import CaseInfo, CaseRequest
from actions.inputs import changed, first, inputs_for, known_inputs
from actions.limits import MAX_MESSAGE_CHARS
from actions.state import DialogueState, LastAnswer, situation_to_dict
from bot import gazetteer
from bot import situation as S
from bot.questions import asks
from knowledge import compose, content, referral
from knowledge.compose import Message
from knowledge.calculators.specs import SPECS
from knowledge.errors import InvalidInput, UnknownProvince
from knowledge.registry import Button, Topic, registry
from knowledge.text import fold

# The user asks for a computation in words ("tính giúp", "ước tính").
ASKS_TO_CALCULATE = re.compile(
    r"\b(?:tinh (?:giup|gium|dum|thu|xem|cho|hop|ra|luong|tien|tro|muc|bhyt|bhxh|bhtn|tctn|tuoi)|uoc tinh|may tinh)\b"
)
# Intents that carry details or yes/no rather than a question of their own.
CONTEXT_INTENTS = ("inform", "nlu_fallback", "affirm", "deny", "dont_know")
PLACE_ONLY_WORDS = 4
# What a topic about the person's case does (knowledge/topics.yaml `does:`).
CASE_REQUESTS = {"case_status": handover.status, "case_withdraw": handover.withdraw, "erase_data": handover.erase}


@dataclass
class Turn:
    intent: str
    text: str
    entities: List[Dict[str, Any]]
    state: DialogueState
    today: dt.date
    ranking: List[Dict[str, Any]] = field(default_factory=list)  # the classifier's intents, best first
    segments: List[Dict[str, Any]] = field(default_factory=list)  # the questions of a message asking several
    question: Optional[Dict[str, Any]] = None  # a story's asking sentences, classified without the story
    case: Optional[CaseInfo] = None  # the person's open (else latest) case for union staff
    paused: bool = False  # the conversation is paused (Rasa's ConversationPaused): people answer, not the bot
    channel: str = "unknown"  # the channel the user writes in (its limits are said at opt-in)
    subscribed: bool = False  # the person has an active reminder or news subscription
    outreach: Dict[str, Any] = field(default_factory=dict)  # reminder settings the opt-in message states


@dataclass
class Reply:
    messages: List[Message] = field(default_factory=list)
    state: DialogueState = field(default_factory=DialogueState)
    record_referral: Optional[tuple] = None  # (problem, province)
    topic: Optional[str] = None  # what the reply answered (a topic key, calc:<name>, referral:<kind>)
    handoff: bool = False  # the user asked for a person: the action opens a case and says so
    answered: List[str] = field(default_factory=list)  # every topic the reply answered (for measurement)
    case_request: Optional[CaseRequest] = None  # what the action layer does in the case database
    pause: bool = False  # pause the conversation for staff (ConversationPaused)
    resume: bool = False  # the bot answers again (ConversationResumed)
    silent: bool = False  # staff have the conversation: nothing is said, the message goes onto the case
    outreach_request: Optional[subscribing.OutreachRequest] = None  # subscribe / unsubscribe, for the action layer
    guessed: bool = False  # the answer is the best guess at a message the classifier was unsure of

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
        reply.state.offer = topic.offer
        reply.answered.append(topic.key)
        if topic.offer and topic.offer.startswith("referral:"):
            reply.state.referral = topic.offer[9:]  # the answer asked for the province
    reply.topic = topic.key
    return reply


def follow(target: str, turn: Turn, reply: Reply) -> Reply:
    """Do what a button leading to ``target`` does (a "có" to an offer)."""
    reg = registry()
    if target.startswith("calc:"):
        return run_calculator(target[5:], inputs_for(SPECS[target[5:]], known_inputs(turn.state.situation, turn.today)), turn, reply)
    if target.startswith("referral:"):
        kind = target[9:]
        return refer(kind, turn.state.province, turn, reply) if turn.state.province else ask_province(kind, turn, reply)
    topic = reg.topic(target)
    if topic.does == "handoff":
        return handoff(turn, reply)
    return answer_topic(topic, turn, reply, {})


def handoff(turn: Turn, reply: Reply, new_matter: bool = False) -> Reply:
    """The user wants a person: consent, a description, the province, a contact, then the case
    (actions/handover.py)."""
    reply.handoff = True
    return handover.start(turn, reply, new_matter=new_matter)


def while_paused(topic: Optional[Topic], turn: Turn, reply: Reply) -> Reply:
    """Staff have the conversation: only the case's own requests are answered; anything else is silence
    (the action layer puts the message on the case)."""
    if (turn.state.handover or {}).get("step") == "erase":
        return handover.erase_step(turn, reply)
    if (turn.state.handover or {}).get("step") == "withdraw":
        return handover.withdraw_step(turn, reply)
    if subscribing.stops(turn) and turn.subscribed:
        return subscribing.stop(turn, reply)  # opting out works always
    if topic is not None and topic.does in CASE_REQUESTS:
        return CASE_REQUESTS[topic.does](turn, reply)
    reply.silent = True
    reply.topic = "paused"
    return reply


def cancel(topic: Topic, turn: Turn, reply: Reply) -> Reply:
    reply.state.clear_pending()
    reply.topic = topic.key
    return reply.say(compose.say(topic.content_key, turn.today), registry().buttons_of(topic.key))


def run_calculator(name: str, inputs: Dict[str, Any], turn: Turn, reply: Reply) -> Reply:
    """Ask for the first missing input, or compute and show the result; a wrong input is explained."""
    spec = SPECS[name]
    state = reply.state
    reply.topic = f"calc:{name}"
    missing = spec.missing(inputs)
    if missing:
        try:
            spec.check(turn.today, inputs)  # an input already given that cannot be right is said at once
        except InvalidInput as err:
            field_name = err.field if err.field in {i.name for i in spec.inputs} else None
            state.calc, state.asked = name, field_name or missing
            state.inputs = {k: v for k, v in inputs.items() if k != field_name}
            return reply.say(compose.say(err.content_key, turn.today, err.limits))
        last_topic = registry().topics.get(turn.state.topic or "")
        just_read = last_topic is not None and (last_topic.calculator == name or last_topic.offer == f"calc:{name}")
        starting = turn.state.calc != name and not just_read  # the rule was not just shown by an answer
        state.calc, state.inputs, state.asked = name, inputs, missing
        prompt = compose.say(spec.prompt_entry(missing), turn.today, inputs)
        if starting and spec.rule_entry in content.content():
            # The rule first, then the one fact it needs from the user.
            reply.answered.append(f"calc:{name}")
            prompt = compose.say(spec.rule_entry, turn.today) + "\n" + prompt
        return reply.say(prompt)
    try:
        data = spec.compute(turn.today, inputs)
    except InvalidInput as err:
        field_name = err.field if err.field in {i.name for i in spec.inputs} else None
        state.calc, state.asked = name, field_name
        state.inputs = {k: v for k, v in inputs.items() if k != field_name}
        return reply.say(compose.say(err.content_key, turn.today, err.limits))
    rendered = content.render(spec.result_entry, turn.today, inputs, data=data)
    reply.answered.append(f"calc:{name}")
    state.clear_pending()
    state.last_calc, state.last_inputs = name, inputs
    state.topic = registry().calculators[name].intent
    state.last = LastAnswer(spec.result_entry, inputs)
    reply.messages.append(compose.answer(rendered, turn.today, registry().buttons_of(f"calc:{name}")))
    return reply


def refer(kind: str, province: str, turn: Turn, reply: Reply, former: Optional[str] = None, brief: bool = False) -> Reply:
    """The offices for ``kind`` in ``province`` (a current unit); ``former``: the old name the user used."""
    reply.topic = reply.topic or f"referral:{kind}"
    try:
        unit = referral.find(province)
    except UnknownProvince as err:
        reply.state.referral = kind
        return reply.say(compose.say("error.province.unknown", turn.today, {"name": err.name}))
    if not brief:
        reply.state.clear_pending()
    reply.state.province = unit.name
    reply.record_referral = (kind, unit.name)
    reply.answered.append(f"referral:{kind}")
    inputs = {"province": unit.name, "problem": kind, "former": former}
    rendered = content.render(registry().message("referral"), turn.today, inputs)
    if brief:
        reply.messages.append(compose.brief(rendered, turn.today, compose.SEVERAL_BUDGET // 2, registry().button("human_handoff")))
        return reply
    reply.state.last = LastAnswer("referral", inputs)
    reply.messages.append(compose.answer(rendered, turn.today, [registry().button("human_handoff")]))
    return reply


def ask_which_province(kind: str, place: Place, turn: Turn, reply: Reply) -> Reply:
    """An old name that now spans several units: ask which, with a button for each."""
    reply.state.referral = kind
    reply.topic = f"referral:{kind}"
    buttons = [Button(c, f'/inform{json.dumps({"province": c}, ensure_ascii=False)}', f"province:{c}") for c in place.candidates]
    return reply.say(compose.say(registry().message("which_province"), turn.today,
                                 {"former": place.former, "candidates": list(place.candidates)}), buttons)


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


# A runner-up from the answer's own family (the general topic and its specific answers) this close to
# the best guess is offered as a button under the answer: the classifier could not tell them apart.
SIBLING_CLOSE_RATIO = 0.5


def offer_sibling(topic: Topic, turn: Turn, reply: Reply) -> None:
    reg = registry()
    if turn.text.startswith("/") or not turn.ranking or not reply.messages:
        return
    best = next((r.get("confidence") or 0 for r in turn.ranking if r.get("name") == topic.intent), 0)
    family = set(reg.siblings(topic.key))
    for r in turn.ranking[:3]:
        name = r.get("name") or ""
        if name == topic.intent or name not in family or (r.get("confidence") or 0) < best * SIBLING_CLOSE_RATIO:
            continue
        message = reply.messages[-1]
        if reg.topics[name].does == "answer" and all(b.target != name for b in message.buttons):
            message.buttons.insert(0, reg.button(name))
        return


CLARIFY_MIN_CONFIDENCE = 0.1
CLARIFY_MAX_TOPICS = 3


def likely_topics(turn: Turn) -> List[Topic]:
    """Answer topics the classifier thought likely, best first (for a clarifying question)."""
    reg = registry()
    found = []
    for r in turn.ranking:
        topic = reg.topics.get(r.get("name") or "")
        if topic and topic.own_intent and topic.does == "answer" and (r.get("confidence") or 0) >= CLARIFY_MIN_CONFIDENCE:
            found.append(topic)
    return found[:CLARIFY_MAX_TOPICS]


QUESTION_MIN_CONFIDENCE = 0.5  # a story's question read alone, trusted over the unsure reading of the whole


QUESTION_SURER_FLOOR = 0.3  # below 0.5, the question read alone still counts when it is surer than the whole


def question_topic(turn: Turn, at_least: float = QUESTION_MIN_CONFIDENCE) -> Optional[Topic]:
    """The answer topic of a long message's asking sentences, when the classifier was sure of them."""
    q = turn.question or {}
    topic = registry().topics.get(q.get("intent") or "")
    if topic and topic.own_intent and topic.does == "answer" and (q.get("confidence") or 0) >= at_least:
        return topic
    return None


GUESS_MIN_CONFIDENCE = 0.15  # a best guess worth answering, with the other likely topics offered beside it
GUESS_MIN_WORDS = 8  # only for a real question (a long message), never for a short fragment


def fallback(turn: Turn, reply: Reply, told: Optional[Mapping[str, Any]] = None) -> Reply:
    """Unsure: answer the best guess of a long question and offer the others; ask between the likely
    topics of a short one; with no likely topic, offer the menu, after a word on what the message ``told``
    about the person if it told something ("mẹ em 58t", "e đang có bầu": kept for the question to come)."""
    reg = registry()
    likely = likely_topics(turn)
    asked = question_topic(turn)
    if asked:
        # The story left the classifier unsure; its question, read alone, did not.
        likely = [asked] + [t for t in likely if t != asked]
        best = {"name": asked.key, "confidence": turn.question["confidence"]}
    else:
        best = next((r for r in turn.ranking if r.get("name") == (likely[0].key if likely else None)), None)
    if likely and best and best.get("confidence", 0) >= GUESS_MIN_CONFIDENCE and len(fold(turn.text).split()) >= GUESS_MIN_WORDS \
            and not turn.text.startswith("/"):
        answer_topic(likely[0], turn, reply, answer_inputs(turn, turn.state.situation, known_inputs(turn.state.situation, turn.today)))
        reply.guessed = True
        others = [reg.button(t.key) for t in likely[1:]]
        if others:
            reply.say(compose.say(reg.message("other_topics"), turn.today), others + [reg.button("human_handoff")])
        return reply
    if len(likely) >= 2:
        reply.topic = "clarify"
        return reply.say(compose.say(reg.message("clarify"), turn.today),
                         [reg.button(t.key) for t in likely] + [reg.button("human_handoff")])
    if told:
        reply.topic = "situation_noted"
        return reply.say(compose.say(reg.message("situation_noted"), turn.today, told), reg.menu_buttons())
    reply.topic = "fallback"
    return reply.say(compose.say(reg.message("fallback"), turn.today), reg.menu_buttons())


def beside_the_question(turn: Turn, reply: Reply) -> Reply:
    """A story whose context pulled the whole message to one topic ("bị đuổi việc ... thì có được trợ cấp
    thất nghiệp không") while its asking sentences, read alone, surely ask another (at 0.5, or at 0.3 when
    surer than the whole message): both briefly, the question first. Only for a plain answer to the message's own intent (not a calculation, a referral, a
    step of a flow)."""
    whole_confidence = next((r.get("confidence") or 0 for r in turn.ranking if r.get("name") == turn.intent), 1.0)
    asked = question_topic(turn, min(QUESTION_MIN_CONFIDENCE, max(QUESTION_SURER_FLOOR, whole_confidence + 1e-9)))
    reg = registry()
    whole = reg.topics.get(turn.intent or "")
    if asked is None or whole is None or asked == whole or reply.topic != whole.key or whole.does != "answer" \
            or reply.case_request is not None or turn.state.calc or turn.state.handover or turn.state.subscribing:
        return reply
    return answer_several([asked, whole], turn, Reply(state=DialogueState.from_dict(turn.state.to_dict())))


def several_questions(turn: Turn) -> List[Topic]:
    """The distinct answer topics of a message that asks several things, in the order asked."""
    reg = registry()
    topics: List[Topic] = []
    for seg in turn.segments:
        topic = reg.topics.get(seg.get("intent") or "")
        if topic and topic.own_intent and topic.does == "answer" and topic not in topics:
            topics.append(topic)
    return topics if len(topics) >= 2 else []


def answer_several(topics: List[Topic], turn: Turn, reply: Reply) -> Reply:
    """Each question briefly, with a button to its whole answer; one basis line for them all."""
    reg = registry()
    share = compose.SEVERAL_BUDGET // len(topics)
    facts = []
    for topic in topics:
        rendered = content.render(topic.content_key, turn.today, entity_values(turn.entities))
        reply.messages.append(compose.brief(rendered, turn.today, share, reg.button(topic.key), basis=False))
        reply.answered.append(topic.key)
        facts += [f for f in rendered.facts if f not in facts]
        reply.state.topic = topic.key
        reply.state.last = LastAnswer(topic.content_key, {})
    basis = compose.short_basis(facts, turn.today)
    if basis:
        reply.say(basis, [reg.control("basis")])
    reply.topic = "several"
    return reply


def respond(turn: Turn) -> Reply:
    reply = route(turn)
    topics = several_questions(turn)
    if not topics:
        return beside_the_question(turn, reply)
    if reply.topic in {t.key for t in topics} or (turn.intent == "nlu_fallback" and reply.guessed):
        # One of the questions answered first, or a guess at the whole story: each question briefly.
        return answer_several(topics, turn, Reply(state=DialogueState.from_dict(turn.state.to_dict())))
    # A calculation (or referral) answered one of the questions: the others briefly under it.
    done = intents_answered(reply)
    extra = [t for t in topics if t.intent not in done]
    if extra and len(extra) < len(topics):
        room = compose.SEVERAL_BUDGET - sum(len(m.text) for m in reply.messages)
        share = room // len(extra)
        if share >= compose.BRIEF_MIN:
            for topic in extra:
                rendered = content.render(topic.content_key, turn.today, entity_values(turn.entities))
                reply.messages.append(compose.brief(rendered, turn.today, share, registry().button(topic.key), basis=False))
                reply.answered.append(topic.key)
    return reply


def intents_answered(reply: Reply) -> set:
    reg = registry()
    out = set()
    for key in reply.answered:
        if key.startswith("calc:"):
            out.add(reg.calculators[key[5:]].intent)
            out |= {t.intent for t in reg.topics.values() if t.calculator == key[5:]}
        elif key in reg.topics:
            out.add(reg.topics[key].intent)
    return out


@dataclass
class Place:
    """A province the message names: the current unit, or the units an old name now spans."""

    candidates: tuple
    former: Optional[str] = None  # the old name as the directory spells it, when the user used one

    @property
    def province(self) -> Optional[str]:
        return self.candidates[0] if len(self.candidates) == 1 else None


def place_in(text: str, asked: bool) -> Optional[Place]:
    """The province a message names (abbreviations and old names too); a bare answer when it was asked."""
    found = gazetteer.find_provinces(text)
    if found:
        m = found[0]
        kind = (m.info or {}).get("kind")
        return Place(tuple(m.candidates), m.key if kind in ("former_2025", "historical") else None)
    if asked and text.strip() and not text.startswith("/"):
        try:
            province = referral.find(text.strip(" .!?"))
        except UnknownProvince:
            return None
        return Place((province.name,), referral.former_name(text))
    return None


def route(turn: Turn) -> Reply:
    reg = registry()
    reply = Reply(state=DialogueState.from_dict(turn.state.to_dict()))
    state = turn.state
    text = turn.text or ""
    if len(text) > MAX_MESSAGE_CHARS:
        return reply.say(compose.say(reg.message("too_long"), turn.today, {"limit": MAX_MESSAGE_CHARS}))
    topic = reg.resolve(turn.intent, turn.entities)
    payload = text.startswith("/")
    if turn.paused or (turn.case is not None and turn.case.taken_over):
        return while_paused(topic, turn, reply)
    if text.strip() and not any(ch.isalnum() for ch in text):
        # Emoji or stickers only: a kind word and the offer of a person, not small talk.
        reply.topic = "symbols"
        return reply.say(compose.say(reg.message("symbols"), turn.today), [reg.button(t) for t in reg.comfort])

    # Every message tells something about the person: read it into the situation.
    in_handover = (state.handover or {}).get("step")
    asked = state.asked if state.calc else ("province" if state.referral or in_handover == "province" else None)
    update = S.SituationUpdate() if payload else S.read(text, turn.today, asked)
    sit = S.apply(state.situation, update)
    reply.state.situation = sit
    known = known_inputs(sit, turn.today)
    now = changed(known_inputs(state.situation, turn.today), known)
    short = len(fold(text).split()) <= PLACE_ONLY_WORDS
    place = place_in(text, asked == "province" or short) if not payload else (
        Place((first(turn.entities, "province"),)) if first(turn.entities, "province") else None)
    if place and place.province:
        reply.state.province = place.province
    dont_know = turn.intent == "dont_know" or bool(asked and S.ASKED_ALIASES.get(asked, asked) in update.unknown)

    # Controls work on the last answer, whatever is in progress; but a typed message that gives the input a
    # calculator is waiting for is that input ("3 củ" is no "căn cứ").
    waited = state.calc in SPECS and not payload and bool(inputs_for(SPECS[state.calc], now))
    if topic and topic.does in ("more", "basis") and waited:
        topic = None
    if topic and topic.does == "more":
        return show_more(turn, reply)
    if topic and topic.does == "basis":
        return show_basis(turn, reply)
    if topic and topic.does == "cancel" and (not in_handover or len(fold(text).split()) <= PLACE_ONLY_WORDS):
        return cancel(topic, turn, reply)
    if subscribing.stops(turn):
        # "dừng", "stop": every reminder ends, whatever was in progress (without any, the user hears so).
        return subscribing.stop(turn, reply)
    if in_handover == "erase":
        return handover.erase_step(turn, reply)
    if in_handover == "withdraw":
        return handover.withdraw_step(turn, reply)
    if topic and topic.does in CASE_REQUESTS:
        return CASE_REQUESTS[topic.does](turn, reply)
    if in_handover:
        stepped = handover.step(turn, reply, place.province if place else None)
        if stepped is not None:
            return stepped
    if state.subscribing:
        stepped = subscribing.step(turn, reply)
        if stepped is not None:
            return stepped
    if topic and topic.does == "subscribe":
        return subscribing.start(turn, reply, hint="hi" if topic.key == "subscribe_hi" else None)
    if topic and topic.does == "handoff":
        return handoff(turn, reply, new_matter=topic.key == "handoff_new_matter")
    # A bare "1".."5" after staff resolved the case and asked for a rating.
    score = handover.rating_in(text) if turn.case is not None and turn.case.rating_pending and not state.calc else None
    if score is not None:
        return handover.rate(turn, reply, score)

    # 0. "Có" / "không" to what the last answer offered.
    if state.offer and turn.intent in ("affirm", "deny") and not now:
        reply.state.clear_pending()
        if turn.intent == "affirm":
            return follow(state.offer, turn, reply)
        reply.topic = "declined"
        return reply.say(compose.say(reg.message("declined"), turn.today))

    # 1. A referral waiting for the province gets it (or asks which, for an old name now split).
    if state.referral:
        if place and place.province:
            return refer(state.referral, place.province, turn, reply, place.former)
        if place:
            return ask_which_province(state.referral, place, turn, reply)
        if turn.intent in ("inform", "nlu_fallback", "dont_know") and not now:
            reply.state.referral = state.referral
            return reply.say(compose.say("error.province.unknown", turn.today, {"name": text.strip()}))

    # 2. A calculator waiting for an input gets it, whatever the classifier thought of a short answer.
    if state.calc in SPECS:
        spec = SPECS[state.calc]
        if dont_know and state.asked:
            # What the choice means, then the same question again.
            reply.say(compose.say(f"help.{state.asked}", turn.today))
            return reply.say(compose.say(spec.prompt_entry(state.asked), turn.today, state.inputs))
        got = inputs_for(spec, now)
        if got or turn.intent in CONTEXT_INTENTS:
            if not got:
                reply.say(compose.say(reg.message("not_understood"), turn.today))
                return reply.say(compose.say(spec.prompt_entry(state.asked), turn.today, state.inputs)) if state.asked else reply
            return run_calculator(spec.name, {**state.inputs, **got}, turn, reply)
    reply.state.clear_pending()

    # 3. A follow-up that changes a value of the last result ("còn 12 triệu thì sao?", "à nhầm, 4 người").
    if state.last_calc in SPECS:
        spec = SPECS[state.last_calc]
        got = inputs_for(spec, now)
        follows = update.followup or update.correction or topic is None or topic.does == "context" or topic.calculator == spec.name
        if got and follows:
            return run_calculator(spec.name, {**state.last_inputs, **got}, turn, reply)

    # A message that only names a place ("sg", "hà tây") is a detail, whatever small talk it resembles.
    only_place = place is not None and not now and len(fold(text).split()) <= PLACE_ONLY_WORDS
    if topic is not None and topic.does != "context" and not (only_place and topic.does == "smalltalk"):
        # 4. Referrals: the kind a button names, else the last topic's, else a dispute.
        if topic.does == "referral":
            kind = first(turn.entities, "referral") or (reg.topics[state.topic].referral if state.topic in reg.topics else None) or "dispute"
            province = (place.province if place else None) or state.province
            if place and not place.province:
                return ask_which_province(kind, place, turn, reply)
            return refer(kind, province, turn, reply, place.former if place else None) if province else ask_province(kind, turn, reply)
        # 5. A question that carries a calculator's first input, or asks to compute, starts the calculator
        #    with everything the conversation already knows.
        calc = topic.calculator or (reg.calculator_of_intent(topic.intent) if first(turn.entities, "request") == "calc" else None)
        if calc:
            spec = SPECS[calc]
            wants = first(turn.entities, "request") == "calc" or ASKS_TO_CALCULATE.search(fold(text))
            have = inputs_for(spec, known)
            if wants or spec.inputs[0].name in now or spec.missing(have) is None:
                # Asked to compute, or the message brings the first input, or everything is known already.
                return run_calculator(calc, have, turn, reply)
        # 6. An answer (with the offices when a dispute names the province).
        if topic.does in ("answer", "smalltalk"):
            if topic.key == "greet":
                reply.state.clear_pending()  # a greeting (Telegram's /start too) starts again
            answer_topic(topic, turn, reply, answer_inputs(turn, sit, known))
            offer_sibling(topic, turn, reply)
            offers_referral = any(t.startswith("referral:") for t, _ in topic.buttons)
            province = place.province if place else (state.province if offers_referral else None)
            if topic.referral and (offers_referral or topic.referral == "dispute") and province and topic.key != "legal_aid_request":
                # The place the user named (now or before): the offices for this topic, briefly, under the answer.
                refer(topic.referral, province, turn, reply, place.former if place else None, brief=True)
            return reply

    # 7. Details without a question: the calculator they fit, or the last topic answered for them.
    if now or place:
        if place and state.topic in reg.topics and not now:
            last = reg.topics[state.topic]
            if place.province:
                return refer(last.referral or "dispute", place.province, turn, reply, place.former)
            return ask_which_province(last.referral or "dispute", place, turn, reply)
        last = reg.topics.get(state.topic or "")
        if last and last.calculator and last.calculator != state.last_calc and SPECS[last.calculator].inputs[0].name in known:
            return run_calculator(last.calculator, inputs_for(SPECS[last.calculator], known), turn, reply)
        guessed = calculator_for(set(now))
        if guessed:
            return run_calculator(guessed, inputs_for(SPECS[guessed], known), turn, reply)
        if last and last.does == "answer" and now:
            return answer_topic(last, turn, reply, answer_inputs(turn, sit, known))
        if place and not state.topic and sit.monthly_income and "wage" in now:
            # A monthly pay and a place, nothing else: is that pay legal there?
            return answer_topic(reg.topic("minimum_wage"), turn, reply, answer_inputs(turn, sit, known))
        if place and not state.topic:
            return province_noted(place, turn, reply)
    tells = turn.intent in CONTEXT_INTENTS and not asks(text)
    return fallback(turn, reply, update.values if tells else None)


def province_noted(place: Place, turn: Turn, reply: Reply) -> Reply:
    """A place said before any question: remembered, and what the user can ask about it."""
    reg = registry()
    reply.topic = "province_noted"
    if not place.province:
        return ask_which_province("insurance", place, turn, reply)
    name = place.province[3:] if place.province.startswith("TP ") else place.province
    return reply.say(compose.say(reg.message("province_noted"), turn.today, {"name": name, "former": place.former}),
                     [reg.button(t) for t in reg.after_province])


def calculator_for(names: set) -> Optional[str]:
    """The calculator a bare set of details (input names) points to, if any."""
    if "people" in names:
        return "hi"
    if names & {"gender", "birth"} and "years_paid" in names:
        return "pension"
    if "income" in names and names & {"group", "period"}:
        return "vsi"
    if "wage" in names and "months" in names:
        return "ui"
    return None


def answer_inputs(turn: Turn, sit: S.Situation, known: Dict[str, Any]) -> Dict[str, Any]:
    """What an answer may read of the person: the situation's facts, calculator inputs, entities."""
    facts = {k: v for k, v in situation_to_dict(sit).items() if v not in (None, [], (), False, "")}
    facts.pop("recent", None)
    return {**entity_values(turn.entities), **facts, **known}


def entity_values(entities: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {e["entity"]: e.get("value") for e in entities if e.get("entity")}
