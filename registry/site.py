"""Full addresses of Enlace's pages, for what is read outside a browser (e-mails)."""

from django.conf import settings


def absolute_url(path: str) -> str:
    """`/flags/?flag=158` → `https://enlace.example.gov/flags/?flag=158` (ENLACE_SITE_URL)."""
    return f"{settings.ENLACE_SITE_URL.rstrip('/')}{path}"
