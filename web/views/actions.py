"""The action item pages: the list (with its calendar feed) and an item's page and forms.

Reads go through cases/selectors.py (what a user may not see answers 404); writes through
cases/services.py, whose ValidationErrors land on the form field they name."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from cases import calendar, selectors
from cases import services as case_services
from cases.filtersets import ActionItemFilterSet
from cases.models import ActionItem, Case
from registry import history
from registry.api.ordering import ordered
from registry.filtering import filtered
from web import forms
from web.views.common import (
    PAGE_SIZE,
    back_to,
    export_format,
    ordering_choices,
    signed_in_with_role,
    tabular_download,
)


def stale_item_message() -> str:
    return _(
        "Someone changed this action item after you opened it. Nothing was saved: "
        "compare your version with the current one below, then save again."
    )


@signed_in_with_role
def action_list(request):
    user = request.user
    scope = request.GET.get("scope", "mine" if user.agency_id else "all")
    status = request.GET.get("status", "live")
    ordering = request.GET.get("ordering", "")
    items = selectors.action_list_for(user, mine=scope == "mine", status=status)
    if status != "live":
        items = filtered(ActionItemFilterSet, {"status": status}, items)  # the API's status filter
    items = ordered(items, ordering, selectors.ACTION_ITEM_ORDERING, strict=False)
    fmt = export_format(request)
    if fmt:
        restricted = items.filter(case__sensitivity=Case.Sensitivity.RESTRICTED).values_list("case_id", flat=True)
        selectors.record_case_reads(case_ids=list(restricted), user=user, via="web")
        return tabular_download("action-items", fmt, *selectors.action_item_export(items))
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    labels = dict(ActionItem.Status.choices)
    rows = [
        {
            "item": item,
            "transitions": [(s, labels[s]) for s in item.allowed_transitions()],
            "may_work": case_services.works_for_owner(user, item),
        }
        for item in page.object_list
    ]
    context = {
        "page": page,
        "rows": rows,
        "scope": scope,
        "status": status,
        "ordering": ordering,
        "orderings": ordering_choices(selectors.ACTION_ITEM_ORDERING, ActionItem),
        "statuses": ActionItem.Status.choices,
        "calendar_url": request.build_absolute_uri(calendar.feed_path(user.calendar_token)),
        "section": "actions",
    }
    return render(request, "web/cases/action_list.html", context)


@signed_in_with_role
def action_detail(request, pk: int):
    user = request.user
    item = selectors.action_item_for_page(user, pk, lock=request.method == "POST")
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
                    return redirect(back_to(request, reverse("web:action", args=[item.pk])))
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
            selectors.action_item_history_parts(item), viewer=user, page=history.page_number(request.GET.get("changes"))
        ),
    }
    return render(request, "web/cases/action_detail.html", context, status=status)
