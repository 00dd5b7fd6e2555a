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

