"""The core of Polku: organisations, people, professions and the Case with its lifecycle.

Models hold data, simple properties and the Case state machine's *rules* (django-fsm-2
``@transition`` with guards). Side effects (audit events, milestones, versions) live in
``recruitment.services``; nothing else may change a case's state (the field is protected).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, FSMField, transition

from .validators import validate_business_id

# --- Organisations and people -------------------------------------------------------------


class OrganisationKind(models.TextChoices):
    COUNTY = "county", _("Wellbeing services county")
    EDUCATIONAL_INSTITUTION = "educational_institution", _("Educational institution")
    EMPLOYMENT_SERVICE = "employment_service", _("Employment service")
    MINISTRY = "ministry", _("Ministry")
    RECRUITMENT_AGENCY = "recruitment_agency", _("Recruitment agency")
    AUTHORITY = "authority", _("Authority")


class Organisation(models.Model):
    """A partner in the recruitment path: a county (or Helsinki / HUS), an institution, ..."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=30, choices=OrganisationKind.choices)
    name = models.CharField(_("name (Finnish)"), max_length=200)
    name_sv = models.CharField(_("name (Swedish)"), max_length=200, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    business_id = models.CharField(
        _("business ID"),
        max_length=9,
        blank=True,
        validators=[validate_business_id],
        help_text=_("Finnish business ID (Y-tunnus), e.g. 0245437-2."),
    )
    region_code = models.CharField(
        _("region code"),
        max_length=4,
        blank=True,
        help_text=_("Statistics Finland code of the wellbeing services county."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["business_id"],
                condition=~Q(business_id=""),
                name="organisation_business_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_county(self) -> bool:
        return self.kind == OrganisationKind.COUNTY

    def clean(self) -> None:
        # Say which organisation holds the business ID (the unique constraint's own message
        # names only the constraint).
        if self.business_id:
            holder = (
                Organisation.objects.filter(business_id=self.business_id)
                .exclude(pk=self.pk)
                .first()
            )
            if holder is not None:
                raise ValidationError(
                    {
                        "business_id": _(
                            "Business ID %(value)s already belongs to %(organisation)s."
                        )
                        % {"value": self.business_id, "organisation": holder.name}
                    }
                )


class Role(models.TextChoices):
    RECRUITER = "recruiter", _("Recruiter")
    EDUCATOR = "educator", _("Educator")
    EMPLOYMENT_OFFICER = "employment_officer", _("Employment officer")
    MINISTRY_ANALYST = "ministry_analyst", _("Ministry analyst")
    ORG_ADMIN = "org_admin", _("Organisation admin")


# Which organisation kinds each role can belong to (org_admin: any kind).
ROLE_ORGANISATION_KINDS: dict[str, set[str]] = {
    Role.RECRUITER: {OrganisationKind.COUNTY, OrganisationKind.RECRUITMENT_AGENCY},
    Role.EDUCATOR: {OrganisationKind.EDUCATIONAL_INSTITUTION},
    Role.EMPLOYMENT_OFFICER: {OrganisationKind.EMPLOYMENT_SERVICE},
    Role.MINISTRY_ANALYST: {OrganisationKind.MINISTRY},
    Role.ORG_ADMIN: set(OrganisationKind.values),
}


class Membership(models.Model):
    """A user's role in an organisation. Platform admins are Django superusers instead."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="membership_unique_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.organisation}"

    def clean(self) -> None:
        if self.role and self.organisation_id:
            allowed = ROLE_ORGANISATION_KINDS.get(self.role, set())
            if self.organisation.kind not in allowed:
                raise ValidationError(
                    {
                        "role": _("A %(role)s cannot belong to a %(kind)s.")
                        % {
                            "role": self.get_role_display(),
                            "kind": self.organisation.get_kind_display(),
                        }
                    }
                )


class CEFRLevel(models.TextChoices):
    A1 = "A1", "A1"
    A2 = "A2", "A2"
    B1 = "B1", "B1"
    B2 = "B2", "B2"
    C1 = "C1", "C1"
    C2 = "C2", "C2"


CEFR_ORDER = [level.value for level in CEFRLevel]


class Profession(models.Model):
    class Sector(models.TextChoices):
        HEALTH = "health", _("Health care")
        SOCIAL = "social", _("Social welfare")
        HEALTH_SOCIAL = "health_social", _("Health care and social welfare")
        RESCUE = "rescue", _("Rescue services")

    class Regulation(models.TextChoices):
        LICENSED = "licensed", _("Licensed")
        PROTECTED_TITLE = "protected_title", _("Protected title")
        UNREGULATED = "unregulated", _("Unregulated")

    class Register(models.TextChoices):
        TERHIKKI = "terhikki", "Terhikki"
        SUOSIKKI = "suosikki", "Suosikki"
        BOTH = "both", _("Terhikki and Suosikki")
        NONE = "none", _("None")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_fi = models.CharField(_("name (Finnish)"), max_length=120)
    name_sv = models.CharField(_("name (Swedish)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices)
    regulation = models.CharField(_("regulation"), max_length=20, choices=Regulation.choices)
    register = models.CharField(_("register"), max_length=20, choices=Register.choices)
    required_language_level = models.CharField(
        _("required language level"),
        max_length=2,
        choices=CEFRLevel.choices,
        blank=True,
        help_text=_("Lowest CEFR level needed in every sub-skill; blank when none is set."),
    )
    accepted_languages = models.JSONField(
        _("accepted languages"),
        default=list,
        blank=True,
        help_text=_('Languages that satisfy the requirement, e.g. ["fi", "sv"].'),
    )
    eu_automatic_recognition = models.BooleanField(
        _("automatic recognition for EU/EEA qualifications"),
        default=False,
        help_text=_("Professional Qualifications Directive: e.g. nurses and midwives."),
    )
    recognition_authority = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        limit_choices_to={"kind": OrganisationKind.AUTHORITY},
        related_name="+",
        verbose_name=_("recognition authority"),
    )
    typical_route = models.TextField(_("typical recognition route"), blank=True)

    class Meta:
        verbose_name = _("profession")
        verbose_name_plural = _("professions")
        ordering = ["name_en"]

    def __str__(self) -> str:
        return self.name_en

    @property
    def needs_recognition(self) -> bool:
        return self.regulation != self.Regulation.UNREGULATED


class Country(models.Model):
    class WHORegion(models.TextChoices):
        AFRICA = "AFRO", _("African Region")
        AMERICAS = "AMRO", _("Region of the Americas")
        SOUTH_EAST_ASIA = "SEARO", _("South-East Asia Region")
        EUROPE = "EURO", _("European Region")
        EASTERN_MEDITERRANEAN = "EMRO", _("Eastern Mediterranean Region")
        WESTERN_PACIFIC = "WPRO", _("Western Pacific Region")

    code = models.CharField(_("ISO 3166-1 alpha-2"), max_length=2, unique=True)
    alpha3 = models.CharField(_("ISO 3166-1 alpha-3"), max_length=3, unique=True)
    numeric = models.CharField(_("ISO 3166-1 numeric"), max_length=3)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_fi = models.CharField(_("name (Finnish)"), max_length=100)
    name_sv = models.CharField(_("name (Swedish)"), max_length=100)
    is_eu_eea = models.BooleanField(_("EU/EEA"), default=False)
    is_nordic = models.BooleanField(_("Nordic"), default=False)
    who_safeguards_list = models.BooleanField(_("on the WHO safeguards list"), default=False)
    who_list_version = models.CharField(_("WHO list version"), max_length=10, blank=True)
    who_region = models.CharField(
        _("WHO region"), max_length=5, choices=WHORegion.choices, blank=True
    )

    class Meta:
        verbose_name = _("country")
        verbose_name_plural = _("countries")
        ordering = ["name_en"]

    def __str__(self) -> str:
        return self.name_en

    @property
    def needs_residence_permit(self) -> bool:
        """EU/EEA and Nordic citizens need no residence permit (EU registration only)."""
        return not (self.is_eu_eea or self.is_nordic)


class Candidate(models.Model):
    """The person. Personal data: minimised, access-logged and anonymised after closing."""

    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    nationality = models.ForeignKey(
        Country, on_delete=models.PROTECT, related_name="+", verbose_name=_("nationality")
    )
    country_of_residence = models.ForeignKey(
        Country,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("country of residence"),
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    languages = models.JSONField(
        _("languages spoken"), default=list, blank=True, help_text=_('e.g. ["en", "tl"]')
    )
    created_by = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by organisation"),
    )
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class CandidateAccess(models.Model):
    """Who read a candidate's personal data, and when (GDPR access log)."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    actor_label = models.CharField(max_length=200)
    purpose = models.CharField(max_length=100)
    accessed_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("candidate access")
        verbose_name_plural = _("candidate access log")
        ordering = ["-accessed_at"]

    def __str__(self) -> str:
        return f"{self.actor_label} read candidate #{self.candidate_id} ({self.purpose})"


# --- The case and its state machine -------------------------------------------------------


class CaseState(models.TextChoices):
    SOURCED = "sourced", _("Sourced")
    SCREENING = "screening", _("Screening")
    OFFER_ACCEPTED = "offer_accepted", _("Offer accepted")
    IN_RECOGNITION = "in_recognition", _("In recognition")
    IN_TRAINING = "in_training", _("In training")
    READY_FOR_PLACEMENT = "ready_for_placement", _("Ready for placement")
    PLACED = "placed", _("Placed")
    COMPLETED = "completed", _("Completed")
    ON_HOLD = "on_hold", _("On hold")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REJECTED = "rejected", _("Rejected")
    LEFT_EARLY = "left_early", _("Left early")


S = CaseState
# Open states: the case is still on its way to placement. Hold, withdraw and reject start here.
OPEN_STATES = [
    S.SOURCED,
    S.SCREENING,
    S.OFFER_ACCEPTED,
    S.IN_RECOGNITION,
    S.IN_TRAINING,
    S.READY_FOR_PLACEMENT,
]
CLOSED_STATES = [S.COMPLETED, S.WITHDRAWN, S.REJECTED, S.LEFT_EARLY]
# The pipeline: the open states and on hold (a case on hold is still on its way to placement).
# Ministry statistics count these as "in the pipeline" and forecast placements from them.
PIPELINE_STATES = [*OPEN_STATES, S.ON_HOLD]
# States from which milestones move the case forward by themselves.
CRITICAL_PATH_STATES = [S.OFFER_ACCEPTED, S.IN_RECOGNITION, S.IN_TRAINING]


class RecruitmentBasis(models.TextChoices):
    ACTIVE_RECRUITMENT = "active_recruitment", _("Active recruitment")
    OWN_INITIATIVE = "own_initiative", _("Candidate's own initiative")
    G2G_AGREEMENT = "g2g_agreement", _("Government-to-government agreement")


class RecognitionOutcome(models.TextChoices):
    GRANTED = "granted", _("Granted")
    CONDITIONAL = "conditional", _("Conditional")
    REFUSED = "refused", _("Refused")


# --- Guards: each returns None when satisfied, or the reason a user reads when not. ---


def ethics_blocker(case: Case) -> str | None:
    """WHO Global Code: no active recruitment from safeguards-list countries."""
    country = case.candidate.nationality
    if not country.who_safeguards_list:
        return None
    if case.recruitment_basis == RecruitmentBasis.ACTIVE_RECRUITMENT:
        return str(
            _(
                "%(country)s is on the WHO health workforce support and safeguards list "
                "(%(version)s): record a government-to-government agreement or the "
                "candidate's own initiative, with a justification, before accepting the offer."
            )
            % {"country": country.name_en, "version": country.who_list_version or "WHO"}
        )
    if not case.ethics_justification.strip():
        return str(
            _("Write the justification for recruiting from %(country)s (WHO safeguards list).")
            % {"country": country.name_en}
        )
    if case.recruitment_basis == RecruitmentBasis.G2G_AGREEMENT and not case.g2g_agreement_ref:
        return str(_("Record the reference of the government-to-government agreement."))
    return None


def fee_blocker(case: Case) -> str | None:
    """Employer-pays principle (ILO fair recruitment)."""
    if case.no_fee_declared_on is None:
        return str(_("Record the candidate's signed statement that they paid no recruitment fee."))
    return None


def recognition_blocker(case: Case) -> str | None:
    if not case.profession.needs_recognition:
        return None
    if case.recognition_outcome == RecognitionOutcome.GRANTED:
        return None
    if case.recognition_outcome == RecognitionOutcome.REFUSED:
        return str(_("Recognition of the qualification was refused."))
    if case.recognition_outcome == RecognitionOutcome.CONDITIONAL:
        return str(_("Recognition is conditional: the ordered measures are not yet completed."))
    return str(_("No recognition decision that allows the work yet."))


def language_blocker(case: Case) -> str | None:
    if not case.profession.required_language_level:
        return None
    if case.language_requirement_met_on is None:
        return str(
            _("Language requirement (%(level)s in every sub-skill) not met yet.")
            % {"level": case.profession.required_language_level}
        )
    return None


def permit_blocker(case: Case, on: dt.date | None = None) -> str | None:
    if not case.candidate.nationality.needs_residence_permit:
        return None
    on = on or timezone.localdate()
    if case.permit_valid_until is None:
        return str(_("A valid residence permit is required (non-EU/EEA citizen)."))
    if case.permit_valid_until < on:
        return str(
            _("The residence permit expired on %(date)s.")
            % {"date": case.permit_valid_until.isoformat()}
        )
    return None


def placement_blocker(case: Case) -> str | None:
    if not Placement.objects.filter(case_id=case.pk).exists():
        return str(_("Record the placement (county unit and start date) first."))
    return None


def retention_blocker(case: Case) -> str | None:
    checks = RetentionCheck.objects.filter(placement__case_id=case.pk)
    passed = {c.months for c in checks if c.outcome == RetentionCheck.Outcome.PASSED}
    missing = [m for m in RETENTION_MONTHS if m not in passed]
    if missing:
        return str(
            _("Retention checks not yet passed: %(months)s months.")
            % {"months": ", ".join(str(m) for m in missing)}
        )
    return None


class Guard:
    """A condition of a transition that explains itself.

    django-fsm-2 calls it (``@transition(conditions=[Guard(...)])``): it is met when none of
    its blockers speaks. ``reasons(case)`` is what they say, the sentences a user reads when
    the transition is blocked. Every condition of ``Case`` is a ``Guard``; one that is not
    made of blockers overrides ``reasons``.
    """

    def __init__(self, *blockers: Callable[[Case], str | None]) -> None:
        self.blockers = blockers

    def __call__(self, case: Case) -> bool:
        return not self.reasons(case)

    def reasons(self, case: Case) -> list[str]:
        return [reason for blocker in self.blockers if (reason := blocker(case))]


# What stands between the case and placement besides the placement itself.
READINESS = Guard(recognition_blocker, language_blocker, permit_blocker)


def readiness_blockers(case: Case) -> list[str]:
    """What still stands between the case and placement (recognition, language, permit)."""
    return READINESS.reasons(case)


class ProtectedStateRefreshMixin:
    """``refresh_from_db`` for models with a protected django-fsm state field.

    django-fsm-2's ``FSMModelMixin`` is not used: it switches protection off on the field
    itself (for every instance in the process, other threads included) while it reloads, and
    leaves it off when the reload raises.
    """

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        """Reload from the database, including the protected state field.

        django-fsm's protected field refuses ``setattr``, which Django's own
        ``refresh_from_db`` uses; the stored values are copied in directly instead.
        """
        if from_queryset is None:
            from_queryset = type(self)._base_manager.using(using or self._state.db)
        fresh = from_queryset.get(pk=self.pk)
        names = set(fields) if fields else None
        for field in self._meta.concrete_fields:
            if names is None or field.name in names or field.attname in names:
                self.__dict__[field.attname] = getattr(fresh, field.attname)
                if field.is_relation and field.is_cached(self):
                    field.delete_cached_value(self)
        self._state.db = fresh._state.db


class Case(ProtectedStateRefreshMixin, models.Model):
    """One candidate's path to one county and profession."""

    number = models.CharField(_("case number"), max_length=20, unique=True, editable=False)
    candidate = models.ForeignKey(
        Candidate, on_delete=models.PROTECT, related_name="cases", verbose_name=_("candidate")
    )
    county = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="county_cases",
        limit_choices_to={"kind": OrganisationKind.COUNTY},
        verbose_name=_("county"),
    )
    profession = models.ForeignKey(
        Profession, on_delete=models.PROTECT, related_name="cases", verbose_name=_("profession")
    )
    recruiter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recruiter"),
    )
    partners = models.ManyToManyField(
        Organisation,
        through="CasePartner",
        related_name="partner_cases",
        blank=True,
        verbose_name=_("partners"),
    )

    state = FSMField(
        _("state"),
        max_length=30,
        choices=CaseState.choices,
        default=CaseState.SOURCED,
        protected=True,
        db_index=True,
    )
    held_from = models.CharField(
        _("held from"), max_length=30, choices=CaseState.choices, blank=True
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    opened_on = models.DateField(_("opened on"), default=timezone.localdate)
    state_changed_at = models.DateTimeField(_("state changed at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    # Ethical recruitment (checked by accept_offer).
    recruitment_basis = models.CharField(
        _("recruitment basis"),
        max_length=30,
        choices=RecruitmentBasis.choices,
        default=RecruitmentBasis.ACTIVE_RECRUITMENT,
    )
    ethics_justification = models.TextField(_("ethics justification"), blank=True)
    g2g_agreement_ref = models.CharField(
        _("government-to-government agreement reference"), max_length=200, blank=True
    )
    no_fee_declared_on = models.DateField(
        _("no-fee statement signed on"),
        null=True,
        blank=True,
        help_text=_("Date of the candidate's signed statement that no recruitment fee was paid."),
    )

    # Milestones, maintained by credentials services so recruitment can decide transitions
    # without importing credentials.
    recognition_submitted_on = models.DateField(_("recognition applied on"), null=True, blank=True)
    recognition_decided_on = models.DateField(_("recognition decided on"), null=True, blank=True)
    recognition_outcome = models.CharField(
        _("recognition outcome"), max_length=20, choices=RecognitionOutcome.choices, blank=True
    )
    training_in_progress = models.BooleanField(_("training in progress"), default=False)
    language_requirement_met_on = models.DateField(
        _("language requirement met on"), null=True, blank=True
    )
    permit_applied_on = models.DateField(_("permit applied on"), null=True, blank=True)
    permit_granted_on = models.DateField(_("permit granted on"), null=True, blank=True)
    permit_valid_until = models.DateField(_("permit valid until"), null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-updated_at"]
        indexes = [
            models.Index(fields=["county", "state"]),
            models.Index(fields=["updated_at", "id"]),
        ]
        permissions = [("transition_case", "Can move a case through its state machine")]

    def __str__(self) -> str:
        return self.number or f"case #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state in PIPELINE_STATES

    @property
    def needs_permit(self) -> bool:
        return self.candidate.nationality.needs_residence_permit

    # Transitions: rules only. Use recruitment.services.transition_case to run them.

    @transition(
        field=state, source=S.SOURCED, target=S.SCREENING, custom={"label": _("Start screening")}
    )
    def screen(self) -> None:
        pass

    @transition(
        field=state,
        source=S.SCREENING,
        target=S.OFFER_ACCEPTED,
        conditions=[Guard(ethics_blocker, fee_blocker)],
        custom={"label": _("Accept offer")},
    )
    def accept_offer(self) -> None:
        pass

    @transition(
        field=state,
        source=[S.OFFER_ACCEPTED, S.IN_TRAINING],
        target=S.IN_RECOGNITION,
        custom={"label": _("Move to recognition")},
    )
    def start_recognition(self) -> None:
        pass

    @transition(
        field=state,
        source=[S.OFFER_ACCEPTED, S.IN_RECOGNITION],
        target=S.IN_TRAINING,
        custom={"label": _("Move to training")},
    )
    def start_training(self) -> None:
        pass

    @transition(
        field=state,
        source=CRITICAL_PATH_STATES,
        target=S.READY_FOR_PLACEMENT,
        conditions=[READINESS],
        custom={"label": _("Mark ready for placement")},
    )
    def mark_ready(self) -> None:
        pass

    @transition(
        field=state,
        source=S.READY_FOR_PLACEMENT,
        target=S.PLACED,
        conditions=[
            Guard(placement_blocker, recognition_blocker, language_blocker, permit_blocker)
        ],
        custom={"label": _("Place")},
    )
    def place(self) -> None:
        pass

    @transition(
        field=state,
        source=S.PLACED,
        target=S.COMPLETED,
        conditions=[Guard(retention_blocker)],
        custom={"label": _("Complete")},
    )
    def complete(self) -> None:
        pass

    @transition(
        field=state,
        source=OPEN_STATES,
        target=S.ON_HOLD,
        custom={"label": _("Put on hold"), "reason_required": True},
    )
    def hold(self) -> None:
        self.held_from = self.state

    @transition(
        field=state,
        source=S.ON_HOLD,
        target=RETURN_VALUE(*OPEN_STATES),
        custom={"label": _("Resume")},
    )
    def resume(self) -> str:
        target = self.held_from or S.SOURCED
        self.held_from = ""
        return target

    @transition(
        field=state,
        source=PIPELINE_STATES,
        target=S.WITHDRAWN,
        custom={"label": _("Withdraw"), "reason_required": True},
    )
    def withdraw(self) -> None:
        self.held_from = ""

    @transition(
        field=state,
        source=PIPELINE_STATES,
        target=S.REJECTED,
        custom={"label": _("Reject"), "reason_required": True},
    )
    def reject(self) -> None:
        self.held_from = ""

    @transition(
        field=state,
        source=S.PLACED,
        target=S.LEFT_EARLY,
        custom={"label": _("Left early"), "reason_required": True},
    )
    def leave_early(self) -> None:
        pass


class CasePartner(models.Model):
    """An organisation working on a case (an educational institution, an employment service).

    Credentials and integration link partners here so that authorisation in recruitment can
    tell who may see a case without importing the upper layers.
    """

    class PartnerRole(models.TextChoices):
        EDUCATION = "education", _("Education")
        EMPLOYMENT_SERVICE = "employment_service", _("Employment service")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="partner_links")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="case_links"
    )
    role = models.CharField(max_length=30, choices=PartnerRole.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("case partner")
        verbose_name_plural = _("case partners")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "organisation", "role"], name="casepartner_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.get_role_display()})"


# --- Audit ---------------------------------------------------------------------------------


class ImmutableRecord(Exception):
    """Raised on any attempt to change or delete an audit row."""


class CaseEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableRecord("Case events are immutable: they cannot be updated.")

    def delete(self):
        raise ImmutableRecord("Case events are immutable: they cannot be deleted.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise ImmutableRecord("Case events are immutable: they cannot be updated.")


class ActorKind(models.TextChoices):
    USER = "user", _("User")
    API_CLIENT = "api_client", _("API client")
    SYSTEM = "system", _("System")


class CaseEvent(models.Model):
    """Immutable audit row for every transition and significant change of a case."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Case opened")
        TRANSITION = "transition", _("State changed")
        CHANGE = "change", _("Details changed")
        MILESTONE = "milestone", _("Milestone")
        PLACEMENT = "placement", _("Placement")
        RETENTION = "retention", _("Retention check")
        TRACK = "track", _("Credential track")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    transition = models.CharField(max_length=40, blank=True)
    from_state = models.CharField(max_length=30, choices=CaseState.choices, blank=True)
    to_state = models.CharField(max_length=30, choices=CaseState.choices, blank=True)
    actor_kind = models.CharField(max_length=20, choices=ActorKind.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_api_client_id = models.PositiveBigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=200)
    reason = models.TextField(blank=True)
    changes = models.JSONField(default=dict, blank=True)
    case_version = models.PositiveIntegerField()

    objects = CaseEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(fields=["case", "occurred_at"]),
            models.Index(fields=["kind", "to_state", "occurred_at"]),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.TRANSITION:
            return f"{self.case} {self.from_state} → {self.to_state}"
        return f"{self.case} {self.get_kind_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None or not self._state.adding:
            raise ImmutableRecord("Case events are immutable: they cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecord("Case events are immutable: they cannot be deleted.")


# --- Placement and retention ---------------------------------------------------------------

RETENTION_MONTHS = (6, 12)


class Placement(models.Model):
    class Contract(models.TextChoices):
        PERMANENT = "permanent", _("Permanent")
        FIXED_TERM = "fixed_term", _("Fixed-term")

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="placement")
    county_unit = models.CharField(_("county unit"), max_length=200)
    start_date = models.DateField(_("start date"))
    contract = models.CharField(
        _("contract"), max_length=20, choices=Contract.choices, default=Contract.PERMANENT
    )
    contract_end = models.DateField(_("contract ends"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("placement")
        verbose_name_plural = _("placements")

    def __str__(self) -> str:
        return f"{self.county_unit} from {self.start_date}"

    def clean(self) -> None:
        if self.contract == self.Contract.FIXED_TERM and not self.contract_end:
            raise ValidationError({"contract_end": _("A fixed-term contract needs an end date.")})
        if self.contract_end and self.start_date and self.contract_end <= self.start_date:
            raise ValidationError({"contract_end": _("The contract must end after it starts.")})


class RetentionCheck(models.Model):
    class Outcome(models.TextChoices):
        PENDING = "pending", _("Pending")
        PASSED = "passed", _("Passed: still employed")
        FAILED = "failed", _("Failed: left the job")

    placement = models.ForeignKey(
        Placement, on_delete=models.CASCADE, related_name="retention_checks"
    )
    months = models.PositiveSmallIntegerField(
        _("months after start"), choices=[(m, str(m)) for m in RETENTION_MONTHS]
    )
    due_on = models.DateField(_("due on"))
    checked_on = models.DateField(_("checked on"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=Outcome.choices, default=Outcome.PENDING
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("retention check")
        verbose_name_plural = _("retention checks")
        ordering = ["due_on"]
        constraints = [
            models.UniqueConstraint(fields=["placement", "months"], name="retention_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.months} months: {self.get_outcome_display()}"
