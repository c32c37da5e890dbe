"""Serializers of the partner API.

Input serializers are strict: unknown fields are an error (a typo must not be silently
ignored). Output serializers build plain dicts from rows the selectors already joined, and
leave out what the caller may not see (``recruitment.authz.case_visibility``, narrowed by the
token's scopes): ``contact``, ``permit`` and each milestone are null then.
"""

from __future__ import annotations

from django.http import QueryDict
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from credentials.models import (
    SUB_SKILLS,
    IntegrationStepKind,
    IntegrationStepStatus,
    Language,
    LanguageTest,
    PermitKind,
    PermitType,
    Programme,
    TrainingState,
)
from recruitment import authz
from recruitment.models import CaseState, CEFRLevel, Organisation, RecognitionOutcome
from recruitment.parsing import MAX_ID, MAX_INT, parse_id

from ..models import CsvImport, EventType

# --- Base ------------------------------------------------------------------------------------


def _json_type_error(field, value) -> str | None:
    """Why ``value`` (from a JSON body) has the wrong type for ``field``; None when it fits.

    DRF coerces on its own: 42 becomes "42" for a CharField, "7" becomes 7 for an
    IntegerField and "yes" becomes True for a BooleanField. The API promises JSON types
    instead (docs/api.md, "Errors"): a wrong type is a 400 naming the field."""
    if value is None or isinstance(field, serializers.JSONField | serializers.FileField):
        return None  # null: the field's allow_null decides
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else _("Must be true or false.")
    if isinstance(field, serializers.IntegerField):
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else _("Must be a whole number.")
    if isinstance(field, serializers.ListField | serializers.MultipleChoiceField):
        if not isinstance(value, list):
            return _("Must be a list.")
        child = getattr(field, "child", None)
        errors = [_json_type_error(child, item) for item in value] if child else []
        return next((e for e in errors if e), None)
    if isinstance(field, serializers.Serializer | serializers.DictField):
        return None if isinstance(value, dict) else _("Must be an object.")
    if isinstance(
        field,
        serializers.CharField
        | serializers.ChoiceField
        | serializers.DateField
        | serializers.DateTimeField
        | serializers.RelatedField,
    ):
        return None if isinstance(value, str) else _("Must be a string.")
    return None


class StrictSerializer(serializers.Serializer):
    """Rejects fields it does not know, naming them, and values of the wrong JSON type
    (``_json_type_error``). Multipart form fields are text by nature and keep DRF's
    parsing (e.g. ``apply_valid_rows=true`` of a CSV upload)."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: [_("Unknown field.")] for name in unknown})
            if not isinstance(data, QueryDict):
                wrong = {
                    name: [error]
                    for name, value in data.items()
                    if (error := _json_type_error(self.fields[name], value))
                }
                if wrong:
                    raise serializers.ValidationError(wrong)
        return super().to_internal_value(data)


class IdField(serializers.IntegerField):
    """An id in a request body: the one id parser's rule (1 to the bigint maximum)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        number = parse_id(data)
        if number is None:
            raise serializers.ValidationError(
                _("Give an id: a whole number from 1 up (digits only).")
            )
        return number


class OrganisationCodeField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "code")
        kwargs.setdefault("queryset", Organisation.objects.filter(is_active=True))
        super().__init__(**kwargs)


def _date(value):
    return value.isoformat() if value else None


def _datetime(value):
    return value.isoformat() if value else None


# --- Cases -----------------------------------------------------------------------------------


class CandidateNameSerializer(serializers.Serializer):
    first_name = serializers.CharField()
    last_name = serializers.CharField()


class CaseContactSerializer(serializers.Serializer):
    email = serializers.CharField(allow_blank=True)
    phone = serializers.CharField(allow_blank=True)
    birth_date = serializers.DateField(allow_null=True)
    nationality = serializers.CharField(help_text="ISO 3166-1 alpha-2 code.")


class CaseMilestonesSerializer(serializers.Serializer):
    """Each milestone is null where your organisation does not see its track (recognition:
    counties only; training and language: counties and institutions; see docs/api.md)."""

    recognition_submitted_on = serializers.DateField(allow_null=True)
    recognition_decided_on = serializers.DateField(allow_null=True)
    recognition_outcome = serializers.ChoiceField(
        choices=[("", "none"), *RecognitionOutcome.choices], allow_blank=True, allow_null=True
    )
    training_in_progress = serializers.BooleanField(allow_null=True)
    language_requirement_met_on = serializers.DateField(allow_null=True)


class CasePermitSerializer(serializers.Serializer):
    applied_on = serializers.DateField(allow_null=True)
    granted_on = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)


# The milestones a case shows (permit milestones are shown as ``permit``), and which are dates.
MILESTONES = (
    "recognition_submitted_on",
    "recognition_decided_on",
    "recognition_outcome",
    "training_in_progress",
    "language_requirement_met_on",
)
MILESTONE_DATES = {
    "recognition_submitted_on",
    "recognition_decided_on",
    "language_requirement_met_on",
}


class CaseSerializer(serializers.Serializer):
    """A case as partners see it: ``contact`` only for the case's own county; ``permit`` only
    where the permit track is visible (the county, employment services linked to the case,
    with permits:read; never educational institutions); each milestone likewise by its
    track. The view passes ``visibilities`` (case id → CaseVisibility) for a page of cases."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    state = serializers.ChoiceField(choices=CaseState.choices)
    state_label = serializers.CharField()
    version = serializers.IntegerField(help_text='Send it back as If-Match: "<version>".')
    county = serializers.CharField(help_text="Organisation code of the county.")
    profession = serializers.CharField(help_text="Profession code.")
    opened_on = serializers.DateField()
    state_changed_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()
    candidate = CandidateNameSerializer()
    milestones = CaseMilestonesSerializer()
    permit = CasePermitSerializer(allow_null=True)
    contact = CaseContactSerializer(allow_null=True)

    def _state_labels(self) -> dict[str, str]:
        """State labels translated once per response, not once per row."""
        root = self.root if self.root is not None else self
        labels = getattr(root, "_polku_state_labels", None)
        if labels is None:
            labels = {value: str(label) for value, label in CaseState.choices}
            root._polku_state_labels = labels
        return labels

    def to_representation(self, case):
        """``case`` is a Case or a row of ``selectors.case_list_for_api`` (a dict)."""
        principal = self.context["principal"]
        row = case if isinstance(case, dict) else case_row(case)
        visibility = self.context.get("visibilities", {}).get(row["id"])
        if visibility is None:
            visibility = principal.visibilities([(row["id"], row["county_id"])])[row["id"]]
        state = row["state"]
        data = {
            "id": row["id"],
            "number": row["number"],
            "state": state,
            "state_label": self._state_labels().get(state, state),
            "version": row["version"],
            "county": row["county__code"],
            "profession": row["profession__code"],
            "opened_on": _date(row["opened_on"]),
            "state_changed_at": _datetime(row["state_changed_at"]),
            "closed_at": _datetime(row["closed_at"]),
            "updated_at": _datetime(row["updated_at"]),
            "candidate": {
                "first_name": row["candidate__first_name"],
                "last_name": row["candidate__last_name"],
            },
            "milestones": {
                name: (_date(row[name]) if name in MILESTONE_DATES else row[name])
                if visibility.sees_milestone(name)
                else None
                for name in MILESTONES
            },
            "permit": None,
            "contact": None,
        }
        if visibility.sees_track(authz.PERMIT):
            data["permit"] = {
                "applied_on": _date(row["permit_applied_on"]),
                "granted_on": _date(row["permit_granted_on"]),
                "valid_until": _date(row["permit_valid_until"]),
            }
        if visibility.sees_contact_details:
            data["contact"] = {
                "email": row["candidate__email"],
                "phone": row["candidate__phone"],
                "birth_date": _date(row["candidate__birth_date"]),
                "nationality": row["candidate__nationality__code"],
            }
        return data


def case_row(case) -> dict:
    """A Case (with candidate, county and profession loaded) as a case-list row."""
    candidate = case.candidate
    return {
        "id": case.pk,
        "number": case.number,
        "state": case.state,
        "version": case.version,
        "county_id": case.county_id,
        "county__code": case.county.code,
        "profession__code": case.profession.code,
        "opened_on": case.opened_on,
        "state_changed_at": case.state_changed_at,
        "closed_at": case.closed_at,
        "updated_at": case.updated_at,
        "candidate__first_name": candidate.first_name,
        "candidate__last_name": candidate.last_name,
        "candidate__email": candidate.email,
        "candidate__phone": candidate.phone,
        "candidate__birth_date": candidate.birth_date,
        "candidate__nationality__code": candidate.nationality.code,
        **{
            name: getattr(case, name)
            for name in (
                "recognition_submitted_on",
                "recognition_decided_on",
                "recognition_outcome",
                "training_in_progress",
                "language_requirement_met_on",
                "permit_applied_on",
                "permit_granted_on",
                "permit_valid_until",
            )
        },
    }


class TransitionOptionSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    allowed = serializers.BooleanField()
    blocked_reasons = serializers.ListField(child=serializers.CharField())
    reason_required = serializers.BooleanField()


class TransitionRequestSerializer(StrictSerializer):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Required for hold, withdraw, reject and leave_early.",
    )


class NextStepSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    owner = serializers.CharField()
    blocked_by = serializers.ListField(child=serializers.CharField())
    done = serializers.BooleanField()


# --- Training --------------------------------------------------------------------------------


class EnrollmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    case = serializers.IntegerField(help_text="Case id.")
    case_number = serializers.CharField()
    institution = serializers.CharField(help_text="Organisation code of the institution.")
    programme = serializers.ChoiceField(choices=Programme.choices)
    state = serializers.ChoiceField(choices=TrainingState.choices)
    progress_percent = serializers.IntegerField(min_value=0, max_value=100)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(allow_null=True)
    completed_on = serializers.DateField(allow_null=True)
    interrupted_on = serializers.DateField(allow_null=True)
    interruption_reason = serializers.CharField(allow_blank=True)
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, e):
        return {
            "id": e.pk,
            "case": e.case_id,
            "case_number": e.case.number,
            "institution": e.institution.code,
            "programme": e.programme,
            "state": e.state,
            "progress_percent": e.progress_percent,
            "starts_on": _date(e.starts_on),
            "ends_on": _date(e.ends_on),
            "completed_on": _date(e.completed_on),
            "interrupted_on": _date(getattr(e, "interrupted_on", None)),
            "interruption_reason": e.interruption_reason,
            "version": e.version,
            "updated_at": _datetime(e.updated_at),
        }


class EnrollmentCreateSerializer(StrictSerializer):
    case = IdField(help_text="Case id.")
    institution = OrganisationCodeField(
        required=False,
        help_text="Institution code. Institutions may leave it out (their own is used).",
    )
    programme = serializers.ChoiceField(choices=Programme.choices)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(required=False, allow_null=True)


class EnrollmentUpdateSerializer(StrictSerializer):
    progress_percent = serializers.IntegerField(min_value=0, max_value=100, required=False)
    ends_on = serializers.DateField(required=False, allow_null=True)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(_("Send progress_percent and/or ends_on."))
        return attrs


class EnrollmentCompleteSerializer(StrictSerializer):
    completed_on = serializers.DateField()


class EnrollmentInterruptSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=2000)


class EnrollmentBulkItemSerializer(StrictSerializer):
    id = IdField()
    version = serializers.IntegerField(
        min_value=1, max_value=MAX_INT, help_text="The version you read (ETag)."
    )
    action = serializers.ChoiceField(
        choices=[
            ("update", "update"),
            ("start", "start"),
            ("complete", "complete"),
            ("interrupt", "interrupt"),
        ],
        default="update",
    )
    progress_percent = serializers.IntegerField(min_value=0, max_value=100, required=False)
    ends_on = serializers.DateField(required=False, allow_null=True)
    completed_on = serializers.DateField(required=False)
    reason = serializers.CharField(required=False, max_length=2000)

    def validate(self, attrs):
        action = attrs.get("action", "update")
        if action == "update" and "progress_percent" not in attrs and "ends_on" not in attrs:
            raise serializers.ValidationError(_("Send progress_percent and/or ends_on."))
        if action == "complete" and "completed_on" not in attrs:
            raise serializers.ValidationError({"completed_on": [_("This field is required.")]})
        if action == "interrupt" and not attrs.get("reason", "").strip():
            raise serializers.ValidationError({"reason": [_("This field is required.")]})
        return attrs


class LanguageCertificateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    case = serializers.IntegerField()
    case_number = serializers.CharField()
    language = serializers.ChoiceField(choices=Language.choices)
    test = serializers.ChoiceField(choices=LanguageTest.choices)
    issuer = serializers.CharField(allow_null=True)
    taken_on = serializers.DateField()
    speaking = serializers.ChoiceField(choices=CEFRLevel.choices)
    listening = serializers.ChoiceField(choices=CEFRLevel.choices)
    reading = serializers.ChoiceField(choices=CEFRLevel.choices)
    writing = serializers.ChoiceField(choices=CEFRLevel.choices)
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, c):
        return {
            "id": c.pk,
            "case": c.case_id,
            "case_number": c.case.number,
            "language": c.language,
            "test": c.test,
            "issuer": c.issuer.code if c.issuer_id else None,
            "taken_on": _date(c.taken_on),
            **{skill: getattr(c, skill) for skill in SUB_SKILLS},
            "version": c.version,
            "updated_at": _datetime(c.updated_at),
        }


class LanguageCertificateCreateSerializer(StrictSerializer):
    case = IdField(help_text="Case id.")
    language = serializers.ChoiceField(choices=Language.choices)
    test = serializers.ChoiceField(choices=LanguageTest.choices)
    issuer = OrganisationCodeField(required=False, allow_null=True)
    taken_on = serializers.DateField()
    speaking = serializers.ChoiceField(choices=CEFRLevel.choices)
    listening = serializers.ChoiceField(choices=CEFRLevel.choices)
    reading = serializers.ChoiceField(choices=CEFRLevel.choices)
    writing = serializers.ChoiceField(choices=CEFRLevel.choices)


# --- Permits and integration steps -----------------------------------------------------------


class PermitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    case = serializers.IntegerField()
    case_number = serializers.CharField()
    permit_type = serializers.ChoiceField(choices=PermitType.choices)
    permit_kind = serializers.ChoiceField(choices=PermitKind.choices)
    state = serializers.CharField()
    applied_on = serializers.DateField()
    decided_on = serializers.DateField(allow_null=True)
    valid_from = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)
    decision_reference = serializers.CharField(allow_blank=True)
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, p):
        return {
            "id": p.pk,
            "case": p.case_id,
            "case_number": p.case.number,
            "permit_type": p.permit_type,
            "permit_kind": p.permit_kind,
            "state": p.state,
            "applied_on": _date(p.applied_on),
            "decided_on": _date(p.decided_on),
            "valid_from": _date(p.valid_from),
            "valid_until": _date(p.valid_until),
            "decision_reference": p.decision_reference,
            "version": p.version,
            "updated_at": _datetime(p.updated_at),
        }


class PermitCreateSerializer(StrictSerializer):
    case = IdField(help_text="Case id.")
    permit_type = serializers.ChoiceField(choices=PermitType.choices)
    permit_kind = serializers.ChoiceField(choices=PermitKind.choices)
    applied_on = serializers.DateField()


class PermitDecisionSerializer(StrictSerializer):
    granted = serializers.BooleanField()
    decided_on = serializers.DateField()
    valid_from = serializers.DateField(required=False, allow_null=True)
    valid_until = serializers.DateField(required=False, allow_null=True)
    reference = serializers.CharField(required=False, allow_blank=True, max_length=100)


class PermitDecisionBulkItemSerializer(PermitDecisionSerializer):
    id = IdField()
    version = serializers.IntegerField(
        min_value=1, max_value=MAX_INT, help_text="The version you read (ETag)."
    )


class IntegrationStepSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    case = serializers.IntegerField()
    case_number = serializers.CharField()
    organisation = serializers.CharField()
    kind = serializers.ChoiceField(choices=IntegrationStepKind.choices)
    status = serializers.ChoiceField(choices=IntegrationStepStatus.choices)
    due_on = serializers.DateField(allow_null=True)
    done_on = serializers.DateField(allow_null=True)
    notes = serializers.CharField(allow_blank=True)
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, s):
        return {
            "id": s.pk,
            "case": s.case_id,
            "case_number": s.case.number,
            "organisation": s.organisation.code,
            "kind": s.kind,
            "status": s.status,
            "due_on": _date(s.due_on),
            "done_on": _date(s.done_on),
            "notes": s.notes,
            "version": s.version,
            "updated_at": _datetime(s.updated_at),
        }


class IntegrationStepCreateSerializer(StrictSerializer):
    case = IdField(help_text="Case id.")
    organisation = OrganisationCodeField(
        required=False, help_text="Employment service code; defaults to your own."
    )
    kind = serializers.ChoiceField(choices=IntegrationStepKind.choices)
    status = serializers.ChoiceField(choices=IntegrationStepStatus.choices, required=False)
    due_on = serializers.DateField(required=False, allow_null=True)
    done_on = serializers.DateField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class IntegrationStepUpdateSerializer(StrictSerializer):
    status = serializers.ChoiceField(choices=IntegrationStepStatus.choices, required=False)
    due_on = serializers.DateField(required=False, allow_null=True)
    done_on = serializers.DateField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(_("Send at least one field to change."))
        return attrs


# --- Bulk ------------------------------------------------------------------------------------

BULK_MAX_ITEMS = 1000


class BulkResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the item in your request.")
    id = serializers.IntegerField(allow_null=True)
    status = serializers.IntegerField(help_text="HTTP status this item would have had alone.")
    version = serializers.IntegerField(allow_null=True)
    error = serializers.DictField(allow_null=True, help_text="A problem object, or null.")


class BulkResponseSerializer(serializers.Serializer):
    succeeded = serializers.IntegerField()
    failed = serializers.IntegerField()
    results = BulkResultSerializer(many=True)


def bulk_request_serializer(item_serializer, name: str):
    """``{"items": [...]}`` with at most 1,000 items (each validated on its own later)."""

    class BulkRequest(StrictSerializer):
        items = serializers.ListField(
            child=serializers.JSONField(),
            min_length=1,
            max_length=BULK_MAX_ITEMS,
            help_text=f"1–{BULK_MAX_ITEMS} items; each is applied on its own.",
        )

    BulkRequest.__name__ = name
    BulkRequest.item_serializer = item_serializer
    return BulkRequest


# --- Webhooks --------------------------------------------------------------------------------


class SubscriptionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    event_types = serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices))
    active = serializers.BooleanField()
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, s):
        return {
            "id": s.pk,
            "url": s.url,
            "event_types": list(s.event_types),
            "active": s.active,
            "version": s.version,
            "created_at": _datetime(s.created_at),
            "updated_at": _datetime(s.updated_at),
        }


class SubscriptionWithSecretSerializer(SubscriptionSerializer):
    secret = serializers.CharField(help_text="Signing secret. Shown only on create and rotate.")

    def to_representation(self, s):
        return {**super().to_representation(s), "secret": s.secret}


@extend_schema_field(OpenApiTypes.URI)
class WebhookURLField(serializers.CharField):
    """A webhook URL, judged by the destination policy in the service (why a URL is refused:
    scheme, user name, port, address), not by a generic URL check that only says "invalid"."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 500)
        kwargs.setdefault(
            "help_text",
            "https:// (port 443) to a public internet address; see the webhooks section.",
        )
        super().__init__(**kwargs)


class SubscriptionCreateSerializer(StrictSerializer):
    url = WebhookURLField()
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices),
        required=False,
        help_text="Empty or left out: every event your scopes allow.",
    )
    active = serializers.BooleanField(required=False, default=True)


class SubscriptionUpdateSerializer(StrictSerializer):
    url = WebhookURLField(required=False)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices), required=False
    )
    active = serializers.BooleanField(required=False)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(_("Send at least one field to change."))
        return attrs


# --- CSV import ------------------------------------------------------------------------------


class CsvImportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=CsvImport.Kind.choices)
    status = serializers.ChoiceField(choices=CsvImport.Status.choices)
    apply_valid_rows = serializers.BooleanField()
    progress_percent = serializers.IntegerField()
    total_rows = serializers.IntegerField()
    processed_rows = serializers.IntegerField()
    applied_rows = serializers.IntegerField()
    error_rows = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    failure_reason = serializers.CharField(
        help_text="Why a failed import stopped (empty unless status is failed)."
    )
    report_url = serializers.CharField(help_text="Row-by-row report (CSV).")

    def to_representation(self, imp):
        request = self.context.get("request")
        path = f"/api/v1/imports/{imp.pk}/report/"
        return {
            "id": imp.pk,
            "kind": imp.kind,
            "status": imp.status,
            "apply_valid_rows": imp.apply_valid_rows,
            "progress_percent": imp.progress_percent,
            "total_rows": imp.total_rows,
            "processed_rows": imp.processed_rows,
            "applied_rows": imp.applied_rows,
            "error_rows": imp.error_rows,
            "created_at": _datetime(imp.created_at),
            "finished_at": _datetime(imp.finished_at),
            "failure_reason": imp.failure_reason,
            "report_url": request.build_absolute_uri(path) if request else path,
        }


class CsvImportCreateSerializer(StrictSerializer):
    file = serializers.FileField(help_text="UTF-8 CSV with a header row.")
    kind = serializers.ChoiceField(choices=CsvImport.Kind.choices)
    apply_valid_rows = serializers.BooleanField(required=False, default=False)
