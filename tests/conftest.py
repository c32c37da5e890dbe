"""Shared fixtures. The database (PostgreSQL or SQLite) is chosen by scripts/test_database.py
through DATABASE_URL; see the Makefile's pytest target."""

import ipaddress
import socket

import pytest
from django.db import connection
from django.test import override_settings

from recruitment.actors import Actor
from recruitment.models import Role

from . import factories


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing():
    """Hashing passwords the production way costs ~0.3 s per user; tests need no such cost."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


def pytest_collection_modifyitems(items):
    """Every transactional test gets the reference data (data migrations) back.

    Django empties every table after a transactional test; without a serialized rollback the
    next transactional test in the same worker would find no counties, professions or
    countries, depending on the order the tests happen to run in.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is None:
            if {"transactional_db", "live_server"} & set(item.fixturenames):
                item.add_marker(
                    pytest.mark.django_db(transaction=True, serialized_rollback=True),
                    append=False,
                )
            continue
        if marker.args or not marker.kwargs.get("transaction"):
            continue
        if not marker.kwargs.get("serialized_rollback"):
            item.add_marker(
                pytest.mark.django_db(**{**marker.kwargs, "serialized_rollback": True}),
                append=False,
            )


_serialized_contents: dict[str, str] = {}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """Keep the serialized reference data that transactional tests restore.

    Django keeps it on the connection object; code that runs on greenlets (Playwright's sync
    API) can leave later tests with a fresh connection object without it, and then every
    later transactional test would silently restore nothing.
    """
    from django.db import connections

    for alias in connections:
        contents = getattr(connections[alias], "_test_serialized_contents", None)
        if contents:
            _serialized_contents[alias] = contents


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Hand the kept reference data to the connection objects before each test starts."""
    if not _serialized_contents:
        return
    from django.db import connections

    for alias, contents in _serialized_contents.items():
        connection = connections[alias]
        if not getattr(connection, "_test_serialized_contents", None):
            connection._test_serialized_contents = contents


def pytest_report_header(config):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return f"database: {engine}"


@pytest.fixture
def pirkanmaa():
    return factories.county("pirkanmaa")


@pytest.fixture
def helsinki():
    return factories.county("helsinki")


@pytest.fixture
def recruiter(pirkanmaa):
    return factories.user_with_role(Role.RECRUITER, pirkanmaa, username="rec.pirkanmaa")


@pytest.fixture
def other_recruiter(helsinki):
    return factories.user_with_role(Role.RECRUITER, helsinki, username="rec.helsinki")


@pytest.fixture
def recruiter_actor(recruiter):
    return Actor.for_user(recruiter)


@pytest.fixture
def superuser():
    return factories.UserFactory(username="root", is_superuser=True)


@pytest.fixture
def on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (tests fell back to SQLite)")


class FakeDNS:
    """``socket.getaddrinfo`` for the tests: no test depends on outside DNS.

    Names under the reserved ``.example`` top-level domain (RFC 2606) resolve to
    ``PUBLIC_ADDRESS`` unless a test gives them other addresses with ``add`` (none: the name
    does not exist). IP addresses, ``localhost`` and this machine's name go to the real
    resolver; any other name does not exist. ``lookups`` lists the names answered here.
    """

    PUBLIC_ADDRESS = "93.184.215.14"  # example.com's: a public internet address

    def __init__(self, real):
        self.real = real
        self.names: dict[str, tuple[str, ...]] = {}
        self.lookups: list[str] = []
        self.local = {"localhost", socket.gethostname().lower()}

    def add(self, name: str, *addresses: str) -> None:
        self.names[name.lower().rstrip(".")] = addresses

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):
        name = (host.decode() if isinstance(host, bytes) else host or "").lower().rstrip(".")
        if name not in self.names and (
            not name or name in self.local or name.endswith(".localhost") or _is_ip(name)
        ):
            return self.real(host, port, family, type, proto, flags)
        self.lookups.append(name)
        default = (self.PUBLIC_ADDRESS,) if name == "example" or name.endswith(".example") else ()
        addresses = self.names.get(name, default)
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        port = int(port or 0)
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (a, port, 0, 0))
            if ":" in a
            else (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (a, port))
            for a in addresses
        ]


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


@pytest.fixture(autouse=True)
def dns(monkeypatch):
    """The fake resolver (see ``FakeDNS``): webhook URLs are checked against DNS answers."""
    fake = FakeDNS(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return fake
