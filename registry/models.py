"""Accounts and the base every Enlace model leans on."""

import secrets
from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The four roles of docs/SPEC.md §1; the first three are Django groups of these names."""

    ADMIN_STAFF = "admin-staff", _("Admin staff")
    COORDINATOR = "coordinator", _("Coordinator")
    LIAISON_OFFICER = "liaison-officer", _("Liaison officer")
    PUBLIC = "public", _("Public")


# Strongest first: a user in several groups acts with the strongest role.
ROLE_ORDER = [Role.ADMIN_STAFF, Role.COORDINATOR, Role.LIAISON_OFFICER]


class TrackedModel(models.Model):
    """Creation and change times; `updated_at` also feeds the object's ETag."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


def new_calendar_token() -> str:
    return secrets.token_urlsafe(32)


class User(AbstractUser):
    """An Enlace account: one agency (admin staff may have none), one preferred language."""

    agency = models.ForeignKey(
        "agencies.Agency",
        verbose_name=_("agency"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    language = models.CharField(
        _("language"), max_length=2, choices=[("en", _("English")), ("es", _("Spanish"))], default="en"
    )
    calendar_token = models.CharField(
        _("calendar token"), max_length=64, unique=True, default=new_calendar_token, editable=False
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @cached_property
    def role(self) -> str:
        """The user's strongest role (`public` when inactive or in no group); read once per request."""
        if not self.is_active:
            return Role.PUBLIC
        names = {group.name for group in self.groups.all()}
        for role in ROLE_ORDER:
            if role.value in names:
                return role.value
        return Role.PUBLIC

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    @property
    def is_admin_staff(self) -> bool:
        return self.role == Role.ADMIN_STAFF


def role_of(user) -> str:
    """The role of any request user, anonymous included."""
    if user is None or not user.is_authenticated:
        return Role.PUBLIC
    return user.role


class SecurityEvent(models.Model):
    """An append-only record of what happened to accounts: sign-ins, failures, lockouts,
    role changes, API tokens and second factors. Kept at least a year (docs/security.md);
    no code path updates or deletes a row."""

    class Kind(models.TextChoices):
        SIGN_IN = "sign-in", _("Sign-in")
        SIGN_IN_FAILURE = "sign-in-failure", _("Sign-in failure")
        SIGN_OUT = "sign-out", _("Sign-out")
        LOCKOUT = "lockout", _("Lockout")
        LOCKOUT_RESET = "lockout-reset", _("Lockout released")
        ROLE_CHANGE = "role-change", _("Role change")
        TOKEN_ISSUED = "token-issued", _("API token issued")
        TOKEN_REVOKED = "token-revoked", _("API token revoked")
        MFA_VERIFIED = "mfa-verified", _("Second factor verified")
        MFA_FAILURE = "mfa-failure", _("Second factor refused")
        MFA_ENROLLED = "mfa-enrolled", _("Second factor enrolled")
        SESSION_EXPIRED = "session-expired", _("Idle session ended")
        PERSONAL_DATA = "personal-data", _("Personal-data request handled")
        AUDIT_EXPORT = "audit-export", _("Audit trail exported")

    at = models.DateTimeField(_("at (UTC)"), auto_now_add=True, db_index=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices, db_index=True)
    user = models.ForeignKey(
        User, verbose_name=_("user"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(_("username tried"), max_length=150, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("security event")
        verbose_name_plural = _("security events")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.kind} {self.username}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Security events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Security events are append-only.")


class IdempotencyKey(models.Model):
    """The first answer to a POST sent with an `Idempotency-Key` header, replayed to retries.

    A row without `status_code` is a request still being answered; the unique constraint
    makes concurrent requests with the same key race for one row, so only one runs."""

    key = models.CharField(max_length=255)
    principal = models.CharField(max_length=64, help_text="user:<id>, or anonymous")
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2000)
    body_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    body = models.BinaryField(default=b"", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["principal", "key"], name="idempotency_key_unique")]
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")

    def __str__(self) -> str:
        return f"{self.principal} {self.key}"
