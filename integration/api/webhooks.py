"""Webhook subscriptions in the partner API (``/webhooks/``): a client manages its own.
Deliveries are ``integration.services`` (outbox); the URL policy is ``integration.destinations``."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.decorators import action

from .. import selectors, services
from ..models import EventType, WebhookSubscription
from .base import OwnObjectsViewSet, required_version
from .idempotency import idempotent
from .schema import IF_MATCH
from .serializing import ChangeSerializer, StrictSerializer, iso_date, validated

# --- Serializers -----------------------------------------------------------------------------


class SubscriptionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    event_types = serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices))
    active = serializers.BooleanField()
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, s):
        return {
            "id": s.pk,
            "url": s.url,
            "event_types": list(s.event_types),
            "active": s.active,
            "version": s.version,
            "created_at": iso_date(s.created_at),
            "updated_at": iso_date(s.updated_at),
        }


class SubscriptionWithSecretSerializer(SubscriptionSerializer):
    secret = serializers.CharField(help_text="Signing secret. Shown only on create and rotate.")

    def to_representation(self, s):
        return {**super().to_representation(s), "secret": s.secret}


@extend_schema_field(OpenApiTypes.URI)
class WebhookURLField(serializers.CharField):
    """A webhook URL, judged by the destination policy in the service (why a URL is refused:
    scheme, user name, port, address), not by a generic URL check that only says "invalid"."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 500)
        kwargs.setdefault(
            "help_text",
            "https:// (port 443) to a public internet address; see the webhooks section.",
        )
        super().__init__(**kwargs)


class SubscriptionCreateSerializer(StrictSerializer):
    url = WebhookURLField()
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices),
        required=False,
        help_text="Empty or left out: every event your scopes allow.",
    )
    active = serializers.BooleanField(required=False, default=True)


class SubscriptionUpdateSerializer(ChangeSerializer):
    url = WebhookURLField(required=False)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices), required=False
    )
    active = serializers.BooleanField(required=False)


# --- Views -----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List your webhook subscriptions",
        description="Scope: webhooks:manage.",
        responses=SubscriptionSerializer(many=True),
    ),
    retrieve=extend_schema(
        summary="Read a webhook subscription",
        responses=SubscriptionSerializer,
    ),
)
class SubscriptionViewSet(OwnObjectsViewSet):
    required_scopes = {"*": "webhooks:manage"}
    schema_tags = ["webhooks"]
    serializer_class = SubscriptionSerializer
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookSubscription.objects.none()
        return selectors.subscriptions_for(self.principal).order_by("id")

    def list(self, request):
        return self.respond(SubscriptionSerializer(self.get_queryset(), many=True).data)

    def retrieve(self, request, pk=None):
        sub = self.get_object()
        return self.respond(SubscriptionSerializer(sub).data, version=sub.version)

    @extend_schema(
        summary="Subscribe to webhooks",
        description="Events about cases your organisation may see, limited to what your "
        "scopes allow. The response carries the signing `secret` (shown only now).",
        request=SubscriptionCreateSerializer,
        responses={201: SubscriptionWithSecretSerializer},
        examples=[
            OpenApiExample(
                "Training events",
                value={
                    "url": "https://partner.example/polku-hook",
                    "event_types": ["training.changed"],
                },
            )
        ],
    )
    @idempotent()
    def create(self, request):
        data = validated(SubscriptionCreateSerializer, request.data)
        sub = services.create_subscription(
            client=self.principal.client,
            url=data["url"],
            event_types=data.get("event_types", []),
            active=data.get("active", True),
        )
        return self.respond(
            SubscriptionWithSecretSerializer(sub).data,
            version=sub.version,
            status=201,
            location=request.build_absolute_uri(f"{request.path}{sub.pk}/"),
        )

    @extend_schema(
        summary="Change a webhook subscription",
        request=SubscriptionUpdateSerializer,
        responses=SubscriptionSerializer,
        parameters=[IF_MATCH],
    )
    def partial_update(self, request, pk=None):
        sub = self.get_object()
        data = validated(SubscriptionUpdateSerializer, request.data)
        sub = services.update_subscription(
            subscription=sub, expected_version=required_version(request), **data
        )
        return self.respond(SubscriptionSerializer(sub).data, version=sub.version)

    @extend_schema(
        summary="Delete a webhook subscription",
        request=None,
        responses={204: OpenApiResponse(description="Deleted.")},
        parameters=[IF_MATCH],
    )
    def destroy(self, request, pk=None):
        sub = self.get_object()
        services.delete_subscription(subscription=sub, expected_version=required_version(request))
        return self.respond(None, status=204)

    @extend_schema(
        summary="Rotate the signing secret",
        request=None,
        responses=SubscriptionWithSecretSerializer,
        parameters=[IF_MATCH],
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        sub = services.rotate_subscription_secret(
            subscription=self.get_object(), expected_version=required_version(request)
        )
        return self.respond(SubscriptionWithSecretSerializer(sub).data, version=sub.version)
