"""Reads of the flags app: who sees which flags, the review queue, an agency's flags."""

from django.db.models import Case, Exists, IntegerField, OuterRef, Prefetch, QuerySet, Value, When

from agencies.models import Agency
from flags.models import Flag, FlagSeverity, FlagStatus
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
    from flags.reasons import flag_reasons

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
