"""Navigation for the web UI: which sections the signed-in user's roles open."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from . import authz
from .models import Role


def _link(name: str, label, *args) -> dict | None:
    try:
        return {"url": reverse(name, args=args), "label": label}
    except NoReverseMatch:  # a section whose app is not installed in this deployment
        return None


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    admin = authz.is_platform_admin(user)
    links = []
    if admin or authz.has_role(user, Role.RECRUITER):
        links += [
            _link("credentials:my_work", _("My work")),
            _link("recruitment:case_list", _("Cases")),
            _link("recruitment:case_create", _("New case")),
        ]
    elif authz.has_role(user, Role.EMPLOYMENT_OFFICER):
        links.append(_link("recruitment:case_list", _("Cases")))
    if authz.has_role(user, Role.EDUCATOR):
        links += [
            _link("credentials:enrollments", _("Enrollments")),
            _link("credentials:language_results", _("Language results")),
            _link("integration:csv_imports", _("CSV import")),
        ]
    if admin or authz.has_role(user, Role.ORG_ADMIN):
        links += [
            _link("recruitment:members", _("Members")),
            _link("integration:api_clients", _("API clients")),
            _link("integration:webhooks", _("Webhooks")),
        ]
    if admin or authz.has_role(user, Role.MINISTRY_ANALYST):
        links.append(_link("monitoring:dashboard", _("Statistics")))
    nav = []
    seen = set()
    for link in links:
        if link is not None and link["url"] not in seen:
            seen.add(link["url"])
            nav.append(link)
    # The current section is the longest link the path starts with (aria-current="page").
    matching = [link for link in nav if request.path.startswith(link["url"])]
    if matching:
        max(matching, key=lambda link: len(link["url"]))["current"] = True
    return {"nav_links": nav}
