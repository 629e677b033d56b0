"""Case and action item serializers. Reads show related objects by their public identifiers;
writes go through cases/services.py, which holds the rules and the rights."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agencies.models import Agency, Contact, FunctionalArea, Jurisdiction
from cases import selectors, services
from cases.models import ActionItem, ActionUpdate, Case, CaseParticipant, CaseSubject
from registry.api.formats import code_field, slug_field
from registry.api.serializers import ModelSerializer


def request_user(serializer):
    return serializer.context["request"].user


class ShownParticipants(list):
    """A case's participants already in the form ParticipantSerializer gives them (plain dicts),
    attached by the case list as `shown_participants`."""


class ParticipantListSerializer(serializers.ListSerializer):
    """Reads `shown_participants` when the case list attached them (no model instance per
    participant and its agency, nor a serializer call per row), else the case's participants."""

    def get_attribute(self, instance):
        shown = getattr(instance, "shown_participants", None)
        return shown if shown is not None else super().get_attribute(instance)

    def to_representation(self, data):
        if isinstance(data, ShownParticipants):
            return [dict(row) for row in data]
        return super().to_representation(data)


class ShownCodes(list):
    """A case's jurisdiction codes, attached by the case list as `shown_jurisdictions`."""


class JurisdictionCodesField(serializers.ManyRelatedField):
    """The jurisdictions by code; reads `shown_jurisdictions` when the case list attached them
    (no Jurisdiction instance nor related manager per case), else the case's jurisdictions."""

    def get_attribute(self, instance):
        shown = getattr(instance, "shown_jurisdictions", None)
        return shown if shown is not None else super().get_attribute(instance)

    def to_representation(self, iterable):
        if isinstance(iterable, ShownCodes):
            return list(iterable)
        return super().to_representation(iterable)


class ParticipantSerializer(ModelSerializer):
    agency = slug_field(Agency.objects.all())
    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.visible(), required=False, allow_null=True, help_text=_("Liaison contact id")
    )

    class Meta:
        model = CaseParticipant
        fields = ["agency", "role", "contact"]
        list_serializer_class = ParticipantListSerializer
        # Left out, the role is the model's default, as when a case is opened with participants.
        extra_kwargs = {"role": {"default": CaseParticipant.Role.SUPPORT}}

    def create(self, validated_data):
        return services.participant_add(case=self.context["case"], user=request_user(self), **validated_data)


class CaseBriefSerializer(ModelSerializer):
    lead_agency = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Case
        fields = ["id", "reference", "title", "status", "sensitivity", "lead_agency"]


class CaseSerializer(ModelSerializer):
    lead_agency = slug_field(
        Agency.objects.all(),
        required=False,
        help_text=_("On creation: the lead agency (your own unless you name another participant)"),
    )
    participants = ParticipantSerializer(many=True, required=False)
    jurisdictions = JurisdictionCodesField(child_relation=code_field(Jurisdiction.objects.all()), required=False)

    class Meta:
        model = Case
        fields = [
            "id",
            "reference",
            "title",
            "summary",
            "status",
            "sensitivity",
            "opened_on",
            "closed_on",
            "jurisdictions",
            "lead_agency",
            "participants",
            "is_demo",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["reference", "closed_on", "is_demo", "created_at", "updated_at"]
        extra_kwargs = {"sensitivity": {"required": True}, "status": {"required": False}}

    def validate(self, attrs):
        if self.instance is not None:
            for name in ("lead_agency", "participants"):
                if name in attrs:
                    raise serializers.ValidationError(
                        {name: [_("Change participants and the lead through the case's participants endpoint.")]}
                    )
        elif attrs.get("status", Case.Status.OPEN) != Case.Status.OPEN:
            raise serializers.ValidationError({"status": [_("A new case starts open.")]})
        return attrs

    def create(self, validated_data):
        validated_data.pop("status", None)
        return services.case_open(
            user=request_user(self),
            title=validated_data["title"],
            summary=validated_data.get("summary", ""),
            sensitivity=validated_data["sensitivity"],
            jurisdictions=validated_data.get("jurisdictions", ()),
            lead=validated_data.get("lead_agency"),
            participants=validated_data.get("participants", ()),
            opened_on=validated_data.get("opened_on"),
        )

    def update(self, instance, validated_data):
        return services.case_update(case=instance, user=request_user(self), **validated_data)


class SubjectSerializer(ModelSerializer):
    recovered_in = code_field(Jurisdiction.objects.all(), required=False, allow_null=True)
    case = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = CaseSubject
        fields = [
            "id",
            "case",
            "kind",
            "identifier",
            "normalized_key",
            *services.SUBJECT_FIELDS,
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["normalized_key", "created_at", "updated_at"]

    def validate(self, attrs):
        if self.instance is not None and "kind" in attrs and attrs["kind"] != self.instance.kind:
            raise serializers.ValidationError({"kind": [_("Remove the subject and add a new one to change its kind.")]})
        return attrs

    def create(self, validated_data):
        return services.subject_add(case=self.context["case"], user=request_user(self), **validated_data)

    def update(self, instance, validated_data):
        validated_data.pop("kind", None)
        return services.subject_update(subject=instance, user=request_user(self), **validated_data)


class ActionItemBriefSerializer(ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = ActionItem
        fields = ["id", "title", "owner", "status", "due_date", "overdue"]


class VisibleCaseField(serializers.PrimaryKeyRelatedField):
    """A case id among the cases the user may see: others read as not existing."""

    def get_queryset(self):
        return selectors.cases_visible_to(self.context["request"].user)


class ActionItemSerializer(ModelSerializer):
    case = VisibleCaseField(
        required=False,
        allow_null=True,
        help_text=_("Set on creation only: a change of an existing item's case is refused (400)."),
    )
    # A method, not source="case.reference" with a default: a PATCH (partial) skipped it when case is null.
    case_reference = serializers.SerializerMethodField()
    owner = slug_field(Agency.objects.all())
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.visible(), required=False, allow_null=True, help_text=_("Contact id")
    )
    supporting_agencies = slug_field(Agency.objects.all(), many=True, required=False)
    function = slug_field(FunctionalArea.objects.all(), required=False, allow_null=True)
    overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "title",
            "description",
            "case",
            "case_reference",
            "owner",
            "assignee",
            "supporting_agencies",
            "function",
            "theme",
            "priority",
            "due_date",
            "status",
            "status_reason",
            "completed_at",
            "overdue",
            "is_demo",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["completed_at", "is_demo", "created_at", "updated_at"]
        extra_kwargs = {"status": {"required": False}, "status_reason": {"required": False}}

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_case_reference(self, item) -> str | None:
        return item.case.reference if item.case_id else None

    def create(self, validated_data):
        status = validated_data.pop("status", ActionItem.Status.OPEN)
        validated_data.pop("status_reason", None)
        if status != ActionItem.Status.OPEN:
            raise serializers.ValidationError({"status": [_("A new action item starts open.")]})
        return services.action_item_create(user=request_user(self), **validated_data)

    def update(self, instance, validated_data):
        user = request_user(self)
        status = validated_data.pop("status", None)
        reason = validated_data.pop("status_reason", None)
        supporting = validated_data.pop("supporting_agencies", None)
        changed = {name: value for name, value in validated_data.items() if getattr(instance, name) != value}
        if supporting is not None and {a.pk for a in supporting} != set(
            instance.supporting_agencies.values_list("pk", flat=True)
        ):
            changed["supporting_agencies"] = supporting
        if changed:
            instance = services.action_item_update(item=instance, user=user, **changed)
        if status is not None and status != instance.status:
            instance = services.action_item_transition(item=instance, user=user, status=status, reason=reason or "")
        elif reason is not None and reason != instance.status_reason:
            raise serializers.ValidationError(
                {"status_reason": [_("A reason goes with a change of status; write an update instead.")]}
            )
        return instance


class ActionUpdateSerializer(ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    # Blank on an update that only adds text: the schema must allow "" beside the statuses.
    old_status = serializers.ChoiceField(choices=ActionItem.Status.choices, allow_blank=True, read_only=True)
    new_status = serializers.ChoiceField(choices=ActionItem.Status.choices, allow_blank=True, read_only=True)

    class Meta:
        model = ActionUpdate
        fields = ["id", "author", "created_at", "text", "old_status", "new_status"]
        read_only_fields = ["created_at", "old_status", "new_status"]
        extra_kwargs = {"text": {"required": True, "allow_blank": False}}

    def create(self, validated_data):
        return services.action_update_add(item=self.context["item"], user=request_user(self), **validated_data)
