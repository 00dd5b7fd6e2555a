"""Bounds of common sense on what a user types, and presentation choices: not legal figures, so they live here and not in
``knowledge/parameters/``. An input outside them is a typing mistake, and the user is asked again."""

MAX_HOUSEHOLD_MEMBERS = 30
EARLIEST_BIRTH_YEAR = 1930
MIN_AGE_YEARS = 15
MAX_YEARS_PAID = 60
MAX_MONTHLY_WAGE = 2_000_000_000
MAX_MONTHS_PAID = 600

# Presentation choices, not legal figures either.
RATE_DECIMALS = 4  # a pension rate is kept to 0.01%
COMPARE_INCOME_FACTOR = 2  # a pension estimate sets a higher income (twice the user's) beside theirs
MAX_INCOME_OPTIONS = 3
