"""System checks of Enlace's own settings."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def site_url_is_known(app_configs, **kwargs):
    """E-mails link to pages by full address: without one, `check --deploy` fails."""
    if settings.ENLACE_SITE_URL:
        return []
    return [
        Error(
            "ENLACE_SITE_URL is not set and DJANGO_ALLOWED_HOSTS names no host: e-mails cannot link to the site.",
            hint="Set ENLACE_SITE_URL to the address people open Enlace at, such as https://enlace.example.gov.",
            id="enlace.E001",
        )
    ]
