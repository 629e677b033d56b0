"""The API's routes, read from the URL conf, and a small world of objects to call them on."""

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver, reverse

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    methods: tuple[str, ...]
    kwarg_names: tuple[str, ...]


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def _methods(callback) -> tuple[str, ...]:
    actions = getattr(callback, "actions", None)
    if actions:
        return tuple(method for method in HTTP_METHODS if method in actions)
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is not None:
        return tuple(method for method in HTTP_METHODS if hasattr(view_class, method))
    allowed = getattr(callback, "allowed_methods", None)  # Django's require_http_methods
    return tuple(method for method in HTTP_METHODS if method.upper() in (allowed or ["GET"]))


def api_routes() -> dict[str, Route]:
    """Every named route under /api/v1/ (format-suffix duplicates left out)."""
    found: dict[str, Route] = {}
    for pattern_text, pattern in _walk(get_resolver().url_patterns):
        if not pattern_text.startswith("api/v1/") or "format" in pattern.pattern.regex.groupindex:
            continue
        if pattern.name in found:
            continue
        found[pattern.name or pattern_text] = Route(
            name=pattern.name or pattern_text,
            pattern=pattern_text,
            methods=_methods(pattern.callback),
            kwarg_names=tuple(pattern.pattern.regex.groupindex),
        )
    return found


def url_of(route: Route, kwargs: dict) -> str:
    return reverse(route.name, kwargs=kwargs) if route.kwarg_names else reverse(route.name)
