"""Settings for the test suite: the real settings, with a throwaway secret key and a fast
password hasher. The database still comes from DATABASE_URL (PostgreSQL in CI)."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-suite-only-secret-key-not-for-any-deployment-0123456789")
# E-mails link by full address (registry/site.py); the tests read these links.
os.environ.setdefault("ENLACE_SITE_URL", "https://enlace.example.gov")

from registry.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Other suites sign in with Client.login() (no request, which django-axes needs) and make
# many requests; the security suite turns these on where it tests them.
AXES_ENABLED = False
ENLACE_REQUIRE_MFA = False
ENLACE_THROTTLE_RATES = {"anon": "100000/minute", "user": "100000/minute"}
# The test client speaks plain HTTP; production redirects to HTTPS (tests/security check it).
SECURE_SSL_REDIRECT = False
