"""Bulk endpoints: ``{"items": [...]}`` in, one result per item out.

Each item is validated and applied on its own, in its own savepoint inside one transaction
for the batch (one commit, not a thousand): a failing item is undone alone and never stops
the others. Each result carries the status the item would have had alone; the response is
200 when every item succeeded and 207 when some failed.
"""

from __future__ import annotations

import functools

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import APIException

from recruitment.errors import PolkuError
from recruitment.parsing import MAX_INT

from .problems import problem_for
from .serializing import StrictSerializer, validated

BULK_MAX_ITEMS = 1000

# What one item may fail with: what a single request would answer as problem+json.
ITEM_ERRORS = (PolkuError, DjangoValidationError, Http404, APIException)


# --- Serializers and documentation -----------------------------------------------------------


class BulkResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the item in your request.")
    id = serializers.IntegerField(allow_null=True)
    status = serializers.IntegerField(help_text="HTTP status this item would have had alone.")
    version = serializers.IntegerField(allow_null=True)
    error = serializers.DictField(allow_null=True, help_text="A problem object, or null.")


class BulkResponseSerializer(serializers.Serializer):
    succeeded = serializers.IntegerField()
    failed = serializers.IntegerField()
    results = BulkResultSerializer(many=True)


def bulk_request_serializer(item_serializer, name: str):
    """``{"items": [...]}`` with at most 1,000 items (each validated on its own later)."""

    class BulkRequest(StrictSerializer):
        items = serializers.ListField(
            child=serializers.JSONField(),
            min_length=1,
            max_length=BULK_MAX_ITEMS,
            help_text=f"1–{BULK_MAX_ITEMS} items; each is applied on its own.",
        )

    BulkRequest.__name__ = name
    BulkRequest.item_serializer = item_serializer
    return BulkRequest


def version_field():
    """An item's ``version``: the one it read (its ETag), since a bulk request has no
    If-Match header."""
    return serializers.IntegerField(
        min_value=1, max_value=MAX_INT, help_text="The version you read (ETag)."
    )


def bulk_schema(*, request, **kwargs):
    """The documentation of a bulk endpoint (``request``: its ``bulk_request_serializer``)."""
    return extend_schema(
        request=request,
        responses={200: BulkResponseSerializer, 207: BulkResponseSerializer},
        **kwargs,
    )


# --- Running a bulk request ------------------------------------------------------------------


def item_ids(items) -> list[int]:
    """The ids the items name, for one query that loads or checks them all."""
    return [i["id"] for i in items if isinstance(i, dict) and isinstance(i.get("id"), int)]


class BulkResults:
    """The results of one bulk request, one per item in request order."""

    def __init__(self, items: list) -> None:
        self.items = items
        self.results: list[dict | None] = [None] * len(items)

    def failed(self, index: int, exc: Exception) -> None:
        """Item ``index`` failed with ``exc`` (one of ``ITEM_ERRORS``): its problem."""
        raw = self.items[index]
        item_id = raw["id"] if isinstance(raw, dict) and isinstance(raw.get("id"), int) else None
        problem = problem_for(exc)
        self._set(index, item_id, status=problem.status_code, error=problem.data)

    def succeeded(self, index: int, obj, *, status: int = 200) -> None:
        self._set(index, obj.pk, status=status, version=obj.version)

    def attempt(self, index: int, write, *, status: int = 200) -> None:
        """Run ``write()`` (it returns the changed object) in its own savepoint."""
        try:
            with transaction.atomic():
                obj = write()
        except ITEM_ERRORS as exc:
            self.failed(index, exc)
        else:
            self.succeeded(index, obj, status=status)

    def _set(self, index, item_id, *, status, version=None, error=None) -> None:
        self.results[index] = {
            "index": index,
            "id": item_id,
            "status": status,
            "version": version,
            "error": error,
        }

    def response(self, view):
        """200 when every item succeeded, 207 when some failed."""
        failed = sum(1 for r in self.results if r["error"] is not None)
        body = {"succeeded": len(self.results) - failed, "failed": failed, "results": self.results}
        return view.respond(body, status=207 if failed else 200)


def run_bulk(view, request, item_serializer, apply_item, *, prefetch=None, status=200):
    """Validate the request with ``view.bulk_serializer``, then each item with
    ``item_serializer`` and apply it: ``apply_item(data, preloaded)`` returns the changed
    object (``preloaded``: what ``prefetch(items)`` loaded for all items at once). ``status``
    is a successful item's (201 where each item creates a record)."""
    items = validated(view.bulk_serializer, request.data)["items"]
    preloaded = prefetch(items) if prefetch else {}
    results = BulkResults(items)
    with transaction.atomic():
        for index, raw in enumerate(items):
            try:
                data = validated(item_serializer, raw)
            except ITEM_ERRORS as exc:
                results.failed(index, exc)
                continue
            results.attempt(index, functools.partial(apply_item, data, preloaded), status=status)
    return results.response(view)
