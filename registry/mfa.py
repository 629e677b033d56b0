"""The second step of signing in for admin staff and coordinators (ENLACE_REQUIRE_MFA):
a TOTP code from an authenticator app, and the enrolment of that app."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.middleware import OTPMiddleware as DjangoOTPMiddleware
from django_otp.plugins.otp_totp.models import TOTPDevice

from registry.middleware import may_be_signed_in
from registry.models import SecurityEvent
from registry.security_events import record_event

ENROL_DEVICE_NAME = "authenticator"


class OneTimeCodeForm(forms.Form):
    otp = forms.RegexField(
        regex=r"^\d{6,8}$",
        label=gettext_lazy("One-time code"),
        help_text=gettext_lazy("The 6-digit code your authenticator app shows now."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "/"


def pending_device(user) -> TOTPDevice:
    """The user's unconfirmed authenticator, created on first visit of the enrolment page."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=ENROL_DEVICE_NAME, confirmed=False)


@never_cache
@login_required
def verify(request):
    """Asks for the code after the password; success marks the session as verified."""
    if not user_has_device(request.user, confirmed=True):
        return HttpResponseRedirect(f"/accounts/mfa/enrol/?next={_next_url(request)}")
    form = OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["otp"])
        if device is not None:
            otp_login(request, device)
            record_event(request, SecurityEvent.Kind.MFA_VERIFIED, user=request.user, via="web")
            return HttpResponseRedirect(_next_url(request))
        record_event(request, SecurityEvent.Kind.MFA_FAILURE, user=request.user, via="web")
        form.add_error("otp", _("The one-time code is wrong or has expired."))
    return render(request, "registry/mfa_verify.html", {"form": form, "next": _next_url(request)})


@never_cache
@login_required
def enrol(request):
    """First sign-in of a role that needs a second factor: shows the secret to add to an
    authenticator app and confirms it with a first code."""
    if user_has_device(request.user, confirmed=True):
        return HttpResponseRedirect(f"/accounts/mfa/?next={_next_url(request)}")
    device = pending_device(request.user)
    form = OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["otp"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            record_event(request, SecurityEvent.Kind.MFA_ENROLLED, user=request.user, via="web")
            return HttpResponseRedirect(_next_url(request))
        form.add_error("otp", _("The one-time code is wrong or has expired."))
    secret = device_secret(device)
    return render(
        request,
        "registry/mfa_enrol.html",
        {"form": form, "next": _next_url(request), "secret": secret, "otpauth_uri": device.config_url},
    )


def device_secret(device: TOTPDevice) -> str:
    from base64 import b32encode

    return b32encode(device.bin_key).decode()


class OTPMiddleware(DjangoOTPMiddleware):
    """django-otp's, which wraps the session's user to tell whether it gave a second factor,
    skipped where that user can only be the anonymous one (no session cookie, see
    may_be_signed_in): a token client's user is authenticated by the API itself, after the
    middleware, and never counts as verified."""

    def __call__(self, request):
        if not may_be_signed_in(request):
            return self.get_response(request)
        return super().__call__(request)
