"""E-mail to the coordinators of each addressed agency when a flag opens, in their language."""

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import translation
from django.utils.translation import gettext as _

from flags.models import Flag
from flags.reasons import flag_reason
from registry.models import Role, User


def coordinators_for(flag: Flag):
    """Active coordinators, with an e-mail address, of the agencies the flag is addressed to."""
    return (
        User.objects.filter(
            is_active=True,
            groups__name=Role.COORDINATOR,
            agency__in=flag.agencies.values("pk"),
        )
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


def notify_flag_opened(flag_id: int) -> int:
    """Send one e-mail per coordinator; returns how many were sent."""
    flag = Flag.objects.filter(pk=flag_id).first()
    if flag is None or not flag.is_live:
        return 0
    messages = []
    for user in coordinators_for(flag):
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject = _("Enlace: new %(kind)s flag (%(severity)s)") % {
                "kind": flag.get_kind_display().lower(),
                "severity": flag.get_severity_display().lower(),
            }
            body = "\n\n".join(
                [
                    flag_reason(flag, user),
                    _("Review it in your flag queue: %(path)s") % {"path": f"/flags/?flag={flag.pk}"},
                    _("You receive this because you coordinate for an agency the flag is addressed to."),
                ]
            )
        messages.append(EmailMessage(subject=subject, body=body, to=[user.email]))
    if not messages:
        return 0
    return get_connection().send_messages(messages) or 0
