"""``POST /api/v1/what-if/`` (SPEC §7): evaluate a draft over the stored data, writing nothing.

Analysts and viewers alike may ask (it writes nothing); a restricted user's draft is applied to
the data as they see it and answered with figures over the rows released to them only.
"""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from programs.access import released
from programs.api.page_reports import FILE_RESPONSES
from programs.api.permissions import IsAnalystOrViewer
from programs.api.renderers import CSVRenderer, XLSXRenderer, table_response
from programs.api.views import EXPORT_FORMATS, ExportMixin, JSONErrorsMixin
from programs.bounds import validate_day
from programs.dashboards.exports import whatif_tables
from programs.models import Programme, WhatIfDraft
from programs.whatif.drafts import (
    copy_draft,
    delete_draft,
    drafts_visible_to,
    may_change,
    run_draft,
    save_draft,
)
from programs.whatif.evaluate import DraftRefused, evaluate_draft

EXAMPLE_DRAFT = {
    "format": "gcaptrack-scenario/1",
    "leadership_roles": [
        {
            "programme": "GCAP",
            "title": "Propulsion system lead",
            "nation": "JPN",
            "organisation": "IHI",
        },
        {
            "programme": "GCAP",
            "title": "Mission systems lead",
            "nation": "JPN",
            "organisation": "Mitsubishi Electric",
        },
    ],
}


class WhatIfQuerySerializer(serializers.Serializer):
    as_of = serializers.DateField(
        required=False,
        validators=[validate_day],
        help_text="Evaluate as of this day (default today).",
    )


class DraftResultQuerySerializer(WhatIfQuerySerializer):
    section = serializers.CharField(
        required=False,
        help_text="The table for ?format=csv (required) or ?format=xlsx (one sheet; every table "
        "without it), as the What if page names it: `figures` for the draft's programme, "
        "`figures-<code>` for another programme the draft changes, `figures-global` for the "
        "global return.",
    )


class FlagChangeSerializer(serializers.Serializer):
    rule = serializers.CharField()
    nation = serializers.CharField()
    counterparts = serializers.ListField(child=serializers.CharField())
    now = serializers.CharField(allow_null=True, help_text="Severity today, or null.")
    draft = serializers.CharField(allow_null=True, help_text="Severity under the draft, or null.")
    change = serializers.ChoiceField(choices=["raised", "resolved", "changed", "unchanged"])
    explanation = serializers.CharField()


class NationWhatIfSerializer(serializers.Serializer):
    nation = serializers.CharField()
    now = serializers.DictField(allow_null=True, help_text="Every SPEC §2 metric today.")
    draft = serializers.DictField(allow_null=True, help_text="The same under the draft.")


class ProgrammeWhatIfSerializer(serializers.Serializer):
    code = serializers.CharField(
        allow_null=True, help_text="Programme code; null for the cross-programme rule."
    )
    nations = NationWhatIfSerializer(many=True)
    flags = FlagChangeSerializer(many=True)


class WhatIfSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    programmes = ProgrammeWhatIfSerializer(many=True)


class DraftErrorsSerializer(serializers.Serializer):
    """A refused draft (``errors``), or a request that is not one (``detail``, ``as_of``)."""

    # The response's field "errors" (not DRF's validation errors, which this serializer never has).
    errors = serializers.ListField(  # type: ignore[assignment]
        child=serializers.CharField(),
        required=False,
        help_text="One message per problem of the draft: the record and the field.",
    )
    detail = serializers.CharField(required=False, help_text="The body is not JSON.")
    as_of = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="`as_of` is not a date."
    )


class WhatIfView(JSONErrorsMixin, APIView):
    permission_classes = [IsAnalystOrViewer]
    renderer_classes = [JSONRenderer]

    @extend_schema(
        operation_id="what_if",
        parameters=[OpenApiParameter("as_of", OpenApiTypes.DATE, required=False)],
        request=OpenApiTypes.OBJECT,
        responses={200: WhatIfSerializer, 400: DraftErrorsSerializer},
        examples=[
            OpenApiExample(
                "Japan takes the propulsion and mission systems leads",
                value=EXAMPLE_DRAFT,
                request_only=True,
            )
        ],
        description=(
            "Evaluate a draft (a SPEC §4 scenario document, as JSON) over the stored data: "
            "every metric now and under the draft for each programme it can change, and the "
            "flag changes (`raised`, `resolved`, `changed`, `unchanged`). Writes nothing. An "
            "invalid draft answers 400 naming the record and the field."
        ),
    )
    def post(self, request):
        query = WhatIfQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        if not isinstance(request.data, dict):
            return Response(
                {"errors": ["draft: expected a JSON object with 'format: gcaptrack-scenario/1'."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            result = evaluate_draft(
                request.data, as_of=query.validated_data.get("as_of"), user=request.user
            )
        except DraftRefused as exc:
            return Response({"errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST)
        return Response(result.as_json())


class DraftSerializer(serializers.ModelSerializer):
    """A saved draft; ``document`` is the scenario text (YAML or JSON)."""

    programme = serializers.SlugRelatedField(
        slug_field="code", queryset=Programme.objects.all(), allow_null=True, required=False
    )
    author: "serializers.SlugRelatedField[Any]" = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = WhatIfDraft
        fields = [
            "id",
            "name",
            "note",
            "document",
            "programme",
            "author",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "author", "created_at", "updated_at"]
        extra_kwargs = {"document": {"trim_whitespace": False}}


class DraftRowSerializer(serializers.ModelSerializer):
    """A saved draft as the What if page's table of drafts shows it (the CSV and XLSX lists)."""

    draft = serializers.CharField(source="name")
    author: "serializers.SlugRelatedField[Any]" = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    changed = serializers.DateTimeField(source="updated_at")

    class Meta:
        model = WhatIfDraft
        fields = ["draft", "author", "note", "changed"]


@extend_schema_view(
    list=extend_schema(
        description="Saved drafts you may see (your nation's, or all). `?format=csv|xlsx` gives "
        "every one as the What if page's table of drafts shows it: draft, author, note, changed "
        "(filter `programme__code` as the page does)."
    ),
    create=extend_schema(
        description="Save a draft; 400 names the record and the field if it does not evaluate."
    ),
)
class DraftViewSet(JSONErrorsMixin, ExportMixin, viewsets.ModelViewSet):
    """Saved what-if drafts: anyone may keep drafts, only the author changes or deletes one."""

    serializer_class = DraftSerializer
    renderer_classes = [JSONRenderer]
    filterset_fields = ["programme__code"]
    #: Latest changed first, as the What if page lists them (the ordering filter's default).
    ordering = ["-updated_at", "-id"]

    def get_queryset(self):
        return drafts_visible_to(self.request.user)

    def get_renderers(self):
        """The list also as CSV and XLSX (the page's table of drafts); the rest JSON only."""
        if self.action == "list":
            return [JSONRenderer(), CSVRenderer(), XLSXRenderer()]
        return super().get_renderers()

    def get_serializer_class(self):
        renderer = getattr(self.request, "accepted_renderer", None)
        if self.action == "list" and renderer is not None and renderer.format in EXPORT_FORMATS:
            return DraftRowSerializer
        return super().get_serializer_class()

    def check_object_permissions(self, request, obj) -> None:
        """Only the author changes or deletes a draft: refused before the body is read."""
        super().check_object_permissions(request, obj)
        if self.action in ("update", "partial_update", "destroy") and not may_change(
            request.user, obj
        ):
            self.permission_denied(request, message="Only the author of a draft may change it.")

    def get_serializer(self, *args, **kwargs):
        serializer = super().get_serializer(*args, **kwargs)
        if "programme" in getattr(serializer, "fields", {}):
            serializer.fields["programme"].queryset = released(
                Programme.objects.all(), self.request.user
            )
        return serializer

    def perform_create(self, serializer) -> None:
        serializer.instance = save_draft(self.request.user, **self._fields(serializer))

    def perform_update(self, serializer) -> None:
        fields = {
            "name": serializer.instance.name,
            "document": serializer.instance.document,
            "note": serializer.instance.note,
            "programme": serializer.instance.programme,
            **self._fields(serializer),
        }
        serializer.instance = save_draft(self.request.user, draft=serializer.instance, **fields)

    def perform_destroy(self, instance) -> None:
        delete_draft(self.request.user, instance)

    @staticmethod
    def _fields(serializer) -> dict:
        data = serializer.validated_data
        return {
            name: data[name] for name in ("name", "document", "note", "programme") if name in data
        }

    @extend_schema(request=None, responses={201: DraftSerializer})
    @action(detail=True, methods=["post"])
    def copy(self, request, pk=None):
        copy = copy_draft(request.user, self.get_object())
        return Response(DraftSerializer(copy).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("as_of", OpenApiTypes.DATE, required=False)],
        responses={200: WhatIfSerializer, 400: DraftErrorsSerializer},
        description="Run the draft against the data as it is now (writes nothing).",
    )
    @action(detail=True, methods=["get"], permission_classes=[IsAnalystOrViewer])
    def run(self, request, pk=None):
        draft = self.get_object()
        query = WhatIfQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            result = run_draft(request.user, draft, as_of=query.validated_data.get("as_of"))
        except DraftRefused as exc:
            return Response({"errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST)
        return Response(result.as_json())

    @extend_schema(
        parameters=[DraftResultQuerySerializer],
        responses=FILE_RESPONSES,
        description="The What if page's comparison tables of the draft as of `as_of` (each "
        "nation's figures today and under the draft, with the difference): JSON gives every "
        "table by section; `?format=csv` one table (`section`); `?format=xlsx` one sheet for "
        "`section`, or a sheet per table. 400 with `errors` if the draft no longer evaluates.",
    )
    @action(
        detail=True,
        methods=["get"],
        permission_classes=[IsAnalystOrViewer],
        renderer_classes=[JSONRenderer, CSVRenderer, XLSXRenderer],
    )
    def result(self, request, pk=None):
        draft = self.get_object()
        query = DraftResultQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            result = run_draft(request.user, draft, as_of=query.validated_data.get("as_of"))
        except DraftRefused as exc:
            return Response({"errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST)
        tables = whatif_tables(result, draft.programme.code if draft.programme else None)
        section = query.validated_data.get("section")
        if section is not None and section not in tables:
            raise ValidationError(
                {
                    "section": [
                        f"Not a table of this draft's result; pick one of {', '.join(tables)}."
                    ]
                }
            )
        return table_response(
            tables, request.accepted_renderer.format, section, f"what-if-{draft.pk}"
        )
