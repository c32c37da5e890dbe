"""Who is calling the partner API: an API client (bearer token) or a signed-in user (session).

Both are turned into one ``Principal`` so that selectors, serializers and permissions ask
the same questions: which scopes, which counties / institutions / employment services, and
which ``Actor`` writes on their behalf. Authorisation rules themselves stay in
``recruitment.authz``; this module only gathers the inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from recruitment import authz
from recruitment.actors import Actor
from recruitment.models import Organisation, OrganisationKind, Role

from .models import SCOPES, ApiClient

# Scopes a signed-in user gets from their roles (webhooks are for API clients only).
ROLE_SCOPES: dict[str, set[str]] = {
    Role.RECRUITER: {"cases:read", "cases:write", "training:read", "permits:read"},
    Role.EDUCATOR: {"cases:read", "training:read", "training:write"},
    Role.EMPLOYMENT_OFFICER: {"cases:read", "permits:read", "permits:write"},
}


@dataclass(frozen=True)
class Principal:
    key: str  # "client:<id>" or "user:<id>": what idempotency keys and throttles are scoped to
    scopes: frozenset[str]
    actor: Actor
    client: ApiClient | None = None
    user: object | None = None
    is_platform_admin: bool = False
    county_ids: frozenset[int] = field(default_factory=frozenset)
    institution_ids: frozenset[int] = field(default_factory=frozenset)
    employment_ids: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def for_client(cls, client: ApiClient) -> Principal:
        org: Organisation = client.organisation
        ids = frozenset({org.pk})
        return cls(
            key=f"client:{client.pk}",
            scopes=frozenset(client.scopes),
            actor=Actor.for_api_client(
                client_id=client.pk,
                label=f"API client {client.name} ({org.code})"[:200],
                organisation=org,
                scopes=client.scopes,
            ),
            client=client,
            county_ids=ids if org.kind == OrganisationKind.COUNTY else frozenset(),
            institution_ids=ids
            if org.kind == OrganisationKind.EDUCATIONAL_INSTITUTION
            else frozenset(),
            employment_ids=ids if org.kind == OrganisationKind.EMPLOYMENT_SERVICE else frozenset(),
        )

    @classmethod
    def for_user(cls, user) -> Principal:
        if authz.is_platform_admin(user):
            scopes = set(SCOPES) - {"webhooks:manage"}
        else:
            scopes = set()
            for role, role_scopes in ROLE_SCOPES.items():
                if authz.organisation_ids(user, role):
                    scopes |= role_scopes
        return cls(
            key=f"user:{user.pk}",
            scopes=frozenset(scopes),
            actor=Actor.for_user(user),
            user=user,
            is_platform_admin=authz.is_platform_admin(user),
            county_ids=frozenset(authz.organisation_ids(user, Role.RECRUITER)),
            institution_ids=frozenset(authz.organisation_ids(user, Role.EDUCATOR)),
            employment_ids=frozenset(authz.organisation_ids(user, Role.EMPLOYMENT_OFFICER)),
        )

    @property
    def client_id(self) -> int | None:
        return self.client.pk if self.client else None

    @property
    def organisation(self) -> Organisation | None:
        return self.client.organisation if self.client else None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def partner_ids(self) -> frozenset[int]:
        return self.institution_ids | self.employment_ids

    def sees_contact_details(self, county_id: int) -> bool:
        """Contact details and birth date: the case's own county only."""
        return self.is_platform_admin or county_id in self.county_ids

    def sees_permits(self, county_id: int) -> bool:
        """Permit data: the county, or an employment service with permits:read."""
        if not self.has_scope("permits:read"):
            return False
        return self.is_platform_admin or county_id in self.county_ids or bool(self.employment_ids)
