from django.urls import path

from . import views

app_name = "monitoring"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("tables/<slug:key>.csv", views.table_csv, name="table_csv"),
    path("reports/", views.reports, name="reports"),
    path("reports/<id:pk>/status/", views.report_status, name="report_status"),
    path("reports/<id:pk>/pdf/", views.report_pdf, name="report_pdf"),
]
