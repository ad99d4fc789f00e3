from django.contrib import admin
from django.urls import path

admin.site.site_header = "GCAPtrack"
admin.site.site_title = "GCAPtrack"
admin.site.index_title = "Programme governance data"

urlpatterns = [
    path("admin/", admin.site.urls),
]
