"""The flag queue: coordinators and admin staff review the flags addressed to them.

The queue is flags.selectors.flag_queue; who may act is flags.services.user_can_act_on; a
status change is flags.services.flag_set_status."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from flags.filtersets import FlagFilterSet
from flags.models import Flag, FlagKind, FlagStatus
from flags.reasons import flag_cards
from flags.selectors import FLAG_ORDERING, flag_export, flag_queue, flags_visible_to
from flags.services import USER_TRANSITIONS, can_review_flags, flag_set_status, user_can_act_on
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


def _status_choices(flag) -> list[tuple[str, str]]:
    labels = dict(FlagStatus.choices)
    return [(s, labels[s]) for s in USER_TRANSITIONS.get(flag.status, ())]


@signed_in_with_role
def flag_list(request):
    user = request.user
    if not can_review_flags(user):
        raise PermissionDenied(_("The flag queue is for coordinators and admin staff."))
    errors: dict[int, forms.FlagStatusForm] = {}
    if request.method == "POST":
        flag = get_object_or_404(flags_visible_to(user), pk=request.POST.get("flag") or 0)
        form = forms.FlagStatusForm(request.POST, choices=_status_choices(flag), prefix=f"flag-{flag.pk}")
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
                    % {"id": flag.pk, "status": FlagStatus(form.cleaned_data["status"]).label},
                )
                return redirect(back_to(request, reverse("web:flags")))
        errors[flag.pk] = form

    show = request.GET.get("status", "live")
    kind = request.GET.get("kind", "")
    ordering = request.GET.get("ordering", "")
    flags = filtered(FlagFilterSet, {"kind": kind}, flag_queue(user, show=show))  # the API's kind filter
    flags = ordered(flags, ordering, FLAG_ORDERING, strict=False)
    fmt = export_format(request)
    if fmt:
        return tabular_download("flags", fmt, *flag_export(flags, user))
    page = Paginator(flags, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    cards = flag_cards(page.object_list, user)
    rows = []
    for flag in page.object_list:
        choices = _status_choices(flag)
        rows.append(
            {
                "flag": flag,
                **cards[flag.pk],
                "form": errors.get(flag.pk) or forms.FlagStatusForm(choices=choices, prefix=f"flag-{flag.pk}"),
                "may_act": bool(choices) and user_can_act_on(user, flag),
            }
        )
    context = {
        "page": page,
        "rows": rows,
        "show": show,
        "kind": kind,
        "ordering": ordering,
        "orderings": ordering_choices(FLAG_ORDERING, Flag),
        "kinds": FlagKind.choices,
        "statuses": FlagStatus.choices,
        "section": "flags",
    }
    return render(request, "web/cases/flag_list.html", context, status=400 if errors else 200)
