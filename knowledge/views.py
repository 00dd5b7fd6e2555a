"""Views: the data an answer shows that needs computing, as pure functions of (day, inputs).

A content entry names its view (``view: vsi_overview``) and shows its fields as ``r.<field>``; the
loader checks every such field against the dataclass the view returns. Calculator results are views
too (``vsi_quote`` ...), registered by the calculator specs. No Vietnamese text here.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from knowledge import parameters as P
from knowledge import referral
from knowledge.calculators import health, pension, vsi, withdrawal

VIEWS: Dict[str, Callable[..., Any]] = {}


def view(fn: Callable[..., Any]) -> Callable[..., Any]:
    VIEWS[fn.__name__] = fn
    return fn


@dataclass(frozen=True)
class VsiOverview:
    minimum: int
    maximum: int
    max_multiple: int
    lowest: vsi.VsiQuote
    highest: vsi.VsiQuote
    facts: tuple = field(repr=False)


@view
def vsi_overview(on: dt.date, inputs: Mapping[str, Any]) -> VsiOverview:
    """The income range and what the lowest and highest incomes cost an ordinary participant."""
    rng = vsi.income_range(on)
    period = vsi.shortest_period(on)
    lo = vsi.quote(on, rng.minimum, ["other"], period)
    hi = vsi.quote(on, rng.maximum, ["other"], period)
    return VsiOverview(rng.minimum, rng.maximum, rng.max_multiple, lo, hi, lo.facts)


@dataclass(frozen=True)
class VsiSupport:
    minimum: int
    rows: Tuple[vsi.SupportRow, ...]
    group: Optional[str]
    group_quote: Optional[vsi.VsiQuote]
    facts: tuple = field(repr=False)


@view
def vsi_support(on: dt.date, inputs: Mapping[str, Any]) -> VsiSupport:
    """State support per group; for the asker's own group when it is known."""
    rng = vsi.income_range(on)
    group = inputs.get("group")
    rows = vsi.support_table(on)
    q = vsi.quote(on, rng.minimum, [group], vsi.shortest_period(on)) if group in {r.group for r in rows} else None
    return VsiSupport(rng.minimum, rows, group if q else None, q, (P.get("vsi_support_rate", on),) + rng.facts)


@dataclass(frozen=True)
class RetirementRules:
    year: int
    male_age_months: int
    female_age_months: int
    male_final_months: int
    female_final_months: int
    facts: tuple = field(repr=False)


@view
def retirement_rules(on: dt.date, inputs: Mapping[str, Any]) -> RetirementRules:
    """The normal retirement age this year and the age it rises to, for men and women."""
    return RetirementRules(
        on.year,
        pension.roadmap_age_months("male", on.year, on),
        pension.roadmap_age_months("female", on.year, on),
        pension.final_age_months("male", on),
        pension.final_age_months("female", on),
        (P.get("retirement_age_roadmap", on),),
    )


@dataclass(frozen=True)
class PensionRates:
    female_base_years: int
    female_base_rate: float
    male_base_years: int
    male_base_rate: float
    male_bridge_step: float
    male_bridge_years: int
    male_bridge_rate: float
    step_per_year: float
    max_rate: float
    facts: tuple = field(repr=False)


@view
def pension_rates(on: dt.date, inputs: Mapping[str, Any]) -> PensionRates:
    """The pension rate by years paid, as the pension calculator applies it."""
    rule = P.get("pension_rate", on)
    r = rule.value
    bridge = r["male"]["bridge_until_years"]
    return PensionRates(
        r["female"]["base_years"],
        pension.pension_rate("female", r["female"]["base_years"], on),
        r["male"]["base_years"],
        pension.pension_rate("male", r["male"]["base_years"], on),
        r["male"]["bridge_step"],
        bridge,
        pension.pension_rate("male", bridge, on),
        r["step_per_year"],
        r["max_rate"],
        (rule,),
    )


@view
def household_ladder(on: dt.date, inputs: Mapping[str, Any]) -> health.HouseholdQuote:
    """What each member pays, as far down the ladder as it goes (the last share repeats)."""
    return health.household(on, len(P.value("hi_household_ladder", on)))


@dataclass(frozen=True)
class RegionalCap:
    region: str
    minimum_wage: int
    cap: int


@dataclass(frozen=True)
class UnemploymentCaps:
    rows: Tuple[RegionalCap, ...]
    facts: tuple = field(repr=False)


@view
def unemployment_caps(on: dt.date, inputs: Mapping[str, Any]) -> UnemploymentCaps:
    """The highest monthly benefit in each minimum-wage region."""
    mult = P.get("ui_benefit_cap_multiple", on)
    wages = P.get("regional_minimum_wage", on)
    rows = tuple(RegionalCap(r, int(w), int(mult.value * w)) for r, w in wages.value.items())
    return UnemploymentCaps(rows, (mult, wages))


@dataclass(frozen=True)
class PensionOverview:
    ages: RetirementRules
    rates: PensionRates
    facts: tuple = field(repr=False)


@view
def pension_overview(on: dt.date, inputs: Mapping[str, Any]) -> PensionOverview:
    """The two conditions for a pension and how its amount is computed."""
    ages, rates = retirement_rules(on, inputs), pension_rates(on, inputs)
    return PensionOverview(ages, rates, ages.facts + rates.facts)


@dataclass(frozen=True)
class Referral:
    """Where to go for a problem in a province (contacts only where the directory cites a source)."""

    province: str
    name: str  # the unit's name without "TP"
    is_city: bool  # a centrally-run city on the day asked
    former: Optional[str]  # the old province name the user used, if any
    problem: str
    offices: Tuple[referral.Office, ...]
    all_have_phone: bool
    facts: tuple = field(repr=False)


@view
def referral_offices(on: dt.date, inputs: Mapping[str, Any]) -> Referral:
    """The offices for ``problem`` in ``province`` (a current unit); ``former``: the old name used."""
    problem = inputs.get("problem") or "dispute"
    province = referral.find(str(inputs.get("province") or ""))
    offices = tuple(referral.offices_for(province, problem))
    laws = {"dispute": ("legal_aid_law", "union_legal_support_law"), "unemployment": ("ui_eligibility",)}
    name = province.name[3:] if province.name.startswith("TP ") else province.name
    facts = tuple(P.get(n, on) for n in laws.get(problem, ())) + ((province.city_fact(on),) if inputs.get("former") else ())
    return Referral(
        province.name, name, province.is_city(on), inputs.get("former"), problem, offices,
        all(o.phone for o in offices), facts,
    )


@dataclass(frozen=True)
class WithdrawalForPerson:
    """The one-time withdrawal rule applied to what the person said (years paid, since when, stopped when)."""

    known: bool  # the person said how long they paid
    years_paid: Optional[float]
    months_without_contributing: Optional[int]
    paid_before_cutoff: Optional[bool]
    cases: Tuple[str, ...]
    transitional_in_months: Optional[int]  # months still to wait without paying for the transitional case
    over_transitional_years: bool  # paid too long for the transitional case
    facts: tuple = field(repr=False)


@view
def withdrawal_for_person(on: dt.date, inputs: Mapping[str, Any]) -> WithdrawalForPerson:
    """Which withdrawal cases fit the asker, from the situation's facts (none known: the rule only)."""
    years = inputs.get("years_paid")
    rule_f = P.get("lump_sum_transitional", on)
    rule = rule_f.value
    cutoff = dt.date.fromisoformat(str(rule["cutoff"]))
    joined = inputs.get("joined_year")
    stopped_year, stopped_month = inputs.get("stopped_year"), inputs.get("stopped_month") or 1
    paid_before = None
    if joined:
        paid_before = dt.date(int(joined), int(inputs.get("joined_month") or 1), 1) < cutoff
    elif stopped_year:
        paid_before = dt.date(int(stopped_year), int(stopped_month), 1) < cutoff
    months_without = None
    if stopped_year:
        months_without = max(0, (on.year - int(stopped_year)) * 12 + on.month - int(stopped_month))
    if years is None:
        # How long is not known; starting after the cutoff already decides the case of stopping.
        return WithdrawalForPerson(paid_before is False, None, months_without, paid_before, (), None, False, (rule_f,))
    result = withdrawal.check(on, float(years), paid_before_cutoff=paid_before,
                              months_without_contributing=months_without or 0)
    waiting = None
    over = float(years) >= rule["max_years"]
    if paid_before and not over and "transitional" not in result.cases:
        waiting = rule["months_without_contributing"] - (months_without or 0)
    return WithdrawalForPerson(True, float(years), months_without, paid_before, tuple(result.cases), waiting, over,
                               tuple(result.facts))


# Calculator results are views too: the content entry calc.<name>.result shows r.<field> of them.
from knowledge.calculators.specs import SPECS  # noqa: E402

for _spec in SPECS.values():
    VIEWS[_spec.view] = _spec.compute
