"""Every number a user sees must come from knowledge/.

Render every answer and every calculator result twice: with the real parameters, and with every
number in every parameter changed. A number that reads the same in both renders did not come from
the data: it is a literal in the text, and the test names it. Citations (the basis line) and the
cautions are data themselves and are skipped; dates (dd/mm/yyyy) are allowed.
"""
import datetime as dt
import re
from dataclasses import replace

import pytest

from actions.dialogue import Turn, respond
from bot.parsing import extract
from knowledge import answers, parameters
from knowledge.money import format_number

DAY = dt.date(2026, 11, 25)
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
DATE = re.compile(r"\b\d{2}/\d{2}/\d{4}\b|\b\d{2}/\d{4}\b")
# Enumeration markers ("1. ", "2) "), form numbers and inline citations are not figures.
ENUM = re.compile(r"(?m)^\s*\d+[.)]\s|\s\d+\)\s|Mẫu số \d+|Điều \d+(?: khoản \d+)?")

CALCULATIONS = [
    ("thu nhập 3 triệu, hộ cận nghèo, đóng 6 tháng một lần thì bao nhiêu", "vsi_contribution"),
    ("nhà tôi 5 người mua bhyt hết bao nhiêu", "hi_household"),
    ("lương 10 triệu đóng bhtn 30 tháng được bao nhiêu", "ui_benefit_amount"),
    ("lương 50 triệu đóng bhtn 50 tháng vùng 1 được bao nhiêu", "ui_benefit_amount"),
    ("Tôi ở Long An, công ty nợ lương thì hỏi ai?", "wage_arrears"),
]


def _perturb(value, a, b):
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value * a + b
    if isinstance(value, float):
        return round(value * (1 + a / 10) + b / 1000, 4) if value < 1 else value * a + b
    if isinstance(value, str):
        if re.search(r"\d", value) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return re.sub(r"\d", lambda m: str((int(m.group()) + a) % 10), value)
        return value
    if isinstance(value, dict):
        return {k: _perturb(v, a, b) for k, v in value.items()}
    if isinstance(value, list):
        return [_perturb(v, a, b) for v in value]
    return value


# Two different changes of every number: a figure that survives both is a literal.
PERTURBATIONS = [(3, 7), (5, 11)]


def _perturbed_registry(a, b):
    reg = {}
    for name, p in parameters.load().items():
        if name in ("retirement_age_roadmap", "vsi_payment_deadline_months", "hi_payment_periods", "lump_sum_transitional"):
            # Structural rules (month counts keyed by period, a roadmap): shifted, not multiplied.
            values = [(d, _shift(v, 10 * b)) for d, v in p.values]
        else:
            values = [(d, _perturb(v, a, b)) for d, v in p.values]
        reg[name] = replace(p, values=values)
    return reg


def _shift(value, by=1):
    if isinstance(value, dict):
        return {(k + by if isinstance(k, int) else k): _shift(v, by) for k, v in value.items()}
    if isinstance(value, list):
        return [v + by if isinstance(v, int) else v for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return value + by
    return value


def _render_all():
    texts = {}
    for topic in answers.TOPICS:
        texts[topic] = answers.answer(topic, DAY, {}).render()
    for text, intent in CALCULATIONS:
        entities = [{"entity": f.entity, "start": f.start, "end": f.end, "value": f.value, "text": f.text} for f in extract(text)]
        reply = respond(Turn(intent, text, entities, {}, DAY))
        texts[text] = "\n\n".join(m for m, _ in reply.messages)
    return texts


def _inputs(key):
    """Numbers the user typed (echoed back in a calculation) are not literals."""
    allowed = {str(DAY.year)}
    if key in dict(CALCULATIONS):
        allowed |= set(NUMBER.findall(key))
        allowed |= {format_number(f.value) for f in extract(key) if isinstance(f.value, int)}
    return allowed


def _figures(text):
    body = "\n".join(
        line for line in text.split("\n") if not line.startswith(("📘", "⚠️"))
    )
    body = DATE.sub(" ", body)
    body = ENUM.sub(" ", body)
    return NUMBER.findall(body)


def _unchanged(before, after):
    if len(before) == len(after):  # same template: compare figure by figure
        return {x for x, y in zip(before, after) if x == y}
    return set(before) & set(after)


def test_no_number_in_answers_is_a_literal(monkeypatch):
    real = _render_all()
    renders = []
    for a, b in PERTURBATIONS:
        registry = _perturbed_registry(a, b)
        monkeypatch.setattr(parameters, "registry", lambda registry=registry: registry)
        renders.append(_render_all())
    literals = {}
    for key, text in real.items():
        before = _figures(text)
        same = set.intersection(*(_unchanged(before, _figures(r[key])) for r in renders))
        same -= _inputs(key)
        if same:
            literals[key] = sorted(same)
    assert not literals, f"numbers that do not come from knowledge/: {literals}"


def test_every_fact_used_has_basis_and_source():
    for name, p in parameters.load().items():
        fact = p.at(p.values[-1][0]) if p.values[-1][1] is not None else p.at(p.values[0][0])
        assert fact.references, name
        for r in fact.references:
            assert r.document and (r.articles or fact.is_contact) and r.href.startswith("http"), name


def test_loader_refuses_a_fact_without_source(tmp_path):
    (tmp_path / "bad.yaml").write_text(
        "x:\n  description: d\n  label: l\n  unit: u\n  status: verified\n  values: {2025-01-01: 1}\n"
        "  references:\n    - document: Luật\n      articles: [Điều 1]\n"
    )
    with pytest.raises(parameters.ParameterError):
        parameters.load(tmp_path)


@pytest.mark.parametrize("day", [dt.date(2026, 6, 30), dt.date(2026, 7, 1), dt.date(2026, 12, 31), dt.date(2027, 1, 1)])
def test_every_topic_answers_on_the_days_the_rules_change(day):
    for topic, render in answers.TOPICS.items():
        answer = render(day, {})
        assert answer.text and answer.facts, topic
        # Each cited fact is the one in force that day.
        for fact in answer.facts:
            assert parameters.get(fact.name, day).value == fact.value, (topic, fact.name)
