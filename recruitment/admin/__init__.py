"""Django admin for the core: platform admins (superusers) only, see ``admin_site``. Every
write goes through ``recruitment.services``; object rules come from ``recruitment.authz``.

One module per subject, named as the services: ``organisations`` (organisations and
memberships), ``reference`` (professions, countries), ``candidates``, ``cases`` (the case,
its transitions and audit trail) and ``placement`` (placements, retention checks); the
shared behaviour is in ``_base``. Importing the package registers every model admin.
"""

from ._base import CaseScopedAdmin, PolkuAdminMixin, ReadOnlyInline
from .candidates import CandidateAdmin
from .cases import CaseAdmin, CaseAdminForm, CaseEventAdmin, ReasonForm
from .organisations import MembershipAdmin, OrganisationAdmin
from .placement import PlacementAdmin, RetentionCheckAdmin
from .reference import CountryAdmin, ProfessionAdmin

__all__ = [
    "CandidateAdmin",
    "CaseAdmin",
    "CaseAdminForm",
    "CaseEventAdmin",
    "CaseScopedAdmin",
    "CountryAdmin",
    "MembershipAdmin",
    "OrganisationAdmin",
    "PlacementAdmin",
    "PolkuAdminMixin",
    "ProfessionAdmin",
    "ReadOnlyInline",
    "ReasonForm",
    "RetentionCheckAdmin",
]
