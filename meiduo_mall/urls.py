from django.urls import include, path

from meiduo_mall.views import ApiDocsView, ApiSchemaView

urlpatterns = [
    path("api/schema/", ApiSchemaView.as_view(), name="api_schema"),
    path("api/docs/", ApiDocsView.as_view(), name="api_docs"),
    path("", include("contents.urls")),
    path("", include("users.urls")),
    path("", include("verifications.urls")),
]

handler400 = "meiduo_mall.views.bad_request"
handler500 = "meiduo_mall.middleware.server_error"
