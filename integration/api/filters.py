"""django-filter filter sets of the partner API (every list takes ``updated_since``).

Ids and moments in query strings are read by ``recruitment.parsing``, the one parser for
user input: a bad value is a 400 problem naming the parameter, never a 500 or a silent guess.
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from credentials.models import (
    IntegrationStep,
    IntegrationStepKind,
    IntegrationStepStatus,
    Language,
    LanguageCertificate,
    LanguageTest,
    PermitState,
    Programme,
    ResidencePermit,
    TrainingEnrollment,
    TrainingState,
)
from recruitment.models import Case, CaseState
from recruitment.parsing import MAX_ID, IdFormField, MomentFormField


@extend_schema_field({"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.Filter):
    field_class = IdFormField


@extend_schema_field(OpenApiTypes.DATETIME)
class MomentFilter(django_filters.Filter):
    field_class = MomentFormField


class SyncFilterSet(django_filters.FilterSet):
    """Every list's filters: strict like request bodies. A parameter sent empty (``?state=``)
    is a 400 naming it, not silently no filter."""

    def get_form_class(self):
        class StrictFilterForm(super().get_form_class()):
            def clean(self):
                data = super().clean()
                for name in self.fields:
                    if name in self.data and "" in self.data.getlist(name):
                        self.add_error(name, _("Give a value, or leave the parameter out."))
                return data

        return StrictFilterForm

    updated_since = MomentFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Only rows changed at or after this moment: ISO 8601 with its UTC offset "
        "(e.g. 2026-01-01T00:00:00Z; + written as %2B), offsets up to ±14:00.",
    )


class CaseFilter(SyncFilterSet):
    state = django_filters.MultipleChoiceFilter(choices=CaseState.choices)
    county = django_filters.CharFilter(field_name="county__code", help_text="County code.")
    profession = django_filters.CharFilter(
        field_name="profession__code", help_text="Profession code."
    )
    number = django_filters.CharFilter(help_text="Exact case number, e.g. PK-2026-000123.")

    class Meta:
        model = Case
        fields = []


class TrackFilterSet(SyncFilterSet):
    case = IdFilter(field_name="case_id", help_text="Case id.")
    case_number = django_filters.CharFilter(field_name="case__number")


class EnrollmentFilter(TrackFilterSet):
    state = django_filters.MultipleChoiceFilter(choices=TrainingState.choices)
    programme = django_filters.ChoiceFilter(choices=Programme.choices)
    institution = django_filters.CharFilter(field_name="institution__code")

    class Meta:
        model = TrainingEnrollment
        fields = []


class LanguageCertificateFilter(TrackFilterSet):
    language = django_filters.ChoiceFilter(choices=Language.choices)
    test = django_filters.ChoiceFilter(choices=LanguageTest.choices)

    class Meta:
        model = LanguageCertificate
        fields = []


class PermitFilter(TrackFilterSet):
    state = django_filters.MultipleChoiceFilter(choices=PermitState.choices)
    valid_until_before = django_filters.DateFilter(field_name="valid_until", lookup_expr="lte")

    class Meta:
        model = ResidencePermit
        fields = []


class IntegrationStepFilter(TrackFilterSet):
    kind = django_filters.ChoiceFilter(choices=IntegrationStepKind.choices)
    status = django_filters.ChoiceFilter(choices=IntegrationStepStatus.choices)

    class Meta:
        model = IntegrationStep
        fields = []
