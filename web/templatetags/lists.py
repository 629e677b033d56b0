"""List pages: sortable column headers and download links that keep the page's filters."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()


def _address(request, **changes) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    for name, value in changes.items():
        if value:
            query[name] = value
        else:
            query.pop(name, None)
    return "?" + query.urlencode()


@register.simple_tag(takes_context=True)
def sortable_th(context, field: str, label, css_class: str = ""):
    """A column header that sorts the list by `field` (ascending first, then descending),
    saying which way it is sorted now (aria-sort) to screen readers as to the eye."""
    request = context["request"]
    current = context.get("ordering", "")
    if current == field:
        state, arrow, target = "ascending", " ▲", f"-{field}"
        hint = _("sorted ascending; select to sort descending")
    elif current == f"-{field}":
        state, arrow, target = "descending", " ▼", field
        hint = _("sorted descending; select to sort ascending")
    else:
        state, arrow, target = "none", "", field
        hint = _("select to sort")
    return format_html(
        '<th scope="col" class="{}" aria-sort="{}"><a href="{}">{}<span aria-hidden="true">{}</span>'
        '<span class="visually-hidden"> ({})</span></a></th>',
        css_class,
        state,
        _address(request, ordering=target),
        label,
        arrow,
        hint,
    )


@register.simple_tag(takes_context=True)
def export_links(context):
    """Download the whole list (every page, the filters and order kept) as CSV or XLSX."""
    request = context["request"]
    return format_html(
        '<p class="small">{} <a href="{}" download>CSV</a> · <a href="{}" download>XLSX</a></p>',
        _("Download what this list shows (every page):"),
        _address(request, export="csv"),
        _address(request, export="xlsx"),
    )
