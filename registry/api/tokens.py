"""Expiring API tokens, kept apart from the token view so that DRF can load the
authentication class while it is still importing its own views."""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

if TYPE_CHECKING:
    from rest_framework.authtoken.models import Token


def token_expires_at(token: Token):
    return token.created + timedelta(hours=settings.ENLACE_TOKEN_TTL_HOURS)


class ExpiringTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`; a token older than ENLACE_TOKEN_TTL_HOURS answers 401.

    The token, its user and the user's role are read with one hand-written query (the role
    as one EXISTS per role group): every API call pays this, and building the same query
    through the ORM cost more than the round trip itself."""

    def authenticate_credentials(self, key):
        from django.contrib.auth import get_user_model
        from django.db import connection

        from registry.models import ROLE_ORDER, Role

        token_model, user_model = self.get_model(), get_user_model()
        # Prepared on PostgreSQL (registry/db/postgresql): planning it cost more than running it.
        cursor_for = getattr(connection, "prepared_cursor", connection.cursor)
        with cursor_for() as cursor:
            cursor.execute(_token_sql(), [role.value for role in ROLE_ORDER] + [key])
            row = cursor.fetchone()
        if row is None:
            raise AuthenticationFailed(_("Invalid token.")) from None
        token_fields, user_fields = token_model._meta.concrete_fields, user_model._meta.concrete_fields
        token = _from_db(token_model, token_fields, row[: len(token_fields)], connection)
        user = _from_db(user_model, user_fields, row[len(token_fields) : -len(ROLE_ORDER)], connection)
        token.user = user
        if not user.is_active:
            raise AuthenticationFailed(_("User inactive or deleted."))
        if token_expires_at(token) <= timezone.now():
            raise AuthenticationFailed(_("The token has expired; ask for a new one."))
        # What User.role would read with a second query (registry/models.py), derived the same way.
        memberships = row[-len(ROLE_ORDER) :]
        roles = [role.value for role, member in zip(ROLE_ORDER, memberships, strict=True) if member]
        user.__dict__["role"] = roles[0] if roles else Role.PUBLIC
        return user, token


def _from_db(model, fields, values, connection):
    """A model instance from raw column values, converted as the ORM converts them (SQLite
    returns dates as text, for instance)."""
    converted = []
    for value, converters in zip(values, _converters(model, connection.alias), strict=True):
        for converter, column in converters:
            value = converter(value, column, connection)
        converted.append(value)
    return model.from_db(connection.alias, [field.attname for field in fields], converted)


@functools.cache
def _converters(model, alias: str) -> list[list]:
    """Per concrete field of the model, the ORM's converters for this database (and the
    column each expects): looked up once, not on every call. (They depend on the backend
    and on settings, not on which thread's connection asks.)"""
    from django.db import connections

    connection = connections[alias]
    converters = []
    for field in model._meta.concrete_fields:
        column = field.get_col(model._meta.db_table)
        found = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        converters.append([(converter, column) for converter in found])
    return converters


@functools.cache
def _token_sql() -> str:
    """SELECT the token's columns, its user's columns, then one boolean per role group (in
    ROLE_ORDER); parameters: the role group names, then the key. Built once from the models."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from registry.models import ROLE_ORDER

    quote = connection.ops.quote_name
    user_model = get_user_model()
    memberships = user_model.groups.through._meta
    group_column = memberships.get_field("group").column
    user_column = memberships.get_field(user_model._meta.model_name).column
    columns = [f"t.{quote(field.column)}" for field in Token._meta.concrete_fields]
    columns += [f"u.{quote(field.column)}" for field in user_model._meta.concrete_fields]
    # Only table and column names of the models are formatted in; the values are parameters.
    columns += [
        f"EXISTS (SELECT 1 FROM {quote(memberships.db_table)} m JOIN {quote(Group._meta.db_table)} g "  # noqa: S608
        f"ON g.id = m.{quote(group_column)} WHERE m.{quote(user_column)} = u.id AND g.name = %s)"
        for _role in ROLE_ORDER
    ]
    return (
        f"SELECT {', '.join(columns)} FROM {quote(Token._meta.db_table)} t "  # noqa: S608
        f"JOIN {quote(user_model._meta.db_table)} u ON u.id = t.{quote(Token._meta.get_field('user').column)} "
        "WHERE t.key = %s"
    )
