"""Every number a user sees must come from knowledge/parameters/.

1. Render every content entry (every variant of it), every calculator result and every error message
   of the worked cases (tests/cases/calculators.yaml) twice more, with every number in every parameter
   changed: a number that reads the same in all renders did not come from the data, and the test
   names it. Dates (dd/mm/yyyy), list numbering and what the user typed are allowed.
2. The calculators hold no legal figure: a numeric literal other than 0, 1 and 12 (months in a year)
   in knowledge/calculators/ is named with its file and line (bounds of common sense live in
   plausible.py).
"""
import ast
import datetime as dt
import re
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from knowledge import content, parameters
from knowledge.calculators import plausible
from knowledge.calculators.specs import SPECS
from knowledge.errors import InvalidInput
from knowledge.money import format_number

DAYS = [dt.date(2026, 6, 30), dt.date(2026, 12, 1), dt.date(2027, 1, 1)]
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
DATE = re.compile(r"\b\d{1,2}/\d{2}/\d{4}\b|\b\d{1,2}/\d{4}\b")
ENUM = re.compile(r"(?m)^\s*\d+[.)]\s|Mẫu số \d+|\(ví dụ: [^)]*\)")
CASES = yaml.safe_load((Path(__file__).with_name("cases") / "calculators.yaml").read_text(encoding="utf-8"))
CALCULATORS = Path(__file__).resolve().parents[1] / "knowledge" / "calculators"
ALLOWED_LITERALS = {0, 1, 12}
# Entries that only wrap data given to them (citations) or need inputs the dialogue supplies.
SKIP_PREFIXES = ("basis.",)
NEEDS_INPUTS: dict = {}  # entries that need inputs give them as `variants:` in their content file


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
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            d = dt.date.fromisoformat(value)
            return d.replace(year=d.year - a).isoformat()
        return value
    if isinstance(value, dict):
        return {k: _perturb(v, a, b) for k, v in value.items()}
    if isinstance(value, list):
        return [_perturb(v, a, b) for v in value]
    return value


def _shift(value, by=1):
    if isinstance(value, dict):
        return {(k + by if isinstance(k, int) else k): _shift(v, by) for k, v in value.items()}
    if isinstance(value, list):
        return [v + by if isinstance(v, int) else v for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return value + by
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        d = dt.date.fromisoformat(value)
        return d.replace(year=d.year - by).isoformat()
    return value


# Two different changes of every number: a figure that survives both is a literal.
PERTURBATIONS = [(3, 7), (5, 11)]
STRUCTURAL = ("retirement_age_roadmap", "vsi_payment_deadline_months", "hi_payment_periods", "lump_sum_transitional")


def _perturbed_registry(a, b):
    reg = {}
    for name, p in parameters.load().items():
        if name in STRUCTURAL:
            # Month counts keyed by period, a roadmap: shifted, not multiplied, so the rules stay coherent
            # (ages by more than a year, so that the years shown change too).
            by = 13 * b if name == "retirement_age_roadmap" else b
            values = [(d, _shift(v, by)) for d, v in p.values]
        else:
            values = [(d, _perturb(v, a, b)) for d, v in p.values]
        reg[name] = replace(p, values=values)
    return reg


def _safe(fn):
    try:
        return fn()
    except InvalidInput as err:
        return content.render(err.content_key, DAY_OF[0], err.limits).text
    except Exception as err:  # noqa: BLE001 - a perturbed rule may not apply; that text differs anyway
        return f"<{type(err).__name__}>"


DAY_OF = [DAYS[0]]


def _render_all():
    """(key, variant, day) -> text, for every entry, every variant and every worked case."""
    texts = {}
    c = content.content()
    for day in DAYS:
        DAY_OF[0] = day
        for key, entry in c.entries.items():
            if key.startswith(SKIP_PREFIXES) or key.startswith("error."):
                continue  # error messages are rendered from the worked cases below
            for n, inputs in enumerate(entry.variants or [NEEDS_INPUTS.get(key, {})]):
                rendered = _safe(lambda: content.render(key, day, inputs))
                text = rendered if isinstance(rendered, str) else rendered.text + "\n" + rendered.more
                texts[(key, n, day)] = (text, inputs)
        for case in CASES:
            spec = SPECS[case["calculator"]]
            on = dt.date.fromisoformat(str(case["date"]))
            DAY_OF[0] = on

            def run(spec=spec, on=on, case=case):
                return content.render(spec.result_entry, on, case["inputs"], data=spec.compute(on, case["inputs"])).text

            texts[("case", case["name"], on)] = (_safe(run), case["inputs"])
    return texts


def _numbers_in(value):
    if isinstance(value, dict):
        return set().union(*(_numbers_in(v) for v in value.values())) if value else set()
    if isinstance(value, (list, tuple)):
        return set().union(*(_numbers_in(v) for v in value)) if value else set()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return set(NUMBER.findall(str(value)))
    out = {format_number(int(value)), str(int(value))} if float(value).is_integer() else {str(value).replace(".", ",")}
    if float(value).is_integer() and 0 <= value <= 100:
        out |= {str(i) for i in range(int(value) + 1)}  # counts derived from a count the user gave
    return out


def _allowed(inputs, day):
    plausible_bounds = {v for k, v in vars(plausible).items() if k.isupper()}
    allowed = {str(day.year)} | _numbers_in(inputs) | _numbers_in(sorted(plausible_bounds))
    allowed |= {str(day.year - v) for v in plausible_bounds}  # e.g. the latest plausible birth year
    birth = inputs.get("birth") if isinstance(inputs, dict) else None
    if isinstance(birth, dict) and birth.get("year"):
        # The person's age today comes from the birth date they gave, not from the law.
        allowed |= {str(day.year - int(birth["year"]) + d) for d in (-1, 0)}
    return allowed


def _figures(text):
    body = DATE.sub(" ", text)
    body = ENUM.sub(" ", body)
    return NUMBER.findall(body)


def _unchanged(before, after):
    if len(before) == len(after):  # same template branch: compare figure by figure
        return {x for x, y in zip(before, after) if x == y}
    return set(before) & set(after)


def test_no_number_in_any_answer_is_a_literal(monkeypatch):
    real = _render_all()
    renders = []
    for a, b in PERTURBATIONS:
        registry = _perturbed_registry(a, b)
        monkeypatch.setattr(parameters, "registry", lambda registry=registry: registry)
        renders.append(_render_all())
    literals = {}
    for key, (text, inputs) in real.items():
        before = _figures(text)
        same = set.intersection(*(_unchanged(before, _figures(r[key][0])) for r in renders))
        same -= _allowed(inputs, key[2])
        if same:
            literals[key] = (sorted(same), text[:200])
    assert not literals, f"numbers that do not come from knowledge/parameters/: {literals}"


def test_every_entry_renders_on_the_days_the_rules_change():
    """The test above would pass on an entry that always fails: check each renders for real."""
    c = content.content()
    for day in DAYS:
        for key, entry in c.entries.items():
            if key.startswith(SKIP_PREFIXES) or key.startswith("error.") or key.startswith("calc.") and entry.view:
                continue
            for inputs in entry.variants or [NEEDS_INPUTS.get(key, {})]:
                assert content.render(key, day, inputs).text, (key, day)


def _literals(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            if node.value not in ALLOWED_LITERALS:
                yield node.lineno, node.value


def test_no_legal_figure_is_typed_into_a_calculator():
    found = [
        f"{path.relative_to(CALCULATORS.parents[1])}:{line}: {value}"
        for path in sorted(CALCULATORS.glob("*.py"))
        if path.name != "plausible.py"
        for line, value in _literals(path)
    ]
    assert not found, f"figures typed into calculators (take them from knowledge/parameters/): {found}"


def test_the_literal_scan_sees_a_planted_figure(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text("def f(years):\n    return years >= 15\n")
    assert list(_literals(planted)) == [(2, 15)]


def test_every_fact_used_has_basis_and_source():
    for name, p in parameters.load().items():
        fact = p.at(p.values[-1][0]) if p.values[-1][1] is not None else p.at(p.values[0][0])
        assert fact.references, name
        for r in fact.references:
            assert r.document and r.href.startswith("http"), name
            assert r.articles or r.note or fact.is_contact, name


def test_loader_refuses_a_fact_without_source(tmp_path):
    (tmp_path / "bad.yaml").write_text(
        "x:\n  description: d\n  label: l\n  unit: u\n  status: verified\n  values: {2025-01-01: 1}\n"
        "  references:\n    - document: Luật Việc làm 74/2025/QH15\n      articles: [Điều 1]\n"
    )
    with pytest.raises(parameters.ParameterError):
        parameters.load(tmp_path)
