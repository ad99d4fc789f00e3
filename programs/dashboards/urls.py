from django.contrib.auth import views as auth_views
from django.urls import path

from programs.dashboards import views, whatif_views

app_name = "dashboards"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="dashboards/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.portfolio, name="portfolio"),
    path("programmes/<slug:code>/", views.programme, name="programme"),
    path("programmes/<slug:code>/what-if/", whatif_views.what_if, name="what-if"),
    path("programmes/<slug:code>/what-if/save/", whatif_views.save, name="what-if-save"),
    path(
        "programmes/<slug:code>/what-if/drafts/<int:pk>/copy/",
        whatif_views.copy,
        name="what-if-copy",
    ),
    path(
        "programmes/<slug:code>/what-if/drafts/<int:pk>/delete/",
        whatif_views.delete,
        name="what-if-delete",
    ),
    path("nations/", views.pair_picker, name="pair-picker"),
    path("nations/<str:a>/<str:b>/", views.pair, name="pair"),
    path("flags/", views.flags, name="flags"),
    path("flags/views/", views.save_flag_view, name="save-flag-view"),
    path("flags/views/<str:token>/", views.saved_flag_view, name="saved-flag-view"),
    path("flags/views/<int:pk>/delete/", views.delete_flag_view, name="delete-flag-view"),
    path("changes/", views.changes, name="changes"),
    path("subscriptions/", views.subscriptions, name="subscriptions"),
    path(
        "subscriptions/<int:pk>/delete/",
        views.subscription_action,
        {"action": "delete"},
        name="subscription-delete",
    ),
    path(
        "subscriptions/<int:pk>/rotate-feed/",
        views.subscription_action,
        {"action": "rotate-feed"},
        name="subscription-rotate-feed",
    ),
    path("subscriptions/<int:pk>/webhooks/", views.webhook_add, name="webhook-add"),
    path("webhooks/<int:pk>/delete/", views.webhook_delete, name="webhook-delete"),
    path("webhooks/<int:pk>/deliveries/", views.webhook_deliveries, name="webhook-deliveries"),
    path("flags/<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
]
