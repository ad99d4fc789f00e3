"""``/api/v1/webhooks/``: the caller's webhooks (analysts create them), each on one of their
subscriptions, and ``GET …/{id}/deliveries/``, its delivery log."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from programs.api.permissions import IsAnalystOrViewer
from programs.api.renderers import XLSX_MEDIA_TYPE, CSVRenderer, XLSXRenderer
from programs.api.views import EXPORT_FORMATS, ExportMixin, JSONErrorsMixin
from programs.models import Subscription, Webhook, WebhookDelivery
from programs.webhooks import ADD_PERMISSION, enable, recent_deliveries, url_error


class CanAddWebhooks(permissions.BasePermission):
    """Only analysts create webhooks: they send data out of GCAPtrack."""

    message = "Only analysts create webhooks."

    def has_permission(self, request, view) -> bool:
        if request.method != "POST" or view.action != "create":
            return True
        return bool(request.user and request.user.has_perm(ADD_PERMISSION))


class OwnSubscriptionField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return Subscription.objects.none()
        return Subscription.objects.filter(user=request.user)


class WebhookSerializer(serializers.ModelSerializer):
    subscription = OwnSubscriptionField()

    class Meta:
        model = Webhook
        fields = ["id", "subscription", "url", "active", "failures", "disabled_at", "created_at"]
        read_only_fields = ["id", "failures", "disabled_at", "created_at"]

    def validate_url(self, url: str) -> str:
        error = url_error(url)
        if error:
            raise serializers.ValidationError(error)
        return url

    def update(self, instance: Webhook, validated_data: dict) -> Webhook:
        turned_on = validated_data.get("active") and not instance.active
        instance = super().update(instance, validated_data)
        return enable(instance) if turned_on else instance


class CreatedWebhookSerializer(WebhookSerializer):
    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]
        read_only_fields = [*WebhookSerializer.Meta.read_only_fields, "secret"]


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = ["id", "event", "attempt", "at", "status_code", "delivered", "error"]


class DeliveryRowSerializer(serializers.ModelSerializer):
    """A delivery attempt as the page's delivery log shows it (the CSV and XLSX log)."""

    when = serializers.DateTimeField(source="at")
    event = serializers.IntegerField(source="event_id")
    response_code = serializers.IntegerField(source="status_code", allow_null=True)
    outcome = serializers.SerializerMethodField()

    class Meta:
        model = WebhookDelivery
        fields = ["when", "event", "attempt", "response_code", "outcome"]

    def get_outcome(self, delivery: WebhookDelivery) -> str:
        if delivery.delivered:
            return "delivered"
        return f"failed: {delivery.error}" if delivery.error else "failed"


class WebhookViewSet(
    JSONErrorsMixin,
    ExportMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Webhooks on your subscriptions: each flag event they match is POSTed as JSON signed
    with the webhook's secret (`X-GCAPtrack-Signature: t=<unix time>,v1=<HMAC-SHA256 hex of
    "<t>." + body>`). The secret is in the creation's answer only. PATCH `{"active": true}`
    turns a disabled webhook back on."""

    serializer_class = WebhookSerializer
    permission_classes = [IsAnalystOrViewer, CanAddWebhooks]
    filterset_class = None
    lookup_value_regex = "[0-9]{1,18}"
    ordering = ["id"]
    ordering_fields = ["id", "created_at"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Webhook.objects.none()
        return Webhook.objects.filter(subscription__user=self.request.user)

    def get_serializer_class(self):
        if self.action == "create":
            return CreatedWebhookSerializer
        if self.action == "deliveries":
            return DeliverySerializer
        return WebhookSerializer

    @extend_schema(
        responses={
            200: DeliverySerializer(many=True),
            (200, "text/csv"): DeliveryRowSerializer(many=True),
            (200, XLSX_MEDIA_TYPE): DeliveryRowSerializer(many=True),
        }
    )
    @action(
        detail=True,
        methods=["get"],
        pagination_class=None,
        renderer_classes=[JSONRenderer, CSVRenderer, XLSXRenderer],
    )
    def deliveries(self, request, pk=None):
        """The webhook's latest delivery attempts, newest first, with the answers' codes.
        `?format=csv|xlsx` gives them as the page's delivery log shows them: when, event,
        attempt, response_code, outcome."""
        webhook = self.get_object()
        fmt = request.accepted_renderer.format
        if fmt in EXPORT_FORMATS:
            rows = DeliveryRowSerializer(recent_deliveries(webhook), many=True).data
            disposition = f'attachment; filename="webhook-{webhook.pk}-deliveries.{fmt}"'
            return Response(rows, headers={"Content-Disposition": disposition})
        return Response(DeliverySerializer(recent_deliveries(webhook), many=True).data)
