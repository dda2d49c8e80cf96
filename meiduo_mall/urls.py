from django.contrib import admin
from django.urls import include, path

# Django tries the patterns in order: the busiest first (a sign-up flood hits the captcha
# and SMS endpoints), after the probes. Their prefixes differ, so order changes nothing else.
urlpatterns = [
    path("", include("core.urls")),
    path("", include("verifications.urls")),
    path("", include("users.urls")),
    path("", include("contents.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "core.views.bad_request"
handler500 = "core.views.server_error"
