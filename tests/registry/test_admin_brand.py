"""The admin is branded Enlace, in English and in Spanish, not "Django administration"."""

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "language, header, title",
    [("en", "Enlace administration", "Enlace admin"), ("es", "Administración de Enlace", "Admin de Enlace")],
)
def test_the_admin_says_enlace_in_the_readers_language(client, language, header, title):
    login = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE=language)
    assert login.status_code == 200
    page = login.content.decode()
    assert header in page and title in page
    assert "Django administration" not in page and "Administración de Django" not in page
    client.force_login(UserFactory(role="admin-staff", agency=None, is_staff=True))
    index = client.get("/admin/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert header in index
