"""``Idempotency-Key`` on the partner API's POST handlers: the first 2xx response is stored
with the change and replayed."""

from __future__ import annotations

import functools
import hashlib
import json

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from .. import selectors, services
from .auth import principal_of
from .problems import IdempotencyKeyReused


def body_fingerprint(request) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(b" " + request.path.encode() + b"\n")
    digest.update(request._request.body)
    return digest.hexdigest()


def _replay(record, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    headers = {**record.response_headers, "Idempotent-Replayed": "true"}
    return Response(record.response_body, status=record.response_status, headers=headers)


def idempotent(fingerprint=body_fingerprint):
    """Honour ``Idempotency-Key`` on a POST handler: the first 2xx response is stored with
    the change (same transaction) and replayed for 24 hours; the same key with a different
    request gets 422."""

    def decorate(handler):
        @functools.wraps(handler)
        def wrapper(self, request, *args, **kwargs):
            key = request.headers.get("Idempotency-Key")
            if key is None:
                return handler(self, request, *args, **kwargs)
            key = key.strip()
            if not key or len(key) > 200 or not key.isprintable():
                raise exceptions.ValidationError(
                    {"Idempotency-Key": [_("Use 1–200 printable characters, e.g. a UUID.")]}
                )
            principal = principal_of(request)
            fp = fingerprint(request)
            record = selectors.idempotency_record(principal.key, key)
            if record is not None:
                return _replay(record, fp)
            try:
                with transaction.atomic():
                    response = handler(self, request, *args, **kwargs)
                    if 200 <= response.status_code < 300:
                        body = json.loads(json.dumps(response.data, cls=JSONEncoder))
                        headers = {
                            name: response[name]
                            for name in ("ETag", "Location")
                            if response.has_header(name)
                        }
                        services.store_idempotent_response(
                            principal_key=principal.key,
                            key=key,
                            method=request.method,
                            path=request.path,
                            fingerprint=fp,
                            status=response.status_code,
                            body=body,
                            headers=headers,
                        )
            except IntegrityError:
                record = selectors.idempotency_record(principal.key, key)
                if record is None:
                    raise
                return _replay(record, fp)
            return response

        wrapper.honours_idempotency_key = True  # the schema documents the header (schema.py)
        return wrapper

    return decorate
