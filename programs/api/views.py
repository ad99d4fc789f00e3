"""The API's views: one viewset per SPEC §6 resource, plus balance, scan, tasks and tokens.

Lists page with a stable order; ``?format=csv`` and ``?format=xlsx`` return every matching row
instead (streamed CSV; XLSX built in a temporary file), in the same order. Retrieve sends an
ETag; PUT, PATCH and DELETE honour If-Match (see programs.api.conditional). Every write runs in
one transaction: a 400 or 412 leaves the database as it was.
"""

import hashlib
from typing import TYPE_CHECKING, Any, cast

from celery.result import AsyncResult
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, ProtectedError, QuerySet, RestrictedError
from django.http import FileResponse, HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.defaults import page_not_found
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from gcaptrack.errors import RETRY_AFTER_SECONDS
from programs import data_version
from programs.access import is_restricted, released, released_task_result, viewer_nation
from programs.api import filters, serializers
from programs.api.change_reasons import ChangeReasonMixin
from programs.api.conditional import check_if_match, etag_of, matches_if_none_match
from programs.api.pagination import CursorPagination
from programs.api.permissions import CanAcknowledgeFlags, CanScan, IsAnalystOrViewer
from programs.api.renderers import (
    XLSX_MEDIA_TYPE,
    CSVRenderer,
    XLSXRenderer,
    columns_of,
    stream_csv,
    table_response,
    write_xlsx,
)
from programs.api.reports import balance_report_data, balance_report_key, visible_programme
from programs.api.response_cache import rendered_json, viewer_key
from programs.api.retry import is_lock_conflict, retried_on_lock_conflict
from programs.api.tokens import issue_token, revoke_token
from programs.balance.flags import FlagStateError, acknowledge_flag
from programs.balance.global_returns import global_returns
from programs.dashboards.exports import PROGRAMME_SECTIONS, programme_tables
from programs.dashboards.programme import programme_page
from programs.flags.filters import FlagFilter
from programs.flags.selectors import visible_flags
from programs.flags.serializers import FlagSerializer
from programs.models import (
    Agreement,
    ApiToken,
    Contribution,
    Decision,
    DecisionBody,
    Flag,
    LeadershipRole,
    Nation,
    Organisation,
    OwnershipStake,
    Participation,
    Programme,
    Seat,
    TechTransferMilestone,
    Vote,
    WorkPackage,
    WorkshareAllocation,
)
from programs.services.hidden_dependants import REFUSAL, deletion_reaches_hidden
from programs.tasks import scan_programme_task

#: Who queued a task, kept as long as Celery keeps results (a day by default): a user restricted
#: to a nation reads only the status of their own tasks.
TASK_OWNER_KEY = "api:task-owner:{}"
TASK_OWNER_SECONDS = 24 * 60 * 60

EXPORT_FORMATS = ("csv", "xlsx")
EXPORT_CHUNK = 500
ID_PATTERN = r"[0-9]{1,18}"


LOCK_CONFLICT = (
    "The change collided with another one being made at the same time and was not saved; "
    "retry shortly."
)


def exception_handler(exc, context):
    """DRF's handler, plus database refusals answered as client errors instead of 500."""
    if isinstance(exc, ProtectedError | RestrictedError):
        request = context.get("request")
        if is_restricted(getattr(request, "user", None)):
            return Response({"detail": REFUSAL}, status=status.HTTP_409_CONFLICT)
        names = sorted({str(obj._meta.verbose_name_plural) for obj in exc.protected_objects})
        return Response(
            {
                "detail": f"Other records still refer to this one ({', '.join(names)}); "
                "delete or re-point them first."
            },
            status=status.HTTP_409_CONFLICT,
        )
    if is_lock_conflict(exc):
        return Response(
            {"detail": LOCK_CONFLICT},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, IntegrityError):
        return Response(
            {
                "detail": "The change conflicts with another record (it was probably changed "
                "at the same time); reload and retry."
            },
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(serializers.drf_errors(exc))
    return drf_exception_handler(exc, context)


class JSONErrorsMixin:
    """Errors are always JSON, even when the request asked for CSV or XLSX."""

    def finalize_response(self, request, response, *args, **kwargs):
        renderer = getattr(request, "accepted_renderer", None)
        if (
            isinstance(response, Response)
            and response.status_code >= 400
            and renderer is not None
            and renderer.format != "json"
        ):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


if TYPE_CHECKING:  # what the mixins below are mixed into
    from rest_framework.viewsets import GenericViewSet

    _ViewSet = GenericViewSet[Any]
else:
    _ViewSet = object


class ExportMixin(_ViewSet):
    """``?format=csv|xlsx`` on a list: every matching row, unpaginated, in the list's order."""

    def list(self, request, *args, **kwargs):
        if request.accepted_renderer.format in EXPORT_FORMATS:
            return self.export(request.accepted_renderer.format)
        return super().list(request, *args, **kwargs)

    def export_rows(self, queryset):
        batch = []
        for obj in queryset.iterator(chunk_size=EXPORT_CHUNK):
            batch.append(obj)
            if len(batch) == EXPORT_CHUNK:
                yield from self.get_serializer(batch, many=True).data
                batch = []
        if batch:
            yield from self.get_serializer(batch, many=True).data

    def export(self, fmt: str) -> StreamingHttpResponse:
        queryset = self.filter_queryset(self.get_queryset())
        fields = cast(Serializer, self.get_serializer()).fields  # the list's model serializer
        columns = [name for name, field in fields.items() if not field.write_only]
        numeric = {
            name
            for name, field in fields.items()
            if isinstance(field, serializers.serializers.DecimalField)
        }
        rows = self.export_rows(queryset)
        name = self.basename
        if fmt == "csv":
            response = StreamingHttpResponse(
                stream_csv(columns, rows), content_type="text/csv; charset=utf-8"
            )
        else:
            response = FileResponse(
                write_xlsx([(name, columns, rows, numeric)]), content_type=XLSX_MEDIA_TYPE
            )
        response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
        return response


def balance_query(request: Request) -> dict:
    """The validated query of a balance request (HTTP 400 with field messages otherwise)."""
    query = serializers.BalanceQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


class VersionedListMixin:
    """A JSON list page cached under the data version (``programs.api.response_cache``), by URL
    (filters, ordering, cursor, page size) and viewer nation: the rows and their nested children
    depend on nothing else of the user, whose permission to list is checked before."""

    def list(self, request, *args, **kwargs):
        if request.accepted_renderer.format != "json":
            return super().list(request, *args, **kwargs)
        url = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
        version = data_version.current()  # before the rows
        key = f"list:{self.basename}:{url}:{viewer_key(request.user)}:{version}"
        return rendered_json(
            request, key, lambda: super(VersionedListMixin, self).list(request).data
        )


class ETagRetrieveMixin(_ViewSet):
    """Retrieve with an ETag (a hash of the representation) and If-None-Match."""

    #: Read by programs.api.schema to document ETag, If-Match and If-None-Match.
    etag_versioned = True

    def representation(self, pk) -> dict:
        return self.get_serializer(self.get_queryset().get(pk=pk)).data

    def retrieve(self, request, *args, **kwargs):
        data = self.get_serializer(self.get_object()).data
        etag = etag_of(data)
        if matches_if_none_match(request.headers.get("If-None-Match"), etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(data, headers={"ETag": etag})


class ReleasedMixin:
    """Only what the requesting user may see (``programs.access``): a hidden record is not
    listed, counted or exported, and its URL answers 404 like a record that does not exist.

    ``released_prefetches`` are the to-many relations shown in the representation (nested
    children, predecessors), each with the queryset of its rows; they are narrowed the same way.
    """

    released_prefetches: dict[str, QuerySet] = {}

    def request_user(self):
        return getattr(getattr(self, "request", None), "user", None)

    def get_queryset(self):
        user = self.request_user()
        prefetches = [
            Prefetch(lookup, queryset=released(queryset.all(), user))
            for lookup, queryset in self.released_prefetches.items()
        ]
        return released(super().get_queryset(), user).prefetch_related(*prefetches)


class ConditionalMixin(ETagRetrieveMixin):
    """ETag on create and update too; If-Match checked under a row lock before writes.

    A write that would leave the record hidden from its author (an unmarked programme with no
    participation of theirs, say) is refused with a 400 and rolled back.
    """

    def check_still_visible(self, instance) -> None:
        if not self.get_queryset().filter(pk=instance.pk).exists():
            raise ValidationError({"releasable_to": [serializers.NOT_RELEASABLE_TO_YOU]})

    @retried_on_lock_conflict
    def create(self, request, *args, **kwargs):
        with transaction.atomic():
            serializer = self.get_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            instance = serializer.save()
            self.check_still_visible(instance)
        data = self.representation(instance.pk)
        return Response(data, status=status.HTTP_201_CREATED, headers={"ETag": etag_of(data)})

    def _locked_current(self, request):
        """The record, locked for this transaction, after checking If-Match against it."""
        instance = self.get_object()
        model = type(instance)
        # Only this row: the default ordering joins its parents (a tech transfer's programme),
        # and locking those too deadlocked against a concurrent delete of the parent.
        rows = model.objects.select_for_update(of=("self",)).filter(pk=instance.pk).order_by()
        list(rows.values_list("pk"))
        instance = self.get_object()
        check_if_match(request.headers.get("If-Match"), etag_of(self.get_serializer(instance).data))
        return instance

    @retried_on_lock_conflict
    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        with transaction.atomic():
            instance = self._locked_current(request)
            serializer = self.get_serializer(instance, data=request.data, partial=partial)
            serializer.is_valid(raise_exception=True)
            serializer.save()
            self.check_still_visible(instance)
        data = self.representation(instance.pk)
        return Response(data, headers={"ETag": etag_of(data)})

    @retried_on_lock_conflict
    def destroy(self, request, *args, **kwargs):
        with transaction.atomic():
            instance = self._locked_current(request)
            if deletion_reaches_hidden([instance], request.user):
                return Response({"detail": REFUSAL}, status=status.HTTP_409_CONFLICT)
            instance.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class TrackedViewSet(
    JSONErrorsMixin,
    ExportMixin,
    VersionedListMixin,
    ReleasedMixin,
    ChangeReasonMixin,
    ConditionalMixin,
    viewsets.ModelViewSet,
):
    """A tracked resource. Lists filter, order (`ordering`) and page; `?format=csv` or `xlsx`
    returns every matching row. Retrieve sends an ETag; analysts create, update and delete,
    with `If-Match` honoured (412 when stale) and a reason (`X-Change-Reason` or
    `change_reason`), required for the records that move the balance. Viewers read only. A user restricted to a nation
    sees only records releasable to it (`releasable_to`); others answer 404."""

    lookup_value_regex = ID_PATTERN
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]


class NationViewSet(TrackedViewSet):
    queryset = Nation.objects.all()
    serializer_class = serializers.NationSerializer
    filterset_class = filters.NationFilter
    lookup_field = "code"
    lookup_value_regex = "[A-Z]{3}"
    ordering = ["name"]
    ordering_fields = ["code", "name"]


class OrganisationViewSet(TrackedViewSet):
    queryset = Organisation.objects.select_related("nation").prefetch_related("releasable_to")
    released_prefetches = {"stakes": OwnershipStake.objects.select_related("owner")}
    serializer_class = serializers.OrganisationSerializer
    filterset_class = filters.OrganisationFilter
    ordering = ["name"]
    ordering_fields = ["name", "kind", "nation__code"]


class ProgrammeViewSet(TrackedViewSet):
    queryset = Programme.objects.prefetch_related("releasable_to")
    released_prefetches = {"predecessors": Programme.objects.all()}
    serializer_class = serializers.ProgrammeSerializer
    filterset_class = filters.ProgrammeFilter
    lookup_field = "code"
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    ordering = ["code"]
    ordering_fields = ["code", "name", "status", "started_on"]

    @extend_schema(
        parameters=[serializers.BalanceQuerySerializer],
        responses={
            200: serializers.BalanceReportSerializer,
            (200, "text/csv"): OpenApiTypes.STR,
            (200, XLSX_MEDIA_TYPE): OpenApiTypes.BINARY,
        },
        description=(
            "Every SPEC §2 metric per nation and pair of nations, computed now as of `as_of`, "
            "with the open and acknowledged flags of the last scan (`last_scan_at`). "
            "`?format=csv` returns one table (`section`, default nations); `?format=xlsx` a "
            "workbook with the sheet of `section`, or without it the sheets nations, pairs, "
            "bloc_ties and open_flags. The sections of the programme page's other tables "
            "(outvoted, agreement, transfers, strong_bloc_ties, trends, provenance) are read "
            "from the page's own selector, as of `as_of`, for CSV and XLSX."
        ),
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def balance(self, request, code=None):
        version = data_version.current()  # before the programme and the report
        query = balance_query(request)
        as_of = query.get("as_of") or timezone.localdate()

        def report() -> dict:
            return balance_report_data(
                code,
                as_of,
                user=request.user,
                version=version,
                check=lambda programme: self.check_object_permissions(request, programme),
            )

        fmt = request.accepted_renderer.format
        if fmt == "json":
            key = balance_report_key(code, as_of, request.user, version)
            return rendered_json(request, key, report)
        section = query.get("section")
        if fmt in EXPORT_FORMATS and section in PROGRAMME_SECTIONS:
            programme = visible_programme(code, request.user)
            self.check_object_permissions(request, programme)
            page = programme_page(programme, as_of, request.user)
            return table_response(
                {section: programme_tables(page)[section]}, fmt, section, f"balance-{code}"
            )
        data = report()
        if fmt == "csv":
            return Response(list(data[section or "nations"]))
        if fmt == "xlsx":
            sheets = [
                (name, columns_of(data[name]), data[name], set())
                for name in ([section] if section else serializers.REPORT_SECTIONS)
            ]
            response = FileResponse(write_xlsx(sheets), content_type=XLSX_MEDIA_TYPE)
            response["Content-Disposition"] = f'attachment; filename="balance-{code}.xlsx"'
            return response
        return Response(data)  # any other renderer DRF's negotiation picked

    @extend_schema(
        request=serializers.ScanRequestSerializer,
        responses={202: serializers.TaskQueuedSerializer},
        description="Queue a scan of the programme (analysts); follow `status_url` for its result.",
    )
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[CanScan],
        filterset_class=None,
        renderer_classes=[JSONRenderer],
    )
    def scan(self, request, code=None):
        programme = self.get_object()
        body = serializers.ScanRequestSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        as_of = body.validated_data.get("as_of")
        result = scan_programme_task.delay(programme.code, as_of.isoformat() if as_of else None)
        cache.set(TASK_OWNER_KEY.format(result.id), request.user.pk, TASK_OWNER_SECONDS)
        data = {
            "task_id": result.id,
            "status_url": request.build_absolute_uri(reverse("api:task", args=[result.id])),
        }
        return Response(data, status=status.HTTP_202_ACCEPTED)


class ParticipationViewSet(TrackedViewSet):
    queryset = Participation.objects.select_related("programme", "nation").prefetch_related(
        "releasable_to"
    )
    serializer_class = serializers.ParticipationSerializer
    filterset_class = filters.ParticipationFilter
    ordering = ["programme__code", "nation__name"]
    ordering_fields = ["programme__code", "nation__code", "role", "agreed_share", "joined_on"]


class ContributionViewSet(TrackedViewSet):
    queryset = Contribution.objects.select_related("programme", "nation").prefetch_related(
        "releasable_to"
    )
    serializer_class = serializers.ContributionSerializer
    filterset_class = filters.ContributionFilter
    ordering = ["programme__code", "period_start", "nation__name"]
    ordering_fields = ["programme__code", "nation__code", "period_start", "amount"]


class WorkPackageViewSet(TrackedViewSet):
    queryset = WorkPackage.objects.select_related(
        "programme", "lead_organisation"
    ).prefetch_related("releasable_to")
    serializer_class = serializers.WorkPackageSerializer
    filterset_class = filters.WorkPackageFilter
    ordering = ["programme__code", "code"]
    ordering_fields = ["programme__code", "code", "name", "domain"]


class WorkshareViewSet(TrackedViewSet):
    queryset = WorkshareAllocation.objects.select_related(
        "work_package__programme", "organisation"
    ).prefetch_related("releasable_to")
    serializer_class = serializers.WorkshareSerializer
    filterset_class = filters.WorkshareFilter
    pagination_class = CursorPagination
    ordering = ["period_start", "id"]
    ordering_fields = ["id", "period_start", "amount"]


class DecisionBodyViewSet(TrackedViewSet):
    queryset = DecisionBody.objects.select_related("programme").prefetch_related("releasable_to")
    released_prefetches = {"seats": Seat.objects.select_related("nation")}
    serializer_class = serializers.DecisionBodySerializer
    filterset_class = filters.DecisionBodyFilter
    ordering = ["programme__code", "name"]
    ordering_fields = ["programme__code", "name", "level"]


class LeadershipRoleViewSet(TrackedViewSet):
    queryset = LeadershipRole.objects.select_related(
        "programme", "nation", "organisation"
    ).prefetch_related("releasable_to")
    serializer_class = serializers.LeadershipRoleSerializer
    filterset_class = filters.LeadershipRoleFilter
    ordering = ["programme__code", "-weight", "title"]
    ordering_fields = ["programme__code", "title", "weight", "started_on"]


class DecisionViewSet(TrackedViewSet):
    queryset = Decision.objects.select_related("body__programme", "proposer").prefetch_related(
        "releasable_to"
    )
    released_prefetches = {"votes": Vote.objects.select_related("nation")}
    serializer_class = serializers.DecisionSerializer
    filterset_class = filters.DecisionFilter
    ordering = ["-decided_on", "title"]
    ordering_fields = ["decided_on", "title", "outcome"]


class TechTransferViewSet(TrackedViewSet):
    queryset = TechTransferMilestone.objects.select_related(
        "programme", "provider__nation", "recipient__nation"
    ).prefetch_related("releasable_to")
    serializer_class = serializers.TechTransferSerializer
    filterset_class = filters.TechTransferFilter
    pagination_class = CursorPagination
    ordering = ["planned_on", "id"]
    ordering_fields = ["id", "planned_on", "weight"]


class AgreementViewSet(TrackedViewSet):
    queryset = Agreement.objects.prefetch_related("nations", "releasable_to")
    serializer_class = serializers.AgreementSerializer
    filterset_class = filters.AgreementFilter
    ordering = ["signed_on", "name"]
    ordering_fields = ["signed_on", "name", "kind"]


class FlagViewSet(JSONErrorsMixin, ExportMixin, ETagRetrieveMixin, viewsets.ReadOnlyModelViewSet):
    """Flags are raised by scans; through the API they are only read and acknowledged."""

    queryset = Flag.objects.all()
    serializer_class = FlagSerializer
    filterset_class = FlagFilter
    pagination_class = CursorPagination
    lookup_value_regex = ID_PATTERN
    ordering = ["-last_seen_at", "-id"]
    ordering_fields = ["id", "last_seen_at", "first_seen_at"]

    def get_queryset(self):
        """The flags the user may see (``visible_flags``); the list's filter backend narrows
        them with ``FlagFilter``, as ``visible_flags(user, query)`` does."""
        return visible_flags(getattr(self.request, "user", None))

    @extend_schema(
        request=serializers.AcknowledgeSerializer,
        responses={
            200: FlagSerializer,
            400: OpenApiResponse(description="No note, or the flag is resolved."),
        },
        description="Acknowledge an open flag with a note (analysts). A resolved flag gets 400.",
    )
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[CanAcknowledgeFlags],
        filterset_class=None,
        renderer_classes=[JSONRenderer],
    )
    @retried_on_lock_conflict
    def acknowledge(self, request, pk=None):
        flag = self.get_object()
        body = serializers.AcknowledgeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            acknowledge_flag(flag, request.user, body.validated_data["note"])
        except FlagStateError as refused:
            raise ValidationError({"status": [str(refused)]}) from None
        data = self.representation(flag.pk)
        return Response(data, headers={"ETag": etag_of(data)})


class TaskView(JSONErrorsMixin, APIView):
    """The state of a queued task (a scan), from Celery's result backend.

    A user restricted to a nation sees only the tasks they queued (others answer 404).
    """

    permission_classes = [IsAnalystOrViewer]
    renderer_classes = [JSONRenderer]

    @extend_schema(
        responses={
            200: serializers.TaskSerializer,
            404: OpenApiResponse(description="A restricted user's request for another's task."),
        },
        description="Celery cannot tell an unknown task id from a queued one: both are PENDING. "
        "A user restricted to a nation reads only the tasks they queued.",
    )
    def get(self, request, task_id):
        owner = cache.get(TASK_OWNER_KEY.format(task_id))
        if is_restricted(request.user) and owner != request.user.pk:
            raise NotFound
        result = AsyncResult(str(task_id))
        failed = result.failed()
        data = {
            "id": str(task_id),
            "status": result.status,
            "ready": result.ready(),
            "result": released_task_result(result.result, request.user)
            if result.successful()
            else None,
            "error": repr(result.result) if failed else None,
        }
        return Response(serializers.TaskSerializer(data).data)


class GlobalReturnsView(JSONErrorsMixin, APIView):
    """Each nation's global return per currency (SPEC §2, the OCCAR view), over the programmes
    and rows visible to the user; ``?format=csv|xlsx`` gives the rows as a table."""

    permission_classes = [IsAnalystOrViewer]
    renderer_classes = [JSONRenderer, CSVRenderer, XLSXRenderer]

    @extend_schema(
        parameters=[serializers.GlobalReturnsQuerySerializer],
        responses={
            200: serializers.GlobalReturnsSerializer,
            400: OpenApiResponse(description="A bad `as_of` or `currency`, by field."),
        },
        description="For each nation taking part in two or more programmes of one currency "
        "with contributions and work recorded by `as_of`: its share of all their work over its "
        "share of all their contributions.",
    )
    def get(self, request):
        query = serializers.GlobalReturnsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        as_of = query.validated_data.get("as_of") or timezone.localdate()
        rows = global_returns(
            as_of, query.validated_data.get("currency"), nation_id=viewer_nation(request.user)
        )
        data = serializers.GlobalReturnsSerializer({"as_of": as_of, "results": rows}).data
        if request.accepted_renderer.format in EXPORT_FORMATS:
            return Response(data["results"])
        return Response(data)


class ApiTokenViewSet(
    JSONErrorsMixin,
    ExportMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The caller's own API tokens: list, issue (the key is shown once) and revoke (DELETE)."""

    serializer_class = serializers.ApiTokenSerializer
    permission_classes = [IsAnalystOrViewer]
    filterset_class = None
    lookup_value_regex = ID_PATTERN
    ordering = ["-created_at", "-id"]
    ordering_fields = ["created_at", "name"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ApiToken.objects.none()
        return ApiToken.objects.filter(user=self.request.user)

    @extend_schema(
        request=serializers.ApiTokenSerializer,
        responses={201: serializers.IssuedApiTokenSerializer},
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            token, key = issue_token(request.user, **serializer.validated_data)
        except DjangoValidationError as error:
            raise ValidationError(serializers.drf_errors(error)) from None
        data = serializers.IssuedApiTokenSerializer(token).data
        data["key"] = key
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(description="Revoke the token: it stops working at once and stays listed.")
    def destroy(self, request, *args, **kwargs):
        revoke_token(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


def not_found(request, exception=None) -> HttpResponse:
    """Django's 404 handler: JSON under /api/, the normal page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
    return page_not_found(request, exception)
