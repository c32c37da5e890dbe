from django.urls import path

from . import api

app_name = "monitoring_api"

urlpatterns = [
    path("", api.index, name="index"),
    path("<slug:key>/", api.table, name="table"),
]
