"""Worked examples checked by hand against ../shared/knowledge-facts.md."""
import datetime as dt

import pytest

from knowledge.calculators import health, pension, unemployment, vsi, withdrawal
from knowledge.errors import InvalidInput

NOV_2026 = dt.date(2026, 11, 25)
JUN_2026 = dt.date(2026, 6, 30)
JUL_2026 = dt.date(2026, 7, 1)
DEC_2026 = dt.date(2026, 12, 31)
JAN_2027 = dt.date(2027, 1, 1)


# --- voluntary social insurance ------------------------------------------------------------------------

@pytest.mark.parametrize(
    "income, group, gross, support, net",
    [
        (3_000_000, "near_poor", 660_000, 132_000, 528_000),  # the worked example
        (1_500_000, "poor", 330_000, 165_000, 165_000),
        (1_500_000, "near_poor", 330_000, 132_000, 198_000),
        (1_500_000, "ethnic_minority", 330_000, 99_000, 231_000),
        (1_500_000, "other", 330_000, 66_000, 264_000),
        (1_500_000, "island", 330_000, 165_000, 165_000),
        (2_000_000, "other", 440_000, 66_000, 374_000),
        (5_000_000, "poor", 1_100_000, 165_000, 935_000),
        (50_600_000, "other", 11_132_000, 66_000, 11_066_000),
        (2_500_000, "ethnic_minority", 550_000, 99_000, 451_000),
    ],
)
def test_vsi_monthly(income, group, gross, support, net):
    q = vsi.quote(NOV_2026, income, [group], 1)
    assert (q.gross_month, q.support_month, q.net_month) == (gross, support, net)


def test_vsi_highest_support_applies():
    q = vsi.quote(NOV_2026, 1_500_000, ["ethnic_minority", "near_poor"], 1)
    assert q.group == "near_poor" and q.support_month == 132_000


@pytest.mark.parametrize("period, deadline, net_period", [(3, 3, 1_584_000), (6, 4, 3_168_000), (12, 7, 6_336_000)])
def test_vsi_periods(period, deadline, net_period):
    q = vsi.quote(NOV_2026, 3_000_000, ["near_poor"], period)
    assert q.deadline_months == deadline
    assert q.net_period == net_period


def test_vsi_income_range_follows_base_salary_change():
    assert vsi.income_range(JUN_2026).maximum == 46_800_000
    assert vsi.income_range(JUL_2026).maximum == 50_600_000


def test_vsi_minimum_follows_poverty_line_change_with_caution():
    dec, jan = vsi.income_range(DEC_2026), vsi.income_range(JAN_2027)
    assert dec.minimum == 1_500_000 and not dec.cautions
    assert jan.minimum == 2_200_000 and jan.cautions
    assert vsi.quote(JAN_2027, 2_200_000, ["near_poor"]).support_month == 193_600


@pytest.mark.parametrize("income", [1_000_000, 60_000_000, 0, -5])
def test_vsi_out_of_range_income_is_explained(income):
    with pytest.raises(InvalidInput) as err:
        vsi.quote(NOV_2026, income, ["other"])
    assert err.value.field == "income" and err.value.limits["minimum"] == 1_500_000
    assert err.value.code == ("out_of_range" if income > 0 else "missing")


def test_vsi_payment_periods_come_from_the_deadline_parameter():
    assert vsi.payment_periods(NOV_2026) == (1, 3, 6, 12)


def test_vsi_rejects_unknown_period():
    with pytest.raises(InvalidInput):
        vsi.quote(NOV_2026, 3_000_000, ["other"], 2)


def test_vsi_june_maximum_is_rejected_above_old_cap():
    with pytest.raises(InvalidInput):
        vsi.quote(JUN_2026, 50_000_000, ["other"])


# --- household health insurance ----------------------------------------------------------------------

@pytest.mark.parametrize(
    "members, monthly",
    [(1, 113_850), (2, 193_545), (3, 261_855), (4, 318_780), (5, 364_320), (6, 409_860)],
)
def test_household_after_july_2026(members, monthly):
    assert health.household(JUL_2026, members).total_month == monthly


@pytest.mark.parametrize("members, monthly", [(1, 105_300), (3, 242_190), (5, 336_960)])
def test_household_before_july_2026(members, monthly):
    assert health.household(JUN_2026, members).total_month == monthly


def test_household_per_member_ladder_and_period():
    q = health.household(NOV_2026, 5, 12)
    assert q.per_member_month == (113_850, 79_695, 68_310, 56_925, 45_540)
    assert q.total_period == 364_320 * 12


@pytest.mark.parametrize("members", [0, -1, 31])
def test_household_invalid_members(members):
    with pytest.raises(InvalidInput):
        health.household(NOV_2026, members)


def test_household_monthly_period_not_allowed():
    with pytest.raises(InvalidInput):
        health.household(NOV_2026, 2, 1)


@pytest.mark.parametrize(
    "first_time, gap, valid_from",
    [(True, None, dt.date(2026, 12, 25)), (False, 90, dt.date(2026, 12, 25)), (False, 89, NOV_2026), (False, 0, NOV_2026)],
)
def test_card_waiting_period(first_time, gap, valid_from):
    assert health.card_valid_from(NOV_2026, first_time, gap).valid_from == valid_from


# --- unemployment ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "wage, months, region, monthly, duration",
    [
        (10_000_000, 30, None, 6_000_000, 3),  # the worked example
        (10_000_000, 12, None, 6_000_000, 3),
        (8_000_000, 36, None, 4_800_000, 3),
        (8_000_000, 48, None, 4_800_000, 4),
        (8_000_000, 47, None, 4_800_000, 3),
        (8_000_000, 144, None, 4_800_000, 12),
        (8_000_000, 200, None, 4_800_000, 12),
        (50_000_000, 24, "I", 26_550_000, 3),
        (50_000_000, 24, "IV", 18_500_000, 3),
        (40_000_000, 24, "I", 24_000_000, 3),
    ],
)
def test_unemployment(wage, months, region, monthly, duration):
    q = unemployment.benefit(NOV_2026, wage, months, region)
    assert (q.monthly, q.months) == (monthly, duration)
    assert q.filing_months == 3


def test_unemployment_not_eligible_under_12_months():
    q = unemployment.benefit(NOV_2026, 8_000_000, 11)
    assert not q.eligible and q.months == 0


def test_unemployment_asks_region_only_when_cap_may_bind():
    with pytest.raises(InvalidInput) as err:
        unemployment.benefit(NOV_2026, 40_000_000, 24)
    assert err.value.field == "region"


def test_unemployment_invalid_inputs():
    for args in [(0, 12), (8_000_000, -1), (8_000_000, 12, "V")]:
        with pytest.raises(InvalidInput):
            unemployment.benefit(NOV_2026, *args)


# --- pension ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "gender, year, month, age, reach",
    [
        ("male", 1965, 1, (61, 6), (2026, 7)),
        ("male", 1964, 10, (61, 6), (2026, 4)),
        ("female", 1969, 6, (57, 0), (2026, 6)),
        ("female", 1980, 1, (60, 0), (2040, 1)),
        ("male", 1975, 5, (62, 0), (2037, 5)),
        ("male", 1955, 3, (60, 0), (2015, 3)),
    ],
)
def test_retirement_age(gender, year, month, age, reach):
    r = pension.retirement_age(gender, year, month, NOV_2026)
    assert (r.years, r.months) == age and (r.year, r.month) == reach


@pytest.mark.parametrize(
    "gender, years, rate",
    [("female", 15, 0.45), ("female", 30, 0.75), ("female", 35, 0.75), ("male", 15, 0.40), ("male", 19, 0.44),
     ("male", 20, 0.45), ("male", 35, 0.75), ("male", 14, 0.0), ("female", 20, 0.55)],
)
def test_pension_rate(gender, years, rate):
    assert pension.pension_rate(gender, years, NOV_2026) == pytest.approx(rate)


def test_pension_estimate_woman_reaching_15_years():
    e = pension.estimate(NOV_2026, "female", 1980, 1, 5, [3_000_000])
    assert e.eligible and e.years_at_retirement == 18
    assert e.rate == pytest.approx(0.51)
    assert e.options[0].monthly_pension == 1_530_000


def test_pension_estimate_short_of_15_years_can_pay_shortfall():
    e = pension.estimate(NOV_2026, "male", 1966, 1, 10, [2_000_000])
    assert not e.eligible and e.years_missing == 5 and e.can_pay_shortfall  # 10 y + 11 months to 10/2027


def test_pension_invalid_birth_year():
    with pytest.raises(InvalidInput):
        pension.estimate(NOV_2026, "female", 2020, 1, 0, [2_000_000])


# --- one-time withdrawal ---------------------------------------------------------------------------------

def test_withdrawal_cases():
    assert withdrawal.check(NOV_2026, 10, paid_before_cutoff=True, months_without_contributing=12).cases == ["transitional"]
    assert not withdrawal.check(NOV_2026, 10, paid_before_cutoff=False, months_without_contributing=24).eligible
    assert not withdrawal.check(NOV_2026, 21, paid_before_cutoff=True, months_without_contributing=24).eligible
    c = withdrawal.check(NOV_2026, 8, serious_illness=True)
    assert c.cases == ["serious_illness"] and not c.support_refunded
    assert withdrawal.check(NOV_2026, 12, reached_retirement_age=True).cases == ["retirement_under_minimum"]
