"""Reads of the flags app: who sees which flags."""

from django.db.models import Exists, OuterRef, QuerySet

from flags.models import Flag
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
