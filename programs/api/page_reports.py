"""The dashboards' tables through the API: the pair report and the portfolio report, and the
response that gives one table (or all) as JSON, CSV or XLSX.

Each report is its page's selector (``pair_page``, ``portfolio_page``) made into
rows by ``programs.dashboards.exports``: a file downloaded from a page holds the rows that page
shows to the same user, releasability included. ``?format=csv`` returns one table, named by
``section``; ``?format=xlsx`` one sheet for ``section``, or a sheet per table without it; JSON
gives every table by section name.
"""

from typing import Any

from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from programs.api.permissions import IsAnalystOrViewer
from programs.api.renderers import XLSX_MEDIA_TYPE, CSVRenderer, XLSXRenderer, table_response
from programs.api.views import JSONErrorsMixin
from programs.bounds import validate_day
from programs.dashboards.exports import (
    PAIR_SECTIONS,
    PORTFOLIO_SECTIONS,
    pair_tables,
    portfolio_tables,
)
from programs.dashboards.pair import pair_page
from programs.dashboards.portfolio import portfolio_page
from programs.models import Nation


def section_field(sections: dict[str, str]) -> serializers.ChoiceField:
    listed = "; ".join(f"`{name}`: {what}" for name, what in sections.items())
    return serializers.ChoiceField(
        choices=list(sections),
        required=False,
        help_text="The table for ?format=csv (required) or ?format=xlsx (one sheet; every "
        f"table without it). {listed}.",
    )


FILE_RESPONSES: dict[Any, Any] = {
    200: OpenApiResponse(
        OpenApiTypes.OBJECT, description="Every table's rows, by section name (JSON)."
    ),
    (200, "text/csv"): OpenApiTypes.STR,
    (200, XLSX_MEDIA_TYPE): OpenApiTypes.BINARY,
    400: OpenApiResponse(description="A bad `section` or `as_of`, by field."),
}


class PairReportQuerySerializer(serializers.Serializer):
    as_of = serializers.DateField(
        required=False,
        validators=[validate_day],
        help_text="The day the pair page's figures are as of (default today).",
    )
    section = section_field(PAIR_SECTIONS)


class PortfolioReportQuerySerializer(serializers.Serializer):
    section = section_field(PORTFOLIO_SECTIONS)


class PairReportView(JSONErrorsMixin, APIView):
    """The pair page's tables: what nation ``a`` gives nation ``b`` and gets back across every
    programme both take part in (of what the user may see)."""

    permission_classes = [IsAnalystOrViewer]
    renderer_classes = [JSONRenderer, CSVRenderer, XLSXRenderer]

    @extend_schema(
        operation_id="pair_report",
        parameters=[PairReportQuerySerializer],
        responses=FILE_RESPONSES,
        description="The tables of the pair page (`/nations/{a}/{b}/`) as of `as_of`, a's side "
        "first: JSON gives every table by section; `?format=csv` one table (`section`); "
        "`?format=xlsx` one sheet for `section`, or a sheet per table. 404 for an unknown "
        "nation code; 400 when a and b are the same nation.",
    )
    def get(self, request: Request, a: str, b: str) -> HttpResponseBase:
        query = PairReportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        if a == b:
            raise ValidationError({"b": ["Pick a nation other than a."]})
        first = get_object_or_404(Nation, code=a)
        second = get_object_or_404(Nation, code=b)
        as_of = query.validated_data.get("as_of") or timezone.localdate()
        page = pair_page(first, second, today=as_of, user=request.user)
        return table_response(
            pair_tables(page),
            request.accepted_renderer.format,
            query.validated_data.get("section"),
            f"pair-{a}-{b}",
        )


class PortfolioReportView(JSONErrorsMixin, APIView):
    """The portfolio page's tables (of the programmes and rows the user may see)."""

    permission_classes = [IsAnalystOrViewer]
    renderer_classes = [JSONRenderer, CSVRenderer, XLSXRenderer]

    @extend_schema(
        operation_id="portfolio_report",
        parameters=[PortfolioReportQuerySerializer],
        responses=FILE_RESPONSES,
        description="The tables of the portfolio page: each programme's return coefficient per "
        "nation at its latest scan with the open flags, the nation pairs, the data loaded. "
        "JSON gives every table by section; `?format=csv` one table (`section`); "
        "`?format=xlsx` one sheet for `section`, or a sheet per table. The global returns "
        "are at /api/v1/global-returns/.",
    )
    def get(self, request: Request) -> HttpResponseBase:
        query = PortfolioReportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return table_response(
            portfolio_tables(portfolio_page(request.user)),
            request.accepted_renderer.format,
            query.validated_data.get("section"),
            "portfolio",
        )
