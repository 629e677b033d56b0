"""Loading the signed-in user of a web request.

Django's ModelBackend reads the user by primary key; the page then reads the user's groups
(for the role) and the user's agency (the header shows it): three queries on every page,
and building even the first through the ORM costs more than running it. This backend reads
all three with one hand-written query, built once and prepared on PostgreSQL, as the API's
token lookup does (registry/rows.py).
"""

import functools

from django.contrib.auth import backends, get_user_model
from django.core.exceptions import ValidationError
from django.db import connection

from registry import rows


class ModelBackend(backends.ModelBackend):
    """Django's backend (passwords, permissions), loading the user with agency and role."""

    def get_user(self, user_id):
        User = get_user_model()
        try:
            pk = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        cursor_for = getattr(connection, "prepared_cursor", connection.cursor)
        with cursor_for() as cursor:
            cursor.execute(_user_sql(), [*rows.role_parameters(), pk])
            row = cursor.fetchone()
        if row is None:
            return None
        agency_model = User._meta.get_field("agency").related_model
        user_width, agency_width = len(User._meta.concrete_fields), len(agency_model._meta.concrete_fields)
        user = rows.from_db(User, row[:user_width], connection)
        if not self.user_can_authenticate(user):
            return None
        agency_values = row[user_width : user_width + agency_width]
        user.agency = rows.from_db(agency_model, agency_values, connection) if user.agency_id is not None else None
        rows.set_role(user, row[user_width + agency_width :])
        return user


@functools.cache
def _user_sql() -> str:
    """SELECT the user's columns, its agency's (NULL when it has none), then one boolean per
    role group (in ROLE_ORDER); parameters: the role group names, then the user's id."""
    quote = connection.ops.quote_name
    User = get_user_model()
    agency = User._meta.get_field("agency")
    selected = (
        rows.columns(User, "u", quote) + rows.columns(agency.related_model, "a", quote) + rows.role_columns("u", quote)
    )
    return (
        f"SELECT {', '.join(selected)} FROM {quote(User._meta.db_table)} u "  # noqa: S608
        f"LEFT JOIN {quote(agency.related_model._meta.db_table)} a ON a.id = u.{quote(agency.column)} "
        "WHERE u.id = %s"
    )
