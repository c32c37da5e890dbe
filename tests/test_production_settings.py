"""DJANGO_ENV=production refuses to start (settings import fails, naming the variable) rather
than serving every request with 500 or 400 (issue 10). Each case imports the settings in a
fresh interpreter, as gunicorn, Celery and manage.py do."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
GOOD = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "k7Qp2-Zr9xLw4_Tn8vYb3mHs6cJd1fGe5aUo0iRq-WzXy2NtVb",
    "ALLOWED_HOSTS": "polku.example.fi",
    "DATABASE_URL": "postgres://polku@polku-db.invalid:5432/polku",
    "CACHE_URL": "redis://polku-cache.invalid:6379/1",
}


def _import_settings(**overrides) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in GOOD and not k.startswith(("DJANGO_", "SECRET_KEY"))
    }
    for key, value in {**GOOD, **overrides}.items():
        if value is not None:
            env[key] = value
    return subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_good_production_settings_import():
    result = _import_settings()
    assert result.returncode == 0, result.stderr


def test_memcached_is_a_shared_cache_too():
    result = _import_settings(CACHE_URL="pymemcache://polku-cache.invalid:11211")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY"),  # as .env.example ships it
        ({"SECRET_KEY": None}, "SECRET_KEY"),  # not set at all
        ({"SECRET_KEY": "x" * 10}, "SECRET_KEY"),  # short
        ({"SECRET_KEY": "ab" * 40}, "SECRET_KEY"),  # long but only 2 different characters
        ({"SECRET_KEY": "django-insecure-" + GOOD["SECRET_KEY"]}, "SECRET_KEY"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
        ({"ALLOWED_HOSTS": " , "}, "ALLOWED_HOSTS"),
        ({"DATABASE_URL": "sqlite:///var/polku.sqlite3"}, "DATABASE_URL"),
        ({"DATABASE_URL": ""}, "DATABASE_URL"),  # empty: the SQLite default
        ({"DATABASE_URL": None}, "DATABASE_URL"),
        # The API's rate limits need a cache every web worker shares (issue 10, item 8).
        ({"CACHE_URL": None}, "CACHE_URL"),  # the local-memory default
        ({"CACHE_URL": "locmemcache://polku"}, "CACHE_URL"),
        ({"CACHE_URL": "dbcache://polku_cache"}, "CACHE_URL"),  # incr is not atomic there
        ({"CACHE_URL": "dummycache://"}, "CACHE_URL"),
    ],
)
def test_production_refuses_to_start_naming_the_variable(overrides, named):
    result = _import_settings(**overrides)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    last_line = result.stderr.strip().splitlines()[-1]
    assert named in last_line, last_line
    secret = overrides.get("SECRET_KEY")
    if secret:
        assert secret not in result.stderr  # the message never repeats the key


def test_every_problem_is_named_at_once():
    result = _import_settings(SECRET_KEY="", ALLOWED_HOSTS="", DATABASE_URL="sqlite:///x.db")
    last_line = result.stderr.strip().splitlines()[-1]
    assert all(name in last_line for name in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"))


def test_development_needs_none_of_them():
    result = _import_settings(
        DJANGO_ENV="development",
        SECRET_KEY=None,
        ALLOWED_HOSTS=None,
        DATABASE_URL=None,
        CACHE_URL=None,
    )
    assert result.returncode == 0, result.stderr
