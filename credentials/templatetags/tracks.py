"""Template helpers for credential tracks: owners of next steps and readable track events."""

import datetime as dt

from django import template
from django.utils import formats
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from credentials import authz, selectors
from credentials.models import (
    IntegrationStep,
    LanguageCertificate,
    RecognitionApplication,
    RecognitionCondition,
    ResidencePermit,
    TrainingEnrollment,
)
from recruitment.models import CaseEvent, Organisation
from recruitment.reasons import HIDDEN_CHANGES
from recruitment.templatetags.polku import describe_event, localname

register = template.Library()

OWNER_LABELS = {
    selectors.OWNER_RECRUITER: gettext_lazy("County recruiter"),
    selectors.OWNER_EDUCATION: gettext_lazy("Educational institution"),
    selectors.OWNER_EMPLOYMENT: gettext_lazy("Employment service"),
    selectors.OWNER_AUTHORITY: gettext_lazy("Authority"),
}
TRACK_MODELS = {
    authz.RECOGNITION: RecognitionApplication,
    authz.TRAINING: TrainingEnrollment,
    authz.LANGUAGE: LanguageCertificate,
    authz.PERMIT: ResidencePermit,
    authz.INTEGRATION: IntegrationStep,
}
TRACK_LABELS = {
    authz.RECOGNITION: gettext_lazy("Recognition"),
    authz.TRAINING: gettext_lazy("Training"),
    authz.LANGUAGE: gettext_lazy("Language"),
    authz.PERMIT: gettext_lazy("Residence permit"),
    authz.INTEGRATION: gettext_lazy("Employment services"),
}
ACTION_LABELS = {
    "submitted": gettext_lazy("application submitted"),
    "review_started": gettext_lazy("review started"),
    "decided": gettext_lazy("decision recorded"),
    "appealed": gettext_lazy("appeal lodged"),
    "completed": gettext_lazy("completed"),
    "enrolled": gettext_lazy("enrolled"),
    "updated": gettext_lazy("progress updated"),
    "started": gettext_lazy("started"),
    "interrupted": gettext_lazy("interrupted"),
    "certificate_recorded": gettext_lazy("certificate recorded"),
    "applied": gettext_lazy("permit applied for"),
    "granted": gettext_lazy("permit decided"),
    "step_recorded": gettext_lazy("step recorded"),
    "step_updated": gettext_lazy("step updated"),
}
HIDDEN = {"track", "action", "record_id", *HIDDEN_CHANGES}


@register.filter
def step_owner(owner: str) -> str:
    return str(OWNER_LABELS.get(owner, owner))


def _value(field, value) -> str:
    if value in (None, "", []):
        return "—"
    if field is not None and field.is_relation and field.related_model is Organisation:
        organisation = Organisation.objects.filter(code=value).first()
        return localname(organisation) if organisation is not None else str(value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        labels = dict(RecognitionCondition.choices)
        return ", ".join(str(labels.get(item, item)) for item in value)
    if field is not None and field.choices:
        return str(dict(field.choices).get(value, value))
    if isinstance(value, str) and len(value) == 10:
        date = parse_date(value)
        if isinstance(date, dt.date):
            return formats.date_format(date, "SHORT_DATE_FORMAT")
    return str(value)


def describe_track_event(event: CaseEvent) -> str:
    changes = event.changes or {}
    track = (changes.get("track") or [None, ""])[1]
    action = (changes.get("action") or [None, ""])[1]
    model = TRACK_MODELS.get(track)
    parts = []
    for name, pair in changes.items():
        if name in HIDDEN:
            continue
        new = pair[1] if isinstance(pair, list | tuple) and len(pair) == 2 else pair
        field = None
        if model is not None:
            try:
                field = model._meta.get_field(name)
            except Exception:
                field = None
        label = str(field.verbose_name) if field is not None else name.replace("_", " ")
        parts.append(f"{label}: {_value(field, new)}")
    head = f"{TRACK_LABELS.get(track, track)}: {ACTION_LABELS.get(action, action)}"
    return f"{head} ({'; '.join(parts)})." if parts else f"{head}."


@register.simple_tag
def describe_case_event(event: CaseEvent) -> str:
    """A timeline sentence for any case event; credential-track events in their own words."""
    if event.kind == CaseEvent.Kind.TRACK and "track" in (event.changes or {}):
        return describe_track_event(event)
    return describe_event(event)
