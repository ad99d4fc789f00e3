"""``GET /api/v1/changes/``: the change log (``programs.changelog``) as a paged JSON list.

The filters are the change log page's (programme and nation by code, model, user name, reason
text, ``since``/``until`` days); a bad one answers 400 naming it. Pages hold
:data:`PAGE_SIZE` changes, newest first; ``page`` picks one, ``next``/``previous`` link them.
``?format=csv`` and ``?format=xlsx`` return every matching change instead (the change log
page's *Download* links), in the same order; the field changes are JSON text in one cell.
"""

from collections.abc import Iterator

from django.core.paginator import InvalidPage, Paginator
from django.http import FileResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from programs import changelog
from programs.api.permissions import IsAnalystOrViewer
from programs.api.renderers import (
    XLSX_MEDIA_TYPE,
    CSVRenderer,
    XLSXRenderer,
    stream_csv,
    write_xlsx,
)
from programs.api.views import EXPORT_CHUNK, JSONErrorsMixin
from programs.dashboards.forms import ChangeLogFilterForm

PAGE_SIZE = 50


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.CharField(allow_null=True, help_text="The value before, as text.")
    new = serializers.CharField(allow_null=True, help_text="The value after, as text.")


class ChangeSerializer(serializers.Serializer):
    model = serializers.CharField(source="model_name")
    history_id = serializers.IntegerField()
    object_id = serializers.IntegerField()
    record = serializers.CharField(help_text="The record's code, title or name, else #id.")
    at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    user = serializers.CharField(help_text="Who made it (empty for the system).")
    reason = serializers.CharField()
    history_url = serializers.CharField(help_text="The record's history page in the admin.")
    changes = FieldChangeSerializer(many=True)


class ChangePageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = ChangeSerializer(many=True)


def _page_url(request: Request, number: int) -> str:
    query = request.query_params.copy()
    query["page"] = str(number)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def export_rows(rows, user) -> Iterator[dict]:
    """Every change of ``rows`` serialized, read :data:`EXPORT_CHUNK` at a time."""
    batch: list[dict] = []
    for row in rows.iterator(chunk_size=EXPORT_CHUNK):
        batch.append(row)
        if len(batch) == EXPORT_CHUNK:
            yield from ChangeSerializer(changelog.changes_on_page(batch, user), many=True).data
            batch = []
    if batch:
        yield from ChangeSerializer(changelog.changes_on_page(batch, user), many=True).data


def export(rows, user, fmt: str) -> StreamingHttpResponse | FileResponse:
    columns = list(ChangeSerializer().fields)
    response: StreamingHttpResponse | FileResponse
    if fmt == "csv":
        response = StreamingHttpResponse(
            stream_csv(columns, export_rows(rows, user)), content_type="text/csv; charset=utf-8"
        )
    else:
        response = FileResponse(
            write_xlsx([("changes", columns, export_rows(rows, user), set())]),
            content_type=XLSX_MEDIA_TYPE,
        )
    response["Content-Disposition"] = f'attachment; filename="changes.{fmt}"'
    return response


class ChangeLogView(JSONErrorsMixin, APIView):
    """Every change to the tracked records the caller may see, newest first."""

    permission_classes = [IsAnalystOrViewer]
    renderer_classes = [JSONRenderer, CSVRenderer, XLSXRenderer]

    @extend_schema(
        parameters=[
            OpenApiParameter("programme", str, description="Programme code."),
            OpenApiParameter("nation", str, description="Nation code: records about it."),
            OpenApiParameter("model", str, description="Record kind (e.g. contribution)."),
            OpenApiParameter("user", str, description="User name of who made the change."),
            OpenApiParameter("reason", str, description="Text the reason contains."),
            OpenApiParameter("since", OpenApiTypes.DATE, description="From this day (inclusive)."),
            OpenApiParameter("until", OpenApiTypes.DATE, description="To this day (inclusive)."),
            OpenApiParameter("page", int, description="Page number (from 1)."),
            OpenApiParameter(
                "format", str, enum=["json", "csv", "xlsx"], description="csv/xlsx: every row."
            ),
        ],
        responses={
            200: ChangePageSerializer,
            400: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description="A filter is invalid: a list of messages per filter; nothing listed.",
            ),
        },
    )
    def get(self, request: Request) -> Response | StreamingHttpResponse | FileResponse:
        form = ChangeLogFilterForm(request.query_params, user=request.user)
        if not form.is_valid():
            raise ValidationError(
                {name: [str(message) for message in errors] for name, errors in form.errors.items()}
            )
        rows = changelog.change_rows(form.filters(), request.user)
        if request.accepted_renderer.format in ("csv", "xlsx"):
            return export(rows, request.user, request.accepted_renderer.format)
        paginator = Paginator(rows, PAGE_SIZE)
        try:
            page = paginator.page(request.query_params.get("page", 1))
        except (InvalidPage, ValueError, TypeError):
            raise NotFound("No such page.") from None
        changes = changelog.changes_on_page(list(page.object_list), request.user)
        return Response(
            {
                "count": paginator.count,
                "next": _page_url(request, page.next_page_number()) if page.has_next() else None,
                "previous": (
                    _page_url(request, page.previous_page_number()) if page.has_previous() else None
                ),
                "results": ChangeSerializer(changes, many=True).data,
            }
        )
