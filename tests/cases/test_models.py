"""Model rules: references, the one lead, normalized keys on save, overdue, constraints."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases.models import ActionItem, ActionUpdate, Case, CaseSubject, Theme
from tests.cases.factories import ActionItemFactory, CaseFactory, ParticipantFactory, SubjectFactory

pytestmark = pytest.mark.django_db


def test_reference_is_generated_per_year(today):
    this_year, last_year = today.year, today.year - 1
    first = CaseFactory(opened_on=today.replace(month=1, day=1))
    second = CaseFactory(opened_on=today)
    other_year = CaseFactory(opened_on=datetime.date(last_year, 12, 31))
    assert first.reference == f"ENL-{this_year}-0001"
    assert second.reference == f"ENL-{this_year}-0002"
    assert other_year.reference == f"ENL-{last_year}-0001"
    second.title = "Renamed"
    second.save()
    assert Case.objects.get(pk=second.pk).reference == f"ENL-{this_year}-0002"


def test_subject_key_is_computed_on_save():
    subject = SubjectFactory(kind="phone", make="", identifier="044 55 1234 5678")
    assert subject.normalized_key == "+525512345678"
    subject.identifier = "(915) 555-0143"
    subject.save()
    assert CaseSubject.objects.get(pk=subject.pk).normalized_key == "+19155550143"


def test_subject_clean_reports_a_bad_identifier_on_its_field():
    subject = CaseSubject(case=CaseFactory(), kind="phone", identifier="123")
    with pytest.raises(ValidationError) as error:
        subject.full_clean()
    assert "identifier" in error.value.message_dict


def test_firearm_details_only_on_firearms():
    subject = CaseSubject(case=CaseFactory(), kind="person", identifier="Ana", caliber="9mm")
    with pytest.raises(ValidationError) as error:
        subject.full_clean()
    assert "caliber" in error.value.message_dict


def test_one_subject_once_per_case():
    subject = SubjectFactory(identifier="AB-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        SubjectFactory(case=subject.case, identifier="ab 1")


def test_one_lead_per_case_in_the_database():
    case = CaseFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ParticipantFactory(case=case, role="lead")


def test_overdue(today):
    late = ActionItemFactory(due_date=today - datetime.timedelta(days=1))
    due_today = ActionItemFactory(due_date=today)
    done_late = ActionItemFactory(
        due_date=today - datetime.timedelta(days=1), status="done", completed_at=timezone.now()
    )
    undated = ActionItemFactory()
    assert [late.overdue, due_today.overdue, done_late.overdue, undated.overdue] == [True, False, False, False]
    assert list(ActionItem.objects.overdue()) == [late]


def test_done_needs_completed_at_in_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        ActionItemFactory(status="done", completed_at=None)


def test_themes_are_the_framework_goals_and_areas():
    assert set(Theme.values) == {
        "protect-our-people",
        "prevent-transborder-crime",
        "pursue-criminal-networks",
        "coordination",
        "forensics-data-sharing",
        "industry-accountability",
        "prevention-subnational",
    }


def test_history_is_kept():
    item = ActionItemFactory(title="Before")
    item.title = "After"
    item.save()
    assert [h.title for h in item.history.order_by("history_date")] == ["Before", "After"]
    update = ActionUpdate.objects.create(item=item, text="note")
    assert update.history.count() == 1
    assert str(update) == "note"
