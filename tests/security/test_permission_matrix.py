"""Every API route × every role (and anonymous) × every method, against
permission_table.PERMISSIONS. The routes come from the URL conf, so a new route without an
entry in the table, or a new method on a route, fails here."""

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from tests.security.permission_table import PERMISSIONS
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
    assert missing == [], "Add these to tests/security/permission_table.py: " + ", ".join(missing)


def test_the_table_names_no_route_that_is_gone():
    assert sorted(set(PERMISSIONS) - set(api_routes())) == []


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
    for name, route in sorted(api_routes().items()):
        entry = PERMISSIONS[name]
        url = url_of(route, entry["kwargs"](world))
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
                    wrong.append(f"{method.upper()} {url} as {role}: {response.status_code}")
                elif allowed and response.status_code in REFUSED:
                    wrong.append(f"{method.upper()} {url} as {role}: refused {response.status_code}, table allows")
                elif not allowed and response.status_code not in REFUSED:
                    wrong.append(f"{method.upper()} {url} as {role}: answered {response.status_code}, table refuses")
                elif not allowed and role == "anonymous" and response.status_code == 403:
                    wrong.append(f"{method.upper()} {url} as anonymous: 403 where 401 is due")
    assert wrong == [], "\n".join(wrong)
