"""OpenAPI generation (drf-spectacular) that tells the whole truth about the API.

On top of what drf-spectacular infers, every operation documents the errors it can answer
(always JSON), CSV and XLSX bodies are documented as what they are (text and binary, lists
unpaginated), the ``format`` parameter is declared, and conditional requests are described:
``ETag`` on reads and writes, ``If-Match`` on PUT/PATCH/DELETE, ``If-None-Match`` on retrieve.
"""

from typing import Any, Literal

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.plumbing import ResolvedComponent

from programs.api.renderers import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE
from programs.change_reasons import HEADER as CHANGE_REASON_HEADER
from programs.change_reasons import REASON_MAX_LENGTH

JSON = "application/json"

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "A list of messages per field (nested lists for seats, votes and stakes); "
    "`non_field_errors` for messages about the record as a whole.",
    "additionalProperties": {},
}
FORMAT_DESCRIPTION = (
    "Response format (errors are always JSON). For a list, csv and xlsx hold every row matching "
    "the filters, in the requested order, unpaginated; CSV is streamed, UTF-8 with a byte-order "
    "mark. Cells that a spreadsheet would read as a formula are prefixed with an apostrophe. "
    "Another format is a 400 naming `format`."
)
ETAG_HEADER = {
    "ETag": {
        "schema": {"type": "string"},
        "description": "The record's version; send it back in If-Match to change it.",
    }
}

ERRORS = {
    "400": "The request is invalid (by field; `format` for a format the endpoint does not "
    "offer); nothing was written.",
    "401": "No credentials, or an unknown, revoked or expired token.",
    "403": "Signed in, but this user may not do this.",
    "404": "No such record (or page or cursor).",
    "406": "The Accept header asks for a format the API does not produce.",
    "409": "Other records refer to this one, or a concurrent change conflicted.",
    "412": "If-Match does not match the record's current ETag; nothing was written.",
    "428": "If-Match is required (API_REQUIRE_IF_MATCH) and was not sent.",
    "429": "Too many requests for this user; retry after the Retry-After header's seconds.",
}


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "programs.api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A per-user API token: `Authorization: Bearer gct_…` "
            "(create one with POST /api/v1/tokens/).",
        }


class AutoSchema(BaseAutoSchema):
    def _renders(self, media_type: str) -> bool:
        return media_type in self.map_renderers("media_type")

    def _action(self) -> str | None:
        return getattr(self.view, "action", None)

    def _takes_change_reason(self) -> bool:
        return getattr(self.view, "takes_change_reason", False)

    def _conditional(self) -> bool:
        return getattr(self.view, "etag_versioned", False)

    def _component(self, name: str, schema: dict) -> dict:
        component = ResolvedComponent(
            name=name, type=ResolvedComponent.SCHEMA, schema=schema, object=name
        )
        self.registry.register_on_missing(component)
        return component.ref

    def _error_codes(self) -> list[str]:
        # 400 everywhere: a `format` the endpoint does not offer is refused on that field.
        codes = ["400", "401", "403", "404", "406", "429"]
        action = self._action()
        if self.method in ("POST", "PUT", "PATCH", "DELETE") and action != "scan":
            codes.append("409")
        if self._conditional() and self.method in ("PUT", "PATCH", "DELETE"):
            codes += ["412", "428"]
        return sorted(codes)

    def _get_parameters(self) -> list[dict]:
        parameters = super()._get_parameters()
        action = self._action()
        for parameter in parameters:
            if parameter["name"] == "format" and parameter["in"] == "query":
                parameter["description"] = FORMAT_DESCRIPTION
        if self._conditional() and self.method in ("PUT", "PATCH", "DELETE"):
            parameters.append(
                {
                    "in": "header",
                    "name": "If-Match",
                    "schema": {"type": "string"},
                    "description": "The ETag read with the record: the write happens only if "
                    "the record is still at that version (else 412).",
                }
            )
        if self._takes_change_reason() and self.method in ("POST", "PUT", "PATCH", "DELETE"):
            parameters.append(
                {
                    "in": "header",
                    "name": CHANGE_REASON_HEADER,
                    "schema": {"type": "string", "maxLength": REASON_MAX_LENGTH},
                    "description": "Why the record changes, kept in its history (or a "
                    "`change_reason` field in the body). Required for contributions, workshare, "
                    "participations, leadership roles, seats, decisions, votes, tech transfers "
                    "and agreements: without it, 400 naming `change_reason` with any other "
                    "bad field.",
                }
            )
        if self._conditional() and action == "retrieve":
            parameters.append(
                {
                    "in": "header",
                    "name": "If-None-Match",
                    "schema": {"type": "string"},
                    "description": "An ETag: 304 with no body when the record still has it.",
                }
            )
        return parameters

    def _get_response_bodies(self, direction: Literal["request", "response"] = "response") -> dict:
        responses = super()._get_response_bodies(direction)
        action = self._action()
        for code, response in responses.items():
            content = response.get("content", {})
            if code.startswith("2") and CSV_MEDIA_TYPE in content:
                content[CSV_MEDIA_TYPE] = {"schema": {"type": "string"}}
            if code.startswith("2") and XLSX_MEDIA_TYPE in content:
                content[XLSX_MEDIA_TYPE] = {"schema": {"type": "string", "format": "binary"}}
            if self._conditional() and action in ("retrieve", "create", "update", "partial_update"):
                response.setdefault("headers", {}).update(ETAG_HEADER)
        if self._conditional() and action == "retrieve":
            responses["304"] = {
                "description": "Not modified (If-None-Match matched).",
                "headers": ETAG_HEADER,
            }
        error_ref = self._component("Error", ERROR_SCHEMA)
        validation_ref = self._component("ValidationErrors", VALIDATION_ERROR_SCHEMA)
        for code in self._error_codes():
            if code in responses and responses[code].get("content"):
                continue
            schema = validation_ref if code == "400" else error_ref
            responses[code] = {"description": ERRORS[code], "content": {JSON: {"schema": schema}}}
        return dict(sorted(responses.items()))
