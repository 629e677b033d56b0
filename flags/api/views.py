"""The flag review queue: read what is addressed to you (else 404), act on it as a
coordinator of an addressed agency or as admin staff (else 403)."""

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from agencies.api.serializers import AgencyBriefSerializer
from flags import filtersets, selectors, services
from flags.api import serializers
from flags.models import FlagEvent
from flags.reasons import FlagBook
from registry.api.permissions import SignedIn
from registry.api.viewsets import Orderable, WritesInOneTransaction


class FlagViewSet(WritesInOneTransaction, Orderable, viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.FlagSerializer
    filterset_class = filtersets.FlagFilterSet
    permission_classes = [SignedIn]
    ordering_fields = selectors.FLAG_ORDERING

    def get_queryset(self):
        queryset = (
            selectors.flags_visible_to(self.request.user)
            .select_related("status_changed_by")
            .prefetch_related(Prefetch("agencies", queryset=AgencyBriefSerializer.rows()))
        )
        if self.action in ("retrieve", "resolve"):
            events = FlagEvent.objects.select_related("user").order_by("at", "id")
            queryset = queryset.prefetch_related(Prefetch("events", queryset=events))
        return queryset

    def get_serializer_class(self):
        if self.action in ("retrieve", "resolve"):
            return serializers.FlagDetailSerializer
        return super().get_serializer_class()

    def serialize(self, flags, *, many: bool):
        book = FlagBook(flags if many else [flags], self.request.user)
        context = {**self.get_serializer_context(), "book": book}
        return self.get_serializer_class()(flags, many=many, context=context).data

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        if page is not None:
            return self.get_paginated_response(self.serialize(page, many=True))
        return Response(self.serialize(list(queryset), many=True))

    def retrieve(self, request, *args, **kwargs):
        return Response(self.serialize(self.get_object(), many=False))

    @extend_schema(request=serializers.FlagResolveSerializer, responses=serializers.FlagDetailSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def resolve(self, request, pk=None):
        """Acknowledge, resolve or dismiss the flag, with a note (required to dismiss)."""
        flag = self.get_object()
        if not services.user_can_act_on(request.user, flag):
            raise PermissionDenied(
                _("Only coordinators of an agency the flag is addressed to, or admin staff, may act on it.")
            )
        decision = serializers.FlagResolveSerializer(data=request.data)
        decision.is_valid(raise_exception=True)
        services.flag_set_status(
            flag=flag, user=request.user, status=decision.validated_data["status"], note=decision.validated_data["note"]
        )
        return Response(self.serialize(self.get_queryset().get(pk=flag.pk), many=False))
