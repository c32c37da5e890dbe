"""A platform admin moves a case through its state machine in the Django admin: buttons for
what the guards allow, a reason form for transitions that need one, blocked reasons shown,
and nothing changed when a transition is refused."""

import datetime as dt

import pytest
from django.utils import timezone

from recruitment import services
from recruitment.actors import Actor
from recruitment.models import Case, CaseEvent, CaseState, Placement, RetentionCheck
from tests import factories
from tests.recruitment.admin_forms import form_data

pytestmark = pytest.mark.django_db

S = CaseState


def _url(case, suffix="change/"):
    return f"/admin/recruitment/case/{case.pk}/{suffix}"


def _press(client, case, transition, **changes):
    """Press a transition button on the case's change form (the whole form is submitted)."""
    page = client.get(_url(case))
    assert page.status_code == 200
    data = form_data(page)
    data.update(changes)
    data["_fsm_transition_to"] = transition
    return client.post(_url(case), data, follow=True)


def _buttons(client, case):
    page = client.get(_url(case)).text
    return {name for name in services.TRANSITIONS if f'value="{name}"' in page}


def _state(case):
    return Case.objects.get(pk=case.pk).state


def test_platform_admin_moves_a_case_from_sourced_to_completed(superuser, login):
    client = login(superuser)
    case = factories.open_case()
    assert _buttons(client, case) == {"screen", "hold", "withdraw", "reject"}

    response = _press(client, case, "screen")
    assert f"{case.number}: Start screening done." in response.text
    assert _state(case) == S.SCREENING

    # Accept offer is not offered until the no-fee statement is recorded ...
    assert "accept_offer" not in _buttons(client, case)
    response = _press(client, case, "accept_offer")
    assert (
        "“Accept offer” is blocked: Record the candidate&#x27;s signed statement that they paid "
        "no recruitment fee." in response.text
    )
    assert _state(case) == S.SCREENING
    # ... which is recorded on the same form (and audited as a change).
    today = timezone.localdate()
    response = _press(client, case, "accept_offer", no_fee_declared_on=today.isoformat())
    assert f"{case.number}: Accept offer done." in response.text
    assert _state(case) == S.OFFER_ACCEPTED
    change = CaseEvent.objects.filter(case=case, kind="change").get()
    assert change.changes == {"no_fee_declared_on": [None, today.isoformat()]}
    assert change.actor_user == superuser

    # The admin lists what stands between the case and placement.
    page = client.get(_url(case)).text
    assert "No recognition decision that allows the work yet." in page
    response = _press(client, case, "mark_ready")
    assert "“Mark ready for placement” is blocked:" in response.text
    assert _state(case) == S.OFFER_ACCEPTED

    # Milestones arrive from the credential tracks; the case advances by itself.
    services.record_milestones(case=case, actor=Actor.system(), **factories.ready_milestones())
    assert _state(case) == S.READY_FOR_PLACEMENT

    response = _press(client, case, "place")
    assert "Record the placement (county unit and start date) first." in response.text
    start = today - dt.timedelta(days=380)
    response = client.post(
        "/admin/recruitment/placement/add/",
        {
            "case": case.pk,
            "county_unit": "Acute ward",
            "start_date": start.isoformat(),
            "contract": Placement.Contract.PERMANENT,
        },
        follow=True,
    )
    assert response.status_code == 200
    assert Placement.objects.get(case=case).county_unit == "Acute ward"
    response = _press(client, case, "place")
    assert f"{case.number}: Place done." in response.text
    assert _state(case) == S.PLACED

    for months in (6, 12):
        check = RetentionCheck.objects.get(placement__case=case, months=months)
        response = client.post(
            f"/admin/recruitment/retentioncheck/{check.pk}/change/",
            {"checked_on": today.isoformat(), "outcome": "passed", "note": ""},
            follow=True,
        )
        assert response.status_code == 200
    assert _state(case) == S.COMPLETED
    assert _buttons(client, case) == set()
    transitions = list(
        CaseEvent.objects.filter(case=case, kind="transition").values_list("to_state", flat=True)
    )
    assert transitions == [
        S.SCREENING,
        S.OFFER_ACCEPTED,
        S.READY_FOR_PLACEMENT,
        S.PLACED,
        S.COMPLETED,
    ]


def test_hold_asks_for_a_reason_and_resume_returns(superuser, login):
    client = login(superuser)
    case = factories.case_in_state(S.IN_TRAINING)
    response = _press(client, case, "hold")
    # The button leads to the reason form.
    assert response.redirect_chain[-1][0] == _url(case, "transition/hold/")
    assert 'name="reason"' in response.text
    form_url = _url(case, "transition/hold/")
    data = form_data(client.get(form_url), form_id=None)
    assert data["seen_version"] == str(case.version)

    data["reason"] = "   "
    response = client.post(form_url, data)
    assert response.status_code == 200
    assert "This field is required." in response.text
    assert _state(case) == S.IN_TRAINING

    data["reason"] = "Waiting for the language course to start."
    response = client.post(form_url, data, follow=True)
    assert f"{case.number}: Put on hold done." in response.text
    assert _state(case) == S.ON_HOLD
    event = CaseEvent.objects.filter(case=case).last()
    assert (event.reason, event.actor_user) == (
        "Waiting for the language course to start.",
        superuser,
    )

    response = _press(client, case, "resume")
    assert f"{case.number}: Resume done." in response.text
    assert _state(case) == S.IN_TRAINING


def test_a_stale_reason_form_is_refused(superuser, login):
    client = login(superuser)
    case = factories.case_in_state(S.SCREENING)
    form_url = _url(case, "transition/withdraw/")
    data = form_data(client.get(form_url), form_id=None)
    services.update_case(
        case=case, actor=Actor.system(), expected_version=case.version, g2g_agreement_ref="X-1"
    )
    data["reason"] = "Took another offer."
    response = client.post(form_url, data)
    assert "Someone else changed this case after you opened it" in response.text
    assert _state(case) == S.SCREENING


def test_a_transition_the_state_does_not_allow_is_refused_with_its_reason(superuser, login):
    client = login(superuser)
    case = factories.case_in_state(S.SOURCED)
    events = CaseEvent.objects.filter(case=case).count()
    response = _press(client, case, "place")
    assert "“Place” is not possible while the case is Sourced." in response.text
    assert _state(case) == S.SOURCED
    assert CaseEvent.objects.filter(case=case).count() == events


@pytest.mark.parametrize("name", ["fly", "save", "delete", "refresh_from_db"])
def test_unknown_transition_names_are_a_404(superuser, login, name):
    client = login(superuser)
    case = factories.case_in_state(S.SOURCED)
    response = client.get(_url(case, f"transition/{name}/"))
    assert response.status_code == 404
    page = client.get(_url(case))
    data = form_data(page)
    data["_fsm_transition_to"] = name
    assert client.post(_url(case), data).status_code == 404
    assert _state(case) == S.SOURCED


def test_the_platform_admin_opens_a_case_in_the_admin(superuser, login, helsinki):
    client = login(superuser)
    candidate = factories.CandidateFactory()
    add_url = "/admin/recruitment/case/add/"
    data = form_data(client.get(add_url))
    data.update(
        candidate=str(candidate.pk),
        county=str(helsinki.pk),
        profession=str(factories.profession().pk),
    )
    response = client.post(add_url, data, follow=True)
    assert response.status_code == 200
    case = Case.objects.get()
    assert (case.county, case.state, case.version) == (helsinki, S.SOURCED, 1)
    opened = CaseEvent.objects.get(case=case)
    assert (opened.kind, opened.actor_user) == ("opened", superuser)
