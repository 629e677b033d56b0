"""Settings for the test suite: the real settings, with a throwaway secret key and a fast
password hasher. The database still comes from DATABASE_URL (PostgreSQL in CI)."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-suite-only-secret-key-not-for-any-deployment-0123456789")

from registry.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
