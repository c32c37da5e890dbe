"""Incremental sync: cursor pagination ordered by (updated_at, id), updated_since, filters,
and a constant number of queries per page."""

import datetime as dt

import pytest
from django.utils import timezone

from credentials import services as credential_services

from .conftest import SYSTEM, accepted_case, enroll, http

pytestmark = pytest.mark.django_db


def _all_pages(api, path):
    seen, cursor, pages = [], None, 0
    while True:
        url = path + (("&" if "?" in path else "?") + f"cursor={cursor}" if cursor else "")
        body = api.get(url).json()
        seen += [row["id"] for row in body["results"]]
        pages += 1
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return seen, cursor, pages


def test_pages_cover_every_row_once_in_update_order(institution, educator_token):
    for _ in range(7):
        enroll(accepted_case(), institution)
    api = http(educator_token)
    ids, _cursor, pages = _all_pages(api, "/api/v1/enrollments/?page_size=3")
    assert pages == 3
    assert len(ids) == len(set(ids)) == 7
    rows = api.get("/api/v1/enrollments/?page_size=100").json()["results"]
    assert [r["id"] for r in rows] == ids
    stamps = [r["updated_at"] for r in rows]
    assert stamps == sorted(stamps)


def test_a_stored_cursor_returns_only_what_changed_since(institution, educator_token):
    enrollments = [enroll(accepted_case(), institution) for _ in range(3)]
    api = http(educator_token)
    _ids, cursor, _pages = _all_pages(api, "/api/v1/enrollments/")
    assert api.get(f"/api/v1/enrollments/?cursor={cursor}").json()["results"] == []
    credential_services.update_enrollment(
        enrollment=enrollments[0], actor=SYSTEM, expected_version=1, progress_percent=30
    )
    changed = api.get(f"/api/v1/enrollments/?cursor={cursor}").json()["results"]
    assert [(r["id"], r["progress_percent"]) for r in changed] == [(enrollments[0].pk, 30)]


def test_updated_since_and_filters(institution, educator_token):
    old = enroll(accepted_case(), institution)
    type(old).objects.filter(pk=old.pk).update(updated_at=timezone.now() - dt.timedelta(days=3))
    new = enroll(accepted_case(), institution, programme="bridging")
    api = http(educator_token)
    since = (timezone.now() - dt.timedelta(days=1)).isoformat()
    rows = api.get("/api/v1/enrollments/", {"updated_since": since}).json()["results"]
    assert [r["id"] for r in rows] == [new.pk]
    rows = api.get("/api/v1/enrollments/", {"programme": "language"}).json()["results"]
    assert [r["id"] for r in rows] == [old.pk]
    bad = api.get("/api/v1/enrollments/", {"updated_since": "last tuesday"})
    assert bad.status_code == 400 and "updated_since" in bad.json()["errors"]
    bad = api.get("/api/v1/enrollments/", {"cursor": "!!!"})
    assert bad.status_code == 400 and "cursor" in bad.json()["errors"]
    bad = api.get("/api/v1/enrollments/", {"page_size": "5000"})
    assert bad.status_code == 400 and "page_size" in bad.json()["errors"]


@pytest.mark.parametrize(
    ("token_fixture", "path"),
    [
        ("county_token", "/api/v1/cases/?page_size=50"),
        ("educator_token", "/api/v1/cases/?page_size=50"),
        ("educator_token", "/api/v1/enrollments/?page_size=50"),
        ("county_token", "/api/v1/language-certificates/?page_size=50"),
        ("employment_token", "/api/v1/integration-steps/?page_size=50"),
        ("employment_token", "/api/v1/permits/?page_size=50"),
    ],
)
def test_a_page_costs_the_same_queries_for_1_or_8_rows(
    request, institution, employment_service, django_assert_max_num_queries, token_fixture, path
):
    from .conftest import refer

    api = http(request.getfixturevalue(token_fixture))

    def add(n):
        for _ in range(n):
            case = accepted_case()
            enroll(case, institution)
            refer(case, employment_service)
            credential_services.record_language_certificate(
                case=case,
                actor=SYSTEM,
                language="fi",
                test="yki",
                taken_on=timezone.localdate(),
                speaking="B1",
                listening="B1",
                reading="B1",
                writing="B1",
            )
            credential_services.apply_permit(
                case=case,
                actor=SYSTEM,
                permit_type="specialist",
                permit_kind="temporary",
                applied_on=timezone.localdate(),
            )

    add(1)
    api.get(path)  # warm up: token lookup caches nothing, but last_used_at is written once
    with django_assert_max_num_queries(4) as few:
        assert len(api.get(path).json()["results"]) == 1
    add(7)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(api.get(path).json()["results"]) == 8
