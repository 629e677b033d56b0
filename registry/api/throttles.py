"""API throttling: anonymous callers by address, signed-in users by account. Rates come
from settings (ENLACE_THROTTLE_RATES, read on every request so tests and operators can
change them); counts live in the default cache — Redis, shared by all workers, whenever
REDIS_URL is set. A throttled request answers 429 with Retry-After."""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class SettingsRateMixin:
    def get_rate(self):
        return settings.ENLACE_THROTTLE_RATES.get(self.scope)


class AnonymousRateThrottle(SettingsRateMixin, AnonRateThrottle):
    scope = "anon"


class SignedInRateThrottle(SettingsRateMixin, UserRateThrottle):
    scope = "user"
