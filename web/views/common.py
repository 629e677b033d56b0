"""What the signed-in pages share: the role gate, the safe "back" address, the downloads of a list."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from interchange.tabular import CSVWriter, workbook_bytes
from registry.models import Role, role_of

PAGE_SIZE = 50


def signed_in_with_role(view):
    """Signed-in users only; an account without a role is refused (403)."""

    @login_required
    def wrapper(request, *args, **kwargs):
        if role_of(request.user) == Role.PUBLIC:
            raise PermissionDenied(_("Your account has no role in Enlace yet."))
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def back_to(request, fallback: str) -> str:
    """The page the form came from (POST `next`), when it is on this site; else `fallback`."""
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


EXPORT_FORMATS = ("csv", "xlsx")


def export_format(request) -> str:
    """ "csv" or "xlsx" when the list page is asked for a download (?export=), else ""."""
    asked = request.GET.get("export", "")
    return asked if asked in EXPORT_FORMATS else ""


def tabular_download(name: str, fmt: str, headers: list[str], rows) -> HttpResponse:
    """A list as a CSV (with a BOM, as the API's: Excel then reads UTF-8) or XLSX download,
    written by the writers of the API and the open data (formula injection neutralized)."""
    if fmt == "xlsx":
        response = HttpResponse(
            workbook_bytes(name, headers, rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response.write("\ufeff")
        writer = CSVWriter(response)
        writer.writerow(headers)
        writer.writerows(rows)
    response["Content-Disposition"] = f'attachment; filename="enlace-{name}-{timezone.localdate().isoformat()}.{fmt}"'
    return response


def ordering_choices(fields: dict, model) -> list[tuple[str, str]]:
    """The "Sort by" options of a list page: each field both ways, labelled in the user's language."""
    choices = []
    for name in fields:
        label = str(model._meta.get_field(name).verbose_name).capitalize()
        choices.append((name, _("%(field)s, ascending") % {"field": label}))
        choices.append((f"-{name}", _("%(field)s, descending") % {"field": label}))
    return choices
