"""The admin import page: upload → preview table (nothing written) → confirm (all or nothing)."""

import pytest
from django.test import Client

from agencies.models import Agency
from interchange.models import CatalogImport
from tests.factories import UserFactory
from tests.interchange.conftest import AGENCY_HEADER, agency_row, csv_file

pytestmark = pytest.mark.django_db
URL = "/admin/interchange/catalogimport/add/"


@pytest.fixture
def records_staff():
    client = Client()
    client.force_login(
        UserFactory(username="records", role="admin-staff", agency=None, is_staff=True, is_superuser=True)
    )
    return client


def test_upload_previews_then_confirm_imports(records_staff, places, tmp_path):
    path = tmp_path / "agencies.csv"
    csv_file(path, [AGENCY_HEADER, agency_row("us-doj", "Department of Justice", acronym="DOJ")])

    with path.open("rb") as upload:
        preview = records_staff.post(URL, {"resource": "agencies", "file": upload})

    assert preview.status_code == 200
    assert b"import-preview" in preview.content and b"us-doj" in preview.content
    assert not Agency.objects.exists(), "the preview writes nothing"
    confirm = records_staff.post(
        URL,
        {
            "confirm": "1",
            "resource": "agencies",
            "filename": "agencies.csv",
            "content": preview.context["content"],
        },
    )
    assert confirm.status_code == 302
    assert Agency.objects.get().slug == "us-doj"
    assert CatalogImport.objects.get().created == 1


def test_a_refused_row_is_shown_with_its_column_and_cannot_be_confirmed(records_staff, places, tmp_path):
    path = tmp_path / "agencies.csv"
    csv_file(path, [AGENCY_HEADER, agency_row("us-doj", "=cmd|' /C calc'!A0")])

    with path.open("rb") as upload:
        preview = records_staff.post(URL, {"resource": "agencies", "file": upload})

    assert b"formula" in preview.content
    assert b'name="confirm"' not in preview.content
    assert not Agency.objects.exists()


def test_people_other_than_records_staff_cannot_import(client, places):
    client.force_login(UserFactory(username="coord", role="coordinator", is_staff=True))

    response = client.get(URL)

    assert response.status_code in (302, 403)
