"""API throttling: anonymous callers by address, signed-in users by account. Rates come
from settings (ENLACE_THROTTLE_RATES, read on every request so tests and operators can
change them); counts live in the default cache — Redis, shared by all workers, whenever
REDIS_URL is set. A throttled request answers 429 with Retry-After.

DRF's own throttle keeps, per caller, the list of the timestamps of every request in the
window, reads it and writes it back whole on each request: its cost grows with the rate
(a 1,200/minute allowance is a list of up to 1,200 floats pickled twice per request), and
two workers that read the list at the same moment both write back their own copy, so
concurrent requests are undercounted. These throttles keep two counters per caller
instead (the current window's and the previous one's), raised with the cache's atomic
increment, and estimate the requests of the last window the way a sliding log would:
previous × (share of the previous window still inside the last `duration` seconds) +
current. Constant cost per request, nothing lost between workers, no burst of twice the
rate at a window's edge. A refused request is not counted (as with DRF's throttles), so a
caller that waits `Retry-After` seconds is served again.
"""

import math

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


def increment_counter(cache, key: str, timeout: int) -> int:
    try:
        return cache.incr(key)
    except ValueError:  # no counter yet in this window
        if cache.add(key, 1, timeout):
            return 1
        return cache.incr(key)  # another worker created it in between


def sliding_window_wait(previous: int, current: int, limit: int, duration: float, elapsed: float) -> float:
    """Seconds until one more event fits (previous × (duration - elapsed) / duration +
    current + 1 ≤ limit), if none comes meanwhile; `elapsed` is the time into the current
    window. Also used by the sign-in throttle of an address (registry/lockout.py)."""
    if current + 1 <= limit and previous:
        # Still in this window, once enough of the previous one has slid out.
        later = duration * (previous + current + 1 - limit) / previous - elapsed
        if later < duration - elapsed:
            return max(later, 0.0)
    # In the next window, where this window's count becomes the previous one.
    into_next = duration * (current + 1 - limit) / current if current else 0.0
    return (duration - elapsed) + max(into_next, 0.0)


class SlidingWindowCounterMixin:
    """Replaces SimpleRateThrottle's history list by two counters (see the module); uses its
    parse_rate, timer and cache."""

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        now = self.timer()
        window = math.floor(now / self.duration)
        current_key, previous_key = f"{self.key}:{window}", f"{self.key}:{window - 1}"
        # Counters live two windows: the current one, then as the "previous" of the next.
        current = increment_counter(self.cache, current_key, 2 * self.duration)
        previous = self.cache.get(previous_key, 0)
        self.elapsed = now - window * self.duration
        # previous × (duration - elapsed) / duration + current ≤ limit, without the division
        # (whole seconds then compare exactly).
        if previous * (self.duration - self.elapsed) + current * self.duration <= self.num_requests * self.duration:
            return True
        self.cache.decr(current_key)  # the refused request does not count against the caller
        self.counts = (previous, current - 1)
        return self.throttle_failure()

    def wait(self):
        """Seconds until one more request fits, if the caller sends nothing meanwhile."""
        previous, current = self.counts
        return sliding_window_wait(previous, current, self.num_requests, self.duration, self.elapsed)


class SettingsRateMixin:
    def get_rate(self):
        return settings.ENLACE_THROTTLE_RATES.get(self.scope)


class AnonymousRateThrottle(SettingsRateMixin, SlidingWindowCounterMixin, AnonRateThrottle):
    scope = "anon"


class SignedInRateThrottle(SettingsRateMixin, SlidingWindowCounterMixin, UserRateThrottle):
    scope = "user"
