"""The one JSON shape of a flag: the SPEC §1 fields, programme and nations by code, figures as
decimal strings and times in ISO 8601. The API's flag resources and balance reports, the
``flags`` command's JSON and webhook payloads all write a flag this way."""

from typing import Any

from rest_framework import serializers

from programs.models import Flag


class FlagSerializer(serializers.ModelSerializer):
    """A flag as listed by ``programs.flags.selectors.visible_flags`` (counterparts by code)."""

    programme: "serializers.SlugRelatedField[Any]" = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    nation: "serializers.SlugRelatedField[Any]" = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    counterparts: "serializers.SlugRelatedField[Any]" = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True
    )
    acknowledged_by: "serializers.SlugRelatedField[Any]" = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    evidence = serializers.JSONField(read_only=True)

    class Meta:
        model = Flag
        fields = [
            "id",
            "rule",
            "programme",
            "nation",
            "counterparts",
            "severity",
            "status",
            "metric",
            "value",
            "threshold",
            "explanation",
            "evidence",
            "first_seen_at",
            "last_seen_at",
            "resolved_at",
            "acknowledged_by",
            "acknowledged_at",
            "note",
        ]
        read_only_fields = fields
