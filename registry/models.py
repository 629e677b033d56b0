"""Accounts and the base every Enlace model leans on."""

import secrets
from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The four roles of SPEC §1; the first three are Django groups of these names."""

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
