from django.urls import path

from core import views

app_name = "core"
urlpatterns = [
    path("api/schema/", views.ApiSchemaView.as_view(), name="api_schema"),
    path("api/docs/", views.ApiDocsView.as_view(), name="api_docs"),
    path("healthz", views.HealthzView.as_view(), name="healthz"),
    path("readyz", views.ReadyzView.as_view(), name="readyz"),
    path("metrics", views.MetricsView.as_view(), name="metrics"),
]
