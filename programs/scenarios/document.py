"""A scenario file's YAML document: its format, its keys in load order, and its top level."""

import datetime
from collections.abc import Callable
from typing import Any

import yaml
from django.core.exceptions import ValidationError

from programs import bounds

FORMAT = "gcaptrack-scenario/1"

#: The record keys of SPEC §4, in the order they are loaded.
KEY_ORDER = (
    "nations",
    "organisations",
    "ownership_stakes",
    "programmes",
    "participations",
    "contributions",
    "work_packages",
    "workshare",
    "decision_bodies",
    "leadership_roles",
    "decisions",
    "tech_transfers",
    "agreements",
)
TOP_LEVEL_KEYS = ("format", "as_of", *KEY_ORDER)
PROVENANCE = ("source", "confidence")
RELEASABLE_TO = "releasable_to"
#: Keys (nested ones included) whose records may state ``releasable_to``: all but nations, and
#: thresholds, which have no record of their own in the file (they follow their programme).
RELEASABLE_KEYS = frozenset(KEY_ORDER) - {"nations"} | {"seats", "votes"}

#: A value a record does not state, or states as something it cannot be.
MISSING = object()


class _SafeLoader(yaml.SafeLoader):
    """``yaml.safe_load``, except that a date-like scalar that is no date (2021-02-30) stays a
    string, so the record's own field reports it instead of the whole file failing."""


def _timestamp_or_string(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_SafeLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_string)


def read_document(
    raw: bytes, file_error: Callable[[str], None]
) -> tuple[dict, datetime.date | None]:
    """The file's top-level mapping and its ``as_of`` day (``{}, None`` when it is no scenario
    file); each error goes to ``file_error``. Touches no database."""
    try:
        data = yaml.load(raw, Loader=_SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        file_error(f"not valid YAML: {problem}{where}.")
        return {}, None
    except UnicodeDecodeError:
        file_error("not valid YAML: the file is not UTF-8 text.")
        return {}, None
    except RecursionError:
        file_error(bounds.nesting_too_deep())
        return {}, None
    if bounds.nested_deeper_than(data, bounds.max_nesting()):
        file_error(bounds.nesting_too_deep())
        return {}, None
    if not isinstance(data, dict):
        file_error(f"expected a mapping with 'format: {FORMAT}' at the top level.")
        return {}, None
    fmt = data.get("format")
    if fmt is None:
        file_error(f"format: missing; a scenario file starts with 'format: {FORMAT}'.")
        return {}, None
    if fmt != FORMAT:
        file_error(f"format: unsupported format {fmt!r}; expected {FORMAT!r}.")
        return {}, None
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            file_error(f"{key}: unknown key; expected one of: {', '.join(TOP_LEVEL_KEYS)}.")
    as_of = data.get("as_of")
    if isinstance(as_of, str):
        try:
            as_of = datetime.date.fromisoformat(as_of)
        except ValueError:
            as_of = MISSING
    if as_of is MISSING or not (as_of is None or isinstance(as_of, datetime.date)):
        file_error("as_of: expected an ISO date such as 2026-06-30.")
        as_of = None
    try:
        bounds.validate_day(as_of)
    except ValidationError as refused:
        file_error(f"as_of: {refused.messages[0]}")
        as_of = None
    return data, as_of
