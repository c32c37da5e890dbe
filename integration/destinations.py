"""Where Polku may send webhooks: the one destination policy (against server-side request
forgery), asked when a subscription is made or changed and again before every delivery.

A webhook URL is accepted only when

- its scheme is ``https`` (or ``http`` where ``POLKU_WEBHOOK_ALLOW_HTTP`` is on),
- it carries no user name or password,
- its port is the scheme's standard port (443, or 80 for ``http``),
- its host is a DNS name or an IP address in its usual spelling (no ``2130706433`` or
  ``0x7f.1``), and
- every address the host resolves to is a public internet address: no loopback, private,
  shared, link-local, multicast, reserved or unspecified address, in IPv4 or IPv6, also not
  one hidden in an IPv4-mapped, 6to4 or NAT64 IPv6 address.

DNS can change between the subscription and a delivery (DNS rebinding), so a delivery
resolves the host once more, checks every address and then connects to one of exactly those
addresses (``send``): there is no second lookup, the TLS certificate is verified for the
host name, and redirects are never followed.

``POLKU_WEBHOOK_ALLOW_LOOPBACK`` lets a developer receive webhooks on their own machine
(loopback addresses, any port). It has no effect in production.
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

DEFAULT_PORTS = {"https": 443, "http": 80}

_Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# RFC 6052: IPv4 addresses embedded in IPv6 by NAT64 gateways.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# RFC 6598 (carrier-grade NAT) is neither "private" nor global in every Python version.
_SHARED = ipaddress.IPv4Network("100.64.0.0/10")
# A label of a DNS name (underscores occur in real names, so they are allowed).
_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
# WHATWG URL: a host whose last label is a number is an IPv4 address, in any of the old
# spellings resolvers still accept (2130706433, 0x7f.1, 017700000001, 127.1).
_NUMERIC_LABEL = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")


class DestinationRefused(Exception):
    """A webhook URL Polku will not send to; ``message`` says why, for the partner."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Destination:
    """A checked webhook URL: connect only to ``addresses``, all vetted."""

    scheme: str
    host: str  # ASCII host name (IDNA) or IP address, without brackets
    port: int
    target: str  # path and query, as sent in the request line
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class Reply:
    status: int
    location: str


# --- Policy ----------------------------------------------------------------------------------


def loopback_allowed() -> bool:
    """Local testing only: never in production, whatever the variable says."""
    return bool(settings.POLKU_WEBHOOK_ALLOW_LOOPBACK) and not settings.PRODUCTION


def check_url(url: str) -> Destination:
    """The destination of a webhook URL, resolved now; ``DestinationRefused`` if Polku must
    not send to it. Every entry point (API, web form, admin, delivery) asks this."""
    scheme, host, port, target = _parse(url)
    literal = _ip_literal(host)
    if literal is not None:
        addresses = [literal]
    else:
        if (host == "localhost" or host.endswith(".localhost")) and not loopback_allowed():
            raise _refused_address(host, _("loopback address"))  # RFC 6761
        addresses = _resolve(host, port)
    for address in addresses:
        _check_address(address)
    if port != DEFAULT_PORTS[scheme] and not (
        loopback_allowed() and all(_unwrap(a).is_loopback for a in addresses)
    ):
        raise DestinationRefused(
            _("Only the standard port is allowed (https: 443, http: 80): leave it out of the URL."),
            code="port",
        )
    return Destination(
        scheme=scheme,
        host=host,
        port=port,
        target=target,
        addresses=tuple(str(a) for a in addresses),
    )


def _parse(url: str) -> tuple[str, str, int, str]:
    if not isinstance(url, str) or not url or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
        raise DestinationRefused(_("The URL is not valid."), code="invalid")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:  # a port that is not a number from 0 to 65535, bad brackets
        raise DestinationRefused(_("The URL is not valid."), code="invalid") from exc
    allowed = ("https", "http") if settings.POLKU_WEBHOOK_ALLOW_HTTP else ("https",)
    scheme = parts.scheme.lower()
    if scheme not in allowed or not parts.netloc:
        raise DestinationRefused(
            _("Give an https:// URL.")
            if len(allowed) == 1
            else _("Give an http:// or https:// URL."),
            code="scheme",
        )
    if "@" in parts.netloc:
        raise DestinationRefused(
            _("A webhook URL may not contain a user name or password."), code="userinfo"
        )
    host = _host(parts.hostname or "")
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    target = quote(target, safe="!#$%&'()*+,/:;=?@[]~")  # only non-ASCII and unsafe characters
    return scheme, host, port if port is not None else DEFAULT_PORTS[scheme], target


def _host(raw: str) -> str:
    """The host in ASCII, checked: an IP address in its usual spelling or a DNS name."""
    invalid = DestinationRefused(_("The host name is not valid."), code="invalid")
    if not raw or "%" in raw:  # IPv6 zone identifiers name local interfaces
        raise invalid
    if _ip_literal(raw) is not None:
        return raw
    try:
        host = raw.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise invalid from exc
    name = host[:-1] if host.endswith(".") else host  # the same name: used without the dot
    labels = name.split(".")
    if _NUMERIC_LABEL.match(labels[-1]):
        address = _legacy_ipv4(labels)
        if address is None:
            raise invalid
        _check_address(address)  # 0x7f.1 is refused as the loopback address it is
        raise DestinationRefused(
            _("Write the IP address in dotted decimal form (four numbers from 0 to 255)."),
            code="invalid",
        )
    if len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        raise invalid
    return name


def _ip_literal(host: str) -> _Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _legacy_ipv4(labels: list[str]) -> ipaddress.IPv4Address | None:
    """inet_aton's reading of a numeric host (WHATWG URL "IPv4 parser"), None if invalid."""
    if len(labels) > 4:
        return None
    numbers = []
    for label in labels:
        try:
            if label.startswith("0x"):
                numbers.append(int(label[2:] or "0", 16))
            elif len(label) > 1 and label.startswith("0"):
                numbers.append(int(label, 8))
            else:
                numbers.append(int(label, 10))
        except ValueError:
            return None
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        return None
    value = last
    for index, number in enumerate(head):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _resolve(host: str, port: int) -> list[_Address]:
    """Every address of the host, in the resolver's order (one lookup)."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:  # socket.gaierror is an OSError
        raise DestinationRefused(
            _("The host %(host)s could not be found (DNS): check the name.") % {"host": host},
            code="unresolvable",
        ) from exc
    addresses: list[_Address] = []
    for family, _type, _proto, _name, sockaddr in answers:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        address = _ip_literal(str(sockaddr[0]))
        if address is None:
            raise DestinationRefused(_("The host name is not valid."), code="invalid")
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise DestinationRefused(
            _("The host %(host)s could not be found (DNS): check the name.") % {"host": host},
            code="unresolvable",
        )
    return addresses


def _unwrap(address: _Address) -> _Address:
    """The IPv4 address inside an IPv4-mapped, 6to4 or NAT64 IPv6 address (else itself)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def _kind(address: _Address) -> str | None:
    """What makes an address unfit for webhooks (None: a public internet address)."""
    if address.is_unspecified:
        return _("unspecified address")
    if address.is_loopback:
        return None if loopback_allowed() else _("loopback address")
    if address.is_link_local:
        return _("link-local address")
    if address.is_multicast:
        return _("multicast address")
    if address.is_reserved:
        return _("reserved address")
    if (
        address.is_private
        or (isinstance(address, ipaddress.IPv4Address) and address in _SHARED)
        or (isinstance(address, ipaddress.IPv6Address) and address.is_site_local)
    ):
        return _("private network address")
    if not address.is_global:
        return _("non-public address")
    return None


def _check_address(address: _Address) -> None:
    inner = _unwrap(address)
    kind = _kind(inner)
    if kind is None and inner is not address and address.ipv4_mapped is None:
        kind = _kind(address)  # 6to4 and NAT64: the IPv6 address itself must be public too
    if kind is not None:
        shown = str(address) if inner is address else f"{address} = {inner}"
        raise _refused_address(shown, kind)


def _refused_address(address: str, kind: str) -> DestinationRefused:
    return DestinationRefused(
        _(
            "The URL points to %(address)s (%(kind)s): webhooks are delivered only to "
            "public internet addresses."
        )
        % {"address": address, "kind": kind},
        code="address",
    )


# --- Delivery --------------------------------------------------------------------------------


def tls_context() -> ssl.SSLContext:
    """Certificates verified against the system's trust store, for the URL's host name."""
    return ssl.create_default_context()


# A delivery's lease lasts three timeouts (services.deliveries._claim): connecting to two
# addresses and waiting for the answer fit in it.
MAX_ADDRESSES_TRIED = 2


def _connect(destination: Destination, timeout: float) -> socket.socket:
    """A TCP connection to one of the vetted addresses (in order), never to another."""
    error: OSError | None = None
    for address in destination.addresses[:MAX_ADDRESSES_TRIED]:
        try:
            return socket.create_connection((address, destination.port), timeout)
        except OSError as exc:
            error = exc
    raise error or OSError("no address")


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, destination: Destination, timeout: float):
        super().__init__(destination.host, destination.port, timeout=timeout)
        self.destination = destination

    def connect(self):
        self.sock = _connect(self.destination, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a vetted address, with SNI and certificate checks for the host name."""

    def __init__(self, destination: Destination, timeout: float):
        self.tls = tls_context()
        super().__init__(destination.host, destination.port, timeout=timeout, context=self.tls)
        self.destination = destination

    def connect(self):
        sock = _connect(self.destination, self.timeout)
        try:
            self.sock = self.tls.wrap_socket(sock, server_hostname=self.destination.host)
        except BaseException:
            sock.close()
            raise


def send(
    destination: Destination, *, body: bytes, headers: dict[str, str], timeout: float
) -> Reply:
    """POST ``body`` to the destination. Redirects are not followed: the reply is returned
    as it is. Raises ``OSError`` or ``http.client.HTTPException`` when no reply came."""
    connection_class = (
        _PinnedHTTPSConnection if destination.scheme == "https" else _PinnedHTTPConnection
    )
    connection = connection_class(destination, timeout)
    try:
        connection.request("POST", destination.target, body=body, headers=headers)
        response = connection.getresponse()
        return Reply(status=response.status, location=response.getheader("Location") or "")
    finally:
        connection.close()
