"""Optimistic concurrency: an ETag per record, If-Match checked before any write.

The ETag is a hash of the record's JSON representation (its nested children included), so any
change made through the API, the admin, the loader or the shell changes it. The check runs in
the writing transaction with the row locked, so two writers holding the same ETag cannot both
pass it.
"""

import hashlib
import json

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.utils.encoders import JSONEncoder


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = (
        "The record changed since you read it (If-Match does not match its ETag). "
        "Fetch it again, reapply your change and retry."
    )
    default_code = "precondition_failed"


class PreconditionRequired(APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = "Send the record's ETag in If-Match to change or delete it."
    default_code = "precondition_required"


def etag_of(representation: dict) -> str:
    """A strong ETag for a record's representation."""
    text = json.dumps(representation, cls=JSONEncoder, sort_keys=True, separators=(",", ":"))
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def _tags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def check_if_match(header: str | None, current: str) -> None:
    """Raise 412 when If-Match names other versions, 428 when it is required and missing."""
    if header is None:
        if settings.API_REQUIRE_IF_MATCH:
            raise PreconditionRequired()
        return
    tags = _tags(header)
    if "*" in tags or current in tags:
        return
    raise PreconditionFailed()


def matches_if_none_match(header: str | None, current: str) -> bool:
    """True when a conditional GET may be answered 304 Not Modified (weak comparison)."""
    if not header:
        return False
    tags = [tag.removeprefix("W/") for tag in _tags(header)]
    return "*" in tags or current in tags
