"""Model instances from hand-written SQL, for the two lookups every request makes: the API
token's (registry/api/tokens.py) and the web session's user (registry/auth.py). Building
those queries through the ORM on every request cost more than running them; these are
built once from the models, and prepared on PostgreSQL (registry/db/postgresql)."""

import functools

from registry.models import ROLE_ORDER, Role


def from_db(model, values, connection):
    """An instance of `model` from the raw values of its concrete columns, in order,
    converted as the ORM converts them (SQLite returns dates as text, for instance)."""
    converted = []
    for value, converters in zip(values, _converters(model, connection.alias), strict=True):
        for converter, column in converters:
            value = converter(value, column, connection)
        converted.append(value)
    return model.from_db(connection.alias, [field.attname for field in model._meta.concrete_fields], converted)


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


def columns(model, alias: str, quote) -> list[str]:
    """The model's concrete columns as `alias.column`, in the order `from_db` expects."""
    return [f"{alias}.{quote(field.column)}" for field in model._meta.concrete_fields]


def role_columns(user_alias: str, quote) -> list[str]:
    """One boolean column per role group, in ROLE_ORDER: is the user a member? Each takes
    its group's name as a parameter (`role_parameters()`)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    memberships = get_user_model().groups.through._meta
    group_column = memberships.get_field("group").column
    user_column = memberships.get_field(get_user_model()._meta.model_name).column
    # Only table and column names of the models are formatted in; the values are parameters.
    return [
        f"EXISTS (SELECT 1 FROM {quote(memberships.db_table)} m JOIN {quote(Group._meta.db_table)} g "  # noqa: S608
        f"ON g.id = m.{quote(group_column)} WHERE m.{quote(user_column)} = {user_alias}.id AND g.name = %s)"
        for _role in ROLE_ORDER
    ]


def role_parameters() -> list[str]:
    return [role.value for role in ROLE_ORDER]


def set_role(user, memberships) -> None:
    """Give `user` the role User.role would read with a query of its own (registry/models.py),
    derived the same way from the role columns' values."""
    roles = [role.value for role, member in zip(ROLE_ORDER, memberships, strict=True) if member]
    user.__dict__["role"] = roles[0] if roles else Role.PUBLIC
