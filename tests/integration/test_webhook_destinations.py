"""Webhooks never reach internal addresses (SSRF): the destination policy of
``integration.destinations`` refuses them when a subscription is made (API, web form, admin)
and again before every delivery, where the checked address is the one connected to."""

import datetime as dt
import ipaddress
import json
import shutil
import socket
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.urls import reverse
from django.utils import timezone
from werkzeug import Response

from integration import destinations, services
from integration.models import WebhookDelivery, WebhookSubscription
from recruitment import services as case_services
from recruitment.models import Role
from tests import factories

from .conftest import SYSTEM, http

pytestmark = pytest.mark.django_db

PUBLIC_V4 = "93.184.215.14"
PUBLIC_V6 = "2606:2800:21f:cb07:6820:80da:af6b:8b2c"

# (URL, what the refusal says). Each one answered 201 before the fix.
REFUSED_URLS = [
    ("https://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://127.0.0.1:5432/", "loopback"),
    ("https://127.0.0.1/", "loopback"),
    ("https://127.8.9.10/", "loopback"),
    ("http://[::1]:6379/", "loopback"),
    ("https://[::1]/", "loopback"),
    ("https://10.0.0.1/", "private"),
    ("https://172.16.0.1/", "private"),
    ("https://192.168.1.1/", "private"),
    ("https://100.64.0.1/", "private"),  # shared address space (carrier-grade NAT)
    ("https://192.0.2.10/", "private"),  # documentation range
    ("https://localhost/", "loopback"),
    ("https://LOCALHOST./", "loopback"),
    ("https://api.localhost/", "loopback"),
    ("http://0.0.0.0:22/", "unspecified"),
    ("https://0.0.0.0/", "unspecified"),
    ("https://[::]/", "unspecified"),
    ("https://224.0.0.1/", "multicast"),
    ("https://[ff02::1]/", "multicast"),
    ("https://240.0.0.1/", "reserved"),
    ("https://255.255.255.255/", "reserved"),
    ("https://[fe80::1]/", "link-local"),
    ("https://[fc00::1]/", "private"),
    ("https://[fd12:3456::1]/", "private"),
    ("https://[fec0::1]/", "private"),  # site-local (deprecated)
    ("https://[::ffff:127.0.0.1]/", "loopback"),  # IPv4-mapped IPv6
    ("https://[::ffff:a9fe:a9fe]/", "link-local"),  # ::ffff:169.254.169.254
    ("https://[::ffff:10.0.0.1]/", "private"),
    ("https://[64:ff9b::7f00:1]/", "loopback"),  # NAT64 of 127.0.0.1
    ("https://[64:ff9b::a9fe:a9fe]/", "link-local"),  # NAT64 of 169.254.169.254
    ("https://[2002:7f00:1::1]/", "loopback"),  # 6to4 of 127.0.0.1
    ("https://[2002:a00:1::1]/", "private"),  # 6to4 of 10.0.0.1
    ("https://[::127.0.0.1]/", "reserved"),  # IPv4-compatible (deprecated)
    ("https://2130706433/", "loopback"),  # 127.0.0.1 as one decimal number
    ("https://0x7f.1/", "loopback"),
    ("https://0x7f000001/", "loopback"),
    ("https://017700000001/", "loopback"),  # octal
    ("https://0177.0.0.1/", "loopback"),
    ("https://127.1/", "loopback"),
    ("https://127.000.000.001/", "loopback"),
    ("https://2852039166/", "link-local"),  # 169.254.169.254
    ("https://0xa9.0xfe.0xa9.0xfe/", "link-local"),
    ("https://1572395022/", "dotted decimal"),  # a public address, spelt as a number
    ("https://256.1.1.1/", "not valid"),
    ("https://\uff11\uff12\uff17.0.0.1/", "loopback"),  # full-width digits
    ("https://127\u30020\u30020\u30021/", "loopback"),  # ideographic full stops
    ("https://%31%32%37.0.0.1/", "not valid"),
    ("https://hooks.partner.example\\@127.0.0.1/", "user name or password"),
    ("https://user:secret@hooks.partner.example/", "user name or password"),
    ("https://hooks.partner.example@127.0.0.1/", "user name or password"),
    ("https://hooks.partner.example:8443/", "standard port"),
    ("https://hooks.partner.example:80/", "standard port"),
    ("https://hooks.partner.example:22/", "standard port"),
    ("http://hooks.partner.example:443/", "standard port"),
    ("https://hooks.partner.example:0/", "standard port"),
    ("https://hooks.partner.example:99999/", "not valid"),
    ("ftp://hooks.partner.example/x", "http:// or https://"),
    ("file:///etc/passwd", "http:// or https://"),
    ("gopher://hooks.partner.example/", "http:// or https://"),
    # Host names that resolve to internal addresses (the DNS answers are set up below).
    ("https://metadata.partner.example/latest/", "link-local"),
    ("https://db.partner.example/", "loopback"),
    ("https://six.partner.example/", "loopback"),
    ("https://intranet.partner.example/", "private"),
    ("https://mixed.partner.example/", "private"),  # one public, one private address
    ("https://mapped.partner.example/", "loopback"),
    ("https://zero.partner.example/", "unspecified"),
    ("https://nat64.partner.example/", "loopback"),
    ("https://nowhere.partner.example/", "could not be found"),
]

INTERNAL_NAMES = {
    "metadata.partner.example": ("169.254.169.254",),
    "db.partner.example": ("127.0.0.1",),
    "six.partner.example": ("::1",),
    "intranet.partner.example": ("10.0.0.1",),
    "mixed.partner.example": (PUBLIC_V4, "10.1.2.3"),
    "mapped.partner.example": ("::ffff:127.0.0.1",),
    "zero.partner.example": ("0.0.0.0",),
    "nat64.partner.example": ("64:ff9b::7f00:1",),
    "nowhere.partner.example": (),
}

# Internal addresses a public name can turn into after the subscription (DNS rebinding).
REBOUND_ADDRESSES = [
    "127.0.0.1",
    "::1",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.0.1",
    "169.254.169.254",
    "0.0.0.0",
    "::",
    "::ffff:127.0.0.1",
    "fe80::1",
    "fd00::1",
    "224.0.0.1",
    "100.64.0.1",
    "64:ff9b::7f00:1",
]


@pytest.fixture
def internal_dns(dns):
    for name, addresses in INTERNAL_NAMES.items():
        dns.add(name, *addresses)
    return dns


@pytest.fixture
def no_connections(monkeypatch):
    """Every connection Polku tries to open, refused and recorded."""
    attempts = []

    def refuse(address, *args, **kwargs):
        attempts.append(address)
        raise ConnectionRefusedError("test: no connection may be made")

    monkeypatch.setattr(destinations.socket, "create_connection", refuse)
    return attempts


def transition(case):
    return case_services.transition_case(
        case=case, name="hold", actor=SYSTEM, expected_version=case.version, reason="x"
    )


# --- At subscription -------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "reason"), REFUSED_URLS)
def test_the_api_refuses_internal_destinations(internal_dns, county_token, url, reason, settings):
    settings.POLKU_WEBHOOK_ALLOW_HTTP = True
    settings.POLKU_WEBHOOK_ALLOW_LOOPBACK = False
    response = http(county_token).post("/api/v1/webhooks/", {"url": url}, format="json")
    assert response.status_code == 400, response.json()
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["errors"]) == ["url"]
    assert reason in body["errors"]["url"][0]
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize(("url", "reason"), REFUSED_URLS)
def test_changing_the_url_to_an_internal_destination_is_refused(
    internal_dns, county_token, url, reason
):
    api = http(county_token)
    created = api.post(
        "/api/v1/webhooks/", {"url": "https://hooks.partner.example/"}, format="json"
    ).json()
    path = f"/api/v1/webhooks/{created['id']}/"
    response = api.patch(path, {"url": url}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 400
    assert reason in response.json()["errors"]["url"][0]
    subscription = WebhookSubscription.objects.get()
    assert (subscription.url, subscription.version) == ("https://hooks.partner.example/", 1)


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.partner.example/polku?token=1",
        "https://hooks.partner.example:443/",
        "https://HOOKS.Partner.Example./x",
        f"https://{PUBLIC_V4}/hook",
        f"https://[{PUBLIC_V6}]/hook",
        "https://six-public.partner.example/",
        "http://hooks.partner.example/",
        "http://hooks.partner.example:80/",
    ],
)
def test_public_destinations_are_accepted(dns, county_token, url):
    dns.add("six-public.partner.example", PUBLIC_V6, PUBLIC_V4)
    response = http(county_token).post("/api/v1/webhooks/", {"url": url}, format="json")
    assert response.status_code == 201, response.json()


def test_plain_http_needs_the_setting(county_token, settings):
    settings.POLKU_WEBHOOK_ALLOW_HTTP = False
    response = http(county_token).post(
        "/api/v1/webhooks/", {"url": "http://hooks.partner.example/"}, format="json"
    )
    assert response.status_code == 400
    assert "https://" in response.json()["errors"]["url"][0]


def test_loopback_receivers_need_the_development_setting(county_token, settings):
    api = http(county_token)
    url = "http://127.0.0.1:8099/"
    settings.POLKU_WEBHOOK_ALLOW_LOOPBACK = False
    assert api.post("/api/v1/webhooks/", {"url": url}, format="json").status_code == 400
    settings.POLKU_WEBHOOK_ALLOW_LOOPBACK = True
    assert api.post("/api/v1/webhooks/", {"url": url}, format="json").status_code == 201
    assert (
        api.post("/api/v1/webhooks/", {"url": "http://localhost:8099/"}, format="json").status_code
        == 201
    )
    # Only loopback: every other internal address stays refused.
    for other in ("http://10.0.0.1:8099/", "https://169.254.169.254/", "http://0.0.0.0:8099/"):
        assert api.post("/api/v1/webhooks/", {"url": other}, format="json").status_code == 400
    # A production deployment ignores the setting (and refuses to start with it).
    settings.PRODUCTION = True
    assert api.post("/api/v1/webhooks/", {"url": url}, format="json").status_code == 400


def test_production_settings_refuse_the_loopback_setting():
    import os
    import sys
    from pathlib import Path

    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "polku.example",
        "DATABASE_URL": "postgres://polku@127.0.0.1:5432/polku",  # valid for production; unused
        "POLKU_WEBHOOK_ALLOW_LOOPBACK": "true",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "POLKU_WEBHOOK_ALLOW_LOOPBACK" in result.stderr


def test_the_web_form_refuses_internal_destinations(client, pirkanmaa, internal_dns):
    admin = factories.user_with_role(Role.ORG_ADMIN, pirkanmaa, username="admin.pirkanmaa")
    api_client, _token = services.create_api_client(
        organisation=pirkanmaa,
        name="HR system",
        scopes=["cases:read", "webhooks:manage"],
        expires_at=timezone.now() + dt.timedelta(days=30),
        actor=SYSTEM,
    )
    client.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
    form = {"client": api_client.pk, "event_types": ["case.transitioned"]}
    for url, reason in [
        ("https://169.254.169.254/latest/meta-data/", "link-local"),
        ("https://db.partner.example/", "loopback"),
        ("https://hooks.partner.example:8443/", "standard port"),
    ]:
        response = client.post(
            reverse("integration:webhooks"), {**form, "url": url}, HTTP_ACCEPT_LANGUAGE="en"
        )
        assert response.status_code == 200
        assert reason in " ".join(response.context["form"].errors["url"])
    assert not WebhookSubscription.objects.exists()
    response = client.post(
        reverse("integration:webhooks"), {**form, "url": "https://hooks.partner.example/"}
    )
    assert response.status_code == 302
    assert WebhookSubscription.objects.get().url == "https://hooks.partner.example/"


def test_the_admin_refuses_internal_destinations(admin_client, pirkanmaa, internal_dns):
    api_client, _token = services.create_api_client(
        organisation=pirkanmaa,
        name="HR system",
        scopes=["cases:read", "webhooks:manage"],
        expires_at=timezone.now() + dt.timedelta(days=30),
        actor=SYSTEM,
    )
    subscription = services.create_subscription(
        client=api_client, url="https://hooks.partner.example/", event_types=[]
    )
    path = f"/admin/integration/webhooksubscription/{subscription.pk}/change/"
    form = {"event_types": "[]", "active": "on"}
    for url, reason in [
        ("https://10.0.0.1/", "private"),
        ("https://metadata.partner.example/", "link-local"),
        ("http://[::1]:6379/", "loopback"),
    ]:
        response = admin_client.post(path, {**form, "url": url}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        assert reason in response.content.decode()
    subscription.refresh_from_db()
    assert (subscription.url, subscription.version) == ("https://hooks.partner.example/", 1)

    # Saving without a change keeps the version; a real change goes through the service.
    admin_client.post(path, {**form, "url": "https://hooks.partner.example/"})
    subscription.refresh_from_db()
    assert subscription.version == 1
    response = admin_client.post(path, {**form, "url": "https://other.partner.example/"})
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert (subscription.url, subscription.version) == ("https://other.partner.example/", 2)


# --- At delivery -----------------------------------------------------------------------------


@pytest.mark.parametrize("address", REBOUND_ADDRESSES)
def test_dns_rebinding_is_refused_at_delivery_without_a_connection(
    dns, case_at, county_token, no_connections, address
):
    dns.add("rebind.partner.example", PUBLIC_V4)
    response = http(county_token).post(
        "/api/v1/webhooks/", {"url": "https://rebind.partner.example/hook"}, format="json"
    )
    assert response.status_code == 201
    dns.add("rebind.partner.example", address)  # the partner's DNS now answers internally
    transition(case_at)
    services.deliver_due_webhooks()
    assert no_connections == []
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, None)
    assert delivery.last_error.startswith("Destination refused, nothing sent:")
    shown = ipaddress.ip_address(address)
    assert str(getattr(shown, "ipv4_mapped", None) or shown) in delivery.last_error


@pytest.mark.parametrize(("url", "reason"), REFUSED_URLS)
def test_stored_internal_destinations_are_refused_at_delivery(
    internal_dns, case_at, pirkanmaa, no_connections, settings, url, reason
):
    """Subscriptions written before the policy (or past it) are checked again anyway."""
    settings.POLKU_WEBHOOK_ALLOW_HTTP = True
    client, _token = services.create_api_client(
        organisation=pirkanmaa,
        name="Legacy",
        scopes=["cases:read", "webhooks:manage"],
        expires_at=timezone.now() + dt.timedelta(days=30),
        actor=SYSTEM,
    )
    WebhookSubscription.objects.create(client=client, url=url, secret="whsec_x")
    transition(case_at)
    services.deliver_due_webhooks()
    assert no_connections == []
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert reason in delivery.last_error


def test_the_reason_is_shown_in_the_admin(admin_client, dns, case_at, county_token, no_connections):
    dns.add("rebind.partner.example", PUBLIC_V4)
    http(county_token).post(
        "/api/v1/webhooks/", {"url": "https://rebind.partner.example/"}, format="json"
    )
    dns.add("rebind.partner.example", "169.254.169.254")
    transition(case_at)
    services.deliver_due_webhooks()
    page = admin_client.get("/admin/integration/webhookdelivery/").content.decode()
    assert "Destination refused, nothing sent" in page and "169.254.169.254" in page


def test_a_redirect_is_a_failed_attempt_and_not_followed(
    httpserver, loopback_receivers, case_at, county_token
):
    http(county_token).post(
        "/api/v1/webhooks/", {"url": httpserver.url_for("/hook")}, format="json"
    )
    httpserver.expect_request("/hook", method="POST").respond_with_response(
        Response("", status=307, headers={"Location": "http://169.254.169.254/latest/"})
    )
    httpserver.expect_request("/elsewhere").respond_with_data("never")
    transition(case_at)
    services.deliver_due_webhooks()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 307)
    assert delivery.last_error == (
        "HTTP 307: redirect not followed (Location: http://169.254.169.254/latest/)"
    )
    assert [request.path for request, _response in httpserver.log] == ["/hook"]


def test_a_failing_address_falls_back_only_to_other_checked_addresses(
    dns, case_at, county_token, no_connections
):
    dns.add("two.partner.example", PUBLIC_V6, PUBLIC_V4, "93.184.215.15")
    http(county_token).post(
        "/api/v1/webhooks/", {"url": "https://two.partner.example/"}, format="json"
    )
    transition(case_at)
    services.deliver_due_webhooks()
    # The first two checked addresses (the delivery's lease fits two tries), nothing else.
    assert no_connections == [(PUBLIC_V6, 443), (PUBLIC_V4, 443)]
    delivery = WebhookDelivery.objects.get()
    assert delivery.last_error.startswith("ConnectionRefusedError")


# --- Connecting to the checked address, with TLS for the host name --------------------------


@pytest.fixture(scope="session")
def certificate(tmp_path_factory):
    """A self-signed certificate for hooks.partner.example (made with the openssl tool)."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=hooks.partner.example",
            "-addext",
            "subjectAltName=DNS:hooks.partner.example",
            "-keyout",
            str(folder / "key.pem"),
            "-out",
            str(folder / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    return folder / "cert.pem", folder / "key.pem"


@pytest.fixture
def tls_receiver(certificate, monkeypatch):
    """An HTTPS receiver on 127.0.0.1 standing in for the partner's public server: Polku's
    connection to the checked public address is handed to it, and Polku trusts its
    certificate. Records each request and the name the client asked for (SNI)."""
    cert, key = certificate
    seen = {"requests": [], "sni": [], "connected_to": []}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen["requests"].append((self.path, dict(self.headers), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    server_context.sni_callback = lambda sock, name, context: seen["sni"].append(name)
    server = HTTPServer(("127.0.0.1", 0), Handler)
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    real_connect = socket.create_connection

    def connect(address, timeout=None, *args, **kwargs):
        seen["connected_to"].append((address, timeout))
        return real_connect(("127.0.0.1", server.server_port), timeout)

    monkeypatch.setattr(destinations.socket, "create_connection", connect)
    monkeypatch.setattr(
        destinations, "tls_context", lambda: ssl.create_default_context(cafile=str(cert))
    )
    yield seen
    server.shutdown()
    server.server_close()


def test_the_checked_public_address_is_the_one_connected_to(
    dns, tls_receiver, case_at, county_token, settings
):
    settings.POLKU_WEBHOOK_TIMEOUT_SECONDS = 4
    dns.add("hooks.partner.example", PUBLIC_V4)
    sub = (
        http(county_token)
        .post(
            "/api/v1/webhooks/", {"url": "https://hooks.partner.example/polku/ä?x=1"}, format="json"
        )
        .json()
    )
    transition(case_at)
    dns.lookups.clear()
    assert services.deliver_due_webhooks() == 1
    # One lookup, and the connection went to exactly the address it returned.
    assert dns.lookups == ["hooks.partner.example"]
    assert tls_receiver["connected_to"] == [((PUBLIC_V4, 443), 4)]
    # TLS for the host name (SNI, certificate verified), Host header of the URL.
    assert tls_receiver["sni"] == ["hooks.partner.example"]
    ((path, headers, body),) = tls_receiver["requests"]
    assert path == "/polku/%C3%A4?x=1"
    assert headers["Host"] == "hooks.partner.example"
    timestamp = headers["X-Polku-Timestamp"]
    assert headers["X-Polku-Signature"] == services.sign_payload(
        secret=sub["secret"], timestamp=timestamp, body=body
    )
    assert json.loads(body)["case"]["id"] == case_at.pk
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_status_code) == ("delivered", 204)


def test_the_certificate_must_match_the_host_name(dns, tls_receiver, case_at, county_token):
    dns.add("other.partner.example", PUBLIC_V4)
    http(county_token).post(
        "/api/v1/webhooks/", {"url": "https://other.partner.example/"}, format="json"
    )
    transition(case_at)
    services.deliver_due_webhooks()
    assert tls_receiver["connected_to"][0][0] == (PUBLIC_V4, 443)
    assert tls_receiver["requests"] == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending"
    assert "certificate verify failed" in delivery.last_error
