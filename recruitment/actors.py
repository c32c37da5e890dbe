"""Who did something: a user, an API client (of some organisation) or the system itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from .models import Organisation


@dataclass(frozen=True)
class Actor:
    kind: str  # an ActorKind value
    label: str
    user: AbstractBaseUser | None = None
    organisation: Organisation | None = None
    api_client_id: int | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def for_user(cls, user: AbstractBaseUser) -> Actor:
        return cls(kind="user", label=user.get_username(), user=user)

    @classmethod
    def for_api_client(
        cls, *, client_id: int, label: str, organisation: Organisation, scopes=(), user=None
    ) -> Actor:
        return cls(
            kind="api_client",
            label=label,
            api_client_id=client_id,
            organisation=organisation,
            scopes=frozenset(scopes),
            user=user,
        )

    @classmethod
    def system(cls, label: str = "Polku") -> Actor:
        return cls(kind="system", label=label)

    @property
    def is_system(self) -> bool:
        return self.kind == "system"
