"""Limit/offset pagination of API.md: default 50, at most 1000."""

from rest_framework.pagination import LimitOffsetPagination


class RegistryPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 1000
