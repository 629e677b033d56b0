"""The catalog pages: home, search, agency, counterparts (and their printable sheet and
vCards), jurisdictions, coverage. The reads are agencies/selectors.py's."""

import datetime

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from agencies import selectors
from agencies.models import Agency, Contact, FunctionalArea, Jurisdiction
from flags.selectors import flags_about_agency
from registry import history
from web.forms import CounterpartFinderForm
from web.vcard import contact_vcard

LIVE_LIMIT = 6
PAGE_LIMIT = 50
COUNTERPARTS_PER_PAGE = 25
AGENCY_PAGE_COUNTERPARTS = 8


def _finder_initial(request) -> dict:
    user = request.user
    if user.is_authenticated and user.agency_id:
        return {"agency": user.agency.slug}
    return {}


@require_GET
def home(request):
    return render(
        request,
        "web/home.html",
        {
            "section": "home",
            "agency_groups": selectors.national_bodies_by_country(),
            "finder": CounterpartFinderForm(initial=_finder_initial(request)),
        },
    )


@require_GET
def search(request):
    query = request.GET.get("q", "").strip()[:200]
    partial = request.GET.get("partial") == "1"
    results = {}
    if query:
        results = selectors.catalog_search(
            query,
            limit=LIVE_LIMIT if partial else PAGE_LIMIT,
            with_contacts=selectors.may_see_contacts(request.user),
        )
    context = {"search_query": query, "section": "search", **results}
    if partial:
        return render(request, "web/_search_results.html", context)
    return render(request, "web/search.html", context)


@require_GET
def agency_detail(request, slug: str):
    agency = get_object_or_404(Agency.objects.select_related("country", "jurisdiction", "parent"), slug=slug)
    with_contacts = selectors.may_see_contacts(request.user)
    context = {
        "agency": agency,
        "may_see_contacts": with_contacts,
        **selectors.agency_page(agency, with_contacts=with_contacts),
    }
    selectors.agency_page_counterparts(context["counterparts"], AGENCY_PAGE_COUNTERPARTS)
    context["flags"] = flags_about_agency(request.user, agency)
    context["changes"] = history.changes_page(
        selectors.agency_history_parts(agency, with_contacts=with_contacts),
        viewer=request.user,
        page=history.page_number(request.GET.get("changes")),
    )
    return render(request, "web/agency_detail.html", context)


def _counterparts_context(request) -> tuple[dict, int]:
    bound = "agency" in request.GET or "function" in request.GET
    form = CounterpartFinderForm(request.GET if bound else None, initial=_finder_initial(request))
    with_contacts = selectors.may_see_contacts(request.user)
    context = {"form": form, "section": "counterparts", "may_see_contacts": with_contacts}
    if not bound:
        return context, 200
    if not form.is_valid():
        return context, 400
    agency, function = form.cleaned_data["agency"], form.cleaned_data["function"]
    context.update(
        {
            "agency": agency,
            "function": function,
            "now": datetime.datetime.now(datetime.UTC),
            **selectors.counterparts_page(
                agency=agency,
                function=function,
                with_contacts=with_contacts,
                page=request.GET.get("page"),
                per_page=COUNTERPARTS_PER_PAGE,
            ),
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
    if not selectors.may_see_contacts(request.user):
        return redirect_to_login(request.get_full_path())
    context, status = _counterparts_context(request)
    if "counterparts" not in context:
        raise Http404
    return render(request, "web/contact_sheet.html", context, status=status)


@require_GET
def contact_vcard_download(request, pk: int):
    if not selectors.may_see_contacts(request.user):
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
    return render(request, "web/coverage.html", {"matrix": selectors.coverage_matrix_cached(), "section": "coverage"})
