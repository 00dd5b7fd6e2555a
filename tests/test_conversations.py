"""Conversation cases in YAML, run through the dialogue with the real NLU model (tests/conversation_runner.py)."""
import pytest

from tests.conversation_runner import MODEL, Parser, load_cases, run_case

CASES = load_cases()


@pytest.fixture(scope="module")
def parser():
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` first")
    return Parser()


def _param(case):
    # A case the assistant does not pass yet says why (`known_gap:`); it is expected to fail, strictly, so a
    # fix that makes it pass is noticed and the mark removed.
    marks = [pytest.mark.xfail(reason=case["known_gap"], strict=True)] if case.get("known_gap") else []
    return pytest.param(case, id=f"{case['file']}::{case['name']}", marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_conversation(case, parser):
    result = run_case(case, parser)
    assert result.passed, result.explain()


def test_a_wrong_answer_fails_a_case_and_names_the_turn(parser):
    case = {"name": "planted", "category": "x", "turns": [
        {"user": "đóng bhxh tự nguyện mỗi tháng bao nhiêu tiền", "must": ["22%"]},
        {"user": "nhà tôi 3 người mua bhyt hết bao nhiêu", "must": ["999.999 đồng"]},
    ]}
    result = run_case(case, parser)
    assert not result.passed
    assert "turn 2 [FAIL]" in result.explain() and "missing '999.999 đồng'" in result.explain()
