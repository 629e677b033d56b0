"""Forms of the web pages. Forms that write call the services of the owning app."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, FunctionalArea


class ListedChoiceIterator(forms.models.ModelChoiceIterator):
    """The choices of a short list, read with one plain query. Django's iterator reads them
    through `QuerySet.iterator()`, a server-side cursor on PostgreSQL: DECLARE, FETCH and
    CLOSE, three round trips for a dozen rows, for each <select> of a page."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class AgencyChoiceField(forms.ModelChoiceField):
    iterator = ListedChoiceIterator

    def label_from_instance(self, obj: Agency) -> str:
        return f"{obj.acronym} – {obj.display_name}" if obj.acronym else obj.display_name


class FunctionChoiceField(forms.ModelChoiceField):
    iterator = ListedChoiceIterator

    def label_from_instance(self, obj: FunctionalArea) -> str:
        return obj.display_name


# ---------------------------------------------------------------- cases and action items

from django.core.exceptions import ValidationError  # noqa: E402
from django.db.models import Q  # noqa: E402
from django.urls import reverse  # noqa: E402

from agencies.models import Jurisdiction  # noqa: E402
from cases.models import ActionItem, Case, CaseParticipant, CaseSubject, Theme  # noqa: E402
from cases.selectors import suggested_partners  # noqa: E402


class AgencyInput(forms.TextInput):
    """A text input for an agency's slug or acronym, with a short <datalist> of suggestions;
    enlace.js fills the list from the agency search as the user types."""

    template_name = "web/widgets/agency_input.html"

    def __init__(self, attrs=None):
        super().__init__({"autocomplete": "off", "spellcheck": "false", **(attrs or {})})
        self.suggestions: list[tuple[str, str]] = []

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        list_id = f"{context['widget']['attrs'].get('id') or name}_suggestions"
        context["widget"]["attrs"]["list"] = list_id
        context["widget"]["attrs"]["data-agency-search"] = reverse("agency-list")
        context["widget"]["list_id"] = list_id
        context["widget"]["suggestions"] = self.suggestions
        return context


class AgencyReferenceField(forms.CharField):
    """An active agency, typed by its slug or its acronym. At national scale a <select> of
    every agency (20,000 options) made each case page megabytes long and seconds slow."""

    widget = AgencyInput

    def __init__(self, *, suggestions=(), **kwargs):
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault(
            "help_text", _("Type its acronym or a few letters of its name, then choose it from the suggestions.")
        )
        super().__init__(**kwargs)
        self.set_suggestions(suggestions)

    def set_suggestions(self, agencies) -> None:
        self.widget.suggestions = [
            (agency.slug, AgencyChoiceField.label_from_instance(self, agency)) for agency in agencies
        ]

    def clean(self, value):
        value = super().clean(value)
        return resolve_agency(value, self.label) if value else None


def resolve_agency(value: str, label) -> Agency:
    """The active agency whose slug, or else whose acronym, is `value` (any case)."""
    matches = list(
        Agency.objects.filter(active=True).filter(Q(slug=value.lower()) | Q(acronym__iexact=value)).order_by("slug")[:5]
    )
    exact = [agency for agency in matches if agency.slug == value.lower()]
    if exact:
        return exact[0]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise ValidationError(
            _("%(field)s: no active agency has the slug or acronym “%(value)s”. Choose one from the suggestions."),
            code="unknown",
            params={"field": label, "value": value},
        )
    raise ValidationError(
        _("%(field)s: several agencies use the acronym “%(value)s”; choose one from the suggestions (e.g. %(slugs)s)."),
        code="ambiguous",
        params={"field": label, "value": value, "slugs": ", ".join(agency.slug for agency in matches)},
    )


class AgencyListField(AgencyReferenceField):
    """Several active agencies, by slug or acronym, separated by commas or spaces."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text", _("Their acronyms or slugs, separated by commas; suggestions appear as you type.")
        )
        super().__init__(**kwargs)
        self.widget.attrs["data-agency-multiple"] = ""

    def clean(self, value):
        text = forms.CharField.clean(self, value)
        agencies, errors = [], []
        for word in re.split(r"[\s,;]+", text or ""):
            if not word:
                continue
            try:
                agency = resolve_agency(word, self.label)
            except ValidationError as error:
                errors.extend(error.error_list)
            else:
                if agency not in agencies:
                    agencies.append(agency)
        if errors:
            raise ValidationError(errors)
        return agencies


class CounterpartFinderForm(forms.Form):
    """'I am at agency X and need function F' (the counterpart finder's question). The agency
    is typed (slug or acronym) with the national agencies as suggestions: at national scale a
    <select> of every agency would make the home page and the finder megabytes long."""

    agency = AgencyReferenceField(label=_("I am at"))
    function = FunctionChoiceField(
        label=_("and need"),
        queryset=FunctionalArea.objects.only(*FunctionalArea.name_columns),
        to_field_name="slug",
        empty_label=_("Choose a function"),
        error_messages={"invalid_choice": _("Choose a functional area from the list.")},
    )

    SUGGESTED_LEVELS = (Agency.Level.FEDERAL,)
    MAX_SUGGESTIONS = 300

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        national = Agency.objects.filter(active=True, country__isnull=False, level__in=self.SUGGESTED_LEVELS)
        self.fields["agency"].set_suggestions(
            national.only("slug", "acronym", "name", "name_es").order_by("acronym", "name")[: self.MAX_SUGGESTIONS]
        )
        # Functional areas sorted by their name in the active language.
        self.fields["function"].queryset = FunctionalArea.objects.all()
        self.fields["function"].choices = [
            ("", self.fields["function"].empty_label),
            *sorted(((f.slug, f.display_name) for f in FunctionalArea.objects.all()), key=lambda pair: pair[1]),
        ]

    def clean_agency(self):
        agency = self.cleaned_data["agency"]
        if agency is not None and agency.country_id is None:
            raise ValidationError(
                _(
                    "%(field)s: “%(value)s” is binational or international; "
                    "counterparts are found for an agency of one country."
                ),
                code="no-country",
                params={"field": self.fields["agency"].label, "value": agency.acronym or agency.slug},
            )
        return agency


def apply_service_errors(form: forms.Form, error: ValidationError, aliases: dict[str, str] | None = None) -> None:
    """Show a service's ValidationError on the form: on the field it names, else on the form."""
    if hasattr(error, "error_dict"):
        for name, messages in error.error_dict.items():
            name = (aliases or {}).get(name, name)
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, error)


class JurisdictionChoiceField(forms.ModelMultipleChoiceField):
    iterator = ListedChoiceIterator

    def label_from_instance(self, obj: Jurisdiction) -> str:
        return f"{obj.display_name} ({obj.code})"


def _places():
    return Jurisdiction.objects.filter(kind__in=[Jurisdiction.Kind.COUNTRY, Jurisdiction.Kind.STATE]).order_by("code")


class StaleCheckMixin(forms.Form):
    """Carries the version (updated_at) the user started from; a save over a newer version is refused."""

    version = forms.CharField(widget=forms.HiddenInput, required=False)

    @classmethod
    def initial_for(cls, instance) -> dict:
        """The stored values of the tracked fields and the version: the form as first shown."""
        initial = {name: getattr(instance, name) for name in cls.tracked_fields}
        initial["version"] = instance.updated_at.isoformat()
        return initial

    def is_stale(self, instance) -> bool:
        return self.data.get(self.add_prefix("version"), "") != instance.updated_at.isoformat()

    def changes_since(self, instance) -> list[dict]:
        """What changed since the user's version: the field, what the user typed, what is stored now."""
        rows = []
        for name in self.tracked_fields:
            field = self.fields[name]
            current = getattr(instance, name)
            mine = self.data.get(self.add_prefix(name), "")
            shown_current = current
            if hasattr(field, "choices") and not isinstance(field, forms.ModelChoiceField):
                shown_current = dict(field.choices).get(current, current)
                mine = dict(field.choices).get(mine, mine)
            rows.append({"label": field.label, "yours": mine, "current": "" if current is None else shown_current})
        return rows

    def refresh_version(self, instance) -> None:
        """Let the next save go through: the user has now seen the current version."""
        self.data = self.data.copy()
        self.data[self.add_prefix("version")] = instance.updated_at.isoformat()


class CaseCreateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea, required=False)
    sensitivity = forms.ChoiceField(
        label=_("Sensitivity"),
        choices=Case.Sensitivity.choices,
        initial=Case.Sensitivity.RESTRICTED,
        help_text=_("Restricted cases are seen only by the participating agencies and admin staff."),
    )
    jurisdictions = JurisdictionChoiceField(
        label=_("Jurisdictions"), queryset=Jurisdiction.objects.none(), required=False, to_field_name="code"
    )
    supporting = AgencyListField(label=_("Supporting agencies"), required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["jurisdictions"].queryset = _places()
        self.user = user
        agency_id = user.agency_id if user is not None else None
        self.fields["supporting"].set_suggestions(suggested_partners(agency_id))

    def clean_supporting(self):
        """The user's own agency leads the case; naming it among the supporters changes nothing."""
        own = self.user.agency_id if self.user is not None else None
        return [agency for agency in self.cleaned_data["supporting"] if agency.pk != own]


class CaseEditForm(StaleCheckMixin):
    tracked_fields = ("title", "summary", "sensitivity", "status")

    title = forms.CharField(label=_("Title"), max_length=300)
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea, required=False)
    sensitivity = forms.ChoiceField(label=_("Sensitivity"), choices=Case.Sensitivity.choices)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[(Case.Status.OPEN, Case.Status.OPEN.label), (Case.Status.ACTIVE, Case.Status.ACTIVE.label)],
    )


class ParticipantForm(forms.Form):
    agency = AgencyReferenceField(label=_("Agency"))
    role = forms.ChoiceField(
        label=_("Role"), choices=CaseParticipant.Role.choices, initial=CaseParticipant.Role.SUPPORT
    )

    def __init__(self, *args, suggestions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].set_suggestions(suggestions)


class SubjectForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=CaseSubject.Kind.choices)
    identifier = forms.CharField(
        label=_("Identifier"), max_length=300, help_text=_("Serial number, license number, name, phone, VIN…")
    )
    make = forms.CharField(label=_("Make (firearms)"), max_length=120, required=False)
    model = forms.CharField(label=_("Model"), max_length=120, required=False)
    caliber = forms.CharField(label=_("Caliber"), max_length=40, required=False)


class ActionItemFields(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)
    function = FunctionChoiceField(
        label=_("Functional area"),
        queryset=FunctionalArea.objects.only(*FunctionalArea.name_columns),
        required=False,
        to_field_name="slug",
    )
    theme = forms.ChoiceField(label=_("Framework theme"), choices=[("", "—"), *Theme.choices], required=False)
    priority = forms.ChoiceField(label=_("Priority"), choices=ActionItem.Priority.choices, initial="normal")
    due_date = forms.DateField(
        label=_("Due date"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class ActionItemCreateForm(ActionItemFields):
    owner = AgencyChoiceField(label=_("Owner agency"), queryset=Agency.objects.none(), to_field_name="slug")
    field_order = ["title", "owner", "description", "function", "theme", "priority", "due_date"]

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        owners = Agency.objects.filter(case_participations__case=case).only(*Agency.name_columns)
        self.fields["owner"].queryset = owners.order_by("acronym")


class ActionItemEditForm(StaleCheckMixin, ActionItemFields):
    tracked_fields = ("title", "description", "function", "theme", "priority", "due_date")


class TransitionForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=ActionItem.Status.choices)
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000, help_text=_("Needed when blocking or cancelling.")
    )

    def __init__(self, *args, item: ActionItem, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(ActionItem.Status.choices)
        self.fields["status"].choices = [(s, labels[s]) for s in item.allowed_transitions()]


class UpdateForm(forms.Form):
    text = forms.CharField(label=_("Update"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class FlagStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Decision"), choices=())
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = choices
