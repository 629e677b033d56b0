"""Lost updates: several clients write the same action item at once with the ETag they
read. Exactly one wins, the others get 412, and the final state is the winner's."""

import threading

import pytest
import requests
from django.conf import settings
from rest_framework.authtoken.models import Token

from cases.models import ActionItem
from tests.security.world import build_world

SHARED_CONNECTION = pytest.mark.skipif(
    "sqlite" in settings.DATABASES["default"]["ENGINE"],
    reason="live-server threads share the one in-memory SQLite connection; real concurrency runs on PostgreSQL",
)


WRITERS = 5


@SHARED_CONNECTION
@pytest.mark.django_db(transaction=True)
def test_concurrent_writes_with_if_match_let_exactly_one_win(live_server):
    world = build_world()
    token = Token.objects.get_or_create(user=world.users["coordinator"])[0].key
    url = f"{live_server.url}/api/v1/action-items/{world.item.pk}/"
    headers = {"Authorization": f"Token {token}"}
    etag = requests.get(url, headers=headers, timeout=30).headers["ETag"]
    barrier = threading.Barrier(WRITERS)
    results: dict[str, int] = {}

    def write(n: int):
        title = f"Written by client {n}"
        barrier.wait()
        answer = requests.patch(url, json={"title": title}, headers={**headers, "If-Match": etag}, timeout=60)
        results[title] = answer.status_code

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == WRITERS
    winners = [title for title, status in results.items() if 200 <= status < 300]
    # One wins; the rest are refused (412; on SQLite a writer may also be told to retry, 503).
    assert len(winners) == 1, results
    assert all(status in {412, 503} for title, status in results.items() if title not in winners), results
    assert sum(status == 412 for status in results.values()) >= 1, results
    assert ActionItem.objects.get(pk=world.item.pk).title == winners[0]
    # The loser's retry with the old ETag is still refused; with the new one it goes through.
    stale = requests.patch(url, json={"title": "Late"}, headers={**headers, "If-Match": etag}, timeout=30)
    assert stale.status_code == 412
    fresh = requests.get(url, headers=headers, timeout=30).headers["ETag"]
    retried = requests.patch(url, json={"title": "Late"}, headers={**headers, "If-Match": fresh}, timeout=30)
    assert retried.status_code == 200
