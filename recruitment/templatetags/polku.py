"""Template helpers for the web UI: localised names, stage owners, readable audit events."""

from __future__ import annotations

from django import template
from django.utils import formats
from django.utils.dateparse import parse_date
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from recruitment.models import Case, CaseEvent, CaseState, Placement, RetentionCheck
from recruitment.reasons import HIDDEN_CHANGES
from recruitment.reasons import event_reason as _event_reason
from recruitment.selectors import STAGE_OWNER_LABELS, is_stalled, stage_owner

register = template.Library()


@register.filter
def localname(obj) -> str:
    """The name of a profession, country or organisation in the current language."""
    if obj is None:
        return ""
    language = (get_language() or "fi")[:2]
    candidates = [f"name_{language}"]
    if language == "fi":
        candidates.append("name")
    candidates += ["name_en", "name_fi", "name"]
    for attribute in candidates:
        value = getattr(obj, attribute, "")
        if value:
            return value
    return str(obj)


@register.filter
def state_label(state: str) -> str:
    return str(CaseState(state).label) if state in CaseState.values else state


@register.filter
def owner_label(state: str) -> str:
    owner = stage_owner(state)
    return str(STAGE_OWNER_LABELS[owner]) if owner else ""


@register.filter
def stalled(case: Case) -> bool:
    return is_stalled(case)


def _field_label(name: str) -> str:
    try:
        return str(Case._meta.get_field(name).verbose_name)
    except Exception:
        return name.replace("_", " ")


def _value(name: str, value) -> str:
    if value in (None, ""):
        return "—"
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if isinstance(value, str):
        date = parse_date(value) if len(value) == 10 else None
        if date:
            return formats.date_format(date, "SHORT_DATE_FORMAT")
        if name == "recognition_outcome" or name == "outcome":
            choices = dict(Case._meta.get_field("recognition_outcome").choices)
            choices.update(dict(RetentionCheck.Outcome.choices))
            return str(choices.get(value, value))
        if name == "contract":
            return str(dict(Placement.Contract.choices).get(value, value))
        if name == "recruitment_basis":
            return str(dict(Case._meta.get_field("recruitment_basis").choices).get(value, value))
    return str(value)


@register.simple_tag
def describe_event(event: CaseEvent) -> str:
    """One sentence saying what happened, for the case timeline."""
    changes = event.changes or {}
    if event.kind == CaseEvent.Kind.OPENED:
        return _("Case opened (state: %(state)s).") % {"state": state_label(event.to_state)}
    if event.kind == CaseEvent.Kind.TRANSITION:
        return _("State changed from “%(from)s” to “%(to)s”.") % {
            "from": state_label(event.from_state),
            "to": state_label(event.to_state),
        }
    if event.kind == CaseEvent.Kind.PLACEMENT:
        unit = (changes.get("county_unit") or [None, ""])[1]
        start = (changes.get("start_date") or [None, ""])[1]
        return _("Placement recorded: %(unit)s from %(date)s.") % {
            "unit": unit,
            "date": _value("start_date", start),
        }
    if event.kind == CaseEvent.Kind.RETENTION:
        months = (changes.get("months") or [None, ""])[1]
        outcome = (changes.get("outcome") or [None, ""])[1]
        return _("Retention check at %(months)s months: %(outcome)s.") % {
            "months": months,
            "outcome": _value("outcome", outcome),
        }
    if "partner_added" in changes:
        return _("Partner organisation linked: %(code)s.") % {"code": changes["partner_added"][1]}
    parts = []
    for name, pair in changes.items():
        if name in HIDDEN_CHANGES:
            continue
        new = pair[1] if isinstance(pair, list | tuple) and len(pair) == 2 else pair
        parts.append(f"{_field_label(name)}: {_value(name, new)}")
    if event.kind == CaseEvent.Kind.MILESTONE:
        return _("Milestones recorded: %(parts)s.") % {"parts": "; ".join(parts)}
    if event.kind == CaseEvent.Kind.TRACK:
        return (
            _("Credential track updated: %(parts)s.") % {"parts": "; ".join(parts)}
            if parts
            else (_("Credential track updated."))
        )
    return _("Details changed: %(parts)s.") % {"parts": "; ".join(parts)}


@register.filter
def event_reason(event: CaseEvent) -> str:
    """The event's reason, in the reader's language when Polku wrote it."""
    return _event_reason(event)


@register.simple_tag
def describe_actor(event: CaseEvent) -> str:
    if event.actor_kind == "system":
        return _("Polku (automatic)")
    if event.actor_kind == "api_client":
        return _("API client %(label)s") % {"label": event.actor_label}
    return event.actor_label
