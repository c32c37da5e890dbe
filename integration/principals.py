"""Who is calling the partner API: an API client (bearer token) or a signed-in user (session).

Both are turned into one ``Principal`` so that selectors, serializers and permissions ask
the same questions: which scopes, which counties / institutions / employment services, and
which ``Actor`` writes on their behalf. Authorisation rules themselves stay in
``recruitment.authz``; this module only gathers the inputs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from recruitment import authz
from recruitment.actors import Actor
from recruitment.authz import CaseVisibility
from recruitment.models import Case, Organisation, OrganisationKind, Role

from .models import SCOPES, ApiClient

# Scopes a signed-in user gets from their roles (webhooks are for API clients only).
ROLE_SCOPES: dict[str, set[str]] = {
    Role.RECRUITER: {"cases:read", "cases:write", "training:read", "permits:read"},
    Role.EDUCATOR: {"cases:read", "training:read", "training:write"},
    Role.EMPLOYMENT_OFFICER: {"cases:read", "permits:read", "permits:write"},
}

# The scope a token needs to read each track: the API's field minimisation on top of what its
# organisation may see (recruitment.authz.case_visibility). Recognition is part of the case.
TRACK_READ_SCOPES: dict[str, str] = {
    authz.RECOGNITION: "cases:read",
    authz.TRAINING: "training:read",
    authz.LANGUAGE: "training:read",
    authz.PERMIT: "permits:read",
    authz.INTEGRATION: "permits:read",
}


def readable_tracks(scopes: Iterable[str]) -> frozenset[str]:
    """The tracks a token with ``scopes`` may read (where its organisation sees them)."""
    scopes = set(scopes)
    return frozenset(track for track, scope in TRACK_READ_SCOPES.items() if scope in scopes)


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

    def visibility(self, case: Case) -> CaseVisibility:
        """What this caller sees of ``case``: the one rule, narrowed by the token's scopes."""
        return authz.case_visibility(self.actor, case, within=readable_tracks(self.scopes))

    def visibilities(
        self, cases: Iterable[tuple[int, int]], *, partners=None
    ) -> dict[int, CaseVisibility]:
        """``visibility`` for many (case id, county id) pairs: one query at most (none with
        the cases' ``partners`` from ``recruitment.authz.case_partners``)."""
        return authz.case_visibilities(
            self.actor, cases, within=readable_tracks(self.scopes), partners=partners
        )

    def partner_ids_by_kind(self) -> dict[str, set[int]]:
        return {
            OrganisationKind.EDUCATIONAL_INSTITUTION: set(self.institution_ids),
            OrganisationKind.EMPLOYMENT_SERVICE: set(self.employment_ids),
        }
