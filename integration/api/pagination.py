"""Keyset (cursor) pagination of the partner API's lists."""

from __future__ import annotations

import base64
import binascii
import datetime as dt

from django.db.models import Q
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from recruitment.parsing import parse_id, parse_int, parse_moment


class KeysetPagination(BasePagination):
    """Cursor pagination ordered by (updated_at, id): stable under concurrent writes and as
    fast on the last page as on the first. ``next_cursor`` is the position after the last row,
    so a sync client can store it and resume later."""

    page_size = 100
    max_page_size = 1000

    def _page_size(self, request) -> int:
        raw = request.query_params.get("page_size")
        if raw is None:
            return self.page_size
        size = parse_int(raw, low=1, high=self.max_page_size)
        if size is None:
            raise exceptions.ValidationError(
                {
                    "page_size": [
                        _("A whole number from 1 to %(max)s.") % {"max": self.max_page_size}
                    ]
                }
            )
        return size

    @staticmethod
    def encode(updated_at: dt.datetime, pk: int) -> str:
        raw = f"{updated_at.isoformat()}|{pk}".encode()
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    @staticmethod
    def decode(cursor: str) -> tuple[dt.datetime, int]:
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            text = base64.urlsafe_b64decode(padded.encode("ascii")).decode()
            stamp, pk = text.rsplit("|", 1)
            moment, number = parse_moment(stamp), parse_id(pk)
            if moment is None or number is None:
                raise ValueError(text)
            return moment, number
        except (ValueError, UnicodeError, binascii.Error) as exc:
            raise exceptions.ValidationError(
                {"cursor": [_("This cursor is not valid; start again without one.")]}
            ) from exc

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self._page_size(request)
        cursor = request.query_params.get("cursor")
        if cursor:
            at, pk = self.decode(cursor)
            queryset = queryset.filter(Q(updated_at__gt=at) | Q(updated_at=at, pk__gt=pk))
        rows = list(queryset.order_by("updated_at", "id")[: size + 1])
        self.has_more = len(rows) > size
        rows = rows[:size]
        self.next_cursor = self.encode(*self._position(rows[-1])) if rows else cursor
        return rows

    @staticmethod
    def _position(row) -> tuple[dt.datetime, int]:
        """(updated_at, id) of a model instance or of a ``values()`` row."""
        if isinstance(row, dict):
            return row["updated_at"], row["id"]
        return row.updated_at, row.pk

    def get_paginated_response(self, data):
        next_url = None
        if self.has_more:
            next_url = replace_query_param(
                self.request.build_absolute_uri(), "cursor", self.next_cursor
            )
        return Response(
            {
                "next": next_url,
                "next_cursor": self.next_cursor,
                "has_more": self.has_more,
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "next_cursor", "has_more", "results"],
            "properties": {
                "next": {
                    "type": ["string", "null"],
                    "format": "uri",
                    "description": "URL of the next page, null on the last page.",
                },
                "next_cursor": {
                    "type": ["string", "null"],
                    "description": "Resume point after the last row; store it to sync later.",
                },
                "has_more": {"type": "boolean"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "cursor",
                "in": "query",
                "required": False,
                "description": "Opaque position from `next_cursor` of an earlier page.",
                "schema": {"type": "string"},
            },
            {
                "name": "page_size",
                "in": "query",
                "required": False,
                "description": f"Rows per page (1–{self.max_page_size}, default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]
