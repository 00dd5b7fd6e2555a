"""The action-reply validation adapter (channels/reply_validation.py): same verdicts as Rasa's own check."""
import pytest
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction

import channels.takeover  # noqa: F401 - installs the adapters, as Rasa's credentials loading does
from channels import reply_validation

GOOD = {"events": [{"event": "slot", "name": "state", "value": {"topic": "vsi_what"}}],
        "responses": [{"text": "Xin chào", "buttons": [{"title": "A", "payload": "/a"}]}]}
BAD = [
    {"events": "not a list"},
    {"events": [{"event": "slot"}], "responses": "x"},
    {"responses": [42]},
    {"events": [{"no_event_key": 1}]},
]


def _action():
    return RemoteAction.__new__(RemoteAction)


def test_installed_and_pinned():
    assert reply_validation.installed()
    with pytest.raises(RuntimeError):
        reply_validation.install("3.6.22")


def test_a_good_reply_passes():
    assert _action()._validate_action_result(GOOD) is True


@pytest.mark.parametrize("reply", BAD)
def test_a_malformed_reply_is_refused_as_rasa_would(reply):
    schema = RemoteAction.action_response_format_spec()
    with pytest.raises(ValidationError) as ours:
        _action()._validate_action_result(reply)
    with pytest.raises(ValidationError) as theirs:
        validate(reply, schema)
    assert ours.value.message.startswith(theirs.value.message) and "custom-actions" in ours.value.message



# The quick check must give the full validator's verdict. Events of every kind Rasa defines, well and badly formed.
def _events_of_every_kind():
    from rasa.shared.core import events as rasa_events

    good = [event.as_dict() for event in (
        rasa_events.UserUttered("lương 5 triệu", {"name": "vsi_cost", "confidence": 0.9},
                                [{"entity": "amount", "value": 5000000, "start": 6, "end": 13}]),
        rasa_events.ActionExecuted("action_listen", policy="RulePolicy", confidence=1.0),
        rasa_events.SlotSet("state", {"topic": "vsi_what"}),
        rasa_events.EntitiesAdded([{"entity": "province", "value": "Huế"}]),
        rasa_events.BotUttered("Xin chào", {"buttons": [{"title": "A", "payload": "/a"}]}),
        rasa_events.ActiveLoop("form_x"), rasa_events.ActiveLoop(None), rasa_events.ConversationPaused(),
        rasa_events.ConversationResumed(), rasa_events.Restarted(), rasa_events.AllSlotsReset(),
        rasa_events.SessionStarted(), rasa_events.FollowupAction("action_x"), rasa_events.UserUtteranceReverted(),
        rasa_events.ActionReverted(), rasa_events.LoopInterrupted(True),
        rasa_events.ActionExecutionRejected("action_x"), rasa_events.ReminderCancelled(name="r"),
    )]
    bad = [
        {"event": "slot", "value": 1}, {"event": "slot", "name": 3, "value": 1}, {"event": "user", "text": 5},
        {"event": "user", "parse_data": {"entities": [{"entity": "x"}]}}, {"event": "entities"},
        {"event": "action", "hide_rule_turn": "no"}, {"event": "action", "name": 1}, {"event": "no_such_event"},
        {"event": 7}, {"event": None}, {"event": "slot", "name": "x", "value": 1, "timestamp": "now"},
        {"event": "pause", "metadata": []}, [], "slot", 1, None, {"name": "x"},
    ]
    return good, bad


def _full_verdict(reply):
    return reply_validation.validator().is_valid(reply)


def test_the_quick_check_is_built_for_this_schema():
    assert reply_validation.quick() is not None
    assert len(reply_validation.event_branches(RemoteAction.action_response_format_spec())) >= 20


def test_the_quick_check_agrees_with_the_full_validator_on_every_event_kind():
    good, bad = _events_of_every_kind()
    quick = reply_validation.quick()
    for event in good:
        assert _full_verdict({"events": [event]}) is True, event
        assert quick({"events": [event]}) is True, event
    for event in bad:
        reply = {"events": [good[2], event]}
        assert _full_verdict(reply) is False, event
        assert quick(reply) is False, event
        with pytest.raises(ValidationError):
            _action()._validate_action_result(reply)
    for reply in [GOOD, {}, {"events": []}, {"responses": []}, *BAD, [], None, "x", {"events": None}]:
        assert quick(reply) == _full_verdict(reply), reply


def test_the_quick_check_refuses_a_schema_it_was_not_made_for():
    schema = RemoteAction.action_response_format_spec()
    items = schema["properties"]["events"]["items"]
    twice = {**items, "oneOf": items["oneOf"] + [items["oneOf"][0]]}
    nameless = {**items, "oneOf": items["oneOf"] + [{"properties": {}}]}
    for changed in (twice, nameless):
        other = {**schema, "properties": {**schema["properties"], "events": {"type": "array", "items": changed}}}
        assert reply_validation.fast_verdict(other) is None
    assert reply_validation.fast_verdict({"type": "object"}) is None


def _random_replies():
    from hypothesis import strategies as st

    names = sorted(reply_validation.event_branches(RemoteAction.action_response_format_spec())) + ["x", ""]
    scalar = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5)
    value = st.recursive(scalar, lambda inner: st.lists(inner, max_size=3)
                         | st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=6)
    keys = st.sampled_from(["name", "value", "text", "timestamp", "metadata", "entities", "parse_data", "policy",
                            "confidence", "hide_rule_turn", "data", "intent", "action_text", "input_channel"])
    event = st.builds(lambda name, fields: {"event": name, **fields}, st.sampled_from(names) | scalar,
                      st.dictionaries(keys, value, max_size=4))
    return st.fixed_dictionaries({"events": st.lists(event | value, max_size=3)},
                                  optional={"responses": st.lists(value, max_size=2)}) | value


def test_the_quick_check_agrees_with_the_full_validator_on_random_replies():
    from hypothesis import HealthCheck, given, settings

    @settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_random_replies())
    def agree(reply):
        assert reply_validation.quick()(reply) == _full_verdict(reply)

    agree()
