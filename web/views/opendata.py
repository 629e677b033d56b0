"""The open-data page and its downloads: the datasets, their files and the Data Package are
opendata/'s; the page is only rendered here."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from opendata.views import download, open_data_context


@require_GET
def open_data(request):
    return render(request, "web/open_data.html", {**open_data_context(request), "section": "open-data"})


@require_GET
def open_data_download(request, name: str, fmt: str):
    return download(request, name, fmt)
