"""Pages for signed-in officials: cases, action items, the flag queue.

Reads go through the visibility selectors of the cases and flags apps (what a user may not
see answers 404); writes go through their services, whose ValidationErrors land on the
form field they name, in the user's language, with everything the user typed kept.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case as SqlCase
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from agencies.models import Agency, FunctionalArea
from cases import calendar
from cases import services as case_services
from cases.models import ActionItem, ActionUpdate, Case, CaseParticipant
from cases.selectors import (
    action_item_history_parts,
    action_items_visible_to,
    case_history_parts,
    cases_visible_to,
    record_case_read,
    record_case_reads,
    suggested_participants,
)
from registry import history
from registry.models import Role, role_of
from web import forms

PAGE_SIZE = 50


def stale_case_message() -> str:
    return _(
        "Someone changed this case after you opened it. Nothing was saved: "
        "compare your version with the current one below, then save again."
    )


def stale_item_message() -> str:
    return _(
        "Someone changed this action item after you opened it. Nothing was saved: "
        "compare your version with the current one below, then save again."
    )


def _signed_in_with_role(view):
    """Signed-in users only; an account without a role sees nothing here (404)."""

    @login_required
    def wrapper(request, *args, **kwargs):
        if role_of(request.user) == Role.PUBLIC:
            raise PermissionDenied(_("Your account has no role in Enlace yet."))
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _back(request, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


def _overdue_first(queryset):
    return queryset.annotate(
        overdue_rank=SqlCase(
            When(ActionItem.objects.overdue_condition(), then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    ).order_by("overdue_rank", "due_date", "id")


# ---------------------------------------------------------------- cases


@_signed_in_with_role
def case_list(request):
    cases = cases_visible_to(request.user).select_related("lead_agency")
    status = request.GET.get("status", "")
    if status in Case.Status.values:
        cases = cases.filter(status=status)
    query = request.GET.get("q", "").strip()
    if query:
        cases = cases.filter(Q(title__icontains=query) | Q(reference__icontains=query))
    # Counted per row by subqueries, not by joins and GROUP BY: the paginator's COUNT then
    # leaves them out, instead of joining every visible case with its items and participants.
    open_items = (
        ActionItem.objects.filter(case_id=OuterRef("pk"))
        .exclude(status__in=ActionItem.CLOSED_STATUSES)
        .order_by()
        .values("case_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    participant_count = (
        CaseParticipant.objects.filter(case_id=OuterRef("pk"))
        .order_by()
        .values("case_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    cases = cases.annotate(
        open_items=Coalesce(Subquery(open_items), 0),
        participant_count=Coalesce(Subquery(participant_count), 0),
    ).order_by("-opened_on", "-id")
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    record_case_reads(
        case_ids=[c.pk for c in page.object_list if c.sensitivity == Case.Sensitivity.RESTRICTED],
        user=request.user,
        via="web",
    )
    context = {
        "page": page,
        "status": status,
        "query": query,
        "statuses": Case.Status.choices,
        "may_open": role_of(request.user) == Role.COORDINATOR and request.user.agency_id,
        "section": "cases",
    }
    return render(request, "web/cases/case_list.html", context)


@_signed_in_with_role
def case_create(request):
    if not (role_of(request.user) == Role.COORDINATOR and request.user.agency_id):
        raise PermissionDenied(_("Only coordinators of an agency open cases."))
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


def _related(relation: str, columns) -> list[str]:
    return [f"{relation}__{column}" for column in columns]


# An agency's long texts: not shown on a case page.
AGENCY_LONG_COLUMNS = ("description", "description_es", "sources", "search_text", "search_acronyms")
ITEM_COLUMNS = ("title", "case_id", "owner_id", "function_id", "due_date", "status")
UPDATE_COLUMNS = ("item_id", "author_id", "created_at", "text", "old_status", "new_status")


def _case_for(user, pk: int, *, lock: bool = False) -> Case:
    participants = (
        CaseParticipant.objects.select_related("agency", "contact")
        .only(
            "case_id",
            "agency_id",
            "role",
            "contact_id",
            *_related("agency", Agency.name_columns),
            "contact__name",
            "contact__email",
        )
        .order_by("role", "agency__name")
    )
    queryset = (
        cases_visible_to(user)
        .select_related("lead_agency", "created_by")
        .defer(*_related("lead_agency", AGENCY_LONG_COLUMNS))
        .prefetch_related(Prefetch("participants", queryset=participants))
    )
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    return get_object_or_404(queryset, pk=pk)


@_signed_in_with_role
def case_detail(request, pk: int):
    user = request.user
    case = _case_for(user, pk, lock=request.method == "POST")
    may_manage = case_services.can_manage_case(user, case)
    # A coordinator who may manage the case may add subjects too: one participation query, not two.
    may_add_subject = may_manage or case_services.can_add_subject(user, case)
    edit_form = forms.CaseEditForm(
        initial={
            "title": case.title,
            "summary": case.summary,
            "sensitivity": case.sensitivity,
            "status": case.status,
            "version": case.updated_at.isoformat(),
        },
        prefix="case",
    )
    item_form = forms.ActionItemCreateForm(case=case, prefix="item")
    subject_form = forms.SubjectForm(prefix="subject")
    suggestions = suggested_participants(case) if may_manage else []
    participant_form = forms.ParticipantForm(prefix="participant", suggestions=suggestions)
    conflict = None
    status = 200

    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "edit" and may_manage:
                edit_form = forms.CaseEditForm(request.POST, prefix="case")
                if edit_form.is_stale(case):
                    conflict = edit_form.changes_since(case)
                    edit_form.refresh_version(case)
                    edit_form.is_valid()
                    edit_form.add_error(None, stale_case_message())
                elif edit_form.is_valid():
                    data = edit_form.cleaned_data
                    case_services.case_update(
                        case=case,
                        user=user,
                        title=data["title"],
                        summary=data["summary"],
                        sensitivity=data["sensitivity"],
                        status=data["status"],
                    )
                    messages.success(request, _("Case saved."))
                    return redirect("web:case", pk=case.pk)
            elif action == "add-item" and may_manage:
                item_form = forms.ActionItemCreateForm(request.POST, case=case, prefix="item")
                if item_form.is_valid():
                    data = item_form.cleaned_data
                    case_services.action_item_create(
                        user=user,
                        case=case,
                        owner=data["owner"],
                        title=data["title"],
                        description=data["description"],
                        function=data["function"],
                        theme=data["theme"],
                        priority=data["priority"],
                        due_date=data["due_date"],
                    )
                    messages.success(request, _("Action item added."))
                    return redirect(reverse("web:case", args=[case.pk]) + "#items")
            elif action == "add-subject" and may_add_subject:
                subject_form = forms.SubjectForm(request.POST, prefix="subject")
                if subject_form.is_valid():
                    data = subject_form.cleaned_data
                    details = {k: data[k] for k in ("make", "model", "caliber") if data[k]}
                    case_services.subject_add(
                        case=case, user=user, kind=data["kind"], identifier=data["identifier"], **details
                    )
                    messages.success(request, _("Subject added."))
                    return redirect(reverse("web:case", args=[case.pk]) + "#subjects")
            elif action == "add-participant" and may_manage:
                participant_form = forms.ParticipantForm(request.POST, prefix="participant", suggestions=suggestions)
                if participant_form.is_valid():
                    data = participant_form.cleaned_data
                    case_services.participant_add(case=case, user=user, agency=data["agency"], role=data["role"])
                    messages.success(request, _("Participant added."))
                    return redirect(reverse("web:case", args=[case.pk]) + "#participants")
            else:
                raise PermissionDenied(_("You may not change this case."))
        except ValidationError as error:
            target = {"edit": edit_form, "add-item": item_form, "add-subject": subject_form}.get(
                action, participant_form
            )
            forms.apply_service_errors(target, error)
        status = 400
    else:
        record_case_read(case=case, user=user, via="web")

    participants = list(case.participants.all())  # read with the case (rights are checked against them)
    subjects = list(case.subjects.order_by("kind", "identifier"))
    # Of the related rows, the columns the page shows: a case has dozens of items and updates.
    items = list(
        _overdue_first(case.action_items.select_related("owner", "function")).only(
            *ITEM_COLUMNS,
            *_related("owner", Agency.name_columns),
            *_related("function", FunctionalArea.name_columns),
        )
    )
    timeline = list(
        ActionUpdate.objects.filter(item__case=case)
        .select_related("item", "author")
        .only(*UPDATE_COLUMNS, "item__title", "author__username")
        .order_by("-created_at", "-id")[:100]
    )
    context = {
        "case": case,
        "participants": participants,
        "subjects": subjects,
        "items": items,
        "timeline": timeline,
        "may_manage": may_manage,
        "may_add_subject": may_add_subject,
        "edit_form": edit_form,
        "item_form": item_form,
        "subject_form": subject_form,
        "participant_form": participant_form,
        "conflict": conflict,
        "open_form": request.POST.get("action") if request.method == "POST" else "",
        "section": "cases",
        "changes": history.changes_page(
            case_history_parts(case), viewer=user, page=history.page_number(request.GET.get("changes"))
        ),
    }
    return render(request, "web/cases/case_detail.html", context, status=status)


# ---------------------------------------------------------------- action items


@_signed_in_with_role
def action_list(request):
    user = request.user
    items = action_items_visible_to(user).select_related("owner", "case", "assignee", "function")
    scope = request.GET.get("scope", "mine" if user.agency_id else "all")
    if scope == "mine" and user.agency_id:
        items = items.filter(owner_id=user.agency_id)
    status = request.GET.get("status", "live")
    if status == "live":
        items = items.exclude(status__in=ActionItem.CLOSED_STATUSES)
    elif status in ActionItem.Status.values:
        items = items.filter(status=status)
    page = Paginator(_overdue_first(items), PAGE_SIZE).get_page(request.GET.get("page"))
    labels = dict(ActionItem.Status.choices)
    rows = [
        {
            "item": item,
            "transitions": [(s, labels[s]) for s in item.allowed_transitions()],
            "may_work": user.agency_id is not None and item.owner_id == user.agency_id,
        }
        for item in page.object_list
    ]
    context = {
        "page": page,
        "rows": rows,
        "scope": scope,
        "status": status,
        "statuses": ActionItem.Status.choices,
        "calendar_url": _calendar_url(request),
        "section": "actions",
    }
    return render(request, "web/cases/action_list.html", context)


def _calendar_url(request) -> str:
    """The user's secret calendar feed of deadlines (cases/calendar.py)."""
    return request.build_absolute_uri(calendar.feed_path(request.user.calendar_token))


@_signed_in_with_role
def action_detail(request, pk: int):
    user = request.user
    queryset = action_items_visible_to(user).select_related("owner", "case", "assignee", "function")
    if request.method == "POST":
        queryset = queryset.select_for_update(of=("self",))
    item = get_object_or_404(queryset, pk=pk)
    may_manage = case_services.can_manage_item(user, item)
    may_work = case_services.can_work_item(user, item)
    initial = {
        "title": item.title,
        "description": item.description,
        "function": item.function.slug if item.function_id else "",
        "theme": item.theme,
        "priority": item.priority,
        "due_date": item.due_date,
        "version": item.updated_at.isoformat(),
    }
    edit_form = forms.ActionItemEditForm(initial=initial, prefix="edit")
    transition_form = forms.TransitionForm(item=item, prefix="move")
    update_form = forms.UpdateForm(prefix="update")
    conflict = None
    status = 200

    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "transition" and may_work:
                transition_form = forms.TransitionForm(request.POST, item=item, prefix="move")
                if transition_form.is_valid():
                    case_services.action_item_transition(
                        item=item,
                        user=user,
                        status=transition_form.cleaned_data["status"],
                        reason=transition_form.cleaned_data["reason"],
                    )
                    messages.success(request, _("Status changed."))
                    return redirect(_back(request, reverse("web:action", args=[item.pk])))
            elif action == "update" and may_work:
                update_form = forms.UpdateForm(request.POST, prefix="update")
                if update_form.is_valid():
                    case_services.action_update_add(item=item, user=user, text=update_form.cleaned_data["text"])
                    messages.success(request, _("Update added."))
                    return redirect(reverse("web:action", args=[item.pk]) + "#timeline")
            elif action == "edit" and may_manage:
                edit_form = forms.ActionItemEditForm(request.POST, prefix="edit")
                if edit_form.is_stale(item):
                    conflict = edit_form.changes_since(item)
                    edit_form.refresh_version(item)
                    edit_form.is_valid()
                    edit_form.add_error(None, stale_item_message())
                elif edit_form.is_valid():
                    data = edit_form.cleaned_data
                    case_services.action_item_update(
                        item=item,
                        user=user,
                        title=data["title"],
                        description=data["description"],
                        function=data["function"],
                        theme=data["theme"],
                        priority=data["priority"],
                        due_date=data["due_date"],
                    )
                    messages.success(request, _("Action item saved."))
                    return redirect("web:action", pk=item.pk)
            else:
                raise PermissionDenied(_("You may not change this action item."))
        except ValidationError as error:
            target = {"transition": transition_form, "update": update_form}.get(action, edit_form)
            forms.apply_service_errors(target, error, aliases={"status_reason": "reason"})
        status = 400

    timeline = list(item.updates.select_related("author").order_by("-created_at", "-id"))
    context = {
        "item": item,
        "timeline": timeline,
        "may_manage": may_manage,
        "may_work": may_work,
        "edit_form": edit_form,
        "transition_form": transition_form,
        "update_form": update_form,
        "conflict": conflict,
        "section": "actions",
        "changes": history.changes_page(
            action_item_history_parts(item), viewer=user, page=history.page_number(request.GET.get("changes"))
        ),
    }
    return render(request, "web/cases/action_detail.html", context, status=status)


# ---------------------------------------------------------------- flags


def _may_act(user, flag) -> bool:
    """flags.services.user_can_act_on, over the prefetched addressees (no query per row)."""
    role = role_of(user)
    if role == Role.ADMIN_STAFF:
        return True
    return role == Role.COORDINATOR and user.agency_id in {agency.pk for agency in flag.agencies.all()}


@_signed_in_with_role
def flag_list(request):
    from flags.models import FlagStatus
    from flags.reasons import flag_cards
    from flags.selectors import flags_visible_to
    from flags.services import USER_TRANSITIONS, flag_set_status

    user = request.user
    if role_of(user) not in (Role.COORDINATOR, Role.ADMIN_STAFF):
        raise PermissionDenied(_("The flag queue is for coordinators and admin staff."))
    labels = dict(FlagStatus.choices)
    errors: dict[int, forms.FlagStatusForm] = {}
    if request.method == "POST":
        flag = get_object_or_404(flags_visible_to(user), pk=request.POST.get("flag") or 0)
        choices = [(s, labels[s]) for s in USER_TRANSITIONS.get(flag.status, ())]
        form = forms.FlagStatusForm(request.POST, choices=choices, prefix=f"flag-{flag.pk}")
        if form.is_valid():
            try:
                flag_set_status(
                    flag=flag, user=user, status=form.cleaned_data["status"], note=form.cleaned_data["note"]
                )
            except ValidationError as error:
                forms.apply_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Flag %(id)s is now “%(status)s”.")
                    % {"id": flag.pk, "status": labels[form.cleaned_data["status"]]},
                )
                return redirect(_back(request, reverse("web:flags")))
        errors[flag.pk] = form

    show = request.GET.get("status", "live")
    flags = (
        flags_visible_to(user)
        .select_related("agency", "function", "status_changed_by")
        .prefetch_related(
            Prefetch("agencies", queryset=Agency.objects.only("id", "slug", "acronym", "name", "name_es"))
        )
    )
    if show == "live":
        flags = flags.live()
    elif show in FlagStatus.values:
        flags = flags.filter(status=show)
    kind = request.GET.get("kind", "")
    if kind:
        flags = flags.filter(kind=kind)
    flags = flags.annotate(
        severity_rank=SqlCase(
            When(severity="high", then=Value(0)),
            When(severity="medium", then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    ).order_by("severity_rank", "-opened_at", "-id")
    page = Paginator(flags, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    cards = flag_cards(page.object_list, user)
    rows = []
    for flag in page.object_list:
        choices = [(s, labels[s]) for s in USER_TRANSITIONS.get(flag.status, ())]
        rows.append(
            {
                "flag": flag,
                **cards[flag.pk],
                "form": errors.get(flag.pk) or forms.FlagStatusForm(choices=choices, prefix=f"flag-{flag.pk}"),
                "may_act": bool(choices) and _may_act(user, flag),
            }
        )
    from flags.models import FlagKind

    context = {
        "page": page,
        "rows": rows,
        "show": show,
        "kind": kind,
        "kinds": FlagKind.choices,
        "statuses": FlagStatus.choices,
        "section": "flags",
    }
    return render(request, "web/cases/flag_list.html", context, status=400 if errors else 200)
