"""Bounds on what users may send: days, nesting of JSON and YAML documents.

Every parser of user input (the API's JSON parser and query strings, the dashboards' query
strings, the admin's and the loader's model validation, the commands' options) checks its values
here, so an absurd value is refused where it comes in, with a message naming the field, instead
of overflowing later in date arithmetic or the parser's recursion.
"""

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError

#: The range of days any date entered may fall in: records of programmes span the twentieth and
#: twenty-first centuries, and date arithmetic (a day minus an overdue period) stays in range.
EARLIEST_DAY = datetime.date(1900, 1, 1)
LATEST_DAY = datetime.date(2200, 12, 31)

DAY_OUT_OF_RANGE = f"Enter a date between {EARLIEST_DAY.isoformat()} and {LATEST_DAY.isoformat()}."


#: The widest UTC offset a place on Earth keeps (Kiribati's +14:00). Python parses offsets up
#: to a day, but PostgreSQL refuses any beyond 15:59, so a wider one would reach it as a 500.
WIDEST_UTC_OFFSET = datetime.timedelta(hours=14)
OFFSET_OUT_OF_RANGE = "Enter a time with a UTC offset between -14:00 and +14:00."


def validate_day(value: datetime.date | datetime.datetime | None) -> None:
    """A Django validator: the day (of a date or a date and time) lies within the sane range,
    and a date and time has a UTC offset some place keeps."""
    if value is None:
        return
    day = value.date() if isinstance(value, datetime.datetime) else value
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValidationError(DAY_OUT_OF_RANGE, code="day_out_of_range")
    offset = value.utcoffset() if isinstance(value, datetime.datetime) else None
    if offset is not None and abs(offset) > WIDEST_UTC_OFFSET:
        raise ValidationError(OFFSET_OUT_OF_RANGE, code="offset_out_of_range")


def parse_day(text: str) -> datetime.date:
    """A ``YYYY-MM-DD`` day within the sane range; ``ValueError`` with the reason otherwise."""
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date in YYYY-MM-DD form.") from None
    try:
        validate_day(day)
    except ValidationError:
        raise ValueError(f"{text!r} is out of range. {DAY_OUT_OF_RANGE}") from None
    return day


def max_nesting() -> int:
    """How deeply lists and mappings may nest in a JSON body or a scenario file."""
    return settings.INPUT_MAX_NESTING


def nesting_too_deep(limit: int | None = None) -> str:
    return f"The document is nested too deeply (more than {limit or max_nesting()} levels)."


def nested_deeper_than(value: object, limit: int) -> bool:
    """Whether lists and mappings in ``value`` go more than ``limit`` levels deep.

    Walks without recursion and stops at the first container past the limit. A container
    reached again (a YAML alias) is walked again only when reached deeper than before, so
    a self-referencing alias ends as too deep and shared ones cost little.
    """
    reached: dict[int, int] = {}
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        children: Iterable[object]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        depth += 1
        if depth > limit:
            return True
        if reached.get(id(item), 0) >= depth:
            continue
        reached[id(item)] = depth
        stack.extend((child, depth) for child in children)
    return False
