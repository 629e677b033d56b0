"""`manage.py mfa_enrol USER`: give an account a confirmed TOTP authenticator and print the
otpauth:// URI to load into the app (for admin-side enrolment, e.g. before the first sign-in)."""

from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from registry.models import SecurityEvent, User
from registry.security_events import record_event


class Command(BaseCommand):
    help = "Enrol a TOTP authenticator for USER and print its otpauth:// URI."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--replace", action="store_true", help="Remove the user's existing authenticators first")

    def handle(self, *args, username, replace, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        existing = TOTPDevice.objects.filter(user=user)
        if existing.filter(confirmed=True).exists() and not replace:
            raise CommandError(f"{username} already has an authenticator; use --replace to issue a new one.")
        existing.delete()
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
        record_event(None, SecurityEvent.Kind.MFA_ENROLLED, user=user, via="mfa_enrol")
        self.stdout.write(device.config_url)
