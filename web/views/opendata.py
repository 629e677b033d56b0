"""The open-data page and its downloads: what the public may see, as CSV, JSON or XLSX
(the tables are web/selectors.py's)."""

from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from interchange.tabular import CSVWriter, workbook_bytes
from web import selectors

# gettext_lazy by its own name: makemessages does not know an alias such as `_l`, and the
# descriptions were left out of the catalog, shown in English to Spanish readers.
DATASET_TITLES = {
    "agencies": (
        gettext_lazy("Agencies"),
        gettext_lazy("Every agency: names in both languages, country, level, kind, parent, sources."),
    ),
    "agency-names": (
        gettext_lazy("Other names"),
        gettext_lazy("Acronyms, former, alternate and translated names of agencies."),
    ),
    "functions": (gettext_lazy("Functional areas"), gettext_lazy("The controlled bilingual vocabulary of functions.")),
    "jurisdictions": (
        gettext_lazy("Jurisdictions"),
        gettext_lazy("Countries, states and ports of entry, with their parents."),
    ),
    "mandates": (
        gettext_lazy("Mandates"),
        gettext_lazy("Who holds which function where, in what role, on what legal basis."),
    ),
    "offices": (gettext_lazy("Offices"), gettext_lazy("Offices of agencies with their public phone and e-mail.")),
    "counterpart-links": (
        gettext_lazy("Counterpart links"),
        gettext_lazy("Documented pairings of agencies for a function."),
    ),
}


@require_GET
def open_data(request):
    counts = selectors.open_dataset_counts()
    datasets = [
        {"name": name, "title": title, "description": description, "count": counts[name]}
        for name, (title, description) in DATASET_TITLES.items()
    ]
    return render(request, "web/open_data.html", {"datasets": datasets, "section": "open-data"})


def _open_data_csv(name: str, columns: list[str], rows: list[list]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    # No BOM here, unlike the API's CSV: scripts of open-data users read these files as they are.
    writer = CSVWriter(response)
    writer.writerow(columns)
    writer.writerows(rows)
    return response


def _open_data_json(name: str, columns: list[str], rows: list[list]) -> HttpResponse:
    records = [dict(zip(columns, row, strict=True)) for row in rows]
    return JsonResponse(
        {"dataset": name, "count": len(records), "results": records},
        encoder=DjangoJSONEncoder,
        json_dumps_params={"ensure_ascii": False, "indent": 1},
    )


def _open_data_xlsx(name: str, columns: list[str], rows: list[list]) -> HttpResponse:
    return HttpResponse(
        workbook_bytes(name, columns, rows),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# Each file is what its extension says; any other extension is a 404, not a CSV under another name.
OPEN_DATA_FORMATS = {"csv": _open_data_csv, "json": _open_data_json, "xlsx": _open_data_xlsx}


@require_GET
def open_data_download(request, name: str, fmt: str):
    if name not in selectors.OPEN_DATASETS or fmt not in OPEN_DATA_FORMATS:
        raise Http404
    columns, rows = selectors.open_dataset(name)
    response = OPEN_DATA_FORMATS[fmt](name, columns, rows)
    response["Content-Disposition"] = f'attachment; filename="enlace-{name}.{fmt}"'
    return response
