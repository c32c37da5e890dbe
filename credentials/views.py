"""Web pages that show credential tracks: the case page, the recruiter's "my work" inbox and
the educator's enrollments and language results. Thin: authorisation from the authz modules,
reads from selectors, writes through services; domain errors become form errors."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from recruitment import authz as core_authz
from recruitment import selectors as case_selectors
from recruitment import services as case_services
from recruitment.actors import Actor
from recruitment.errors import PolkuError, StaleVersion
from recruitment.forms import add_domain_error, refresh_version
from recruitment.models import RecognitionOutcome, Role

from . import authz, selectors, services, web_selectors
from .forms import (
    EnrollmentCompleteForm,
    EnrollmentFilterForm,
    EnrollmentInterruptForm,
    EnrollmentProgressForm,
    LanguageCertificateForm,
    PermitApplyForm,
    PermitDecisionForm,
    RecognitionDecisionForm,
    RecognitionSubmitForm,
)

PAGE_SIZE = 25
MY_WORK_ROWS = 15


@login_required
def case_detail(request, number: str):
    user = request.user
    case = case_selectors.case_for_user(user, number)
    may_change = core_authz.can_change_case(user, case)
    # What this user sees of the case: one rule (recruitment.authz.case_visibility) for the
    # summary, the tracks, their history, the next steps and the case history.
    visibility = core_authz.case_visibility(Actor.for_user(user), case)
    case_services.record_candidate_access(candidate=case.candidate, user=user, purpose="case page")
    options = case_services.available_transitions(case, user)
    history = web_selectors.case_history(case, visibility)
    county_data = visibility.sees_county_data
    context = {
        "case": case,
        "may_change": may_change,
        "full_view": visibility.sees_contact_details,
        "county_data": county_data,
        "allowed": [o for o in options if o.allowed],
        "blocked": [o for o in options if not o.allowed],
        "next_steps": selectors.next_steps(case, visibility=visibility),
        "tracks": web_selectors.case_tracks(case, visibility, history),
        "timeline": history,
        "placement": case_selectors.placement_for_case(case) if county_data else None,
        "retention_checks": (
            case_selectors.retention_checks_for_case(case) if county_data else []
        ),
        "stalled": case_selectors.is_stalled(case),
        "track_actions": track_actions(case, user),
    }
    return render(request, "credentials/case_detail.html", context)


@login_required
def my_work(request):
    user = request.user
    if not (core_authz.is_platform_admin(user) or core_authz.has_role(user, Role.RECRUITER)):
        raise PermissionDenied
    context = {
        "notifications": web_selectors.unread_notifications(user),
        "needing_action": list(case_selectors.cases_needing_county_action(user)[:MY_WORK_ROWS]),
        "stalled": list(case_selectors.stalled_cases(user)[:MY_WORK_ROWS]),
        "permits": list(case_selectors.permits_expiring(user)[:MY_WORK_ROWS]),
        "retention": list(case_selectors.retention_checks_due(user)[:MY_WORK_ROWS]),
        "today": timezone.localdate(),
        "rows": MY_WORK_ROWS,
    }
    return render(request, "credentials/my_work.html", context)


@login_required
@require_POST
def notification_read(request, pk: int):
    notification = web_selectors.notification_for(request.user, pk)
    services.mark_notification_read(notification=notification, user=request.user)
    messages.success(request, _("Notification marked as read."))
    return redirect("credentials:my_work")


def _require_educator(user) -> None:
    if not web_selectors.educator_institution_ids(user):
        raise PermissionDenied


@login_required
def enrollments(request):
    _require_educator(request.user)
    form = EnrollmentFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    rows = web_selectors.educator_enrollments(
        request.user,
        q=data.get("q") or "",
        state=data.get("state") or "",
        programme=data.get("programme") or "",
    )
    paginator = Paginator(rows, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "credentials/enrollments.html",
        {
            "form": form,
            "page": page,
            "page_numbers": paginator.get_elided_page_range(page.number, on_each_side=2),
            "ellipsis": Paginator.ELLIPSIS,
            "enrollments": list(page.object_list),
        },
    )


# The forms of the enrollment page by its action names, and the service action each runs.
ENROLLMENT_FORMS = {
    "progress": (EnrollmentProgressForm, "update"),
    "complete": (EnrollmentCompleteForm, "complete"),
    "interrupt": (EnrollmentInterruptForm, "interrupt"),
}


@login_required
@require_http_methods(["GET", "POST"])
def enrollment_detail(request, pk: int):
    _require_educator(request.user)
    enrollment = web_selectors.enrollment_for_educator(request.user, pk)
    version = {"version": enrollment.version}
    forms = {
        "progress": EnrollmentProgressForm(
            initial={
                **version,
                "progress_percent": enrollment.progress_percent,
                "ends_on": enrollment.ends_on,
            },
            prefix="progress",
        ),
        "complete": EnrollmentCompleteForm(
            initial={**version, "completed_on": timezone.localdate()}, prefix="complete"
        ),
        "interrupt": EnrollmentInterruptForm(initial=version, prefix="interrupt"),
    }
    action = request.POST.get("action")
    if request.method == "POST" and action in ENROLLMENT_FORMS:
        form_class, service_action = ENROLLMENT_FORMS[action]
        form = form_class(request.POST, prefix=action)
        forms[action] = form
        if form.is_valid():
            actor = Actor.for_user(request.user)
            data = form.cleaned_data
            try:
                services.apply_enrollment_action(
                    action=service_action,
                    enrollment=enrollment,
                    actor=actor,
                    expected_version=data["version"],
                    progress_percent=data.get("progress_percent"),
                    ends_on=data.get("ends_on"),
                    completed_on=data.get("completed_on"),
                    reason=data.get("reason", ""),
                    interrupted_on=data.get("interrupted_on"),
                )
            except (ValidationError, PolkuError) as exc:
                if isinstance(exc, StaleVersion):
                    form.add_error(
                        None,
                        _(
                            "Someone changed this enrollment after you opened it. Check the "
                            "values below, then submit again if your change is still needed."
                        ),
                    )
                    enrollment.refresh_from_db()
                    refresh_version(form, enrollment)
                else:
                    add_domain_error(form, exc)
            else:
                messages.success(request, _("Enrollment updated."))
                return redirect("credentials:enrollment_detail", pk=enrollment.pk)
    return render(
        request,
        "credentials/enrollment_detail.html",
        {
            "enrollment": enrollment,
            "forms": forms,
            "failed": action if request.method == "POST" else "",
        },
    )


@login_required
def language_results(request):
    _require_educator(request.user)
    paginator = Paginator(web_selectors.educator_certificates(request.user), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    certificates = list(page.object_list)
    for certificate in certificates:
        certificate.meets_requirement = certificate.meets(certificate.case.profession)
    return render(
        request,
        "credentials/language_results.html",
        {
            "page": page,
            "page_numbers": paginator.get_elided_page_range(page.number, on_each_side=2),
            "ellipsis": Paginator.ELLIPSIS,
            "certificates": certificates,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def certificate_create(request):
    _require_educator(request.user)
    cases = list(web_selectors.educator_cases(request.user))
    form = LanguageCertificateForm(request.POST or None, cases=cases)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        number = data.pop("case_number")
        case = next(c for c in cases if c.number == number)
        try:
            services.record_language_certificate(
                case=case.pk, actor=Actor.for_user(request.user), **data
            )
        except (ValidationError, PolkuError) as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request, _("Certificate recorded for case %(number)s.") % {"number": case.number}
            )
            return redirect(reverse("credentials:language_results"))
    return render(request, "credentials/certificate_create.html", {"form": form})


# --- Credential tracks the county records itself (recognition, residence permit) -----------

TRACK_FORMS = {
    "recognition": (authz.RECOGNITION, gettext_lazy("Record the recognition application")),
    "recognition-decision": (authz.RECOGNITION, gettext_lazy("Record the recognition decision")),
    "permit": (authz.PERMIT, gettext_lazy("Record the residence permit application")),
    "permit-decision": (authz.PERMIT, gettext_lazy("Record the residence permit decision")),
}


def track_actions(case, user) -> list[dict]:
    """The track forms this user may open on this case now (links on the case page)."""
    if not case.is_open:
        return []
    actor = Actor.for_user(user)
    undecided = web_selectors.undecided_recognition(case) is not None
    pending_permit = web_selectors.pending_permit(case) is not None
    pending = {
        # A new application only when none waits and no decision allows the work yet.
        "recognition": not undecided and case.recognition_outcome != RecognitionOutcome.GRANTED,
        "recognition-decision": undecided,
        "permit": selectors.active_permit(case) is None,
        "permit-decision": pending_permit,
    }
    actions = []
    for kind, (track, label) in TRACK_FORMS.items():
        if kind == "recognition" and not case.profession.needs_recognition:
            continue
        if kind == "permit" and not case.needs_permit:
            continue
        if not pending.get(kind, True) or not authz.can_write_track(actor, case, track):
            continue
        actions.append(
            {"url": reverse("credentials:case_track", args=[case.number, kind]), "label": label}
        )
    return actions


@login_required
@require_http_methods(["GET", "POST"])
def case_track(request, number: str, kind: str):
    if kind not in TRACK_FORMS:
        raise Http404
    track, title = TRACK_FORMS[kind]
    case = case_selectors.case_for_user(request.user, number)
    actor = Actor.for_user(request.user)
    if not authz.can_write_track(actor, case, track):
        raise PermissionDenied
    data = request.POST or None
    record = None
    if kind == "recognition":
        form = RecognitionSubmitForm(
            data,
            authorities=web_selectors.authorities(),
            initial={
                "authority": case.profession.recognition_authority_id,
                "submitted_on": timezone.localdate(),
            },
        )
    elif kind == "recognition-decision":
        record = web_selectors.undecided_recognition(case)
        if record is None:
            raise Http404
        form = RecognitionDecisionForm(
            data, initial={"version": record.version, "decided_on": timezone.localdate()}
        )
    elif kind == "permit":
        form = PermitApplyForm(data, initial={"applied_on": timezone.localdate()})
    else:
        record = web_selectors.pending_permit(case)
        if record is None:
            raise Http404
        form = PermitDecisionForm(
            data, initial={"version": record.version, "decided_on": timezone.localdate()}
        )
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        try:
            if kind == "recognition":
                services.submit_recognition(case=case.pk, actor=actor, **values)
            elif kind == "recognition-decision":
                services.decide_recognition(
                    application=record,
                    actor=actor,
                    expected_version=values.pop("version"),
                    **values,
                )
            elif kind == "permit":
                services.apply_permit(case=case.pk, actor=actor, **values)
            else:
                services.decide_permit(
                    permit=record,
                    actor=actor,
                    expected_version=values.pop("version"),
                    granted=values.pop("decision") == "granted",
                    **values,
                )
        except (ValidationError, PolkuError) as exc:
            add_domain_error(form, exc)
            if isinstance(exc, StaleVersion) and record is not None:
                record.refresh_from_db()
                refresh_version(form, record)
        else:
            messages.success(request, _("Saved: %(what)s.") % {"what": title})
            return redirect("credentials:case_detail", number=case.number)
    return render(
        request,
        "credentials/case_track.html",
        {
            "case": case,
            "form": form,
            "title": title,
            "record": record,
            "case_url": reverse("credentials:case_detail", args=[case.number]),
        },
    )
