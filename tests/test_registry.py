"""The registry of topics: every intent, rule, payload and answer resolves, and every button works.

Payloads are parsed by Rasa's own payload reader against the real domain, as a button click is.
"""
import datetime as dt
import warnings
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from rasa.shared.core.domain import Domain
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.training_data.message import Message

from knowledge import compose
from actions.dialogue import Turn, respond
from actions.state import DialogueState
from knowledge import content, referral
from knowledge.calculators.specs import SPECS
from knowledge.registry import Registry, generated, problems, registry, stale

ROOT = Path(__file__).resolve().parents[1]
DAY = dt.date(2026, 12, 1)
PROVINCE = "Hà Nội"


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(ROOT / "domain"))


def click(payload, domain):
    """What Rasa makes of a button's payload: the intent and entities, or None for an unknown intent."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = YAMLStoryReader.unpack_regex_message(Message(data={"text": payload}), domain).data
    if "intent" not in data:
        return None
    return data["intent"]["name"], data.get("entities") or []


def test_the_registry_resolves():
    assert problems(registry(), content.content().entries, SPECS) == []


def test_generated_domain_intents_and_rules_are_up_to_date():
    assert stale(registry()) == [], "run `python -m knowledge.registry write`"


def test_every_button_payload_is_an_intent_and_entities_of_the_domain(domain):
    for where, button in registry().all_buttons():
        parsed = click(button.payload, domain)
        assert parsed, (where, button)
        intent, entities = parsed
        assert intent in domain.intents, (where, button)
        for e in entities:
            assert e["entity"] in domain.entities, (where, button, e)
        assert registry().resolve(intent, entities) is not None, (where, button)


def test_every_nlu_intent_is_a_registry_topic_and_back():
    intents = set()
    for path in (ROOT / "data" / "nlu").glob("*.yml"):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            if "intent" in block:
                intents.add(block["intent"])
    assert intents == set(registry().intents)


def test_a_planted_broken_payload_fails_the_check():
    reg = registry()
    broken = dict(reg.topics)
    broken["vsi_what"] = replace(reg.topics["vsi_what"], buttons=(("pension_calc", None),))
    found = problems(replace(reg, topics=broken), content.content().entries, SPECS)
    assert any("unknown topic 'pension_calc'" in p for p in found)
    broken["vsi_what"] = replace(reg.topics["vsi_what"], buttons=(("calc:pensions", None),))
    assert any("unknown calculator" in p for p in problems(replace(reg, topics=broken), content.content().entries, SPECS))


def test_an_answer_no_intent_reaches_is_reported():
    entries = dict(content.content().entries)
    entries["vsi_orphan"] = entries["vsi_what"]
    assert "content entry 'vsi_orphan' is no topic's answer and no listed message" in problems(registry(), entries, SPECS)


def test_a_stale_generated_file_is_reported(tmp_path, monkeypatch):
    reg = registry()
    topics = dict(reg.topics)
    topics.pop("social_pension")
    assert generated(replace(reg, topics=topics)) != generated(reg)


# --- the crawl: every button reachable from the menu and from finished calculations, depth 3 ----------

def expected_reply(target, state, reg):
    """What the first message of the reply to a click on ``target`` must say (its topic's own text)."""
    if target.startswith("calc:"):
        spec = SPECS[target[5:]]
        last = reg.topics.get(state.topic or "")
        prompt = compose.say(spec.prompt_entry(spec.required[0]), DAY)
        if last is not None and (last.calculator == spec.name or last.offer == target):
            return prompt  # the answer just read stated the rule
        return compose.say(spec.rule_entry, DAY) + "\n" + prompt
    if target.startswith("referral:"):
        if state.province:
            return content.render("referral", DAY, {"province": state.province, "problem": target[9:]}).text
        return compose.say("ask_province", DAY)
    topic = reg.topic(target)
    if topic.does == "more":
        return content.render(state.last.entry, DAY, state.last.inputs).more if state.last else compose.say("no_more", DAY)
    if topic.does == "basis":
        last = content.render(state.last.entry, DAY, state.last.inputs)
        return compose.full_basis(last.facts, DAY) or compose.say("no_basis", DAY)
    if topic.does == "referral":
        return compose.say("ask_province", DAY)
    if topic.does == "subscribe":  # the opt-in's first question: which reminder the last quote makes
        if topic.key == "subscribe_hi" or state.last_calc == "hi":
            return compose.say("subscribe.ask_expiry", DAY)
        return compose.say("subscribe.ask_start" if state.last_calc == "vsi" else "subscribe.which", DAY)
    return content.render(topic.content_key, DAY, {}).text


def start_points():
    """The menu, and the result of each calculator (the worked inputs of its content variants)."""
    yield "menu", DialogueState(), registry().menu_buttons()
    for name, spec in SPECS.items():
        inputs = content.content().entry(spec.result_entry).variants[0]
        from actions.dialogue import Reply, run_calculator

        reply = run_calculator(name, dict(inputs), Turn("inform", "", [], DialogueState(), DAY), Reply())
        yield f"calc:{name}", reply.state, reply.messages[-1].buttons


def test_every_button_to_depth_three_answers_its_own_topic(domain):
    reg = registry()
    seen = 0
    frontier = list(start_points())
    for depth in range(3):
        next_frontier = []
        for path, state, buttons in frontier:
            for b in buttons:
                if b.target in ("affirm", "deny"):
                    continue  # a yes/no answer to a flow's question (tests/conversations/handover.yml, outreach.yml)
                intent, entities = click(b.payload, domain)
                if b.target == "human_handoff":
                    # The action opens the case and says so (tests/test_actions.py).
                    assert respond(Turn(intent, b.payload, entities, state, DAY)).handoff
                    continue
                reply = respond(Turn(intent, b.payload, entities, DialogueState.from_dict(state.to_dict()), DAY))
                where = f"{path} > {b.title}"
                assert reply.messages, where
                expected = expected_reply(b.target, state, reg)
                assert reply.messages[0].text.startswith(expected), f"{where}: got {reply.messages[0].text[:120]!r}"
                seen += 1
                after = reply.state
                if b.target.startswith("referral:") and not state.province:
                    # Answer the province question as a user would, and check the offices of that kind.
                    reply = respond(Turn("inform", PROVINCE, [], after, DAY))
                    kind = b.target[9:]
                    for office in referral.offices_for(referral.find(PROVINCE), kind):
                        assert office.name in reply.messages[0].text, f"{where} > {PROVINCE}"
                    after = reply.state
                next_frontier.append((where, after, reply.messages[-1].buttons))
        frontier = next_frontier
    assert seen > 50


def test_the_pension_button_under_a_contribution_quote_starts_the_pension_estimate(domain):
    reply = respond(Turn("vsi_contribution", "thu nhập 3 triệu, hộ cận nghèo, hằng tháng", [
        {"entity": "amount", "value": 3000000}, {"entity": "group", "value": "near_poor"}, {"entity": "period", "value": 1}],
        DialogueState(), DAY))
    pension = next(b for b in reply.messages[0].buttons if b.target == "calc:pension")
    intent, entities = click(pension.payload, domain)
    reply = respond(Turn(intent, pension.payload, entities, reply.state, DAY))
    assert reply.texts[0].endswith(compose.say("calc.pension.ask.gender", DAY))
    assert reply.texts[0].startswith(compose.say("calc.pension.rule", DAY))


def test_the_registration_button_refers_to_the_social_insurance_office(domain):
    state = DialogueState(province="Tây Ninh")
    reply = respond(Turn("vsi_registration", "đăng ký ở đâu", [], state, DAY))
    button = next(b for b in reply.messages[0].buttons if b.target == "referral:insurance")
    intent, entities = click(button.payload, domain)
    reply = respond(Turn(intent, button.payload, entities, reply.state, DAY))
    assert "Bảo hiểm xã hội tỉnh Tây Ninh" in reply.texts[0]
    assert "Liên đoàn Lao động" not in reply.texts[0]
