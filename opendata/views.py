"""What the open-data page and its downloads answer; web/views.py only renders."""

from django.http import Http404, JsonResponse

from opendata import datasets, package, publish
from opendata.metrics import SUPPRESSED_BELOW


def open_data_context(request) -> dict:
    """The page: each dataset with its row count, the licence, the last change."""
    return {
        "datasets": [
            {"name": d.name, "title": d.title, "description": d.description, "count": d.count()}
            for d in datasets.public_datasets()
        ],
        "licence": package.LICENCE,
        "last_change": package.last_change(),
        "suppressed_below": SUPPRESSED_BELOW,
    }


def download(request, name: str, fmt: str):
    # Each file is what its extension says; any other extension is a 404.
    if name == "datapackage" and fmt == "json":
        body = package.datapackage(request.build_absolute_uri("/open-data/"))
        return JsonResponse(body, json_dumps_params={"ensure_ascii": False, "indent": 1})
    dataset = datasets.get(name)
    if dataset is None or fmt not in publish.FORMATS:
        raise Http404
    return publish.FORMATS[fmt](dataset)
