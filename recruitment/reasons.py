"""System-written reasons of the audit trail, readable in each reader's language.

The audit trail is a record: an event's ``reason`` is stored once and never rewritten. When
our own code writes the reason (an automatic step, a language shortfall), it writes it in
English (the source language) and also stores a machine-readable key and its parameters in
the event's ``changes`` (``reason_key`` and ``reason_params``, as ``[None, value]`` pairs like
every other change). ``event_reason`` renders that key in the *current* language and falls
back to the stored text for reasons people typed, unknown keys and older events.

Apps register the keys they write with ``register``; this module knows the core's own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import formats, translation
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

REASON_KEY = "reason_key"
REASON_PARAMS = "reason_params"
HIDDEN_CHANGES = frozenset({REASON_KEY, REASON_PARAMS})
SOURCE_LANGUAGE = "en"

_RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {}


def register(key: str) -> Callable:
    """Decorator: ``fn(params) -> str`` renders the reason ``key`` in the active language."""

    def decorator(fn: Callable[[dict[str, Any]], str]) -> Callable[[dict[str, Any]], str]:
        _RENDERERS[key] = fn
        return fn

    return decorator


def render(key: str, params: dict[str, Any] | None) -> str | None:
    """The reason in the active language, or None for an unknown key or unusable params."""
    renderer = _RENDERERS.get(key)
    if renderer is None:
        return None
    try:
        return str(renderer(params if isinstance(params, dict) else {}))
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


@dataclass(frozen=True)
class SystemText:
    """A reason our code writes: stored as English text plus its key and parameters."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def source(self) -> str:
        """The text as stored in the audit trail (in the source language)."""
        with translation.override(SOURCE_LANGUAGE):
            return render(self.key, self.params) or ""

    def changes(self) -> dict[str, list]:
        return {REASON_KEY: [None, self.key], REASON_PARAMS: [None, dict(self.params)]}

    def __str__(self) -> str:
        return render(self.key, self.params) or ""


def _new(pair: Any) -> Any:
    return pair[1] if isinstance(pair, list | tuple) and len(pair) == 2 else pair


def event_reason(event) -> str:
    """The event's reason in the reader's language when our code wrote it, else as stored."""
    changes = event.changes or {}
    key = _new(changes.get(REASON_KEY))
    if isinstance(key, str) and key:
        text = render(key, _new(changes.get(REASON_PARAMS)))
        if text:
            return text
    return event.reason


def format_date(value: str | dt.date | None) -> str:
    """A stored ISO date in the active language's date format."""
    date = value if isinstance(value, dt.date) else parse_date(str(value or ""))
    if date is None:
        raise ValueError(f"not a date: {value!r}")
    return formats.date_format(date, "DATE_FORMAT")


# --- the core's own reasons (recruitment.services) ---------------------------------------------


@register("requirements_met")
def _requirements_met(params: dict[str, Any]) -> str:
    parts = []
    if params.get("recognition"):
        parts.append(_("recognition granted"))
    if params.get("language_level"):
        parts.append(_("language requirement %(level)s met") % {"level": params["language_level"]})
    if params.get("permit_valid_until"):
        parts.append(
            _("residence permit valid until %(date)s")
            % {"date": format_date(params["permit_valid_until"])}
        )
    else:
        parts.append(_("no residence permit needed (EU/EEA or Nordic citizen)"))
    return _("All requirements for placement met: %(parts)s.") % {
        "parts": ", ".join(str(p) for p in parts)
    }


@register("training_started")
def _training_started(params: dict[str, Any]) -> str:
    return _("Training or language studies started.")


@register("recognition_submitted")
def _recognition_submitted(params: dict[str, Any]) -> str:
    return _("Recognition application submitted on %(date)s.") % {
        "date": format_date(params["date"])
    }


@register("training_finished_recognition_pending")
def _training_finished(params: dict[str, Any]) -> str:
    return _("Training finished; recognition decision pending.")


@register("retention_checks_passed")
def _retention_passed(params: dict[str, Any]) -> str:
    return _("Retention checks at 6 and 12 months passed.")
