"""Authentication, scopes and throttling of the partner API.

- ``Authorization: Bearer <token>``: an API client's token, looked up by its SHA-256 hash.
  Unknown, expired and revoked tokens get 401 problem+json saying which.
- Session authentication (with CSRF) for signed-in users, e.g. county recruiters.
- Every view names the scope each method needs; ``ScopePermission`` checks it.
- ``ClientRateThrottle`` limits each client (or user) with atomic counters in the shared
  default cache (Redis or Memcached in production, ``CACHE_URL``).
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
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


class ClientRateThrottle(throttling.BaseThrottle):
    """Requests per client (token) or per user (session): at most N in any period (e.g. 1,200
    in any 60 seconds), counted in the shared default cache so the limit holds across every
    gunicorn worker and host (production requires Redis or Memcached, config/settings.py).

    The period is cut into ``SLOTS`` slots; each slot has a counter in the cache, raised with
    the cache's atomic ``incr``. A request counts itself first, then adds up the counters of
    the current slot and the ``SLOTS`` before it (at least one whole period): over the limit,
    it takes its count back and is refused. Since every admitted request counts itself before
    it looks, two concurrent requests can never both take the last place (the old version
    read a history list, appended and wrote it back: parallel requests overwrote each other).
    """

    scope = "client"
    SLOTS = 6
    key_prefix = "polku:throttle"

    def rate(self) -> tuple[int, int]:
        number, period = settings.POLKU_API_THROTTLE_RATES[self.scope].split("/")
        return int(number), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]

    def ident(self, request) -> str:
        principal = request.auth if isinstance(request.auth, Principal) else None
        return principal.key if principal else f"ip:{self.get_ident(request)}"

    def allow_request(self, request, view):
        limit, period = self.rate()
        width = period / self.SLOTS
        now = time.time()
        current = int(now // width)
        base = f"{self.key_prefix}:{self.scope}:{self.ident(request)}"
        keys = [f"{base}:{slot}" for slot in range(current - self.SLOTS, current + 1)]
        self._count(keys[-1], timeout=int(period + 2 * width) + 1)
        counts = cache.get_many(keys)
        total = sum(counts.values())
        if total <= limit:
            return True
        cache.decr(keys[-1])  # a refused request does not count
        # Wait until enough of the oldest slots have left the window for one more request:
        # the oldest leaves when the current slot ends, the next one a slot later, and so on.
        dropped, excess, self._wait = 0, total - limit, current * width - now
        for key in keys[:-1]:
            if dropped >= excess:
                break
            dropped += counts.get(key, 0)
            self._wait += width
        return False

    @staticmethod
    def _count(key: str, *, timeout: int) -> int:
        try:
            return cache.incr(key)
        except ValueError:  # first request of the slot
            if cache.add(key, 1, timeout):
                return 1
            return cache.incr(key)

    def wait(self):
        return getattr(self, "_wait", None)


class BulkRateThrottle(ClientRateThrottle):
    """Bulk endpoints and CSV uploads count separately (and lower)."""

    scope = "bulk"

    def allow_request(self, request, view):
        if not getattr(view, "is_bulk", False) or request.method == "GET":
            return True
        return super().allow_request(request, view)
