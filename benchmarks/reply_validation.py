"""Time Rasa's action-reply validation: jsonschema.validate per reply (Rasa 3.6) vs the adapter's validator
built once (channels/reply_validation.py). ``python benchmarks/reply_validation.py [N]``."""
import sys
import time

from jsonschema import validate
from rasa.core.actions.action import RemoteAction

from channels import reply_validation

REPLY = {"events": [{"event": "slot", "name": "state", "value": {"topic": "vsi_what", "situation": {"age": 40}}}],
         "responses": [{"text": "Xin chào", "buttons": [{"title": "A", "payload": "/a"}]}]}


def main(n: int = 300) -> None:
    schema = RemoteAction.action_response_format_spec()
    t0 = time.perf_counter()
    for _ in range(n):
        validate(REPLY, schema)
    plain = (time.perf_counter() - t0) / n
    v = reply_validation.validator()
    t0 = time.perf_counter()
    for _ in range(n):
        assert v.is_valid(REPLY)
    cached = (time.perf_counter() - t0) / n
    print(f"jsonschema.validate: {plain * 1000:.2f} ms per reply; validator built once: {cached * 1000:.3f} ms ({plain / cached:.0f}x)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
