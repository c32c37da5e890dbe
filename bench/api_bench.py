"""Partner API benchmark on PostgreSQL: list endpoint vs raw SQL, queries per page, bulk update.

Seeds a throwaway database (``polku_bench_api`` on 127.0.0.1:5432, or ``BENCH_DATABASE_URL``)
with ``BENCH_CASES`` cases (default 100,000) spread over the 23 counties, using
``bulk_create`` (candidates, cases), and 1,000 enrollments of one institution. Then, in one
run:

- ``GET /api/v1/cases/?page_size=100`` as a county's API client (first page and a page deep
  in the keyset), median of repeated requests through Django's full stack (auth, scopes,
  throttle, serialization, the GDPR access log), against the same query in raw SQL;
- the number of queries per page for page sizes 10, 100 and 1,000 (constant);
- ``POST /api/v1/enrollments/bulk/`` with 1,000 progress updates (goal < 2 s).

Results: ``bench/results/api.json`` (and printed).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import throwaway_database_url  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "api.json"
DB_NAME = "polku_bench_api"
GOALS = {"list_vs_sql_ratio": 1.5, "bulk_1000_seconds": 2.0}
ENROLLMENTS = 1000
REPEAT = 15


def _setup_django() -> None:
    os.environ["DATABASE_URL"] = throwaway_database_url(DB_NAME)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("AXES_ENABLED", "false")
    os.environ.setdefault("POLKU_API_RATE", "1000000/min")
    os.environ.setdefault("POLKU_API_BULK_RATE", "1000000/min")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _seed(n: int) -> dict:
    from django.db import connection, transaction
    from django.utils import timezone

    from credentials.models import TrainingEnrollment
    from recruitment.models import (
        Candidate,
        Case,
        CasePartner,
        Country,
        Organisation,
        OrganisationKind,
        Profession,
    )

    started = time.perf_counter()
    counties = list(Organisation.objects.filter(kind=OrganisationKind.COUNTY).order_by("code"))
    professions = list(Profession.objects.order_by("code"))
    nationality = Country.objects.get(code="PH")
    institution = Organisation.objects.create(
        code="bench-institution", kind=OrganisationKind.EDUCATIONAL_INSTITUTION, name="Bench AMK"
    )
    today = timezone.localdate()
    batch = 10_000
    with transaction.atomic():
        for start in range(0, n, batch):
            size = min(batch, n - start)
            candidates = Candidate.objects.bulk_create(
                [
                    Candidate(
                        first_name=f"First{i}",
                        last_name=f"Last{i}",
                        nationality=nationality,
                        created_by=counties[i % len(counties)],
                        email=f"bench{i}@example.invalid",
                    )
                    for i in range(start, start + size)
                ]
            )
            Case.objects.bulk_create(
                [
                    Case(
                        number=f"BN-{i:08d}",
                        candidate=candidate,
                        county=counties[i % len(counties)],
                        profession=professions[i % len(professions)],
                        opened_on=today - dt.timedelta(days=i % 700),
                    )
                    for i, candidate in zip(range(start, start + size), candidates, strict=True)
                ]
            )
        # One institution with 1,000 enrollments on as many cases.
        first_county = counties[0]
        linked = list(Case.objects.order_by("id")[:ENROLLMENTS])  # of every county
        CasePartner.objects.bulk_create(
            [CasePartner(case=case, organisation=institution, role="education") for case in linked]
        )
        TrainingEnrollment.objects.bulk_create(
            [
                TrainingEnrollment(
                    case=case,
                    institution=institution,
                    programme="language",
                    starts_on=today - dt.timedelta(days=30),
                )
                for case in linked
            ]
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "county": first_county,
        "institution": institution,
        "county_cases": Case.objects.filter(county=first_county).count(),
    }


def _median_ms(fn) -> float:
    fn()  # warm up
    samples = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(samples), 2)


RAW_SQL = """
SELECT c.id, c.number, c.state, c.version, c.opened_on, c.state_changed_at, c.closed_at,
       c.updated_at, c.county_id, c.recognition_submitted_on, c.recognition_decided_on,
       c.recognition_outcome, c.training_in_progress, c.language_requirement_met_on,
       c.permit_applied_on, c.permit_granted_on, c.permit_valid_until,
       county.code, profession.code, cand.first_name, cand.last_name, cand.email, cand.phone,
       cand.birth_date, country.code
FROM recruitment_case c
JOIN recruitment_organisation county ON county.id = c.county_id
JOIN recruitment_profession profession ON profession.id = c.profession_id
JOIN recruitment_candidate cand ON cand.id = c.candidate_id
JOIN recruitment_country country ON country.id = cand.nationality_id
WHERE (c.county_id = %(org)s OR EXISTS (
        SELECT 1 FROM recruitment_casepartner p
        WHERE p.case_id = c.id AND p.organisation_id = %(org)s))
  AND (%(after)s::timestamptz IS NULL OR c.updated_at > %(after)s::timestamptz
       OR (c.updated_at = %(after)s::timestamptz AND c.id > %(after_id)s))
ORDER BY c.updated_at, c.id
LIMIT 101
"""


def main() -> None:
    n = int(os.environ.get("BENCH_CASES", "100000"))
    _setup_django()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from integration import services
    from integration.api.base import KeysetPagination
    from recruitment.actors import Actor
    from recruitment.models import Case

    print(f"api_bench: seeding {n:,} cases …", flush=True)
    seeded = _seed(n)
    county, institution = seeded["county"], seeded["institution"]
    system = Actor.system("bench")
    expires = timezone.now() + dt.timedelta(days=1)
    _c, county_token = services.create_api_client(
        organisation=county,
        name="bench county",
        scopes=["cases:read", "cases:write", "training:read", "permits:read"],
        expires_at=expires,
        actor=system,
    )
    _c, institution_token = services.create_api_client(
        organisation=institution,
        name="bench institution",
        scopes=["cases:read", "training:read", "training:write"],
        expires_at=expires,
        actor=system,
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {county_token}", HTTP_ACCEPT_LANGUAGE="en")

    ordered = Case.objects.filter(county=county).order_by("updated_at", "id")
    middle = ordered[seeded["county_cases"] // 2]
    deep_cursor = KeysetPagination.encode(middle.updated_at, middle.pk)

    def api(cursor=None, size=100):
        url = f"/api/v1/cases/?page_size={size}" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(url)
        assert response.status_code == 200, response.content[:300]
        return response

    def raw(after=None, after_id=0):
        with connection.cursor() as cursor:
            cursor.execute(RAW_SQL, {"org": county.pk, "after": after, "after_id": after_id})
            return cursor.fetchall()

    assert len(api().json()["results"]) == 100 and len(raw()) == 101
    first_api = _median_ms(api)
    first_sql = _median_ms(raw)
    deep_api = _median_ms(lambda: api(deep_cursor))
    deep_sql = _median_ms(lambda: raw(middle.updated_at, middle.pk))

    queries = {}
    for size in (10, 100, 1000):
        with CaptureQueriesContext(connection) as captured:
            api(size=size)
        queries[str(size)] = len(captured.captured_queries)

    enrollments = list(institution.enrollments.order_by("id").values_list("id", "version"))
    bulk = Client(HTTP_AUTHORIZATION=f"Bearer {institution_token}")
    items = [{"id": pk, "version": version, "progress_percent": 25} for pk, version in enrollments]
    started = time.perf_counter()
    response = bulk.post(
        "/api/v1/enrollments/bulk/", {"items": items}, content_type="application/json"
    )
    bulk_seconds = round(time.perf_counter() - started, 2)
    body = response.json()
    assert response.status_code == 200, body
    assert body["succeeded"] == len(items), body

    results = {
        "cases": n,
        "database": connection.vendor,
        "seed_seconds": seeded["seconds"],
        "county_cases": seeded["county_cases"],
        "list_first_page": {
            "api_ms": first_api,
            "raw_sql_ms": first_sql,
            "ratio": round(first_api / first_sql, 2),
        },
        "list_deep_page": {
            "api_ms": deep_api,
            "raw_sql_ms": deep_sql,
            "ratio": round(deep_api / deep_sql, 2),
        },
        "queries_per_page": queries,
        "queries_constant": len(set(queries.values())) == 1,
        "bulk_update_1000": {
            "seconds": bulk_seconds,
            "succeeded": body["succeeded"],
            "per_item_ms": round(bulk_seconds * 1000 / len(items), 2),
        },
        "goals": GOALS,
        "measured_at": timezone.now().isoformat(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2), flush=True)


if __name__ == "__main__":
    main()
