"""Web pages of the integration app (the partner API has its own URLs in integration.api)."""

from django.urls import path

from . import views

app_name = "integration"

urlpatterns = [
    path("organisation/api-clients/", views.api_clients, name="api_clients"),
    path(
        "organisation/api-clients/<id:pk>/revoke/",
        views.api_client_revoke,
        name="api_client_revoke",
    ),
    path("organisation/webhooks/", views.webhooks, name="webhooks"),
    path(
        "organisation/webhooks/<id:pk>/<slug:action>/",
        views.webhook_action,
        name="webhook_action",
    ),
    path("imports/", views.csv_imports, name="csv_imports"),
    path("imports/<id:pk>/", views.csv_import_detail, name="csv_import_detail"),
    path("imports/<id:pk>/status/", views.csv_import_status, name="csv_import_status"),
    path("imports/<id:pk>/report.csv", views.csv_import_report, name="csv_import_report"),
]
