"""Fixtures for the core's tests: English messages (asserted on as users read them) and a
logged-in admin client."""

import pytest
from django.test import Client
from django.utils import translation


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def login():
    """``login(user)`` → a test client logged in as ``user``, reading the admin in English."""

    def make(user) -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(user)
        return client

    return make
