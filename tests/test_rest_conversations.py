"""The conversation cases of the issues, through the REST webhook of a running assistant (Rasa + action
server, the embedded default configuration), as a user's messages arrive. One server for the module."""
import itertools
import unicodedata

import pytest

from tests.conversation_runner import DEFAULT_DAY, load_cases
from tests.servers import assistant, say, text_of

FILES = ("informal.yml", "every_person.yml", "structure.yml")
CASES = [c for c in load_cases() if c["file"] in FILES and not c.get("known_gap")]
_senders = itertools.count()


@pytest.fixture(scope="module")
def rest(tmp_path_factory):
    # A rate limit that a whole module of cases from one machine cannot reach.
    with assistant(tmp_path_factory.mktemp("rest"), today=DEFAULT_DAY.isoformat(),
                   extra_env={"ANSINH_RATE_LIMIT": "1000/1"}) as port:
        yield port


def _norm(text):
    return unicodedata.normalize("NFC", text).lower()


@pytest.mark.parametrize("case", [pytest.param(c, id=f"{c['file']}::{c['name']}") for c in CASES])
def test_case_through_rest(case, rest):
    sender = f"rest-{next(_senders)}"
    for n, turn in enumerate(case["turns"], 1):
        replies = say(rest, sender, str(turn["user"]))
        said = text_of(replies)
        buttons = [b.get("title") for r in replies for b in (r.get("buttons") or [])]
        where = f"{case['name']}, turn {n} ({turn['user']!r}): {said[:300]!r}"
        for phrase in turn.get("must", []) or []:
            assert _norm(str(phrase)) in _norm(said), f"missing {phrase!r} in {where}"
        for phrase in turn.get("must_not", []) or []:
            assert _norm(str(phrase)) not in _norm(said), f"must not say {phrase!r} in {where}"
        for title in turn.get("buttons", []) or []:
            assert title in buttons, f"no button {title!r} in {where}"
        if turn.get("max_chars"):
            assert len(said) <= turn["max_chars"], where
