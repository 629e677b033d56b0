"""Catalog serializers. Related objects are written and shown by their public
identifiers (agency slug, function slug, jurisdiction code); each resource has a brief form."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers

from agencies.models import (
    Agency,
    AgencyName,
    Contact,
    CounterpartLink,
    FunctionalArea,
    Identifier,
    Jurisdiction,
    Mandate,
    Office,
)
from agencies.selectors import SourceKinds
from registry.api.formats import MultipleChoiceField, URLField, code_field, slug_field
from registry.api.serializers import ModelSerializer, RegistrySerializer


def _source_kinds(serializer) -> SourceKinds:
    """One SourceKinds per serializer: a list's rows share it, and it reads the kinds once."""
    if "_source_kinds" not in serializer.__dict__:
        serializer._source_kinds = SourceKinds()
    return serializer._source_kinds


class JurisdictionBriefSerializer(ModelSerializer):
    class Meta:
        model = Jurisdiction
        fields = ["code", "kind", "name", "name_es"]


class JurisdictionSerializer(RegistrySerializer):
    parent = code_field(Jurisdiction.objects.all(), required=False, allow_null=True)
    borders = code_field(Jurisdiction.objects.all(), many=True, required=False)

    class Meta:
        model = Jurisdiction
        fields = ["code", "kind", "name", "name_es", "parent", "borders", "source"]


class FunctionalAreaBriefSerializer(ModelSerializer):
    class Meta:
        model = FunctionalArea
        fields = ["slug", "name", "name_es"]


class FunctionalAreaSerializer(RegistrySerializer):
    class Meta:
        model = FunctionalArea
        fields = ["slug", "name", "name_es", "description", "description_es"]


class AgencyBriefSerializer(ModelSerializer):
    country = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    display_name = serializers.CharField(
        read_only=True, help_text=gettext_lazy("The name in the language of the request")
    )

    class Meta:
        model = Agency
        fields = ["slug", "acronym", "name", "name_es", "display_name", "country", "level"]

    @staticmethod
    def rows():
        """The agencies with the columns this serializer reads, and nothing more."""
        return Agency.objects.select_related("country").only(*Agency.name_columns, "level", "country__code")


class AgencySerializer(RegistrySerializer):
    country = code_field(Jurisdiction.objects.filter(kind=Jurisdiction.Kind.COUNTRY), required=False, allow_null=True)
    jurisdiction = code_field(Jurisdiction.objects.all(), required=False, allow_null=True)
    parent = slug_field(Agency.objects.all(), required=False, allow_null=True)
    sources = serializers.ListField(
        child=URLField(), required=False, help_text=gettext_lazy("URLs the facts come from")
    )
    display_name = serializers.CharField(
        read_only=True, help_text=gettext_lazy("The name in the language of the request")
    )
    other_names = serializers.SerializerMethodField()
    source_details = serializers.SerializerMethodField(
        help_text=gettext_lazy("Each URL of `sources` with its kind: primary or secondary")
    )

    class Meta:
        model = Agency
        fields = [
            "slug",
            "acronym",
            "name",
            "name_es",
            "display_name",
            "country",
            "jurisdiction",
            "level",
            "kind",
            "parent",
            "website",
            "description",
            "description_es",
            "active",
            "valid_from",
            "valid_to",
            "sources",
            "source_details",
            "other_names",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    # The related objects shown by one identifier each, and the column a list reads it from
    # when the query joined it in (AgencyViewSet.get_queryset): a page of 50 agencies then
    # builds no country, jurisdiction or parent objects.
    JOINED_IDENTIFIERS = {"country": "country_code", "jurisdiction": "jurisdiction_code", "parent": "parent_slug"}
    # Where the list puts the prefetched other names (a plain list: no related manager per agency).
    LISTED_NAMES = "listed_other_names"

    def to_representation(self, agency):
        """What ModelSerializer.to_representation answers, field by field, without its
        per-field machinery (an attribute walk through source_attrs, the PKOnlyObject
        check): the plan of each field is made once per serializer, and a list reuses one
        serializer for every row. Pinned by tests/agencies/test_agency_output.py."""
        plan = self.__dict__.get("_representation_plan")
        if plan is None:
            plan = self._representation_plan = self._make_representation_plan()
        row = {}
        for name, field, how, column in plan:
            if how == "plain":
                value = getattr(agency, name)
                row[name] = None if value is None else field.to_representation(value)
            elif how == "joined" and column in agency.__dict__:
                row[name] = agency.__dict__[column]
            else:
                value = field.get_attribute(agency)
                row[name] = None if value is None else field.to_representation(value)
        return row

    def _make_representation_plan(self) -> list[tuple]:
        plan = []
        for field in self._readable_fields:
            name = field.field_name
            if name in self.JOINED_IDENTIFIERS:
                plan.append((name, field, "joined", self.JOINED_IDENTIFIERS[name]))
            elif (
                not isinstance(field, serializers.RelatedField | serializers.ManyRelatedField | serializers.Serializer)
                and not isinstance(field, serializers.SerializerMethodField)
                and field.source_attrs == [name]
            ):
                plan.append((name, field, "plain", None))
            else:
                plan.append((name, field, "generic", None))
        return plan

    def get_other_names(self, agency) -> list[dict]:
        # Reads the prefetched names: no query per agency.
        names = agency.__dict__.get(self.LISTED_NAMES)
        if names is None:
            names = agency.other_names.all()
        return [{"name": n.name, "language": n.language, "kind": n.kind, "end_date": n.end_date} for n in names]

    def get_source_details(self, agency) -> list[dict]:
        return _source_kinds(self).described(agency.sources)


class AgencyNameSerializer(RegistrySerializer):
    agency = slug_field(Agency.objects.all())

    class Meta:
        model = AgencyName
        fields = ["id", "agency", "name", "language", "kind", "end_date", "note"]


class AgencyNameBriefSerializer(ModelSerializer):
    agency = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = AgencyName
        fields = ["id", "agency", "name", "kind"]


class IdentifierSerializer(RegistrySerializer):
    """An official code of one agency or one place (scheme + value, unique per scheme)."""

    agency = slug_field(Agency.objects.all(), required=False, allow_null=True)
    jurisdiction = code_field(Jurisdiction.objects.all(), required=False, allow_null=True)

    class Meta:
        model = Identifier
        fields = ["id", "scheme", "value", "agency", "jurisdiction", "source"]


class IdentifierBriefSerializer(ModelSerializer):
    agency = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    jurisdiction = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Identifier
        fields = ["id", "scheme", "value", "agency", "jurisdiction"]


class MandateSerializer(RegistrySerializer):
    agency = slug_field(Agency.objects.all())
    function = slug_field(FunctionalArea.objects.all())
    jurisdictions = code_field(Jurisdiction.objects.all(), many=True)
    source_kind = serializers.SerializerMethodField(
        help_text=gettext_lazy("“primary” or “secondary”; empty without a source")
    )

    class Meta:
        model = Mandate
        fields = [
            "id",
            "agency",
            "function",
            "jurisdictions",
            "role",
            "legal_basis",
            "description",
            "description_es",
            "valid_from",
            "valid_to",
            "source",
            "source_kind",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def get_source_kind(self, mandate) -> str:
        return _source_kinds(self)[mandate.source] if mandate.source else ""

    def validate_jurisdictions(self, value):
        if not value:
            raise serializers.ValidationError(_("A mandate applies to at least one jurisdiction."))
        return value


class MandateBriefSerializer(ModelSerializer):
    agency = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    function = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Mandate
        fields = ["id", "agency", "function", "role"]


class OfficeSerializer(RegistrySerializer):
    agency = slug_field(Agency.objects.all())
    phone = PhoneNumberField(
        required=False, allow_blank=True, help_text=gettext_lazy("International format; stored as E.164")
    )
    jurisdiction = code_field(Jurisdiction.objects.all(), required=False, allow_null=True)

    class Meta:
        model = Office
        fields = [
            "id",
            "agency",
            "name",
            "name_es",
            "jurisdiction",
            "city",
            "address",
            "phone",
            "email",
            "is_virtual",
            "source",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class OfficeBriefSerializer(ModelSerializer):
    agency = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Office
        fields = ["id", "agency", "name", "name_es"]


class ContactSerializer(RegistrySerializer):
    agency = slug_field(Agency.objects.all())
    office = serializers.PrimaryKeyRelatedField(queryset=Office.objects.all(), required=False, allow_null=True)
    functions = slug_field(FunctionalArea.objects.all(), many=True, required=False)
    languages = MultipleChoiceField(choices=["en", "es"], required=False)
    phone = PhoneNumberField(
        required=False, allow_blank=True, help_text=gettext_lazy("International format; stored as E.164")
    )
    mobile = PhoneNumberField(
        required=False, allow_blank=True, help_text=gettext_lazy("International format; stored as E.164")
    )

    class Meta:
        model = Contact
        fields = [
            "id",
            "agency",
            "office",
            "name",
            "is_desk",
            "title",
            "functions",
            "email",
            "phone",
            "mobile",
            "languages",
            "time_zone",
            "verified_on",
            "active",
            "is_demo",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["is_demo", "created_at", "updated_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["languages"] = instance.languages
        return data

    def validate(self, attrs):
        languages = attrs.pop("languages", None)
        attrs = super().validate(attrs)
        if languages is not None:
            attrs["speaks_en"] = "en" in languages
            attrs["speaks_es"] = "es" in languages
        office = attrs.get("office")
        agency = attrs.get("agency") or (self.instance.agency if self.instance else None)
        if office is not None and agency is not None and office.agency_id != agency.pk:
            raise serializers.ValidationError({"office": [_("The office belongs to another agency.")]})
        return attrs


class ContactBriefSerializer(ModelSerializer):
    agency = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Contact
        fields = ["id", "agency", "name", "title"]


class CounterpartLinkSerializer(RegistrySerializer):
    agency_a = slug_field(Agency.objects.all())
    agency_b = slug_field(Agency.objects.all())
    function = slug_field(FunctionalArea.objects.all())

    class Meta:
        model = CounterpartLink
        fields = ["id", "agency_a", "agency_b", "function", "instrument", "signed_on", "source", "note"]


class CounterpartLinkBriefSerializer(ModelSerializer):
    agency_a = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    agency_b = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    function = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = CounterpartLink
        fields = ["id", "agency_a", "agency_b", "function"]


class CounterpartSerializer(serializers.Serializer):
    """One ranked counterpart (docs/SPEC.md §2 Counterparts)."""

    agency = AgencyBriefSerializer()
    basis = serializers.ChoiceField(choices=["link", "national", "border", "international"])
    role = serializers.CharField(
        allow_null=True, help_text=gettext_lazy("The counterpart's mandate role for the function")
    )
    contacts = ContactSerializer(
        many=True, help_text=gettext_lazy("Liaison contacts for the function; empty for anonymous users")
    )
    reachable = serializers.BooleanField(
        help_text=gettext_lazy(
            "Whether someone can be reached there for the function: an active liaison contact for it, "
            "or an office with a public phone or e-mail. Within a basis the reachable rank first."
        )
    )
    referral = AgencyBriefSerializer(
        allow_null=True,
        help_text=gettext_lazy(
            "Whom to ask when no one can be reached there: the best-ranked reachable counterpart "
            "of the same country. Null when this counterpart is reachable, or when none of its "
            "country is."
        ),
    )
