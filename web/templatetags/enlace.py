"""Small template helpers for Enlace's pages."""

import datetime
import zoneinfo

import phonenumbers
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


def _phone_number(value) -> phonenumbers.PhoneNumber | None:
    """A stored phone (a PhoneNumber, or E.164 text) parsed, or None when it is not a number."""
    if not value:
        return None
    if isinstance(value, phonenumbers.PhoneNumber):
        return value
    try:
        return phonenumbers.parse(str(value), None)
    except phonenumbers.NumberParseException:
        return None


@register.filter
def phone(value) -> str:
    """A phone number as people write it, country code first: `+52 55 5555 0132`,
    `+1 915-555-0101` (the stored E.164 `+525555550132` is hard to read out and to check)."""
    number = _phone_number(value)
    if number is None:
        return str(value or "")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@register.filter
def tel(value) -> str:
    """The `tel:` URI (RFC 3966) a phone taps to call: `tel:+52-55-5555-0132`."""
    number = _phone_number(value)
    if number is None:
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.RFC3966)
