from django.urls import include, path

urlpatterns = [
    path("", include("contents.urls")),
    path("", include("users.urls")),
    path("", include("verifications.urls")),
]

handler500 = "meiduo_mall.middleware.server_error"
