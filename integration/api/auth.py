"""Authentication, scopes and throttling of the partner API.

- ``Authorization: Bearer <token>``: an API client's token, looked up by its SHA-256 hash.
  Unknown, expired and revoked tokens get 401 problem+json saying which.
- Session authentication (with CSRF) for signed-in users, e.g. county recruiters.
- Every view names the scope each method needs; ``ScopePermission`` checks it.
- ``ClientRateThrottle`` limits each client (or user) on its own key in the default cache
  (Redis when ``CACHE_URL`` points there).
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions, permissions, throttling

from recruitment.errors import ScopeDenied

from .. import selectors, services
from ..principals import Principal


class ApiClientUser:
    """What ``request.user`` is for a token request: authenticated, but no Django user."""

    is_authenticated = True
    is_active = True
    is_anonymous = False
    is_superuser = False
    is_staff = False
    pk = None
    id = None

    def __init__(self, client) -> None:
        self.client = client
        self.username = f"api-client-{client.pk}"

    def __str__(self) -> str:
        return self.username

    def get_username(self) -> str:
        return self.username


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "bearer"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send the token as: Authorization: Bearer <token>."), code="invalid_token"
            )
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(
                _("The token contains invalid characters."), code="invalid_token"
            ) from exc
        client = selectors.client_for_token(raw)
        if client is None:
            raise exceptions.AuthenticationFailed(_("Unknown token."), code="invalid_token")
        if client.is_revoked:
            raise exceptions.AuthenticationFailed(
                _("This token was revoked. Ask your organisation admin for a new one."),
                code="token_revoked",
            )
        if client.is_expired:
            raise exceptions.AuthenticationFailed(
                _("This token expired. Ask your organisation admin for a new one."),
                code="token_expired",
            )
        services.touch_api_client(client=client)
        return ApiClientUser(client), Principal.for_client(client)

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="polku"'


class SessionAuthentication(authentication.SessionAuthentication):
    """Signed-in users (e.g. county recruiters in the browser); CSRF-checked writes."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, _auth = result
        return user, Principal.for_user(user)


def principal_of(request) -> Principal:
    auth = request.auth
    if isinstance(auth, Principal):
        return auth
    raise exceptions.NotAuthenticated()


class ScopePermission(permissions.BasePermission):
    """The view's ``required_scopes`` maps an action (or method) to the scope it needs."""

    def has_permission(self, request, view) -> bool:
        if not isinstance(request.auth, Principal):
            raise exceptions.NotAuthenticated()
        scope = view.required_scope(request)
        if scope and not request.auth.has_scope(scope):
            raise ScopeDenied(
                _("This needs the %(scope)s scope, which your token or role does not have.")
                % {"scope": scope},
                details={"required_scope": scope},
            )
        return True


class ClientRateThrottle(throttling.SimpleRateThrottle):
    """Requests per client (token) or per user (session), counted in the default cache."""

    scope = "client"

    def get_rate(self):
        return settings.POLKU_API_THROTTLE_RATES[self.scope]

    def get_cache_key(self, request, view):
        principal = request.auth if isinstance(request.auth, Principal) else None
        ident = principal.key if principal else f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class BulkRateThrottle(ClientRateThrottle):
    """Bulk endpoints and CSV uploads count separately (and lower)."""

    scope = "bulk"

    def allow_request(self, request, view):
        if not getattr(view, "is_bulk", False) or request.method == "GET":
            return True
        return super().allow_request(request, view)
