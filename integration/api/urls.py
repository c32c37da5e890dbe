"""URLs of the partner API v1, mounted at /api/v1/ by config/urls.py."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from . import (  # noqa: F401 - schema registers the auth extensions
    cases,
    imports,
    integration_steps,
    language,
    permits,
    schema,
    training,
    webhooks,
)

router = SimpleRouter()
router.register("cases", cases.CaseViewSet, basename="api-case")
router.register("enrollments", training.EnrollmentViewSet, basename="api-enrollment")
router.register(
    "language-certificates",
    language.LanguageCertificateViewSet,
    basename="api-language-certificate",
)
router.register("permits", permits.PermitViewSet, basename="api-permit")
router.register(
    "integration-steps", integration_steps.IntegrationStepViewSet, basename="api-integration-step"
)
router.register("webhooks", webhooks.SubscriptionViewSet, basename="api-webhook")
router.register("imports", imports.CsvImportViewSet, basename="api-import")

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
