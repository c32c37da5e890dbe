"""Template helpers for credential tracks."""

from django import template
from django.utils.translation import gettext_lazy as _

from credentials import selectors

register = template.Library()

OWNER_LABELS = {
    selectors.OWNER_RECRUITER: _("County recruiter"),
    selectors.OWNER_EDUCATION: _("Educational institution"),
    selectors.OWNER_EMPLOYMENT: _("Employment service"),
    selectors.OWNER_AUTHORITY: _("Authority"),
}


@register.filter
def step_owner(owner: str) -> str:
    return str(OWNER_LABELS.get(owner, owner))
