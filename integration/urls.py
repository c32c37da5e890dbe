"""Web pages of the integration app (the partner API has its own URLs in integration.api)."""

from django.urls import path

from . import views

app_name = "integration"

urlpatterns = [
    path("organisation/api-clients/", views.api_clients, name="api_clients"),
    path(
        "organisation/api-clients/<int:pk>/revoke/",
        views.api_client_revoke,
        name="api_client_revoke",
    ),
    path("organisation/webhooks/", views.webhooks, name="webhooks"),
    path(
        "organisation/webhooks/<int:pk>/<slug:action>/",
        views.webhook_action,
        name="webhook_action",
    ),
    path("imports/", views.csv_imports, name="csv_imports"),
    path("imports/<int:pk>/", views.csv_import_detail, name="csv_import_detail"),
    path("imports/<int:pk>/status/", views.csv_import_status, name="csv_import_status"),
    path("imports/<int:pk>/report.csv", views.csv_import_report, name="csv_import_report"),
]
