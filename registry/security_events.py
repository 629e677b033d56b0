"""Writes SecurityEvent rows for what happens to accounts: Django's sign-in signals,
django-axes' lockout signal, role (group) changes, and explicit calls from the token and
second-factor views. Connected in RegistryConfig.ready()."""

import logging

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import DatabaseError, transaction
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from registry.middleware import client_ip, current_request_id
from registry.models import SecurityEvent, User

logger = logging.getLogger("enlace.security")


def _plain_request(request):
    """DRF's Request wraps Django's; read META from the Django one."""
    return getattr(request, "_request", request)


def record_event(request, kind: str, *, user=None, username: str = "", **detail) -> SecurityEvent | None:
    """Append one event. Never lets a failure to write the audit row break the sign-in path
    silently: it is logged (with the request id) and the caller carries on."""
    request = _plain_request(request) if request is not None else None
    try:
        with transaction.atomic():
            event = SecurityEvent.objects.create(
                kind=kind,
                user=user if user is not None and getattr(user, "pk", None) else None,
                username=(username or (user.get_username() if user is not None else ""))[:150],
                ip_address=client_ip(request) if request is not None else None,
                request_id=getattr(request, "request_id", None) or current_request_id(),
                detail=detail,
            )
    except DatabaseError:
        logger.exception("could not record security event %s for user id %s", kind, getattr(user, "pk", None))
        return None
    # The log names the account by id (the event row keeps the username, for the audit).
    logger.info("security event %s user_id=%s event=%s", kind, event.user_id, event.pk)
    return event


@receiver(user_logged_in, dispatch_uid="enlace-security-sign-in")
def on_sign_in(sender, request, user, **kwargs):
    record_event(request, SecurityEvent.Kind.SIGN_IN, user=user)


@receiver(user_logged_out, dispatch_uid="enlace-security-sign-out")
def on_sign_out(sender, request, user, **kwargs):
    if user is not None:
        record_event(request, SecurityEvent.Kind.SIGN_OUT, user=user)


@receiver(user_login_failed, dispatch_uid="enlace-security-sign-in-failure")
def on_sign_in_failure(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username") or "")
    user = User.objects.filter(username=username).first() if username else None
    # Refused by the address throttle (registry/lockout.py), before any password was checked.
    retry_after = getattr(_plain_request(request), "enlace_retry_after", None) if request is not None else None
    detail = {"throttled": True, "retry_after": retry_after} if retry_after is not None else {}
    record_event(request, SecurityEvent.Kind.SIGN_IN_FAILURE, user=user, username=username, **detail)


@receiver(user_locked_out, dispatch_uid="enlace-security-lockout")
def on_lockout(sender, request, username, ip_address, **kwargs):
    user = User.objects.filter(username=username).first() if username else None
    record_event(request, SecurityEvent.Kind.LOCKOUT, user=user, username=username or "", locked_ip=ip_address)


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="enlace-security-role-change")
def on_role_change(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    from django.contrib.auth.models import Group

    if reverse:
        # group.user_set.add(...): instance is the group, pk_set the users.
        users = User.objects.filter(pk__in=pk_set or [])
        groups = [instance.name]
    else:
        users = [instance]
        groups = sorted(Group.objects.filter(pk__in=pk_set or []).values_list("name", flat=True))
    from simple_history.models import HistoricalRecords

    # The admin (or API) request making the change, kept by simple-history's middleware.
    request = getattr(HistoricalRecords.context, "request", None)
    actor = getattr(request, "user", None)
    by = actor.get_username() if actor is not None and actor.is_authenticated else ""
    for user in users:
        record_event(
            request,
            SecurityEvent.Kind.ROLE_CHANGE,
            user=user,
            action=action.removeprefix("post_"),
            groups=groups,
            by=by,
        )
