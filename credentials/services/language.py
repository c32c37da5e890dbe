"""Language: certificates (YKI, the civil-service exam, an institution's test) as CEFR levels,
checked against the profession's requirement (``Profession.required_language_level``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from recruitment.actors import Actor
from recruitment.models import Case, Organisation
from recruitment.parsing import parse_int

from .. import authz
from ..models import (
    CIVIL_SERVICE_TO_CEFR,
    SUB_SKILLS,
    YKI_TO_CEFR,
    LanguageCertificate,
    LanguageTest,
)
from ._write import _audit, _case_for_write, _save


def to_cefr(test: str, value: Any, *, field: str = "level") -> str:
    """A sub-skill result as a CEFR level: CEFR as given, YKI levels 1-6 and the civil-service
    exam's satisfactory/good through the mappings in ``credentials.models``."""
    text = str(value).strip() if value is not None else ""
    if text.upper() in YKI_TO_CEFR.values():
        return text.upper()
    if test == LanguageTest.YKI and parse_int(text) in YKI_TO_CEFR:
        return YKI_TO_CEFR[parse_int(text)]
    if test == LanguageTest.CIVIL_SERVICE and text.lower() in CIVIL_SERVICE_TO_CEFR:
        return CIVIL_SERVICE_TO_CEFR[text.lower()]
    hints = {
        LanguageTest.YKI: _("a CEFR level A1–C2 or a YKI level 1–6"),
        LanguageTest.CIVIL_SERVICE: _("a CEFR level A1–C2, “satisfactory” or “good”"),
    }
    raise ValidationError(
        {
            field: _("“%(value)s” is not a language level: give %(hint)s.")
            % {"value": text, "hint": hints.get(test, _("a CEFR level A1–C2"))}
        }
    )


def language_milestones(case: Case) -> dict[str, Any]:
    """The date of the first certificate that meets the profession's requirement."""
    met = [
        certificate.taken_on
        for certificate in LanguageCertificate.objects.filter(case=case)
        if certificate.meets(case.profession)
    ]
    return {"language_requirement_met_on": min(met) if met else None}


@transaction.atomic
def record_language_certificate(
    *,
    case: Case | int,
    actor: Actor,
    language: str,
    test: str,
    taken_on: dt.date,
    speaking: Any,
    listening: Any,
    reading: Any,
    writing: Any,
    issuer: Organisation | None = None,
    occurred_at: dt.datetime | None = None,
) -> LanguageCertificate:
    """Record a language certificate; levels are CEFR (or YKI 1-6 / civil-service grades)."""
    case = _case_for_write(case, actor=actor, track=authz.LANGUAGE)
    given = {"speaking": speaking, "listening": listening, "reading": reading, "writing": writing}
    errors: dict = {}
    levels: dict[str, str] = {}
    for skill in SUB_SKILLS:
        try:
            levels[skill] = to_cefr(test, given[skill], field=skill)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    certificate = LanguageCertificate(
        case=case, language=language, test=test, taken_on=taken_on, issuer=issuer, **levels
    )
    if LanguageCertificate.objects.filter(
        case=case, language=language, test=test, taken_on=taken_on
    ).exists():
        raise ValidationError(
            _("A %(test)s certificate taken on %(date)s is already recorded.")
            % {"test": certificate.get_test_display(), "date": taken_on}
        )
    _save(certificate, created=True)
    _audit(
        case=case,
        actor=actor,
        track=authz.LANGUAGE,
        action="certificate_recorded",
        record=certificate,
        changes={
            "language": [None, language],
            "test": [None, test],
            "taken_on": [None, taken_on],
            **{skill: [None, level] for skill, level in levels.items()},
        },
        reason=certificate.shortfall_reason(case.profession),
        occurred_at=occurred_at,
        milestones=language_milestones(case),
    )
    return certificate
