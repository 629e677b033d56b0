"""Which sources are primary: the rule of agencies/data/README.md ("Primary and secondary
sources"), shared by the loader, the pages and the API.

A URL is *official* when its host is a government's (.gov, .mil, .gob.mx and their
subdomains) or one of OWN_SITES: the own site of a body the catalog lists, or of an
intergovernmental body, that is not under those suffixes. A URL is *primary* when it is
official and the source citing it is one of the body's own statements, a statute or decree,
or an intergovernmental body's page (sources.csv → kind `primary`). Everything else is
secondary: press, mirrors, aggregators, and official-domain analyses such as GAO or CRS
reports (sources.csv → kind `secondary`).
"""

from urllib.parse import urlsplit

from django.db import models
from django.utils.translation import gettext_lazy as _

OFFICIAL_SUFFIXES = ("gov", "mil", "gob.mx")
OWN_SITES = frozenset(
    {
        "fgr.org.mx",  # the Fiscalía General de la República's own site
        "interpol.int",
        "oas.org",
        "un.org",
        "unodc.org",
        "iso.org",  # publisher of the ISO 3166 codes the jurisdictions use
    }
)
# Official domains whose pages analyse others' work rather than state a body's own facts.
SECONDARY_OFFICIAL = frozenset({"gao.gov", "crsreports.congress.gov", "voa.gov"})


class SourceKind(models.TextChoices):
    PRIMARY = "primary", _("Primary source")
    SECONDARY = "secondary", _("Secondary source")


def host(url: str) -> str:
    name = (urlsplit(url).hostname or "").lower().rstrip(".")
    return name.removeprefix("www.")


def _under(name: str, domains) -> bool:
    return any(name == domain or name.endswith(f".{domain}") for domain in domains)


def is_official(url: str) -> bool:
    name = host(url)
    return bool(name) and (_under(name, OFFICIAL_SUFFIXES) or _under(name, OWN_SITES))


def kind_of_url(url: str, source_kind: str | None = None) -> str:
    """The kind of one URL: primary only if official and (when known) cited by a primary source.

    Without a source kind (a URL an editor typed, absent from the reference sources), an
    official URL outside SECONDARY_OFFICIAL counts as primary."""
    if not is_official(url):
        return SourceKind.SECONDARY
    if source_kind is None:
        return SourceKind.SECONDARY if _under(host(url), SECONDARY_OFFICIAL) else SourceKind.PRIMARY
    return SourceKind.PRIMARY if source_kind == SourceKind.PRIMARY else SourceKind.SECONDARY
