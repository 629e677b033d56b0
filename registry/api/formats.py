"""The string formats the API reads, each stated once so that the serializer field that checks
it and the OpenAPI document that states it cannot disagree.

URLs: Django's URLValidator, spelled as one pattern a JSON Schema validator reads (no flags,
no lookbehind), less the forms no source of an official website needs (credentials, IPv6
literals) and the host characters Python's URL parser refuses. The API checks the pattern
as well as Django's validator, so a URL the pattern matches is accepted and one it does not
match is refused.

Times: RFC 3339 exactly (the "date-time" and "date" formats of JSON Schema), not the looser
ISO 8601 forms Python also parses (`20260131`, `2026-W05`, a date-only value as a date-time).
"""

import calendar
import datetime
import re
import unicodedata

import django_filters
from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.core.validators import URLValidator
from django.utils.http import MAX_URL_LENGTH
from django.utils.translation import gettext_lazy
from rest_framework import serializers
from rest_framework.relations import MANY_RELATION_KWARGS

# --------------------------------------------------------------------------------------- strings


class TextOnly:
    """A string field that takes only a JSON string. DRF's string fields also take a number and
    turn it into text (`"name": 0` saved "0"): the OpenAPI document says `string`, so the API
    refuses what the document calls invalid."""

    default_error_messages = {"not_text": gettext_lazy("Give text (a JSON string), not a number or another type.")}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_text")
        return super().to_internal_value(data)


class StringField(TextOnly, serializers.CharField):
    pass


class SlugField(TextOnly, serializers.SlugField):
    pass


class EmailField(TextOnly, serializers.EmailField):
    pass


class ListOnly:
    """A list field that takes only a JSON array. DRF's list-like fields take anything they can
    iterate, so `"languages": {}` was read as no language and `{"en": 1}` as English: the
    OpenAPI document says `array`. (A form's repeated keys arrive as a list.)"""

    def to_internal_value(self, data):
        if not isinstance(data, list | tuple):
            self.fail("not_a_list", input_type=type(data).__name__)
        return super().to_internal_value(data)


class MultipleChoiceField(ListOnly, serializers.MultipleChoiceField):
    pass


class ManyRelatedField(ListOnly, serializers.ManyRelatedField):
    pass


class IdentifierRelatedField(TextOnly, serializers.SlugRelatedField):
    """A related object written by its public identifier (a slug, a code): only as text, so
    `"function": 0` is refused rather than looked up as the slug "0"; many of them only as a
    list."""

    @classmethod
    def many_init(cls, *args, **kwargs):
        many_kwargs = {key: value for key, value in kwargs.items() if key in MANY_RELATION_KWARGS}
        return ManyRelatedField(child_relation=cls(*args, **kwargs), **many_kwargs)


def slug_field(queryset, **kwargs) -> IdentifierRelatedField:
    return IdentifierRelatedField(slug_field="slug", queryset=queryset, **kwargs)


def code_field(queryset, **kwargs) -> IdentifierRelatedField:
    return IdentifierRelatedField(slug_field="code", queryset=queryset, **kwargs)


# ------------------------------------------------------------------------------------------ URLs


def _escape(character: str) -> str:
    return f"\\u{ord(character):04x}"


# What Python's `\s` matches in a str (Django's path part is `[^\s]*`), spelled out: JSON Schema
# validators read `\s` by ECMA 262, which differs at the edges (\x1c-\x1f, \ufeff).
_WHITESPACE = "".join(_escape(c) for c in map(chr, range(0x10000)) if re.match(r"\s", c))
# Host characters urlsplit refuses (they become / ? # @ : under NFKC), and the one whose lower
# case is longer (the host is measured lower-cased).
_BAD_HOST_CODES = {
    code
    for code in range(0xA1, 0x10000)
    if not 0xD800 <= code <= 0xDFFF
    and (any(mark in unicodedata.normalize("NFKC", chr(code)) for mark in "/?#@:") or len(chr(code).lower()) != 1)
}


def _ranges_without(low: int, high: int, excluded: set[int]) -> str:
    """The class body for low..high less the excluded code points, as \\u ranges."""
    parts, start = [], None
    for code in range(low, high + 2):
        inside = code <= high and code not in excluded
        if inside and start is None:
            start = code
        elif not inside and start is not None:
            end = code - 1
            parts.append(f"\\u{start:04x}" if start == end else f"\\u{start:04x}-\\u{end:04x}")
            start = None
    return "".join(parts)


# Django's "Unicode letters" range (\u00a1-\uffff), less those.
_UNICODE = _ranges_without(0xA1, 0xFFFF, _BAD_HOST_CODES)
_LABEL_CHARACTER = f"a-zA-Z0-9{_UNICODE}"
_TLD_CHARACTER = f"a-zA-Z{_UNICODE}"
_IPV4 = (
    r"(?:0|25[0-5]|2[0-4][0-9]|1[0-9]?[0-9]?|[1-9][0-9]?)"
    r"(?:\.(?:0|25[0-5]|2[0-4][0-9]|1[0-9]?[0-9]?|[1-9][0-9]?)){3}"
)
_HOSTNAME = f"[{_LABEL_CHARACTER}](?:[{_LABEL_CHARACTER}-]{{0,61}}[{_LABEL_CHARACTER}])?"
_DOMAIN = f"(?:\\.[{_LABEL_CHARACTER}](?:[{_LABEL_CHARACTER}-]{{0,61}}[{_LABEL_CHARACTER}])?)*"
_TLD = f"\\.(?:[{_TLD_CHARACTER}](?:[{_TLD_CHARACTER}-]{{0,61}}[{_TLD_CHARACTER}])|[xX][nN]--[a-zA-Z0-9]{{1,59}})\\.?"
_HOST = f"(?:{_HOSTNAME}{_DOMAIN}{_TLD}|[lL][oO][cC][aA][lL][hH][oO][sS][tT])"

URL_PATTERN = (
    "^(?:[hH][tT][tT][pP][sS]?|[fF][tT][pP][sS]?)://"  # the schemes URLValidator takes
    "(?![^:/?#]{254})"  # a host of at most 253 characters (RFC 1034)
    f"(?:{_IPV4}|{_HOST})"
    "(?::[0-9]{1,5})?"  # port
    f"(?:[/?#][^{_WHITESPACE}\\u0000]*)?$"  # path, query, fragment: no whitespace, no NUL
)
URL_DESCRIPTION = "An http, https, ftp or ftps URL with a host name or IPv4 address (no credentials)"
_URL_RE = re.compile(URL_PATTERN)


class URLPatternValidator:
    message = gettext_lazy("Enter a valid URL.")
    code = "invalid"

    def __call__(self, value):
        if not isinstance(value, str) or _URL_RE.fullmatch(value) is None:
            raise serializers.ValidationError(self.message, code=self.code)

    def __eq__(self, other):
        return isinstance(other, URLPatternValidator)


class URLField(TextOnly, serializers.URLField):
    """DRF's URLField (Django's URLValidator), and the pattern the OpenAPI document states."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", MAX_URL_LENGTH)
        kwargs.setdefault("trim_whitespace", False)  # " https://…" is refused, as the pattern says
        super().__init__(**kwargs)
        self.validators.append(URLPatternValidator())


if URLValidator.schemes != ["http", "https", "ftp", "ftps"]:  # the schemes URL_PATTERN spells
    raise ImproperlyConfigured("Django's URLValidator takes other schemes now: update URL_PATTERN.")


# ------------------------------------------------------------------------------------------ times

_DATE = r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
_DATE_RE = re.compile(_DATE)
_DATE_TIME_RE = re.compile(
    _DATE + r"[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))"
)
_EARLIEST = datetime.datetime.min.replace(tzinfo=datetime.UTC)
_LATEST = datetime.datetime.max.replace(tzinfo=datetime.UTC)


def _valid_day(year: int, month: int, day: int) -> bool:
    if not 1 <= month <= 12:
        return False
    days = [31, 29 if calendar.isleap(year) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return 1 <= day <= days


def parse_day(value: str) -> datetime.date | None:
    """An RFC 3339 full-date; None if it is not one. Year 0 reads as Python's first day."""
    match = _DATE_RE.fullmatch(value)
    if match is None:
        return None
    year, month, day = (int(part) for part in match.groups())
    if not _valid_day(year, month, day):
        return None
    if year == 0:  # a valid date before Python's first: earlier than any record
        return datetime.date.min
    return datetime.date(year, month, day)


def parse_date(value: str) -> datetime.datetime | None:
    """An RFC 3339 full-date as the start of that day in UTC; None if it is not one."""
    day = parse_day(value)
    return None if day is None else datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)


def parse_date_time(value: str) -> datetime.datetime | None:
    """An RFC 3339 date-time, in UTC; None if it is not one. A leap second reads as the last
    microsecond before it; a moment outside Python's years as the first or last there is."""
    match = _DATE_TIME_RE.fullmatch(value)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    fraction, zulu, sign, offset_hour, offset_minute = match.groups()[6:]
    if not _valid_day(year, month, day) or hour > 23 or minute > 59 or second > 60:
        return None
    offset = datetime.timedelta(0)
    if not zulu:
        if int(offset_hour) > 23 or int(offset_minute) > 59:
            return None
        offset = datetime.timedelta(hours=int(offset_hour), minutes=int(offset_minute))
        offset = -offset if sign == "-" else offset
    # Minutes since midnight UTC, to check that a leap second falls at 23:59:60 UTC.
    utc_minute = (hour * 60 + minute - offset.total_seconds() // 60) % (24 * 60)
    if second == 60 and utc_minute != 23 * 60 + 59:
        return None
    microsecond = int((fraction or "0")[:6].ljust(6, "0"))
    if second == 60:
        second, microsecond = 59, 999999
    # Count from year 1 so that year 0 and the offsets at either end need no special case.
    local = datetime.datetime(2000 if year == 0 else year, month, day, hour, minute, second, microsecond)
    try:
        if year == 0:
            raise OverflowError
        return (local - offset).replace(tzinfo=datetime.UTC)
    except OverflowError:
        return _EARLIEST if year < 5000 else _LATEST


class DateTimeField(serializers.Field):
    """A moment in RFC 3339 form (the "date-time" format), e.g. 2026-01-31T08:00:00Z."""

    default_error_messages = {
        "invalid": gettext_lazy("Give a date and time in RFC 3339 form, e.g. 2026-01-31T08:00:00Z."),
    }

    def validate_empty_values(self, data):
        if data == "":  # an empty filter is no filter, as everywhere in the API
            return (True, None)
        return super().validate_empty_values(data)

    def to_internal_value(self, data):
        moment = parse_date_time(data) if isinstance(data, str) else None
        if moment is None:
            self.fail("invalid")
        return moment

    def to_representation(self, value):
        return value.isoformat()


class DateOrDateTimeField(DateTimeField):
    """A day (the "date" format: from its start, UTC) or a moment (the "date-time" format)."""

    default_error_messages = {
        "invalid": gettext_lazy("Give a date (2026-01-31) or a date and time (2026-01-31T08:00:00Z)."),
    }

    def to_internal_value(self, data):
        moment = (parse_date(data) or parse_date_time(data)) if isinstance(data, str) else None
        if moment is None:
            self.fail("invalid")
        return moment


class DayFormField(forms.DateField):
    """A filter's day in RFC 3339 form only (the "date" format), not every form Django reads."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        day = parse_day(value) if isinstance(value, str) else None
        if day is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return day


class DayFilter(django_filters.DateFilter):
    field_class = DayFormField


DATE_OR_DATE_TIME_SCHEMA = {
    "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}],
}
