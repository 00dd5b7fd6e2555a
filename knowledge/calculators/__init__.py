"""Pure calculators: each takes a date and inputs and returns data (amounts with the facts it used).

No Vietnamese text here: results and errors are data, worded by ``knowledge/content/``. Every legal
figure is read from ``knowledge/parameters/``; bounds of common sense are in ``plausible.py``.
"""
