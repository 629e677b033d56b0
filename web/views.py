"""The public and catalog pages: home, search, agency, counterparts, jurisdictions,
coverage, open data and metrics. Cases, action items and flags are in views_cases.py."""

import datetime

from django.conf import settings
from django.contrib.auth.views import LoginView, redirect_to_login
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from agencies.cache import catalog_cache_key
from agencies.models import Agency, AgencyName, Contact, FunctionalArea, Jurisdiction, Office
from agencies.selectors import agency_search, contact_search, counterparts_for, first_counterparts, office_search
from registry.models import Role, role_of
from web import selectors
from web.forms import CounterpartFinderForm
from web.vcard import contact_vcard

LIVE_LIMIT = 6
PAGE_LIMIT = 50
COUNTERPARTS_PER_PAGE = 25
COVERAGE_CACHE_SECONDS = 60


def may_see_contacts(user) -> bool:
    """Points of contact are personal data: signed-in officials with a role only."""
    return role_of(user) != Role.PUBLIC


class SignInView(LoginView):
    """Django's sign-in; an account's preferred language applies when the browser has not chosen one."""

    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        language = form.get_user().language
        if settings.LANGUAGE_COOKIE_NAME not in self.request.COOKIES and language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE or "Lax",
                secure=settings.LANGUAGE_COOKIE_SECURE,
            )
        return response


@require_GET
def home(request):
    # The national bodies (federal, binational, international) by country; the state and
    # municipal ones (thousands at national scale) are counted and found by the search.
    national_levels = [Agency.Level.FEDERAL, Agency.Level.BINATIONAL, Agency.Level.INTERNATIONAL]
    active = Agency.objects.filter(active=True)
    agencies = (
        active.filter(level__in=national_levels)
        .select_related("country")
        .only("slug", "acronym", "name", "name_es", "level", "country__code", "country__name", "country__name_es")
        .order_by("country__code", "acronym", "name")
    )
    groups: dict[str, dict] = {}
    for agency in agencies:
        key = agency.country.code if agency.country_id else ""
        if key not in groups:
            label = agency.country.display_name if agency.country_id else _("Binational and international bodies")
            groups[key] = {"label": label, "code": key, "agencies": [], "others": 0}
        groups[key]["agencies"].append(agency)
    others = active.exclude(level__in=national_levels).filter(country__isnull=False)
    for code, count in others.order_by().values_list("country__code").annotate(count=Count("id")):
        groups.setdefault(code, {"label": code, "code": code, "agencies": [], "others": 0})["others"] = count
    ordered = [groups[k] for k in sorted(groups, key=lambda k: (k == "", k))]
    for group in ordered:
        group["agencies"].sort(key=lambda agency: (agency.acronym or agency.display_name).casefold())
    return render(
        request,
        "web/home.html",
        {
            "section": "home",
            "agency_groups": ordered,
            "finder": CounterpartFinderForm(initial=_finder_initial(request)),
        },
    )


def search_results(request, query: str, limit: int) -> dict:
    other_names = Prefetch("other_names", queryset=AgencyName.objects.order_by("kind", "name"))
    agencies = list(
        agency_search(Agency.objects.select_related("country").prefetch_related(other_names), query)[:limit]
    )
    offices = list(
        office_search(Office.objects.select_related("agency", "jurisdiction"), query).order_by("name")[:limit]
    )
    contacts = []
    if may_see_contacts(request.user):
        contacts = list(contact_search(Contact.objects.select_related("agency"), query).order_by("name")[:limit])
    return {"agencies": agencies, "offices": offices, "contacts": contacts}


@require_GET
def search(request):
    query = request.GET.get("q", "").strip()[:200]
    partial = request.GET.get("partial") == "1"
    results = search_results(request, query, LIVE_LIMIT if partial else PAGE_LIMIT) if query else {}
    context = {"search_query": query, "section": "search", **results}
    if partial:
        return render(request, "web/_search_results.html", context)
    return render(request, "web/search.html", context)


@require_GET
def agency_detail(request, slug: str):
    agency = get_object_or_404(Agency.objects.select_related("country", "jurisdiction", "parent"), slug=slug)
    with_contacts = may_see_contacts(request.user)
    context = {
        "agency": agency,
        "may_see_contacts": with_contacts,
        **selectors.agency_page(agency, with_contacts=with_contacts),
    }
    # The page shows the first few counterparts per function: read them all in one query.
    groups = context["counterparts"]
    for group, first in zip(groups, first_counterparts([g.counterparts for g in groups], 8), strict=True):
        group.counterparts = first
    context["flags"] = _agency_flags(request.user, agency)
    from agencies.selectors import agency_history_parts
    from registry import history

    context["changes"] = history.changes_page(
        agency_history_parts(agency, with_contacts=with_contacts),
        viewer=request.user,
        page=history.page_number(request.GET.get("changes")),
    )
    return render(request, "web/agency_detail.html", context)


def _agency_flags(user, agency: Agency) -> list:
    """The flags that concern the agency, as far as the viewer may see them (none for the public)."""
    if role_of(user) == Role.PUBLIC:
        return []
    from flags.reasons import flag_reasons
    from flags.selectors import flags_visible_to

    flags = list(flags_visible_to(user).live().filter(agencies=agency).order_by("-opened_at", "-id")[:20])
    reasons = flag_reasons(flags, user)
    for flag in flags:
        flag.reason_text = reasons.get(flag.pk, "")
    return flags


def _finder_initial(request) -> dict:
    user = request.user
    if user.is_authenticated and user.agency_id:
        return {"agency": user.agency.slug}
    return {}


def _counterparts_context(request) -> tuple[dict, int]:
    bound = "agency" in request.GET or "function" in request.GET
    form = CounterpartFinderForm(request.GET if bound else None, initial=_finder_initial(request))
    context = {"form": form, "section": "counterparts", "may_see_contacts": may_see_contacts(request.user)}
    if not bound:
        return context, 200
    if not form.is_valid():
        return context, 400
    agency, function = form.cleaned_data["agency"], form.cleaned_data["function"]
    # The ranking reads its agencies a slice at a time: a page of them (and their contacts)
    # is read once, here; at national scale an agency can have thousands of counterparts.
    ranked = counterparts_for(agency=agency, function=function, with_contacts=context["may_see_contacts"])
    page = Paginator(ranked, COUNTERPARTS_PER_PAGE).get_page(request.GET.get("page"))
    counterparts = list(page.object_list)
    for counterpart in counterparts:
        counterpart.contacts = selectors.visible_contacts(counterpart.contacts)
    with_channel = set()
    if context["may_see_contacts"]:
        # The "try the agency's offices" hint only where an office has a public channel.
        with_channel = selectors.agencies_with_an_office_channel([c.agency.pk for c in counterparts])
    context.update(
        {
            "agency": agency,
            "function": function,
            "counterparts": counterparts,
            "offices_with_channel": with_channel,
            "page": page,
            "now": datetime.datetime.now(datetime.UTC),
        }
    )
    return context, 200


@require_GET
def counterparts(request):
    context, status = _counterparts_context(request)
    return render(request, "web/counterparts.html", context, status=status)


@require_GET
def contact_sheet(request):
    """A printable one-page bilingual sheet of the counterparts' liaison contacts."""
    if not may_see_contacts(request.user):
        return redirect_to_login(request.get_full_path())
    context, status = _counterparts_context(request)
    if "counterparts" not in context:
        raise Http404
    return render(request, "web/contact_sheet.html", context, status=status)


@require_GET
def contact_vcard_download(request, pk: int):
    if not may_see_contacts(request.user):
        raise Http404
    contact = get_object_or_404(Contact.objects.visible().select_related("agency", "office"), pk=pk)
    response = HttpResponse(contact_vcard(contact), content_type="text/vcard; charset=utf-8")
    filename = slugify(f"{contact.agency.acronym or contact.agency.slug} {contact.name}") or f"contact-{contact.pk}"
    response["Content-Disposition"] = f'attachment; filename="{filename}.vcf"'
    return response


@require_GET
def jurisdiction_detail(request, code: str):
    jurisdiction = get_object_or_404(Jurisdiction.objects.select_related("parent"), code__iexact=code)
    function = None
    if request.GET.get("function"):
        function = FunctionalArea.objects.filter(slug=request.GET["function"]).first()
        if function is None:
            raise Http404
    context = {
        "jurisdiction": jurisdiction,
        "function": function,
        "section": "coverage",
        **selectors.jurisdiction_page(jurisdiction, function=function, page=request.GET.get("page")),
    }
    return render(request, "web/jurisdiction_detail.html", context)


@require_GET
def coverage(request):
    # Kept for a minute under the catalog's version, which every catalog write replaces
    # (agencies/cache.py). A cell's first agencies are ranked by their label in the active
    # language, so each language has its own copy.
    key = catalog_cache_key("coverage-matrix", get_language() or settings.LANGUAGE_CODE)
    matrix = cache.get(key)
    if matrix is None:
        matrix = selectors.coverage_matrix()
        cache.set(key, matrix, COVERAGE_CACHE_SECONDS)
    return render(request, "web/coverage.html", {"matrix": matrix, "section": "coverage"})


@require_GET
def open_data(request):
    from opendata.views import open_data_context

    return render(request, "web/open_data.html", {**open_data_context(request), "section": "open-data"})


@require_GET
def open_data_download(request, name: str, fmt: str):
    from opendata.views import download

    return download(request, name, fmt)


# ---------------------------------------------------------------- metrics

BAR_HEIGHT = 22
BAR_GAP = 8
LABEL_WIDTH = 190
BAR_SPACE = 300


def bar_chart(rows: list[tuple[str, int]]) -> dict:
    """Geometry of a horizontal bar chart drawn as SVG by the template (no script, no CDN)."""
    top = max((value for _label, value in rows), default=0) or 1
    bars = []
    for index, (label, value) in enumerate(rows):
        y = index * (BAR_HEIGHT + BAR_GAP)
        bars.append(
            {
                "label": label,
                "value": value,
                "y": y,
                "text_y": y + BAR_HEIGHT * 0.7,
                "width": max(round(BAR_SPACE * value / top), 1 if value else 0),
                "value_x": LABEL_WIDTH + max(round(BAR_SPACE * value / top), 0) + 6,
            }
        )
    return {
        "bars": bars,
        "height": max(len(rows) * (BAR_HEIGHT + BAR_GAP), BAR_HEIGHT),
        "width": LABEL_WIDTH + BAR_SPACE + 50,
        "label_width": LABEL_WIDTH,
        "bar_height": BAR_HEIGHT,
    }


def month_chart(per_month: list[dict]) -> dict:
    """Cases opened and closed per month, as paired vertical bars."""
    rows = per_month[-12:]
    top = max([max(r["opened"], r["closed"]) for r in rows] or [0]) or 1
    height, slot = 160, 60
    months = []
    for index, row in enumerate(rows):
        x = 40 + index * slot
        opened_h = round(height * row["opened"] / top)
        closed_h = round(height * row["closed"] / top)
        months.append(
            {
                "label": row["month"],
                "short": row["month"],
                "opened": row["opened"],
                "closed": row["closed"],
                "x": x,
                "x2": x + 18,
                "label_x": x + 17,
                "opened_y": 10 + height - opened_h,
                "opened_h": opened_h,
                "closed_y": 10 + height - closed_h,
                "closed_h": closed_h,
            }
        )
    return {
        "months": months,
        "width": 60 + len(rows) * slot,
        "height": height + 40,
        "axis_y": height + 10,
        "label_y": height + 28,
    }


@require_GET
def metrics(request):
    from cases.models import ActionItem, Theme
    from cases.selectors import metrics_for

    data = metrics_for(request.user)
    items = data["action_items"]
    statuses = dict(ActionItem.Status.choices)
    themes = dict(Theme.choices)
    owners = {
        a["slug"]: a["acronym"] or localized_name(a)
        for a in Agency.objects.filter(slug__in=[r["key"] for r in items["by_owner"]]).values(
            "slug", "acronym", "name", "name_es"
        )
    }
    countries = {
        j.code: j.display_name for j in Jurisdiction.objects.filter(code__in=[r["key"] for r in items["by_country"]])
    }
    by_owner = sorted(items["by_owner"], key=lambda r: -r["count"])[:15]
    rate = items["on_time_completion_rate"]
    context = {
        "section": "metrics",
        "items": items,
        "on_time_percent": None if rate is None else round(rate * 100),
        "status_chart": bar_chart([(str(statuses.get(r["key"], r["key"])), r["count"]) for r in items["by_status"]]),
        "owner_chart": bar_chart([(owners.get(r["key"], r["key"]), r["count"]) for r in by_owner]),
        "country_chart": bar_chart(
            [(countries.get(r["key"], r["key"] or _("No country")), r["count"]) for r in items["by_country"]]
        ),
        "theme_chart": bar_chart(
            [(str(themes.get(r["key"], r["key"] or _("No theme"))), r["count"]) for r in items["by_theme"]]
        ),
        "month_chart": month_chart(data["cases"]["per_month"]),
        "per_month": data["cases"]["per_month"],
        "is_public_view": role_of(request.user) == Role.PUBLIC,
    }
    from opendata.charts import accountability_charts

    context.update(accountability_charts())
    return render(request, "web/metrics.html", context)


def localized_name(values: dict) -> str:
    from agencies.models import localized

    return localized(values["name"], values["name_es"])
