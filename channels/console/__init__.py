"""The staff console: union officers, supervisors and programme managers (aiohttp, Jinja2)."""
