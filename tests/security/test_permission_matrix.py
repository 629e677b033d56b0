"""Every API route × every role (and anonymous) × every method, against
permission_table.PERMISSIONS (and, where the rule depends on the object, the same routes on
other objects: ON_OTHER_OBJECTS). The routes come from the URL conf, so a new route without an
entry in the table, or a new method on a route, fails here."""

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from tests.security.permission_table import ON_OTHER_OBJECTS, PERMISSIONS
from tests.security.routes import api_routes, url_of
from tests.security.world import ROLES, build_world

REFUSED = {401, 403, 404, 405}


def test_every_api_route_and_method_has_an_entry_in_the_table():
    missing = []
    for name, route in api_routes().items():
        entry = PERMISSIONS.get(name)
        if entry is None:
            missing.append(f"{name} ({route.pattern})")
            continue
        missing += [f"{name} {method.upper()}" for method in route.methods if method not in entry]
        for on, others in ON_OTHER_OBJECTS.items():
            if name in others:
                missing += [f"{name} {m.upper()} on {on}" for m in route.methods if m not in others[name]]
    assert missing == [], "Add these to tests/security/permission_table.py: " + ", ".join(missing)


def test_the_table_names_no_route_that_is_gone():
    assert sorted(set(PERMISSIONS) - set(api_routes())) == []
    for others in ON_OTHER_OBJECTS.values():
        assert sorted(set(others) - set(api_routes())) == []


def entries():
    """(route name, entry, what it is called on) for every line of the table."""
    for name, entry in PERMISSIONS.items():
        yield name, entry, ""
    for on, others in ON_OTHER_OBJECTS.items():
        for name, entry in others.items():
            yield name, entry, f" on {on}"


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        from rest_framework.authtoken.models import Token

        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    client.raise_request_exception = False
    return client


@pytest.mark.django_db
def test_each_role_gets_exactly_the_access_the_table_gives():
    world = build_world()
    clients = {role: client_for(world.users[role]) for role in ROLES}
    wrong = []
    routes = api_routes()
    for name, entry, on in sorted(entries(), key=lambda line: (line[0], line[2])):
        route = routes[name]
        url = url_of(route, entry["kwargs"](world))
        where = url + on
        for method in route.methods:
            for role in ROLES:
                # Each call in a savepoint rolled back after it, so a write cannot change what
                # the next call sees (the case stays open, the participant stays).
                sid = transaction.savepoint()
                body = entry.get("body", {}).get(method, lambda w: {})(world)
                response = getattr(clients[role], method)(url, body, format="json")
                transaction.savepoint_rollback(sid)
                allowed = role in entry[method]
                if response.status_code >= 500:
                    wrong.append(f"{method.upper()} {where} as {role}: {response.status_code}")
                elif allowed and response.status_code in REFUSED:
                    wrong.append(f"{method.upper()} {where} as {role}: refused {response.status_code}, table allows")
                elif not allowed and response.status_code not in REFUSED:
                    wrong.append(f"{method.upper()} {where} as {role}: answered {response.status_code}, table refuses")
                elif not allowed and role == "anonymous" and response.status_code == 403:
                    wrong.append(f"{method.upper()} {where} as anonymous: 403 where 401 is due")
    assert wrong == [], "\n".join(wrong)


def admin_request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_every_admin_page_has_an_entry_in_the_admin_table():
    from django.apps import apps
    from django.contrib import admin

    from tests.security.permission_table import ADMIN_PERMISSIONS

    registered = {model._meta.label_lower for model in admin.site._registry}
    assert sorted(registered - set(ADMIN_PERMISSIONS)) == [], "Add these to ADMIN_PERMISSIONS"
    # An entry for a model with no admin page is stale (an entry for a model not installed
    # grants nothing, and lets the table name a model another branch brings).
    installed = {model._meta.label_lower for model in apps.get_models(include_auto_created=True)}
    assert sorted((set(ADMIN_PERMISSIONS) & installed) - registered) == []


@pytest.mark.django_db
def test_each_role_gets_exactly_the_admin_access_the_table_gives():
    """Every role holds the staff flag here: the flag alone must open nothing."""
    from django.contrib import admin

    from tests.factories import AgencyFactory, UserFactory
    from tests.security.permission_table import ADMIN_ACTIONS, ADMIN_PERMISSIONS

    agency = AgencyFactory()
    users = {
        role: UserFactory(role=role, agency=None if role == "admin-staff" else agency, is_staff=True)
        for role in ("liaison-officer", "coordinator", "admin-staff")
    }
    wrong = []
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        for role, user in users.items():
            request = admin_request(user)
            for permission, allowed_roles in ADMIN_PERMISSIONS[label].items():
                method = getattr(model_admin, f"has_{permission}_permission")
                got = method(request)
                if got != (role in allowed_roles):
                    wrong.append(f"{label} {permission} as {role}: {got}")
            if model_admin.has_module_permission(request) != (role in ADMIN_PERMISSIONS[label]["view"]):
                wrong.append(f"{label} module as {role}")
            if role not in ADMIN_PERMISSIONS[label]["view"]:
                continue  # the changelist, where actions are offered, is refused (checked above)
            offered = set(model_admin.get_actions(request)) - {"delete_selected"}
            expected = {name for name, roles in ADMIN_ACTIONS.get(label, {}).items() if role in roles}
            if offered != expected:
                wrong.append(f"{label} actions as {role}: {sorted(offered)}, table gives {sorted(expected)}")
    assert wrong == [], "\n".join(wrong)


@pytest.mark.django_db
def test_the_admin_pages_answer_as_the_table_says(client):
    """The same, over HTTP for the changelists: 200 where the table gives view, 403 where not."""
    from django.contrib import admin

    from tests.factories import AgencyFactory, UserFactory
    from tests.security.permission_table import ADMIN_PERMISSIONS

    agency = AgencyFactory()
    wrong = []
    for role in ("liaison-officer", "coordinator", "admin-staff"):
        client.force_login(UserFactory(role=role, agency=None if role == "admin-staff" else agency, is_staff=True))
        for model in admin.site._registry:
            label = model._meta.label_lower
            url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
            status = client.get(url).status_code
            expected = 200 if role in ADMIN_PERMISSIONS[label]["view"] else 403
            if status != expected:
                wrong.append(f"GET {url} as {role}: {status}, table says {expected}")
    assert wrong == [], "\n".join(wrong)
