"""Operational endpoints (health and liveness) and the language switch."""

from django.conf import settings
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language as django_set_language


@transaction.non_atomic_requests
@never_cache
@require_GET
def healthz(request):
    """200 when the app and its database answer; 503 when the database does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


# What never_cache writes, written as a constant: the floor should measure the middleware,
# not a Cache-Control parser (an HTTP/1.1 cache stores nothing marked no-store).
NEVER_CACHED = "max-age=0, no-cache, no-store, must-revalidate, private"
LIVE = b'{"status": "ok"}'


@transaction.non_atomic_requests
@require_GET
def livez(request):
    """Does no work: the framework's floor for load tests (and the container's liveness)."""
    response = HttpResponse(LIVE, content_type="application/json")
    response["Cache-Control"] = NEVER_CACHED
    return response


@require_POST
def set_language(request):
    """Django's language switch (cookie), and for a signed-in user also the account's
    preferred language, so the choice follows them to another browser or device."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    user = request.user
    if user.is_authenticated and language in dict(settings.LANGUAGES) and user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return response
