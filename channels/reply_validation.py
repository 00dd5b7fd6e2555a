"""Rasa adapter: the action server's replies validated against Rasa's schema with a validator built once.

Rasa 3.6's ``RemoteAction._validate_action_result`` calls ``jsonschema.validate(result, schema)`` for every
action reply, and ``jsonschema.validate`` checks the schema itself and builds a new validator each time: in a
profile at 20 users that was the largest single cost in Rasa's process (issue 15). This adapter keeps the same
check, against the same schema (``RemoteAction.action_response_format_spec()``), raising the same
``jsonschema.ValidationError`` with Rasa's own hint appended, but checks the schema and builds the validator once.
A malformed reply is still refused (tests/test_reply_validation.py).

The schema's events are a ``oneOf`` of some twenty branches told apart by ``properties.event.const``, so a
validator tries every branch for every event. ``verdict`` checks a reply with the same result by looking up the
one branch that an event's name can match (an event is valid exactly when it passes the common part and that
branch); it is built only when every branch has a distinct constant event name, and any reply it does not pass
goes through the full validator, which gives the error.

Installed when ``channels.takeover`` is imported (credentials.yml always loads it); pinned to the Rasa version
it was read from, and refusing any other.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable, Dict, Optional, Text

import rasa

PINNED_RASA = "3.6.21"


@lru_cache(maxsize=1)
def validator():
    """The validator of Rasa's action-response schema (the schema checked once, here)."""
    from jsonschema.validators import validator_for

    schema = _schema()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _schema() -> Dict[Text, Any]:
    from rasa.core.actions.action import RemoteAction

    return RemoteAction.action_response_format_spec()


def event_branches(schema: Dict[Text, Any]) -> Optional[Dict[Text, Dict[Text, Any]]]:
    """Each ``oneOf`` branch of the events' schema by the event name its ``const`` fixes; None if not so shaped."""
    items = schema.get("properties", {}).get("events", {}).get("items")
    if not isinstance(items, dict) or not isinstance(items.get("oneOf"), list):
        return None
    if items.get("required") != ["event"] or items.get("properties", {}).get("event") != {"type": "string"}:
        return None
    branches: Dict[Text, Dict[Text, Any]] = {}
    for branch in items["oneOf"]:
        name = branch.get("properties", {}).get("event", {}).get("const") if isinstance(branch, dict) else None
        if not isinstance(name, str) or name in branches:
            return None
        branches[name] = branch
    return branches


def fast_verdict(schema: Dict[Text, Any]) -> Optional[Callable[[Any], bool]]:
    """A check with the full validator's verdict on ``schema``, dispatching each event to its one branch.

    None when the schema is not shaped as this relies on (every branch fixing a distinct event name)."""
    from jsonschema.validators import validator_for

    branches = event_branches(schema)
    if branches is None:
        return None
    cls = validator_for(schema)
    items = schema["properties"]["events"]["items"]
    outer = {**schema, "properties": {**schema["properties"],
                                       "events": {**schema["properties"]["events"], "items": {}}}}
    common = cls({key: value for key, value in items.items() if key != "oneOf"})
    by_name = {name: cls(branch) for name, branch in branches.items()}
    whole = cls(outer)

    def verdict(reply: Any) -> bool:
        if not whole.is_valid(reply):
            return False
        events = reply.get("events") if isinstance(reply, dict) else None
        if events is None:
            return True
        for event in events:
            name = event.get("event") if isinstance(event, dict) else None
            branch = by_name.get(name) if type(name) is str else None
            if branch is None or not common.is_valid(event) or not branch.is_valid(event):
                return False
        return True

    return verdict


@lru_cache(maxsize=1)
def quick() -> Optional[Callable[[Any], bool]]:
    """The fast check of Rasa's action-response schema, or None where the schema is not shaped for it."""
    return fast_verdict(_schema())


def install(version: str = rasa.__version__) -> None:
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    if version != PINNED_RASA:
        raise RuntimeError(
            f"channels.reply_validation replaces Rasa {PINNED_RASA}'s RemoteAction._validate_action_result; this is "
            f"Rasa {version}: check the method there (schema, error text), then update the adapter"
        )
    if getattr(RemoteAction._validate_action_result, "ansinh_cached", False):
        return

    def _validate_action_result(self, result: Dict[Text, Any]) -> bool:  # noqa: ANN001 - Rasa's signature
        from jsonschema.exceptions import best_match

        check = quick()
        if check is not None and check(result):
            return True
        error = best_match(validator().iter_errors(result))
        if error is None:
            return True
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error

    _validate_action_result.ansinh_cached = True  # type: ignore[attr-defined]
    RemoteAction._validate_action_result = _validate_action_result


def installed() -> bool:
    from rasa.core.actions.action import RemoteAction

    return bool(getattr(RemoteAction._validate_action_result, "ansinh_cached", False))
