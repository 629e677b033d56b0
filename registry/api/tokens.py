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

        from registry import rows

        token_model, user_model = self.get_model(), get_user_model()
        # Prepared on PostgreSQL (registry/db/postgresql): planning it cost more than running it.
        cursor_for = getattr(connection, "prepared_cursor", connection.cursor)
        with cursor_for() as cursor:
            cursor.execute(_token_sql(), [*rows.role_parameters(), key])
            row = cursor.fetchone()
        if row is None:
            raise AuthenticationFailed(_("Invalid token.")) from None
        token_width, user_width = len(token_model._meta.concrete_fields), len(user_model._meta.concrete_fields)
        token = rows.from_db(token_model, row[:token_width], connection)
        user = rows.from_db(user_model, row[token_width : token_width + user_width], connection)
        token.user = user
        if not user.is_active:
            raise AuthenticationFailed(_("User inactive or deleted."))
        if token_expires_at(token) <= timezone.now():
            raise AuthenticationFailed(_("The token has expired; ask for a new one."))
        rows.set_role(user, row[token_width + user_width :])
        return user, token


@functools.cache
def _token_sql() -> str:
    """SELECT the token's columns, its user's columns, then one boolean per role group (in
    ROLE_ORDER); parameters: the role group names, then the key. Built once from the models."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from registry import rows

    quote = connection.ops.quote_name
    user_model = get_user_model()
    selected = rows.columns(Token, "t", quote) + rows.columns(user_model, "u", quote) + rows.role_columns("u", quote)
    return (
        f"SELECT {', '.join(selected)} FROM {quote(Token._meta.db_table)} t "  # noqa: S608
        f"JOIN {quote(user_model._meta.db_table)} u ON u.id = t.{quote(Token._meta.get_field('user').column)} "
        "WHERE t.key = %s"
    )
