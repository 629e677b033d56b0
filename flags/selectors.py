"""Reads of the flags app: who sees which flags, the review queue, an agency's flags."""

from django.db.models import Case, Exists, IntegerField, OuterRef, Prefetch, QuerySet, Value, When
from django.utils.translation import gettext as _

from agencies.models import Agency
from flags.models import Flag, FlagSeverity, FlagStatus
from flags.reasons import flag_reasons
from registry.api.ordering import choice_rank
from registry.models import Role, role_of


def flags_visible_to(user) -> QuerySet:
    """Admin staff see every flag; other signed-in users the flags addressed to their
    agency; anonymous users none. One SQL condition, so lists and counts agree."""
    role = role_of(user)
    if role == Role.ADMIN_STAFF:
        return Flag.objects.all()
    if role == Role.PUBLIC or user.agency_id is None:
        return Flag.objects.none()
    addressed = Flag.agencies.through.objects.filter(flag_id=OuterRef("pk"), agency_id=user.agency_id)
    return Flag.objects.filter(Exists(addressed))


AGENCY_PAGE_FLAGS = 20


def flags_about_agency(user, agency) -> list[Flag]:
    """The live flags that concern the agency, as far as the user may see them (none for the
    public), newest first, each with its reason in the user's words (`reason_text`)."""
    if role_of(user) == Role.PUBLIC:
        return []
    flags = list(
        flags_visible_to(user).live().filter(agencies=agency).order_by("-opened_at", "-id")[:AGENCY_PAGE_FLAGS]
    )
    reasons = flag_reasons(flags, user)
    for flag in flags:
        flag.reason_text = reasons.get(flag.pk, "")
    return flags


def severity_rank() -> Case:
    """High first, then medium, then low: the queue's first ordering."""
    return Case(
        When(severity=FlagSeverity.HIGH, then=Value(0)),
        When(severity=FlagSeverity.MEDIUM, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )


# What a list of flags may be sorted by (the API's ?ordering= and the queue page's).
# Severity from low to high: "-severity" puts the most severe first.
FLAG_ORDERING = {
    "opened_at": "opened_at",
    "severity": choice_rank("severity", [FlagSeverity.LOW, FlagSeverity.MEDIUM, FlagSeverity.HIGH]),
    "kind": "kind",
    "status": "status",
}


def flag_queue(user, *, show: str = "live") -> QuerySet:
    """The review queue of the user: the flags they may see, `show` "live" (the default), a
    status, or anything else for every flag; with their addressees, most severe then newest
    first."""
    flags = (
        flags_visible_to(user)
        .select_related("agency", "function", "status_changed_by")
        .prefetch_related(
            Prefetch("agencies", queryset=Agency.objects.only("id", "slug", "acronym", "name", "name_es"))
        )
    )
    if show == "live":
        flags = flags.live()
    elif show in FlagStatus.values:
        flags = flags.filter(status=show)
    return flags.annotate(severity_rank=severity_rank()).order_by("severity_rank", "-opened_at", "-id")


def flag_export(flags: QuerySet, user) -> tuple[list[str], list[list]]:
    """The flags (already narrowed to what the user may see) as a table, with their reason in
    the user's words and the agencies they are addressed to (by slug)."""
    flags = list(flags)
    reasons = flag_reasons(flags, user)
    field = Flag._meta.get_field
    headers = [
        "id",
        str(field("kind").verbose_name),
        str(field("severity").verbose_name),
        str(field("status").verbose_name),
        str(field("opened_at").verbose_name),
        _("Addressed to"),
        _("Reason"),
    ]
    rows = [
        [
            flag.pk,
            flag.get_kind_display(),
            flag.get_severity_display(),
            flag.get_status_display(),
            flag.opened_at,
            "; ".join(sorted(agency.slug for agency in flag.agencies.all())),
            reasons.get(flag.pk, ""),
        ]
        for flag in flags
    ]
    return headers, rows
