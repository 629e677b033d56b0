"""The case pages: the list, opening a case, a case's page and its forms.

Reads go through cases/selectors.py (what a user may not see answers 404); writes through
cases/services.py, whose ValidationErrors land on the form field they name, in the user's
language, with everything the user typed kept.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from cases import selectors
from cases import services as case_services
from cases.filtersets import CaseFilterSet
from cases.models import Case, CaseParticipant
from registry import history
from registry.api.ordering import ordered
from registry.filtering import filtered
from web import forms
from web.views.common import PAGE_SIZE, export_format, signed_in_with_role, tabular_download


def stale_case_message() -> str:
    return _(
        "Someone changed this case after you opened it. Nothing was saved: "
        "compare your version with the current one below, then save again."
    )


@signed_in_with_role
def case_list(request):
    # The API's filters (a status, a search of reference, title and summary), on what the
    # user may see; a filter given a value it does not know is left out.
    status = request.GET.get("status", "")
    query = request.GET.get("q", "").strip()
    ordering = request.GET.get("ordering", "")
    cases = filtered(CaseFilterSet, {"status": status, "q": query}, selectors.cases_visible_to(request.user))
    cases = ordered(cases.order_by("-opened_on", "-id"), ordering, selectors.CASE_ORDERING, strict=False)
    fmt = export_format(request)
    if fmt:
        # What the user may see, filtered and sorted as on the page, every page of it.
        restricted = cases.filter(sensitivity=Case.Sensitivity.RESTRICTED).values_list("pk", flat=True)
        selectors.record_case_reads(case_ids=list(restricted), user=request.user, via="web")
        return tabular_download("cases", fmt, *selectors.case_export(cases))
    cases = selectors.case_list_rows(cases)
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    selectors.record_case_reads(
        case_ids=[c.pk for c in page.object_list if c.sensitivity == Case.Sensitivity.RESTRICTED],
        user=request.user,
        via="web",
    )
    context = {
        "page": page,
        "status": status,
        "query": query,
        "ordering": ordering,
        "statuses": Case.Status.choices,
        "may_open": case_services.can_open_case(request.user),
        "section": "cases",
    }
    return render(request, "web/cases/case_list.html", context)


@signed_in_with_role
def case_create(request):
    if not case_services.can_open_case(request.user):
        raise PermissionDenied(case_services.only_coordinators_open_cases())
    form = forms.CaseCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = case_services.case_open(
                user=request.user,
                title=data["title"],
                summary=data["summary"],
                sensitivity=data["sensitivity"],
                jurisdictions=list(data["jurisdictions"]),
                participants=[(agency, CaseParticipant.Role.SUPPORT) for agency in data["supporting"]],
            )
        except ValidationError as error:
            forms.apply_service_errors(form, error)
        else:
            messages.success(request, _("Case %(reference)s opened.") % {"reference": case.reference})
            return redirect("web:case", pk=case.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "web/cases/case_form.html", {"form": form, "section": "cases"}, status=status)


@signed_in_with_role
def case_detail(request, pk: int):
    user = request.user
    case = selectors.case_for_page(user, pk, lock=request.method == "POST")
    may_manage = case_services.can_manage_case(user, case)
    # A coordinator who may manage the case may add subjects too: one participation query, not two.
    may_add_subject = may_manage or case_services.can_add_subject(user, case)
    suggestions = selectors.suggested_participants(case) if may_manage else []
    page_forms = {
        "edit_form": forms.CaseEditForm(initial=forms.CaseEditForm.initial_for(case), prefix="case"),
        "item_form": forms.ActionItemCreateForm(case=case, prefix="item"),
        "subject_form": forms.SubjectForm(prefix="subject"),
        "participant_form": forms.ParticipantForm(prefix="participant", suggestions=suggestions),
    }
    conflict = None
    status = 200

    if request.method == "POST":
        action = request.POST.get("action")
        allowed = {
            "edit": may_manage,
            "add-item": may_manage,
            "add-subject": may_add_subject,
            "add-participant": may_manage,
        }
        if not allowed.get(action):
            raise PermissionDenied(_("You may not change this case."))
        outcome = _CASE_ACTIONS[action](request, case, page_forms, suggestions)
        if isinstance(outcome, str):
            return redirect(outcome)
        conflict = outcome
        status = 400
    else:
        selectors.record_case_read(case=case, user=user, via="web")

    context = {
        "case": case,
        **selectors.case_page(case),
        "may_manage": may_manage,
        "may_add_subject": may_add_subject,
        **page_forms,
        "conflict": conflict,
        "open_form": request.POST.get("action") if request.method == "POST" else "",
        "section": "cases",
        "changes": history.changes_page(
            selectors.case_history_parts(case), viewer=user, page=history.page_number(request.GET.get("changes"))
        ),
    }
    return render(request, "web/cases/case_detail.html", context, status=status)


# Each form of the case page: returns the address to go to once saved, or (the form kept,
# with its errors, in `page_forms`) what changed since the user opened the page (or None).


def _service_call(form, call) -> bool:
    try:
        call()
    except ValidationError as error:
        forms.apply_service_errors(form, error)
        return False
    return True


def _edit_case(request, case, page_forms, suggestions):
    form = page_forms["edit_form"] = forms.CaseEditForm(request.POST, prefix="case")
    if form.is_stale(case):
        conflict = form.changes_since(case)
        form.refresh_version(case)
        form.is_valid()
        form.add_error(None, stale_case_message())
        return conflict
    if form.is_valid():
        data = form.cleaned_data
        fields = {name: data[name] for name in ("title", "summary", "sensitivity", "status")}
        if _service_call(form, lambda: case_services.case_update(case=case, user=request.user, **fields)):
            messages.success(request, _("Case saved."))
            return reverse("web:case", args=[case.pk])
    return None


def _add_item(request, case, page_forms, suggestions):
    form = page_forms["item_form"] = forms.ActionItemCreateForm(request.POST, case=case, prefix="item")
    if form.is_valid():
        data = form.cleaned_data
        fields = {
            name: data[name] for name in ("owner", "title", "description", "function", "theme", "priority", "due_date")
        }
        if _service_call(form, lambda: case_services.action_item_create(user=request.user, case=case, **fields)):
            messages.success(request, _("Action item added."))
            return reverse("web:case", args=[case.pk]) + "#items"
    return None


def _add_subject(request, case, page_forms, suggestions):
    form = page_forms["subject_form"] = forms.SubjectForm(request.POST, prefix="subject")
    if form.is_valid():
        data = form.cleaned_data
        details = {k: data[k] for k in ("make", "model", "caliber") if data[k]}

        def add():
            case_services.subject_add(
                case=case, user=request.user, kind=data["kind"], identifier=data["identifier"], **details
            )

        if _service_call(form, add):
            messages.success(request, _("Subject added."))
            return reverse("web:case", args=[case.pk]) + "#subjects"
    return None


def _add_participant(request, case, page_forms, suggestions):
    form = page_forms["participant_form"] = forms.ParticipantForm(
        request.POST, prefix="participant", suggestions=suggestions
    )
    if form.is_valid():
        data = form.cleaned_data

        def add():
            case_services.participant_add(case=case, user=request.user, agency=data["agency"], role=data["role"])

        if _service_call(form, add):
            messages.success(request, _("Participant added."))
            return reverse("web:case", args=[case.pk]) + "#participants"
    return None


_CASE_ACTIONS = {
    "edit": _edit_case,
    "add-item": _add_item,
    "add-subject": _add_subject,
    "add-participant": _add_participant,
}
