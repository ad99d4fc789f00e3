"""``/api/v1/subscriptions/``: the caller's own flag subscriptions (list, create, change,
delete) and ``POST …/{id}/rotate-feed/`` for a new secret feed URL."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from programs.access import released
from programs.api.permissions import IsAnalystOrViewer
from programs.api.serializers import NaturalKeyField, drf_errors, nation_field
from programs.api.views import EXPORT_FORMATS, ExportMixin, JSONErrorsMixin
from programs.balance.thresholds import RULE_CHOICES
from programs.feeds import describe
from programs.models import Programme, Subscription
from programs.subscriptions import feed_url, rotate_feed


class SubscriptionSerializer(serializers.ModelSerializer):
    # Natural keys as every resource reads them: only what the subscriber may see is found,
    # and a NUL in the key is refused before it reaches PostgreSQL (the fuzz run's 500).
    programme = NaturalKeyField(
        slug_field="code", queryset=Programme.objects.all(), allow_null=True, required=False
    )
    nation = nation_field(allow_null=True, required=False)
    rule = serializers.ChoiceField(choices=RULE_CHOICES, allow_blank=True, required=False)
    feed_url = serializers.SerializerMethodField(
        help_text="The subscription's Atom feed (secret: whoever has it reads the feed)."
    )

    class Meta:
        model = Subscription
        fields = [
            "id",
            "name",
            "everything",
            "programme",
            "nation",
            "rule",
            "min_severity",
            "delivery",
            "feed_url",
            "created_at",
        ]
        read_only_fields = ["id", "feed_url", "created_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["programme"].queryset = released(Programme.objects.all(), request.user)

    def get_feed_url(self, subscription: Subscription) -> str:
        return feed_url(subscription)

    def validate(self, attrs: dict) -> dict:
        instance = self.instance or Subscription(user=self.context["request"].user)
        for name, value in attrs.items():
            setattr(instance, name, value)
        try:
            instance.full_clean(exclude=["user", "feed_token"])
        except DjangoValidationError as error:
            raise serializers.ValidationError(drf_errors(error)) from None
        return attrs


class SubscriptionRowSerializer(serializers.ModelSerializer):
    """A subscription as the Following page's table shows it (the CSV and XLSX list)."""

    follows = serializers.SerializerMethodField(help_text="What it follows, in words.")
    email = serializers.CharField(source="get_delivery_display")
    feed_url = serializers.SerializerMethodField()

    class Meta:
        model = Subscription
        fields = ["name", "follows", "email", "feed_url"]

    def get_follows(self, subscription: Subscription) -> str:
        return describe(subscription)

    def get_feed_url(self, subscription: Subscription) -> str:
        return feed_url(subscription)


class SubscriptionViewSet(JSONErrorsMixin, ExportMixin, viewsets.ModelViewSet):
    """The caller's flag subscriptions: e-mails on raise, escalation, resolution and
    reopening (or a daily digest), and an Atom feed at a secret URL."""

    serializer_class = SubscriptionSerializer
    permission_classes = [IsAnalystOrViewer]
    filterset_class = None
    lookup_value_regex = "[0-9]{1,18}"
    ordering = ["id"]
    ordering_fields = ["id", "created_at"]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Subscription.objects.none()
        return Subscription.objects.filter(user=self.request.user).select_related(
            "programme", "nation"
        )

    def get_serializer_class(self):
        """The list as CSV or XLSX is the Following page's table: name, follows, e-mail, feed."""
        renderer = getattr(self.request, "accepted_renderer", None)
        if self.action == "list" and renderer is not None and renderer.format in EXPORT_FORMATS:
            return SubscriptionRowSerializer
        return super().get_serializer_class()

    def perform_create(self, serializer):
        serializer.save(user=self.request.user)

    @extend_schema(request=None, responses={200: SubscriptionSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-feed", renderer_classes=[JSONRenderer])
    def rotate_feed(self, request, pk=None):
        """A new secret feed URL; the old one answers 404 from now on."""
        subscription = rotate_feed(self.get_object())
        return Response(self.get_serializer(subscription).data, status=status.HTTP_200_OK)
