"""Request-level safety nets: a request id on every response and log line, 503 (not 500)
while the database is unreachable, idle session timeout, the second factor for the roles
that need it, and replay-safe POSTs (Idempotency-Key)."""

import contextlib
import contextvars
import hashlib
import logging
import re
import sys
import time
import uuid
from datetime import timedelta

import csp.constants
import csp.middleware
import csp.utils
import django.contrib.messages.middleware
import django.middleware.locale
from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.contrib.auth import logout
from django.contrib.messages.storage import default_storage
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template import loader
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject, empty
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from registry import observability

logger = logging.getLogger("enlace.request")

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_META = "HTTP_X_REQUEST_ID"
# A request id a proxy already gave the request is kept when it is short and plain.
_INCOMING_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def current_request_id() -> str:
    return _request_id.get()


class RequestIdLogFilter(logging.Filter):
    """Adds `request_id` to every log record ("-" outside a request), and the `user_id` and
    `route` of the request being answered (None outside one, or before they are known)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get()
        observability.annotate_record(record)
        return True


def client_ip(request) -> str | None:
    """REMOTE_ADDR, or behind ENLACE_TRUSTED_PROXY_COUNT proxies the address they saw."""
    proxies = getattr(settings, "ENLACE_TRUSTED_PROXY_COUNT", 0)
    remote = request.META.get("REMOTE_ADDR")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
        if addresses:
            return addresses[-min(proxies, len(addresses))]
    return remote


class RequestIdMiddleware:
    """Gives each request an id, answers it in X-Request-ID, counts it in the metrics
    (registry/observability.py) and logs one line per request. The line names the route (the
    URL pattern), not the path: a path may hold a password-reset token or an identifier."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get(REQUEST_ID_META, "")  # not request.headers: it copies every header
        request_id = incoming if _INCOMING_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = _request_id.set(request_id)
        observed = observability.start_request(request)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            seconds = time.perf_counter() - started
            observability.record_request(request, response.status_code, seconds)
            if logger.isEnabledFor(logging.INFO):
                logger.info(
                    "%s %s %s %.1fms",
                    request.method,
                    observability.route_of(request),
                    response.status_code,
                    seconds * 1000,
                    extra={
                        "method": request.method,
                        "status": response.status_code,
                        "duration_ms": round(seconds * 1000, 1),
                    },
                )
            return response
        finally:
            observability.end_request(observed)
            _request_id.reset(token)


# --- content security policy -------------------------------------------------------------

# What a view may set on its response to change its policy (django-csp's decorators).
_PER_RESPONSE_POLICY = (
    *("_csp_config", "_csp_update", "_csp_replace"),
    *("_csp_config_ro", "_csp_update_ro", "_csp_replace_ro"),
)


class CSPMiddleware(csp.middleware.CSPMiddleware):
    """django-csp's middleware, with the header of a response that uses neither a nonce nor a
    per-view change (every response of Enlace today: its policy has no nonce) built once from
    the settings instead of per response: django-csp rebuilds the same string for every
    request (a third of the floor's middleware time). The policy is rebuilt when the settings
    object changes (override_settings), and any response with a nonce or a decorator's
    change goes through django-csp unchanged."""

    _built: dict[bool, tuple[object, str]] = {}

    @classmethod
    def constant_policy(cls, report_only: bool) -> str:
        name = "CONTENT_SECURITY_POLICY_REPORT_ONLY" if report_only else "CONTENT_SECURITY_POLICY"
        source = getattr(settings, name, None)
        built = cls._built.get(report_only)
        if built is None or built[0] is not source:
            built = cls._built[report_only] = (source, csp.utils.build_policy(report_only=report_only))
        return built[1]

    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, name, None) is not None for name in _PER_RESPONSE_POLICY
        ):
            return super().process_response(request, response)
        if response.status_code in (500, 404) and settings.DEBUG:
            return response  # django-csp leaves the debug pages alone
        for report_only, header, exempt in (
            (False, csp.constants.HEADER, "_csp_exempt"),
            (True, csp.constants.HEADER_REPORT_ONLY, "_csp_exempt_ro"),
        ):
            policy = self.constant_policy(report_only)
            if not policy or header in response or getattr(response, exempt, False):
                continue
            name = "CONTENT_SECURITY_POLICY_REPORT_ONLY" if report_only else "CONTENT_SECURITY_POLICY"
            prefixes = (getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
            if not request.path_info.startswith(tuple(prefixes)):
                response[header] = policy
        # As django-csp does: a nonce asked for after the header is written is an error.
        request.csp_nonce = csp.middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response


# --- messages ------------------------------------------------------------------------------


class MessageMiddleware(django.contrib.messages.middleware.MessageMiddleware):
    """Django's message middleware, with the storage built when a view first adds or reads a
    message instead of for every request: the API and the health checks never do, and the
    three storages Django builds (fallback, cookie, session) cost the floor more than any
    other middleware but the policy header. A storage never built has nothing to store."""

    def process_request(self, request):
        request._messages = SimpleLazyObject(lambda: default_storage(request))

    def process_response(self, request, response):
        messages = request.__dict__.get("_messages")
        if isinstance(messages, SimpleLazyObject) and messages._wrapped is empty:
            return response
        return super().process_response(request, response)


# --- language ------------------------------------------------------------------------------


class LocaleMiddleware(django.middleware.locale.LocaleMiddleware):
    """Django's language choice (cookie, then Accept-Language, then LANGUAGE_CODE) for a site
    whose URLs carry no language prefix: Django's looks for a prefix in the path twice per
    request (and for the i18n_patterns that would need one) before it reads the cookie. With
    i18n_patterns in the URLconf it is Django's unchanged."""

    def __init__(self, get_response):
        super().__init__(get_response)
        self.prefixed = is_language_prefix_patterns_used(settings.ROOT_URLCONF)[0]

    def process_request(self, request):
        if self.prefixed or getattr(request, "urlconf", None):
            return super().process_request(request)
        translation.activate(translation.get_language_from_request(request, check_path=False))
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        if self.prefixed or getattr(request, "urlconf", None):
            return super().process_response(request, response)
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


# --- the audit trail's request ---------------------------------------------------------------


class HistoryRequestMiddleware:
    """django-simple-history's middleware (the request, for HistoricalRecords to name the user
    of every change), in the same place of the request, without the generator-based context
    manager it wraps every request in (a sixth of the floor's middleware time)."""

    def __init__(self, get_response):
        from simple_history.models import HistoricalRecords

        self.get_response = get_response
        self.context = HistoricalRecords.context

    def __call__(self, request):
        self.context.request = request
        try:
            return self.get_response(request)
        finally:
            with contextlib.suppress(AttributeError):
                del self.context.request


# --- database unavailable -----------------------------------------------------------------

DATABASE_DOWN_ERRORS = (OperationalError, InterfaceError)
# SQLite reports bad SQL as OperationalError too; of its messages only these mean "busy or gone".
SQLITE_UNAVAILABLE = ("locked", "unable to open", "disk i/o", "busy")


def is_database_unavailable(exc: BaseException | None) -> bool:
    """Connection refused, dropped or busy: worth a retry, unlike a bug in a query."""
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    if connection.vendor == "sqlite":
        return any(part in str(exc).lower() for part in SQLITE_UNAVAILABLE)
    return True


def database_unavailable_response(request=None) -> HttpResponse:
    """503 that says when to try again: JSON for the API, the site's 503 page for a web page.
    The broken connection is dropped so the next request opens a fresh one
    (CONN_HEALTH_CHECKS does the same at request start)."""
    with contextlib.suppress(DatabaseError):
        connection.close()
    message = _("The database is unavailable for a moment; try again shortly.")
    response = None
    if request is not None and not wants_json(request):
        response = render_without_database(request, "503.html", {"message": message}, status=503)
    if response is None:
        response = JsonResponse({"detail": message}, status=503)
    response["Retry-After"] = str(settings.ENLACE_DB_RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """A view (and its ATOMIC_REQUESTS transaction) that fails to reach the database
    answers 503 with Retry-After instead of a 500. Failures in other middleware reach
    `server_error` below, which does the same."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_database_unavailable(exception):
            logger.warning("database unavailable: %s", type(exception).__name__)
            return database_unavailable_response(request)
        return None


def wants_json(request) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def server_error(request, *args, **kwargs):
    """handler500: never a traceback, SQL or path; the request id to quote to support."""
    if is_database_unavailable(sys.exc_info()[1]):
        return database_unavailable_response(request)
    request_id = getattr(request, "request_id", current_request_id())
    message = _("Something went wrong on our side. Quote this request id when you report it: %(id)s") % {
        "id": request_id
    }
    if wants_json(request):
        return JsonResponse({"detail": message}, status=500)
    response = render_without_database(request, "500.html", {"request_id": request_id}, status=500)
    if response is None:  # the page itself broke: the plain sentence still reaches the user
        return HttpResponse(message, status=500, content_type="text/plain; charset=utf-8")
    return response


def render_without_database(request, template_name: str, context: dict, *, status: int) -> HttpResponse | None:
    """A page in the site's layout rendered without the request in its context: no context
    processors, user or session, so it shows while the database is what failed. None when
    the page itself cannot be rendered."""
    try:
        body = loader.get_template(template_name).render({**context, "csrf_token": get_token(request)})
    except Exception:
        logger.exception("the %s page could not be rendered", template_name)
        return None
    return HttpResponse(body, status=status)


def not_found(request, exception=None):
    """handler404: an API path that matches no route (an agency slug with a dot, say) answers
    in the API's JSON, as a route's own 404 does; other paths get the site's 404.html."""
    if wants_json(request):
        from rest_framework.exceptions import NotFound

        return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def permission_denied(request, exception=None):
    """handler403: the API's JSON under /api/, elsewhere 403.html in the site's layout with
    the reason and whom to ask."""
    if wants_json(request):
        from rest_framework.exceptions import PermissionDenied

        return JsonResponse({"detail": str(PermissionDenied.default_detail)}, status=403)
    from django.views.defaults import permission_denied as page

    return page(request, exception)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a form sent without a valid token gets a page in the site's layout
    and language saying what to do (the reason is logged by Django, not shown)."""
    if wants_json(request):
        return JsonResponse({"detail": _("CSRF check failed: reload the page and send the form again.")}, status=403)
    return render(request, "403_csrf.html", status=403)


# --- sessions -----------------------------------------------------------------------------

SESSION_ACTIVITY_KEY = "enlace_last_activity"


def now_seconds() -> float:
    """The clock the idle timeout reads (tests move it)."""
    return time.time()


def may_be_signed_in(request) -> bool:
    """Whether the middleware's user (Django's, read from the session) can be anyone but the
    anonymous user: not without a session cookie. Tested first, it spares a request without
    one (the API with a token, health checks, the public pages) loading its user twice."""
    if settings.SESSION_COOKIE_NAME in request.COOKIES or "_cached_user" in request.__dict__:
        return True
    user = request.__dict__.get("user")
    return user is not None and not isinstance(user, SimpleLazyObject)  # set by the caller itself


class IdleSessionTimeoutMiddleware:
    """A signed-in session unused for ENLACE_SESSION_IDLE_SECONDS ends (CJIS 5.5.5)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None) if may_be_signed_in(request) else None
        if user is not None and user.is_authenticated:
            now = now_seconds()
            last = request.session.get(SESSION_ACTIVITY_KEY)
            if last is not None and now - float(last) > settings.ENLACE_SESSION_IDLE_SECONDS:
                from registry.security_events import record_event

                record_event(request, "session-expired", user=user, username=user.get_username())
                logout(request)
            elif last is None or now - float(last) > 15:
                # Written at most every few seconds, so a page's many requests save the session once.
                request.session[SESSION_ACTIVITY_KEY] = now
        return self.get_response(request)


# --- second factor ------------------------------------------------------------------------

MFA_VERIFY_PATH = "/accounts/mfa/"
MFA_EXEMPT_PREFIXES = (
    "/accounts/mfa/",
    "/accounts/logout/",
    "/accounts/login/",
    "/static/",
    "/healthz",
    "/livez",
    "/i18n/",
    "/api/v1/auth/token/",
)


def mfa_required_for(user) -> bool:
    from registry.models import role_of

    return bool(settings.ENLACE_REQUIRE_MFA) and role_of(user) in settings.ENLACE_MFA_ROLES


class SecondFactorRequiredMiddleware:
    """Admin staff and coordinators signed in with a password alone may only reach the
    second-factor page until they give a TOTP code (or enrol one)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None) if may_be_signed_in(request) else None
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(MFA_EXEMPT_PREFIXES)
            and mfa_required_for(user)
            and not user.is_verified()
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"detail": _("Your role requires a second factor; sign in again with your one-time code.")},
                    status=403,
                )
            return HttpResponseRedirect(f"{MFA_VERIFY_PATH}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


# --- idempotent POSTs ---------------------------------------------------------------------

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_EXEMPT_PREFIXES = ("/api/v1/auth/", "/accounts/", "/admin/login/")
# Headers of the first answer worth giving back on a replay (never cookies).
REPLAYED_HEADERS = ("Content-Type", "Location", "ETag", "Content-Language")
# A request that has held its key longer than this without an answer died; a retry takes over.
ABANDONED_AFTER = timedelta(seconds=60)


def _principal(request) -> str:
    authorization = request.headers.get("Authorization", "")
    if authorization.startswith("Token "):
        from rest_framework.authtoken.models import Token

        user_id = Token.objects.filter(key=authorization[6:].strip()).values_list("user_id", flat=True).first()
        return f"user:{user_id}" if user_id else "anonymous"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return "anonymous"


def _detail(message: str, status: int, **headers) -> JsonResponse:
    response = JsonResponse({"detail": message}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


class IdempotencyMiddleware:
    """A POST with `Idempotency-Key` runs once per key and user: a retry with the same
    body gets the first (2xx) answer back with `Idempotent-Replayed: true`; the same key
    with another body or path answers 422; a retry while the first is still running
    answers 409 with Retry-After. Answers other than 2xx are not kept, so a retry after a
    refusal (throttled, invalid, database down) runs again."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method != "POST":
            return self.get_response(request)
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if not key or request.path.startswith(IDEMPOTENCY_EXEMPT_PREFIXES):
            return self.get_response(request)
        if len(key) > 255:
            return JsonResponse({IDEMPOTENCY_HEADER: [_("At most 255 characters.")]}, status=400)

        from registry.models import IdempotencyKey

        digest = hashlib.sha256()
        digest.update(request.get_full_path().encode())
        digest.update(b"\0")
        digest.update(request.body)
        body_hash = digest.hexdigest()
        principal = _principal(request)
        now = timezone.now()
        expires = now + timedelta(hours=settings.ENLACE_IDEMPOTENCY_TTL_HOURS)

        IdempotencyKey.objects.filter(principal=principal, key=key, expires_at__lt=now).delete()
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    key=key,
                    principal=principal,
                    method=request.method,
                    path=request.path[:2000],
                    body_hash=body_hash,
                    expires_at=expires,
                )
        except IntegrityError:
            record = IdempotencyKey.objects.filter(principal=principal, key=key).first()
            if record is None:  # the holder gave it up between our insert and this read
                return _detail(_("A request with this Idempotency-Key is being answered; retry."), 409, Retry_After="1")
            if record.body_hash != body_hash or record.method != request.method:
                return _detail(
                    _("This Idempotency-Key was already used for a different request."),
                    422,
                )
            if record.status_code is None:
                taken_over = IdempotencyKey.objects.filter(
                    pk=record.pk, status_code__isnull=True, created_at__lt=now - ABANDONED_AFTER
                ).update(created_at=now, expires_at=expires)
                if not taken_over:
                    return _detail(
                        _("A request with this Idempotency-Key is still being answered; retry shortly."),
                        409,
                        Retry_After="1",
                    )
            else:
                return self._replay(record)

        response = self.get_response(request)
        try:
            if 200 <= response.status_code < 300 and not response.streaming:
                IdempotencyKey.objects.filter(pk=record.pk).update(
                    status_code=response.status_code,
                    headers={name: response[name] for name in REPLAYED_HEADERS if response.has_header(name)},
                    body=bytes(response.content),
                )
            else:
                IdempotencyKey.objects.filter(pk=record.pk).delete()
        except DatabaseError:
            # The answer stands (its write is committed); a retry after the key's lapse may run again.
            logger.warning("could not store the answer for an Idempotency-Key")
        return response

    @staticmethod
    def _replay(record) -> HttpResponse:
        response = HttpResponse(bytes(record.body), status=record.status_code)
        for name, value in record.headers.items():
            response[name] = value
        response["Idempotent-Replayed"] = "true"
        return response
