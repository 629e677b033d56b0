"""Object-level attacks: officers of an agency that does not take part in a restricted case
guess the ids of its case, subjects, action items, updates and flags. Every door answers 404
(or leaves the object out): details, nested routes, writes, lists, filters, search, metrics,
the calendar feed and the web pages. Admin staff read everything."""

import pytest
from rest_framework.test import APIClient

from tests.security.world import build_world

pytestmark = pytest.mark.django_db
OUTSIDERS = ("liaison-officer", "coordinator")
SECRETS = ("Their secret case", "Their secret task", "Their secret note")


@pytest.fixture
def world():
    return build_world()


def as_role(world, role) -> APIClient:
    from tests.conftest import client_for

    return client_for(world.users[role]) if world.users[role] else APIClient()


def text(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def secret_doors(w) -> list[tuple[str, str, dict]]:
    case, item = w.secret_case.pk, w.secret_item.pk
    doors = [
        ("get", f"/api/v1/cases/{case}/", {}),
        ("patch", f"/api/v1/cases/{case}/", {"title": "Mine now"}),
        ("put", f"/api/v1/cases/{case}/", {"title": "Mine now", "summary": "s", "sensitivity": "public"}),
        ("delete", f"/api/v1/cases/{case}/", {}),
        ("post", f"/api/v1/cases/{case}/close/", {}),
        ("post", f"/api/v1/cases/{case}/archive/", {}),
        ("get", f"/api/v1/cases/{case}/participants/", {}),
        ("post", f"/api/v1/cases/{case}/participants/", {"agency": w.agency.slug, "role": "observer"}),
        ("delete", f"/api/v1/cases/{case}/participants/{w.outsider.slug}/", {}),
        ("get", f"/api/v1/cases/{case}/subjects/", {}),
        ("post", f"/api/v1/cases/{case}/subjects/", {"kind": "phone", "identifier": "+12025550100"}),
        ("get", f"/api/v1/cases/{case}/subjects/{w.secret_subject.pk}/", {}),
        ("patch", f"/api/v1/cases/{case}/subjects/{w.secret_subject.pk}/", {"identifier": "X"}),
        ("delete", f"/api/v1/cases/{case}/subjects/{w.secret_subject.pk}/", {}),
        # A subject of their case reached through our own case.
        ("get", f"/api/v1/cases/{w.case.pk}/subjects/{w.secret_subject.pk}/", {}),
        ("get", f"/api/v1/action-items/{item}/", {}),
        ("patch", f"/api/v1/action-items/{item}/", {"status": "in-progress"}),
        ("get", f"/api/v1/action-items/{item}/updates/", {}),
        ("post", f"/api/v1/action-items/{item}/updates/", {"text": "Hello"}),
        ("get", f"/api/v1/cases/{case}/history/", {}),
        ("get", f"/api/v1/action-items/{item}/history/", {}),
    ]
    if w.secret_flag is not None:
        doors += [
            ("get", f"/api/v1/flags/{w.secret_flag.pk}/", {}),
            ("post", f"/api/v1/flags/{w.secret_flag.pk}/resolve/", {"status": "dismissed", "note": "x"}),
        ]
    return doors


@pytest.mark.parametrize("role", OUTSIDERS)
def test_every_door_to_a_restricted_case_answers_404(world, role):
    client = as_role(world, role)
    wrong = []
    for method, url, body in secret_doors(world):
        response = getattr(client, method)(url, body, format="json")
        if response.status_code != 404:
            wrong.append(f"{method.upper()} {url}: {response.status_code}")
        elif any(secret in text(response) for secret in SECRETS):
            wrong.append(f"{method.upper()} {url}: 404 that names the secret")
    assert wrong == []
    world.secret_case.refresh_from_db()
    assert world.secret_case.title == "Their secret case"
    assert world.secret_case.participants.count() == 1


def test_guessing_an_id_answers_like_a_missing_one(world):
    client = as_role(world, "coordinator")
    hidden = client.get(f"/api/v1/cases/{world.secret_case.pk}/")
    missing = client.get("/api/v1/cases/987654/")
    assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())


@pytest.mark.parametrize("role", OUTSIDERS)
def test_lists_filters_and_search_leave_the_secrets_out(world, role):
    client = as_role(world, role)
    probes = [
        "/api/v1/cases/?limit=1000",
        f"/api/v1/cases/?q={world.secret_case.reference}",
        "/api/v1/cases/?q=secret",
        f"/api/v1/cases/?lead_agency={world.outsider.slug}",
        "/api/v1/action-items/?limit=1000",
        f"/api/v1/action-items/?case={world.secret_case.pk}",
        f"/api/v1/action-items/?owner={world.outsider.slug}",
        "/api/v1/action-items/?overdue=false&q=secret",
        "/api/v1/flags/?limit=1000",
        f"/api/v1/flags/?agency={world.outsider.slug}",
        "/api/v1/metrics/",
    ]
    for url in probes:
        response = client.get(url)
        assert response.status_code in {200, 400}, (url, response.status_code)
        body = text(response)
        for secret in (*SECRETS, world.secret_case.reference):
            assert secret not in body, (url, secret)
        if response.status_code == 200 and "results" in response.json():
            ids = {row.get("id") for row in response.json()["results"]}
            assert world.secret_case.pk not in ids or "/cases/" not in url, url
            assert world.secret_item.pk not in ids or "/action-items/" not in url, url
            if world.secret_flag is not None and "/flags/" in url:
                assert world.secret_flag.pk not in ids, url


def test_the_subject_match_flag_tells_only_that_a_match_exists(world):
    client = as_role(world, "coordinator")
    flags = client.get("/api/v1/flags/?kind=subject-match").json()["results"]
    assert flags, "the shared rifle raises a subject-match flag addressed to us"
    detail = client.get(f"/api/v1/flags/{flags[0]['id']}/")
    assert detail.status_code == 200
    for secret in (*SECRETS, world.secret_case.reference):
        assert secret not in text(detail)


def test_the_calendar_feed_and_web_pages_keep_the_secrets(world, client):
    liaison = world.users["coordinator"]
    feed = client.get(f"/api/v1/calendar/{liaison.calendar_token}.ics")
    assert feed.status_code == 200
    assert "Their secret task" not in text(feed)
    client.force_login(liaison)
    assert client.get(f"/cases/{world.secret_case.pk}/").status_code == 404
    assert client.get(f"/actions/{world.secret_item.pk}/").status_code == 404
    for page in ("/cases/", "/actions/", "/flags/", "/search/?q=secret", "/metrics/"):
        response = client.get(page)
        assert response.status_code == 200, page
        for secret in (*SECRETS, world.secret_case.reference):
            assert secret not in text(response), (page, secret)


def test_anonymous_callers_learn_nothing_either(world):
    client = APIClient()
    for method, url, body in secret_doors(world):
        assert getattr(client, method)(url, body, format="json").status_code == 401, url
    assert "Their secret" not in text(client.get("/api/v1/metrics/"))


def test_admin_staff_read_everything(world):
    client = as_role(world, "admin-staff")
    assert client.get(f"/api/v1/cases/{world.secret_case.pk}/").status_code == 200
    assert client.get(f"/api/v1/action-items/{world.secret_item.pk}/").status_code == 200
    assert client.get(f"/api/v1/cases/{world.secret_case.pk}/subjects/{world.secret_subject.pk}/").status_code == 200


def test_a_commitment_we_only_support_is_read_but_not_changed(world):
    """A case-less commitment is visible to every signed-in user, so a write by a supporter's
    officers is refused with 403 (not 404), and nothing changes."""
    item = world.foreign_commitment
    url = f"/api/v1/action-items/{item.pk}/"
    writes = [
        ("patch", url, {"title": "Ours now"}),
        ("patch", url, {"status": "in-progress"}),
        ("put", url, {"title": "Ours now", "owner": world.agency.slug}),
        ("post", url + "updates/", {"text": "We did it."}),
    ]
    wrong = []
    for role in OUTSIDERS:
        client = as_role(world, role)
        assert client.get(url).status_code == 200
        for method, target, body in writes:
            status = getattr(client, method)(target, body, format="json").status_code
            if status != 403:
                wrong.append(f"{role} {method.upper()} {body}: {status}")
    assert wrong == []
    item.refresh_from_db()
    assert (item.title, item.status, item.owner_id) == ("Their commitment", "open", world.outsider.pk)
    assert not item.updates.exists()


MOVES = {
    # The leak: an item of our restricted case made case-less, for every reader.
    "out of a restricted case": (lambda w: w.item, lambda w: None),
    # The other way: a commitment pulled into a case (its former readers lose it).
    "into a case": (lambda w: w.commitment, lambda w: w.case.pk),
}


@pytest.mark.parametrize("move", MOVES)
@pytest.mark.parametrize("method", ["patch", "put"])
def test_an_items_case_is_fixed_once_created(world, move, method):
    item_of, case_of = MOVES[move]
    item = item_of(world)
    body = {"case": case_of(world)}
    if method == "put":
        body.update(title="Moved", owner=world.agency.slug)
    before = (item.case_id, item.title)
    response = getattr(as_role(world, "coordinator"), method)(f"/api/v1/action-items/{item.pk}/", body, format="json")
    assert response.status_code == 400 and list(response.json()) == ["case"], response.content
    item.refresh_from_db()
    assert (item.case_id, item.title) == before
