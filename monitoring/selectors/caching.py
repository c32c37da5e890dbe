"""Caching of monitoring results: per snapshot generation across requests, and per output.

* Results are cached (Django's cache) under keys that carry the snapshot generation, so they
  change only when snapshots are retaken; older results are simply never read again.
* While one output (a dashboard, a report) is built, small lookups that every table repeats
  (data date, generation, counties, the period's shared reads) run once (``remember``).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db.models import Max
from django.utils import translation

from ..models import SnapshotRun
from .filters import Filters

CACHE_SECONDS = 60 * 60

_memo: contextvars.ContextVar[dict | None] = contextvars.ContextVar("monitoring_memo", default=None)


@contextlib.contextmanager
def one_output():
    """While one output (a dashboard, a report) is built, small lookups that every table
    repeats (data date, generation, counties, the period's transition counts) run once."""
    token = _memo.set({}) if _memo.get() is None else None
    try:
        yield
    finally:
        if token is not None:
            _memo.reset(token)


def remember(key, compute: Callable[[], Any]) -> Any:
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def generation() -> str:
    def compute():
        latest = SnapshotRun.objects.aggregate(at=Max("computed_at"))["at"]
        return latest.isoformat() if latest else "none"

    return remember("generation", compute)


def cache_key(name: str, f: Filters) -> str:
    return f"monitoring:{name}:{generation()}:{f.cache_key()}:{translation.get_language()}"


def cached(name: str, f: Filters, compute: Callable[[], Any]) -> Any:
    """``compute()``, kept in the cache for this generation, filters and language."""
    key = cache_key(name, f)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, CACHE_SECONDS)
    return value
