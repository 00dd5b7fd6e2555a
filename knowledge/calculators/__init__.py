"""Pure calculators: each takes a date and inputs and returns amounts with the facts it used."""
