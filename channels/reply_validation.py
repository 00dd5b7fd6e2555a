"""Rasa adapter: the action server's replies validated against Rasa's schema with a validator built once.

Rasa 3.6's ``RemoteAction._validate_action_result`` calls ``jsonschema.validate(result, schema)`` for every
action reply, and ``jsonschema.validate`` checks the schema itself and builds a new validator each time: in a
profile at 20 users that was the largest single cost in Rasa's process (issue 15). This adapter keeps the same
check, against the same schema (``RemoteAction.action_response_format_spec()``), raising the same
``jsonschema.ValidationError`` with Rasa's own hint appended, but checks the schema and builds the validator once.
A malformed reply is still refused (tests/test_reply_validation.py).

Installed when ``channels.takeover`` is imported (credentials.yml always loads it); pinned to the Rasa version
it was read from, and refusing any other.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Text

import rasa

PINNED_RASA = "3.6.21"


@lru_cache(maxsize=1)
def validator():
    """The validator of Rasa's action-response schema (the schema checked once, here)."""
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


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
