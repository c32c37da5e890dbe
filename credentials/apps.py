from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CredentialsConfig(AppConfig):
    name = "credentials"
    verbose_name = _("Credentials")

    def ready(self) -> None:
        # The core's "stalled" (case list, my work) follows the editable StageTimeLimit rows.
        from recruitment import selectors as case_selectors

        from .web_selectors import stage_time_limits

        case_selectors.set_stage_limit_provider(stage_time_limits)
