"""Tokens: shown once, stored hashed, scoped, expiring, revocable, last use recorded; the
organisation admin manages them."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from integration import services
from integration.models import ApiClient
from recruitment.actors import Actor
from recruitment.errors import NotPermitted
from recruitment.models import Role
from tests import factories

from .conftest import EDUCATOR_SCOPES, http, make_token

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def test_the_token_is_stored_only_as_its_hash_and_works_once_created(institution):
    client, token = make_token(institution, EDUCATOR_SCOPES)
    stored = ApiClient.objects.get(pk=client.pk)
    assert token.startswith("polku_") and len(token) > 40
    assert token not in (stored.token_hash, stored.token_prefix)
    assert stored.token_prefix == token[:12]
    assert http(token).get("/api/v1/enrollments/").status_code == 200


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "not_authenticated"),
        ("Bearer polku_not-a-real-token", "invalid_token"),
        ("Bearer", "invalid_token"),
        ("Bearer two parts", "invalid_token"),
    ],
)
def test_requests_without_a_valid_token_get_401_problem(header, code):
    api = http()
    if header:
        api.credentials(HTTP_AUTHORIZATION=header)
    response = api.get("/api/v1/cases/")
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == code
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_expired_and_revoked_tokens_get_401_saying_which(institution):
    expired, expired_token = make_token(institution, EDUCATOR_SCOPES, name="old")
    ApiClient.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    revoked, revoked_token = make_token(institution, EDUCATOR_SCOPES, name="gone")
    services.revoke_api_client(client=revoked, actor=Actor.system())

    response = http(expired_token).get("/api/v1/enrollments/")
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"
    response = http(revoked_token).get("/api/v1/enrollments/")
    assert response.status_code == 401
    assert response.json()["code"] == "token_revoked"
    assert "revoked" in response.json()["detail"]


def test_last_use_is_recorded(institution):
    client, token = make_token(institution, EDUCATOR_SCOPES)
    assert client.last_used_at is None
    http(token).get("/api/v1/enrollments/")
    client.refresh_from_db()
    assert client.last_used_at is not None


def test_a_missing_scope_gets_403_naming_it(institution):
    _client, token = make_token(institution, ["cases:read"])
    response = http(token).get("/api/v1/enrollments/")
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "scope_denied"
    assert "training:read" in body["detail"]


def test_an_organisation_admin_creates_and_revokes_clients_of_its_own_organisation_only(
    institution, other_institution
):
    admin = factories.user_with_role(Role.ORG_ADMIN, institution)
    actor = Actor.for_user(admin)
    expires = timezone.now() + dt.timedelta(days=90)
    client, token = services.create_api_client(
        organisation=institution,
        name="SIS",
        scopes=["training:read"],
        expires_at=expires,
        actor=actor,
    )
    assert client.created_by == admin
    with pytest.raises(NotPermitted):
        services.create_api_client(
            organisation=other_institution,
            name="SIS",
            scopes=["training:read"],
            expires_at=expires,
            actor=actor,
        )
    services.revoke_api_client(client=client, actor=actor)
    assert http(token).get("/api/v1/enrollments/").status_code == 401


@pytest.mark.parametrize(
    ("scopes", "expires_in_days", "field"),
    [
        (["permits:read"], 30, "scopes"),  # an institution never sees permits
        (["cases:write"], 30, "scopes"),  # only counties change cases
        (["no:such-scope"], 30, "scopes"),
        ([], 30, "scopes"),
        (["training:read"], -1, "expires_at"),
        (["training:read"], 3 * 365, "expires_at"),
    ],
)
def test_scopes_must_fit_the_organisation_and_tokens_must_expire(
    institution, scopes, expires_in_days, field
):
    with pytest.raises(ValidationError) as exc:
        services.create_api_client(
            organisation=institution,
            name="SIS",
            scopes=scopes,
            expires_at=timezone.now() + dt.timedelta(days=expires_in_days),
            actor=Actor.system(),
        )
    assert field in exc.value.message_dict
