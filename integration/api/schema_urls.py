"""The URL conf the OpenAPI document is generated from: the partner API only (other apps'
endpoints under /api/v1/ are documented by their own apps)."""

from django.urls import include, path

from .urls import router

urlpatterns = [path("api/v1/", include(router.urls))]
