"""Worked calculator cases (tests/cases/calculators.yaml), run through the calculator specs."""
import datetime as dt
from pathlib import Path

import pytest
import yaml

from knowledge import content
from knowledge.calculators.specs import SPECS
from knowledge.errors import InvalidInput

CASES = yaml.safe_load((Path(__file__).with_name("cases") / "calculators.yaml").read_text(encoding="utf-8"))


def _get(obj, dotted):
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def load_cases():
    return [pytest.param(c, id=c["name"]) for c in CASES]


@pytest.mark.parametrize("case", load_cases())
def test_worked_case(case):
    on = dt.date.fromisoformat(str(case["date"]))
    spec = SPECS[case["calculator"]]
    assert case.get("basis"), "every worked case names the article it checks"
    if "error" in case:
        expected = dict(case["error"])
        with pytest.raises(InvalidInput) as err:
            spec.compute(on, case["inputs"])
        assert (err.value.field, err.value.code) == (expected.pop("field"), expected.pop("code"))
        for key, value in expected.items():
            assert err.value.limits[key] == value, key
        # The error reads as a message for the user.
        assert content.render(err.value.content_key, on, err.value.limits).text
        return
    result = spec.compute(on, case["inputs"])
    for key, value in case["expect"].items():
        got = _get(result, key)
        if isinstance(value, float):
            assert got == pytest.approx(value), key
        elif isinstance(value, list):
            assert list(got) == value, key
        else:
            assert got == value, key
    assert content.render(spec.result_entry, on, case["inputs"], data=result).text


def test_every_calculator_and_every_error_code_has_a_worked_case():
    names = {c["calculator"] for c in CASES}
    assert names == set(SPECS)
    errors = {f"error.{c['error']['field']}.{c['error']['code']}" for c in CASES if "error" in c}
    for key in content.content().entries:
        if key.startswith("error.") and key not in ("error.province.unknown", "error.gap_days.negative", "error.group.unknown", "error.hi_period.unknown", "error.income.missing", "error.wage.missing", "error.gender.missing", "error.region.unknown"):
            assert key in errors, f"{key} has no worked case"
