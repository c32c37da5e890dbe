"""The Django admin site: the platform administrators' (superusers') alone (DESIGN.md).

Every other role works in the web UI, whose views ask ``recruitment.authz`` and the services
for each object. The admin is a second door to the same data with its own, much wider
screens (add forms, change lists, raw ids), so it is closed at the site, in this one place:
every admin URL asks ``has_permission``, and a user who is not an active superuser is sent to
the admin's login page (302), whatever the model admins would allow. The model admins keep
their own object rules as a second line.

``PolkuAdminConfig`` (``recruitment.apps``) installs this site as ``django.contrib.admin.site``.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import authz


class PlatformAdminLoginForm(AdminAuthenticationForm):
    """The admin's login accepts superusers only (Django's accepts any ``is_staff`` user)."""

    def confirm_login_allowed(self, user):
        AuthenticationForm.confirm_login_allowed(self, user)  # active accounts only
        if not authz.is_platform_admin(user):
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class PolkuAdminSite(admin.AdminSite):
    site_header = _("Polku administration")
    site_title = _("Polku")
    index_title = _("Recruitment cases and reference data")
    login_form = PlatformAdminLoginForm

    def has_permission(self, request) -> bool:
        return authz.is_platform_admin(request.user)
