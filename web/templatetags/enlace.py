"""Small template helpers for Enlace's pages."""

import datetime
import zoneinfo

from django import template
from django.utils import timezone

from registry.models import Role, role_of

register = template.Library()


@register.filter
def role(user) -> str:
    """The role of the request user, anonymous included (`public`); `public` too on a page
    rendered without a request (the 500 page, which must not need the database)."""
    if not hasattr(user, "is_authenticated"):
        return Role.PUBLIC
    return role_of(user)


@register.filter
def local_time(time_zone: str) -> str:
    """The time now in an IANA time zone, as HH:MM, or "" when unknown."""
    if not time_zone:
        return ""
    try:
        zone = zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return ""
    return timezone.now().astimezone(zone).strftime("%H:%M")


@register.filter
def as_date(value) -> datetime.date | None:
    return value.date() if isinstance(value, datetime.datetime) else value


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None
