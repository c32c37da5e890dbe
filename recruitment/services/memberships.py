"""Who has which role in an organisation (organisation admins and platform admins)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import authz
from ..actors import Actor
from ..errors import NotPermitted
from ..models import Membership, Organisation, Role


@transaction.atomic
def add_membership(*, actor: Actor, organisation: Organisation, user, role: str) -> Membership:
    """Give a user a role in an organisation (organisation admins and platform admins)."""
    if actor.user is None or not authz.can_manage_memberships(actor.user, organisation):
        raise NotPermitted(_("You may only manage the members of your own organisation."))
    if Membership.objects.filter(user=user, organisation=organisation, role=role).exists():
        raise ValidationError({"role": _("This user already has that role here.")})
    membership = Membership(user=user, organisation=organisation, role=role)
    membership.full_clean()
    membership.save()
    authz.forget_roles(user)
    return membership


@transaction.atomic
def remove_membership(*, actor: Actor, membership: Membership) -> None:
    """Take a role away. An admin cannot remove their own admin role (no lock-out)."""
    membership = (
        Membership.objects.select_for_update().select_related("organisation").get(pk=membership.pk)
    )
    if actor.user is None or not authz.can_manage_memberships(actor.user, membership.organisation):
        raise NotPermitted(_("You may only manage the members of your own organisation."))
    if (
        membership.user_id == actor.user.pk
        and membership.role == Role.ORG_ADMIN
        and not authz.is_platform_admin(actor.user)
    ):
        raise ValidationError(_("You cannot remove your own organisation admin role."))
    membership.delete()
    authz.forget_roles(membership.user)
