from django.contrib import admin
from django.urls import include, path

from programs.feeds import SubscriptionFeed

admin.site.site_header = "GCAPtrack"
admin.site.site_title = "GCAPtrack"
admin.site.index_title = "Programme governance data"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("programs.api.urls", namespace="api")),
    # A feed reader cannot sign in: the secret in the URL is the credential (programs.feeds).
    path("feeds/flags/<str:token>/", SubscriptionFeed(), name="flag-feed"),
    path("", include("programs.dashboards.urls")),
]

handler400 = "gcaptrack.errors.bad_request"
handler404 = "programs.api.views.not_found"
handler500 = "gcaptrack.errors.server_error"
