"""``POST /api/v1/what-if/`` (SPEC §7): evaluate a draft over the stored data, writing nothing.

Analysts and viewers alike may ask (it writes nothing); a restricted user's draft is applied to
the data as they see it and answered with figures over the rows released to them only.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from programs.api.permissions import IsAnalystOrViewer
from programs.api.views import JSONErrorsMixin
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
        required=False, help_text="Evaluate as of this day (default today)."
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
    errors = serializers.ListField(
        child=serializers.CharField(), help_text="One message per problem: record and field."
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
