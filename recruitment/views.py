"""Web pages of the core: home redirect, case list, new case, transitions, placement,
retention checks and organisation members. Thin: authorisation from ``authz``, reads from
``selectors``, writes through ``services``; domain errors become form errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from . import authz, selectors, services
from .actors import Actor
from .errors import NotPermitted, PolkuError, StaleVersion
from .forms import (
    CandidateCaseForm,
    CaseDetailsForm,
    CaseFilterForm,
    MembershipForm,
    PlacementForm,
    RetentionCheckForm,
    TransitionForm,
    add_domain_error,
    refresh_version,
)
from .models import Case, Role
from .parsing import parse_int

PAGE_SIZES = (25, 50, 100)
T = TypeVar("T")


def case_url(case: Case) -> str:
    return reverse("credentials:case_detail", args=[case.number])


@login_required
def home(request):
    """Send each role to its own start page."""
    user = request.user
    if authz.is_platform_admin(user) or authz.has_role(user, Role.RECRUITER):
        return redirect("credentials:my_work")
    if authz.has_role(user, Role.EDUCATOR):
        return redirect("credentials:enrollments")
    if authz.has_role(user, Role.EMPLOYMENT_OFFICER):
        return redirect("recruitment:case_list")
    if authz.has_role(user, Role.ORG_ADMIN):
        return redirect("recruitment:members")
    if authz.has_role(user, Role.MINISTRY_ANALYST):
        try:
            return HttpResponseRedirect(reverse("monitoring:dashboard"))
        except NoReverseMatch:
            return redirect("recruitment:aggregates_only")
    return render(request, "recruitment/no_role.html")


@login_required
def aggregates_only(request):
    return render(request, "recruitment/aggregates_only.html")


def _require_case_reader(user) -> None:
    if not (
        authz.is_platform_admin(user)
        or authz.has_role(user, Role.RECRUITER)
        or authz.organisation_ids(user, *authz.PARTNER_ROLES)
    ):
        raise PermissionDenied


@login_required
def case_list(request):
    _require_case_reader(request.user)
    form = CaseFilterForm(
        request.GET or None, countries=selectors.nationalities_in_cases(request.user)
    )
    arguments = form.search_arguments() if request.GET else CaseFilterForm().search_arguments()
    cases = selectors.search_cases(request.user, **arguments)
    per_page = parse_int(request.GET.get("per_page", ""))
    if per_page not in PAGE_SIZES:
        per_page = PAGE_SIZES[0]
    paginator = Paginator(cases, per_page)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "recruitment/case_list.html",
        {
            "form": form,
            "page": page,
            "page_numbers": paginator.get_elided_page_range(page.number, on_each_side=2),
            "ellipsis": Paginator.ELLIPSIS,
            "cases": list(page.object_list),
            "can_open": selectors.recruiter_counties(request.user).exists(),
            "per_page": per_page,
            "page_sizes": PAGE_SIZES,
            "sort": arguments["sort"],
            "descending": arguments["descending"],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_create(request):
    counties = selectors.recruiter_counties(request.user)
    if not counties.exists():
        raise PermissionDenied
    form = CandidateCaseForm(request.POST or None, counties=counties)
    if request.method == "POST" and form.is_valid():
        actor = Actor.for_user(request.user)
        county = form.cleaned_data["county"]
        try:
            with transaction.atomic():
                candidate = services.create_candidate(
                    actor=actor, created_by=county, **form.candidate_data()
                )
                case = services.open_case(
                    candidate=candidate,
                    county=county,
                    profession=form.cleaned_data["profession"],
                    actor=actor,
                    recruiter=request.user,
                    **form.case_details(),
                )
        except (ValidationError, PolkuError) as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("Case %(number)s opened for %(name)s.")
                % {"number": case.number, "name": candidate.full_name},
            )
            return redirect(case_url(case))
    return render(request, "recruitment/case_create.html", {"form": form})


def _changeable_case(request, number: str) -> Case:
    case = selectors.case_for_user(request.user, number)
    if not authz.can_change_case(request.user, case):
        raise PermissionDenied
    return case


def _write_case(request, form, case: Case, write: Callable[[Actor], T]) -> T | None:
    """Run a service write on ``case`` as the signed-in user and return its result.

    A domain or validation error goes onto the form instead (with the current version when
    the case changed meanwhile; ``case`` is reloaded for the page) and None is returned.
    """
    try:
        return write(Actor.for_user(request.user))
    except (ValidationError, PolkuError) as exc:
        add_domain_error(form, exc)
        case.refresh_from_db()
        if isinstance(exc, StaleVersion):
            refresh_version(form, case)
        return None


@login_required
@require_http_methods(["GET", "POST"])
def case_transition(request, number: str, name: str):
    case = _changeable_case(request, number)
    options = {o.name: o for o in services.available_transitions(case, request.user)}
    option = options.get(name)
    if option is None:
        raise Http404
    form = TransitionForm(
        request.POST or None,
        initial={"version": case.version},
        reason_required=option.reason_required,
    )
    if request.method == "POST" and form.is_valid():
        changed = _write_case(
            request,
            form,
            case,
            lambda actor: services.transition_case(
                case=case,
                name=name,
                actor=actor,
                expected_version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
            ),
        )
        if changed is not None:
            messages.success(
                request,
                _("Done: %(label)s. The case is now “%(state)s”.")
                % {"label": option.label, "state": changed.get_state_display()},
            )
            return redirect(case_url(changed))
    return render(
        request,
        "recruitment/case_transition.html",
        {"case": case, "option": option, "form": form, "case_url": case_url(case)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_details(request, number: str):
    case = _changeable_case(request, number)
    initial = {
        "version": case.version,
        "recruitment_basis": case.recruitment_basis,
        "ethics_justification": case.ethics_justification,
        "g2g_agreement_ref": case.g2g_agreement_ref,
        "no_fee_declared_on": case.no_fee_declared_on,
    }
    form = CaseDetailsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        changed = _write_case(
            request,
            form,
            case,
            lambda actor: services.update_case(
                case=case, actor=actor, expected_version=version, **data
            ),
        )
        if changed is not None:
            messages.success(request, _("Case details saved."))
            return redirect(case_url(changed))
    return render(
        request,
        "recruitment/case_details.html",
        {"case": case, "form": form, "case_url": case_url(case)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_placement(request, number: str):
    case = _changeable_case(request, number)
    placement = selectors.placement_for_case(case)
    initial = {"version": case.version}
    if placement is not None:
        initial.update(
            county_unit=placement.county_unit,
            start_date=placement.start_date,
            contract=placement.contract,
            contract_end=placement.contract_end,
        )
    form = PlacementForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        placement = _write_case(
            request,
            form,
            case,
            lambda actor: services.record_placement(
                case=case, actor=actor, expected_version=version, **data
            ),
        )
        if placement is not None:
            messages.success(request, _("Placement saved."))
            return redirect(case_url(case))
    return render(
        request,
        "recruitment/case_placement.html",
        {"case": case, "form": form, "case_url": case_url(case)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_retention(request, number: str):
    case = _changeable_case(request, number)
    pending = [
        check.months
        for check in selectors.retention_checks_for_case(case)
        if check.outcome == "pending"
    ]
    form = RetentionCheckForm(
        request.POST or None,
        initial={
            "version": case.version,
            "months": pending[0] if pending else None,
            "checked_on": timezone.localdate(),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        changed = _write_case(
            request,
            form,
            case,
            lambda actor: services.record_retention_check(
                case=case,
                actor=actor,
                expected_version=data["version"],
                months=data["months"],
                passed=data["passed"],
                checked_on=data["checked_on"],
                note=data["note"],
            ),
        )
        if changed is not None:
            messages.success(
                request,
                _("Retention check saved. The case is now “%(state)s”.")
                % {"state": changed.get_state_display()},
            )
            return redirect(case_url(changed))
    return render(
        request,
        "recruitment/case_retention.html",
        {"case": case, "form": form, "case_url": case_url(case)},
    )


# --- Organisation admins: members and roles ----------------------------------------------


def _administered_organisation(request):
    organisations = list(selectors.administered_organisations(request.user).order_by("name"))
    if not organisations:
        raise PermissionDenied
    code = request.GET.get("organisation") or request.POST.get("organisation")
    if code:
        for organisation in organisations:
            if organisation.code == code:
                return organisation, organisations
        raise Http404
    return organisations[0], organisations


@login_required
@require_http_methods(["GET", "POST"])
def members(request):
    organisation, organisations = _administered_organisation(request)
    form = MembershipForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_membership(
                actor=Actor.for_user(request.user),
                organisation=organisation,
                user=form.cleaned_data["username"],
                role=form.cleaned_data["role"],
            )
        except (ValidationError, PolkuError) as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Member added."))
            return redirect(f"{reverse('recruitment:members')}?organisation={organisation.code}")
    return render(
        request,
        "recruitment/members.html",
        {
            "organisation": organisation,
            "organisations": organisations if len(organisations) > 1 else [],
            "memberships": list(selectors.members_of(organisation)),
            "form": form,
        },
    )


@login_required
@require_POST
def member_remove(request, pk: int):
    membership = get_object_or_404(authz.visible_memberships(request.user), pk=pk)
    organisation = membership.organisation
    try:
        services.remove_membership(actor=Actor.for_user(request.user), membership=membership)
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Role “%(role)s” removed from %(user)s.")
            % {"role": membership.get_role_display(), "user": membership.user.get_username()},
        )
    return redirect(f"{reverse('recruitment:members')}?organisation={organisation.code}")
