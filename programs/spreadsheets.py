"""Exported cells made safe to open in a spreadsheet (OWASP's CSV injection), for every export:
the API's CSV and XLSX (``programs.api.renderers``) and the admin's (``programs.imports.base``).
"""

import re
from typing import Any

#: A spreadsheet evaluates a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: A signed number written out in digits: data, not a formula, so left as it is.
PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def escape_formula(value: Any) -> Any:
    """Prefix ``'`` to a text cell a spreadsheet would evaluate; anything else as it is.

    Spreadsheets skip leading spaces and line breaks, so a trigger after them counts too. Only
    plain numbers (``-5``, ``+1.5``) are let through unprefixed: ``-1e3`` or ``-Infinity`` may
    be read as numbers by one spreadsheet and as formulae by another.
    """
    if not isinstance(value, str):
        return value
    triggered = value.startswith(FORMULA_STARTS) or value.lstrip().startswith(FORMULA_STARTS)
    if triggered and not PLAIN_NUMBER.match(value.strip()):
        return "'" + value
    return value
