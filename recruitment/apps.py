from django.apps import AppConfig
from django.urls import register_converter
from django.utils.translation import gettext_lazy as _


class RecruitmentConfig(AppConfig):
    name = "recruitment"
    verbose_name = _("Recruitment")

    def ready(self) -> None:
        from .parsing import IdConverter

        # ``<id:pk>`` in every app's URL patterns: ids only ASCII digits within bigint range.
        register_converter(IdConverter, "id")
