"""URLs of /api/v1/ (included from gcaptrack.urls under the ``api`` namespace)."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from programs.api import changes, page_reports, subscriptions, views, webhooks, whatif

app_name = "api"

router = SimpleRouter()
router.register("nations", views.NationViewSet, basename="nation")
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("programmes", views.ProgrammeViewSet, basename="programme")
router.register("participations", views.ParticipationViewSet, basename="participation")
router.register("contributions", views.ContributionViewSet, basename="contribution")
router.register("work-packages", views.WorkPackageViewSet, basename="work-package")
router.register("workshare", views.WorkshareViewSet, basename="workshare")
router.register("decision-bodies", views.DecisionBodyViewSet, basename="decision-body")
router.register("leadership-roles", views.LeadershipRoleViewSet, basename="leadership-role")
router.register("decisions", views.DecisionViewSet, basename="decision")
router.register("tech-transfers", views.TechTransferViewSet, basename="tech-transfer")
router.register("agreements", views.AgreementViewSet, basename="agreement")
router.register("flags", views.FlagViewSet, basename="flag")
router.register("tokens", views.ApiTokenViewSet, basename="token")
router.register("what-if/drafts", whatif.DraftViewSet, basename="whatif-draft")
router.register("subscriptions", subscriptions.SubscriptionViewSet, basename="subscription")
router.register("webhooks", webhooks.WebhookViewSet, basename="webhook")

urlpatterns = [
    *router.urls,
    path("tasks/<uuid:task_id>/", views.TaskView.as_view(), name="task"),
    path("what-if/", whatif.WhatIfView.as_view(), name="what-if"),
    path("global-returns/", views.GlobalReturnsView.as_view(), name="global-returns"),
    path("changes/", changes.ChangeLogView.as_view(), name="changes"),
    re_path(
        r"^pairs/(?P<a>[A-Z]{3})/(?P<b>[A-Z]{3})/$",
        page_reports.PairReportView.as_view(),
        name="pair-report",
    ),
    path("portfolio/", page_reports.PortfolioReportView.as_view(), name="portfolio-report"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script from a URL instead of inline, so the content
    # security policy can keep script-src 'self'.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
]
