"""Real-browser journeys of recruiters, educators and organisation admins, with an axe-core
accessibility check on every page visited and screenshots in test-artifacts/."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from credentials import services as track_services
from recruitment.actors import Actor
from recruitment.models import Case, CaseState, OrganisationKind, Role
from tests import factories

from .conftest import login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),  # one worker, one Chromium for all journeys
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
PASSWORD = factories.DEFAULT_PASSWORD
SYSTEM = Actor.system("Test setup")


def test_recruiter_takes_a_case_from_sourced_to_placed(page, check):
    recruiter = factories.user_with_role(
        Role.RECRUITER,
        factories.county("pirkanmaa"),
        username="rec.browser",
        first_name="Riikka",
        last_name="Rekrytoija",
    )
    login(page, recruiter.username, PASSWORD)
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    check("my-work")

    page.get_by_role("link", name="New case").click()
    check()
    page.get_by_label("First name").fill("Angelica")
    page.get_by_label("Last name").fill("Reyes")
    page.get_by_label("Birth date").fill("2019-03-01")
    page.get_by_label("Nationality").select_option(label="Philippines")
    page.get_by_label("Languages spoken").fill("en, tl")
    page.get_by_label("Profession").select_option(label="Registered nurse")
    page.get_by_role("button", name="Open case").click()
    # A wrong input shows an error summary and keeps what the user typed.
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("at least 16 years old")
    expect(summary).to_be_focused()
    expect(page.get_by_label("Last name")).to_have_value("Reyes")
    expect(page.get_by_label("Languages spoken")).to_have_value("en, tl")
    check("new-case-error")
    page.get_by_label("Birth date").fill("1992-03-01")
    page.get_by_role("button", name="Open case").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Angelica Reyes")
    case = Case.objects.get(candidate__last_name="Reyes")
    assert case.state == CaseState.SOURCED

    page.get_by_role("button", name="Start screening").click()
    expect(page.locator(".message-success")).to_contain_text("Screening")
    # Accepting the offer is blocked until the no-fee statement is recorded.
    expect(
        page.locator("#actions-title + *, section").filter(has_text="Not possible yet").first
    ).to_contain_text("paid no recruitment fee")
    page.get_by_role("link", name="Edit the ethics record and no-fee statement").click()
    check()
    page.get_by_label("No-fee statement signed on").fill(
        (timezone.localdate() - dt.timedelta(days=2)).isoformat()
    )
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Accept offer").click()
    expect(page.locator(".message-success")).to_contain_text("Offer accepted")

    # The county records the recognition application and decision and the permit itself.
    page.get_by_role("link", name="Record the recognition application").click()
    check("track-form")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="Record the recognition decision").click()
    page.get_by_role("combobox", name=re.compile(r"^Decision")).select_option("granted")
    page.get_by_label("Decision reference").fill("LVV-2026-1")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="Record the residence permit application").click()
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="Record the residence permit decision").click()
    page.get_by_label("Granted").check()
    page.get_by_label("Valid until").fill(
        (timezone.localdate() + dt.timedelta(days=700)).isoformat()
    )
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Recognition: decision recorded").first).to_be_attached()
    # The language certificate is the educator's to record (their journey is below).
    track_services.record_language_certificate(
        case=case.pk,
        actor=SYSTEM,
        language="fi",
        test="yki",
        taken_on=timezone.localdate() - dt.timedelta(days=3),
        speaking="3",
        listening="3",
        reading="4",
        writing="3",
    )
    page.reload()
    expect(page.get_by_text("Ready for placement").first).to_be_visible()
    check("case-ready")

    page.get_by_role("link", name="Record the placement").click()
    check()
    page.get_by_label("County unit").fill("Acute ward 4")
    page.get_by_label("Start date").fill(timezone.localdate().isoformat())
    page.get_by_role("button", name="Save placement").click()
    page.get_by_role("button", name="Place").click()
    expect(page.locator(".message-success")).to_contain_text("Placed")
    expect(page.get_by_role("table", name="Retention checks")).to_be_visible()
    check("case-placed")
    case.refresh_from_db()
    assert case.state == CaseState.PLACED

    page.get_by_role("link", name="Cases", exact=True).click()
    page.get_by_label("Name or case number").fill("reyes")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name=case.number)).to_be_visible()
    check("case-list")


def test_recruiter_gets_404_for_another_countys_case(page, check):
    recruiter = factories.user_with_role(
        Role.RECRUITER, factories.county("pirkanmaa"), username="rec.browser2"
    )
    other = factories.open_case(county_code="helsinki")
    login(page, recruiter.username, PASSWORD)
    # Keyboard: the first Tab reaches the skip link, which moves focus to the content.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    response = page.goto(f"/cases/{other.number}/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    check()


def test_educator_updates_enrollment_and_uploads_csv(page, check):
    institution = factories.OrganisationFactory(
        code="browser-uas", kind=OrganisationKind.EDUCATIONAL_INSTITUTION, name="Browser UAS"
    )
    educator = factories.user_with_role(Role.EDUCATOR, institution, username="edu.browser")
    enrollments = []
    for _ in range(3):
        case = factories.case_in_state(CaseState.OFFER_ACCEPTED, prepared=False)
        enrollments.append(
            track_services.enroll(
                case=case.pk,
                institution=institution,
                programme="language",
                actor=SYSTEM,
                starts_on=timezone.localdate() - dt.timedelta(days=40),
            )
        )
    first = enrollments[0]
    login(page, educator.username, PASSWORD)
    expect(page.get_by_role("heading", name="Enrollments")).to_be_visible()
    check("enrollments")

    page.get_by_role("link", name=first.case.candidate.last_name).first.click()
    page.get_by_label("Progress (%)").fill("150")
    page.get_by_role("button", name="Save progress").click()
    expect(page.locator(".error-summary")).to_contain_text("less than or equal to 100")
    expect(page.get_by_label("Progress (%)")).to_have_value("150")
    check("enrollment-error")
    page.get_by_label("Progress (%)").fill("60")
    page.get_by_role("button", name="Save progress").click()
    expect(page.locator(".message-success")).to_contain_text("Enrollment updated")
    first.refresh_from_db()
    assert first.progress_percent == 60

    page.get_by_role("link", name="CSV import").click()
    check("csv-import")
    rows = "\n".join(
        f"{e.pk},{type(e).objects.get(pk=e.pk).version},{70 + i}" for i, e in enumerate(enrollments)
    )
    content = f"enrollment_id,version,progress_percent\n{rows}\n999999,1,5\n"
    page.get_by_label("What the file contains").select_option("enrollments")
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "progress.csv", "mimeType": "text/csv", "buffer": content.encode()}]
    )
    page.get_by_label("Apply the valid rows even if some rows have errors").check()
    page.get_by_role("button", name="Upload and check").click()
    progress = page.locator("#import-progress")
    expect(progress).to_have_attribute("value", "100")
    expect(page.locator("[data-finished='true']")).to_be_visible()
    expect(page.get_by_text("4 rows: 3 applied, 1 with errors.")).to_be_visible()
    expect(page.locator("#row-report")).to_contain_text("error")
    check("csv-report")

    page.get_by_role("link", name="Language results").click()
    check()
    page.get_by_role("link", name="Record a certificate").click()
    page.get_by_label("Case").select_option(first.case.number)
    page.get_by_label("Taken on").fill(timezone.localdate().isoformat())
    for skill in ("Speaking", "Listening", "Reading", "Writing"):
        page.get_by_label(skill).select_option("B1")
    check("certificate-form")
    page.get_by_role("button", name="Record certificate").click()
    expect(page.locator(".message-success")).to_contain_text(first.case.number)


def test_org_admin_pages_and_swedish(page, check):
    admin = factories.user_with_role(
        Role.ORG_ADMIN, factories.county("pirkanmaa"), username="orgadmin.browser"
    )
    factories.user_with_role(Role.RECRUITER, factories.county("pirkanmaa"), username="colleague")
    login(page, admin.username, PASSWORD)
    expect(page.get_by_role("heading", name="Members and roles")).to_be_visible()
    check("members")

    page.get_by_role("link", name="API clients").click()
    page.get_by_label(re.compile(r"^Name")).fill("HR system")
    page.get_by_label(re.compile("^cases:read")).check()
    page.get_by_role("button", name="Create client and token").click()
    token = page.locator("#new-token")
    expect(token).to_contain_text("polku_")
    check("api-clients")
    page.reload()
    expect(page.locator("#new-token")).to_have_count(0)

    page.get_by_role("link", name="Webhooks").click()
    page.get_by_label("API client").select_option(index=1)
    page.get_by_label("URL").fill("https://hr.pirkanmaa.example/polku")
    page.get_by_label("Case changed state").check()
    page.get_by_role("button", name="Create subscription").click()
    expect(page.locator("#new-secret")).to_contain_text("whsec_")
    check("webhooks")

    # Language switch: choosing Svenska reloads the page in Swedish.
    page.get_by_label("Language", exact=True).select_option("sv")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhook-prenumerationer")
    page.get_by_role("link", name="Medlemmar").click()
    expect(page.get_by_role("heading", name="Medlemmar och roller")).to_be_visible()
    check("members-sv")
    page.get_by_role("button", name="Logga ut").click()
    expect(page.get_by_role("heading", name="Logga in i Polku")).to_be_visible()
    check("login-sv")
