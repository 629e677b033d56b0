"""registry/api/formats.py: the URL pattern the OpenAPI document states is exactly what the
API's URL fields accept, and since/until read RFC 3339 exactly (the JSON Schema formats)."""

import datetime
import re

import jsonschema_rs
import pytest
from django.core.validators import URLValidator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from registry.api.formats import URL_PATTERN, URLField, parse_date, parse_date_time

PATTERN = jsonschema_rs.validator_for({"type": "string", "pattern": URL_PATTERN})
DATE_TIME = jsonschema_rs.validator_for({"type": "string", "format": "date-time"}, validate_formats=True)
DATE = jsonschema_rs.validator_for({"type": "string", "format": "date"}, validate_formats=True)


def accepted(value) -> bool:
    try:
        URLField().run_validation(value)
    except serializers.ValidationError:
        return False
    URLValidator()(value)  # the model's own check (full_clean) takes it too
    return True


@settings(max_examples=300, suppress_health_check=list(HealthCheck), deadline=None)
@given(st.from_regex(re.compile(URL_PATTERN), fullmatch=True))
def test_every_url_the_pattern_matches_is_accepted(value):
    assert PATTERN.is_valid(value)  # the pattern reads the same in a JSON Schema validator
    assert accepted(value)


@pytest.mark.parametrize(
    "value",
    [
        "https://www.atf.gov/",
        "HTTP://WWW.GOB.MX/fgr/acciones?año=2026#inicio",
        "https://www.policía.gob.mx/",
        "ftp://ftp.example.org:2121/x",
        "http://localhost:8000/",
        "http://192.168.0.1/",
    ],
)
def test_official_addresses_are_accepted_and_matched(value):
    assert PATTERN.is_valid(value)
    assert accepted(value)


@pytest.mark.parametrize(
    "value",
    [
        "javascript:alert(1)",
        "mailto:x@example.org",
        "https://user:secret@www.atf.gov/",  # credentials: no source needs them
        "http://[::1]/",
        "https://www.atf.gov/a b",
        " https://www.atf.gov/",
        "https://www.atf.gov/\n",
        "https://a.b1/",
        "https://-atf.gov/",
        "https://www.atf\uff0fgov/",  # becomes "/" under NFKC: Python's urlsplit refuses it
        "https://" + "a" * 60 + ("." + "b" * 60) * 4 + ".gov/",  # a host over 253 characters
        "https://www.atf.gov/\x00",
    ],
)
def test_what_the_pattern_refuses_the_api_refuses(value):
    assert not PATTERN.is_valid(value)
    with pytest.raises(serializers.ValidationError):
        URLField().run_validation(value)


@settings(max_examples=2000, suppress_health_check=list(HealthCheck), deadline=None)
@given(
    st.from_regex(
        r"[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{0,8})?([Zz]|[+-][0-9]{2}:[0-9]{2})?)?",
        fullmatch=True,
    )
    | st.text(max_size=30)
)
def test_times_are_read_as_json_schema_reads_them(value):
    assert (parse_date_time(value) is not None) == DATE_TIME.is_valid(value)
    assert (parse_date(value) is not None) == DATE.is_valid(value)


def test_times_at_the_edges_are_bounds_not_errors():
    utc = datetime.UTC
    assert parse_date_time("1990-12-31T15:59:60-08:00") == datetime.datetime(1990, 12, 31, 23, 59, 59, 999999, utc)
    assert parse_date_time("0000-01-01T00:00:00Z") == datetime.datetime.min.replace(tzinfo=utc)
    assert parse_date_time("9999-12-31T23:59:59-01:00") == datetime.datetime.max.replace(tzinfo=utc)
    assert parse_date_time("2026-01-31T08:00:00+02:00") == datetime.datetime(2026, 1, 31, 6, tzinfo=utc)
    loose_forms = ("20260131", "2026-W05-1", "2026-01-31", "2026-01-31T08:00:00", "2026-01-31 08:00:00Z")  # any-date
    for loose in loose_forms:
        assert parse_date_time(loose) is None
