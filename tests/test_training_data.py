"""The training data holds no copy or close paraphrase of a real user question.

The real questions (../shared/data/real_questions_dev.jsonl) measure the assistant; a training example
that copies one of them, or follows its wording closely, would make the measure lie. An example is
flagged when, with diacritics folded, it shares a run of 12 words with a real question or its characters
match one, word by word, at a ratio of 0.6 or more (difflib). Our own examples reach 0.52 at most (a
short question sharing a real one's opening words), so the thresholds leave room for topic words ("bảo hiểm y tế hộ gia đình")
without letting a copied clause through.
"""
from __future__ import annotations

import difflib
import json
import re
from pathlib import Path

import pytest
import yaml

from knowledge.text import fold

ROOT = Path(__file__).resolve().parents[1]
REAL_QUESTIONS = ROOT.parent / "shared" / "data" / "real_questions_dev.jsonl"
SHARED_RUN = 12
RATIO = 0.6


def words(text: str) -> list[str]:
    return re.findall(r"\w+", fold(text).lower())


def runs(tokens: list[str], n: int = SHARED_RUN) -> set[tuple[str, ...]]:
    return {tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)}


def too_close(example: str | list[str], question: str | list[str]) -> bool:
    """Text or its words (folded once by the caller when it compares many pairs)."""
    a = words(example) if isinstance(example, str) else example
    b = words(question) if isinstance(question, str) else question
    if not a or not b or 2 * min(len(a), len(b)) / (len(a) + len(b)) < RATIO:
        return bool(runs(a) & runs(b))
    if runs(a) & runs(b):
        return True
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return matcher.quick_ratio() >= RATIO and matcher.ratio() >= RATIO


def training_examples():
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            for line in (block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    yield path.name, block.get("intent") or block.get("synonym") or block.get("lookup"), line[2:]


def test_the_guard_flags_a_copy_and_a_close_paraphrase_and_passes_a_rewrite():
    question = "Tôi đóng bảo hiểm xã hội bắt buộc được 7 năm, nay nghỉ việc về quê bán hàng, xin hỏi có đóng tiếp tự nguyện được không?"
    assert too_close(question, question)
    assert too_close("Toi dong bao hiem xa hoi bat buoc duoc 8 nam, nay nghi viec ve que ban hang, xin hoi co dong tiep tu nguyen duoc khong", question)
    assert not too_close("nghỉ làm công ty rồi thì đóng bhxh tự nguyện nối tiếp được ko", question)


@pytest.mark.skipif(not REAL_QUESTIONS.exists(), reason="the real questions are kept outside the project")
def test_no_training_example_copies_a_real_question():
    questions = [json.loads(line)["text"] for line in REAL_QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    folded = [(question, words(question)) for question in questions]
    close = [(name, intent, example[:80], question[:80])
             for name, intent, example in training_examples()
             for example_words in [words(example)]
             for question, question_words in folded if too_close(example_words, question_words)]
    assert not close, close
