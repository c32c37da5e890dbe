"""Schemathesis over the whole partner API, in process (WSGI, no server), every operation for
every scope set, with a fixed seed: no 5xx, every response as documented (status, content
type, schema, problem+json), and invalid data refused.

Each operation runs, with a token of each scope set (``SCOPE_SETS``):

1. the kinds of input an outside test broke Polku with (issue 10, item 4), built for that
   operation from its OpenAPI description, so they are tried every time, not by chance:
   ids in the path written with other scripts' digits ("²", "١٢", "１"), with a space or
   beyond bigint; every integer query parameter likewise; every date-time query parameter
   with an offset beyond ±14:00, without offset, or in year 1; the body nested 1,000 levels
   deep, with a NUL character, and with every property of the wrong JSON type; If-Match with
   Unicode digits. Each must be refused with a 4xx problem;
2. ``EXAMPLES`` cases Hypothesis generates (derandomised) from the schema, positive and
   negative, widened with the same kinds of troublesome values (path ids, integer and
   date-time query values, If-Match, nesting depth).

About 3,000 requests in all; README, "What make test runs", states the count.
"""

from __future__ import annotations

import json
import time

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from credentials import services as credential_services
from integration.models import WebhookSubscription
from recruitment.models import Organisation, OrganisationKind

from .conftest import (
    ALL_SCOPES,
    EDUCATOR_SCOPES,
    EMPLOYMENT_SCOPES,
    SYSTEM,
    accepted_case,
    days_ago,
    enroll,
    make_token,
    refer,
)

EXAMPLES = 10  # generated cases per operation and scope set
SCOPE_SETS = {
    "county": ("pirkanmaa", ALL_SCOPES),
    "institution": ("st-inst", EDUCATOR_SCOPES),
    "employment": ("st-employment", EMPLOYMENT_SCOPES),
    "reader": ("pirkanmaa", ["cases:read"]),
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
PROBLEM = "application/problem+json"

# --- the troublesome kinds of input ----------------------------------------------------------

BAD_PATH_IDS = ["\u00b2", "\u0661\u0662", "\uff11", " 1", "9223372036854775808"]
BAD_INTEGERS = ["\u00b2", "\u0663", "99999999999999999999"]
BAD_MOMENTS = ["2026-01-01T00:00:00+16:00", "2026-01-01T00:00:00", "0001-01-01T00:00:00Z"]
WRONG_TYPE = {"string": 42, "integer": "1", "boolean": "true", "array": "x", "object": [1]}

OTHER_DIGITS = st.text(
    st.characters(categories=["Nd", "No"], exclude_characters="0123456789"), min_size=1, max_size=4
)
BAD_NUMBERS = st.one_of(
    OTHER_DIGITS,
    st.integers(min_value=2**63, max_value=10**30).map(str),
    st.integers(max_value=0).map(str),
    st.integers(1, 10**6).map(lambda n: f" {n}"),
    st.integers(1, 10**6).map(lambda n: f"{n}.0"),
)
OFFSET_MOMENTS = st.builds(
    lambda moment, sign, hours, minutes: f"{moment:%Y-%m-%dT%H:%M:%S}{sign}{hours:02}:{minutes:02}",
    st.datetimes(),
    st.sampled_from("+-"),
    st.integers(14, 99),
    st.integers(0, 99),
)
ODD_MOMENTS = st.one_of(
    OFFSET_MOMENTS,
    st.datetimes().map(lambda moment: moment.isoformat()),  # no offset
    st.datetimes().map(lambda moment: f"{moment:%Y-%m-%dT%H:%M:%S}Z"),  # any year
)
# Nesting beyond what Python (and schemathesis) recurse through: such bodies go as text.
DEPTHS = st.one_of(st.none(), st.none(), st.integers(30, 1200))


def nested_text(body, depth: int) -> bytes:
    return ("[" * depth + json.dumps(body) + "]" * depth).encode()


def _widen(value, schema: dict):
    """A strategy: the generated value, or a troublesome one of the same kind."""
    if schema.get("type") == "integer":
        return st.one_of(st.just(value), BAD_NUMBERS)
    if schema.get("format") == "date-time":
        return st.one_of(st.just(value), ODD_MOMENTS)
    return st.just(value)


def add_hooks(schema, known_ids: dict[str, list[int]]):
    @schema.hook
    def flatmap_path_parameters(context, path_parameters):
        if not path_parameters or "id" not in path_parameters:
            return st.just(path_parameters)
        ids = known_ids.get(context.operation.path.split("/")[3]) or [1]
        return st.one_of(st.sampled_from(ids), st.just(path_parameters["id"]), BAD_NUMBERS).map(
            lambda value: {**path_parameters, "id": value}
        )

    @schema.hook
    def flatmap_query(context, query):
        if not query:
            return st.just(query)
        kinds = {p.name: p.definition.get("schema", {}) for p in context.operation.query}
        return st.fixed_dictionaries(
            {name: _widen(value, kinds.get(name, {})) for name, value in query.items()}
        )

    @schema.hook
    def flatmap_headers(context, headers):
        if headers and "If-Match" in headers:
            return st.one_of(
                st.just(headers), BAD_NUMBERS.map(lambda n: {**headers, "If-Match": f'"{n}"'})
            )
        return st.just(headers)


# --- explicit cases per operation ------------------------------------------------------------


def json_type(prop: dict) -> str | None:
    """The JSON type a request property takes (enums of ours are strings)."""
    kind = prop.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind is None and {"$ref", "allOf", "oneOf", "enum"} & set(prop):
        kind = "string"
    return kind


def troublesome_cases(operation, document: dict, known_ids: dict[str, list[int]]):
    """(what, case, raw body or None) for the input classes of issue 10, item 4."""
    spec = document["paths"][operation.path][operation.method.lower()]
    params = spec.get("parameters", [])
    resource = operation.path.split("/")[3]
    path = {}
    if "{id}" in operation.path:
        path["id"] = (known_ids.get(resource) or [1])[0]
    if "{name}" in operation.path:
        path["name"] = "hold"
    headers = {p["name"]: '"1"' for p in params if p["in"] == "header" and p["name"] == "If-Match"}
    content = spec.get("requestBody", {}).get("content", {})
    media_type = "application/json" if "application/json" in content else None
    body_schema = content.get("application/json", {}).get("schema", {})
    if "$ref" in body_schema:
        body_schema = document["components"]["schemas"][body_schema["$ref"].split("/")[-1]]
    properties = body_schema.get("properties", {})
    base = {"path_parameters": path, "headers": headers}
    if media_type:
        base.update(body={}, media_type=media_type)

    def make(**changes):
        return operation.Case(**{**base, **changes})

    if "id" in path:
        for bad in BAD_PATH_IDS:
            yield f"path id {bad!r}", make(path_parameters={**path, "id": bad}), None
    for param in params:
        if param["in"] != "query":
            continue
        schema = param.get("schema", {})
        values = []
        if schema.get("type") == "integer":
            values = BAD_INTEGERS
        elif schema.get("format") == "date-time":
            values = BAD_MOMENTS
        for bad in values:
            yield f"query {param['name']}={bad!r}", make(query={param["name"]: bad}), None
    if headers:
        yield "If-Match with ²", make(headers={"If-Match": '"\u00b2"'}), None
    if media_type:
        yield "body nested 1,000 deep", make(), nested_text({}, 1000)
        yield (
            "body with NUL",
            make(body=dict.fromkeys(properties, "a\x00") or {"x": "\x00"}),
            None,
        )
        wrong = {
            name: WRONG_TYPE[json_type(prop)]
            for name, prop in properties.items()
            if json_type(prop) in WRONG_TYPE and not prop.get("readOnly")
        }
        if wrong:
            yield "body of wrong JSON types", make(body=wrong), None


# --- the run ---------------------------------------------------------------------------------


@pytest.fixture
def world(pirkanmaa):
    institution = Organisation.objects.create(
        code="st-inst", kind=OrganisationKind.EDUCATIONAL_INSTITUTION, name="ST institution"
    )
    employment = Organisation.objects.create(
        code="st-employment", kind=OrganisationKind.EMPLOYMENT_SERVICE, name="ST employment"
    )
    ids: dict[str, list[int]] = {"cases": [], "enrollments": [], "permits": []}
    ids["integration-steps"] = []
    for _ in range(3):
        case = accepted_case()
        ids["cases"].append(case.pk)
        ids["enrollments"].append(enroll(case, institution).pk)
        ids["integration-steps"].append(refer(case, employment).pk)
        permit = credential_services.apply_permit(
            case=case,
            actor=SYSTEM,
            permit_type="specialist",
            permit_kind="temporary",
            applied_on=days_ago(3),
        )
        ids["permits"].append(permit.pk)
    tokens = {}
    for name, (code, scopes) in SCOPE_SETS.items():
        client, tokens[name] = make_token(
            Organisation.objects.get(code=code), scopes, name=f"ST {name}"
        )
        WebhookSubscription.objects.create(
            client=client, url="https://partner.example/hook", secret="whsec_st"
        )
    ids["webhooks"] = list(WebhookSubscription.objects.values_list("pk", flat=True))
    return ids, tokens


@pytest.fixture
def in_process_wsgi():
    """Requests through the WSGI handler in this test's transaction: the handler must not
    close the test's database connection after each request (Django's test client does the
    same)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


class Run:
    """Sends cases with one token, each in a savepoint rolled back afterwards (a failing
    request cannot spoil the next one), and collects failures (one per operation, scope set
    and kind) to report them together."""

    def __init__(self, scope_set: str, token: str, failures: dict):
        self.scope_set, self.failures, self.requests = scope_set, failures, 0
        self.headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}

    def send(self, case, *, raw: bytes | None = None, what: str = "", must_refuse=False):
        savepoint = transaction.savepoint()
        try:
            if raw is None:
                response = case.call(headers=self.headers)
            else:
                response = case.call(headers=self.headers, data=raw)
            self.requests += 1
            case.validate_response(response, checks=CHECKS, headers=self.headers)
            if must_refuse:
                refused = 400 <= response.status_code < 500
                problem = response.headers.get("content-type", [""])[0].startswith(PROBLEM)
                assert refused and problem, f"{what}: answered {response.status_code}"
        except (Exception, BaseExceptionGroup) as error:
            text = str(error).strip()
            label = case.operation.label
            key = (self.scope_set, label, what, text.split("\n")[0])
            self.failures.setdefault(key, f"[{self.scope_set}] {label} {what}: {text}"[:1500])
        finally:
            transaction.savepoint_rollback(savepoint)

    def generated(self, strategy):
        @hypothesis_settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy, depth=DEPTHS)
        def run(case, depth):
            deep = (
                depth and isinstance(case.body, dict | list) and "json" in (case.media_type or "")
            )
            self.send(case, raw=nested_text(case.body, depth) if deep else None, what="generated")

        run()


@pytest.mark.slow
@pytest.mark.django_db
def test_schemathesis_finds_no_server_error_for_any_operation_and_scope(
    world, settings, in_process_wsgi
):
    settings.POLKU_API_THROTTLE_RATES = {"client": "1000000/min", "bulk": "1000000/min"}
    known_ids, tokens = world
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", in_process_wsgi)
    # Each request carries a real token; schemathesis need not invent Authorization headers.
    schema.config.generation.update(with_security_parameters=False)
    add_hooks(schema, known_ids)
    document = schema.raw_schema
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    started, failures, requests = time.monotonic(), {}, 0

    for operation in operations:
        strategy = st.one_of(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        )
        explicit = list(troublesome_cases(operation, document, known_ids))
        for scope_set, token in tokens.items():
            run = Run(scope_set, token, failures)
            for what, case, raw in explicit:
                run.send(case, raw=raw, what=what, must_refuse=True)
            run.generated(strategy)
            requests += run.requests

    elapsed = time.monotonic() - started
    print(f"schemathesis: {requests} requests in {elapsed:.0f} s")
    assert not failures, f"{len(failures)} distinct failures:\n\n" + "\n\n".join(
        list(failures.values())[:15]
    )
    assert requests > len(operations) * len(tokens) * EXAMPLES
