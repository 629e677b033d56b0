"""The "changes" of a record as its pages show them (agency, case, action item): who, when,
and field by field what changed (django-simple-history, read by registry/api/history.py),
for the records the viewer may read — the caller passes only those (agencies/selectors.py,
cases/selectors.py decide which, e.g. no contact for the public).

A page costs a fixed number of queries whatever the number of changes shown: one for the
page of rows (PAGE_SIZE + 1, to know whether there are older ones; no count), the few of
registry/api/history.history_entries (per model on the page, not per entry), and two for
the authors (their agency and role groups).

Who made a change: a signed-in viewer (who also sees points of contact) reads the author's
name and agency; the public reads only "admin staff" or the author's agency — never a
name or username (README, "Changes on record pages").
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from registry.api.history import history_entries, history_rows, identifier_field, tracked_models
from registry.models import Role, role_of

PAGE_SIZE = 20
MAX_PAGE = 500
EMPTY = "—"


@dataclass
class FieldChange:
    field: str
    label: str
    old: str
    new: str


@dataclass
class Change:
    date: object
    action: str
    action_label: str
    model_label: str
    label: str
    who: str
    reason: str
    fields: list[FieldChange] = field(default_factory=list)


@dataclass
class ChangesPage:
    changes: list[Change]
    page: int
    has_older: bool

    @property
    def has_newer(self) -> bool:
        return self.page > 1


def page_number(raw) -> int:
    """The `changes` page of the query string: a bad or out-of-range value is the first page."""
    try:
        number = int(raw)
    except (TypeError, ValueError):
        return 1
    return number if 1 <= number <= MAX_PAGE else 1


def changes_page(parts: dict[str, models.QuerySet], *, viewer, page: int = 1) -> ChangesPage:
    """One page of the changes of the given historical querysets (by model name), newest first."""
    offset = (page - 1) * PAGE_SIZE
    rows = list(history_rows(parts)[offset : offset + PAGE_SIZE + 1]) if parts else []
    entries = history_entries(rows[:PAGE_SIZE], every=list(parts))
    authors = _authors({entry["user_id"] for entry in entries if entry["user_id"]})
    named = role_of(viewer) != Role.PUBLIC
    names = _related_names(list(parts), entries)
    changes = [_change(entry, authors.get(entry["user_id"]), named=named, names=names) for entry in entries]
    return ChangesPage(changes=changes, page=page, has_older=len(rows) > PAGE_SIZE)


def _authors(ids: set[int]) -> dict:
    """The authors with their agency, and their role groups: two queries, whoever they are."""
    User = get_user_model()
    wanted = sorted(ids) or [0]  # 0 is nobody: the same two queries when no author is known
    users = {user.pk: user for user in User.objects.filter(pk__in=wanted).select_related("agency")}
    names: dict[int, set[str]] = {pk: set() for pk in users}
    memberships = User.groups.through.objects.filter(user_id__in=wanted).values_list("user_id", "group__name")
    for user_id, group in memberships:
        names.setdefault(user_id, set()).add(group)
    for pk, user in users.items():
        user.role_groups = names[pk]
    return users


# Catalog records whose names are public and bilingual: a change of a foreign key to one of
# them shows the name in the reader's language, not the stored slug or code (“prosecution”).
NAMED_TARGETS = {("agencies", "agency"), ("agencies", "functionalarea"), ("agencies", "jurisdiction")}


def _named_relations(model) -> dict[str, tuple[type[models.Model], str]]:
    """field name → (related model, its public identifier, in which history gives the value)."""
    relations = {}
    for model_field in model._meta.get_fields():
        target = getattr(model_field, "related_model", None)
        if not model_field.is_relation or target is None or not (model_field.many_to_one or model_field.many_to_many):
            continue
        if (target._meta.app_label, target._meta.model_name) not in NAMED_TARGETS:
            continue
        relations[model_field.name] = (target, identifier_field(target))
    return relations


def _related_names(model_names: list[str], entries: list[dict]) -> dict[tuple, str]:
    """(related model, stored value) → its name: one query per named catalog model the page's
    records point to, whatever the number of changes (a value no change needs is never read)."""
    wanted: dict[tuple[type[models.Model], str], set] = {}
    models_by_name = tracked_models()
    for name in model_names:
        for target in _named_relations(models_by_name[name]).values():
            wanted.setdefault(target, set())
    for entry in entries:
        relations = _named_relations(models_by_name[entry["model"]])
        for item in entry["changes"]:
            target = relations.get(item["field"])
            if target is None:
                continue
            for value in (item["old"], item["new"]):
                wanted[target].update(value if isinstance(value, list) else [value])
    names = {}
    for (target, to_field), values in wanted.items():
        values.discard(None)
        # Read even when no change names one, so that a page's cost does not vary with its changes.
        lookup = {f"{to_field}__in": values} if values else {"pk__isnull": True}
        for record in target._default_manager.filter(**lookup):
            names[(target, getattr(record, to_field))] = str(record)
    return names


def who_label(user, *, named: bool) -> str:
    if user is None:
        return _("the registry")
    agency = user.agency.acronym or user.agency.name if user.agency_id else ""
    staff = Role.ADMIN_STAFF.value in getattr(user, "role_groups", ()) or not agency
    where = _("admin staff") if staff else agency
    if not named:
        return where
    name = user.get_full_name() or user.get_username()
    return f"{name} · {where}"


def _action_label(action: str) -> str:
    return {
        "+": pgettext("history", "created"),
        "~": pgettext("history", "changed"),
        "-": pgettext("history", "deleted"),
    }.get(action, action)


def _change(entry: dict, author, *, named: bool, names: dict | None = None) -> Change:
    model = tracked_models()[entry["model"]]
    relations = _named_relations(model)
    fields = []
    for item in entry["changes"]:
        try:
            model_field = model._meta.get_field(item["field"])
        except FieldDoesNotExist:  # a field since removed from the model: show its name
            model_field = None
        if model_field is not None and not model_field.editable and not model_field.many_to_many:
            continue  # bookkeeping (updated_at, normalized keys): not a change anyone made
        label = str(getattr(model_field, "verbose_name", item["field"]))
        target = relations.get(item["field"])
        old, new = item["old"], item["new"]
        if target is not None and names:
            old, new = (_named(names, target[0], value) for value in (old, new))
        fields.append(
            FieldChange(
                field=item["field"],
                label=label[:1].upper() + label[1:],
                old=display_value(model_field, old),
                new=display_value(model_field, new),
            )
        )
    return Change(
        date=entry["date"],
        action=entry["action_name"],
        action_label=_action_label(entry["action"]),
        model_label=str(model._meta.verbose_name),
        label=entry["label"],
        who=who_label(author, named=named),
        reason=entry["reason"] or "",
        fields=fields,
    )


def _named(names: dict, target, value):
    if isinstance(value, list):
        return [names.get((target, item), item) for item in value]
    return names.get((target, value), value)


def display_value(model_field, value) -> str:
    """A value as a reader understands it: choice labels, yes/no, lists joined, a dash for none."""
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    # Only declared choices: a foreign key's flatchoices would read every related row.
    choices = dict(model_field.flatchoices) if model_field is not None and model_field.choices else {}
    if isinstance(value, list):
        return ", ".join(str(choices.get(item, item)) for item in value)
    if choices and not isinstance(value, dict):
        return str(choices.get(value, value))
    return str(value)
