"""Flag serializers. The reason and what a flag concerns come from a FlagBook built once per
page for the reader (flags/reasons.py): no query per flag, and nothing of a case the reader
cannot see."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agencies.api.serializers import AgencyBriefSerializer
from flags.models import Flag, FlagEvent, FlagStatus
from flags.reasons import FlagBook
from flags.services import USER_STATUSES
from registry.api.formats import StringField
from registry.api.serializers import ModelSerializer


class FlagEventSerializer(ModelSerializer):
    note = serializers.CharField(source="display_note", read_only=True)
    user = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    old_status = serializers.ChoiceField(choices=FlagStatus.choices, allow_blank=True, read_only=True)

    class Meta:
        model = FlagEvent
        fields = ["old_status", "new_status", "note", "user", "at"]


class FlagSerializer(ModelSerializer):
    agencies = AgencyBriefSerializer(many=True, read_only=True)
    reason = serializers.SerializerMethodField(help_text="Why the flag was raised, in the reader's language")
    concerns = serializers.SerializerMethodField(help_text="What the flag concerns, as far as the reader may know")
    status_note = serializers.CharField(source="last_note", read_only=True)
    status_changed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Flag
        fields = [
            "id",
            "kind",
            "severity",
            "status",
            "agencies",
            "for_admin_staff",
            "reason",
            "concerns",
            "status_note",
            "status_changed_at",
            "status_changed_by",
            "opened_at",
            "closed_at",
        ]
        read_only_fields = fields

    def _book(self) -> FlagBook:
        book = self.context.get("book")
        if book is None:
            # Serialized on its own (not by the viewset): build a book for this one flag.
            instance = self.instance if isinstance(self.instance, Flag) else None
            book = FlagBook([instance] if instance else list(self.instance or []), self.context["request"].user)
            self.context["book"] = book
        return book

    def get_reason(self, flag) -> str:
        return self._book().reason(flag)

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_concerns(self, flag) -> dict:
        return self._book().concerns(flag)


class FlagDetailSerializer(FlagSerializer):
    events = FlagEventSerializer(many=True, read_only=True)

    class Meta(FlagSerializer.Meta):
        fields = [*FlagSerializer.Meta.fields, "events"]
        read_only_fields = fields


class FlagResolveSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=USER_STATUSES,
        error_messages={"invalid_choice": _("Choose one of: acknowledged, resolved, dismissed.")},
    )
    note = StringField(required=False, allow_blank=True, max_length=4000, default="")
