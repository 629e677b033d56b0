"""ENLACE_SITE_URL: the address e-mails link to (issue 16). Production without it falls back to
the first allowed host; with neither, `check --deploy` fails; a value that is no address stops
the start."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from registry.checks import site_url_is_known
from registry.settings import site_url


def test_the_site_url_is_set_or_falls_back_to_the_first_allowed_host():
    given = {"ENLACE_SITE_URL": "https://enlace.example.gov/"}
    assert site_url(given, debug=False, allowed_hosts=["x"]) == "https://enlace.example.gov"
    assert site_url({"ENLACE_BASE_URL": "https://old.example.gov"}, debug=False, allowed_hosts=[]) == (
        "https://old.example.gov"
    )
    fallback = site_url({}, debug=False, allowed_hosts=[".example.gov", "*", "enlace.example.mx"])
    assert fallback == "https://enlace.example.mx"
    assert site_url({}, debug=True, allowed_hosts=[]) == "http://localhost:8000"
    assert site_url({}, debug=False, allowed_hosts=[".example.gov"]) == ""


@pytest.mark.parametrize("value", ["enlace.example.gov", "ftp://enlace.example.gov", "https://x.gov/?a=1"])
def test_a_site_url_that_is_no_address_stops_the_start(value):
    with pytest.raises(ImproperlyConfigured, match="ENLACE_SITE_URL must be the site's address"):
        site_url({"ENLACE_SITE_URL": value}, debug=False, allowed_hosts=["x"])


def test_no_site_url_at_all_fails_the_deploy_check(settings):
    settings.ENLACE_SITE_URL = ""
    with pytest.raises(SystemCheckError, match=r"enlace\.E001"):
        call_command("check", "--deploy", "--tag", "security")
    settings.ENLACE_SITE_URL = "https://enlace.example.gov"
    assert site_url_is_known(None) == []
