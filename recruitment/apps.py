from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.urls import register_converter
from django.utils.translation import gettext_lazy as _


class RecruitmentConfig(AppConfig):
    name = "recruitment"
    verbose_name = _("Recruitment")
    default = True

    def ready(self) -> None:
        from .parsing import IdConverter

        # ``<id:pk>`` in every app's URL patterns: ids only ASCII digits within bigint range.
        register_converter(IdConverter, "id")


class PolkuAdminConfig(admin_apps.AdminConfig):
    """``django.contrib.admin`` with Polku's site: superusers only (``recruitment.admin_site``).
    Listed in INSTALLED_APPS in place of ``django.contrib.admin``."""

    default = False
    default_site = "recruitment.admin_site.PolkuAdminSite"
