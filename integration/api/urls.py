"""URLs of the partner API v1, mounted at /api/v1/ by config/urls.py."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from . import partner_views, schema, views  # noqa: F401 - schema registers auth extensions

router = SimpleRouter()
router.register("cases", views.CaseViewSet, basename="api-case")
router.register("enrollments", views.EnrollmentViewSet, basename="api-enrollment")
router.register(
    "language-certificates", views.LanguageCertificateViewSet, basename="api-language-certificate"
)
router.register("permits", views.PermitViewSet, basename="api-permit")
router.register("integration-steps", views.IntegrationStepViewSet, basename="api-integration-step")
router.register("webhooks", partner_views.SubscriptionViewSet, basename="api-webhook")
router.register("imports", partner_views.CsvImportViewSet, basename="api-import")

urlpatterns = [
    path(
        "schema/",
        SpectacularAPIView.as_view(urlconf="integration.api.schema_urls"),
        name="api-schema",
    ),
    # Our own templates: the sidecar's bundles started by a static init script, no inline
    # script or style and nothing external, so the site's strict CSP holds here too.
    path(
        "docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
    path(
        "redoc/",
        SpectacularRedocView.as_view(url_name="api-schema", template_name="api/redoc.html"),
        name="api-redoc",
    ),
    path("", include(router.urls)),
]
