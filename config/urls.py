from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from recruitment import views as recruitment_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("integration.api.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", recruitment_views.home, name="home"),
    # Web UI: the core's pages first ("cases/new/" before the case page's "cases/<number>/").
    path("", include("recruitment.urls")),
    path("", include("credentials.urls")),
    path("", include("integration.urls")),
    path("monitoring/", include("monitoring.urls")),
    path("api/v1/monitoring/", include("monitoring.api_urls")),
]

# On /api/ paths: problem+json instead of the site's HTML error pages.
handler404 = "integration.api.middleware.not_found"
handler500 = "integration.api.middleware.server_error"
