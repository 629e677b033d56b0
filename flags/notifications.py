"""E-mail to the coordinators of each addressed agency when flags open, in their language.

One sync of the registry (a full `detect_flags` or the update after one edit) sends each
coordinator one digest of the flags it opened for their agency, rendered once per agency and
language, from a background task queued when the sync's transaction commits: the writer
never waits for the rendering or the mail server, and a rolled-back change sends nothing.
"""

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from flags.models import LIVE_STATUSES, Flag, FlagAgency
from flags.reasons import flag_reasons
from registry.models import Role, User
from registry.site import absolute_url

# Reasons written out in one digest; the others are counted and wait in the flag queue.
DIGEST_REASONS = 20
# Flag ids per query when reading a large sync's flags back.
CHUNK = 5000


def queue_digests(flag_ids: list[int]) -> None:
    """Hand the flags one sync opened to the background worker (call after the commit)."""
    from flags.tasks import send_flag_digests

    if flag_ids:
        send_flag_digests.enqueue(list(flag_ids))


def coordinators_for(agency_ids) -> list[User]:
    """Active coordinators, with an e-mail address, of these agencies."""
    return list(
        User.objects.filter(is_active=True, groups__name=Role.COORDINATOR, agency_id__in=agency_ids)
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


def send_digests(flag_ids: list[int]) -> int:
    """One e-mail per coordinator of an agency the still-live flags are addressed to, listing
    that agency's flags; returns how many were sent."""
    flag_ids = sorted(set(flag_ids))
    flags: dict[int, Flag] = {}
    by_agency: dict[int, list[int]] = {}
    for start in range(0, len(flag_ids), CHUNK):
        chunk = flag_ids[start : start + CHUNK]
        flags.update((flag.pk, flag) for flag in Flag.objects.filter(pk__in=chunk, status__in=LIVE_STATUSES))
        for flag_id, agency_id in FlagAgency.objects.filter(flag_id__in=chunk).values_list("flag_id", "agency_id"):
            if flag_id in flags:
                by_agency.setdefault(agency_id, []).append(flag_id)
    if not by_agency:
        return 0
    rendered: dict[tuple[int, str], tuple[str, str]] = {}
    messages = []
    for user in coordinators_for(list(by_agency)):
        language = user.language or settings.LANGUAGE_CODE
        # Coordinators of one agency see the same cases: the text is theirs alike.
        if (user.agency_id, language) not in rendered:
            agency_flags = [flags[flag_id] for flag_id in sorted(by_agency[user.agency_id])]
            with translation.override(language):
                rendered[user.agency_id, language] = _digest(agency_flags, user)
        subject, body = rendered[user.agency_id, language]
        messages.append(EmailMessage(subject=subject, body=body, to=[user.email]))
    if not messages:
        return 0
    return get_connection().send_messages(messages) or 0


def _digest(flags: list[Flag], reader) -> tuple[str, str]:
    """Subject and body of one digest, in the active language, as `reader` may read it."""
    footer = _("You receive this because you coordinate for an agency the flag is addressed to.")
    shown = flags[:DIGEST_REASONS]
    reasons = flag_reasons(shown, reader)
    # Full addresses (ENLACE_SITE_URL), as the reminders give: a bare path is no link in a mail program.
    queue = reverse("web:flags")
    if len(flags) == 1:
        (flag,) = flags
        # Kind and severity by their labels, lower-cased inside the sentence; never the slugs.
        subject = _("Enlace: new %(kind)s flag, %(severity)s severity") % {
            "kind": flag.get_kind_display().lower(),
            "severity": flag.get_severity_display().lower(),
        }
        review = _("Review it in your flag queue: %(path)s") % {"path": absolute_url(f"{queue}?flag={flag.pk}")}
        return subject, "\n\n".join([reasons[flag.pk], review, footer])
    count = len(flags)
    subject = ngettext("Enlace: %(count)d new flag", "Enlace: %(count)d new flags", count) % {"count": count}
    parts = [
        ngettext(
            "The registry raised %(count)d flag addressed to your agency:",
            "The registry raised %(count)d flags addressed to your agency:",
            count,
        )
        % {"count": count}
    ]
    for flag in shown:
        parts.append(f"- {reasons[flag.pk]}\n  {absolute_url(f'{queue}?flag={flag.pk}')}")
    if count > len(shown):
        more = count - len(shown)
        parts.append(ngettext("… and %(count)d more flag.", "… and %(count)d more flags.", more) % {"count": more})
    parts.append(_("Review them in your flag queue: %(path)s") % {"path": absolute_url(queue)})
    parts.append(footer)
    return subject, "\n\n".join(parts)
