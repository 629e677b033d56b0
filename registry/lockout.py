"""Failed sign-ins: the lock of one account at one address, and the throttle of an address
that fails across many accounts. One policy for every sign-in that goes through
`authenticate(request=...)`: the API token view, the web form and the admin's.

- Lock (django-axes, CJIS AC-7): AXES_FAILURE_LIMIT failures in a row for the pair
  (username, address), each within the cool-off of the previous, lock that pair, and only
  that pair, for AXES_COOLOFF_TIME (ENLACE_LOCKOUT_COOLOFF_MINUTES). Other accounts at the
  address, and the account at other addresses, are not affected. Admin staff release a lock
  earlier with the Axes admin pages or `axes_reset_username`, `axes_reset_ip`,
  `axes_reset_ip_username`.
- Throttle: an address with ENLACE_SIGNIN_THROTTLE_FAILURES failed sign-ins (any accounts)
  in ENLACE_SIGNIN_THROTTLE_WINDOW_SECONDS is refused with 429 and Retry-After, without a
  password being checked, until the window has slid past enough of them. Nothing is locked:
  it lifts by itself. Counted in the default cache (Redis, shared by every worker, whenever
  REDIS_URL is set) with two counters per address, like the API throttles.
"""

import math

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.db.models import Max
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from registry import middleware
from registry.api.throttles import increment_counter, sliding_window_wait

THROTTLE_KEY = "enlace:sign-in-failures:{address}:{window}"


def _address_counts(address: str) -> tuple[int, int, float, str]:
    """(previous window's failures, current window's, seconds into the current window, its key)."""
    duration = settings.ENLACE_SIGNIN_THROTTLE_WINDOW_SECONDS
    now = middleware.now_seconds()
    window = math.floor(now / duration)
    current_key = THROTTLE_KEY.format(address=address, window=window)
    previous_key = THROTTLE_KEY.format(address=address, window=window - 1)
    counts = cache.get_many([current_key, previous_key])
    return counts.get(previous_key, 0), counts.get(current_key, 0), now - window * duration, current_key


def address_retry_after(address: str | None) -> int | None:
    """Seconds before `address` may try to sign in again, or None when it may now."""
    if not address:
        return None
    limit = settings.ENLACE_SIGNIN_THROTTLE_FAILURES
    duration = settings.ENLACE_SIGNIN_THROTTLE_WINDOW_SECONDS
    previous, current, elapsed, _key = _address_counts(address)
    # One more failure fits: previous × (duration - elapsed) / duration + current + 1 ≤ limit.
    if previous * (duration - elapsed) + (current + 1) * duration <= limit * duration:
        return None
    return max(1, math.ceil(sliding_window_wait(previous, current, limit, duration, elapsed)))


def count_address_failure(address: str | None) -> None:
    if address:
        *_counts, key = _address_counts(address)
        increment_counter(cache, key, 2 * settings.ENLACE_SIGNIN_THROTTLE_WINDOW_SECONDS)


class PairLockHandler(AxesDatabaseHandler):
    """django-axes' database handler (which locks the pair of AXES_LOCKOUT_PARAMETERS), with
    the address throttle in front of it."""

    def is_allowed(self, request, credentials: dict | None = None) -> bool:
        if not self.is_whitelisted(request, credentials):
            retry_after = address_retry_after(request.axes_ip_address)
            if retry_after is not None:
                request.enlace_retry_after = retry_after
                request.axes_locked_out = True  # so that AxesMiddleware answers with lockout_response
                return False
        return super().is_allowed(request, credentials)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if request is None:
            return super().user_login_failed(sender, credentials, request, **kwargs)
        if getattr(request, "enlace_retry_after", None) is not None:
            return None  # refused by the throttle before any password was checked: not a guess
        # A pair already locked is refused before its password is checked: not a guess either.
        already_locked = request.axes_locked_out
        super().user_login_failed(sender, credentials, request, **kwargs)
        if not already_locked and not self.is_whitelisted(request, credentials):
            count_address_failure(request.axes_ip_address)
        return None


def lock_retry_after(request, credentials: dict | None) -> int | None:
    """Seconds until the lock of this request's pair expires (None without a cool-off)."""
    cool_off = get_cool_off(request)
    if cool_off is None:
        return None
    handler = AxesProxyHandler.get_implementation()
    latest = None
    for attempts in handler.filter_user_attempts(request, credentials):
        time = attempts.aggregate(latest=Max("attempt_time"))["latest"]
        if time is not None and (latest is None or time > latest):
            latest = time
    if latest is None:
        return None
    return max(1, math.ceil((latest + cool_off - timezone.now()).total_seconds()))


def _minutes(seconds: int) -> int:
    return max(1, math.ceil(seconds / 60))


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """What a throttled address (429) or a locked pair (403) sees, in the user's language:
    JSON under /api/ (or when JSON is asked for), the sign-in page otherwise. Retry-After
    says when to try again; no CORS header (unlike Axes' default)."""
    retry_after = getattr(request, "enlace_retry_after", None)
    if retry_after is not None:
        status = 429
        message = ngettext(
            "Too many failed sign-ins from your network address. Try again in %(minutes)d minute.",
            "Too many failed sign-ins from your network address. Try again in %(minutes)d minutes.",
            _minutes(retry_after),
        ) % {"minutes": _minutes(retry_after)}
    else:
        status = 403
        retry_after = lock_retry_after(request, credentials)
        if retry_after is None:
            message = _(
                "Too many failed sign-ins: this account is locked at this address. "
                "Ask the Enlace admin staff to release it."
            )
        else:
            message = ngettext(
                "Too many failed sign-ins: this account is locked at this address for %(minutes)d minute. "
                "Wait, or ask the Enlace admin staff to release it.",
                "Too many failed sign-ins: this account is locked at this address for %(minutes)d minutes. "
                "Wait, or ask the Enlace admin staff to release it.",
                _minutes(retry_after),
            ) % {"minutes": _minutes(retry_after)}
    if middleware.wants_json(request):
        response = JsonResponse({"detail": message}, status=status)
    else:
        username = get_client_username(request, credentials) or ""
        form = AuthenticationForm(request, initial={"username": username})
        context = {"form": form, "refusal": message, "next": request.POST.get("next", "")}
        response = render(request, "registration/login.html", context, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response
