"""Monitoring benchmark: dashboard and half-yearly PDF at 100k and 1M cases on PostgreSQL.

Seeds a throwaway database (``polku_bench_monitoring`` on 127.0.0.1:5432, or
``BENCH_DATABASE_URL``) with COPY: candidates, cases and their state events over two years,
plus the snapshot rows the dashboard and the report read (computed from the generated
histories; at the smaller size they are checked against ``take_snapshots`` itself). Then it
times, in one run:

- the dashboard (GET /monitoring/, default filters: the last 12 months), cold and cached;
- the half-yearly report PDF (last complete half-year), cold;
- the raw SQL aggregates over the same data (stock, monthly flow and stage-duration
  percentiles straight from cases and events) for comparison;
- the nightly snapshot job (yesterday and today).

Sizes: ``BENCH_MONITORING_SIZES`` (default ``100000,1000000``). Results:
``bench/results/monitoring.json``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import throwaway_database_url  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "monitoring.json"
DB_NAME = "polku_bench_monitoring"
GOALS = {"dashboard_ms_at_1m": 300, "pdf_s_at_1m": 10}

PIPELINE = [
    "sourced",
    "screening",
    "offer_accepted",
    "in_recognition",
    "in_training",
    "ready_for_placement",
]
FORWARD = [*PIPELINE[1:], "placed", "completed"]
DROPPED = ("withdrawn", "rejected", "left_early")


def _setup_django() -> None:
    os.environ["DATABASE_URL"] = throwaway_database_url(DB_NAME)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("AXES_ENABLED", "false")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- Data generation -------------------------------------------------------------------------


def _histories(n: int, today: dt.date, seed: int = 1):
    """Yield (county, profession, country, basis, opened, [(from, to, day, reason)], permit)."""
    from recruitment.models import Country, Organisation, OrganisationKind, Profession

    rng = random.Random(seed)
    counties = list(
        Organisation.objects.filter(kind=OrganisationKind.COUNTY).values_list("pk", flat=True)
    )
    professions = list(Profession.objects.values_list("pk", flat=True))
    codes = ["PH", "IN", "VN", "NP", "LK", "ES", "EE", "UA", "KE", "GH", "PT", "SE"]
    countries = dict(Country.objects.filter(code__in=codes).values_list("code", "pk"))
    listed = set(
        Country.objects.filter(code__in=codes, who_safeguards_list=True).values_list(
            "pk", flat=True
        )
    )
    country_ids = [countries[c] for c in codes]
    weights = [30, 18, 14, 8, 8, 8, 4, 4, 3, 2, 2, 1]
    reasons = ["Chose another employer.", "Family reasons.", "Qualification did not match."]
    for _ in range(n):
        country = rng.choices(country_ids, weights)[0]
        basis = "own_initiative" if country in listed else "active_recruitment"
        day = today - dt.timedelta(days=rng.randint(0, 729))
        opened = day
        state, steps = "sourced", []
        for target in FORWARD:
            if rng.random() < 0.12:
                break
            day = day + dt.timedelta(days=rng.randint(5, 90))
            if day > today:
                break
            if rng.random() < 0.04 and state in PIPELINE:
                steps.append((state, "on_hold", day, "Waiting for documents."))
                day = day + dt.timedelta(days=rng.randint(5, 40))
                if day > today:
                    state = "on_hold"
                    break
                steps.append(("on_hold", state, day, ""))
            steps.append((state, target, day, ""))
            state = target
        if state not in ("completed", "on_hold") and rng.random() < 0.15:
            day = day + dt.timedelta(days=rng.randint(5, 60))
            if day <= today:
                outcome = "left_early" if state == "placed" else rng.choice(DROPPED[:2])
                steps.append((state, outcome, day, rng.choice(reasons)))
        permit = today + dt.timedelta(days=rng.randint(-300, 700)) if rng.random() < 0.7 else None
        yield (
            rng.choice(counties),
            rng.choice(professions),
            country,
            basis,
            opened,
            steps,
            permit,
        )


def _copy(cursor, table: str, columns: list[str], rows) -> int:
    count = 0
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def seed(n: int, today: dt.date, stock_dates: list[dt.date]) -> dict:
    """Cases, candidates, events and snapshot rows; returns counts and seconds."""
    from django.db import connection
    from django.utils import timezone

    started = time.perf_counter()
    tz = timezone.get_current_timezone()

    def at(day: dt.date, hour: int) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour), tzinfo=tz)

    now = timezone.now()
    histories = list(_histories(n, today))
    stock = Counter()
    flow = Counter()
    transitions = Counter()
    permits = Counter()
    stock_set = set(stock_dates)
    events = 0
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor
        # Bulk load: no per-row foreign-key triggers (the generator keeps the keys consistent).
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("SET synchronous_commit = off")
        cursor.execute(
            "TRUNCATE recruitment_caseevent, recruitment_case, recruitment_candidate, "
            "monitoring_stocksnapshot, monitoring_flowsnapshot, monitoring_transitionsnapshot, "
            "monitoring_permitexpirysnapshot, monitoring_snapshotrun, monitoring_halfyearreport "
            "RESTART IDENTITY CASCADE"
        )
        created_by = histories[0][0]
        _copy(
            cursor,
            "recruitment_candidate",
            [
                "id",
                "first_name",
                "last_name",
                "nationality_id",
                "email",
                "phone",
                "languages",
                "created_by_id",
                "created_at",
                "updated_at",
            ],
            (
                (i + 1, "Bench", f"Candidate {i + 1}", h[2], "", "", "[]", created_by, now, now)
                for i, h in enumerate(histories)
            ),
        )

        def case_rows():
            for i, (county, prof, _country, basis, opened, steps, permit) in enumerate(histories):
                state = steps[-1][1] if steps else "sourced"
                last = at(steps[-1][2], 12) if steps else at(opened, 9)
                closed = last if state in ("completed", *DROPPED) else None
                yield (
                    i + 1,
                    f"B-{i + 1:08d}",
                    i + 1,
                    county,
                    prof,
                    state,
                    "",
                    1 + len(steps),
                    opened,
                    last,
                    closed,
                    basis,
                    "",
                    "",
                    "",
                    False,
                    permit,
                    now,
                    now,
                )

        _copy(
            cursor,
            "recruitment_case",
            [
                "id",
                "number",
                "candidate_id",
                "county_id",
                "profession_id",
                "state",
                "held_from",
                "version",
                "opened_on",
                "state_changed_at",
                "closed_at",
                "recruitment_basis",
                "ethics_justification",
                "g2g_agreement_ref",
                "recognition_outcome",
                "training_in_progress",
                "permit_valid_until",
                "created_at",
                "updated_at",
            ],
            case_rows(),
        )

        def event_rows():
            nonlocal events
            for i, (county, prof, country, basis, opened, steps, permit) in enumerate(histories):
                case_id = i + 1
                dims = (county, prof, country)
                yield (
                    case_id,
                    at(opened, 9),
                    "opened",
                    "",
                    "",
                    "sourced",
                    "system",
                    "bench",
                    "",
                    "{}",
                    1,
                )
                flow[(opened, *dims, basis, 0)] += 1
                previous = opened
                for version, (frm, to, day, reason) in enumerate(steps, start=2):
                    yield (
                        case_id,
                        at(day, 12),
                        "transition",
                        to,
                        frm,
                        to,
                        "system",
                        "bench",
                        reason,
                        "{}",
                        version,
                    )
                    transitions[(day, *dims, frm, to, (day - previous).days)] += 1
                    if to == "placed":
                        flow[(day, *dims, basis, 1)] += 1
                    elif to in DROPPED:
                        flow[(day, *dims, basis, 2)] += 1
                    previous = day
                events += 1 + len(steps)
                # Stock and permits on the sampled dates, from the case's own history.
                closed_on = (
                    steps[-1][2] if steps and steps[-1][1] in ("completed", *DROPPED) else None
                )
                for sample in stock_set:
                    if opened > sample:
                        continue
                    state = "sourced"
                    for _frm, to, day, _reason in steps:
                        if day > sample:
                            break
                        state = to
                    stock[(sample, *dims, basis, state)] += 1
                    if permit and sample < permit and (closed_on is None or closed_on > sample):
                        days = (permit - sample).days
                        if days <= 90:
                            permits[(sample, *dims, 1 if days <= 30 else 0)] += 1

        _copy(
            cursor,
            "recruitment_caseevent",
            [
                "case_id",
                "occurred_at",
                "kind",
                "transition",
                "from_state",
                "to_state",
                "actor_kind",
                "actor_label",
                "reason",
                "changes",
                "case_version",
            ],
            event_rows(),
        )
        for table in ("recruitment_candidate", "recruitment_case"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT MAX(id) FROM {table}))"
            )
        _copy(
            cursor,
            "monitoring_stocksnapshot",
            [
                "date",
                "county_id",
                "profession_id",
                "country_id",
                "recruitment_basis",
                "state",
                "cases",
            ],
            ((*key, n) for key, n in stock.items()),
        )
        flows = {}
        for (day, c, p, k, b, slot), count in flow.items():
            flows.setdefault((day, c, p, k, b), [0, 0, 0])[slot] = count
        _copy(
            cursor,
            "monitoring_flowsnapshot",
            [
                "date",
                "county_id",
                "profession_id",
                "country_id",
                "recruitment_basis",
                "entered",
                "placed",
                "dropped_out",
            ],
            ((*key, *v) for key, v in flows.items()),
        )
        _copy(
            cursor,
            "monitoring_transitionsnapshot",
            [
                "date",
                "county_id",
                "profession_id",
                "country_id",
                "from_state",
                "to_state",
                "days_in_state",
                "transitions",
            ],
            ((*key, n) for key, n in transitions.items()),
        )
        per_cell = {}
        for (day, c, p, k, within30), count in permits.items():
            cell = per_cell.setdefault((day, c, p, k), [0, 0])
            cell[1] += count
            if within30:
                cell[0] += count
        _copy(
            cursor,
            "monitoring_permitexpirysnapshot",
            [
                "date",
                "county_id",
                "profession_id",
                "country_id",
                "within_30_days",
                "within_90_days",
            ],
            ((*key, *v) for key, v in per_cell.items()),
        )
        first = min(h[4] for h in histories)
        days = (today - first).days + 1
        _copy(
            cursor,
            "monitoring_snapshotrun",
            ["date", "computed_at"],
            ((first + dt.timedelta(days=i), now) for i in range(days)),
        )
        cursor.execute("SET session_replication_role = DEFAULT")
        # As autovacuum would leave it: statistics, visibility map and hint bits set.
        cursor.execute("VACUUM ANALYZE")
    return {
        "cases": n,
        "events": events,
        "stock_rows": len(stock),
        "flow_rows": len(flows),
        "transition_rows": len(transitions),
        "seconds": round(time.perf_counter() - started, 1),
    }


# --- Measurements ----------------------------------------------------------------------------

RAW_SQL = {
    "stock_by_county_and_state": """
        SELECT county_id, state, COUNT(*) FROM recruitment_case GROUP BY county_id, state
    """,
    "monthly_flow_12_months": """
        SELECT date_trunc('month', occurred_at) AS month,
               COUNT(*) FILTER (WHERE kind = 'opened'),
               COUNT(*) FILTER (WHERE to_state = 'placed' AND kind = 'transition'),
               COUNT(*) FILTER (WHERE to_state IN ('withdrawn', 'rejected', 'left_early')
                                AND kind = 'transition')
        FROM recruitment_caseevent
        WHERE occurred_at >= now() - interval '12 months' AND kind IN ('opened', 'transition')
        GROUP BY 1
    """,
    "stage_durations_12_months": """
        SELECT from_state,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY days),
               percentile_cont(0.9) WITHIN GROUP (ORDER BY days)
        FROM (
            SELECT e.from_state, e.occurred_at,
                   EXTRACT(EPOCH FROM e.occurred_at - LAG(e.occurred_at) OVER (
                       PARTITION BY e.case_id ORDER BY e.occurred_at, e.id)) / 86400 AS days
            FROM recruitment_caseevent e
            WHERE e.kind IN ('opened', 'transition')
        ) spells
        WHERE from_state <> '' AND occurred_at >= now() - interval '12 months'
        GROUP BY from_state
    """,
}


def _time(fn, repeat: int = 3) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def measure(n: int, today: dt.date, half: tuple[int, int]) -> dict:
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.utils import translation

    from monitoring import services
    from monitoring.pdf import render_half_year_report
    from recruitment.models import Membership, Organisation, Role

    user, _ = get_user_model().objects.get_or_create(username="bench.analyst")
    Membership.objects.get_or_create(
        user=user, organisation=Organisation.objects.get(code="stm"), role=Role.MINISTRY_ANALYST
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)

    def dashboard(query: str = ""):
        response = client.get(f"/monitoring/{query}")
        assert response.status_code == 200, response.status_code

    def cold(query: str = ""):
        cache.clear()
        dashboard(query)

    cold_default = _time(cold)
    cold_filtered = _time(lambda: cold("?county=pirkanmaa&sector=health"))
    # The nightly job takes the snapshot and warms the default view (as in production).
    cache.clear()
    nightly = _time(services.take_daily_snapshots, repeat=1)[0]
    after_nightly = _time(dashboard)

    def pdf():
        cache.clear()
        with translation.override("en"):
            data, _day = render_half_year_report(year=half[0], half=half[1])
        assert data.startswith(b"%PDF")

    pdf_times = _time(pdf, repeat=2)
    raw = {}
    with connection.cursor() as cursor:
        for name, sql in RAW_SQL.items():
            raw[name] = round(
                1000 * min(_time(lambda sql=sql: cursor.execute(sql) or cursor.fetchall())), 1
            )
    return {
        "cases": n,
        "dashboard_ms": round(1000 * statistics.median(after_nightly), 1),
        "dashboard_cold_ms": round(1000 * statistics.median(cold_default), 1),
        "dashboard_filtered_cold_ms": round(1000 * statistics.median(cold_filtered), 1),
        "pdf_s": round(min(pdf_times), 2),
        "raw_sql_ms": raw,
        "raw_sql_total_ms": round(sum(raw.values()), 1),
        "nightly_snapshot_and_warm_s": round(nightly, 1),
    }


def check_against_service(today: dt.date) -> bool:
    """The seeded stock of today equals what ``take_snapshots`` computes from the events."""
    from django.db.models import Sum

    from monitoring import services
    from monitoring.models import StockSnapshot

    seeded = dict(
        StockSnapshot.objects.filter(date=today).values_list("state").annotate(n=Sum("cases"))
    )
    services.take_snapshots(since=today, until=today)
    computed = dict(
        StockSnapshot.objects.filter(date=today).values_list("state").annotate(n=Sum("cases"))
    )
    return seeded == computed


def main(sizes: list[int] | None = None) -> dict:
    if sizes is None:
        sizes = [
            int(s) for s in os.environ.get("BENCH_MONITORING_SIZES", "100000,1000000").split(",")
        ]
    _setup_django()
    from dateutil.relativedelta import relativedelta
    from django.utils import timezone

    today = timezone.localdate()
    half = (today.year, 1) if today.month > 6 else (today.year - 1, 2)
    half_end = dt.date(half[0], 6, 30) if half[1] == 1 else dt.date(half[0], 12, 31)
    stock_dates = sorted(
        {today - relativedelta(months=k) for k in range(12)}
        | {half_end - relativedelta(months=k) for k in range(12)}
    )
    results = {"date": today.isoformat(), "goals": GOALS, "runs": []}
    for n in sizes:
        print(f"monitoring bench: seeding {n:,} cases ...", flush=True)
        seeded = seed(n, today, stock_dates)
        print(f"  seeded in {seeded['seconds']} s: {seeded}", flush=True)
        run = {"seed": seeded, **measure(n, today, half)}
        if n <= 200_000:
            run["seeded_snapshots_match_service"] = check_against_service(today)
        results["runs"].append(run)
        print(
            f"  {n:>9,} cases: dashboard {run['dashboard_ms']} ms (after the nightly job; "
            f"cold {run['dashboard_cold_ms']} ms, filtered cold "
            f"{run['dashboard_filtered_cold_ms']} ms); PDF {run['pdf_s']} s; raw SQL "
            f"{run['raw_sql_total_ms']} ms ({run['raw_sql_ms']}); nightly snapshot + warm-up "
            f"{run['nightly_snapshot_and_warm_s']} s",
            flush=True,
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"monitoring bench: results in {RESULTS.relative_to(ROOT)}")
    return results


if __name__ == "__main__":
    main()
