from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("core.urls")),
    path("", include("contents.urls")),
    path("", include("users.urls")),
    path("", include("verifications.urls")),
]

handler400 = "core.views.bad_request"
handler500 = "core.views.server_error"
