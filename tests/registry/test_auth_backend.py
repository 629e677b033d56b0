"""The web's user loading (registry/auth.py): the user, the agency and the role in one query,
the same role as User.role derives, nobody inactive."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry.auth import ModelBackend
from registry.models import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_user_comes_with_agency_and_role_in_one_query(django_assert_num_queries):
    user = UserFactory(role=Role.LIAISON_OFFICER)
    with django_assert_num_queries(1):
        loaded = ModelBackend().get_user(user.pk)
        assert (loaded.role, loaded.agency.slug) == (Role.LIAISON_OFFICER, user.agency.slug)


@pytest.mark.parametrize(
    ("groups", "role"),
    [
        ([], Role.PUBLIC),
        ([Role.LIAISON_OFFICER], Role.LIAISON_OFFICER),
        ([Role.LIAISON_OFFICER, Role.COORDINATOR], Role.COORDINATOR),
        ([Role.COORDINATOR, Role.ADMIN_STAFF, Role.LIAISON_OFFICER], Role.ADMIN_STAFF),
    ],
)
def test_the_role_is_the_strongest_group_as_user_role_derives_it(groups, role):
    user = UserFactory()
    user.groups.add(*Group.objects.filter(name__in=groups))
    assert ModelBackend().get_user(user.pk).role == role
    user.refresh_from_db()
    assert user.role == role  # the model's own derivation agrees


def test_a_user_of_no_agency_has_none(django_assert_num_queries):
    user = UserFactory(role=Role.ADMIN_STAFF, agency=None)
    with django_assert_num_queries(1):
        loaded = ModelBackend().get_user(user.pk)
        assert (loaded.agency, loaded.agency_id, loaded.role) == (None, None, Role.ADMIN_STAFF)


def test_the_loaded_user_and_agency_equal_what_the_orm_reads():
    user = UserFactory(role=Role.COORDINATOR)
    loaded, stored = ModelBackend().get_user(str(user.pk)), type(user).objects.get(pk=user.pk)
    for field in type(user)._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(stored, field.attname), field.name
    for field in type(user.agency)._meta.concrete_fields:
        assert getattr(loaded.agency, field.attname) == getattr(stored.agency, field.attname), field.name
    assert ModelBackend().get_user("not a number") is None


def test_an_inactive_or_removed_user_is_not_signed_in():
    user = UserFactory(role=Role.COORDINATOR)
    user.is_active = False
    user.save()
    assert ModelBackend().get_user(user.pk) is None
    assert ModelBackend().get_user(user.pk + 1000) is None


def test_a_signed_in_page_does_not_read_groups_or_the_agency_again(client):
    user = UserFactory(role=Role.COORDINATOR)
    client.force_login(user)
    client.get("/cases/")  # warm the per-process caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/cases/")
    assert response.status_code == 200
    assert user.agency.acronym.encode() in response.content or user.agency.name.encode() in response.content
    sql = [query["sql"] for query in queries.captured_queries]
    groups_read = [query for query in sql if query.startswith('SELECT "auth_group"')]
    agency_read = [q for q in sql if q.startswith('SELECT "agencies_agency"') and f"= {user.agency_id}" in q]
    assert groups_read == agency_read == []
