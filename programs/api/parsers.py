"""The API's JSON parser, bounded in size and nesting (``programs.bounds``).

DRF's parser reads the whole stream and hands it to ``json.loads``: a body sent without a
``Content-Length`` escapes the size check of ``RequestSizeLimitMiddleware``, and a couple of
kilobytes of nested brackets exhaust the interpreter's recursion (a 500). Here the body is read
up to the limit, and a document nested deeper than ``INPUT_MAX_NESTING`` is a 400.
"""

import json

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from programs.bounds import max_nesting, nested_deeper_than, nesting_too_deep


class BodyTooLarge(ParseError):
    status_code = 413
    default_detail = "The request body is too large."


class BoundedJSONParser(JSONParser):
    """JSON bodies of at most ``DATA_UPLOAD_MAX_MEMORY_SIZE`` bytes and ``INPUT_MAX_NESTING``
    levels of lists and objects."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(body) > limit:
            raise BodyTooLarge(f"The request body is too large (the limit is {limit} bytes).")
        try:
            data = json.loads(body.decode(encoding), parse_constant=_no_constant)
        except RecursionError:
            raise ParseError(nesting_too_deep()) from None
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from None
        if nested_deeper_than(data, max_nesting()):
            raise ParseError(nesting_too_deep())
        return data


def _no_constant(name: str):
    """``NaN`` and ``Infinity`` are not JSON (DRF's strict parser refuses them too)."""
    raise ValueError(f"{name} is not a JSON value")
