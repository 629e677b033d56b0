"""web/templates/django/forms/widgets/select.html writes Django's own markup, faster."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, TemplatesSetting, get_default_renderer


class Choices(forms.Form):
    plain = forms.ChoiceField(choices=[("", "—"), ("a", "Alpha & <Beta>"), ("b", "Bravo")], initial="b")
    grouped = forms.ChoiceField(
        choices=[("Federal", [("atf", "ATF"), ("hsi", "HSI")]), ("State", [("tx", "Texas DPS")])], initial="hsi"
    )
    several = forms.MultipleChoiceField(choices=[(1, "One"), (2, "Two"), (3, "Three")], initial=[1, 3])
    yes_no = forms.NullBooleanField(initial=False)
    disabled = forms.ChoiceField(choices=[("x", "X")], disabled=True, required=False)


def test_the_project_renders_widgets_through_its_own_templates():
    renderer = get_default_renderer()
    assert isinstance(renderer, TemplatesSetting)
    assert "web/templates" in str(renderer.get_template("django/forms/widgets/select.html").origin.name)


@pytest.mark.parametrize("name", ["plain", "grouped", "several", "yes_no", "disabled"])
@pytest.mark.parametrize("bound", [False, True])
def test_selects_are_written_exactly_as_django_writes_them(name, bound):
    data = {"plain": "a", "grouped": "tx", "several": ["2"], "yes_no": "true"} if bound else None
    ours = Choices(data, renderer=TemplatesSetting())[name]
    django = Choices(data, renderer=DjangoTemplates())[name]
    assert str(ours) == str(django)
    assert "<option" in str(ours)
